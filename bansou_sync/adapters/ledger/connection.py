"""The ledger's connection: opening the file, transactions, and the guard that turns
every sqlite3 error into a ``LedgerError``.

One file, mode 0600, WAL journal, ``synchronous=FULL``. ``transaction()`` is one SQLite
transaction; any write outside one is a small transaction of its own (``_writing``), so
a crash between two sends loses nothing and repeats nothing. A ledger is used by one
thread at a time (the scheduler may hand it from one thread to another).
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from bansou_sync.adapters.ledger.schema import create_private, prepare, translate
from bansou_sync.core.state import State
from bansou_sync.errors import LedgerError
from bansou_sync.ports import OutboxWatch


class LedgerConnection:
    """The ledger file; open it with ``Ledger.open(path)`` (or ``open_readonly``)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._in_transaction = False
        self._closed = False
        self._logged: datetime | None = None  # the cycle this connection logged last
        # The state as last loaded or committed through this connection, kept so a
        # service does not decode the whole ledger every cycle. It is valid while
        # ``PRAGMA data_version`` is unchanged (no other connection committed); this
        # connection writes the state tables only in ``save_state``, whose changes are
        # applied to it on commit. Anything else writing them must drop it.
        self._resident: State | None = None
        self._resident_version: Any = None
        # the ledger's ``state_token`` for the resident state (None: not known), and the
        # token the snapshot file beside the ledger was last known to hold (snapshot.py)
        self._resident_token: bytes | None = None
        self._snapshot_token: bytes | None = None
        self._read_only = False
        self._generation = 0  # changes whenever the resident state is replaced or dropped
        self._uncommitted: list[tuple[str, list[str], list[tuple[str, Any]]]] = []
        self._outbox_watches: weakref.WeakSet[OutboxWatch] = weakref.WeakSet()
        self._outbox_written = False  # the open transaction queued or moved a message

    # -- opening and closing ------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Self:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            create_private(path)
        except OSError as exc:
            raise LedgerError(f"ledger {path}: cannot create or open the file: {exc}") from exc
        try:
            conn = sqlite3.connect(
                path, timeout=10.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise translate(exc, path, "open it") from exc
        ledger = cls(path, conn)
        try:
            with ledger._guard("open it"):
                prepare(conn, path)
        except BaseException:
            conn.close()
            raise
        return ledger

    @classmethod
    def open_readonly(cls, path: Path) -> Self:
        """The ledger at ``path``, read-only (SQLite's ``mode=ro``: no migration, no file
        created), so ``status`` and the reports work beside a running service."""
        if not path.is_file():
            raise LedgerError(
                "台帳がありません。まず bansou-sync once を実行してください"
                f" / no ledger at {path} yet (run bansou-sync once first)"
            )
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {path}: cannot open it read-only: {exc}") from exc
        ledger = cls(path, conn)
        ledger._read_only = True
        return ledger

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(sqlite3.Error):
            self._rollback()
        with self._guard("close it"):
            self._conn.close()

    def __enter__(self) -> Self:
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
    def transaction(self, commit: bool = True) -> Iterator[Self]:
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
                # the token of what this commit leaves in the state tables: read before
                # the commit, so no other process's write can come between
                token = self._current_token() if changes and self._resident is not None else None
                self._conn.execute("COMMIT")
                self._outbox_written = False
            except sqlite3.Error:
                self._resident = self._resident_token = None
                self._generation += 1
                with contextlib.suppress(sqlite3.Error):
                    self._rollback()
                raise
        self._apply_to_resident(changes, token)

    def _current_token(self) -> bytes | None:
        """The ledger's ``state_token``: replaced by every write of a state table (schema
        5); None for a file opened read-only at an older schema."""
        try:
            value = self._scalar("SELECT token FROM state_token")
        except sqlite3.OperationalError:
            return None
        return value if isinstance(value, bytes) else None

    def _apply_to_resident(
        self, changes: list[tuple[str, list[str], list[tuple[str, Any]]]], token: bytes | None
    ) -> None:
        """What a commit wrote to the state tables, applied to the resident state too."""
        if self._resident is None or not changes:
            return
        self._resident_token = token
        resident = self._resident.copy()
        for attr, gone, changed in changes:
            records: dict[str, Any] = getattr(resident, attr)
            for key in gone:
                records.pop(key, None)
            records.update(changed)
        self._resident = resident
        self._generation += 1

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

    def writing(self, doing: str) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """For adapter modules with tables of their own (not the ``State`` tables): joins
        the open ``transaction()`` or runs a small one; sqlite3 errors become LedgerError.
        Not part of the ``ports.Ledger`` port: app code never sees the connection."""
        return self._writing(doing)

    def vacuum(self) -> None:
        """Rewrite the file without free pages and empty the WAL: after a purge, deleted
        personal data must not linger in unused pages (issue 6 §4)."""
        if self._in_transaction:
            raise LedgerError("cannot vacuum the ledger inside a transaction")
        with self._guard("vacuum"):
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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
            raise translate(exc, self.path, doing) from exc

    def outbox_rewritten(self) -> None:
        """Call after writing the outbox other than through ``enqueue``/``mark_*`` (e.g.
        ``scrub_outbox``, or an adapter writing through ``writing``): every watch reads every message again."""
        for watch in self._outbox_watches:
            watch.version = None

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
