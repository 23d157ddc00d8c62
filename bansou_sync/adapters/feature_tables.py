"""The ledger tables of issue 6's staff tools, as functions over the ledger port.

The tables themselves (``purged``, ``purges``, ``emergency_requests``) and their SQL live
in ``bansou_sync.adapters.ledger.features``; each is a method of ``ports.Ledger``, so
the in-memory ledger keeps them too. These functions are the older spelling, kept for
their callers: each joins an open ``transaction()`` or runs a small one of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from bansou_sync.core.emergency import EmergencyRequest
from bansou_sync.ports import Ledger


def tombstones(ledger: Ledger) -> frozenset[str]:
    return ledger.tombstones()


def add_tombstones(ledger: Ledger, keys: Iterable[str], at: datetime) -> None:
    ledger.add_tombstones(keys, at)


def record_purge(
    ledger: Ledger,
    at: datetime,
    scope: str,
    counts: Mapping[str, int],
    ids: Mapping[str, list[str]],
) -> None:
    ledger.record_purge(at, scope, counts, ids)


def scrub_outbox(ledger: Ledger) -> int:
    """Remove recipients and rendering context (names, amounts) from every queued or sent
    email; a message not yet sent can no longer be, so it is marked failed."""
    return ledger.scrub_outbox()


def emergency_requests(ledger: Ledger) -> dict[str, EmergencyRequest]:
    return ledger.emergency_requests()


def save_emergency_requests(
    ledger: Ledger, old: Mapping[str, EmergencyRequest], new: Mapping[str, EmergencyRequest]
) -> None:
    ledger.save_emergency_requests(old, new)


def outbox_with_personal(ledger: Ledger) -> int:
    """Emails whose recipients or context a purge would remove (for ``--dry-run``)."""
    return ledger.outbox_with_personal()


def event_signups_with_personal(ledger: Ledger, *, scrub: bool) -> list[str]:
    """Receipts (``event_id/response_id``) of course and event sign-ups that still hold a
    name or an email; with ``scrub`` those are blanked (the sign-up itself stays)."""
    return ledger.event_signups_with_personal(scrub=scrub)
