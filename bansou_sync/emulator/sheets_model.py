"""The in-memory spreadsheet behind the emulated Sheets API.

A ``Spreadsheet`` has properties, tabs (``Sheet``) and developer metadata. A tab keeps
its ``SheetProperties`` as Google's JSON dict, a sparse map of cells, and the ranged
things Google moves along when rows or columns are inserted, deleted or sorted
(protected ranges, conditional formats, the basic filter, row/column metadata).
"""

from __future__ import annotations

import copy
import pickle
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bansou_sync.emulator.sheets_values import CellValue

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26


@dataclass
class Cell:
    value: CellValue | None = None
    format: dict[str, Any] | None = None
    note: str | None = None
    validation: dict[str, Any] | None = None

    def is_blank(self) -> bool:
        return self.value is None and not self.format and not self.note and not self.validation

    def copy(self) -> Cell:
        """A deep copy (values are immutable; formats and validations are JSON dicts)."""
        return Cell(
            self.value,
            None if self.format is None else copy.deepcopy(self.format),
            self.note,
            None if self.validation is None else copy.deepcopy(self.validation),
        )


@dataclass
class Sheet:
    properties: dict[str, Any]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    dimension_properties: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    def copy(self) -> Sheet:
        """A deep copy, cell by cell (see ``Spreadsheet.__deepcopy__``)."""
        return Sheet(
            properties=copy.deepcopy(self.properties),
            cells={key: cell.copy() for key, cell in self.cells.items()},
            protected_ranges=copy.deepcopy(self.protected_ranges),
            conditional_formats=copy.deepcopy(self.conditional_formats),
            basic_filter=copy.deepcopy(self.basic_filter),
            dimension_properties=copy.deepcopy(self.dimension_properties),
        )

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
        return int(self.grid.get("rowCount", DEFAULT_ROWS))

    @property
    def column_count(self) -> int:
        return int(self.grid.get("columnCount", DEFAULT_COLUMNS))

    def value(self, row: int, col: int) -> CellValue | None:
        cell = self.cells.get((row, col))
        return cell.value if cell else None

    def cell(self, row: int, col: int) -> Cell:
        return self.cells.setdefault((row, col), Cell())

    def set_value(self, row: int, col: int, value: CellValue | None) -> None:
        if value is None and (row, col) not in self.cells:
            return
        self.cell(row, col).value = value
        self._forget_if_blank(row, col)

    def _forget_if_blank(self, row: int, col: int) -> None:
        cell = self.cells.get((row, col))
        if cell is not None and cell.is_blank():
            del self.cells[(row, col)]

    def last_row_with_value(self, start_col: int = 0, end_col: int | None = None) -> int:
        """0-based index of the last row holding a value in the columns, or -1."""
        rows = [
            r
            for (r, c), cell in self.cells.items()
            if cell.value is not None and c >= start_col and (end_col is None or c < end_col)
        ]
        return max(rows, default=-1)

    def clear_values(self, rows: tuple[int, int], cols: tuple[int, int]) -> None:
        for r, c in list(self.cells):
            if rows[0] <= r < rows[1] and cols[0] <= c < cols[1]:
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
        axis = 0 if dimension == "ROWS" else 1
        moved: dict[tuple[int, int], Cell] = {}
        for key, cell in self.cells.items():
            index = list(key)
            if index[axis] >= start:
                index[axis] += count
            moved[(index[0], index[1])] = cell
        self.cells = moved
        self._grow(dimension, count)
        for grid_range in self.iter_ranges():
            shift_for_insert(grid_range, dimension, start, count)

    def delete(self, dimension: str, start: int, end: int) -> None:
        axis = 0 if dimension == "ROWS" else 1
        count = end - start
        moved: dict[tuple[int, int], Cell] = {}
        for key, cell in self.cells.items():
            index = list(key)
            if start <= index[axis] < end:
                continue
            if index[axis] >= end:
                index[axis] -= count
            moved[(index[0], index[1])] = cell
        self.cells = moved
        self._grow(dimension, -count)
        for grid_range in self.iter_ranges():
            shift_for_delete(grid_range, dimension, start, end)

    def _grow(self, dimension: str, count: int) -> None:
        key = "rowCount" if dimension == "ROWS" else "columnCount"
        current = self.row_count if dimension == "ROWS" else self.column_count
        self.grid[key] = current + count

    def resize(self, rows: int, cols: int) -> None:
        self.grid["rowCount"] = rows
        self.grid["columnCount"] = cols
        self.cells = {(r, c): cell for (r, c), cell in self.cells.items() if r < rows and c < cols}


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


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    properties: dict[str, Any]
    sheets: list[Sheet] = field(default_factory=list)
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    owner: str = ""  # the account that created it through the API ("" for fixtures)

    def metadata_ids(self) -> set[Any]:
        """The ids of ``developer_metadata``, indexed once per list (the list is replaced,
        never shrunk in place, when metadata go; ``add_metadata`` appends)."""
        known = self.__dict__.get("_ids")
        if known is None or known[0] is not self.developer_metadata:
            known = (
                self.developer_metadata,
                {m.get("metadataId") for m in self.developer_metadata},
            )
            self.__dict__["_ids"] = known
        ids: set[Any] = known[1]
        return ids

    def add_metadata(self, stored: dict[str, Any]) -> None:
        ids = self.metadata_ids()
        self.developer_metadata.append(stored)
        ids.add(stored.get("metadataId"))

    def __deepcopy__(self, memo: dict[int, Any]) -> Spreadsheet:
        """A draft for one all-or-nothing request, faster than a generic deep copy (the
        benchmark's 60,000-row sheets are copied for every write): cell values are
        immutable, metadata are plain JSON (copied through pickle)."""
        return Spreadsheet(
            spreadsheet_id=self.spreadsheet_id,
            properties=copy.deepcopy(self.properties, memo),
            sheets=[sheet.copy() for sheet in self.sheets],
            developer_metadata=pickle.loads(pickle.dumps(self.developer_metadata, protocol=5)),
            rng=copy.deepcopy(self.rng, memo),
            owner=self.owner,
        )

    def new_id(self) -> int:
        """Google's ids for sheets, protected ranges and metadata: large positive ints."""
        return self.rng.randrange(100_000_000, 2_147_483_647)

    def titles(self) -> list[str]:
        return [sheet.title for sheet in self.sheets]

    def by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

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

    def metadata_moving_with(self, sheet: Sheet) -> Iterator[dict[str, Any]]:
        for metadata in self.developer_metadata:
            dimension_range = metadata.get("location", {}).get("dimensionRange")
            if dimension_range and dimension_range.get("sheetId", 0) == sheet.sheet_id:
                yield dimension_range
