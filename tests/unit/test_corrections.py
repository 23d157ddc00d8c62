"""Corrections staff make in the status sheet (issue 13 §1): membership confirmed on
伴走者, times and amount on 申請 with a reason; each re-judges and is kept with the value
it replaced."""

from __future__ import annotations

from builders import Office, app, codes, edit_of, kinds, members, reg

from bansou_sync.core.model import AppStatus, Notice, SupporterDesk


def to_volunteers(notices: list[Notice]) -> list[str]:
    return [k for k in kinds(notices) if k != "staff_digest"]


def test_a_member_who_ticked_neither_is_refused_until_staff_confirm_the_membership() -> None:
    office = Office()
    office.registrations.append(
        reg("2022-05-20 10:00", "伴走 太郎", "s1@example.com", "どちらでもない")
    )
    office.cycle("2022-05-20 10:30")
    office.applications.append(app("2022-06-02 09:00", "BN-0001", "2022-06-01"))
    office.cycle("2022-06-02 10:00")
    assert codes(office.a("A-000001")) == ["not_member_or_referred"]

    office.desks["BN-0001"] = SupporterDesk(membership_check="会員")
    plan = office.cycle("2022-06-03 10:00")

    assert office.a("A-000001").status == AppStatus.PENDING_REVIEW
    assert to_volunteers(plan.notices) == ["application_received"]
    registration = next(iter(office.state.registrations.values()))
    assert registration.membership == "会員"
    (fix,) = registration.corrections
    assert (fix.field, fix.previous, fix.value) == ("会員区分(確認)", "どちらでもない", "会員")
    assert to_volunteers(office.cycle("2022-06-04 10:00").notices) == []  # acted on once


def test_a_membership_check_that_is_none_of_the_three_is_reported_not_applied() -> None:
    office = members(1)
    office.desks["BN-0001"] = SupporterDesk(membership_check="たぶん会員")
    plan = office.cycle("2022-05-21 10:00")
    assert any("会員区分(確認)" in p and "反映していません" in p for p in plan.problems)
    assert next(iter(office.state.registrations.values())).corrections == ()


def test_times_sent_by_email_re_judge_a_too_short_application_and_keep_the_old_times() -> None:
    office = members(1)
    office.applications.append(app("2022-06-02 09:00", "BN-0001", "2022-06-01", "10:00", "10:30"))
    office.cycle("2022-06-02 10:00")
    assert codes(office.a("A-000001")) == ["too_short"]

    office.fixes["A-000001"] = ("", "13:15", "", "メールで終了時刻の訂正あり")
    plan = office.cycle("2022-06-03 10:00")

    fixed = office.a("A-000001")
    assert (fixed.status, fixed.minutes, fixed.honorarium) == (AppStatus.PENDING_REVIEW, 195, 10000)
    assert (fixed.start_time, fixed.end_time) == ("10:00", "13:15")
    (fix,) = fixed.corrections
    assert (fix.field, fix.previous, fix.value, fix.reason) == (
        "終了時刻(訂正)",
        "10:30",
        "13:15",
        "メールで終了時刻の訂正あり",
    )
    assert to_volunteers(plan.notices) == ["application_received"]
    assert (
        to_volunteers(office.cycle("2022-06-04 10:00").notices) == []
    )  # left in the cell: nothing more


def test_a_correction_without_a_reason_is_reported_in_sync_and_not_applied() -> None:
    office = members(1)
    office.applications.append(app("2022-06-02 09:00", "BN-0001", "2022-06-01", "10:00", "10:30"))
    office.cycle("2022-06-02 10:00")

    office.fixes["A-000001"] = ("", "13:15", "", "")
    plan = office.cycle("2022-06-03 10:00")

    assert office.a("A-000001").status == AppStatus.INELIGIBLE
    assert office.a("A-000001").corrections == ()
    assert any("訂正理由が空欄" in p for p in plan.problems)
    assert not any("訂正理由" in p for p in office.cycle("2022-06-04 10:00").problems)

    office.fixes["A-000001"] = ("", "13:15", "", "本人からのメール")
    office.cycle("2022-06-05 10:00")
    assert office.a("A-000001").status == AppStatus.PENDING_REVIEW


def test_an_amount_correction_on_an_accepted_application_replaces_the_honorarium() -> None:
    office = members(1)
    office.applications.append(app("2022-06-02 09:00", "BN-0001", "2022-06-01"))
    office.cycle("2022-06-02 10:00")
    office.decide("A-000001", "承認")
    office.cycle("2022-06-03 10:00")
    assert office.a("A-000001").honorarium == 6000

    office.fixes["A-000001"] = ("", "", "１０，０００円", "実施時間の報告漏れ(メール)")
    office.cycle("2022-06-04 10:00")

    fixed = office.a("A-000001")
    assert (fixed.status, fixed.honorarium) == (AppStatus.ACCEPTED, 10000)
    assert [(c.field, c.previous, c.value) for c in fixed.corrections] == [
        ("謝金額(訂正)", "6000", "10000")
    ]


def test_an_amount_that_is_not_a_number_of_yen_is_reported() -> None:
    office = members(1)
    office.applications.append(app("2022-06-02 09:00", "BN-0001", "2022-06-01"))
    office.cycle("2022-06-02 10:00")
    office.fixes["A-000001"] = ("", "", "六千円", "メール")
    plan = office.cycle("2022-06-03 10:00")
    assert any("謝金額(訂正)を金額(円)として読めません" in p for p in plan.problems)
    assert office.a("A-000001").honorarium == 6000


def test_a_row_not_read_is_not_an_emptied_correction_and_nothing_is_applied_twice() -> None:
    office = members(1)
    office.applications.append(app("2022-06-02 09:00", "BN-0001", "2022-06-01", "10:00", "10:30"))
    office.cycle("2022-06-02 10:00")
    office.fixes["A-000001"] = ("", "12:00", "", "メールで訂正")
    office.cycle("2022-06-03 10:00")

    typed = office.fixes.pop("A-000001")  # the row is not read in this cycle
    office.cycle("2022-06-04 10:00")
    office.fixes["A-000001"] = typed  # read again, as it was
    office.cycle("2022-06-05 10:00")

    assert len(office.a("A-000001").corrections) == 1


def test_a_confirmed_membership_survives_an_edit_of_the_registration_response() -> None:
    office = Office()
    first = reg("2022-05-20 10:00", "伴走 太郎", "s1@example.com", "どちらでもない")
    office.registrations.append(first)
    office.cycle("2022-05-20 10:30")
    office.desks["BN-0001"] = SupporterDesk(membership_check="会員")
    office.cycle("2022-05-21 07:00")

    office.registrations[0] = edit_of(first, "2022-05-22 09:00", phone="090-1111-2222")
    office.cycle("2022-05-22 10:00")

    (registration,) = office.state.registrations.values()
    assert registration.membership == "会員" and registration.phone_digits == "09011112222"
    assert len(registration.corrections) == 1
