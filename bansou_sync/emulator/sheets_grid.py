"""Reading and writing values of a tab by A1 range, with Google's rules and messages.

Shared by the ``values.*`` methods and by the staff hook: resolving a range (unknown
tab → ``Unable to parse range``), the grid-limit check, writing a block of values with
``RAW`` or ``USER_ENTERED``, reading a ``ValueRange`` (trailing empty cells and rows
dropped, ``values`` omitted when empty) and the append "table" search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bansou_sync.emulator.a1 import A1Error, Area, column_letters, format_range, parse_a1
from bansou_sync.emulator.http import ApiError
from bansou_sync.emulator.sheets_model import Sheet, Spreadsheet
from bansou_sync.emulator.sheets_values import from_raw, from_user_entered, render

INPUT_OPTIONS = ("RAW", "USER_ENTERED")


@dataclass(slots=True)  # not frozen: made for each row a backfill writes or reads (a
class Target:  # frozen dataclass sets each field through object.__setattr__); never changed
    """A resolved A1 range: the tab, the area (None: whole tab) and the text as sent."""

    sheet: Sheet
    area: Area | None
    text: str

    def clipped(self) -> tuple[int, int, int, int]:
        area = self.area or Area()
        return area.clip(self.sheet.row_count, self.sheet.column_count)

    def normalised(self) -> str:
        return format_range(self.sheet.title, *self.clipped())

    def check_grid(self) -> None:
        start_row, end_row, start_col, end_col = self.clipped()
        self.check_cells(max(end_row, start_row + 1), max(end_col, start_col + 1))

    def check_cells(self, end_row: int, end_col: int) -> None:
        if end_row > self.sheet.row_count or end_col > self.sheet.column_count:
            raise ApiError(
                400,
                f"Range ({self.text}) exceeds grid limits. Max rows: "
                f"{self.sheet.row_count}, max columns: {self.sheet.column_count}",
            )


def resolve(book: Spreadsheet, text: str) -> Target:
    try:
        parsed = parse_a1(text, book.titles())
    except A1Error as exc:
        raise unparsable(text) from exc
    if parsed.sheet is None:
        sheet = book.sheets[0]
    else:
        found = book.by_title(parsed.sheet) or next(
            (s for s in book.sheets if s.title.lower() == parsed.sheet.lower()), None
        )
        if found is None:
            raise unparsable(text)
        sheet = found
    return Target(sheet, parsed.area, text)


def unparsable(text: str) -> ApiError:
    return ApiError(400, f"Unable to parse range: {text}")


def input_option(value: Any) -> str:
    if not value:
        raise ApiError(400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    if value not in INPUT_OPTIONS:
        raise invalid_value("value_input_option", "google.apps.sheets.v4.ValueInputOption", value)
    return str(value)


def invalid_value(field: str, type_name: str, value: Any) -> ApiError:
    shown = value if isinstance(value, str) else repr(value)
    message = f"Invalid value at '{field}' (type.googleapis.com/{type_name}), \"{shown}\""
    return ApiError(
        400,
        message,
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        ],
    )


def value_rows(values: Any, major: str | None, field: str) -> list[list[Any]]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise invalid_value(field, "google.protobuf.ListValue", values)
    rows: list[list[Any]] = []
    for index, row in enumerate(values):
        if not isinstance(row, list):
            raise invalid_value(f"{field}[{index}]", "google.protobuf.ListValue", row)
        rows.append(row)
    if major == "COLUMNS":
        width = max((len(r) for r in rows), default=0)
        rows = [[col[i] if i < len(col) else None for col in rows] for i in range(width)]
    return rows


@dataclass(slots=True)  # one per row written, never changed (see ``Target``)
class Written:
    sheet: Sheet
    start_row: int
    start_col: int
    rows: int
    columns: int
    cells: int
    # offsets (from start_row / start_col) of the rows and columns that got a value:
    # Google counts only those in updatedRows/updatedColumns (``null`` cells are skipped)
    written_rows: tuple[int, ...] = ()
    written_columns: tuple[int, ...] = ()

    def reply(self, spreadsheet_id: str) -> dict[str, Any]:
        reply: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
        reply["updatedRange"] = format_range(
            self.sheet.title,
            self.start_row,
            self.start_row + max(self.rows, 1),
            self.start_col,
            self.start_col + max(self.columns, 1),
        )
        if self.cells:
            reply.update(
                updatedRows=len(self.written_rows),
                updatedColumns=len(self.written_columns),
                updatedCells=self.cells,
            )
        return reply


def write(
    target: Target, rows: list[list[Any]], option: str, at: tuple[int, int] | None = None
) -> Written:
    """Write a block at the range's top-left (or ``at``), as values.update does."""
    area = target.area or Area()
    start_row, start_col = at or (area.start_row or 0, area.start_col or 0)
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    if at is None and target.area is not None and not _is_single_cell(area):
        _check_within(target, start_row + height, start_col + width)
    target.check_cells(start_row + max(height, 1), start_col + max(width, 1))
    raw = option != "USER_ENTERED"
    parse = from_raw if raw else from_user_entered
    cells = 0
    touched_rows: list[int] = []
    touched_cols: set[int] = set()
    sheet = target.sheet
    for r, row in enumerate(rows):
        # Google: null values are skipped, and not counted as updated
        if raw:  # a text is stored as itself ("" clears): ``from_raw`` inlined, per cell
            given = [
                (start_col + c, value if value.__class__ is str and value else parse(value))
                for c, value in enumerate(row)
                if value is not None
            ]
        else:
            given = [
                (start_col + c, parse(value)) for c, value in enumerate(row) if value is not None
            ]
        if given:
            sheet.set_values(start_row + r, given)
            cells += len(given)
            touched_rows.append(r)
            if len(given) == len(row):  # a full row, the usual write
                touched_cols.update(range(len(row)))
            else:
                touched_cols.update(c for c, value in enumerate(row) if value is not None)
    return Written(
        target.sheet,
        start_row,
        start_col,
        height,
        width,
        cells,
        tuple(touched_rows),
        tuple(sorted(touched_cols)),
    )


def _is_single_cell(area: Area) -> bool:
    return (
        area.start_row is not None
        and area.start_col is not None
        and area.end_row == area.start_row + 1
        and area.end_col == area.start_col + 1
    )


def _check_within(target: Target, end_row: int, end_col: int) -> None:
    area = target.area or Area()
    if area.end_row is not None and end_row > area.end_row:
        raise ApiError(
            400,
            f"Requested writing within range [{target.normalised()}], "
            f"but tried writing to row [{area.end_row + 1}]",
        )
    if area.end_col is not None and end_col > area.end_col:
        raise ApiError(
            400,
            f"Requested writing within range [{target.normalised()}], "
            f"but tried writing to column [{column_letters(area.end_col)}]",
        )


def read(
    target: Target,
    major: str | None = "ROWS",
    value_render: str | None = None,
    date_render: str | None = None,
) -> dict[str, Any]:
    """A ``ValueRange``: trailing empty cells and rows dropped, ``values`` omitted when
    nothing is left, blank inner rows as ``[]``."""
    # the bounds worked out once (a write through 60,000 tags reads each row back)
    bounds = target.clipped()
    start_row, end_row, start_col, end_col = bounds
    target.check_cells(max(end_row, start_row + 1), max(end_col, start_col + 1))
    sheet = target.sheet
    by_columns = major == "COLUMNS"
    value_render = value_render or "FORMATTED_VALUE"
    date_render = date_render or "SERIAL_NUMBER"
    values: list[list[Any]] = []
    if by_columns:
        # the last occupied row of each column, in one pass over the rows in range
        last_of: dict[int, int] = {}
        for r, found in sheet.rows_between(start_row, end_row):
            for c, stored in found.items():
                if stored.value is not None and start_col <= c < end_col:
                    last_of[c] = r
        for c in range(start_col, end_col):
            last = last_of.get(c)
            values.append(
                []
                if last is None
                else [
                    render(sheet.value(r, c), value_render, date_render)
                    for r in range(start_row, last + 1)
                ]
            )
    else:
        # row by row, only the rows in range (a narrow read of a 60,000-row tab looks at
        # those columns of each row, not at every cell of the tab); text renders as
        # itself in every option, so ``render`` is skipped for it
        next_row = start_row
        if end_col - start_col <= 8:  # a key or a few staff columns: the usual read
            return _reply(
                target,
                bounds,
                False,
                _few_columns(
                    sheet, start_row, end_row, start_col, end_col, value_render, date_render
                ),
            )
        for r, found in sheet.rows_between(start_row, end_row):
            last = -1  # the last column in range holding a value (a plain loop: per row)
            for c, held in found.items():
                if c > last and start_col <= c < end_col and held.value is not None:
                    last = c
            if last < 0:
                continue
            if r > next_row:
                values.extend([] for _ in range(r - next_row))
            held_values = [
                None if held is None else held.value
                for held in map(found.get, range(start_col, last + 1))
            ]
            values.append(
                [
                    value if type(value) is str else render(value, value_render, date_render)
                    for value in held_values
                ]
            )
            next_row = r + 1
    return _reply(target, bounds, by_columns, values)


def _one_column(
    sheet: Sheet, start_row: int, end_row: int, col: int, value_render: str, date_render: str
) -> list[list[Any]]:
    """``read``'s rows for a one-column range, a comprehension per step (a status tab's
    key column is 60,000 rows long)."""
    held = [found.get(col) if found else None for found in sheet.row_slice(start_row, end_row)]
    cells = [None if cell is None else cell.value for cell in held]
    while cells and cells[-1] is None:
        cells.pop()
    return [
        []
        if value is None
        else [value if type(value) is str else render(value, value_render, date_render)]
        for value in cells
    ]


def _few_columns(
    sheet: Sheet,
    start_row: int,
    end_row: int,
    start_col: int,
    end_col: int,
    value_render: str,
    date_render: str,
) -> list[list[Any]]:
    """``read``'s rows for a range a few columns wide: column by column in
    comprehensions, then each row cut after its last value."""
    if end_col - start_col == 1:
        return _one_column(sheet, start_row, end_row, start_col, value_render, date_render)
    rows = sheet.row_slice(start_row, end_row)
    columns = [
        [
            None if cell is None else cell.value
            for cell in [found.get(c) if found else None for found in rows]
        ]
        for c in range(start_col, end_col)
    ]
    values: list[list[Any]] = []
    width = end_col - start_col
    for line in zip(*columns, strict=True):
        if line.count(None) == width:  # most rows: nothing typed in the staff columns
            values.append([])
            continue
        last = width - 1
        while line[last] is None:
            last -= 1
        values.append(
            [
                value if type(value) is str else render(value, value_render, date_render)
                for value in line[: last + 1]
            ]
        )
    return values


def _reply(
    target: Target, bounds: tuple[int, int, int, int], by_columns: bool, values: list[list[Any]]
) -> dict[str, Any]:
    while values and not values[-1]:
        values.pop()
    reply: dict[str, Any] = {
        "range": format_range(target.sheet.title, *bounds),
        "majorDimension": "COLUMNS" if by_columns else "ROWS",
    }
    if values:
        reply["values"] = values
    return reply


def find_table(target: Target) -> tuple[tuple[int, int, int, int] | None, int, int]:
    """Google's append "table" search: (tableRange bounds or None, next row, first column).

    A filled one-cell range is in the table around it; a blank one is in no table, the
    values go there. Any other range: the last row with
    a value, and in it the *last* run of filled cells — which is why Google appends
    ``C2:E2`` after a first row ``x, "", y`` (the gspread cassette shows it), grown to
    the whole table around it (``_whole_table``).
    """
    sheet = target.sheet
    start_row, end_row, start_col, end_col = target.clipped()

    def filled(row: int, col: int) -> bool:
        return sheet.value(row, col) is not None

    area = target.area
    if area is not None and _is_single_cell(area):
        if not filled(start_row, start_col):
            # a blank cell is in no table: the values go there, even inside a table's
            # span (Google's guide: "E4 would start writing at E4 … not in any table")
            return None, start_row, start_col
        seed = (start_row, start_row + 1, start_col, start_col + 1)
    else:
        last = sheet.last_row_with_value(start_col, end_col, start_row, end_row)
        if last < 0:
            return None, start_row, start_col
        runs: list[tuple[int, int]] = []
        for col in range(start_col, end_col):
            if filled(last, col):
                if runs and runs[-1][1] == col:
                    runs[-1] = (runs[-1][0], col + 1)
                else:
                    runs.append((col, col + 1))
        seed = (last, last + 1, *runs[-1])
    top, bottom, left, right = _whole_table(sheet, *seed)
    return (top, bottom, left, right), bottom, left


def _whole_table(
    sheet: Sheet, top: int, bottom: int, left: int, right: int
) -> tuple[int, int, int, int]:
    """The table a filled block belongs to: grown while a cell next to it holds a value,
    past the requested range too (Google's guide: "C5:D6 … both in the B4:D6 table")."""

    def filled(row: int, col: int) -> bool:
        return sheet.value(row, col) is not None

    grown = True
    while grown:
        grown = False
        while right < sheet.column_count and any(filled(r, right) for r in range(top, bottom)):
            right, grown = right + 1, True
        while left > 0 and any(filled(r, left - 1) for r in range(top, bottom)):
            left, grown = left - 1, True
        while bottom < sheet.row_count and any(filled(bottom, c) for c in range(left, right)):
            bottom, grown = bottom + 1, True
        while top > 0 and any(filled(top - 1, c) for c in range(left, right)):
            top, grown = top - 1, True
    return top, bottom, left, right
