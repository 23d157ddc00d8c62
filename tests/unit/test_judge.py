"""The rules of SPEC §2 and the outcome rule, through plan_cycle (incl. the §9 vectors)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from builders import Office, app, codes, d, kinds, members, reg

from bansou_sync.core.cycle import CyclePlan
from bansou_sync.core.model import Application, AppStatus, RawResponse, SupporterDesk
from bansou_sync.core.policy import Policy


def judged(
    raw: RawResponse, office: Office | None = None, now: str = "2022-07-31 12:00"
) -> tuple[Application, CyclePlan]:
    """The newest application after one cycle that reads ``raw`` (BN-0001…3 registered)."""
    office = office or members(3)
    office.applications.append(raw)
    plan = office.cycle(now)
    return max(office.state.applications.values(), key=lambda x: x.seq), plan


# --- §9 vectors --------------------------------------------------------------------


def test_application_on_the_last_evening_is_on_time() -> None:
    a, plan = judged(app("2022-06-25 23:59", "BN-0001", "2022-05-26"))
    assert a.status == AppStatus.PENDING_REVIEW
    assert kinds(plan.notices)[0] == "application_received"


def test_application_after_midnight_tokyo_time_is_late_though_utc_says_the_25th() -> None:
    utc = datetime(2022, 6, 25, 15, 30, tzinfo=UTC)
    a, plan = judged(app(utc, "BN-0001", "2022-05-26"))
    assert a.status == AppStatus.INELIGIBLE
    assert codes(a) == ["late_submission"]
    assert a.reasons[0].detail == "2022-06-25"
    assert "application_ineligible" in kinds(plan.notices)


def test_support_on_january_31st_may_be_applied_for_until_february_28th() -> None:
    a, _ = judged(app("2023-02-28 20:00", "BN-0001", "2023-01-31"), now="2023-03-01 08:00")
    assert a.status == AppStatus.PENDING_REVIEW


def test_support_on_january_31st_applied_for_on_march_1st_is_late() -> None:
    a, _ = judged(app("2023-03-01 09:00", "BN-0001", "2023-01-31"), now="2023-03-02 12:00")
    assert codes(a) == ["late_submission"]


def test_support_before_the_period_is_outside_it() -> None:
    a, _ = judged(app("2022-05-30 10:00", "BN-0001", "2022-05-24"))
    assert a.status == AppStatus.INELIGIBLE
    assert codes(a) == ["outside_period"]


def test_support_after_the_period_is_outside_it() -> None:
    a, _ = judged(app("2023-03-02 10:00", "BN-0001", "2023-03-01"), now="2023-03-03 12:00")
    assert codes(a) == ["outside_period"]


def test_fifty_nine_minutes_is_too_short() -> None:
    a, _ = judged(app("2022-07-01 18:00", "BN-0001", "2022-07-01", "10:00", "10:59"))
    assert a.status == AppStatus.INELIGIBLE
    assert codes(a) == ["too_short"]


def test_exactly_one_hour_is_enough() -> None:
    a, _ = judged(app("2022-07-01 18:00", "BN-0001", "2022-07-01", "10:00", "11:00"))
    assert a.status == AppStatus.PENDING_REVIEW
    assert (a.minutes, a.honorarium) == (60, 6000)


def test_179_minutes_pays_6000_yen() -> None:
    a, _ = judged(app("2022-07-01 18:00", "BN-0001", "2022-07-01", "10:00", "12:59"))
    assert (a.minutes, a.honorarium) == (179, 6000)


def test_180_minutes_pays_10000_yen() -> None:
    a, _ = judged(app("2022-07-01 18:00", "BN-0001", "2022-07-01", "10:00", "13:00"))
    assert (a.minutes, a.honorarium) == (180, 10000)


def test_late_and_missing_end_time_is_ineligible_for_lateness_only() -> None:
    a, plan = judged(app("2022-06-27 10:00", "BN-0001", "2022-05-26", end=""))
    assert a.status == AppStatus.INELIGIBLE
    assert codes(a) == ["late_submission"]
    assert kinds(plan.notices)[0] == "application_ineligible"


# --- every deficiency code ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"supporter_id": ""}, "missing:supporter_id"),
        ({"name": ""}, "missing:name"),
        ({"email": ""}, "missing:email"),
        ({"support_date": ""}, "missing:support_date"),
        ({"start_time": ""}, "missing:start_time"),
        ({"end_time": ""}, "missing:end_time"),
        ({"topics": ()}, "missing:topics"),
        ({"consent": ""}, "no_consent"),
        ({"client_initials": ""}, "missing:client_initials"),
        ({"client_birth_year": ""}, "missing:client_birth_year"),
        ({"client_nationality": ""}, "missing:client_nationality"),
        ({"supporter_id": "伴走ネット"}, "unreadable:supporter_id"),
        ({"email": "s1 at example"}, "unreadable:email"),
        ({"support_date": "7月1日"}, "unreadable:support_date"),
        ({"start_time": "10"}, "unreadable:start_time"),
        ({"end_time": "お昼"}, "unreadable:end_time"),
        ({"client_birth_year": "90"}, "unreadable:client_birth_year"),
        ({"client_code": "お客様1"}, "unreadable:client_code"),
        ({"companion_id": "友人"}, "unreadable:companion_id"),
        ({"resubmission_of": "前回のもの"}, "unreadable:resubmission_of"),
        ({"start_time": "12:00", "end_time": "10:00"}, "time_order"),
        ({"companion_id": "BN-0099"}, "unknown_companion"),
        ({"client_code": "C-0009"}, "unknown_client"),
        ({"supporter_id": "BN-0042", "email": "s42@example.com"}, "unknown_supporter"),
        ({"email": "other@example.com"}, "email_mismatch"),
        ({"support_date": "2022-07-02"}, "future_date"),
    ],
)
def test_each_fixable_problem_makes_the_application_deficient(
    changes: dict[str, object], expected: str
) -> None:
    raw = app("2022-07-01 18:00", "BN-0001", "2022-07-01")
    a, plan = judged(replace(raw, answers={**raw.answers, **changes}))
    assert a.status == AppStatus.DEFICIENT
    assert codes(a) == [expected]
    assert kinds(plan.notices)[0] == "application_deficient"


def test_deficiencies_are_all_listed_in_the_fixed_order() -> None:
    a, _ = judged(app("2022-07-01 18:00", "BN-0001", "2022-07-01", end="", consent="", email=""))
    assert codes(a) == ["missing:email", "missing:end_time", "no_consent"]


def test_a_known_companion_is_fine() -> None:
    a, _ = judged(app("2022-07-01 18:00", "BN-0001", "2022-07-01", companion_id="bn2"))
    assert a.status == AppStatus.PENDING_REVIEW
    assert a.companion_id == "BN-0002"


def test_messy_answers_that_are_unambiguous_are_read() -> None:
    raw = app(
        "2022-07-01 18:00",
        "ＢＮ－０００１",
        "令和4年7月1日",
        "10時半",
        "１２：３０",
        email=" S1＠Example.com ",
    )
    a, _ = judged(raw)
    assert a.status == AppStatus.PENDING_REVIEW
    assert (a.supporter_id, a.support_date, a.minutes) == ("BN-0001", d("2022-07-01"), 120)


# --- P6 ------------------------------------------------------------------------------


def _office_with(membership: str, referrer: str = "") -> Office:
    office = Office()
    office.registrations.append(
        reg("2022-05-20 10:00", "伴走 1号", "s1@example.com", membership, referrer=referrer)
    )
    office.cycle("2022-05-20 10:00")
    return office


def test_a_member_introduced_by_a_named_member_may_apply() -> None:
    a, _ = judged(
        app("2022-07-01 18:00", "BN-0001", "2022-07-01"), _office_with("会員の紹介", "山田")
    )
    assert a.status == AppStatus.PENDING_REVIEW


def test_an_introduction_without_a_referrer_is_not_enough() -> None:
    a, _ = judged(app("2022-07-01 18:00", "BN-0001", "2022-07-01"), _office_with("会員の紹介"))
    assert codes(a) == ["not_member_or_referred"]


def test_neither_member_nor_referred_is_ineligible() -> None:
    a, _ = judged(app("2022-07-01 18:00", "BN-0001", "2022-07-01"), _office_with("どちらでもない"))
    assert a.status == AppStatus.INELIGIBLE
    assert codes(a) == ["not_member_or_referred"]


def test_email_is_compared_without_regard_to_case() -> None:
    raw = app("2022-07-01 18:00", "BN-0001", "2022-07-01", email="S1@EXAMPLE.COM")
    a, _ = judged(raw)
    assert a.status == AppStatus.PENDING_REVIEW


def test_the_contact_correction_counts_as_the_registered_email() -> None:
    office = members(1)
    office.desks["BN-0001"] = SupporterDesk(contact_correction="new@example.com")
    raw = app("2022-07-01 18:00", "BN-0001", "2022-07-01", email="new@example.com")
    a, plan = judged(raw, office)
    assert a.status == AppStatus.PENDING_REVIEW
    assert plan.notices[0].to == ("new@example.com",)


def test_the_original_email_still_matches_after_a_contact_correction() -> None:
    office = members(1)
    office.desks["BN-0001"] = SupporterDesk(contact_correction="new@example.com")
    a, _ = judged(app("2022-07-01 18:00", "BN-0001", "2022-07-01"), office)
    assert a.status == AppStatus.PENDING_REVIEW


def test_a_duplicate_registrations_email_does_not_make_an_unknown_id_valid() -> None:
    a, _ = judged(app("2022-07-01 18:00", "BN-0004", "2022-07-01"))
    assert codes(a) == ["unknown_supporter"]


def test_application_email_goes_to_the_registered_address_when_the_id_is_known() -> None:
    raw = app("2022-07-01 18:00", "BN-0001", "2022-07-01", email="typo@example.com")
    _, plan = judged(raw)
    assert plan.notices[0].to == ("s1@example.com",)


def test_application_email_goes_to_the_typed_address_when_the_id_is_unknown() -> None:
    raw = app("2022-07-01 18:00", "BN-0077", "2022-07-01", email="who@example.com")
    _, plan = judged(raw)
    assert plan.notices[0].to == ("who@example.com",)


# --- P8 intake date and P13 -----------------------------------------------------------


def test_applications_after_intake_closes_are_refused() -> None:
    office = members(1, Policy(intake_closes_on=d("2022-07-10")))
    a, _ = judged(app("2022-07-11 09:00", "BN-0001", "2022-07-01"), office)
    assert codes(a) == ["intake_closed"]
    b, _ = judged(app("2022-07-10 23:00", "BN-0001", "2022-07-02"), office)
    assert b.status == AppStatus.PENDING_REVIEW


def test_ineligible_codes_are_listed_together_without_deficiencies() -> None:
    raw = app("2022-06-27 10:00", "BN-0001", "2022-05-24", "10:00", "10:30", email="x@example.com")
    a, _ = judged(raw)
    assert codes(a) == ["outside_period", "late_submission", "too_short"]
