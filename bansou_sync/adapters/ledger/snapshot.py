"""The decoded ``State`` kept in a file beside the ledger, so that a new process — cron
running ``bansou-sync once`` each cycle, a restarted service, ``status`` — does not decode
every record of the history from JSON (issue 14: two thirds of a cold cycle at 30,000
applications).

It is a cache, never a truth. Each write of a ``State`` table replaces the ledger's
``state_token`` with a random value, by trigger, inside the writing transaction
(schema 5), so a token names exactly one content of those tables: whatever wrote them
(this version, a crash rolled back, another process, a restored backup, a rebuilt file).
A snapshot is labelled with the token of the content it holds and is used only when the
ledger's token is that label, its layout fingerprint is this code's (a record type that
gained a field makes it unusable) and its digest is intact; anything else — no file, a
torn or foreign one — is a full decode, as before.

The file is the state as pickled by this process (the record types are frozen plain
dataclasses), read back by an unpickler that builds only those types, dates, times and
zones. It holds what the ledger holds: mode 0600, deleted by ``vacuum`` (after a purge).

A cycle that changed a few records of a long history does not write the whole state
again: ``write_delta`` keeps, in ``<snapshot>.delta``, the records changed (and the keys
removed) since the whole snapshot, labelled with that snapshot's token and the new one,
with the same layout fingerprint, digest and unpickler. ``load`` applies it only to the
whole snapshot it names; the store writes the whole state again (dropping the delta)
when the delta grows past a share of the records, or when a key was removed and added
again (its place in the dicts would differ from a decode's).
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import enum
import hashlib
import io
import itertools
import operator
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from bansou_sync.adapters.atomic import DIGEST_SIZE, write_digested
from bansou_sync.core import model
from bansou_sync.core.state import BatchMark, State

MAGIC = b"bansou-sync state snapshot 2\n"
DELTA_MAGIC = b"bansou-sync state delta 1\n"
_PROTOCOL = 5
_CHUNK = 4096  # records per pickle of a whole snapshot
_TOKEN = 16
_DIGEST = DIGEST_SIZE
_FIELDS = tuple(f.name for f in dataclasses.fields(State))


def _zone(key: str) -> ZoneInfo:
    """A zone by its name, as the codec reads one (the cached instance)."""
    return ZoneInfo(key)


def _reduce_zone(zone: ZoneInfo) -> tuple[Any, tuple[str]]:
    if zone.key is None:  # a zone read from a file has no name to store
        raise pickle.PicklingError("a time zone without a name")
    return _zone, (zone.key,)


# every global a pickled ``State`` refers to, and nothing else (a zone is pickled by its
# name through ``_zone``, not through ``getattr`` as ``ZoneInfo`` would do)
_ALLOWED: dict[tuple[str, str], Any] = {
    ("bansou_sync.core.model", "Registration"): model.Registration,
    ("bansou_sync.core.model", "Application"): model.Application,
    ("bansou_sync.core.model", "SupporterDesk"): model.SupporterDesk,
    ("bansou_sync.core.model", "Reason"): model.Reason,
    ("bansou_sync.core.model", "Correction"): model.Correction,
    ("bansou_sync.core.model", "AppStatus"): model.AppStatus,
    ("bansou_sync.core.model", "RegistrationStatus"): model.RegistrationStatus,
    ("bansou_sync.core.state", "BatchMark"): BatchMark,
    ("datetime", "datetime"): datetime,
    ("datetime", "date"): date,
    ("datetime", "timezone"): timezone,
    ("datetime", "timedelta"): timedelta,
    (__name__, "_zone"): _zone,
}


def fingerprint() -> bytes:
    """The layout of every pickled type: a record type that gains, loses or retypes a
    field (or an enum whose members change) makes older snapshots unusable."""
    parts = [f"python {sys.version_info[:2]}", f"State {_FIELDS}"]
    for (module, name), value in sorted(_ALLOWED.items(), key=lambda item: item[0]):
        if isinstance(value, type) and issubclass(value, enum.Enum):
            parts.append(f"{module}.{name} {[(m.name, m.value) for m in value]}")
        elif dataclasses.is_dataclass(value):
            parts.append(
                f"{module}.{name} {[(f.name, str(f.type)) for f in dataclasses.fields(value)]}"
            )
    return hashlib.sha256("\n".join(parts).encode()).digest()


_FINGERPRINT = fingerprint()


def _by_fields(cls: type[Any]) -> Callable[[Any], tuple[Any, tuple[Any, ...]]]:
    """A frozen slotted record pickled as ``cls(*fields)``: its values read at C speed
    and its ``__init__`` run on load (it has no ``__post_init__``), instead of
    dataclasses' ``__getstate__``/``__setstate__``, which list the fields per record."""
    values = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))
    return lambda record: (cls, values(record))


# how each type is pickled: a zone by its name, the two big record types by their fields
_DISPATCH = {
    **copyreg.dispatch_table,
    ZoneInfo: _reduce_zone,
    model.Application: _by_fields(model.Application),
    model.Registration: _by_fields(model.Registration),
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a state snapshot")
        return found


def path_for(ledger_path: Path) -> Path:
    return ledger_path.with_name(ledger_path.name + ".state-snapshot")


def read(path: Path, token: bytes) -> State | None:
    """The state the snapshot at ``path`` holds if it is labelled ``token`` and sound;
    None otherwise (no file, another label, another layout, damaged)."""
    loaded = load(path, token)
    return None if loaded is None else loaded.state


@dataclasses.dataclass
class Loaded:
    state: State
    base: bytes  # the token of the whole snapshot it was read from
    since: dict[str, set[str]]  # per table, the keys its delta changed (or removed)


def delta_path(path: Path) -> Path:
    return path.with_name(path.name + ".delta")


def load(path: Path, token: bytes) -> Loaded | None:
    """The state labelled ``token``: the whole snapshot at ``path`` when it is labelled
    so, else that snapshot with the delta beside it when the delta goes from the
    snapshot's label to ``token``; None when neither is there and sound."""
    base = _part(path, MAGIC, _TOKEN)
    if base is None:
        return None
    label, payload = base
    delta: bytes | None = None
    if label != token:
        part = _part(delta_path(path), DELTA_MAGIC, 2 * _TOKEN)
        if part is None or part[0] != label + token:
            return None
        delta = part[1]
    tables = _tables(payload)
    if tables is None:
        return None
    state = State(**dict(zip(_FIELDS, tables, strict=True)))
    since: dict[str, set[str]] = {f: set() for f in _FIELDS}
    if delta is not None:
        changes = _unpickled(delta)
        if not (isinstance(changes, tuple) and len(changes) == len(_FIELDS)):
            return None
        for name, change in zip(_FIELDS, changes, strict=True):
            if not (isinstance(change, tuple) and len(change) == 2):
                return None
            gone, changed = change
            if not (isinstance(gone, list) and isinstance(changed, dict)):
                return None
            records = getattr(state, name)
            for key in gone:
                records.pop(key, None)
            records.update(changed)
            since[name].update(gone, changed)
    return Loaded(state, label, since)


def _part(path: Path, magic: bytes, label_size: int) -> tuple[bytes, bytes] | None:
    """A file's label and payload, when it has ``magic``, this layout and its digest."""
    try:
        with path.open("rb") as file:
            head = file.read(len(magic) + _DIGEST + label_size + _DIGEST)
            if head[: len(magic)] != magic or len(head) < len(magic) + 2 * _DIGEST + label_size:
                return None
            at = len(magic)
            shape, label = head[at : at + _DIGEST], head[at + _DIGEST : at + _DIGEST + label_size]
            if shape != _FINGERPRINT:
                return None
            digest = head[at + _DIGEST + label_size :]
            payload = file.read()
    except OSError:
        return None
    if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
        return None
    return label, payload


def _tables(payload: bytes) -> list[dict[Any, Any]] | None:
    """The state's tables from a whole snapshot: per table, its records in pickles of
    at most ``_CHUNK`` records, then a None."""
    stream, tables = io.BytesIO(payload), []
    try:
        for _ in _FIELDS:
            table: dict[Any, Any] = {}
            while (chunk := _Unpickler(stream).load()) is not None:
                if not isinstance(chunk, dict):
                    return None
                table.update(chunk)
            tables.append(table)
    except Exception:  # a snapshot that cannot be read is no snapshot: decode instead
        return None
    return None if stream.read(1) else tables


def _unpickled(payload: bytes) -> Any:
    try:
        return _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # a snapshot that cannot be read is no snapshot: decode instead
        return None


def write(path: Path, token: bytes, state: State) -> bool:
    """Keep ``state`` at ``path`` labelled ``token``, atomically (mode 0600), and drop
    any delta of an older snapshot. False when it could not be written (a cache: the
    next process decodes, nothing is lost)."""
    if not _keep(path, MAGIC + _FINGERPRINT + token, _chunks(state)):
        return False
    remove(delta_path(path))
    return True


def write_delta(
    path: Path, base: bytes, token: bytes, state: State, since: dict[str, set[str]]
) -> bool:
    """Keep beside the snapshot labelled ``base`` what ``state`` (labelled ``token``)
    has that it does not: per table the keys of ``since`` gone from ``state``, and the
    records of the others in ``state``'s order — applied to the snapshot's dicts they
    give ``state``'s, order included, when no key of ``since`` was removed and then
    added again (``StateStore`` writes the whole state then)."""
    changes = []
    for name in _FIELDS:
        records, keys = getattr(state, name), since.get(name, set())
        changed = {k: v for k, v in records.items() if k in keys} if keys else {}
        changes.append(([k for k in keys if k not in records], changed))
    label = DELTA_MAGIC + _FINGERPRINT + base + token
    return _keep(delta_path(path), label, [tuple(changes)])


def _chunks(state: State) -> Iterator[Any]:
    """A whole snapshot's pickles: each table's records by ``_CHUNK``, then a None."""
    for name in _FIELDS:
        records = iter(getattr(state, name).items())
        while chunk := dict(itertools.islice(records, _CHUNK)):
            yield chunk
        yield None


def _keep(path: Path, head: bytes, values: Iterable[Any]) -> bool:
    """``head``, the digest of the pickles of ``values``, the pickles: streamed into the
    file (the digest's place filled once they are written), never held whole in memory,
    the pickler's memo of every object it wrote dropped after each value (a
    30,000-application backfill's peak)."""

    def write(out: BinaryIO) -> None:
        pickler = pickle.Pickler(out, protocol=_PROTOCOL)
        pickler.dispatch_table = _DISPATCH
        for value in values:
            pickler.dump(value)
            pickler.clear_memo()

    try:
        write_digested(path, head, write)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return False  # not kept: the next process decodes the ledger
    return True


def remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
