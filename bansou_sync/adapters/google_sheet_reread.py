"""Reading the status sheet again without parsing it all again (issue 5).

A narrow read (``google_sheet_read``) of a 60,000-row tab is mostly what the previous
read was: the keys where they were, a few staff cells typed since, and the rows this
process inserted itself. ``reparse`` compares the new reply with the last one, *as
values* (C-speed list equality), and parses only the rows that differ when nothing but
staff cells of keyed rows changed; anything else (a key moved, a header changed, a
keyless row typed in) is parsed in full by ``parse_tab`` as before. ``after_insert``
predicts the read that follows this process's own insertion of new rows, so the next
cycle finds it unchanged. Both give exactly what ``parse_tab`` gives for the same
reply (the tests compare them); keyless tabs (同期) are always parsed in full.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bansou_sync.adapters.google_sheet_plan import as_text
from bansou_sync.adapters.google_sheet_read import (
    Key,
    TabState,
    grid_from_narrow,
    narrow_columns,
    parse_tab,
)
from bansou_sync.core.tabs import TabLayout
from bansou_sync.ports import StaffRow

Values = list[list[Any]]  # one value range's rows, as Google sends them


@dataclass(frozen=True)
class Parsed:
    """One tab's narrow read (range 0 the header row, then the key/staff column runs)
    and what it parsed to; ``position`` maps a sheet row index to its place in ``rows``."""

    values: tuple[Values, ...]
    state: TabState
    rows: list[StaffRow]
    problems: list[str]
    position: dict[int, int]


def reply_values(value_ranges: Sequence[dict[str, Any]]) -> tuple[Values, ...]:
    return tuple(list(vr.get("values") or []) for vr in value_ranges)


def parse_narrow(layout: TabLayout, values: tuple[Values, ...]) -> Parsed:
    header, grid = grid_from_narrow(layout, [{"values": v} for v in values])
    state, rows, problems = parse_tab(layout, header, grid, False)
    position = {state.rows[row.key]: i for i, row in enumerate(rows)} if layout.key else {}
    return Parsed(values, state, rows, problems, position)


def blank(layout: TabLayout) -> Parsed:
    """The narrow read of a tab holding only the layout's header."""
    values = ([list(layout.headers)], *[[] for _ in narrow_columns(layout)])
    state = TabState(layout, {h: i for i, h in enumerate(layout.headers)})
    return Parsed(tuple(values), state, [], [], {})


def reparse(layout: TabLayout, values: tuple[Values, ...], before: Parsed | None) -> Parsed:
    """The parse of ``values``, reusing ``before`` (the last read's) where it can."""
    if before is None or not layout.key or len(values) != len(before.values):
        return parse_narrow(layout, values)
    if values == before.values:
        return before
    if values[0] != before.values[0] or before.state.repeats:
        return parse_narrow(layout, values)  # (a repeated key's rows: rare, read again)
    runs = narrow_columns(layout)
    keys = {layout.headers.index(k) for k in layout.key}
    changed: set[int] = set()
    for (first, last), new, old in zip(runs, values[1:], before.values[1:], strict=True):
        if new == old:
            continue
        if any(first <= c <= last for c in keys):
            return parse_narrow(layout, values)  # a key changed or moved: parse it all
        for offset, (a, b) in enumerate(zip(new, old, strict=False)):  # lengths may differ
            if a != b:
                changed.add(offset + 1)
        shorter, longer = sorted((new, old), key=len)
        changed.update(
            offset + 1
            for offset in range(len(shorter), len(longer))
            if any(str(v).strip() for v in longer[offset])
        )
    if any(index not in before.position for index in changed):
        return parse_narrow(layout, values)  # a row without a key: parse it all
    rows = list(before.rows)
    for index in changed:
        place = before.position[index]
        rows[place] = StaffRow(rows[place].key, _cells(layout, runs, values, index))
    return Parsed(values, before.state, rows, before.problems, before.position)


def _cells(
    layout: TabLayout, runs: list[tuple[int, int]], values: tuple[Values, ...], index: int
) -> dict[str, str]:
    """One keyed row's cells as ``parse_tab`` gives them (the columns are the layout's:
    a narrow read is only used while the header matches the layout)."""
    found: dict[int, str] = {}
    for (first, _), rows in zip(runs, values[1:], strict=True):
        if index - 1 < len(rows):
            for c, value in enumerate(rows[index - 1]):
                found[first + c] = str(value)
    shown = [h for h in layout.headers if h in {*layout.key, *layout.staff}]
    return {h: found.get(layout.headers.index(h), "").strip() for h in shown}


def after_insert(layout: TabLayout, before: Parsed, at: int, keys: Sequence[Key]) -> Parsed | None:
    """The read expected after ``keys`` were inserted as blank rows (but for their key
    cells) at sheet row ``at``: the next read, if staff did nothing meanwhile, equals it
    and is not parsed again. None where the problems found name row numbers (they move)."""
    if before.problems or before.state.repeats or not layout.key:
        return None
    count = len(keys)
    offset = at - 1  # rows of data above the insertion
    runs = narrow_columns(layout)
    key_at = [layout.headers.index(k) for k in layout.key]
    values: list[Values] = [before.values[0]]
    for (first, last), run_rows in zip(runs, before.values[1:], strict=True):
        made = _key_cells(first, last, key_at, keys)
        if not any(made) and offset >= len(run_rows):
            values.append(run_rows)  # blank rows below the last with content: not sent
        elif offset < len(run_rows):
            values.append([*run_rows[:offset], *made, *run_rows[offset:]])
        else:  # below the last row with content: blank run_rows there are not sent
            grown = [*run_rows, *[[] for _ in range(offset - len(run_rows))], *made]
            while grown and not grown[-1]:
                grown.pop()
            values.append(grown)
    state = before.state
    below = at > state.last_row  # appended (申請, 伴走者): nothing moves, copies suffice
    moved = TabState(
        state.layout,
        state.columns,
        header_blank=state.header_blank,
        rows=dict(state.rows)
        if below
        else {k: i + count if i >= at else i for k, i in state.rows.items()},
        last_row=state.last_row + count,
    )
    shown = [h for h in layout.headers if h in {*layout.key, *layout.staff}]
    fresh = []
    for i, key in enumerate(keys):
        moved.rows[key] = at + i
        cells = dict.fromkeys(shown, "")
        cells.update(zip(layout.key, key, strict=True))
        fresh.append(StaffRow(key, cells))
    if below:
        rows = [*before.rows, *fresh]
        position = dict(before.position)
        position.update((at + i, len(before.rows) + i) for i in range(count))
    else:
        above = sum(1 for index in before.position if index < at)
        rows = [*before.rows[:above], *fresh, *before.rows[above:]]
        position = {moved.rows[row.key]: i for i, row in enumerate(rows)}
    return Parsed(tuple(values), moved, rows, before.problems, position)


def _key_cells(first: int, last: int, key_at: list[int], keys: Sequence[Key]) -> list[list[Any]]:
    """Each new row's cells in the run of columns ``first``..``last``, as a read gives
    them: its key cells where the run has them, trailing empty cells left out. Where a
    run has no key column the rows read empty; the slots are worked out once a run (a
    backfill inserts 130,000 rows)."""
    slots = [(c - first, i) for i, c in enumerate(key_at) if first <= c <= last]
    if not slots:
        return [[] for _ in keys]
    blank = [""] * (max(at for at, _ in slots) + 1)  # cells past the last key: left out
    out = []
    for key in keys:
        cells = blank.copy()
        for at, i in slots:
            cells[at] = key[i]
        while cells and cells[-1] == "":
            cells.pop()
        out.append(cells)
    return out


def values_digest(values: Sequence[Any]) -> str:
    """A narrow read's values, named: the same digest, the same read (C-speed repr)."""
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def in_place_read(
    layout: TabLayout, header: Values, rows: Sequence[Sequence[Any]]
) -> tuple[Values, ...]:
    """The narrow read (the header row, then each run of ``narrow_columns``) of a tab
    rewritten in place with ``rows`` from row 2, as Google gives it: trailing empty cells
    and rows left out. Only a prediction: a read that differs has another digest, and
    the tab is then looked at."""
    found: list[Values] = [header]
    for first, last in narrow_columns(layout):
        run: Values = []
        for row in rows:
            cells = [as_text(v) for v in row[first : last + 1]]
            while cells and not cells[-1]:
                cells.pop()
            run.append(cells)
        while run and not run[-1]:
            run.pop()
        found.append(run)
    return tuple(found)
