"""The SQLite ledger: the source of truth for what was assigned and sent (SPEC §7).

One file, mode 0600, WAL journal, ``synchronous=FULL``. A cycle runs in one
``transaction()``: ``save_state`` writes the records that changed and ``enqueue`` queues
the cycle's emails in the same commit. After that commit the sender marks each message
with its own small commit (``mark_sending`` → ``mark_sent`` / ``mark_failed`` /
``mark_review``), so a crash between two sends loses nothing and repeats nothing.

Outbox states::

    pending ──mark_sending──▶ sending ──mark_sent──▶ sent
       ▲                        │ ├──mark_failed(permanent)──▶ failed
       └──mark_failed(temporary)┘ └──mark_review──▶ review   (sent or not? staff decide)

Records are one row each: key columns plus a JSON payload (``ledger_codec``). Schema
changes are steps in ``MIGRATIONS``, applied in order by ``PRAGMA user_version``. Every
sqlite3 error is translated to ``LedgerError`` here. A ``Ledger`` is used by one thread
at a time (the scheduler may hand it from one thread to another).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import weakref
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from bansou_sync.adapters import ledger_codec as codec
from bansou_sync.core.model import Application, Registration, SupporterDesk
from bansou_sync.core.state import BatchMark, State
from bansou_sync.errors import LedgerError

APPLICATION_ID = 0x42534E43  # "BSNC" in the file header: this SQLite file is a ledger
MAX_CYCLES = 500  # rows kept in the cycles log (the 同期 tab shows at most 500)
RECOVER_HINT = "run `bansou-sync recover` to rebuild it from the status Sheet"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"PRAGMA application_id = {APPLICATION_ID}",
        "CREATE TABLE registrations (response_id TEXT PRIMARY KEY, supporter_id TEXT,"
        " payload TEXT NOT NULL)",
        "CREATE INDEX registrations_supporter ON registrations (supporter_id)",
        "CREATE TABLE applications (app_no TEXT PRIMARY KEY, response_id TEXT NOT NULL,"
        " payload TEXT NOT NULL)",
        "CREATE INDEX applications_response ON applications (response_id)",
        "CREATE TABLE clients (hash TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE)",
        "CREATE TABLE desks (supporter_id TEXT PRIMARY KEY, payload TEXT NOT NULL)",
        "CREATE TABLE batches (key TEXT PRIMARY KEY, payload TEXT NOT NULL)",
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "CREATE TABLE seen (key TEXT PRIMARY KEY, last_submitted TEXT NOT NULL)",
        "CREATE TABLE flags (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # *_utc columns hold codec.utc_key(...) so that text order is time order
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL, ref TEXT NOT NULL, recipients TEXT NOT NULL,
            event_key TEXT NOT NULL, context TEXT NOT NULL,
            created_at TEXT NOT NULL, created_utc TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'review')),
            sent_at TEXT, sent_utc TEXT,
            attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',
            send_after TEXT, send_after_utc TEXT)""",
        "CREATE INDEX outbox_status ON outbox (status, created_utc, seq)",
        "CREATE INDEX outbox_sent ON outbox (sent_utc)",
        """CREATE TABLE cycles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL, result TEXT NOT NULL,
            new_registrations INTEGER NOT NULL, new_applications INTEGER NOT NULL,
            mails_sent INTEGER NOT NULL, errors TEXT NOT NULL, idle INTEGER NOT NULL)""",
    ),
    (  # 2: Gmail drafts, recorded before they are sent (exactly-once delivery, issue 4)
        "CREATE TABLE drafts (message_id TEXT PRIMARY KEY, draft_id TEXT NOT NULL)",
    ),
    (  # 3: retention and emergency requests (issue 6; bansou_sync/adapters/feature_tables.py)
        "CREATE TABLE purged (key TEXT PRIMARY KEY, purged_at TEXT NOT NULL)",
        "CREATE TABLE purges (id INTEGER PRIMARY KEY AUTOINCREMENT, run_at TEXT NOT NULL,"
        " scope TEXT NOT NULL, counts TEXT NOT NULL, ids TEXT NOT NULL)",
        "CREATE TABLE emergency_requests (request_no TEXT PRIMARY KEY,"
        " response_id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)",
    ),
    (  # 4: course and event sign-ups (issue 6 §1; bansou_sync/app/events.py)
        "CREATE TABLE event_signups (event_id TEXT NOT NULL, response_id TEXT NOT NULL,"
        " payload TEXT NOT NULL, PRIMARY KEY (event_id, response_id))",
    ),
)


@dataclass(frozen=True)
class OutboxItem:
    """One queued email; ``message_id`` is derived from (kind, event_key), so it is unique."""

    message_id: str
    kind: str
    ref: str
    to: tuple[str, ...]
    event_key: str
    context: dict[str, Any]  # JSON-serialisable; read back as JSON (tuples become lists)
    created_at: datetime
    status: str = "pending"  # pending | sending | sent | failed | review
    sent_at: datetime | None = None
    attempts: int = 0
    error: str = ""
    send_after: datetime | None = None


@dataclass(eq=False)  # hashable by identity: kept in a WeakSet
class OutboxWatch:
    """Messages this connection queued or moved since the last ``changed_mail``."""

    touched: set[str] = field(default_factory=set)
    version: Any = None  # PRAGMA data_version at the last read; None: read everything


@dataclass(frozen=True)
class MailChanges:
    everything: bool  # entries are every message (else: only those asked for, found)
    entries: list[MailEntry]
    asked: set[str]


@dataclass(frozen=True)
class MailEntry:
    """What the メール tab shows of one message, and where it sorts."""

    seq: int
    message_id: str
    kind: str
    ref: str
    to: tuple[str, ...]
    status: str
    created_at: datetime
    sent_at: datetime | None
    created_utc: str
    sent_utc: str | None


_MAIL_COLUMNS = (
    "seq, message_id, kind, ref, recipients, status, created_at, sent_at, created_utc, sent_utc"
)


def _mail_entry(row: Sequence[Any]) -> MailEntry:
    seq, message_id, kind, ref, to, status, created, sent, created_utc, sent_utc = row
    return MailEntry(
        seq=seq,
        message_id=message_id,
        kind=kind,
        ref=ref,
        to=tuple(json.loads(to)),
        status=status,
        created_at=codec.load_datetime(created),
        sent_at=None if sent is None else codec.load_datetime(sent),
        created_utc=created_utc,
        sent_utc=sent_utc,
    )


OUTBOX_STATUSES = frozenset({"pending", "sending", "sent", "failed", "review"})
# the statuses each mark_* may move a message from; a sent message never moves again
_MOVES_FROM = {
    "sending": {"pending"},
    "sent": {"pending", "sending", "review"},
    "failed": {"pending", "sending", "review"},
    "pending": {"pending", "sending"},
    "review": {"pending", "sending"},
}
_OUTBOX_COLUMNS = (
    "message_id, kind, ref, recipients, event_key, context, created_at, status,"
    " sent_at, attempts, error, send_after"
)
_ABSENT = object()
# ``send_after`` of a message held until staff release it (the surge guard, issue 10 §5)
HELD_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)
_CYCLE_COLUMNS = "started_at, result, new_registrations, new_applications, mails_sent, errors, idle"


@dataclass(frozen=True)
class _Table:
    """How one ``State`` dict is stored: its key column and the columns beside it."""

    attr: str
    name: str
    key: str
    columns: tuple[str, ...]
    to_row: Callable[[Any], tuple[Any, ...]]
    from_row: Callable[[Sequence[Any]], Any]


def _records(attr: str, name: str, key: str, cls: type[Any], *index: str) -> _Table:
    return _Table(
        attr,
        name,
        key,
        (*index, "payload"),
        to_row=lambda record: (*(getattr(record, i) for i in index), codec.dumps(record)),
        from_row=lambda row: codec.loads(cls, row[-1]),
    )


def _values(attr: str, name: str, key: str, column: str) -> _Table:
    return _Table(attr, name, key, (column,), lambda v: (v,), lambda row: row[0])


_TABLES = (
    _records("registrations", "registrations", "response_id", Registration, "supporter_id"),
    _records("applications", "applications", "app_no", Application, "response_id"),
    _values("clients", "clients", "hash", "code"),
    _records("desks", "desks", "supporter_id", SupporterDesk),
    _records("batches", "batches", "key", BatchMark),
    _values("counters", "counters", "name", "value"),
    _values("seen", "seen", "key", "last_submitted"),
    _values("flags", "flags", "name", "value"),
)


class Ledger:
    """The ledger file; open it with ``Ledger.open(path)``."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._in_transaction = False
        self._closed = False
        self._logged: datetime | None = None  # the cycle this connection logged last
        # The state as last loaded or committed through this connection, kept so a
        # service does not decode the whole ledger every cycle (issue 5). It is valid
        # while ``PRAGMA data_version`` is unchanged (no other connection committed);
        # this connection writes the state tables only in ``save_state``, whose changes
        # are applied to it on commit. Anything else writing them must drop it.
        self._resident: State | None = None
        self._resident_version: Any = None
        self._generation = 0  # changes whenever the resident state is replaced or dropped
        self._uncommitted: list[tuple[str, list[str], list[tuple[str, Any]]]] = []
        self._outbox_watches: weakref.WeakSet[OutboxWatch] = weakref.WeakSet()
        self._outbox_written = False  # the open transaction queued or moved a message

    # -- opening and closing ------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Ledger:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_private(path)
        except OSError as exc:
            raise LedgerError(f"ledger {path}: cannot create or open the file: {exc}") from exc
        try:
            conn = sqlite3.connect(
                path, timeout=10.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise _translate(exc, path, "open it") from exc
        ledger = cls(path, conn)
        try:
            ledger._prepare()
        except BaseException:
            conn.close()
            raise
        return ledger

    def _prepare(self) -> None:
        with self._guard("open it"):
            app_id = self._scalar("PRAGMA application_id")
            version = self._scalar("PRAGMA user_version")
            tables = self._scalar("SELECT count(*) FROM sqlite_master")
            if app_id != APPLICATION_ID and (app_id or version or tables):
                raise LedgerError(
                    f"ledger {self.path}: this SQLite file is not a bansou-sync ledger;"
                    f" check state.path, or move the file away and {RECOVER_HINT}"
                )
            if version > len(MIGRATIONS):
                raise LedgerError(
                    f"ledger {self.path}: written by a newer bansou-sync (schema {version},"
                    f" this version knows {len(MIGRATIONS)}); upgrade bansou-sync"
                )
            check = self._scalar("PRAGMA quick_check")
            if check != "ok":
                raise LedgerError(
                    f"ledger {self.path}: the file is damaged ({check}); {RECOVER_HINT}"
                )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()

    def _migrate(self) -> None:
        while True:
            self._conn.execute("BEGIN IMMEDIATE")  # re-read under the lock: another
            try:  # process may have migrated meanwhile
                version = self._scalar("PRAGMA user_version")
                if version >= len(MIGRATIONS):
                    self._conn.execute("COMMIT")
                    return
                for step in MIGRATIONS[version]:
                    self._conn.execute(step)
                self._conn.execute(f"PRAGMA user_version = {version + 1}")
                self._conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(sqlite3.Error):
            self._rollback()
        with self._guard("close it"):
            self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def total_changes(self) -> int:
        """Rows inserted, updated or deleted through this ledger since it was opened."""
        return self._conn.total_changes

    # -- transactions -------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, commit: bool = True) -> Iterator[Ledger]:
        """One SQLite transaction; ``commit=False`` (dry run) always rolls back."""
        if self._in_transaction:
            raise LedgerError("a ledger transaction is already open (they do not nest)")
        with self._guard("start a transaction"):
            self._conn.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        self._uncommitted = []
        try:
            yield self
        except BaseException:
            self._in_transaction = False
            self._uncommitted = []
            with contextlib.suppress(sqlite3.Error):
                self._rollback()
            raise
        self._in_transaction = False
        changes, self._uncommitted = self._uncommitted, []
        with self._guard("commit"):
            if not commit:
                self._rollback()
                return
            try:
                self._conn.execute("COMMIT")
                self._outbox_written = False
            except sqlite3.Error:
                self._resident = None
                self._generation += 1
                with contextlib.suppress(sqlite3.Error):
                    self._rollback()
                raise
        self._apply_to_resident(changes)

    @contextlib.contextmanager
    def _writing(self, doing: str, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """Inside ``transaction()``: join it. Outside: a small transaction of its own."""
        with self._guard(doing):
            if self._in_transaction:
                yield self._conn
                return
            self._conn.execute(begin)
            try:
                yield self._conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._rollback()
                raise
            self._conn.execute("COMMIT")
            self._outbox_written = False

    def vacuum(self) -> None:
        """Rewrite the file without free pages and empty the WAL: after a purge, deleted
        personal data must not linger in unused pages (issue 6 §4)."""
        if self._in_transaction:
            raise LedgerError("cannot vacuum the ledger inside a transaction")
        with self._guard("vacuum"):
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def writing(self, doing: str) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """For feature modules with tables of their own (not the ``State`` tables): joins
        the open ``transaction()`` or runs a small one; sqlite3 errors become LedgerError."""
        return self._writing(doing)

    def check_room(self, min_free_bytes: int) -> None:
        """Refuse to start a cycle the ledger could not record: too little free disk, or
        a file SQLite cannot write (read-only file or file system). The probe rewrites
        the schema version inside a transaction that is rolled back."""
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError as exc:
            raise LedgerError(
                f"ledger {self.path}: cannot check the free disk space: {exc}"
            ) from exc
        if free < min_free_bytes:
            raise LedgerError(
                f"台帳 {self.path} のディスクの空きが足りません"
                f"({free // 2**20} MB、必要 {min_free_bytes // 2**20} MB)。"
                f"記録できないことはしないため、同期を止めました / not enough free disk space "
                f"beside the ledger ({free // 2**20} MB free, state.min_free_mb is "
                f"{min_free_bytes // 2**20}): the cycle did nothing"
            )
        with self._guard("write (read-only file or disk full?); the cycle did nothing"):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                version = int(self._scalar("PRAGMA user_version") or 0)
                self._conn.execute(f"PRAGMA user_version = {version}")
            finally:
                self._rollback()

    @contextlib.contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise _translate(exc, self.path, doing) from exc

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            if self._outbox_written:  # what a watch was told may be undone: read all again
                for watch in self._outbox_watches:
                    watch.version = None
            self._outbox_written = False
            self._conn.execute("ROLLBACK")

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    # -- state --------------------------------------------------------------------------

    @property
    def state_generation(self) -> int | None:
        """Equal between two ``load_state`` calls exactly when the state they return is the
        same (the resident state was kept); None when there is no resident state. A
        service uses it to skip work that depends only on the state (issue 5)."""
        return self._generation if self._resident is not None else None

    def load_state(self) -> State:
        """The state the ledger holds (a copy: callers may change its dicts)."""
        if not self._in_transaction and self._resident is not None:
            with self._guard("read the state"):
                version = self._scalar("PRAGMA data_version")
            if version == self._resident_version:
                return self._resident.copy()
        state = State()
        with self._writing("read the state", begin="BEGIN"):  # one snapshot of all tables
            version = self._scalar("PRAGMA data_version")
            for table in _TABLES:
                records = getattr(state, table.attr)
                sql = f"SELECT {table.key}, {', '.join(table.columns)} FROM {table.name}"
                for row in self._conn.execute(sql + " ORDER BY rowid"):
                    try:
                        records[row[0]] = table.from_row(row[1:])
                    except LedgerError as exc:
                        raise LedgerError(
                            f"ledger {self.path}: {table.name} {row[0]}: {exc}; {RECOVER_HINT}"
                        ) from exc
        if not self._in_transaction:  # inside one, it may hold changes not yet committed
            self._resident, self._resident_version = state.copy(), version
            self._generation += 1
        return state

    def _apply_to_resident(
        self, changes: list[tuple[str, list[str], list[tuple[str, Any]]]]
    ) -> None:
        """What a commit wrote to the state tables, applied to the resident state too."""
        if self._resident is None or not changes:
            return
        resident = self._resident.copy()
        for attr, gone, changed in changes:
            records: dict[str, Any] = getattr(resident, attr)
            for key in gone:
                records.pop(key, None)
            records.update(changed)
        self._resident = resident
        self._generation += 1

    def save_state(self, old: State, new: State) -> None:
        """Write the records of ``new`` that differ from ``old`` (what the ledger holds)."""
        if not self._in_transaction:
            raise LedgerError("save_state must run inside Ledger.transaction()")
        with self._guard("save the state"):
            for table in _TABLES:
                before: dict[str, Any] = getattr(old, table.attr)
                after: dict[str, Any] = getattr(new, table.attr)
                gone = [k for k in before if k not in after]
                # records are frozen: the same object is the same record (the cheap test
                # first, so an unchanged history costs a lookup per record, not a compare)
                fresh = [
                    (k, v)
                    for k, v in after.items()
                    if before.get(k, _ABSENT) is not v and (k not in before or before[k] != v)
                ]
                if not (gone or fresh):
                    continue
                self._uncommitted.append((table.attr, gone, fresh))
                # encoded as written, not all first: a backfill writes 60,000 (issue 5)
                changed = ((k, *table.to_row(v)) for k, v in fresh)
                self._conn.executemany(
                    f"DELETE FROM {table.name} WHERE {table.key} = ?", [(k,) for k in gone]
                )
                updates = ", ".join(f"{c} = excluded.{c}" for c in table.columns)
                marks = ", ".join("?" * (len(table.columns) + 1))
                self._conn.executemany(
                    f"INSERT INTO {table.name} ({table.key}, {', '.join(table.columns)})"
                    f" VALUES ({marks}) ON CONFLICT ({table.key}) DO UPDATE SET {updates}",
                    changed,
                )

    # -- outbox -------------------------------------------------------------------------

    def enqueue(self, items: Sequence[OutboxItem]) -> int:
        """Queue ``items``; one already queued (same message_id) is left as it is."""
        new = 0
        self._outbox_written = True
        for watch in self._outbox_watches:
            watch.touched.update(item.message_id for item in items)
        with self._writing("queue emails") as conn:
            # encoded one at a time as SQLite asks (a backfill queues 70,000: one statement,
            # not one call each, issue 5); a bad one raises and rolls all back
            new += conn.executemany(
                "INSERT INTO outbox (message_id, kind, ref, recipients, event_key, context,"
                " created_at, created_utc, status, sent_at, sent_utc, attempts, error,"
                " send_after, send_after_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
                map(_outbox_row, items),
            ).rowcount
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
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE message_id", [], message_ids
        )
        found = {item.message_id: item for item in self._outbox_items(rows)}
        return [found[m] for m in message_ids if m in found]

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

    def sent_at_of(self, message_ids: Sequence[str]) -> dict[str, datetime]:
        rows = self._rows_in(
            "SELECT message_id, sent_at FROM outbox WHERE status = 'sent' AND message_id",
            [],
            message_ids,
        )
        return {m: codec.load_datetime(s) for m, s in rows}

    def sent_times(self, kind: str, event_keys: Sequence[str]) -> dict[str, datetime]:
        """When each message of ``kind`` queued for one of ``event_keys`` was sent."""
        rows = self._rows_in(
            "SELECT event_key, sent_at FROM outbox WHERE kind = ? AND sent_at IS NOT NULL"
            " AND event_key",
            [kind],
            event_keys,
        )
        return {k: codec.load_datetime(s) for k, s in rows}

    def _rows_in(self, select: str, params: list[Any], values: Sequence[str]) -> list[Any]:
        """``select`` ending in a column, completed by ``IN (values)`` — asked in chunks
        that stay below SQLite's variable limit, each value once."""
        unique = list(dict.fromkeys(values))
        rows: list[Any] = []
        with self._guard("read the outbox"):
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                rows += self._conn.execute(f"{select} IN ({marks})", [*params, *chunk])
        return rows

    def watch_outbox(self) -> OutboxWatch:
        """A new watch noting which messages change, for a projection kept in memory
        (``app.projector``); ``changed_mail(watch)`` then returns only what changed.
        Held weakly: a watch nobody keeps stops being fed."""
        watch = OutboxWatch()
        self._outbox_watches.add(watch)
        return watch

    def outbox_rewritten(self) -> None:
        """Call after writing the outbox other than through ``enqueue``/``mark_*`` (e.g.
        a purge's scrub through ``writing``): every watch reads every message again."""
        for watch in self._outbox_watches:
            watch.version = None

    def changed_mail(self, watch: OutboxWatch) -> MailChanges:
        """Every message the first time, or when another connection wrote the ledger
        since; else the messages this connection queued or moved since the last call
        with ``watch`` (one asked for but not found is gone: its queueing rolled back)."""
        with self._writing("read the outbox", begin="BEGIN"):
            version = self._scalar("PRAGMA data_version")
            everything = watch.version is None or version != watch.version
            touched, watch.touched = watch.touched, set()
            if everything:
                rows = self._conn.execute(f"SELECT {_MAIL_COLUMNS} FROM outbox").fetchall()
            else:
                rows = []
                ids = sorted(touched)
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    rows += self._conn.execute(
                        f"SELECT {_MAIL_COLUMNS} FROM outbox"
                        f" WHERE message_id IN ({', '.join('?' * len(chunk))})",
                        chunk,
                    ).fetchall()
            watch.version = version
        try:
            return MailChanges(everything, [_mail_entry(row) for row in rows], touched)
        except ValueError as exc:  # a damaged JSON or time column
            watch.version = None
            raise LedgerError(f"ledger {self.path}: an outbox row cannot be read: {exc}") from exc

    def _items(self, where: str, params: Sequence[Any] = ()) -> list[OutboxItem]:
        with self._guard("read the outbox"):
            rows = self._conn.execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE {where}", params
            ).fetchall()
        return self._outbox_items(rows)

    def _outbox_items(self, rows: Sequence[Any]) -> list[OutboxItem]:
        try:
            return [_outbox_item(row) for row in rows]
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
            if row[0] not in _MOVES_FROM[status]:
                raise LedgerError(
                    f"outbox message {message_id} is {row[0]}; it cannot become {status}"
                )
            sets = "".join(f", {column} = ?" for column in changes)
            conn.execute(
                f"UPDATE outbox SET status = ?, attempts = attempts + ?{sets} WHERE message_id = ?",
                (status, attempts_added, *changes.values(), message_id),
            )

    # -- cycles log (the 同期 tab) ------------------------------------------------------

    def record_cycle(
        self,
        started_at: datetime,
        result: str,
        new_registrations: int,
        new_applications: int,
        mails_sent: int,
        errors: str,
        idle: bool,
    ) -> None:
        """Log a cycle; an idle one replaces the newest row when that row is idle too."""
        values = (
            codec.dump_datetime(started_at),
            result,
            new_registrations,
            new_applications,
            mails_sent,
            errors,
            int(idle),
        )
        self._logged = started_at
        with self._writing("record the cycle") as conn:
            newest = conn.execute("SELECT id, idle FROM cycles ORDER BY id DESC LIMIT 1").fetchone()
            if idle and newest is not None and newest[1]:
                sets = ", ".join(f"{c.strip()} = ?" for c in _CYCLE_COLUMNS.split(","))
                conn.execute(f"UPDATE cycles SET {sets} WHERE id = ?", (*values, newest[0]))
                return
            conn.execute(
                f"INSERT INTO cycles ({_CYCLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", values
            )
            conn.execute(
                "DELETE FROM cycles WHERE id NOT IN"
                " (SELECT id FROM cycles ORDER BY id DESC LIMIT ?)",
                (MAX_CYCLES,),
            )

    def add_cycle_error(self, text: str) -> None:
        """Append ``text`` to the errors of the newest logged cycle (e.g. a failed backup)."""
        with self._writing("record the cycle") as conn:
            conn.execute(
                "UPDATE cycles SET errors = CASE WHEN errors = '' THEN ? ELSE errors || ' / ' || ?"
                " END, idle = 0 WHERE id = (SELECT max(id) FROM cycles)",
                (text, text),
            )

    def fail_cycle(self, started_at: datetime, errors: str) -> bool:
        """Mark the newest logged cycle failed, with ``errors`` first, when it is the one
        started at ``started_at``: a cycle logs itself before it writes the sheet (the 同期
        tab shows it), so a sheet write that then fails is that cycle's failure, not a
        second row. False when this connection did not log that cycle."""
        if self._logged != started_at:
            return False
        with self._writing("record the cycle") as conn:
            changed = conn.execute(
                "UPDATE cycles SET result = '失敗', idle = 0, errors = CASE WHEN errors = ''"
                " THEN ? ELSE ? || ' / ' || errors END"
                " WHERE id = (SELECT max(id) FROM cycles) AND started_at = ?",
                (errors, errors, codec.dump_datetime(started_at)),
            ).rowcount
        return bool(changed)

    def cycles(self, limit: int = MAX_CYCLES) -> list[dict[str, Any]]:
        """Logged cycles, newest first: started_at (datetime), result, counts, errors, idle."""
        with self._guard("read the cycles log"):
            rows = self._conn.execute(
                f"SELECT {_CYCLE_COLUMNS} FROM cycles ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        names = [c.strip() for c in _CYCLE_COLUMNS.split(",")]
        found = [dict(zip(names, row, strict=True)) for row in rows]
        for cycle in found:
            cycle["started_at"] = codec.load_datetime(cycle["started_at"])
            cycle["idle"] = bool(cycle["idle"])
        return found

    # -- backup -------------------------------------------------------------------------

    def backup_to(self, path: Path) -> None:
        """A consistent copy of the committed ledger at ``path`` (mode 0600), atomically."""
        path = Path(path)
        if self._in_transaction:
            raise LedgerError("cannot back up the ledger inside a transaction")
        if path.resolve() == self.path.resolve():
            raise LedgerError(f"cannot back up the ledger onto itself ({path})")
        partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)
            _create_private(partial)
            copy = sqlite3.connect(partial, isolation_level=None)
            try:
                self._conn.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
            os.replace(partial, path)
        except sqlite3.Error as exc:
            partial.unlink(missing_ok=True)
            raise _translate(exc, self.path, f"back it up to {path}") from exc
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise LedgerError(f"cannot back up the ledger to {path}: {exc}") from exc


def _create_private(path: Path) -> None:
    """Create ``path`` as 0600 if missing; take group and other access away if present."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    mode = path.stat().st_mode
    if mode & 0o077:
        path.chmod(mode & 0o700)


def _outbox_row(item: OutboxItem) -> tuple[Any, ...]:
    if item.status not in OUTBOX_STATUSES:
        raise LedgerError(f"outbox message {item.message_id}: unknown status {item.status!r}")
    try:
        context = json.dumps(item.context, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"outbox message {item.message_id}: context is not JSON: {exc}") from exc
    sent, after = item.sent_at, item.send_after
    return (
        item.message_id,
        item.kind,
        item.ref,
        json.dumps(list(item.to), ensure_ascii=False),
        item.event_key,
        context,
        codec.dump_datetime(item.created_at),
        codec.utc_key(item.created_at),
        item.status,
        None if sent is None else codec.dump_datetime(sent),
        None if sent is None else codec.utc_key(sent),
        item.attempts,
        item.error,
        None if after is None else codec.dump_datetime(after),
        None if after is None else codec.utc_key(after),
    )


def _outbox_item(row: Sequence[Any]) -> OutboxItem:
    (message_id, kind, ref, to, event_key, context, created, status, sent, attempts, error,
     after) = row  # fmt: skip
    return OutboxItem(
        message_id=message_id,
        kind=kind,
        ref=ref,
        to=tuple(json.loads(to)),
        event_key=event_key,
        context=json.loads(context),
        created_at=codec.load_datetime(created),
        status=status,
        sent_at=None if sent is None else codec.load_datetime(sent),
        attempts=attempts,
        error=error,
        send_after=None if after is None else codec.load_datetime(after),
    )


_ERROR_REASONS = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the ledger file or its folder is read-only",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_CANTOPEN: "the file cannot be opened (check the folder and permissions)",
    sqlite3.SQLITE_BUSY: "another process holds the ledger locked",
    sqlite3.SQLITE_LOCKED: "another process holds the ledger locked",
    sqlite3.SQLITE_IOERR: "a disk I/O error occurred",
    sqlite3.SQLITE_CORRUPT: f"the file is damaged; {RECOVER_HINT}",
    sqlite3.SQLITE_NOTADB: f"the file is not an SQLite database; {RECOVER_HINT}",
}


def _translate(exc: sqlite3.Error, path: Path, doing: str) -> LedgerError:
    code = getattr(exc, "sqlite_errorcode", None)
    reason = _ERROR_REASONS.get(code & 0xFF) if isinstance(code, int) else None
    detail = f"{reason} ({exc})" if reason else str(exc)
    return LedgerError(f"ledger {path}: cannot {doing}: {detail}")
