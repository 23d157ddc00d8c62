"""What a read through the row tags says about the rows, and what a write's reply says
(issue 11 §2): pure functions over Google's replies, used by ``GoogleSheet``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bansou_sync.adapters.google_sheet_plan import Pending
from bansou_sync.adapters.google_sheet_read import Key, TabState, column_index


def row_of(a1: str) -> int | None:
    """The 0-based row where an A1 range such as ``'伴走者'!A5:R5`` starts."""
    found = re.match(r"\$?[A-Za-z]*\$?(\d+)", a1.rpartition("!")[2])
    return int(found[1]) - 1 if found else None


def key_cells(state: TabState, cells: Sequence[Any]) -> Key:
    return tuple(
        str(cells[c]).strip() if c < len(cells) else ""
        for c in (state.columns[k] for k in state.layout.key)
    )


def written_key(p: Pending | None, updated: dict[str, Any]) -> Key | None:
    """The key cells of a row as a write's reply shows them after the write (None when
    the reply does not reach the key columns)."""
    if p is None:
        return None
    first = re.match(r"\$?([A-Za-z]*)\$?\d", str(updated.get("range", "")).rpartition("!")[2])
    values = updated.get("values") or []
    if first is None or not values:
        return None
    offset = column_index(first[1]) if first[1] else 0  # "5:5": the whole row, from A
    row = values[0]
    at = [p.state.columns[k] - offset for k in p.state.layout.key]
    if any(c < 0 or c >= len(row) for c in at):
        return None
    return tuple(str(row[c]).strip() for c in at)


def staff_typed(state: TabState, cells: Sequence[Any]) -> list[str]:
    return state.layout.staff_filled(
        {h: str(cells[c]) if c < len(cells) else "" for h, c in state.columns.items()}
    )


def holds(p: Pending, found: tuple[int, list[Any]] | None) -> bool:
    """The row read through ``p``'s tag holds ``p``'s key (a new row: no key yet); if so,
    where it is and what it holds are kept for the removal."""
    if found is None:
        return False
    if key_cells(p.state, found[1]) != p.key:
        return False
    if p.copy and staff_typed(p.state, found[1]):  # a copy goes only as long as it is blank
        return False
    p.found_at, p.found = found
    return True
