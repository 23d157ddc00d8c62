"""A damaged export is never judged as if it were true (issue 10 §3), through the real CLI
on the embedded default: a renamed, missing or duplicated column, or the registration
export given as the applications, refuses the cycle with one line and sends nothing; a
last row cut short is held and judged once whole; a response whose answers change under
the same 回答ID is an edit; a stray control character or an oversized answer never stops
intake. After the input is repaired, the ledger, the tabs and the emails are those of a
clean run on the good input: nothing lost, nothing sent twice."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bansou_sync.adapters.form_fields import APPLICATION_TITLES
from bansou_sync.adapters.ledger import Ledger

from .conftest import STAFF_KINDS, Project, _export, application, body, kinds

T1 = "2022-06-10 12:00"
T2 = "2022-06-11 12:00"
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def fresh(root: Path) -> Project:
    root.mkdir()
    p = Project(root)
    p.write_config()
    p.write_registrations([])
    p.write_applications([])
    return p


def user(n: int, timestamp: str, **answers: str) -> dict[str, str]:
    return application(
        timestamp,
        supporter_id=f"BN-{n:04d}",
        name=f"伴走 {n}郎",
        email=f"user{n}@example.com",
        **answers,
    )


GOOD = [
    user(1, "2022/06/02 10:00:00"),
    user(2, "2022/06/03 11:00:00", support_date="2022/06/02", client_initials="K.S."),
    user(1, "2022/06/04 12:00:00", support_date="2022/06/03", end_time="10:30:00"),  # short
]


def outcome(p: Project) -> dict[str, Any]:
    """What the ledger keeps, the tabs show and volunteers receive — but the 同期 tab, whose
    rows differ by the damaged cycles, and staff mail (its digest names the damage)."""
    with Ledger.open(p.ledger_path) as ledger:
        state = ledger.load_state()
    volunteer = [m for m in p.emails() if m["X-Bansou-Kind"] not in STAFF_KINDS]
    staff_ids = {m["Message-ID"] for m in p.emails() if m["X-Bansou-Kind"] in STAFF_KINDS}
    return {
        "registrations": state.registrations,
        "applications": state.applications,
        "clients": state.clients,
        "counters": state.counters,
        "seen": state.seen,
        "tabs": {tab: p.tab(tab) for tab in ("伴走者", "申請", "支払", "統計")},
        "mail_tab": [r for r in p.tab("メール") if r["Message-ID"] not in staff_ids],
        "mails": sorted(
            (str(m["X-Bansou-Kind"]), str(m["X-Bansou-Ref"]), str(m["To"]), body(m))
            for m in volunteer
        ),
    }


def clean_run(tmp_path: Path, *stages: tuple[str, list[dict[str, str]]]) -> dict[str, Any]:
    """The same programme on good input: each stage is (--now, the applications export)."""
    clean = fresh(tmp_path / "clean")
    clean.register(2)
    for now, rows in stages:
        clean.write_applications(rows)
        clean.once(now)
    return outcome(clean)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def refused(p: Project, now: str) -> str:
    """The cycle is refused: non-zero, one line on stderr, nothing recorded or sent."""
    result = p.once(now, check=False)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    [line] = lines(result.stderr)
    assert not p.eml_paths()
    with Ledger.open(p.ledger_path) as ledger:
        state = ledger.load_state()
    assert not state.registrations and not state.applications and not state.seen
    return line


def export_with_titles(p: Project, titles: dict[str, str], rows: list[dict[str, str]]) -> None:
    _export(p.root / "app.csv", titles, rows)


def sync_errors(p: Project) -> str:
    return " ".join(r["エラー"] for r in p.tab("同期"))


# --- 1. columns ---------------------------------------------------------------------------


def test_a_renamed_question_refuses_the_cycle_in_one_line_and_the_fixed_export_is_judged_as_new(
    project: Project, tmp_path: Path
) -> None:
    project.register(2)
    export_with_titles(project, {**APPLICATION_TITLES, "support_date": "実施日"}, GOOD)

    line = refused(project, T1)

    assert "支援実施日" in line and "support_date" in line
    assert line.index("支援実施日") < line.index("support_date")  # Japanese first
    project.write_applications(GOOD)
    project.once(T2)
    assert [r["判定"] for r in project.tab("申請")] == ["審査待ち", "審査待ち", "対象外"]
    assert outcome(project) == clean_run(tmp_path, (T2, GOOD))


def test_a_duplicated_header_refuses_the_cycle_naming_the_column(project: Project) -> None:
    project.register(2)
    project.write_applications(GOOD)
    text = (project.root / "app.csv").read_text("utf-8")
    header, rest = text.split("\n", 1)
    # a second 終了時刻 column: which one holds the answer cannot be known
    (project.root / "app.csv").write_text(
        header.replace(",支援の内容,", ",終了時刻,") + "\n" + rest, "utf-8"
    )

    line = refused(project, T1)

    assert "終了時刻" in line and "duplicated" in line


def test_the_registration_export_given_for_both_forms_is_refused_in_one_line(
    project: Project,
) -> None:
    project.register(2)
    project.write_config(source={"registrations": "reg.csv", "applications": "reg.csv"})

    line = refused(project, T1)

    assert "reg.csv" in line and "source.applications" in line


def test_a_registration_export_copied_as_the_applications_is_named_as_such(
    project: Project,
) -> None:
    project.register(2)
    (project.root / "app.csv").write_bytes((project.root / "reg.csv").read_bytes())

    line = refused(project, T1)

    assert "伴走ネット登録" in line and "支援実施日" in line


def test_check_config_and_doctor_name_the_missing_question(project: Project) -> None:
    export_with_titles(project, {**APPLICATION_TITLES, "support_date": "実施日"}, GOOD)

    checked = project.cli("check-config", "--config", str(project.config_path), check=False)
    doctor = project.cli("doctor", "--config", str(project.config_path), check=False)

    for result in (checked, doctor):
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert "支援実施日" in result.stdout + result.stderr


# --- 2. cut short, edits ------------------------------------------------------------------


def test_a_last_row_cut_inside_a_quoted_answer_is_held_and_judged_when_whole(
    project: Project, tmp_path: Path
) -> None:
    project.register(2)
    rows = [*GOOD, user(2, "2022/06/05 09:00:00", narrative="区役所で, 申請を手伝いました")]
    project.write_applications(rows)
    whole = (project.root / "app.csv").read_text("utf-8")
    (project.root / "app.csv").write_text(whole[: whole.index("申請を手伝い")], "utf-8")

    project.once(T1)

    assert len(project.tab("申請")) == 3  # the others are judged
    assert "5行目" in sync_errors(project) and "2022-06-05 09:00:00" in sync_errors(project)
    project.write_applications(rows)
    project.once(T2)
    assert project.app("A-000004")["判定"] == "審査待ち"
    assert outcome(project) == clean_run(tmp_path, (T1, GOOD), (T2, rows))


def test_a_last_row_cut_between_answers_is_held_not_judged_deficient(
    project: Project, tmp_path: Path
) -> None:
    project.register(2)
    rows = [*GOOD, user(2, "2022/06/05 09:00:00")]
    project.write_applications(rows)
    whole = (project.root / "app.csv").read_text("utf-8")
    (project.root / "app.csv").write_text(whole[: whole.rindex(",2022/06/01,")], "utf-8")

    project.once(T1)

    assert len(project.tab("申請")) == 3
    assert not [m for m in project.emails() if m["X-Bansou-Ref"] == "A-000004"]
    project.write_applications(rows)
    project.once(T2)
    assert outcome(project) == clean_run(tmp_path, (T1, GOOD), (T2, rows))


def test_an_answer_changed_under_the_same_response_id_is_an_edit_judged_again(
    project: Project,
) -> None:
    project.register(2)
    first = user(1, "2022/06/02 10:00:00", end_time="")
    project.write_applications([first])
    project.once(T1)
    assert project.app("A-000001")["判定"] == "不備・再回答待ち"
    project.new_volunteer_emails()

    project.write_applications([{**first, "end_time": "12:00:00"}])
    project.once(T2)

    assert [r["申請番号"] for r in project.tab("申請")] == ["A-000001"]
    assert project.app("A-000001")["判定"] == "審査待ち"
    assert kinds(project.new_volunteer_emails()) == ["application_received"]
    project.once("2022-06-11 12:10")  # the same export again: nothing new
    assert project.new_volunteer_emails() == []


# --- 3. characters ------------------------------------------------------------------------


def test_control_characters_and_an_oversized_answer_never_stop_intake(
    project: Project, tmp_path: Path
) -> None:
    project.register(2)
    damaged = [
        {**GOOD[0], "name": "伴走\x00 1郎", "narrative": "病院\x0bでの受診\x85に同行しました。"},
        {**GOOD[1], "narrative": "長い説明" * 40_000},  # 160,000 characters, over 128 KiB
        GOOD[2],
    ]
    project.write_applications(damaged)

    project.once(T1)

    assert [r["判定"] for r in project.tab("申請")] == ["審査待ち", "審査待ち", "対象外"]
    for row in project.tab("申請"):
        assert not any(CONTROLS.search(cell) for cell in row.values()), row
    for message in project.emails():
        assert not CONTROLS.search(message.as_string().replace("\r", "").replace("\t", ""))
    with Ledger.open(project.ledger_path) as ledger:
        long_one = ledger.load_state().applications["A-000002"].narrative
    assert long_one.endswith("[以下省略 / truncated]") and len(long_one) < 30_000
    errors = sync_errors(project)
    assert "A-000002" in errors and "2022-06-03 11:00:00#1" in errors  # names the row
    digest = body(project.emails_of("staff_digest")[-1])
    assert "A-000002" in digest

    repaired = [{**GOOD[0], "narrative": "病院での受診に同行しました。"}, GOOD[1], GOOD[2]]
    project.write_applications(repaired)
    project.once(T2)
    assert outcome(project) == clean_run(tmp_path, (T1, repaired), (T2, repaired))


def test_bytes_that_are_not_utf8_are_replaced_and_their_row_named(project: Project) -> None:
    project.register(2)
    project.write_applications(GOOD)
    data = (project.root / "app.csv").read_bytes()
    at = data.index("病院での受診".encode())
    (project.root / "app.csv").write_bytes(data[:at] + b"\xff" + data[at:])

    project.once(T1)

    assert len(project.tab("申請")) == 3
    assert "2行目" in sync_errors(project)
