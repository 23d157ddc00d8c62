"""The honorarium (謝金) of one accompaniment (P3, P10), and how yen are shown."""

from __future__ import annotations

from datetime import date, datetime, time

SHORT_YEN = 6000
LONG_YEN = 10000
MIN_MINUTES = 60
LONG_FROM_MINUTES = 180


def minutes_between(start: time, end: time) -> int | None:
    """Whole minutes from ``start`` to ``end``; None unless end is after start.

    Support never runs overnight, so an end at or before the start is a mistake in
    the answers (``time_order``), not a support crossing midnight.
    """
    day = date(2000, 1, 1)  # any day: only the difference matters
    seconds = (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds()
    if seconds <= 0:
        return None
    return int(seconds) // 60


def honorarium(
    minutes: int | None,
    short_yen: int = SHORT_YEN,
    long_yen: int = LONG_YEN,
    min_minutes: int = MIN_MINUTES,
    long_from: int = LONG_FROM_MINUTES,
) -> int | None:
    """What the rules pay for ``minutes`` of support; None when they pay nothing."""
    if minutes is None or minutes < min_minutes:
        return None
    return long_yen if minutes >= long_from else short_yen


def accepted_amount(
    minutes: int | None,
    short_yen: int = SHORT_YEN,
    long_yen: int = LONG_YEN,
    min_minutes: int = MIN_MINUTES,
    long_from: int = LONG_FROM_MINUTES,
) -> int:
    """What an accepted application is paid.

    Staff may accept an application the rules would not pay (no readable times, or
    under an hour); it then gets the lower amount, never nothing.
    """
    amount = honorarium(minutes, short_yen, long_yen, min_minutes, long_from)
    return short_yen if amount is None else amount


def yen(n: int) -> str:
    """Japanese display of an amount: ``6,000円``."""
    return f"{n:,}円"
