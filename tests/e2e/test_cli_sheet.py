"""The status spreadsheet (SPEC §5) as a member of staff sees and edits it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from .conftest import Project, application, registration

HEADERS = {
    "伴走者": [
        "伴走ネットID",
        "登録日時",
        "氏名",
        "メールアドレス",
        "会員区分",
        "紹介者",
        "活動地域",
        "状態",
        "状態コード",
        "申請件数",
        "謝金累計",
        "覚書発送日",
        "覚書受領",
        "口座届出受領",
        "講座受講",
        "連絡先訂正",
        "重複解除",
        "メモ",
    ],
    "申請": [
        "申請番号",
        "回答ID",
        "受信日時",
        "伴走ネットID",
        "氏名",
        "同行伴走者ID",
        "相談者コード",
        "支援実施日",
        "実施時間(分)",
        "判定",
        "状態コード",
        "理由",
        "再回答期限",
        "謝金額",
        "支払予定日",
        "審査",
        "審査メモ",
        "最終更新",
    ],
    "支払": ["支払予定日", "締め日", "伴走ネットID", "氏名", "件数", "金額", "状態", "支払済"],
    "メール": ["送信日時", "種別", "宛先(伏字)", "関連番号", "状態", "Message-ID"],
    "統計": ["区分", "項目", "件数"],
    # SPEC §5's columns, then the staff tick of the surge guard (issue 10 §5)
    "同期": ["最終同期", "結果", "新規登録", "新規申請", "送信メール", "エラー", "一斉送信を許可"],
}

LABELS = {
    "pending_review": "審査待ち",
    "deficient": "不備・再回答待ち",
    "resubmitted": "再提出済",
    "expired": "期限切れ",
    "ineligible": "対象外",
    "accepted": "受付完了",
    "rejected": "却下",
    "paid": "支払済",
}

JUNE_30 = {"support_date": "2022/06/30"}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
REASON = re.compile(r"[a-z_]+(?::[a-z_]+)?: [^,]+")

USER = {
    n: {"supporter_id": f"BN-000{n}", "name": f"伴走 {n}郎", "email": f"user{n}@example.com"}
    for n in (1, 2, 3)
}


def build_mixed(project: Project) -> None:
    """Registrations and applications with every first outcome; two cycles on two days."""
    project.register(3)
    project.write_applications(
        [
            application("2022/07/01 9:00:00", **USER[1], **JUNE_30, client_initials="AA"),
            application(
                "2022/07/01 9:10:00",
                **{**USER[2], "email": "someone-else@example.com"},
                **JUNE_30,
                client_initials="BB",
                consent="",
            ),
            application(
                "2022/07/01 9:20:00",
                **USER[3],
                client_initials="CC",
                support_date="2022/05/26",
                end_time="10:30:00",
            ),
        ]
    )
    project.once("2022-07-09 12:00")
    project.review("A-000001", "承認")
    project.add_applications(
        application("2022/07/09 18:00:00", **USER[3], **JUNE_30, client_initials="DD")
    )
    project.once("2022-07-10 12:00")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project(tmp_path_factory.mktemp("mixed"))
    project.write_config()
    build_mixed(project)
    return project


@pytest.mark.parametrize("tab", list(HEADERS))
def test_every_tab_has_the_spec_headers_in_order(mixed: Project, tab: str) -> None:
    assert mixed.tab_raw(tab).startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    spec = HEADERS[tab]
    assert mixed.header(tab)[: len(spec)] == spec  # SPEC §5 "Added columns" come after


def test_status_labels_match_status_codes(mixed: Project) -> None:
    apps = {r["申請番号"]: r for r in mixed.tab("申請")}
    assert {no: r["状態コード"] for no, r in apps.items()} == {
        "A-000001": "accepted",
        "A-000002": "deficient",
        "A-000003": "ineligible",
        "A-000004": "pending_review",
    }
    for row in apps.values():
        assert row["判定"] == LABELS[row["状態コード"]]
    for row in mixed.tab("伴走者"):
        assert (row["状態コード"], row["状態"]) == ("active", "有効")


def test_reasons_are_codes_with_japanese_text_joined_by_comma(mixed: Project) -> None:
    deficient = mixed.app("A-000002")["理由"]
    ineligible = mixed.app("A-000003")["理由"]
    for text in (deficient, ineligible):
        parts = text.split(", ")
        assert len(parts) == 2, text
        for part in parts:
            assert REASON.fullmatch(part), part
    assert {p.split(":")[0] for p in deficient.split(", ")} == {"no_consent", "email_mismatch"}
    assert {p.split(":")[0] for p in ineligible.split(", ")} == {"late_submission", "too_short"}
    assert "late_submission: 申請期限(2022-06-25)を過ぎています" in ineligible


def test_dates_and_times_are_iso_in_tokyo_time(mixed: Project) -> None:
    columns = {
        "伴走者": {"登録日時": TIME},
        "申請": {
            "受信日時": TIME,
            "最終更新": TIME,
            "支援実施日": DATE,
            "再回答期限": DATE,
            "支払予定日": DATE,
        },
        "支払": {"支払予定日": DATE, "締め日": DATE},
        "メール": {"送信日時": TIME},
        "同期": {"最終同期": TIME},
    }
    for tab, patterns in columns.items():
        rows = mixed.tab(tab)
        assert rows, tab
        for row in rows:
            for column, pattern in patterns.items():
                if row[column]:
                    assert pattern.fullmatch(row[column]), (tab, column, row[column])
    assert mixed.app("A-000001")["受信日時"] == "2022-07-01 09:00"
    assert mixed.app("A-000002")["再回答期限"] == "2022-07-16"
    assert mixed.app("A-000001")["支払予定日"] == "2022-08-10"
    assert mixed.supporter("BN-0001")["登録日時"] == "2022-05-20 09:01"


def test_money_columns_are_plain_integers(mixed: Project) -> None:
    assert mixed.app("A-000001")["謝金額"] == "6000"
    assert mixed.supporter("BN-0001")["謝金累計"] == "6000"
    (batch,) = mixed.tab("支払")
    assert (batch["件数"], batch["金額"]) == ("1", "6000")


def test_mail_tab_masks_addresses_and_lists_newest_first(mixed: Project) -> None:
    raw = mixed.tab_raw("メール").decode("utf-8-sig")
    for n in (1, 2, 3):
        assert f"user{n}@example.com" not in raw
    assert "jimukyoku@example.org" not in raw
    rows = mixed.tab("メール")
    assert len(rows) == len(mixed.emails())
    for row in rows:
        assert re.fullmatch(r"[^@*]\*\*\*@example\.(com|org)", row["宛先(伏字)"]), row
        assert row["状態"] == "送信済"
    sent = [r["送信日時"] for r in rows]
    assert sent == sorted(sent, reverse=True)
    assert sent[0] == "2022-07-10 12:00" and sent[-1] == "2022-07-09 12:00"
    ids = {str(m["Message-ID"]) for m in mixed.emails()}
    assert {r["Message-ID"] for r in rows} == ids


def test_sync_tab_lists_cycles_newest_first(mixed: Project) -> None:
    rows = mixed.tab("同期")
    assert [r["最終同期"] for r in rows] == ["2022-07-10 12:00", "2022-07-09 12:00"]
    assert rows[1]["新規登録"] == "3" and rows[1]["新規申請"] == "3"
    assert rows[0]["新規申請"] == "1"
    assert all(r["結果"] == "成功" for r in rows)


# --- a second run with nothing new -----------------------------------------------------


def test_second_run_with_the_same_now_is_a_no_op(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config()
    build_mixed(project)
    before = {tab: project.tab_raw(tab) for tab in HEADERS}
    emails = project.eml_paths()
    sync_before = project.tab("同期")

    project.once("2022-07-10 12:00")
    assert project.eml_paths() == emails
    for tab in HEADERS:
        if tab != "同期":
            assert project.tab_raw(tab) == before[tab], tab
    after = project.tab("同期")
    assert len(after) == len(sync_before) + 1
    assert after[1:] == sync_before
    assert (after[0]["新規登録"], after[0]["新規申請"], after[0]["送信メール"]) == ("0", "0", "0")

    project.once("2022-07-10 12:00")
    assert project.eml_paths() == emails
    assert project.tab("同期")[1:] == sync_before, "an idle cycle replaces the idle top row"
    for tab in HEADERS:
        if tab != "同期":
            assert project.tab_raw(tab) == before[tab], tab


# --- staff columns ----------------------------------------------------------------------


def test_staff_cells_follow_their_keys_through_sorting_and_deleted_rows_come_back(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.write_config()
    build_mixed(project)

    supporters = project.tab("伴走者")
    for row in supporters:
        if row["伴走ネットID"] == "BN-0002":
            row["メモ"] = "電話で確認済み"
            row["講座受講"] = "7月受講"
    project.write_tab("伴走者", list(reversed(supporters)))
    apps = [r for r in project.tab("申請") if r["申請番号"] != "A-000004"]
    for row in apps:
        if row["申請番号"] == "A-000003":
            row["審査メモ"] = "本人に電話する"
    project.write_tab("申請", list(reversed(apps)))

    project.once("2022-07-10 13:00")

    assert project.supporter("BN-0002")["メモ"] == "電話で確認済み"
    assert project.supporter("BN-0002")["講座受講"] == "7月受講"
    assert project.supporter("BN-0001")["メモ"] == project.supporter("BN-0003")["メモ"] == ""
    assert project.app("A-000003")["審査メモ"] == "本人に電話する"
    assert project.app("A-000003")["状態コード"] == "ineligible"
    restored = project.app("A-000004")
    assert (restored["状態コード"], restored["伴走ネットID"]) == ("pending_review", "BN-0003")
    assert project.app("A-000001")["審査メモ"] == ""
    assert len(project.tab("申請")) == 4


def _excel_dates(value: str) -> str:
    """How Excel re-saves 2022-06-25 and 2022-06-25 10:00 in a Japanese locale."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})( \d{2}:\d{2})?", value)
    if not match:
        return value
    y, m, d, clock = match.groups()
    return f"{y}/{int(m)}/{int(d)}" + (f" {int(clock[1:3])}:{clock[4:]}" if clock else "")


def test_tabs_resaved_by_excel_as_cp932_with_slash_dates_are_read_back(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config()
    build_mixed(project)

    for tab in ("伴走者", "申請"):
        rows = [{k: _excel_dates(v) for k, v in r.items()} for r in project.tab(tab)]
        if tab == "伴走者":
            for row in rows:
                if row["伴走ネットID"] == "BN-0003":
                    row.update(
                        覚書発送日="2022/6/25", 覚書受領="○", 口座届出受領="○", メモ="郵送済"
                    )
        else:
            for row in rows:
                if row["申請番号"] == "A-000004":
                    row.update(審査="承認", 審査メモ="確認済")
        project.write_tab(tab, rows, encoding="cp932")

    result = project.once("2022-07-11 12:00")
    assert "attention" not in result.stdout, result.stdout

    assert project.tab_raw("伴走者").startswith(b"\xef\xbb\xbf")
    bn3 = project.supporter("BN-0003")
    assert bn3["覚書発送日"] == "2022-06-25"
    assert bn3["メモ"] == "郵送済"
    accepted = project.app("A-000004")
    assert accepted["状態コード"] == "accepted"
    assert accepted["審査メモ"] == "確認済"
    assert accepted["支払予定日"] == "2022-08-10"
    assert project.app("A-000001")["受信日時"] == "2022-07-01 09:00"
    assert len(project.tab("申請")) == 4


# --- formula guard and header injection --------------------------------------------------

FORMULA = '=HYPERLINK("http://x.example","x")'


def _raw_cells(project: Project, tab: str, column: str) -> list[str]:
    text = project.tab_raw(tab).decode("utf-8-sig")
    return [r[column] for r in csv.DictReader(io.StringIO(text, newline=""))]


def test_text_that_looks_like_a_formula_is_written_with_a_quote(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config()
    project.write_registrations(
        [
            registration("2022/06/01 9:00:00", FORMULA, "user1@example.com"),
            registration(
                "2022/06/01 9:05:00",
                "伴走 2郎",
                "user2@example.com",
                phone="090-0000-0002",
                membership="会員の紹介",
                referrer="@紹介 者",
            ),
        ]
    )
    project.write_applications(
        [
            application(
                "2022/07/01 9:00:00",
                **JUNE_30,
                supporter_id="BN-0001",
                name=FORMULA,
                email="user1@example.com",
            )
        ]
    )
    project.once("2022-07-10 12:00")

    assert _raw_cells(project, "申請", "氏名") == ["'" + FORMULA]
    assert "'" + FORMULA in _raw_cells(project, "伴走者", "氏名")
    assert "'@紹介 者" in _raw_cells(project, "伴走者", "紹介者")
    assert _raw_cells(project, "申請", "実施時間(分)") == ["120"]

    project.once("2022-07-10 13:00")
    assert _raw_cells(project, "申請", "氏名") == ["'" + FORMULA], "the guard is not doubled"


def test_a_name_with_a_newline_cannot_add_an_email_header(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config()
    evil = "伴走 花子\r\nBcc: x@example.com"
    project.write_registrations([registration("2022/06/01 9:00:00", evil, "user1@example.com")])
    project.write_applications(
        [
            application(
                "2022/07/01 9:00:00",
                **JUNE_30,
                supporter_id="BN-0001",
                name=evil,
                email="user1@example.com",
            ),
            application(
                "2022/07/01 9:10:00",
                **JUNE_30,
                supporter_id="BN-0099",
                name="伴走\nBcc: x@example.com",
                email="user9@example.com",
                client_initials="ZZ",
            ),
        ]
    )
    project.once("2022-07-10 12:00")

    messages = project.emails()
    assert {m["X-Bansou-Kind"] for m in messages} >= {
        "registration_confirmed",
        "application_received",
        "application_deficient",
    }
    for path, message in zip(project.eml_paths(), messages, strict=True):
        assert "Bcc" not in message, path.name
        for name, value in message.items():
            assert "x@example.com" not in str(value), (name, value)
        head = path.read_bytes().split(b"\r\n\r\n", 1)[0]
        assert not re.search(rb"(?im)^bcc:", head), path.name


def test_a_lost_ledger_is_rebuilt_from_the_status_sheet_and_nothing_is_sent_twice(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.write_config()
    build_mixed(project)
    accepted = project.app("A-000001")
    mail_ids = {r["Message-ID"] for r in project.tab("メール")}
    project.ledger_path.unlink()

    project.once("2022-07-10 12:30")

    assert project.app("A-000001")["状態コード"] == "accepted"
    assert project.app("A-000001")["支払予定日"] == accepted["支払予定日"]
    top = project.tab("同期")[0]
    assert (top["新規登録"], top["新規申請"], top["送信メール"]) == ("0", "0", "0")
    assert {r["Message-ID"] for r in project.tab("メール")} == mail_ids
