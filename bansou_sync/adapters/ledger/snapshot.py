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
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import enum
import hashlib
import io
import operator
import pickle
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bansou_sync.adapters.atomic import write_atomically
from bansou_sync.core import model
from bansou_sync.core.state import BatchMark, State

MAGIC = b"bansou-sync state snapshot 1\n"
_PROTOCOL = 5
_TOKEN = 16
_DIGEST = 32
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
    try:
        with path.open("rb") as file:
            head = file.read(len(MAGIC) + _DIGEST + _TOKEN + _DIGEST)
            if head[: len(MAGIC)] != MAGIC:
                return None
            at = len(MAGIC)
            shape, label = head[at : at + _DIGEST], head[at + _DIGEST : at + _DIGEST + _TOKEN]
            if shape != _FINGERPRINT or label != token:
                return None
            digest = head[at + _DIGEST + _TOKEN :]
            payload = file.read()
    except OSError:
        return None
    if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
        return None
    try:
        tables = _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # a snapshot that cannot be read is no snapshot: decode instead
        return None
    if not (isinstance(tables, tuple) and len(tables) == len(_FIELDS)):
        return None
    if not all(isinstance(t, dict) for t in tables):
        return None
    return State(**dict(zip(_FIELDS, tables, strict=True)))


def write(path: Path, token: bytes, state: State) -> bool:
    """Keep ``state`` at ``path`` labelled ``token``, atomically (mode 0600). False when
    it could not be written (a cache: the next process decodes, nothing is lost)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    try:
        pickler.dump(tuple(getattr(state, f) for f in _FIELDS))
    except (pickle.PicklingError, TypeError, AttributeError):
        return False  # not kept: the next process decodes the ledger
    payload = buffer.getvalue()
    del buffer
    digest = hashlib.blake2b(payload, digest_size=_DIGEST).digest()
    try:
        write_atomically(path, MAGIC + _FINGERPRINT + token + digest + payload)
    except OSError:
        return False
    return True


def remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
