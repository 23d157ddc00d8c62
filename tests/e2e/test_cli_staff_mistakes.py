"""Staff mistakes in the status sheet (issue 10 §4), through the real CLI on the embedded
default: a key in several rows, tick marks the daemon does not know, bidi controls.

Each case ends with the mistake repaired and compares the project with one that never
had it (``same_outcome``): nothing lost, nothing sent twice.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from .conftest import Project, application, body, kinds, registration

USER1 = {"supporter_id": "BN-0001", "name": "伴走 1郎", "email": "user1@example.com"}
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
TABS = ("伴走者", "申請", "支払", "統計")


def accepted_programme(project: Project) -> None:
    """BN-0001 with one application, accepted on 2022-07-06 (paid 8/10 after 7/20)."""
    project.register(1)
    project.write_applications(
        [application("2022/07/02 9:00:00", **USER1, support_date="2022/07/01")]
    )
    project.once("2022-07-05 12:00")
    project.review("A-000001", "承認")
    project.once("2022-07-06 12:00")


def copy_row_above(project: Project, tab: str, column: str, key: str, **cells: str) -> None:
    """Staff copy a row, change the copy and sort it above the original."""
    rows = project.tab(tab)
    (original,) = [r for r in rows if r[column] == key]
    project.write_tab(tab, [{**original, **cells}, *rows])


def drop_first_row_of(project: Project, tab: str, column: str, key: str) -> None:
    rows = project.tab(tab)
    first = next(i for i, r in enumerate(rows) if r[column] == key)
    project.write_tab(tab, rows[:first] + rows[first + 1 :])


def sync_errors(project: Project) -> str:
    return project.tab("同期")[0]["エラー"]


def volunteer_mail(project: Project) -> list[tuple[str, str, str]]:
    return sorted(
        (str(m["X-Bansou-Kind"]), str(m["X-Bansou-Ref"]), str(m["Message-ID"]))
        for m in project.emails()
        if m["X-Bansou-Kind"] != "staff_digest"
    )


def same_outcome(project: Project, clean: Project) -> None:
    """The repaired project holds what the one without the mistake holds."""
    for tab in TABS:
        assert project.tab(tab) == clean.tab(tab), tab
    assert volunteer_mail(project) == volunteer_mail(clean)
    status = [
        p.cli("status", "--config", str(p.config_path), "--now", "2022-08-31 12:00").stdout
        for p in (project, clean)
    ]
    assert status[0] == status[1]


def clean_project(tmp_path: Path) -> Project:
    clean = Project(tmp_path / "clean")
    clean.root.mkdir()
    clean.write_config()
    clean.write_registrations([])
    clean.write_applications([])
    return clean


def digest_of(project: Project) -> EmailMessage:
    return project.emails_of("staff_digest")[-1]


# --- one key in several rows ---------------------------------------------------------


def test_a_copied_application_row_sorted_above_with_another_decision_rejects_nothing(
    project: Project, tmp_path: Path
) -> None:
    accepted_programme(project)
    assert project.app("A-000001")["状態コード"] == "accepted"
    project.new_emails()

    copy_row_above(project, "申請", "申請番号", "A-000001", 審査="却下")
    project.once("2022-07-07 12:00")

    rows = [r for r in project.tab("申請") if r["申請番号"] == "A-000001"]
    assert [r["状態コード"] for r in rows] == ["accepted", "accepted"]
    assert sorted(r["審査"] for r in rows) == ["却下", "承認"]  # both kept for staff
    assert kinds(project.new_volunteer_emails()) == []
    errors = sync_errors(project)
    assert "A-000001 が複数の行" in errors and "食い違って" in errors
    assert "2行目・3行目" in errors  # which rows, as the file numbers them
    assert "A-000001 が複数の行" in body(digest_of(project))

    drop_first_row_of(project, "申請", "申請番号", "A-000001")  # staff keep the 承認
    project.once("2022-07-08 12:00")
    assert project.app("A-000001")["状態コード"] == "accepted"
    assert "A-000001" not in sync_errors(project)
    assert kinds(project.new_volunteer_emails()) == []

    clean = clean_project(tmp_path)
    accepted_programme(clean)
    clean.once("2022-07-07 12:00")
    clean.once("2022-07-08 12:00")
    same_outcome(project, clean)


def test_a_conflicting_decision_is_applied_once_staff_leave_one_row(project: Project) -> None:
    project.register(1)
    project.write_applications(
        [application("2022/07/02 9:00:00", **USER1, support_date="2022/07/01")]
    )
    project.once("2022-07-05 12:00")
    project.review("A-000001", "承認")
    copy_row_above(project, "申請", "申請番号", "A-000001", 審査="却下")
    project.once("2022-07-06 12:00")
    assert {r["状態コード"] for r in project.tab("申請")} == {"pending_review"}
    assert "application_received" in kinds(project.new_volunteer_emails())

    drop_first_row_of(project, "申請", "申請番号", "A-000001")
    project.once("2022-07-07 12:00")
    assert project.app("A-000001")["状態コード"] == "accepted"
    assert kinds(project.new_volunteer_emails()) == ["application_accepted"]


def test_identical_copies_of_a_row_are_read_as_one(project: Project) -> None:
    project.register(1)
    project.write_applications(
        [application("2022/07/02 9:00:00", **USER1, support_date="2022/07/01")]
    )
    project.once("2022-07-05 12:00")
    project.review("A-000001", "承認")
    copy_row_above(project, "申請", "申請番号", "A-000001")
    project.once("2022-07-06 12:00")

    # the row bansou-sync keeps up to date says accepted (the copy is kept, as typed)
    assert project.tab("申請")[0]["状態コード"] == "accepted"
    assert "1行として扱います" in sync_errors(project)
    assert kinds(project.new_volunteer_emails()).count("application_accepted") == 1


def test_a_copied_supporter_row_without_the_ticks_does_not_hold_the_payment(
    project: Project, tmp_path: Path
) -> None:
    accepted_programme(project)
    project.tick("BN-0001")
    project.once("2022-07-07 12:00")
    project.new_emails()

    copy_row_above(project, "伴走者", "伴走ネットID", "BN-0001", 覚書受領="", 口座届出受領="")
    project.once("2022-07-21 12:00")  # after the 7/20 cutoff: the ticks decide the hold
    assert project.app("A-000001")["理由"] == ""
    assert project.app("A-000001")["支払予定日"] == "2022-08-10"
    assert kinds(project.new_volunteer_emails()) == []
    assert "BN-0001 が複数の行" in sync_errors(project)

    drop_first_row_of(project, "伴走者", "伴走ネットID", "BN-0001")
    project.once("2022-07-22 12:00")

    clean = clean_project(tmp_path)
    accepted_programme(clean)
    clean.tick("BN-0001")
    for now in ("2022-07-07 12:00", "2022-07-21 12:00", "2022-07-22 12:00"):
        clean.once(now)
    same_outcome(project, clean)


def test_a_copied_payment_row_with_another_paid_tick_pays_nothing_until_resolved(
    project: Project,
) -> None:
    accepted_programme(project)
    project.tick("BN-0001")
    project.once("2022-07-21 12:00")
    copy_row_above(project, "支払", "締め日", "2022-07-20", 支払済="TRUE")
    project.once("2022-08-10 12:00")
    assert project.app("A-000001")["状態コード"] == "accepted"
    assert "2022-07-20 BN-0001 が複数の行" in sync_errors(project)

    rows = project.tab("支払")
    project.write_tab("支払", [rows[0]])  # staff keep the ticked row
    project.once("2022-08-10 12:30")
    assert project.app("A-000001")["状態コード"] == "paid"


# --- tick marks not in SPEC's list -----------------------------------------------------


def test_tick_marks_not_understood_are_reported_by_row_and_column_and_not_applied(
    project: Project, tmp_path: Path
) -> None:
    accepted_programme(project)
    project.edit("伴走者", "伴走ネットID", "BN-0001", 覚書受領="✔", 口座届出受領="レ")
    project.once("2022-07-07 12:00")
    errors = sync_errors(project)
    assert "BN-0001: 覚書受領の「✔」はチェックとして読めません" in errors
    assert "BN-0001: 口座届出受領の「レ」はチェックとして読めません" in errors

    project.tick("BN-0001")  # understood: applied
    project.once("2022-07-08 12:00")
    project.edit("伴走者", "伴走ネットID", "BN-0001", 覚書受領="×")
    project.once("2022-07-21 12:00")  # "×" is not read as unticked: nothing is held
    assert "覚書受領の「×」" in sync_errors(project)
    assert project.app("A-000001")["支払予定日"] == "2022-08-10"
    assert "payment_held" not in kinds(project.emails())

    project.edit("支払", "締め日", "2022-07-20", 支払済="=TRUE()")
    project.once("2022-08-10 12:00")
    assert "支払済の「=TRUE()」" in sync_errors(project)
    assert project.app("A-000001")["状態コード"] == "accepted"
    assert "2022-07-20 BN-0001" in body(digest_of(project))

    project.edit("伴走者", "伴走ネットID", "BN-0001", 覚書受領="TRUE")
    project.edit("支払", "締め日", "2022-07-20", 支払済="")
    project.once("2022-08-10 12:30")
    assert "読めません" not in sync_errors(project)

    clean = clean_project(tmp_path)
    accepted_programme(clean)
    clean.once("2022-07-07 12:00")
    clean.tick("BN-0001")
    for now in ("2022-07-08 12:00", "2022-07-21 12:00", "2022-08-10 12:00", "2022-08-10 12:30"):
        clean.once(now)
    same_outcome(project, clean)


# --- bidirectional controls --------------------------------------------------------------


def test_no_bidi_control_reaches_any_cell_of_the_sheet(project: Project) -> None:
    project.write_registrations(
        [
            registration(
                "2022/05/20 9:00:00",
                f"伴走{BIDI} 1郎",
                "user1@example.com",
                membership="会員の紹介",
                referrer="紹介\u202e者",
            )
        ]
    )
    project.write_applications(
        [
            application(
                "2022/07/02 9:00:00",
                **{**USER1, "name": "伴走\u2067 1郎"},
                support_date="2022/07/01",
            )
        ]
    )
    project.once("2022-07-05 12:00")
    project.review("A-000001", "承認", memo="確認\u2067済")  # typed by staff: cleaned too
    project.once("2022-07-06 12:00")

    for path in project.status_dir.glob("*.csv"):
        text = path.read_bytes().decode("utf-8-sig")
        assert [c for c in text if c in BIDI] == [], path.name
    supporter = project.supporter("BN-0001")
    assert (supporter["氏名"], supporter["紹介者"]) == ("伴走 1郎", "紹介者")
    row = project.app("A-000001")
    assert (row["氏名"], row["審査メモ"], row["状態コード"]) == ("伴走 1郎", "確認済", "accepted")
