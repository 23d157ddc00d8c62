"""P9 resubmissions: which original a response supersedes, and how it is judged."""

from __future__ import annotations

from datetime import datetime

from builders import Office, app, codes, d, kinds, members

from bansou_sync.core.calendar import reply_deadline
from bansou_sync.core.model import AppStatus
from bansou_sync.core.policy import Policy
from bansou_sync.core.projection import application_rows
from bansou_sync.core.tabs import APPLICATIONS

DEADLINE_COL = APPLICATIONS.headers.index("再回答期限")


def deficient_on_the_last_day() -> Office:
    """A-000001 by BN-0001: support 5/26, filed 6/25 (the P2 deadline) without consent."""
    office = members(2)
    office.applications.append(app("2022-06-25 20:00", "BN-0001", "2022-05-26", consent=""))
    office.cycle("2022-06-25 21:00")
    return office


def test_the_reply_deadline_is_blank_until_the_notice_is_sent_then_seven_days_later() -> None:
    office = deficient_on_the_last_day()
    assert office.a("A-000001").status == AppStatus.DEFICIENT
    assert application_rows(office.state, office.policy)[0][DEADLINE_COL] == ""
    office.deliver("2022-06-26 00:10")
    assert reply_deadline(office.a("A-000001").reply_clock, office.policy.reply_days) == d(
        "2022-07-03"
    )
    assert application_rows(office.state, office.policy)[0][DEADLINE_COL] == "2022-07-03"


def test_a_resubmission_quoting_the_number_is_judged_by_the_original_submission_time() -> None:
    office = deficient_on_the_last_day()
    office.deliver("2022-06-25 21:05")
    office.applications.append(
        app("2022-06-28 10:00", "BN-0001", "2022-05-26", resubmission_of="a-1")
    )
    plan = office.cycle("2022-06-28 11:00")
    original, resub = office.a("A-000001"), office.a("A-000002")
    assert (resub.status, resub.resubmission_of) == (AppStatus.PENDING_REVIEW, "A-000001")
    assert (original.status, original.superseded_by) == (AppStatus.RESUBMITTED, "A-000002")
    assert kinds(plan.notices)[0] == "application_received"


def test_a_resubmission_by_the_same_supporter_for_the_same_occasion_needs_no_number() -> None:
    office = deficient_on_the_last_day()
    office.deliver("2022-06-25 21:05")
    office.applications.append(app("2022-06-28 10:00", "BN-0001", "2022-05-26"))
    office.cycle("2022-06-28 11:00")
    assert office.a("A-000002").status == AppStatus.PENDING_REVIEW
    assert office.a("A-000001").status == AppStatus.RESUBMITTED


def test_a_resubmission_is_not_a_duplicate_of_the_original_it_supersedes() -> None:
    office = deficient_on_the_last_day()
    office.deliver("2022-06-25 21:05")
    office.applications.append(
        app("2022-06-28 10:00", "BN-0001", "2022-05-26", resubmission_of="A-000001")
    )
    office.cycle("2022-06-28 11:00")
    assert "duplicate_application" not in codes(office.a("A-000002"))


def test_a_resubmission_quoting_an_unregistered_originals_number_supersedes_it() -> None:
    office = members(1)
    office.applications.append(
        app("2022-07-01 18:00", "BN-0009", "2022-07-01", email="s1@example.com")
    )
    office.cycle("2022-07-01 19:00")
    assert codes(office.a("A-000001")) == ["unknown_supporter"]
    office.deliver("2022-07-01 19:05")
    office.applications.append(
        app("2022-07-02 10:00", "BN-0001", "2022-07-01", resubmission_of="A-000001")
    )
    office.cycle("2022-07-02 11:00")
    assert office.a("A-000002").status == AppStatus.PENDING_REVIEW
    assert office.a("A-000001").status == AppStatus.RESUBMITTED


def test_quoting_another_registered_supporters_number_is_unreadable() -> None:
    office = deficient_on_the_last_day()
    office.deliver("2022-06-25 21:05")
    office.applications.append(
        app("2022-06-28 10:00", "BN-0002", "2022-06-01", resubmission_of="A-000001")
    )
    office.cycle("2022-06-28 11:00")
    assert codes(office.a("A-000002")) == ["unreadable:resubmission_of"]
    assert office.a("A-000001").status == AppStatus.DEFICIENT


def test_quoting_an_unknown_number_is_unreadable() -> None:
    office = members(1)
    office.applications.append(
        app("2022-07-01 18:00", "BN-0001", "2022-07-01", resubmission_of="A-000077")
    )
    office.cycle("2022-07-01 19:00")
    assert codes(office.a("A-000001")) == ["unreadable:resubmission_of"]


def test_quoting_an_application_that_is_not_deficient_makes_an_ordinary_new_one() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 18:00", "BN-0001", "2022-07-01"))
    office.cycle("2022-07-01 19:00")
    office.applications.append(
        app("2022-07-02 10:00", "BN-0001", "2022-07-02", resubmission_of="A-000001")
    )
    office.cycle("2022-07-02 11:00")
    new = office.a("A-000002")
    assert (new.status, new.resubmission_of) == (AppStatus.PENDING_REVIEW, None)
    assert office.a("A-000001").status == AppStatus.PENDING_REVIEW


def test_a_resubmission_after_the_reply_deadline_is_judged_on_its_own_time() -> None:
    office = deficient_on_the_last_day()
    office.deliver("2022-06-25 21:05")
    office.cycle("2022-07-03 09:00")
    assert office.a("A-000001").status == AppStatus.EXPIRED
    office.applications.append(
        app("2022-07-04 10:00", "BN-0001", "2022-05-26", resubmission_of="A-000001")
    )
    office.cycle("2022-07-04 11:00")
    assert codes(office.a("A-000002")) == ["late_submission"]
    assert office.a("A-000002").resubmission_of is None


def test_a_resubmission_read_late_but_sent_in_time_still_supersedes() -> None:
    office = deficient_on_the_last_day()
    office.deliver("2022-06-25 21:05")
    office.applications.append(
        app("2022-07-02 23:50", "BN-0001", "2022-05-26", resubmission_of="A-000001")
    )
    office.cycle("2022-07-03 09:00")
    assert office.a("A-000002").status == AppStatus.PENDING_REVIEW
    assert office.a("A-000001").status == AppStatus.RESUBMITTED


def test_a_resubmission_that_is_still_deficient_opens_a_new_window() -> None:
    office = deficient_on_the_last_day()
    office.deliver("2022-06-25 21:05")
    office.applications.append(
        app("2022-06-28 10:00", "BN-0001", "2022-05-26", end="", resubmission_of="A-000001")
    )
    office.cycle("2022-06-28 11:00")
    resub = office.a("A-000002")
    assert (resub.status, codes(resub)) == (AppStatus.DEFICIENT, ["missing:end_time"])
    assert resub.effective_submitted_at == office.a("A-000001").submitted_at
    office.deliver("2022-06-28 11:05")
    office.applications.append(
        app("2022-07-01 10:00", "BN-0001", "2022-05-26", resubmission_of="A-000002")
    )
    office.cycle("2022-07-01 11:00")
    assert office.a("A-000003").status == AppStatus.PENDING_REVIEW
    assert office.a("A-000002").status == AppStatus.RESUBMITTED


def test_with_muted_notices_the_clock_starts_when_the_application_is_judged() -> None:
    cutover = datetime.fromisoformat("2022-07-01T00:00:00+09:00")
    office = members(1, Policy(notify_after=cutover))
    office.applications.append(app("2022-06-20 10:00", "BN-0001", "2022-06-19", consent=""))
    plan = office.cycle("2022-06-22 10:00")
    a = office.a("A-000001")
    assert a.status == AppStatus.DEFICIENT
    assert [n for n in plan.notices if n.ref == "A-000001"] == []
    assert reply_deadline(a.reply_clock, office.policy.reply_days) == d("2022-06-29")
    later = office.cycle("2022-06-30 10:00")
    assert office.a("A-000001").status == AppStatus.EXPIRED
    assert [n for n in later.notices if n.ref == "A-000001"] == []


def test_a_resubmission_after_the_deadline_read_before_any_expiry_cycle_is_judged_the_same() -> (
    None
):
    office = deficient_on_the_last_day()
    office.deliver("2022-06-25 21:05")
    office.applications.append(
        app("2022-07-04 10:00", "BN-0001", "2022-05-26", resubmission_of="A-000001")
    )
    plan = office.cycle("2022-07-04 11:00")
    assert office.a("A-000001").status == AppStatus.EXPIRED
    assert codes(office.a("A-000002")) == ["late_submission"]
    assert kinds(plan.notices)[:2] == ["deficiency_expired", "application_ineligible"]
