"""The in-memory spreadsheet behind the emulated Sheets API.

A ``Spreadsheet`` has properties, tabs (``Sheet``) and developer metadata
(``MetadataStore``). A tab keeps its ``SheetProperties`` as Google's JSON dict, its
cells row by row, and the ranged things Google moves along when rows or columns are
inserted, deleted or sorted (protected ranges, conditional formats, the basic filter,
row/column metadata).

Batch requests are all or nothing (``Spreadsheet.transaction``): rather than working on
a copy of the whole spreadsheet, a transaction copies a row only when it first writes
it, saves the small parts (properties, protected ranges…) and journals metadata
changes, so a request costs what it touches, not the size of the sheet (issue 5: a
60,000-row status sheet was copied for every write).
"""

from __future__ import annotations

import bisect
import copy
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bansou_sync.emulator.sheets_values import CellValue

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26


@dataclass(slots=True)  # millions of them in the benchmark's sheets: no __dict__ each
class Cell:
    value: CellValue | None = None
    format: dict[str, Any] | None = None
    note: str | None = None
    validation: dict[str, Any] | None = None

    def is_blank(self) -> bool:
        return self.value is None and not self.format and not self.note and not self.validation

    def copy(self) -> Cell:
        """A copy to change apart: values are immutable; a format is changed in place
        (``updateCells`` masks), so it is copied deeply; a validation rule is only ever
        replaced whole, never changed in place, so cells may share it (a backfill's
        120,000 new cells with a drop-down or checkbox rule are copied when written)."""
        return Cell(
            self.value,
            None if self.format is None else copy.deepcopy(self.format),
            self.note,
            self.validation,
        )


EMPTY_ROW: dict[int, Cell] = {}


@dataclass
class Sheet:
    """One tab. Cells are kept row by row (``_rows[r]``: column → ``Cell``, ``None`` for a
    row without cells), so inserting or deleting rows splices one list instead of
    renumbering every cell, and reading a few columns of a row is a few lookups.

    Writes go through ``cell``/``put``/``take``/``set_value``; ``get`` and ``row`` are for
    reading only (inside a transaction the ``Cell`` they return may still be shared with
    the state to roll back to)."""

    properties: dict[str, Any]
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    dimension_properties: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    column_groups: list[dict[str, Any]] = field(default_factory=list)  # DimensionGroup JSON
    _rows: list[dict[int, Cell] | None] = field(default_factory=list, repr=False)
    # the transaction (see ``begin``): ids of the row dicts this transaction made (their
    # cells are its own), the dicts themselves (so an id is not reused), the saved state
    _fresh: set[int] | None = field(default=None, repr=False)
    _made: list[dict[int, Cell]] = field(default_factory=list, repr=False)
    _saved: tuple[Any, ...] | None = field(default=None, repr=False)

    @property
    def sheet_id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def grid(self) -> dict[str, Any]:
        grid: dict[str, Any] = self.properties.setdefault("gridProperties", {})
        return grid

    @property
    def row_count(self) -> int:
        # read without ``grid``'s setdefault: every range a backfill writes or reads
        # back checks the grid's bounds (hundreds of thousands of times)
        grid = self.properties.get("gridProperties")
        return int((self.grid if grid is None else grid).get("rowCount", DEFAULT_ROWS))

    @property
    def column_count(self) -> int:
        grid = self.properties.get("gridProperties")
        return int((self.grid if grid is None else grid).get("columnCount", DEFAULT_COLUMNS))

    # -- reading --------------------------------------------------------------------------

    def get(self, row: int, col: int) -> Cell | None:
        rows = self._rows
        if 0 <= row < len(rows):
            found = rows[row]
            if found:
                return found.get(col)
        return None

    def value(self, row: int, col: int) -> CellValue | None:
        cell = self.get(row, col)
        return cell.value if cell else None

    def row(self, row: int) -> dict[int, Cell]:
        """The cells of one row by column (read only)."""
        rows = self._rows
        found = rows[row] if 0 <= row < len(rows) else None
        return found or EMPTY_ROW

    def row_slice(self, start: int, end: int) -> list[dict[int, Cell] | None]:
        """Rows [start, end) as far as any has cells: each a dict or None (read only)."""
        return self._rows[max(start, 0) : max(end, 0)]

    def rows_between(self, start: int, end: int) -> Iterator[tuple[int, dict[int, Cell]]]:
        """(row, cells) for the rows in [start, end) that have cells (read only)."""
        start = max(start, 0)
        for index, found in enumerate(self._rows[start:end], start):
            if found:
                yield index, found

    def iter_cells(self) -> Iterator[tuple[int, int, Cell]]:
        for r, found in self.rows_between(0, len(self._rows)):
            for c, cell in found.items():
                yield r, c, cell

    def last_row_with_value(
        self,
        start_col: int = 0,
        end_col: int | None = None,
        start_row: int = 0,
        end_row: int | None = None,
    ) -> int:
        """0-based index of the last row holding a value in the columns, or -1."""
        rows = self._rows
        top = len(rows) if end_row is None else min(end_row, len(rows))
        for index in range(top - 1, max(start_row, 0) - 1, -1):
            found = rows[index]
            if found and any(
                cell.value is not None and c >= start_col and (end_col is None or c < end_col)
                for c, cell in found.items()
            ):
                return index
        return -1

    # -- writing --------------------------------------------------------------------------

    def _writable(self, row: int) -> dict[int, Cell]:
        """Row ``row``'s cells, to change: inside a transaction, copied on first write."""
        rows = self._rows
        if row >= len(rows):
            rows.extend([None] * (row + 1 - len(rows)))
        found = rows[row]
        fresh = self._fresh
        if found is None:
            found = rows[row] = {}
            if fresh is not None:
                self._own(found)
        elif fresh is not None and id(found) not in fresh:
            found = rows[row] = {c: cell.copy() for c, cell in found.items()}
            self._own(found)
        return found

    def _own(self, found: dict[int, Cell]) -> None:
        assert self._fresh is not None
        self._fresh.add(id(found))
        self._made.append(found)

    def cell(self, row: int, col: int) -> Cell:
        found = self._writable(row)
        cell = found.get(col)
        if cell is None:
            cell = found[col] = Cell()
        return cell

    def put(self, row: int, col: int, cell: Cell) -> None:
        self._writable(row)[col] = cell

    def take(self, row: int, col: int) -> Cell | None:
        """Remove a cell and return it (None when there was none)."""
        if self.get(row, col) is None:
            return None
        return self._writable(row).pop(col)

    def set_value(self, row: int, col: int, value: CellValue | None) -> None:
        if value is None and self.get(row, col) is None:
            return
        self.cell(row, col).value = value
        self.forget_if_blank(row, col)

    def set_values(self, row: int, given: list[tuple[int, CellValue | None]]) -> None:
        """``set_value`` for several cells of one row (a block write's inner loop)."""
        found = self._writable(row)
        for col, value in given:
            cell = found.get(col)
            if cell is None:
                if value is not None:
                    found[col] = Cell(value)
            else:
                cell.value = value
                if value is None and cell.is_blank():
                    del found[col]

    def forget_if_blank(self, row: int, col: int) -> None:
        cell = self.get(row, col)
        if cell is not None and cell.is_blank():
            self._writable(row).pop(col)

    def clear_values(self, rows: tuple[int, int], cols: tuple[int, int]) -> None:
        for r, found in list(self.rows_between(*rows)):
            for c in [c for c in found if cols[0] <= c < cols[1]]:
                self.set_value(r, c, None)

    def iter_ranges(self) -> Iterator[dict[str, Any]]:
        """Every GridRange dict this tab owns, to move them with their rows."""
        for protected in self.protected_ranges:
            yield protected["range"]
            yield from protected.get("unprotectedRanges", [])
        for rule in self.conditional_formats:
            yield from rule.get("ranges", [])
        if self.basic_filter and "range" in self.basic_filter:
            yield self.basic_filter["range"]

    def insert(self, dimension: str, start: int, count: int) -> None:
        if dimension == "ROWS":
            if start < len(self._rows):
                self._rows[start:start] = [None] * count
        else:
            self._remap_columns(lambda c: c + count if c >= start else c)
        self._grow(dimension, count)
        for grid_range in self.iter_ranges():
            shift_for_insert(grid_range, dimension, start, count)

    def delete(self, dimension: str, start: int, end: int) -> None:
        count = end - start
        if dimension == "ROWS":
            del self._rows[start:end]
        else:
            self._remap_columns(
                lambda c: None if start <= c < end else (c - count if c >= end else c)
            )
        self._grow(dimension, -count)
        for grid_range in self.iter_ranges():
            shift_for_delete(grid_range, dimension, start, end)

    def _remap_columns(self, where: Callable[[int], int | None]) -> None:
        """Renumber (or drop, where None) the columns of every row. The new row dicts
        share their cells with the old ones: this transaction owns them only if it owned
        the old ones."""
        fresh = self._fresh
        for r, found in list(self.rows_between(0, len(self._rows))):
            moved = {}
            for c, cell in found.items():
                to = where(c)
                if to is not None:
                    moved[to] = cell
            self._rows[r] = moved
            if fresh is not None and id(found) in fresh:
                self._own(moved)

    def _grow(self, dimension: str, count: int) -> None:
        key = "rowCount" if dimension == "ROWS" else "columnCount"
        current = self.row_count if dimension == "ROWS" else self.column_count
        self.grid[key] = current + count

    def resize(self, rows: int, cols: int) -> None:
        self.grid["rowCount"] = rows
        self.grid["columnCount"] = cols
        del self._rows[rows:]
        if any(found and max(found) >= cols for found in self._rows):
            self._remap_columns(lambda c: c if c < cols else None)

    # -- all-or-nothing requests ----------------------------------------------------------

    def begin(self) -> None:
        """Start a transaction: rows are copied when first written (the saved row list
        keeps the old ones); the small parts are saved whole."""
        self._saved = (
            list(self._rows),
            copy.deepcopy(self.properties),
            copy.deepcopy(self.protected_ranges),
            copy.deepcopy(self.conditional_formats),
            copy.deepcopy(self.basic_filter),
            copy.deepcopy(self.dimension_properties),
            copy.deepcopy(self.column_groups),
        )
        self._fresh = set()
        self._made = []

    def commit(self) -> None:
        self._saved, self._fresh, self._made = None, None, []

    def rollback(self) -> None:
        if self._saved is not None:
            (
                self._rows,
                self.properties,
                self.protected_ranges,
                self.conditional_formats,
                self.basic_filter,
                self.dimension_properties,
                self.column_groups,
            ) = self._saved
        self.commit()


def shift_for_insert(grid_range: dict[str, Any], dimension: str, start: int, count: int) -> None:
    low, high = _keys(grid_range, dimension)
    if low in grid_range and grid_range[low] >= start:
        grid_range[low] += count
    if high in grid_range and grid_range[high] > start:
        grid_range[high] += count


def shift_for_delete(grid_range: dict[str, Any], dimension: str, start: int, end: int) -> None:
    low, high = _keys(grid_range, dimension)
    for key in (low, high):
        if key in grid_range:
            index = grid_range[key]
            if index >= end:
                grid_range[key] = index - (end - start)
            elif index > start:
                grid_range[key] = start


def _keys(grid_range: dict[str, Any], dimension: str) -> tuple[str, str]:
    if "dimension" in grid_range:  # a DimensionRange
        if grid_range["dimension"] != dimension:
            return ("", "")
        return ("startIndex", "endIndex")
    if dimension == "ROWS":
        return ("startRowIndex", "endRowIndex")
    return ("startColumnIndex", "endColumnIndex")


Shift = Callable[[dict[str, Any]], None]


class MetadataStore:
    """A spreadsheet's developer metadata, in creation order, indexed by ``metadataId``
    and, for the ones on rows or columns, by place: per (sheetId, dimension), their
    ``dimensionRange`` dicts sorted by ``startIndex``, so inserting rows above a few
    tags moves those tags, not all of them (a status sheet has one tag per row).

    Inside a transaction (``begin``) every change is journalled and ``rollback`` undoes it:
    metadata created are dropped, the ones deleted come back in their place, moved
    ranges return where they were."""

    def __init__(self) -> None:
        self.by_id: dict[Any, dict[str, Any]] = {}
        self._places: dict[tuple[Any, Any], _Places] | None = None
        self._journal: list[Callable[[], None]] | None = None  # undo steps
        self._created: list[Any] = []
        self._before_delete: dict[Any, dict[str, Any]] | None = None

    def __len__(self) -> int:
        return len(self.by_id)

    def __contains__(self, metadata_id: object) -> bool:
        return metadata_id in self.by_id

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.by_id.values()))

    def get(self, metadata_id: Any) -> dict[str, Any] | None:
        return self.by_id.get(metadata_id)

    def add(self, stored: dict[str, Any]) -> None:
        metadata_id = stored.get("metadataId")
        self.by_id[metadata_id] = stored
        if self._journal is not None:
            self._created.append(metadata_id)
        dimension_range = _dimension_range(stored)
        if dimension_range is not None and self._places is not None:
            self._places_of(dimension_range).add(dimension_range)

    def remove_where(self, gone: Callable[[dict[str, Any]], bool]) -> None:
        if self._journal is not None and self._before_delete is None:
            self._before_delete = dict(self.by_id)
        kept = {k: m for k, m in self.by_id.items() if not gone(m)}
        if len(kept) != len(self.by_id):
            self.by_id = kept
            self._places = None

    def ranges(self, sheet_id: int, dimension: str) -> list[dict[str, Any]]:
        """The ``dimensionRange`` dicts on that tab and dimension (read only)."""
        places = self._index().get((sheet_id, dimension))
        return [] if places is None else places.all()

    def shift(self, sheet_id: int, dimension: str, start: int, move: Shift) -> None:
        """Apply ``move`` to every range on that tab and dimension that may reach index
        ``start`` or beyond (the ones wholly before it cannot move)."""
        places = self._index().get((sheet_id, dimension))
        if places is None:
            return
        for dimension_range in places.reaching(start):
            self.change(dimension_range, move)
            low, high = dimension_range.get("startIndex"), dimension_range.get("endIndex")
            if type(low) is int and type(high) is int:  # an insert may widen a range
                places.widest = max(places.widest, high - low)

    def change(self, dimension_range: dict[str, Any], move: Shift) -> None:
        """``move`` one range in place, journalled. The order by ``startIndex`` is kept by
        the monotone moves of insert/delete; anything else must call ``reorder``."""
        if self._journal is not None:
            before = dict(dimension_range)
            self._journal.append(lambda: _restore(dimension_range, before))
        move(dimension_range)

    def insert(self, sheet_id: int, dimension: str, start: int, count: int) -> None:
        """Move the ranges on that tab and dimension as ``count`` rows (or columns) are
        inserted at ``start``: those starting at or after it by a plain addition (rows
        inserted on top of a tab move every tag below them), the few others one by one
        (``shift_for_insert``)."""
        places = self._index().get((sheet_id, dimension))
        if places is None:
            return
        first = bisect.bisect_left(places.sorted, start, key=_start)
        moved = places.sorted[first:]
        for dimension_range in moved:
            dimension_range["startIndex"] += count
            dimension_range["endIndex"] += count
        if self._journal is not None and moved:
            self._journal.append(lambda: _move_back(moved, count))
        reaching = places.reaching(start)
        for dimension_range in reaching[: len(reaching) - len(moved) - len(places.loose)]:
            if dimension_range["endIndex"] > start:  # starts before, ends after: widens
                self.change(dimension_range, lambda d: shift_for_insert(d, dimension, start, count))
                places.widest = max(places.widest, _span(dimension_range))
        for dimension_range in places.loose:
            self.change(dimension_range, lambda d: shift_for_insert(d, dimension, start, count))

    def reorder(self) -> None:
        self._places = None

    def _index(self) -> dict[tuple[Any, Any], _Places]:
        if self._places is None:
            self._places = {}
            for metadata in self.by_id.values():
                dimension_range = _dimension_range(metadata)
                if dimension_range is not None:
                    self._places_of(dimension_range).add(dimension_range)
        return self._places

    def _places_of(self, dimension_range: dict[str, Any]) -> _Places:
        assert self._places is not None
        key = (dimension_range.get("sheetId", 0), dimension_range.get("dimension"))
        found = self._places.get(key)
        if found is None:
            found = self._places[key] = _Places()
        return found

    def begin(self) -> None:
        self._journal, self._created, self._before_delete = [], [], None

    def commit(self) -> None:
        self._journal, self._created, self._before_delete = None, [], None

    def rollback(self) -> None:
        if self._journal is None:
            return
        if self._before_delete is not None:
            self.by_id = self._before_delete
        for metadata_id in self._created:
            self.by_id.pop(metadata_id, None)
        for undo in reversed(self._journal):
            undo()
        self._places = None
        self.commit()


def _restore(dimension_range: dict[str, Any], before: dict[str, Any]) -> None:
    dimension_range.clear()
    dimension_range.update(before)


def _move_back(moved: list[dict[str, Any]], count: int) -> None:
    for dimension_range in moved:
        dimension_range["startIndex"] -= count
        dimension_range["endIndex"] -= count


def _span(dimension_range: dict[str, Any]) -> int:
    return int(dimension_range["endIndex"]) - int(dimension_range["startIndex"])


def _dimension_range(metadata: dict[str, Any]) -> dict[str, Any] | None:
    location = metadata.get("location")
    found = location.get("dimensionRange") if isinstance(location, dict) else None
    return found if isinstance(found, dict) else None


def _start(dimension_range: dict[str, Any]) -> int:
    return int(dimension_range["startIndex"])


class _Places:
    """The ranges of one tab and dimension: those with integer ``startIndex`` and
    ``endIndex`` sorted by start (``widest``: the longest span among them, so the ones
    starting before an index but reaching past it are found by bisection too), the
    others in ``loose`` (looked at every time)."""

    def __init__(self) -> None:
        self.sorted: list[dict[str, Any]] = []
        self.loose: list[dict[str, Any]] = []
        self.widest = 0

    def add(self, dimension_range: dict[str, Any]) -> None:
        start, end = dimension_range.get("startIndex"), dimension_range.get("endIndex")
        if type(start) is not int or type(end) is not int:
            self.loose.append(dimension_range)
            return
        self.widest = max(self.widest, end - start)
        if not self.sorted or _start(self.sorted[-1]) <= start:
            self.sorted.append(dimension_range)  # the usual case: a tag on a new last row
        else:
            bisect.insort_right(self.sorted, dimension_range, key=_start)

    def reaching(self, index: int) -> list[dict[str, Any]]:
        first = bisect.bisect_left(self.sorted, index - max(self.widest, 1) + 1, key=_start)
        return self.sorted[first:] + self.loose

    def all(self) -> list[dict[str, Any]]:
        return self.sorted + self.loose


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    properties: dict[str, Any]
    sheets: list[Sheet] = field(default_factory=list)
    metadata: MetadataStore = field(default_factory=MetadataStore)
    rng: random.Random = field(default_factory=random.Random)
    owner: str = ""  # the account that created it through the API ("" for fixtures)
    row_metadata_on_sort: str = "move"  # SheetsApi's setting, set before each batch

    @property
    def developer_metadata(self) -> list[dict[str, Any]]:
        """Every developer metadata, in creation order (a new list; read only)."""
        return list(self.metadata.by_id.values())

    def add_metadata(self, stored: dict[str, Any]) -> None:
        self.metadata.add(stored)

    @contextmanager
    def transaction(self) -> Iterator[Spreadsheet]:
        """All or nothing, as Google's batch methods: on an exception everything the
        block changed is undone. The cost is that of what changes, plus a copy of each
        tab's row list (pointers), not a copy of the spreadsheet."""
        sheets = list(self.sheets)
        saved = (copy.deepcopy(self.properties), self.rng.getstate())
        for sheet in sheets:
            sheet.begin()
        self.metadata.begin()
        try:
            yield self
        except BaseException:
            self.sheets = sheets
            self.properties, rng_state = saved
            self.rng.setstate(rng_state)
            for sheet in sheets:
                sheet.rollback()
            self.metadata.rollback()
            raise
        for sheet in sheets:
            sheet.commit()
        self.metadata.commit()

    def new_id(self) -> int:
        """Google's ids for sheets, protected ranges and metadata: large positive ints."""
        return self.rng.randrange(100_000_000, 2_147_483_647)

    def titles(self) -> list[str]:
        return [sheet.title for sheet in self.sheets]

    def by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def by_id(self, sheet_id: int) -> Sheet | None:
        for sheet in self.sheets:  # a plain loop: called for each row a backfill tags
            if int(sheet.properties["sheetId"]) == sheet_id:
                return sheet
        return None

    def reindex(self) -> None:
        for index, sheet in enumerate(self.sheets):
            sheet.properties["index"] = index

    def add_sheet(self, properties: dict[str, Any]) -> Sheet:
        props = dict(properties)
        if "sheetId" not in props:
            props["sheetId"] = 0 if not self.sheets else self.new_id()
        if not props.get("title"):
            number = len(self.sheets) + 1
            while f"Sheet{number}" in self.titles():
                number += 1
            props["title"] = f"Sheet{number}"
        props.setdefault("sheetType", "GRID")
        grid = dict(props.get("gridProperties") or {})
        grid.setdefault("rowCount", DEFAULT_ROWS)
        grid.setdefault("columnCount", DEFAULT_COLUMNS)
        props["gridProperties"] = grid
        index = props.pop("index", len(self.sheets))
        sheet = Sheet(properties=props)
        self.sheets.insert(min(int(index), len(self.sheets)), sheet)
        self.reindex()
        return sheet
