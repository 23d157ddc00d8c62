"""Reading the Google status sheet: which ranges one ``values.batchGet`` asks for, and
how its reply becomes a ``SheetSnapshot`` plus what ``write`` needs to know of each tab.

A *narrow* read asks, per tab, for the header row and only the key and staff columns
(at the layout's positions); a *full* read asks for whole tabs — the first read with no
row cache, a tab whose header differs from the layout (columns are then found by name),
and the ledger-rebuild case, which needs every daemon column. Problems (keyless rows with
staff content, unknown or missing columns) are reported like LocalSheet's; a key in
several rows is handed on (``TabState.repeats``) for ``core.staff.settle_repeats``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bansou_sync.core.staff import RepeatedKey
from bansou_sync.core.tabs import TabLayout
from bansou_sync.ports import StaffRow

Key = tuple[str, ...]


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def column_index(letters_: str) -> int:
    """A → 0, Z → 25, AA → 26."""
    index = 0
    for char in letters_.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


@dataclass
class TabState:
    """One tab as the latest read saw it (row indexes are 0-based; row 0 is the header)."""

    layout: TabLayout
    columns: dict[str, int]  # header → column index in the sheet
    header_blank: bool = False
    rows: dict[Key, int] = field(default_factory=dict)  # key → first row holding it
    last_row: int = 0  # last row with content in the columns read (0: header only)
    read_back: dict[Key, tuple[str, ...]] = field(default_factory=dict)  # full reads only
    # keys found in more than one row (``rows`` holds the first): core.staff settles them
    repeats: list[RepeatedKey] = field(default_factory=list)
    # rows repeating a key held by an earlier row: (key, row, staff typed something in it);
    # a copy with nothing typed is removed by the next write, as the local sheet does
    copies: list[tuple[Key, int, bool]] = field(default_factory=list)

    @classmethod
    def fresh(cls, layout: TabLayout) -> TabState:
        """A tab that does not exist yet: it will have the layout's header."""
        return cls(layout, {h: i for i, h in enumerate(layout.headers)}, header_blank=True)

    @property
    def key_missing(self) -> bool:
        return any(k not in self.columns for k in self.layout.key)


def narrow_columns(layout: TabLayout) -> list[tuple[int, int]]:
    """Runs ``(first, last)`` of layout column indexes holding the key or staff columns."""
    wanted = sorted(layout.headers.index(h) for h in {*layout.key, *layout.staff})
    if not layout.key:  # rows without a key (同期) are counted by their first column
        wanted = sorted({0, *wanted})
    runs: list[tuple[int, int]] = []
    for index in wanted:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def narrow_ranges(layout: TabLayout) -> list[str]:
    tab = quote(layout.name)
    return [f"{tab}!1:1"] + [f"{tab}!{letters(a)}2:{letters(b)}" for a, b in narrow_columns(layout)]


def full_ranges(layout: TabLayout) -> list[str]:
    return [quote(layout.name)]


def header_matches(layout: TabLayout, header: Sequence[Any]) -> bool:
    names = [_name(h) for h in header]
    return names[: len(layout.headers)] == list(layout.headers) and not any(
        names[len(layout.headers) :]
    )


def grid_from_narrow(
    layout: TabLayout, value_ranges: Sequence[dict[str, Any]]
) -> tuple[list[Any], dict[int, dict[int, str]]]:
    """(header row, {row index: {column: text}}) from a narrow read's value ranges."""
    header = (value_ranges[0].get("values") or [[]])[0]
    grid: dict[int, dict[int, str]] = {}
    for (first, _), value_range in zip(narrow_columns(layout), value_ranges[1:], strict=True):
        for offset, row in enumerate(value_range.get("values") or []):
            cells = grid.setdefault(offset + 1, {})
            for c, value in enumerate(row):
                cells[first + c] = str(value)
    return header, grid


def grid_from_full(value_range: dict[str, Any]) -> tuple[list[Any], dict[int, dict[int, str]]]:
    rows = value_range.get("values") or [[]]
    grid = {r: {c: str(v) for c, v in enumerate(row)} for r, row in enumerate(rows[1:], start=1)}
    return rows[0] if rows else [], grid


def parse_tab(
    layout: TabLayout, header: Sequence[Any], grid: dict[int, dict[int, str]], full: bool
) -> tuple[TabState, list[StaffRow], list[str]]:
    problems: list[str] = []
    columns: dict[str, int] = {}
    extra: list[int] = []
    for position, raw in enumerate(header):
        name = _name(raw)
        if name in layout.headers and name not in columns:
            columns[name] = position
        elif name in columns:
            problems.append(f"{layout.name}: 列「{name}」が2つあります。左の列を使います")
        elif name:
            extra.append(position)
            problems.append(
                f"{layout.name}: 列「{name}」は bansou-sync の列ではありません(書き込みません)"
            )
    state = TabState(layout, columns, header_blank=not any(_name(h) for h in header))
    if state.header_blank and not grid:
        state.columns = TabState.fresh(layout).columns
        return state, [], problems
    problems += [
        f"{layout.name}: 列「{h}」がありません" for h in layout.headers if h not in columns
    ]
    shown = (
        layout.headers
        if full
        else tuple(h for h in layout.headers if h in {*layout.key, *layout.staff})
    )
    rows: list[StaffRow] = []
    # worked out once, not per row: a 60,000-row tab is parsed every cycle (issue 5)
    key_missing = state.key_missing
    where = [(h, columns.get(h)) for h in shown]
    strip = str.strip
    again: dict[Key, list[tuple[int, dict[str, str]]]] = {}  # later rows of a key
    for index in sorted(grid):
        found = grid[index]
        if not any(map(strip, found.values())):
            continue
        state.last_row = index
        if key_missing:
            continue
        cells = {h: "" if c is None else strip(found.get(c, "")) for h, c in where}
        key = tuple(cells[k] for k in layout.key)
        if layout.key and not layout.keyed(key):
            staff = any(cells.get(h) for h in layout.staff) or any(found.get(p) for p in extra)
            if staff:
                problems.append(
                    f"{layout.name}: {index + 1}行目に{'・'.join(layout.key)}がありません"
                )
            continue
        if layout.key and key in state.rows:
            again.setdefault(key, []).append((index + 1, _staff(layout, cells)))
            typed = any(cells.get(h) for h in layout.staff) or any(found.get(p) for p in extra)
            state.copies.append((key, index, bool(typed)))
            continue
        state.rows[key] = index
        if full:
            state.read_back[key] = tuple(cells[h] for h in layout.daemon)
        rows.append(StaffRow(key=key, cells=cells))
    if again:  # rare: the first row of each repeated key is found once, here
        first = {row.key: row.cells for row in rows if row.key in again}
        state.repeats = [
            RepeatedKey(
                layout.name,
                key,
                ((state.rows[key] + 1, _staff(layout, first[key])), *later),
            )
            for key, later in again.items()
        ]
    return state, rows, problems


def _staff(layout: TabLayout, cells: Mapping[str, str]) -> dict[str, str]:
    return {h: cells.get(h, "") for h in layout.staff}


def _name(raw: Any) -> str:
    return unicodedata.normalize("NFKC", str(raw)).strip()
