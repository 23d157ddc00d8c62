"""What staff typed, carried from one process to the next (issue 14: a cold ``once``
per cycle under cron).

A new process read the staff input (``core.staff``) from every row of 伴走者, 申請 and
支払, cycle after cycle, though staff had typed nothing since. The staff input is a pure
function of those rows, and the sheet adapter names the rows it read
(``SheetSnapshot.labels``: the local sheet, a digest of each file's bytes and the tab's
layout; the Google sheet, a digest of the narrow read's values and the layout). So the
first read of a process keeps its staff input beside the ledger under the names of the
three tabs' rows, and a later process whose read has those very names takes it from there
instead of reading every row. Any cell changed, a row sorted, added or deleted, a tab
missing or added gives another name, and the rows are read in full as before.

Only what a row says matters to the file: a blank desk or decision is stored as its key
alone (most of a large history), so the file stays small. It is a cache, never a truth: a
file of another name, layout or version, or a damaged one, is no memo (the rows are read).
It holds what staff typed (a メモ, a 連絡先訂正): the store keeps it mode 0600, and a
purge's ``vacuum`` deletes it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
from collections.abc import Callable, Mapping, Sequence
from typing import Any, BinaryIO

from bansou_sync.app.services import ProjectionKeep
from bansou_sync.core.model import SupporterDesk
from bansou_sync.core.staff import STAFF_TABS, StaffInput, read_staff
from bansou_sync.errors import BansouError
from bansou_sync.ports import SheetSnapshot, StatusSheet

_FORMAT = 1
_DESK = tuple(f.name for f in dataclasses.fields(SupporterDesk))
_BLANK_DESK = SupporterDesk()
_BLANK_DECISION = ("", "")
_LAYOUT = hashlib.blake2b(
    repr((_FORMAT, _DESK, [f.name for f in dataclasses.fields(StaffInput)])).encode(),
    digest_size=8,
).hexdigest()


def name_for(snapshot: SheetSnapshot) -> str | None:
    """What the staff input of this read is kept under: the names of the staff tabs'
    rows (a tab the sheet lacks: ``-``); None when a tab's rows have no name."""
    parts = []
    for tab in STAFF_TABS:
        if tab not in snapshot.tabs:
            parts.append("-")
        elif (label := snapshot.labels.get(tab)) is not None:
            parts.append(label)
        else:
            return None
    return f"staff:{_LAYOUT}:{'/'.join(parts)}"


def staff_input(
    keep: ProjectionKeep | None,
    name: str | None,
    read: Callable[[], StaffInput],
    *,
    save: bool = True,
) -> StaffInput:
    """The staff input kept under ``name`` when there is one, else ``read()`` (kept under
    ``name`` for the next process when ``save``)."""
    if keep is None or name is None:
        return read()
    found = decode(keep.load(name))
    if found is not None:
        return found
    staff = read()
    if save:
        data = encode(staff)
        keep.save(name, lambda file: _write(file, data))
    return staff


def keep_written(keep: ProjectionKeep | None, sheet: StatusSheet) -> None:
    """After a process wrote staff tabs: keep the staff input of the sheet as it is now,
    which the next process's read finds unless staff type in the meantime (a sheet whose
    read costs no request: the local sheet, whose kept parses of the files just written
    make this read cheap). A read the next process would not take from the memo (a key
    in several rows) keeps nothing."""
    try:
        snapshot = sheet.read()
    except BansouError:  # a tab staff are saving just now: the next read reads the rows
        return
    name = name_for(snapshot)
    if keep is None or name is None or snapshot.repeats or keep.load(name) is not None:
        return
    staff = read_staff(
        {tab: [row.cells for row in snapshot.tabs[tab]] for tab in rows_of(snapshot)}
    )
    data = encode(staff)
    keep.save(name, lambda file: _write(file, data))


def _write(file: BinaryIO, data: bytes) -> None:
    file.write(data)


def encode(staff: StaffInput) -> bytes:
    """``staff`` as plain data (``marshal``): blank desks and decisions by key only."""
    desk_ids = tuple(staff.desks)
    desks = tuple(
        (i, tuple(getattr(desk, f) for f in _DESK))
        for i, desk in enumerate(staff.desks.values())
        if desk != _BLANK_DESK
    )
    app_nos = tuple(staff.decisions)
    decisions = tuple(
        (i, *decision)
        for i, decision in enumerate(staff.decisions.values())
        if decision != _BLANK_DECISION
    )
    unread = {key: tuple(sorted(fields)) for key, fields in staff.unread.items()}
    kept = (_FORMAT, desk_ids, desks, app_nos, decisions, staff.paid, staff.problems)
    return marshal.dumps((*kept, unread, staff.reasons, staff.fixes))


def decode(data: bytes | None) -> StaffInput | None:
    """The staff input ``encode`` made; None for anything else."""
    if data is None:
        return None
    try:
        kept = marshal.loads(data)
        form, desk_ids, desks, app_nos, decisions, paid, problems, unread, reasons, fixes = kept
        if form != _FORMAT:
            return None
        return StaffInput(
            _filled(desk_ids, _BLANK_DESK, ((i, SupporterDesk(*f)) for i, f in desks)),
            _filled(app_nos, _BLANK_DECISION, ((i, (c, m)) for i, c, m in decisions)),
            _typed(paid, bool),
            tuple(_text(p) for p in problems),
            {_text(k): frozenset(map(_text, v)) for k, v in _typed(unread, tuple).items()},
            _typed(reasons, str),
            _typed(fixes, tuple),
        )
    except (EOFError, ValueError, TypeError, IndexError):
        return None  # not a memo of this layout: the rows are read instead


def _filled(keys: Sequence[str], blank: Any, given: Any) -> dict[str, Any]:
    """Every key in order, blank but for ``given`` (index, value) pairs."""
    out = dict.fromkeys(keys, blank)
    for i, value in given:
        out[keys[i]] = value
    return out


def _typed(found: Any, kind: type) -> dict[str, Any]:
    if not isinstance(found, dict) or not all(isinstance(v, kind) for v in found.values()):
        raise TypeError("not a memo")
    return found


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a memo")
    return value


def rows_of(snapshot: SheetSnapshot) -> Mapping[str, Sequence[Any]]:
    """The staff tabs' rows of ``snapshot`` (what ``WarmCycle.staff_of`` compares)."""
    return {name: rows for name, rows in snapshot.tabs.items() if name in STAFF_TABS}
