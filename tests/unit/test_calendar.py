from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bansou_sync.core.calendar import (
    JST,
    business_days_before,
    cutoff_for,
    is_business_day,
    pay_date_for_cutoff,
    previous_business_day,
    reminder_due,
    reply_deadline,
    reply_deadline_passed,
    schedule_payment,
    stamp,
    submission_deadline,
    to_jst,
)
from bansou_sync.core.policy import DEFAULT, Policy

D = date
CUTOFF_DAY, PAY_DAY, LAST_PAY_DATE = DEFAULT.cutoff_day, DEFAULT.pay_day, DEFAULT.last_pay_date
REPLY_DAYS, HOUR, DAYS_BEFORE = (
    DEFAULT.reply_days,
    DEFAULT.reminder_hour,
    DEFAULT.reminder_days_before,
)


def is_late(support: date, submitted_at: datetime) -> bool:
    """P2 as the judge applies it: the submission's JST date after the deadline."""
    return to_jst(submitted_at).date() > submission_deadline(support)


def submission_basis(last_pay_date: date | None = None) -> Policy:
    return replace(DEFAULT, cutoff_basis="submission", last_pay_date=last_pay_date)


def jst(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=JST)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


any_date = st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31))


# --- to_jst ------------------------------------------------------------------


def test_utc_1530_is_0030_jst_the_next_day() -> None:
    assert to_jst(utc(2022, 6, 25, 15, 30)) == jst(2022, 6, 26, 0, 30)
    assert to_jst(utc(2022, 6, 25, 15, 30)).date() == D(2022, 6, 26)


def test_naive_time_is_taken_as_jst_wall_time() -> None:
    result = to_jst(datetime(2022, 6, 25, 23, 59))
    assert result == jst(2022, 6, 25, 23, 59)
    assert result.tzinfo is JST


# Japan has kept +09:00 without summer time since 1952 (earlier: LMT and 1948–51 DST).
@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    )
)
def test_to_jst_keeps_the_instant_and_is_nine_hours_ahead_of_utc(dt: datetime) -> None:
    converted = to_jst(dt)
    assert converted == dt
    assert converted.utcoffset() == timedelta(hours=9)


# --- P2 submission deadline ----------------------------------------------------


@pytest.mark.parametrize(
    ("support", "deadline"),
    [
        (D(2022, 5, 26), D(2022, 6, 25)),  # the announcement's example
        (D(2023, 1, 31), D(2023, 2, 28)),  # no 2/31: last day of February
        (D(2023, 1, 29), D(2023, 2, 28)),  # no 2/29 in 2023
        (D(2023, 1, 28), D(2023, 2, 27)),
        (D(2024, 1, 29), D(2024, 2, 28)),  # leap year: 2/29 exists
        (D(2024, 1, 30), D(2024, 2, 29)),  # leap year: no 2/30
        (D(2024, 1, 31), D(2024, 2, 29)),
        (D(2022, 12, 15), D(2023, 1, 14)),  # across the year end
        (D(2022, 12, 31), D(2023, 1, 30)),
        (D(2022, 3, 31), D(2022, 4, 30)),  # no 4/31
        (D(2022, 8, 31), D(2022, 9, 30)),
        (D(2022, 5, 1), D(2022, 5, 31)),  # the day before 6/1 is in May
        (D(2023, 2, 28), D(2023, 3, 27)),
        (D(2024, 2, 29), D(2024, 3, 28)),
    ],
)
def test_submission_deadline_is_the_day_before_the_same_day_next_month(
    support: date, deadline: date
) -> None:
    assert submission_deadline(support) == deadline


def test_submission_at_2359_jst_on_the_25th_is_on_time() -> None:
    assert not is_late(D(2022, 5, 26), jst(2022, 6, 25, 23, 59))


def test_submission_at_0030_jst_on_the_26th_is_late() -> None:
    assert is_late(D(2022, 5, 26), jst(2022, 6, 26, 0, 30))


def test_submission_at_1530_utc_on_the_25th_is_late_because_it_is_the_26th_in_tokyo() -> None:
    assert is_late(D(2022, 5, 26), utc(2022, 6, 25, 15, 30))


def test_submission_at_1459_utc_on_the_25th_is_still_on_time() -> None:
    assert not is_late(D(2022, 5, 26), utc(2022, 6, 25, 14, 59))


def test_naive_csv_time_on_the_deadline_is_on_time() -> None:
    assert not is_late(D(2022, 5, 26), datetime(2022, 6, 25, 23, 59))


def test_support_on_jan_31_may_be_applied_for_until_feb_28() -> None:
    assert not is_late(D(2023, 1, 31), jst(2023, 2, 28, 12))
    assert is_late(D(2023, 1, 31), jst(2023, 3, 1, 0, 0))


def test_support_on_dec_15_may_be_applied_for_until_jan_14_next_year() -> None:
    assert not is_late(D(2022, 12, 15), jst(2023, 1, 14, 23, 59))
    assert is_late(D(2022, 12, 15), jst(2023, 1, 15))


def test_submission_on_the_support_day_itself_is_on_time() -> None:
    assert not is_late(D(2022, 7, 1), jst(2022, 7, 1, 20))


@given(any_date)
def test_deadline_is_always_27_to_30_days_after_the_support(support: date) -> None:
    assert 27 <= (submission_deadline(support) - support).days <= 30


@given(any_date)
def test_deadline_is_always_in_the_support_month_or_the_next(support: date) -> None:
    deadline = submission_deadline(support)
    months_later = (deadline.year - support.year) * 12 + deadline.month - support.month
    assert months_later in (0, 1)
    assert months_later == 0 or support.day != 1


@given(any_date)
def test_late_flips_exactly_at_midnight_jst_after_the_deadline(support: date) -> None:
    deadline = submission_deadline(support)
    last_minute = datetime.combine(deadline, time(23, 59, 59), JST)
    assert not is_late(support, last_minute)
    assert is_late(support, last_minute + timedelta(seconds=1))


# --- P9 reply window -----------------------------------------------------------


def test_reply_deadline_is_seven_days_after_the_notice_in_tokyo() -> None:
    assert reply_deadline(jst(2022, 7, 1, 10), REPLY_DAYS) == D(2022, 7, 8)


def test_reply_deadline_counts_from_the_jst_date_of_a_utc_notice_time() -> None:
    # 2022-07-01 15:30 UTC is already 7/2 in Tokyo.
    assert reply_deadline(utc(2022, 7, 1, 15, 30), REPLY_DAYS) == D(2022, 7, 9)


def test_reply_deadline_crosses_the_year_end() -> None:
    assert reply_deadline(jst(2022, 12, 28, 9), REPLY_DAYS) == D(2023, 1, 4)


def test_reply_deadline_has_not_passed_during_its_last_day() -> None:
    assert not reply_deadline_passed(D(2022, 7, 9), jst(2022, 7, 9, 23, 59))


def test_reply_deadline_has_passed_at_midnight_jst_after_it() -> None:
    assert reply_deadline_passed(D(2022, 7, 9), jst(2022, 7, 10, 0, 0))
    assert reply_deadline_passed(D(2022, 7, 9), utc(2022, 7, 9, 15, 0))
    assert not reply_deadline_passed(D(2022, 7, 9), utc(2022, 7, 9, 14, 59))


def test_reminder_is_not_due_before_0900_two_days_before_the_deadline() -> None:
    assert not reminder_due(D(2022, 7, 9), jst(2022, 7, 7, 8, 59), HOUR, DAYS_BEFORE)
    assert not reminder_due(D(2022, 7, 9), jst(2022, 7, 6, 23, 0), HOUR, DAYS_BEFORE)


def test_reminder_is_due_from_0900_jst_two_days_before_the_deadline() -> None:
    assert reminder_due(D(2022, 7, 9), jst(2022, 7, 7, 9, 0), HOUR, DAYS_BEFORE)
    assert reminder_due(D(2022, 7, 9), utc(2022, 7, 7, 0, 0), HOUR, DAYS_BEFORE)  # = 09:00 JST


def test_reminder_stays_due_until_the_deadline_passes() -> None:
    assert reminder_due(D(2022, 7, 9), jst(2022, 7, 9, 23, 59), HOUR, DAYS_BEFORE)
    assert not reminder_due(D(2022, 7, 9), jst(2022, 7, 10, 0, 0), HOUR, DAYS_BEFORE)


def test_reminder_hour_and_days_before_are_configurable() -> None:
    assert not reminder_due(D(2022, 7, 9), jst(2022, 7, 8, 9), hour=10, days_before=1)
    assert reminder_due(D(2022, 7, 9), jst(2022, 7, 8, 10), hour=10, days_before=1)


# --- business days ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2022, 7, 8), True),  # Friday
        (D(2022, 7, 9), False),  # Saturday
        (D(2022, 7, 10), False),  # Sunday
        (D(2022, 7, 18), False),  # 海の日
        (D(2022, 10, 10), False),  # スポーツの日
        (D(2023, 1, 2), False),  # 振替休日
        (D(2024, 12, 31), False),  # Tuesday, but banks are closed
        (D(2025, 1, 2), False),  # Thursday, bank holiday
        (D(2025, 1, 3), False),  # Friday, bank holiday
        (D(2025, 1, 6), True),  # Monday, banks open again
        (D(2024, 12, 30), True),  # Monday, last bank day of 2024
    ],
)
def test_business_days_exclude_weekends_national_and_bank_holidays(
    day: date, expected: bool
) -> None:
    assert is_business_day(day) is expected


def test_previous_business_day_of_a_business_day_is_itself() -> None:
    assert previous_business_day(D(2022, 8, 10)) == D(2022, 8, 10)


def test_previous_business_day_skips_a_holiday_and_a_weekend() -> None:
    assert previous_business_day(D(2022, 10, 10)) == D(2022, 10, 7)


def test_previous_business_day_skips_the_bank_new_year_holidays() -> None:
    assert previous_business_day(D(2025, 1, 3)) == D(2024, 12, 30)


def test_three_business_days_before_a_friday_is_the_tuesday() -> None:
    assert business_days_before(D(2022, 7, 8), 3) == D(2022, 7, 5)


def test_business_days_before_skips_holidays() -> None:
    # 2022-07-20 Wed; 7/18 海の日 and 7/16–17 the weekend are not counted.
    assert business_days_before(D(2022, 7, 20), 2) == D(2022, 7, 15)


def test_zero_business_days_before_a_date_is_the_date() -> None:
    assert business_days_before(D(2022, 7, 9), 0) == D(2022, 7, 9)


def test_negative_business_days_are_refused() -> None:
    with pytest.raises(ValueError):
        business_days_before(D(2022, 7, 8), -1)


@given(any_date)
def test_previous_business_day_is_the_closest_business_day_not_after(d: date) -> None:
    result = previous_business_day(d)
    assert result <= d
    assert is_business_day(result)
    days_between = (d - result).days
    assert not any(is_business_day(result + timedelta(days=i)) for i in range(1, days_between + 1))


@given(any_date, st.integers(min_value=0, max_value=15))
def test_business_days_before_leaves_exactly_n_business_days_between(d: date, n: int) -> None:
    start = business_days_before(d, n)
    span = [start + timedelta(days=i) for i in range((d - start).days)]
    assert sum(is_business_day(day) for day in span) == n
    assert n == 0 or is_business_day(start)


# --- P11 cutoffs and pay dates ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "cutoff"),
    [
        (D(2022, 6, 1), D(2022, 6, 20)),
        (D(2022, 6, 20), D(2022, 6, 20)),
        (D(2022, 6, 21), D(2022, 7, 20)),
        (D(2022, 12, 21), D(2023, 1, 20)),
        (D(2022, 12, 31), D(2023, 1, 20)),
    ],
)
def test_cutoff_is_the_20th_of_the_month_or_of_the_next_after_the_20th(
    day: date, cutoff: date
) -> None:
    assert cutoff_for(day, CUTOFF_DAY) == cutoff


def test_a_cutoff_day_past_the_month_end_means_the_last_day() -> None:
    assert cutoff_for(D(2023, 2, 10), 31) == D(2023, 2, 28)
    assert cutoff_for(D(2023, 3, 31), 31) == D(2023, 3, 31)


@pytest.mark.parametrize(
    ("accepted", "cutoff", "pay"),
    [
        (D(2022, 6, 20), D(2022, 6, 20), D(2022, 7, 8)),  # 7/10 is a Sunday
        (D(2022, 6, 21), D(2022, 7, 20), D(2022, 8, 10)),
        (D(2022, 9, 15), D(2022, 9, 20), D(2022, 10, 7)),  # スポーツの日 + weekend
        (D(2022, 7, 18), D(2022, 7, 20), D(2022, 8, 10)),
        (D(2022, 12, 20), D(2022, 12, 20), D(2023, 1, 10)),  # across the year end
    ],
)
def test_pay_date_follows_the_acceptance_date(accepted: date, cutoff: date, pay: date) -> None:
    assert schedule_payment(accepted, accepted, DEFAULT) == (cutoff, pay)


def test_pay_date_for_a_cutoff_is_the_10th_of_the_next_month() -> None:
    assert pay_date_for_cutoff(D(2022, 7, 20), PAY_DAY, LAST_PAY_DATE) == D(2022, 8, 10)


def test_pay_date_on_a_bank_new_year_holiday_moves_into_december() -> None:
    assert pay_date_for_cutoff(D(2024, 12, 20), 3, LAST_PAY_DATE) == D(2024, 12, 30)


def test_pay_date_after_the_last_pay_date_is_moved_to_it() -> None:
    last = D(2023, 3, 31)  # Friday
    assert pay_date_for_cutoff(D(2023, 2, 20), PAY_DAY, last) == D(2023, 3, 10)
    assert pay_date_for_cutoff(D(2023, 3, 20), PAY_DAY, last) == last


def test_a_last_pay_date_on_a_weekend_moves_back_to_a_business_day() -> None:
    saturday = D(2023, 4, 1)
    assert pay_date_for_cutoff(D(2023, 3, 20), PAY_DAY, saturday) == D(2023, 3, 31)


def test_submission_basis_uses_the_submission_cutoff_when_accepted_in_time() -> None:
    # Pay 7/8; three business days before it is 7/5.
    assert schedule_payment(D(2022, 7, 5), D(2022, 6, 15), submission_basis()) == (
        D(2022, 6, 20),
        D(2022, 7, 8),
    )


def test_submission_basis_moves_a_late_acceptance_to_the_next_batch() -> None:
    assert schedule_payment(D(2022, 7, 6), D(2022, 6, 15), submission_basis()) == (
        D(2022, 7, 20),
        D(2022, 8, 10),
    )


def test_submission_basis_keeps_moving_until_the_acceptance_fits() -> None:
    # 7/20 batch pays 8/10 (prepare by 8/5), too early; 8/20 batch pays 9/9 (by 9/6).
    assert schedule_payment(D(2022, 9, 1), D(2022, 6, 15), submission_basis()) == (
        D(2022, 8, 20),
        D(2022, 9, 9),
    )


def test_submission_basis_stops_at_the_last_pay_date() -> None:
    result = schedule_payment(
        D(2023, 3, 30), D(2023, 2, 15), submission_basis(last_pay_date=D(2023, 3, 31))
    )
    assert result == (D(2023, 3, 20), D(2023, 3, 31))


def test_acceptance_basis_ignores_the_submission_date() -> None:
    assert schedule_payment(D(2022, 7, 6), D(2022, 5, 30), DEFAULT) == (
        D(2022, 7, 20),
        D(2022, 8, 10),
    )


def test_an_unknown_cutoff_basis_is_refused() -> None:
    with pytest.raises(ValueError, match="cutoff basis"):
        schedule_payment(D(2022, 7, 6), D(2022, 6, 15), replace(DEFAULT, cutoff_basis="approval"))


@given(any_date)
def test_pay_dates_are_always_business_days_after_the_cutoff(accepted: date) -> None:
    cutoff, pay = schedule_payment(accepted, accepted, DEFAULT)
    assert is_business_day(pay)
    assert accepted <= cutoff < pay
    assert (pay - cutoff).days <= 21


@given(any_date, st.integers(min_value=0, max_value=120))
def test_submission_basis_always_leaves_time_to_prepare_the_transfer(
    submitted: date, delay: int
) -> None:
    accepted = submitted + timedelta(days=delay)
    cutoff, pay = schedule_payment(accepted, submitted, submission_basis())
    assert is_business_day(pay)
    assert cutoff >= cutoff_for(submitted, CUTOFF_DAY)
    assert accepted <= business_days_before(pay, 3)


# --- P12 held payments --------------------------------------------------------------


def test_held_example_is_released_into_the_august_batch_paid_on_friday_9_september() -> None:
    accepted = D(2022, 7, 18)
    cutoff, _ = schedule_payment(accepted, accepted, DEFAULT)
    assert cutoff == D(2022, 7, 20)
    released = cutoff_for(D(2022, 7, 25), CUTOFF_DAY)  # the ticks' day (core/payments)
    assert released == D(2022, 8, 20)
    assert pay_date_for_cutoff(released, PAY_DAY, LAST_PAY_DATE) == D(
        2022, 9, 9
    )  # 9/10 is a Saturday


def test_ticks_read_on_a_cutoff_day_join_that_days_batch() -> None:
    assert cutoff_for(D(2022, 8, 20), CUTOFF_DAY) == D(2022, 8, 20)


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from([None, JST, UTC, timezone(timedelta(hours=-5))]),
)
def test_a_stamp_is_strftimes_minute_text_for_any_year_and_zone(
    moment: datetime, zone: tzinfo | None
) -> None:
    when = moment.replace(tzinfo=zone)
    assert stamp(when) == to_jst(when).strftime("%Y-%m-%d %H:%M")


def test_a_stamp_of_no_moment_is_blank() -> None:
    assert stamp(None) == ""
