"""A ledger in memory: ``ports.Ledger`` without a file, for tests of the app on fakes.

It keeps what the SQLite ledger keeps and answers the same way — the contract suite
(``tests/contract/test_ledger.py``) runs against both — including its transactions: a
``transaction()`` that raises, or a dry run's, leaves nothing, and a write outside a
transaction counts at once. What only a file has is not here: there is no other process
to see a commit, no disk to fill (``check_room`` has nothing to refuse), no free pages
to ``vacuum``, no file to copy (``backup_to`` refuses), no schema to migrate.
Messages are validated and their contexts read back as JSON, as the file's are.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bansou_sync.adapters.ledger.outbox_rows import MOVES_FROM, outbox_row
from bansou_sync.adapters.ledger_codec import utc_key
from bansou_sync.adapters.memory_tables import MemoryData, MemoryTables
from bansou_sync.core.state import State
from bansou_sync.errors import LedgerError
from bansou_sync.ports import HELD_UNTIL, Ledger, MailChanges, MailEntry, OutboxItem, OutboxWatch

_ACTIVE = ("pending", "sending", "review")


class MemoryLedger(MemoryTables):
    """``ports.Ledger`` in memory (see the module docstring for what it leaves out)."""

    def __init__(self) -> None:
        super().__init__()
        self._before: MemoryData | None = None  # the data when the open transaction began
        self._generation = 0
        self._state_written = False  # the open transaction changed the state
        self._outbox_written = False

    # -- transactions and the file ------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, commit: bool = True) -> Iterator[MemoryLedger]:
        if self._before is not None:
            raise LedgerError("a ledger transaction is already open (they do not nest)")
        self._before = self._data.copy()
        try:
            yield self
        except BaseException:
            self._rollback()
            raise
        if not commit:
            self._rollback()
            return
        self._before = None
        self._outbox_written = False
        if self._state_written:
            self._state_written = False
            self._generation += 1

    def _rollback(self) -> None:
        if self._before is not None:
            self._data, self._before = self._before, None
        self._state_written = False
        if self._outbox_written:  # what a watch was told may be undone: read all again
            for watch in self._watches:
                watch.version = None
        self._outbox_written = False

    def check_room(self, min_free_bytes: int) -> None:
        """No disk: there is nothing the ledger could fail to record."""

    def vacuum(self) -> None:
        """Nothing deleted lingers in memory: no free pages to rewrite."""
        if self._before is not None:
            raise LedgerError("cannot vacuum the ledger inside a transaction")

    def backup_to(self, path: Path) -> None:
        if self._before is not None:
            raise LedgerError("cannot back up the ledger inside a transaction")
        raise LedgerError(f"an in-memory ledger has no file to back up to {path}")

    # -- state --------------------------------------------------------------------------

    @property
    def state_generation(self) -> int | None:
        return self._generation

    @property
    def state_token(self) -> bytes | None:
        return None  # nothing outlives the process: no name is needed across processes

    def load_state(self) -> State:
        return self._data.state.copy()

    def save_state(self, old: State, new: State) -> None:
        if self._before is None:
            raise LedgerError("save_state must run inside Ledger.transaction()")
        state = self._data.state.copy()
        changed = False
        for attr in (f.name for f in fields(State)):
            before: dict[str, Any] = getattr(old, attr)
            after: dict[str, Any] = getattr(new, attr)
            records: dict[str, Any] = getattr(state, attr)
            for key in before.keys() - after.keys():
                records.pop(key, None)
                changed = True
            for key, value in after.items():
                if key not in before or before[key] != value:
                    records[key] = value
                    changed = True
        if changed:
            self._data.state = state
            self._state_written = True  # a new generation once committed

    # -- outbox -------------------------------------------------------------------------

    def enqueue(self, items: Sequence[OutboxItem]) -> int:
        fresh: dict[str, tuple[int, OutboxItem]] = {}
        seq = self._data.next_seq
        for item in items:  # all checked before any is queued: a bad one queues none
            outbox_row(item)  # the file's checks: known status, JSON context, aware times
            if item.message_id in self._data.outbox or item.message_id in fresh:
                continue
            context = json.loads(json.dumps(item.context, ensure_ascii=False))
            fresh[item.message_id] = (seq, replace(item, to=tuple(item.to), context=context))
            seq += 1
        self._outbox_written = self._before is not None  # else committed at once
        for watch in self._watches:
            watch.touched.update(item.message_id for item in items)
        self._data.outbox.update(fresh)
        self._data.next_seq = seq
        return len(fresh)

    def _ordered(self, newest_first: bool = False) -> list[OutboxItem]:
        rows = sorted(self._data.outbox.values(), key=lambda r: (utc_key(r[1].created_at), r[0]))
        items = [item for _, item in rows]
        return items[::-1] if newest_first else items

    def pending(
        self,
        limit: int | None = None,
        *,
        due_at: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[OutboxItem]:
        found = [
            item
            for item in self._ordered()
            if item.status == "pending"
            and (due_at is None or _due(item, due_at))
            and (kinds is None or item.kind in kinds)
        ]
        return found if limit is None else found[:limit]

    def pending_heads(
        self, due_at: datetime, *, except_kinds: Sequence[str] = ()
    ) -> Generator[tuple[str, tuple[str, ...]]]:
        for item in self.pending(due_at=due_at):
            if item.kind not in except_kinds:
                yield item.message_id, item.to

    def items_by_id(self, message_ids: Sequence[str]) -> list[OutboxItem]:
        outbox = self._data.outbox
        return [outbox[m][1] for m in message_ids if m in outbox]

    def queued(self, message_ids: Iterable[str]) -> set[str]:
        return {m for m in message_ids if m in self._data.outbox}

    def outbox_items(self) -> list[OutboxItem]:
        return self._ordered(newest_first=True)

    def in_sending(self) -> list[OutboxItem]:
        return [item for item in self._ordered() if item.status == "sending"]

    def pending_count(self) -> int:
        return sum(item.status == "pending" for _, item in self._data.outbox.values())

    def has_mail(self, besides: Sequence[str] = ()) -> bool:
        return any(item.kind not in besides for _, item in self._data.outbox.values())

    def mark_sending(self, message_id: str) -> None:
        self._move(message_id, "sending")

    def mark_sent(self, message_id: str, sent_at: datetime) -> None:
        utc_key(sent_at)  # an aware time, as the file requires
        self._move(message_id, "sent", sent_at=sent_at, error="")

    def mark_failed(
        self,
        message_id: str,
        error: str,
        permanent: bool,
        *,
        retry_after: datetime | None = None,
    ) -> None:
        deferral: dict[str, Any] = {}
        if not permanent and retry_after is not None:
            utc_key(retry_after)
            deferral = {"send_after": retry_after}
        status = "failed" if permanent else "pending"
        self._move(message_id, status, attempts_added=1, error=error, **deferral)

    def mark_review(self, message_id: str, why: str) -> None:
        self._move(message_id, "review", error=why)

    def _move(self, message_id: str, status: str, attempts_added: int = 0, **changes: Any) -> None:
        self._outbox_written = self._before is not None  # else committed at once
        for watch in self._watches:
            watch.touched.add(message_id)
        if message_id not in self._data.outbox:
            raise LedgerError(f"the outbox holds no message {message_id}")
        seq, item = self._data.outbox[message_id]
        if item.status not in MOVES_FROM[status]:
            raise LedgerError(
                f"outbox message {message_id} is {item.status}; it cannot become {status}"
            )
        moved = replace(item, status=status, attempts=item.attempts + attempts_added, **changes)
        self._data.outbox[message_id] = (seq, moved)

    def _sent_since(self, t: datetime) -> list[OutboxItem]:
        since = utc_key(t)
        return [
            item
            for _, item in self._data.outbox.values()
            if item.status == "sent" and item.sent_at is not None and utc_key(item.sent_at) >= since
        ]

    def sent_count_since(self, t: datetime) -> int:
        return len(self._sent_since(t))

    def sent_per_recipient_since(self, t: datetime) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self._sent_since(t):
            for address in {a.lower() for a in item.to}:
                counts[address] = counts.get(address, 0) + 1
        return counts

    def sent_times(self, kind: str, event_keys: Sequence[str]) -> dict[str, datetime]:
        keys = set(event_keys)
        return {
            item.event_key: item.sent_at
            for item in self._ordered()
            if item.kind == kind and item.sent_at is not None and item.event_key in keys
        }

    def held_count(self) -> int:
        return len(self._held())

    def _held(self) -> list[str]:
        return [
            item.message_id
            for item in self._ordered()
            if item.status == "pending"
            and item.send_after is not None
            and utc_key(item.send_after) == utc_key(HELD_UNTIL)
        ]

    def release_held(self) -> int:
        held = self._held()
        self._outbox_written = self._before is not None  # else committed at once
        for message_id in held:
            seq, item = self._data.outbox[message_id]
            self._data.outbox[message_id] = (seq, replace(item, send_after=None))
        for watch in self._watches:
            watch.touched.update(held)
        return len(held)

    def watch_outbox(self) -> OutboxWatch:
        watch = OutboxWatch()
        self._watches.add(watch)
        return watch

    def changed_mail(self, watch: OutboxWatch) -> MailChanges:
        """No other process writes this ledger: after the first read (or a rollback or a
        scrub), only what was queued or moved since."""
        everything = watch.version is None
        touched, watch.touched = watch.touched, set()
        outbox = self._data.outbox
        ids = list(outbox) if everything else sorted(m for m in touched if m in outbox)
        watch.version = 0
        return MailChanges(everything, [_entry(*outbox[m]) for m in ids], touched)


def _due(item: OutboxItem, due_at: datetime) -> bool:
    return item.send_after is None or utc_key(item.send_after) <= utc_key(due_at)


def _entry(seq: int, item: OutboxItem) -> MailEntry:
    return MailEntry(
        seq=seq,
        message_id=item.message_id,
        kind=item.kind,
        ref=item.ref,
        to=item.to,
        status=item.status,
        created_at=item.created_at,
        sent_at=item.sent_at,
        created_utc=utc_key(item.created_at),
        sent_utc=None if item.sent_at is None else utc_key(item.sent_at),
    )


if TYPE_CHECKING:
    _PORT: type[Ledger] = MemoryLedger  # mypy checks that it keeps the port's shape
