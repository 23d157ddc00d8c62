"""The ``State`` tables: one row per record, key columns plus a JSON payload
(``ledger_codec``), written by difference and kept resident between cycles; between
processes the decoded state is kept in a snapshot file (``snapshot``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bansou_sync.adapters import kept_projection
from bansou_sync.adapters import ledger_codec as codec
from bansou_sync.adapters.ledger import snapshot
from bansou_sync.adapters.ledger.connection import LedgerConnection
from bansou_sync.adapters.ledger.schema import RECOVER_HINT
from bansou_sync.core.model import Application, Registration, SupporterDesk
from bansou_sync.core.state import BatchMark, State
from bansou_sync.errors import LedgerError

_ABSENT = object()
# the snapshot's delta is written while the records it holds are at most this share of
# the applications and registrations (a larger one: the whole state, the delta dropped)
DELTA_SHARE = 8


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


class StateStore(LedgerConnection):
    _snapshot_base: bytes | None = None  # the token of the snapshot file's whole state
    _since_base: dict[str, set[str]] | None = None  # per table, keys changed since
    _removed_since: dict[str, set[str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._removed_since = {}

    @property
    def state_generation(self) -> int | None:
        """Equal between two ``load_state`` calls exactly when the state they return is the
        same (the resident state was kept); None when there is no resident state. A
        service uses it to skip work that depends only on the state."""
        return self._generation if self._resident is not None else None

    @property
    def state_token(self) -> bytes | None:
        """The ``state_token`` of the state of ``state_generation`` (the resident one)."""
        return self._resident_token if self._resident is not None else None

    def load_state(self) -> State:
        """The state the ledger holds (a copy: callers may change its dicts)."""
        if not self._in_transaction and self._resident is not None:
            with self._guard("read the state"):
                version = self._scalar("PRAGMA data_version")
            if version == self._resident_version:
                return self._resident.copy()
        with self._writing("read the state", begin="BEGIN"):  # one snapshot of all tables
            version = self._scalar("PRAGMA data_version")
            token = self._current_token()
            kept = None if token is None else snapshot.load(self.snapshot_path, token)
            state = kept.state if kept is not None else self._decode_state()
        if not self._in_transaction:  # inside one, it may hold changes not yet committed
            self._resident, self._resident_version = state.copy(), version
            self._resident_token = token
            # what the snapshot file holds and the resident changed since (None: unknown)
            self._snapshot_base, self._since_base = None, None
            if kept is not None:
                self._snapshot_token = token
                self._snapshot_base, self._since_base = kept.base, kept.since
                self._removed_since = {  # the keys of the delta gone from the state
                    name: {k for k in keys if k not in getattr(state, name)}
                    for name, keys in kept.since.items()
                }
            self._generation += 1
        return state

    def _decode_state(self) -> State:
        """Every record of the state tables, decoded (``ledger_codec``)."""
        state = State()
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
        return state

    @property
    def snapshot_path(self) -> Path:
        """Where the decoded state is kept between processes (``snapshot``)."""
        return snapshot.path_for(self.path)

    def keep_snapshot(self) -> None:
        """Keep the resident state in the snapshot file, if the ledger still holds it and
        the file does not already (``close`` calls it: a running service pays nothing
        per cycle, the next process decodes nothing)."""
        token = self._resident_token
        if self._read_only or self._closed or self._in_transaction:
            return
        if self._resident is None or token is None or token == self._snapshot_token:
            return
        with self._guard("read the state token"):
            if self._current_token() != token:  # another process wrote since: of no use
                return
        since, base = self._since_base, self._snapshot_base
        changed = sum(map(len, since.values())) if since is not None else 0
        records = len(self._resident.applications) + len(self._resident.registrations)
        if since is not None and base is not None and changed * DELTA_SHARE <= records:
            # a cycle changed a few records of a long history: only those are written
            if snapshot.write_delta(self.snapshot_path, base, token, self._resident, since):
                self._snapshot_token = token
            return
        if snapshot.write(self.snapshot_path, token, self._resident):
            self._snapshot_token = token
            self._snapshot_base, self._since_base, self._removed_since = token, {}, {}

    def _apply_to_resident(
        self, changes: list[tuple[str, list[str], list[tuple[str, Any]]]], token: bytes | None
    ) -> None:
        """As the connection's, and the keys changed since the snapshot file's whole
        state are noted for its delta (``snapshot.write_delta``)."""
        since = self._since_base
        if self._resident is not None and since is not None:
            for attr, gone, changed in changes:
                keys = since.setdefault(attr, set())
                removed = self._removed_since.setdefault(attr, set())
                if any(k in removed for k, _ in changed):  # removed, then added again:
                    self._since_base = None  # its place differs, write the whole state
                    break
                removed.update(gone)
                keys.update(gone)
                keys.update(k for k, _ in changed)
        super()._apply_to_resident(changes, token)

    def close(self) -> None:
        with contextlib.suppress(LedgerError):  # a cache: closing never fails for it
            self.keep_snapshot()
        super().close()

    def vacuum(self) -> None:
        """As ``LedgerConnection.vacuum``, and the snapshot file goes too: after a purge it
        holds what was deleted (``close`` keeps the state as it is now)."""
        super().vacuum()
        snapshot.remove(self.snapshot_path)
        snapshot.remove(snapshot.delta_path(self.snapshot_path))
        snapshot.remove(kept_projection.path_for(self.path))  # the projector's memo too
        snapshot.remove(kept_projection.path_for(self.path, kept_projection.STAFF))
        self._snapshot_token = self._snapshot_base = self._since_base = None

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
                # encoded as written, not all first: a backfill writes tens of thousands
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
