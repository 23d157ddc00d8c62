"""Issue 5: the ledger codec's shortcuts (values stored as they are, None in an optional
field, the same datetime object twice) keep the rules of the type-driven encoding, and
the outbox queued in one statement still rolls back whole when one message is bad."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bansou_sync.adapters import ledger_codec as codec
from bansou_sync.adapters.ledger import Ledger, OutboxItem
from bansou_sync.errors import LedgerError

TOKYO = ZoneInfo("Asia/Tokyo")
UTC_PLUS_ONE = timezone(timedelta(hours=1))


class Colour(enum.StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Sample:
    count: int
    label: str
    ratio: float
    flag: bool
    note: str | None
    when: datetime
    later: datetime | None
    extra: Any = None


def sample(**changes: Any) -> Sample:
    base: dict[str, Any] = {
        "count": 3,
        "label": "受付",
        "ratio": 0.5,
        "flag": True,
        "note": None,
        "when": datetime(2022, 6, 1, 9, 0, tzinfo=TOKYO),
        "later": None,
        "extra": {"a": [1, 2]},
    }
    return Sample(**{**base, **changes})


def test_plain_values_and_none_round_trip_as_before() -> None:
    record = sample(note="メモ", later=datetime(2022, 6, 2, 0, 0, tzinfo=UTC_PLUS_ONE))
    assert codec.loads(Sample, codec.dumps(record)) == record
    assert codec.loads(Sample, codec.dumps(sample())) == sample()


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"count": True}, "a bool is no int"),
        ({"label": None}, "None in a field that is not optional"),
        ({"when": None}, "None in a datetime field that is not optional"),
        ({"flag": 1}, "an int is no bool"),
        ({"when": datetime(2022, 6, 1, 9, 0)}, "a naive datetime"),
    ],
)
def test_values_that_do_not_fit_are_still_refused(changes: dict[str, Any], why: str) -> None:
    with pytest.raises(LedgerError):
        codec.dumps(sample(**changes))


def test_an_enum_in_a_text_field_is_stored_by_its_value() -> None:
    assert '"label": "red"' in codec.dumps(sample(label=Colour.RED))


def test_the_same_moment_in_two_zones_keeps_each_zone() -> None:
    # equal instants, different texts: only the very same object may reuse a text
    tokyo = datetime(2022, 6, 1, 9, 0, tzinfo=TOKYO)
    utc = tokyo.astimezone(UTC_PLUS_ONE)
    assert tokyo == utc
    first = codec.dumps(sample(when=tokyo, later=tokyo))
    second = codec.dumps(sample(when=utc, later=tokyo))
    assert '"when": "2022-06-01T09:00:00+09:00[Asia/Tokyo]"' in first
    assert '"when": "2022-06-01T01:00:00+01:00"' in second
    assert codec.loads(Sample, second).when.utcoffset() == timedelta(hours=1)


def queued(i: int, prefix: str, created_at: datetime, event: str | None = None) -> OutboxItem:
    """The ``i``-th acknowledgement of a test, queued at ``created_at``."""
    return OutboxItem(
        message_id=f"<{prefix}{i}@example.org>",
        kind="application_received",
        ref=f"A-{i:04d}",
        to=("volunteer@example.com",),
        event_key=event or f"{prefix}{i}",
        context={"n": i},
        created_at=created_at,
    )


def test_one_bad_message_among_many_queues_none_of_them(tmp_path: Path) -> None:
    now = datetime(2022, 6, 1, 9, 0, tzinfo=TOKYO)
    items = [queued(i, "m", now, event=f"e{i}") for i in range(5)]
    bad = OutboxItem(
        message_id="<bad@example.org>",
        kind="application_received",
        ref="A-9999",
        to=("volunteer@example.com",),
        event_key="bad",
        context={"n": float("nan")},  # not JSON
        created_at=now,
    )
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        with pytest.raises(LedgerError), ledger.transaction():
            ledger.enqueue([*items[:3], bad, *items[3:]])
        assert ledger.outbox_items() == []
        with ledger.transaction():
            assert ledger.enqueue(items) == 5
            assert ledger.enqueue(items[:2]) == 0  # already queued: left as they are
        assert len(ledger.outbox_items()) == 5


@dataclass(frozen=True)
class Listed:
    labels: tuple[str, ...]
    moments: tuple[datetime, ...] = ()


def test_a_tuple_of_texts_is_stored_as_its_list_and_other_items_are_still_encoded() -> None:
    when = datetime(2022, 6, 1, 9, 0, tzinfo=TOKYO)
    record = Listed(("医療", Colour.RED), (when,))
    text = codec.dumps(record)
    assert '"labels": ["医療", "red"]' in text
    assert '"moments": ["2022-06-01T09:00:00+09:00[Asia/Tokyo]"]' in text
    assert codec.loads(Listed, text) == Listed(("医療", "red"), (when,))
    with pytest.raises(LedgerError):
        codec.dumps(Listed(("医療", 3)))  # type: ignore[arg-type]


def test_messages_queued_at_two_moments_keep_each_its_own_time(tmp_path: Path) -> None:
    tokyo = datetime(2022, 6, 1, 9, 0, tzinfo=TOKYO)
    later = tokyo + timedelta(minutes=5)
    moments = [tokyo, tokyo, later, tokyo.astimezone(UTC_PLUS_ONE)]
    items = [queued(i, "t", moment) for i, moment in enumerate(moments)]
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        with ledger.transaction():
            assert ledger.enqueue(items) == 4
        stored = {item.message_id: item.created_at for item in ledger.outbox_items()}
    assert stored == {item.message_id: item.created_at for item in items}
    assert stored["<t3@example.org>"].utcoffset() == timedelta(hours=1)
    assert stored["<t2@example.org>"] - stored["<t1@example.org>"] == timedelta(minutes=5)
