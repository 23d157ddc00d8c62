"""Where an incremental fetch starts: the newest time seen, minus the overlap window."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from bansou_sync.app.inputs import OVERLAP, watermark
from bansou_sync.core.state import State

JST = timezone(timedelta(hours=9))


def test_the_watermark_is_the_latest_time_whatever_the_offsets_and_fractions() -> None:
    chance = random.Random(3)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    times = [
        (
            base
            + timedelta(seconds=chance.randrange(10**6), microseconds=chance.choice([0, 5, 500000]))
        ).astimezone(chance.choice([UTC, JST]))
        for _ in range(500)
    ]
    state = State()
    for n, when in enumerate(times):
        state.seen[f"application|r{n}"] = when.isoformat()
    state.seen["registration|late"] = (base + timedelta(days=99)).isoformat()

    assert watermark(state, "application") == max(times) - OVERLAP
    assert watermark(state, "registration") == base + timedelta(days=99) - OVERLAP


def test_no_response_seen_means_a_full_first_fetch() -> None:
    assert watermark(State(), "application") is None
