"""P9's reply window: one reminder at 09:00 on deadline−2, expiry after the deadline."""

from __future__ import annotations

from builders import Office, app, codes, kinds, members

from bansou_sync.core.model import AppStatus


def deficient_until_july_8th() -> Office:
    office = members(1)
    office.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-06-30", consent=""))
    office.cycle("2022-07-01 10:05")
    office.deliver("2022-07-01 10:06")  # deadline 2022-07-08
    return office


def volunteer_kinds(plan_notices: list) -> list[str]:  # type: ignore[type-arg]
    return [k for k in kinds(plan_notices) if k != "staff_digest"]


def test_the_reminder_goes_out_at_the_first_cycle_from_nine_on_deadline_minus_two() -> None:
    office = deficient_until_july_8th()
    assert volunteer_kinds(office.cycle("2022-07-06 08:59").notices) == []
    plan = office.cycle("2022-07-06 09:20")
    assert volunteer_kinds(plan.notices) == ["deficiency_reminder"]
    (reminder,) = [n for n in plan.notices if n.kind == "deficiency_reminder"]
    assert (reminder.ref, reminder.to, reminder.context["reply_deadline"]) == (
        "A-000001",
        ("s1@example.com",),
        "2022-07-08",
    )
    assert volunteer_kinds(office.cycle("2022-07-07 09:20").notices) == []


def test_no_reminder_while_the_notice_has_not_been_sent() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-06-30", consent=""))
    office.cycle("2022-07-01 10:05")
    assert volunteer_kinds(office.cycle("2022-07-20 10:00").notices) == []
    assert office.a("A-000001").status == AppStatus.DEFICIENT


def test_a_first_cycle_after_the_deadline_expires_without_a_reminder() -> None:
    office = deficient_until_july_8th()
    plan = office.cycle("2022-07-09 00:00")
    assert volunteer_kinds(plan.notices) == ["deficiency_expired"]
    assert office.a("A-000001").status == AppStatus.EXPIRED


def test_the_application_stays_open_until_the_end_of_the_deadline_day() -> None:
    office = deficient_until_july_8th()
    office.cycle("2022-07-08 23:59")
    assert office.a("A-000001").status == AppStatus.DEFICIENT
    plan = office.cycle("2022-07-09 00:01")
    a = office.a("A-000001")
    assert a.status == AppStatus.EXPIRED
    assert codes(a) == ["expired", "no_consent"]
    assert [n.event_key for n in plan.notices if n.kind == "deficiency_expired"] == [
        "expired:A-000001:0"
    ]
    assert volunteer_kinds(office.cycle("2022-07-10 10:00").notices) == []


def test_a_returned_application_gets_its_own_window_and_reminder() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-06-30"))
    office.cycle("2022-07-01 10:05")
    office.decide("A-000001", "差戻し", "領収書を添付してください")
    office.cycle("2022-07-02 10:00")
    office.deliver("2022-07-02 10:01")
    plan = office.cycle("2022-07-07 09:00")
    assert volunteer_kinds(plan.notices) == ["deficiency_reminder"]
    assert plan.notices[0].event_key == "reminder:A-000001:1"
