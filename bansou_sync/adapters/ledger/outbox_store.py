"""The outbox: emails queued in a cycle's transaction and sent after its commit.

Outbox states::

    pending ──mark_sending──▶ sending ──mark_sent──▶ sent
       ▲                        │ ├──mark_failed(permanent)──▶ failed
       └──mark_failed(temporary)┘ └──mark_review──▶ review   (sent or not? staff decide)

Each mark outside a transaction is a small commit of its own. Watches (``OutboxWatch``)
note which messages this connection queued or moved, so a projection kept in memory
reads only those again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Generator, Iterable, Sequence
from datetime import datetime
from typing import Any

from bansou_sync.adapters import ledger_codec as codec
from bansou_sync.adapters.ledger.connection import LedgerConnection
from bansou_sync.adapters.ledger.outbox_rows import (
    INSERT_OUTBOX,
    MAIL_COLUMNS,
    MOVES_FROM,
    OUTBOX_COLUMNS,
    mail_entry,
    outbox_item,
    outbox_row,
)
from bansou_sync.errors import LedgerError
from bansou_sync.ports import HELD_UNTIL, MailChanges, OutboxItem, OutboxWatch


class OutboxStore(LedgerConnection):
    def enqueue(self, items: Sequence[OutboxItem]) -> int:
        """Queue ``items``; one already queued (same message_id) is left as it is."""
        new = 0
        self._outbox_written = True
        for watch in self._outbox_watches:
            watch.touched.update(item.message_id for item in items)
        with self._writing("queue emails") as conn:
            # encoded one at a time as SQLite asks (a backfill queues tens of thousands: one
            # statement, not one call each); a bad one raises and rolls all back
            new += conn.executemany(INSERT_OUTBOX, map(outbox_row, items)).rowcount
        return new

    def pending(
        self,
        limit: int | None = None,
        *,
        due_at: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[OutboxItem]:
        """Pending messages, oldest first; with ``due_at``, only those not deferred past it;
        with ``kinds``, only those of these kinds."""
        sql, params = "status = 'pending'", list[Any]()
        if due_at is not None:
            sql += " AND (send_after_utc IS NULL OR send_after_utc <= ?)"
            params.append(codec.utc_key(due_at))
        if kinds is not None:
            sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
            params += kinds
        order = " ORDER BY created_utc, seq"
        if limit is not None:
            order += " LIMIT ?"
            params.append(limit)
        return self._items(sql + order, params)

    def pending_heads(
        self, due_at: datetime, *, except_kinds: Sequence[str] = ()
    ) -> Generator[tuple[str, tuple[str, ...]]]:
        """(Message-ID, recipients) of each pending message due at ``due_at`` whose kind is
        not one of ``except_kinds``, oldest first — without the contexts, so that a sender
        can walk a long queue to choose what fits (the per-recipient cap)."""
        marks = ", ".join("?" * len(except_kinds))
        sql = (
            "SELECT message_id, recipients FROM outbox WHERE status = 'pending'"
            " AND (send_after_utc IS NULL OR send_after_utc <= ?)"
            + (f" AND kind NOT IN ({marks})" if except_kinds else "")
            + " ORDER BY created_utc, seq"
        )
        with self._guard("read the outbox"):
            rows = self._conn.execute(sql, [codec.utc_key(due_at), *except_kinds])
            for message_id, recipients in rows:
                try:
                    to = tuple(str(a) for a in json.loads(recipients))
                except ValueError:
                    to = ()  # a damaged row: the sender parks it when it builds it
                yield str(message_id), to

    def items_by_id(self, message_ids: Sequence[str]) -> list[OutboxItem]:
        """The messages of ``message_ids``, in that order (those not found left out)."""
        rows = self._rows_in(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE message_id", [], message_ids
        )
        found = {item.message_id: item for item in self._outbox_items(rows)}
        return [found[m] for m in message_ids if m in found]

    def queued(self, message_ids: Iterable[str]) -> set[str]:
        """Which of ``message_ids`` the outbox holds, whatever their status (only these
        are asked for: the outbox grows forever)."""
        rows = self._rows_in(
            "SELECT message_id FROM outbox WHERE message_id", [], list(message_ids)
        )
        return {str(row[0]) for row in rows}

    def sent_per_recipient_since(self, t: datetime) -> dict[str, int]:
        """How many messages each address (lower-cased) was sent since ``t``."""
        counts: dict[str, int] = {}
        with self._guard("count sent emails"):
            rows = self._conn.execute(
                "SELECT recipients, count(*) FROM outbox WHERE status = 'sent'"
                " AND sent_utc >= ? GROUP BY recipients",
                (codec.utc_key(t),),
            ).fetchall()
        for recipients, count in rows:
            try:
                addresses = {str(a).lower() for a in json.loads(recipients)}
            except ValueError:
                continue
            for address in addresses:
                counts[address] = counts.get(address, 0) + int(count)
        return counts

    # -- held mail (the surge guard, issue 10 §5) ----------------------------------------

    def held_count(self) -> int:
        """Pending messages held until staff release them (``HELD_UNTIL``)."""
        with self._guard("count held emails"):
            return int(
                self._scalar(
                    "SELECT count(*) FROM outbox WHERE status = 'pending' AND send_after_utc = ?",
                    (codec.utc_key(HELD_UNTIL),),
                )
            )

    def release_held(self) -> int:
        """Let every held message go (staff released the surge); returns how many."""
        self._outbox_written = True
        with self._writing("release held emails") as conn:
            held = [
                str(row[0])
                for row in conn.execute(
                    "SELECT message_id FROM outbox WHERE status = 'pending' AND send_after_utc = ?",
                    (codec.utc_key(HELD_UNTIL),),
                )
            ]
            conn.execute(
                "UPDATE outbox SET send_after = NULL, send_after_utc = NULL"
                " WHERE status = 'pending' AND send_after_utc = ?",
                (codec.utc_key(HELD_UNTIL),),
            )
        for watch in self._outbox_watches:
            watch.touched.update(held)
        return len(held)

    def pending_count(self) -> int:
        with self._guard("count pending emails"):
            return int(self._scalar("SELECT count(*) FROM outbox WHERE status = 'pending'"))

    def has_mail(self, besides: Sequence[str] = ()) -> bool:
        """Has any email ever been queued, other than of the kinds ``besides``?"""
        marks = ",".join("?" * len(besides))
        where = f" WHERE kind NOT IN ({marks})" if besides else ""
        with self._guard("look for queued emails"):
            return self._scalar(f"SELECT 1 FROM outbox{where} LIMIT 1", besides) is not None

    def in_sending(self) -> list[OutboxItem]:
        """Messages marked sending whose outcome was never recorded (a crash mid-send)."""
        return self._items("status = 'sending' ORDER BY created_utc, seq")

    def outbox_items(self) -> list[OutboxItem]:
        """Every message, newest first (the メール tab)."""
        return self._items("1 ORDER BY created_utc DESC, seq DESC")

    def mark_sending(self, message_id: str) -> None:
        self._move(message_id, "sending")

    def mark_sent(self, message_id: str, sent_at: datetime) -> None:
        self._move(
            message_id,
            "sent",
            sent_at=codec.dump_datetime(sent_at),
            sent_utc=codec.utc_key(sent_at),
            error="",
        )

    def mark_failed(
        self,
        message_id: str,
        error: str,
        permanent: bool,
        *,
        retry_after: datetime | None = None,
    ) -> None:
        """Permanent: ``failed`` for good. Temporary: back to ``pending`` to be tried again."""
        deferral: dict[str, str | None] = {}
        if not permanent and retry_after is not None:
            deferral = {
                "send_after": codec.dump_datetime(retry_after),
                "send_after_utc": codec.utc_key(retry_after),
            }
        status = "failed" if permanent else "pending"
        self._move(message_id, status, attempts_added=1, error=error, **deferral)

    def mark_review(self, message_id: str, why: str) -> None:
        self._move(message_id, "review", error=why)

    def sent_count_since(self, t: datetime) -> int:
        with self._guard("count sent emails"):
            return int(
                self._scalar(
                    "SELECT count(*) FROM outbox WHERE status = 'sent' AND sent_utc >= ?",
                    (codec.utc_key(t),),
                )
            )

    # -- Gmail drafts (a DraftBook for the Gmail mailer) -------------------------------

    def draft_of(self, message_id: str) -> str | None:
        with self._guard("read a draft id"):
            row = self._conn.execute(
                "SELECT draft_id FROM drafts WHERE message_id = ?", (message_id,)
            ).fetchone()
        return str(row[0]) if row else None

    def record_draft(self, message_id: str, draft_id: str) -> None:
        """Committed at once: a crash after this still knows the draft exists."""
        with self._writing("record a draft id") as conn:
            conn.execute(
                "INSERT INTO drafts (message_id, draft_id) VALUES (?, ?)"
                " ON CONFLICT(message_id) DO UPDATE SET draft_id = excluded.draft_id",
                (message_id, draft_id),
            )

    def sent_times(self, kind: str, event_keys: Sequence[str]) -> dict[str, datetime]:
        """When each message of ``kind`` queued for one of ``event_keys`` was sent."""
        rows = self._rows_in(
            "SELECT event_key, sent_at FROM outbox WHERE kind = ? AND sent_at IS NOT NULL"
            " AND event_key",
            [kind],
            event_keys,
        )
        return {k: codec.load_datetime(s) for k, s in rows}

    @property
    def outbox_token(self) -> bytes | None:
        """Names the outbox's content across processes: every write of the outbox table
        replaces it, in the same transaction (a trigger, schema 6), so rows read after it
        are at least that content. None: not known (read-only at an older schema)."""
        try:
            value = self._scalar("SELECT token FROM outbox_token")
        except sqlite3.OperationalError:
            return None
        return value if isinstance(value, bytes) else None

    def watch_outbox(self) -> OutboxWatch:
        """A new watch noting which messages change, for a projection kept in memory
        (``app.projector``); ``changed_mail(watch)`` then returns only what changed.
        Held weakly: a watch nobody keeps stops being fed."""
        watch = OutboxWatch()
        self._outbox_watches.add(watch)
        return watch

    def changed_mail(self, watch: OutboxWatch) -> MailChanges:
        """Every message the first time, or when another connection wrote the ledger
        since; else the messages this connection queued or moved since the last call
        with ``watch`` (one asked for but not found is gone: its queueing rolled back)."""
        with self._writing("read the outbox", begin="BEGIN"):
            version = self._scalar("PRAGMA data_version")
            everything = watch.version is None or version != watch.version
            touched, watch.touched = watch.touched, set()
            if everything:
                rows = self._conn.execute(f"SELECT {MAIL_COLUMNS} FROM outbox").fetchall()
            else:
                rows = []
                ids = sorted(touched)
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    rows += self._conn.execute(
                        f"SELECT {MAIL_COLUMNS} FROM outbox"
                        f" WHERE message_id IN ({', '.join('?' * len(chunk))})",
                        chunk,
                    ).fetchall()
            watch.version = version
        try:
            return MailChanges(everything, [mail_entry(row) for row in rows], touched)
        except ValueError as exc:  # a damaged JSON or time column
            watch.version = None
            raise LedgerError(f"ledger {self.path}: an outbox row cannot be read: {exc}") from exc

    def _items(self, where: str, params: Sequence[Any] = ()) -> list[OutboxItem]:
        with self._guard("read the outbox"):
            rows = self._conn.execute(
                f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {where}", params
            ).fetchall()
        return self._outbox_items(rows)

    def _outbox_items(self, rows: Sequence[Any]) -> list[OutboxItem]:
        try:
            return [outbox_item(row) for row in rows]
        except ValueError as exc:  # a damaged JSON or time column
            raise LedgerError(f"ledger {self.path}: an outbox row cannot be read: {exc}") from exc

    def _move(
        self, message_id: str, status: str, attempts_added: int = 0, **changes: str | None
    ) -> None:
        self._outbox_written = True
        for watch in self._outbox_watches:
            watch.touched.add(message_id)
        with self._writing(f"mark {message_id} {status}") as conn:
            row = conn.execute(
                "SELECT status FROM outbox WHERE message_id = ?", (message_id,)
            ).fetchone()
            if row is None:
                raise LedgerError(f"the outbox holds no message {message_id}")
            if row[0] not in MOVES_FROM[status]:
                raise LedgerError(
                    f"outbox message {message_id} is {row[0]}; it cannot become {status}"
                )
            sets = "".join(f", {column} = ?" for column in changes)
            conn.execute(
                f"UPDATE outbox SET status = ?, attempts = attempts + ?{sets} WHERE message_id = ?",
                (status, attempts_added, *changes.values(), message_id),
            )
