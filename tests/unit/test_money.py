from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bansou_sync.core.money import accepted_amount, honorarium, minutes_between, yen
from bansou_sync.core.policy import DEFAULT


def test_ten_to_ten_fifty_nine_is_59_minutes_and_too_short_to_pay() -> None:
    minutes = minutes_between(time(10, 0), time(10, 59))
    assert minutes == 59
    assert honorarium(minutes, DEFAULT) is None


def test_exactly_one_hour_is_paid_6000_yen() -> None:
    assert honorarium(minutes_between(time(10, 0), time(11, 0)), DEFAULT) == 6000


def test_ten_to_twelve_fifty_nine_is_179_minutes_and_paid_6000_yen() -> None:
    minutes = minutes_between(time(10, 0), time(12, 59))
    assert minutes == 179
    assert honorarium(minutes, DEFAULT) == 6000


def test_ten_to_thirteen_is_180_minutes_and_paid_10000_yen() -> None:
    minutes = minutes_between(time(10, 0), time(13, 0))
    assert minutes == 180
    assert honorarium(minutes, DEFAULT) == 10000


def test_a_long_day_is_still_10000_yen() -> None:
    assert honorarium(minutes_between(time(8, 0), time(20, 0)), DEFAULT) == 10000


def test_no_duration_means_no_honorarium_by_the_rules() -> None:
    assert honorarium(None, DEFAULT) is None


def test_amounts_and_thresholds_are_configurable() -> None:
    assert honorarium(30, replace(DEFAULT, short_yen=3000, min_minutes=30)) == 3000
    assert honorarium(120, replace(DEFAULT, long_yen=8000, long_from_minutes=120)) == 8000


def test_end_before_start_has_no_duration() -> None:
    assert minutes_between(time(13, 0), time(10, 0)) is None


def test_end_equal_to_start_has_no_duration() -> None:
    assert minutes_between(time(10, 0), time(10, 0)) is None


def test_overnight_support_is_not_counted_across_midnight() -> None:
    assert minutes_between(time(23, 0), time(1, 0)) is None


def test_seconds_from_a_csv_export_are_floored_to_whole_minutes() -> None:
    assert minutes_between(time(10, 0, 0), time(12, 59, 59)) == 179


def test_accepted_application_without_times_is_paid_the_lower_amount() -> None:
    assert accepted_amount(None, DEFAULT) == 6000


def test_accepted_short_application_is_paid_the_lower_amount() -> None:
    assert accepted_amount(45, DEFAULT) == 6000


def test_accepted_long_application_is_paid_the_higher_amount() -> None:
    assert accepted_amount(180, DEFAULT) == 10000


@pytest.mark.parametrize(
    ("amount", "text"),
    [(6000, "6,000円"), (10000, "10,000円"), (0, "0円"), (20000000, "20,000,000円")],
)
def test_yen_is_shown_with_thousands_separators_and_the_yen_sign(amount: int, text: str) -> None:
    assert yen(amount) == text


@given(st.integers(min_value=-10, max_value=2000), st.integers(min_value=0, max_value=1440))
def test_honorarium_never_decreases_with_more_minutes(minutes: int, extra: int) -> None:
    def rank(m: int) -> int:
        return honorarium(m, DEFAULT) or 0

    assert rank(minutes) <= rank(minutes + extra)


@given(st.one_of(st.none(), st.integers(min_value=-10, max_value=2000)))
def test_accepted_amount_is_one_of_the_two_amounts_and_never_below_the_rules(
    minutes: int | None,
) -> None:
    amount = accepted_amount(minutes, DEFAULT)
    assert amount in (6000, 10000)
    assert amount >= (honorarium(minutes, DEFAULT) or 0)


@given(st.times(), st.times())
def test_minutes_between_agrees_with_clock_arithmetic(start: time, end: time) -> None:
    minutes = minutes_between(start, end)
    day = date(2022, 7, 1)
    delta = datetime.combine(day, end) - datetime.combine(day, start)
    if delta.total_seconds() <= 0:
        assert minutes is None
    else:
        assert minutes == int(delta.total_seconds()) // 60
        assert minutes is not None and 0 <= minutes < 24 * 60
