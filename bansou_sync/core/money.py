"""The honorarium (謝金) of one accompaniment (P3, P10), and how yen are shown."""

from __future__ import annotations

from datetime import date, datetime, time

from bansou_sync.core.policy import Policy


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


def honorarium(minutes: int | None, policy: Policy) -> int | None:
    """P10 「謝金: 3時間未満 6,000円, 3時間以上 10,000円」: what the rules pay for ``minutes``
    of support — ``policy.short_yen`` from ``policy.min_minutes`` (P3's hour) up to
    ``policy.long_from_minutes``, ``policy.long_yen`` from there; None when they pay nothing.
    """
    if minutes is None or minutes < policy.min_minutes:
        return None
    return policy.long_yen if minutes >= policy.long_from_minutes else policy.short_yen


def accepted_amount(minutes: int | None, policy: Policy) -> int:
    """What an accepted application is paid.

    Staff may accept an application the rules would not pay (no readable times, or
    under an hour); it then gets the lower amount, never nothing.
    """
    amount = honorarium(minutes, policy)
    return policy.short_yen if amount is None else amount


def yen(n: int) -> str:
    """Japanese display of an amount: ``6,000円``."""
    return f"{n:,}円"
