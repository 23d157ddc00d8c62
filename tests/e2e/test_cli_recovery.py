"""A lost ledger is rebuilt from the status sheet: same numbers, same statuses, the
staff's decisions not applied twice, and no email sent twice (SPEC §7)."""

from __future__ import annotations

from pathlib import Path

from .conftest import Project, application

TABS = ("伴走者", "申請", "支払", "メール", "統計")


def person(i: int) -> dict[str, str]:
    return {"supporter_id": f"BN-{i:04d}", "name": f"伴走 {i}郎", "email": f"user{i}@example.com"}


def programme(project: Project) -> None:
    """Accepted, held, deficient, ineligible and pending applications over four cycles."""
    project.register(4)
    project.write_applications(
        [
            application(
                "2022/07/01 9:00:00", **person(1), support_date="2022/06/30", client_initials="AA"
            ),
            application(
                "2022/07/01 9:10:00",
                **person(2),
                support_date="2022/06/30",
                client_initials="BB",
                end_time="",
            ),
            application(
                "2022/07/01 9:20:00", **person(3), support_date="2022/05/26", client_initials="CC"
            ),
            application(
                "2022/07/02 9:00:00", **person(4), support_date="2022/07/01", client_initials="DD"
            ),
        ]
    )
    project.once("2022-07-02 12:00")
    project.review("A-000001", "承認")
    project.review("A-000004", "承認")
    project.tick("BN-0004")
    project.once("2022-07-15 12:00")
    project.add_applications(
        application(
            "2022/07/16 9:00:00", **person(3), support_date="2022/07/15", client_initials="EE"
        ),
    )
    project.once("2022-07-21 12:00")  # BN-0001 has no documents: held; BN-0004 scheduled


def snapshot(project: Project) -> dict[str, list[dict[str, str]]]:
    return {tab: project.tab(tab) for tab in TABS}


def test_a_rebuilt_ledger_reproduces_every_tab_and_sends_nothing(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config()
    programme(project)
    before = snapshot(project)
    emails_before = len(project.eml_paths())
    assert project.app("A-000001")["理由"].startswith("payment_held")

    project.ledger_path.unlink()
    project.once("2022-07-21 12:30")

    assert snapshot(project) == before
    assert len(project.eml_paths()) == emails_before
    sync = project.tab("同期")[0]
    assert "復旧" in sync["エラー"]
    assert (sync["新規登録"], sync["新規申請"], sync["送信メール"]) == ("0", "0", "0")


def test_after_a_rebuild_new_work_gets_new_numbers_and_old_decisions_stay_done(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.write_config()
    programme(project)
    project.ledger_path.unlink()
    project.once("2022-07-21 12:30")

    project.add_registrations()
    project.add_applications(
        application(
            "2022/07/22 9:00:00", **person(2), support_date="2022/07/20", client_initials="FF"
        ),
    )
    project.once("2022-07-22 12:00")

    assert project.app("A-000006")["状態コード"] == "pending_review"
    accepted = project.emails_of("application_accepted")
    assert len(accepted) == 2, "承認 already acted on is not acted on again"


def test_recover_sets_a_damaged_ledger_aside_and_rebuilds_it(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config()
    programme(project)
    before = snapshot(project)
    for suffix in ("-wal", "-shm"):
        side = project.ledger_path.with_name(project.ledger_path.name + suffix)
        if side.exists():
            side.unlink()
    project.ledger_path.write_bytes(b"this is not a database" * 100)

    broken = project.once("2022-07-21 12:30", check=False)
    assert broken.returncode != 0
    assert "recover" in broken.stderr and "Traceback" not in broken.stderr

    project.cli("recover", "--config", str(project.config_path), "--now", "2022-07-21 12:30")
    assert snapshot(project) == before
    assert list(project.ledger_path.parent.glob("ledger.sqlite3.corrupt-*"))
