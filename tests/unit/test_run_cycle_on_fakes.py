"""``run_cycle`` on fakes: an in-memory ledger, a recording mailer, an in-memory source
and a local sheet in the test's folder (``fakes.fake_services``). Each test reads as
what the secretariat sees: a response comes in, a cycle runs, mail goes out, the sheet
and the ledger say what happened."""

from __future__ import annotations

from pathlib import Path

from builders import app, at, member
from fakes import Fakes, fake_services, sheet_rows, staff_types

from bansou_sync.app.run_once import run_cycle
from bansou_sync.core.model import AppStatus
from bansou_sync.core.state import State

VOLUNTEER_KINDS = {"registration_confirmed", "application_received", "application_deficient"}


def registered(tmp_path: Path) -> Fakes:
    """BN-0001 registered in a first cycle, its confirmation sent."""
    fakes = fake_services(tmp_path)
    fakes.source.add(member(1))
    run_cycle(fakes.services, at("2022-07-01 10:00"))
    return fakes


def test_a_new_registration_gets_its_id_and_its_email_is_queued_and_sent(
    tmp_path: Path,
) -> None:
    fakes = fake_services(tmp_path)
    fakes.source.add(member(1))

    summary = run_cycle(fakes.services, at("2022-07-01 10:00"))

    (registration,) = fakes.ledger.load_state().registrations.values()
    assert registration.supporter_id == "BN-0001"
    assert summary.new_registrations == 1
    (item,) = fakes.ledger.outbox_items()
    assert (item.kind, item.to, item.status) == (
        "registration_confirmed",
        ("s1@example.com",),
        "sent",
    )
    (message,) = fakes.mailer.sent
    assert message["To"] == "s1@example.com" and message["Message-ID"] == item.message_id
    assert "BN-0001" in str(message.get_body(preferencelist=("plain",)))
    assert [row["伴走ネットID"] for row in sheet_rows(fakes.sheet, "伴走者")] == ["BN-0001"]
    assert fakes.ledger.cycles()[0]["new_registrations"] == 1


def test_an_application_with_a_deficiency_gets_its_notice(tmp_path: Path) -> None:
    fakes = registered(tmp_path)
    fakes.source.add(app("2022-07-02 09:00", "BN-0001", "2022-07-01", end=""))

    summary = run_cycle(fakes.services, at("2022-07-02 10:00"))

    (application,) = fakes.ledger.load_state().applications.values()
    assert application.status is AppStatus.DEFICIENT
    assert [r.code for r in application.reasons] == ["missing:end_time"]
    assert application.notice_sent_at == at("2022-07-02 10:00")  # the P9 clock starts
    assert summary.queued["application_deficient"] == 1
    (notice,) = [m for m in fakes.mailer.sent if m["X-Bansou-Kind"] == "application_deficient"]
    assert notice["To"] == "s1@example.com"
    (row,) = sheet_rows(fakes.sheet, "申請")
    assert (row["申請番号"], row["状態コード"], row["再回答期限"]) == (
        "A-000001",
        "deficient",
        "2022-07-09",
    )


def test_a_dry_run_commits_nothing_sends_nothing_and_writes_no_sheet(tmp_path: Path) -> None:
    fakes = fake_services(tmp_path)
    fakes.source.add(member(1), member(2))

    summary = run_cycle(fakes.services, at("2022-07-01 10:00"), dry_run=True)

    assert summary.new_registrations == 2  # what a real cycle would do
    assert summary.queued["registration_confirmed"] == 2
    assert fakes.ledger.load_state() == State()
    assert fakes.ledger.outbox_items() == []
    assert fakes.ledger.cycles() == []
    assert fakes.mailer.sent == []
    assert not fakes.sheet.path("伴走者").exists()


def test_a_second_identical_cycle_changes_nothing_and_sends_nothing(tmp_path: Path) -> None:
    fakes = registered(tmp_path)
    fakes.source.add(app("2022-07-02 09:00", "BN-0001", "2022-07-01"))
    run_cycle(fakes.services, at("2022-07-02 10:00"))
    state, outbox = fakes.ledger.load_state(), fakes.ledger.outbox_items()
    sent = len(fakes.mailer.sent)
    sheet = {tab: sheet_rows(fakes.sheet, tab) for tab in ("伴走者", "申請", "メール")}

    summary = run_cycle(fakes.services, at("2022-07-02 10:05"))

    assert (summary.new_registrations, summary.new_applications, summary.sent) == (0, 0, 0)
    assert sum(summary.queued.values()) == 0
    assert fakes.ledger.load_state() == state
    assert fakes.ledger.outbox_items() == outbox
    assert len(fakes.mailer.sent) == sent
    assert {tab: sheet_rows(fakes.sheet, tab) for tab in sheet} == sheet


def test_a_staff_acceptance_read_from_the_sheet_is_applied_and_announced(tmp_path: Path) -> None:
    fakes = registered(tmp_path)
    fakes.source.add(app("2022-07-02 09:00", "BN-0001", "2022-07-01"))
    run_cycle(fakes.services, at("2022-07-02 10:00"))
    assert fakes.ledger.load_state().applications["A-000001"].status is AppStatus.PENDING_REVIEW

    staff_types(fakes.sheet, "申請", ("申請番号", "A-000001"), 審査="承認")
    run_cycle(fakes.services, at("2022-07-03 10:00"))

    application = fakes.ledger.load_state().applications["A-000001"]
    assert application.status is AppStatus.ACCEPTED
    assert application.honorarium == 6000
    (accepted,) = [m for m in fakes.mailer.sent if m["X-Bansou-Kind"] == "application_accepted"]
    assert accepted["To"] == "s1@example.com"
    (row,) = sheet_rows(fakes.sheet, "申請")
    assert (row["状態コード"], row["審査"]) == ("accepted", "承認")  # staff's cell is kept
