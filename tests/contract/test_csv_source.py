"""CsvSource reads a Google Forms CSV export as the reference forms produce it."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bansou_sync.adapters.csv_source import CsvSource, parse_timestamp
from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.core.form_questions import CLIENT_TRIPLE, REQUIRED, RULE_FIELDS
from bansou_sync.errors import SourceUnavailable

TOKYO = ZoneInfo("Asia/Tokyo")
APP = APPLICATION_TITLES
REG = REGISTRATION_TITLES


def needed_titles(header: list[str]) -> list[str]:
    """The titles of the questions the rules need that ``header`` lacks: a test about one
    thing writes only the columns it reads, and the source refuses an export without the
    others (issue 10 §3)."""
    form = (
        "application" if set(header) & (set(APP.values()) - set(REG.values())) else "registration"
    )
    titles = APP if form == "application" else REG
    needed = [*REQUIRED[form], *RULE_FIELDS.get(form, ())]
    if form == "application" and APP["client_code"] not in header:
        needed += CLIENT_TRIPLE
    return [titles[f] for f in needed if titles[f] not in header]


def export(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    if any(h in ("タイムスタンプ", "Timestamp") for h in header):
        extra = needed_titles(header)
        rows = [[*row, *[""] * len(extra)] if len(row) == len(header) else row for row in rows]
        header = [*header, *extra]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def registrations(path: Path) -> CsvSource:
    return CsvSource({"registration": path})


def applications(path: Path) -> CsvSource:
    return CsvSource({"application": path})


def jst(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TOKYO)


def test_export_timestamps_are_tokyo_wall_time_and_name_the_response(tmp_path: Path) -> None:
    path = export(
        tmp_path / "reg.csv",
        ["タイムスタンプ", REG["name"], REG["email"]],
        [["2022/06/01 9:05:03", "伴走 太郎", "taro@example.com"]],
    )

    (response,) = registrations(path).fetch("registration")

    assert response.form == "registration"
    assert response.submitted_at == jst(2022, 6, 1, 9, 5, 3)
    assert response.submitted_at.utcoffset() is not None
    assert response.last_submitted_at == response.submitted_at
    assert response.response_id == "2022-06-01 09:05:03#1"
    assert response.answers["name"] == "伴走 太郎"
    assert response.answers["email"] == "taro@example.com"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2022/06/01 10:00:00", jst(2022, 6, 1, 10, 0, 0)),
        ("2022/6/1 10:00", jst(2022, 6, 1, 10, 0, 0)),
        ("2022/06/01 午後 3:04:05 GMT+9", jst(2022, 6, 1, 15, 4, 5)),
        ("2022/06/01 午前 12:30:00 GMT+9", jst(2022, 6, 1, 0, 30, 0)),
        ("2022/06/01 午後 12:30:00 GMT+9", jst(2022, 6, 1, 12, 30, 0)),
        ("2022/06/01 午前 9:00:00 GMT+0", jst(2022, 6, 1, 18, 0, 0)),
        ("2022/06/01 3:04:05 PM GMT+09:00", jst(2022, 6, 1, 15, 4, 5)),
        ("2022-06-01T01:00:00Z", jst(2022, 6, 1, 10, 0, 0)),
        ("2022-06-01T10:00:00+09:00", jst(2022, 6, 1, 10, 0, 0)),
        ("2022-06-01 10:00:00", jst(2022, 6, 1, 10, 0, 0)),
        ("２０２２/０６/０１ １０:００:００", jst(2022, 6, 1, 10, 0, 0)),
    ],
)
def test_every_timestamp_spelling_becomes_an_aware_tokyo_time(
    written: str, expected: datetime
) -> None:
    parsed = parse_timestamp(written)

    assert parsed == expected
    assert parsed is not None and parsed.tzinfo == TOKYO


@pytest.mark.parametrize(
    "written",
    ["", "昨日", "2022/13/01 10:00:00", "2022/06/01 25:00:00", "2022/06/01 午後 13:00:00"],
)
def test_a_timestamp_that_does_not_parse_is_none(written: str) -> None:
    assert parse_timestamp(written) is None


def test_the_forms_ui_download_and_the_export_give_one_response_the_same_id(
    tmp_path: Path,
) -> None:
    header = ["タイムスタンプ", APP["supporter_id"]]
    export_file = export(tmp_path / "a.csv", header, [["2022/06/01 15:04:05", "BN-0001"]])
    download = export(tmp_path / "b.csv", header, [["2022/06/01 午後 3:04:05 GMT+9", "BN-0001"]])

    (from_export,) = applications(export_file).fetch("application")
    (from_download,) = applications(download).fetch("application")

    assert from_export.response_id == from_download.response_id == "2022-06-01 15:04:05#1"


def test_a_quoted_multi_line_narrative_and_commas_inside_answers_stay_one_answer(
    tmp_path: Path,
) -> None:
    narrative = "区役所の窓口に同行しました。\n申請書を一緒に書き、\n「次回は来週」と言われました。"
    path = export(
        tmp_path / "app.csv",
        ["タイムスタンプ", APP["topics"], APP["narrative"], APP["client_nationality"]],
        [["2022/06/01 10:00:00", "住まい, 医療", narrative, "ベトナム, 日本"]],
    )

    (response,) = applications(path).fetch("application")

    assert response.answers["narrative"] == narrative
    assert response.answers["topics"] == "住まい, 医療"
    assert response.choices("topics") == ("住まい", "医療")
    assert response.answers["client_nationality"] == "ベトナム, 日本"


def test_rows_with_the_same_timestamp_are_numbered_in_file_order(tmp_path: Path) -> None:
    path = export(
        tmp_path / "app.csv",
        ["タイムスタンプ", APP["supporter_id"]],
        [
            ["2022/06/01 10:00:00", "BN-0001"],
            ["2022/06/01 10:00:01", "BN-0002"],
            ["2022/06/01 10:00:00", "BN-0003"],
        ],
    )

    responses = applications(path).fetch("application")

    assert [(r.response_id, r.answers["supporter_id"]) for r in responses] == [
        ("2022-06-01 10:00:00#1", "BN-0001"),
        ("2022-06-01 10:00:01#1", "BN-0002"),
        ("2022-06-01 10:00:00#2", "BN-0003"),
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_an_export_is_read_with_or_without_bom_and_as_excel_cp932(
    tmp_path: Path, encoding: str
) -> None:
    path = export(
        tmp_path / "reg.csv",
        ["タイムスタンプ", REG["name"], REG["prefecture"], REG["languages"]],
        [["2022/06/01 10:00:00", "伴走 花子", "東京都", "英語, タガログ語"]],
        encoding=encoding,
    )

    (response,) = registrations(path).fetch("registration")

    assert {name: text for name, text in response.answers.items() if text} == {
        "name": "伴走 花子",
        "prefecture": "東京都",
        "languages": "英語, タガログ語",
    }


def test_columns_are_matched_by_normalised_title_and_unknown_ones_are_ignored(
    tmp_path: Path,
) -> None:
    path = export(
        tmp_path / "reg.csv",
        ["Timestamp", " 活動地域（都道府県） ", "スコア", REG["email"]],
        [["2022/06/01 10:00:00", "大阪府", "10", "hanako@example.com"]],
    )

    (response,) = registrations(path).fetch("registration")

    answered = {name: text for name, text in response.answers.items() if text}
    assert answered == {"prefecture": "大阪府", "email": "hanako@example.com"}
    assert not response.answers.get("name")  # no 氏名 answer in the row


def test_a_configured_title_mapping_replaces_the_reference_titles(tmp_path: Path) -> None:
    path = export(
        tmp_path / "reg.csv",
        ["タイムスタンプ", "お名前"],
        [["2022/06/01 10:00:00", "伴走 次郎"]],
    )
    source = CsvSource({"registration": path}, titles={"registration": {"name": "お名前"}})

    (response,) = source.fetch("registration")

    assert response.answers == {"name": "伴走 次郎"}


def test_a_row_with_an_unreadable_timestamp_is_skipped_and_reported_without_answers(
    tmp_path: Path,
) -> None:
    path = export(
        tmp_path / "reg.csv",
        ["タイムスタンプ", REG["name"], REG["phone"]],
        [
            ["2022/06/01 10:00:00", "伴走 太郎", "090-0000-0001"],
            ["いつか", "伴走 花子", "090-0000-0002"],
            ["", "伴走 次郎", "090-0000-0003"],
            ["", "", ""],
            ["2022/06/02 10:00:00", "伴走 三郎", "090-0000-0004"],
        ],
    )
    source = registrations(path)

    responses = source.fetch("registration")

    assert [r.answers["name"] for r in responses] == ["伴走 太郎", "伴走 三郎"]
    assert len(source.problems) == 2
    assert "3行目" in source.problems[0] and "4行目" in source.problems[1]
    joined = " ".join(source.problems)
    assert "花子" not in joined and "090" not in joined and "いつか" not in joined


def test_problems_of_one_form_survive_fetching_the_other(tmp_path: Path) -> None:
    reg = export(tmp_path / "reg.csv", ["タイムスタンプ"], [["だめ"]])
    app = export(
        tmp_path / "app.csv", ["タイムスタンプ", APP["supporter_id"]], [["2022/06/01 10:00:00", ""]]
    )
    source = CsvSource({"registration": reg, "application": app})

    source.fetch("registration")
    source.fetch("application")

    assert len(source.problems) == 1
    assert "伴走ネット登録" in source.problems[0]


def test_an_export_with_only_a_header_has_no_responses(tmp_path: Path) -> None:
    path = export(tmp_path / "app.csv", ["タイムスタンプ", APP["supporter_id"]], [])

    assert applications(path).fetch("application") == []


def test_a_missing_file_is_an_operational_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable, match=r"nowhere\.csv"):
        applications(tmp_path / "nowhere.csv").fetch("application")


def test_a_file_without_the_timestamp_column_is_refused_by_name(tmp_path: Path) -> None:
    path = export(tmp_path / "other.csv", ["日付", "氏名"], [["2022/06/01", "伴走 太郎"]])

    with pytest.raises(SourceUnavailable, match=r"other\.csv.*タイムスタンプ"):
        registrations(path).fetch("registration")


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02PK\x03\x04\xff\xfe\x00"])
def test_an_empty_or_binary_file_is_an_operational_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "reg.csv"
    path.write_bytes(content)

    with pytest.raises(SourceUnavailable, match=r"reg\.csv"):
        registrations(path).fetch("registration")


def test_a_form_without_a_configured_file_is_an_operational_error(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable):
        registrations(tmp_path / "reg.csv").fetch("application")


def test_a_csv_export_cannot_close_the_form(tmp_path: Path) -> None:
    assert registrations(tmp_path / "reg.csv").close_form("registration") is False


# --- damaged exports (issue 10 §3) --------------------------------------------------------

APP_ROW = {
    APP["supporter_id"]: "BN-0001",
    APP["name"]: "伴走 太郎",
    APP["email"]: "taro@example.com",
    APP["support_date"]: "2022/06/01",
    APP["start_time"]: "10:00:00",
    APP["end_time"]: "12:00:00",
    APP["client_initials"]: "T.N.",
    APP["client_birth_year"]: "1985",
    APP["client_nationality"]: "ベトナム",
    APP["topics"]: "医療",
    APP["narrative"]: "病院で, 受診に同行しました",
    APP["consent"]: "同意します",
}


def app_export(path: Path, stamps: list[str], **cells: str) -> Path:
    header = ["タイムスタンプ", *APP_ROW]
    rows = [[stamp, *{**APP_ROW, **cells}.values()] for stamp in stamps]
    return export(path, header, rows)


def test_a_last_row_cut_inside_a_quoted_answer_is_held_and_named_by_row_and_time(
    tmp_path: Path,
) -> None:
    path = app_export(tmp_path / "app.csv", ["2022/06/01 10:00:00", "2022/06/02 11:00:00"])
    text = path.read_text("utf-8")
    path.write_text(text[: text.rindex("受診に同行")], "utf-8")
    source = applications(path)

    responses = source.fetch("application")

    assert [r.response_id for r in responses] == ["2022-06-01 10:00:00#1"]
    [problem] = source.problems
    assert "3行目" in problem and "2022-06-02 11:00:00" in problem and "保留" in problem
    assert "病院" not in problem


def test_a_last_row_without_a_line_break_is_held_even_with_every_cell_there(
    tmp_path: Path,
) -> None:
    path = app_export(tmp_path / "app.csv", ["2022/06/01 10:00:00", "2022/06/02 11:00:00"])
    text = path.read_bytes().decode("utf-8")
    for cut in (text[: text.rindex(",10:00:00,")], text[: text.rindex("します")]):
        path.write_text(cut, "utf-8", newline="")
        assert len(applications(path).fetch("application")) == 1, cut[-20:]

    short = text[: text.rindex(",10:00:00,")] + "\r\n"  # Excel leaves out blank cells
    path.write_text(short, "utf-8", newline="")
    assert len(applications(path).fetch("application")) == 2


def test_control_characters_are_removed_and_an_oversized_answer_is_cut_and_flagged(
    tmp_path: Path,
) -> None:
    huge = "説明" * 70_000  # 140,000 characters: over the csv module's 131,072 default
    path = app_export(
        tmp_path / "app.csv",
        ["2022/06/01 10:00:00"],
        **{APP["name"]: "伴走\x00 太\x0b郎\x85", APP["narrative"]: huge},
    )

    (response,) = applications(path).fetch("application")

    assert response.answers["name"] == "伴走 太郎"
    narrative = str(response.answers["narrative"])
    assert narrative.startswith("説明説明") and narrative.endswith("[以下省略 / truncated]")
    assert len(narrative) < 25_000
    assert response.cut == ("narrative",)


def test_the_same_row_with_another_answer_keeps_its_id_and_changes_its_digest(
    tmp_path: Path,
) -> None:
    first = applications(app_export(tmp_path / "a.csv", ["2022/06/01 10:00:00"])).fetch(
        "application"
    )[0]
    edited = applications(
        app_export(tmp_path / "b.csv", ["2022/06/01 10:00:00"], **{APP["end_time"]: "13:00:00"})
    ).fetch("application")[0]

    assert first.response_id == edited.response_id
    assert first.last_submitted_at == edited.last_submitted_at
    assert first.fingerprint and first.fingerprint != edited.fingerprint


@pytest.mark.parametrize(
    ("renamed", "named"),
    [
        ({APP["support_date"]: "実施日"}, "支援実施日"),
        ({APP["narrative"]: APP["end_time"]}, "終了時刻"),
    ],
)
def test_a_missing_or_duplicated_question_refuses_the_export_naming_it(
    tmp_path: Path, renamed: dict[str, str], named: str
) -> None:
    path = app_export(tmp_path / "app.csv", ["2022/06/01 10:00:00"])
    header, rest = path.read_bytes().decode("utf-8").split("\r\n", 1)
    for old, new in renamed.items():
        header = header.replace(f",{old},", f",{new},")
    path.write_text(header + "\r\n" + rest, "utf-8")

    with pytest.raises(SourceUnavailable, match=named) as refused:
        applications(path).fetch("application")
    assert "\n" not in str(refused.value)


def test_the_same_file_for_both_forms_is_refused(tmp_path: Path) -> None:
    path = app_export(tmp_path / "app.csv", ["2022/06/01 10:00:00"])
    source = CsvSource({"registration": path, "application": path})

    with pytest.raises(SourceUnavailable, match=r"source\.registrations"):
        source.fetch("application")


def test_a_few_bytes_that_are_not_utf8_are_replaced_and_their_row_named(tmp_path: Path) -> None:
    path = app_export(tmp_path / "app.csv", ["2022/06/01 10:00:00", "2022/06/02 11:00:00"])
    data = path.read_bytes()
    at = data.rindex("受診".encode())
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    source = applications(path)

    responses = source.fetch("application")

    assert len(responses) == 2
    assert "\ufffd" in str(responses[1].answers["narrative"])
    [problem] = source.problems
    assert "3行目" in problem
