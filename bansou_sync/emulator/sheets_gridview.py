"""How a spreadsheet looks in ``spreadsheets.get``: properties, tabs and grid data.

Shapes follow the gspread cassettes: ``properties`` with ``defaultFormat`` and
``spreadsheetTheme`` (copied from a real reply), each tab's ``properties`` plus its
protected ranges, conditional formats, basic filter and tab-level developer metadata,
``spreadsheetUrl``. With ``ranges``, only the tabs those ranges touch are listed; grid
data (``includeGridData`` or a ``fields`` mask asking for ``sheets.data``) gives one
``GridData`` per range with ``userEnteredValue``/``effectiveValue``/``formattedValue``,
``userEnteredFormat``, ``note`` and ``dataValidation`` per cell. Row-level developer
metadata is only reachable through ``developerMetadata.search`` (a documented gap).
"""

from __future__ import annotations

import copy
from typing import Any

from bansou_sync.emulator.sheets_grid import Target
from bansou_sync.emulator.sheets_model import Sheet, Spreadsheet
from bansou_sync.emulator.sheets_values import Formula, evaluate, extended_value, formatted

DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}
SPREADSHEET_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        {"colorType": "TEXT", "color": {"rgbColor": {}}},
        {"colorType": "BACKGROUND", "color": {"rgbColor": {"red": 1, "green": 1, "blue": 1}}},
        {
            "colorType": "ACCENT1",
            "color": {"rgbColor": {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}},
        },
        {
            "colorType": "ACCENT2",
            "color": {"rgbColor": {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}},
        },
        {
            "colorType": "ACCENT3",
            "color": {"rgbColor": {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}},
        },
        {
            "colorType": "ACCENT4",
            "color": {"rgbColor": {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}},
        },
        {
            "colorType": "ACCENT5",
            "color": {"rgbColor": {"red": 1, "green": 0.42745098, "blue": 0.003921569}},
        },
        {
            "colorType": "ACCENT6",
            "color": {"rgbColor": {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}},
        },
        {
            "colorType": "LINK",
            "color": {"rgbColor": {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}},
        },
    ],
}


def spreadsheet_json(
    book: Spreadsheet, targets: list[Target] | None = None, with_data: bool = False
) -> dict[str, Any]:
    properties = copy.deepcopy(book.properties)
    properties.setdefault("defaultFormat", copy.deepcopy(DEFAULT_FORMAT))
    properties.setdefault("spreadsheetTheme", copy.deepcopy(SPREADSHEET_THEME))
    body: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id, "properties": properties}
    sheets = []
    for sheet in book.sheets:
        mine = [t for t in targets or [] if t.sheet is sheet]
        if targets and not mine:
            continue
        sheets.append(_sheet_json(book, sheet, mine if targets else None, with_data))
    body["sheets"] = sheets
    spreadsheet_level = [
        copy.deepcopy(m)
        for m in book.developer_metadata
        if m.get("location", {}).get("locationType") == "SPREADSHEET"
    ]
    if spreadsheet_level:
        body["developerMetadata"] = spreadsheet_level
    body["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/edit"
    return body


def _sheet_json(
    book: Spreadsheet, sheet: Sheet, targets: list[Target] | None, with_data: bool
) -> dict[str, Any]:
    entry: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
    if with_data:
        areas = (
            [t.clipped() for t in targets]
            if targets
            else [(0, sheet.row_count, 0, sheet.column_count)]
        )
        entry["data"] = [_grid_data(sheet, *area) for area in areas]
    if sheet.conditional_formats:
        entry["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
    if sheet.protected_ranges:
        entry["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
    if sheet.basic_filter:
        entry["basicFilter"] = copy.deepcopy(sheet.basic_filter)
    if sheet.column_groups:
        entry["columnGroups"] = copy.deepcopy(sheet.column_groups)
    tab_level = [
        copy.deepcopy(m)
        for m in book.developer_metadata
        if m.get("location", {}).get("locationType") == "SHEET"
        and m["location"].get("sheetId") == sheet.sheet_id
    ]
    if tab_level:
        entry["developerMetadata"] = tab_level
    return entry


def _grid_data(
    sheet: Sheet, start_row: int, end_row: int, start_col: int, end_col: int
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if start_row:
        data["startRow"] = start_row
    if start_col:
        data["startColumn"] = start_col
    rows: list[dict[str, Any]] = []
    for row in range(start_row, end_row):
        values = [_cell_json(sheet, row, col) for col in range(start_col, end_col)]
        while values and not values[-1]:
            values.pop()
        rows.append({"values": values} if values else {})
    while rows and not rows[-1]:
        rows.pop()
    if rows:
        data["rowData"] = rows
    data["rowMetadata"] = [
        sheet.dimension_properties.get(("ROWS", r)) or {"pixelSize": 21}
        for r in range(start_row, end_row)
    ]
    data["columnMetadata"] = [
        sheet.dimension_properties.get(("COLUMNS", c)) or {"pixelSize": 100}
        for c in range(start_col, end_col)
    ]
    return data


def _cell_json(sheet: Sheet, row: int, col: int) -> dict[str, Any]:
    cell = sheet.get(row, col)
    if cell is None:
        return {}
    out: dict[str, Any] = {}
    if cell.value is not None:
        out["userEnteredValue"] = extended_value(cell.value)
        effective = cell.value
        if isinstance(effective, Formula):
            result = evaluate(effective.text)
            out["effectiveValue"] = (
                {"numberValue": result} if result is not None else {"stringValue": effective.text}
            )
        else:
            out["effectiveValue"] = extended_value(effective)
        out["formattedValue"] = formatted(cell.value)
    if cell.format:
        out["userEnteredFormat"] = copy.deepcopy(cell.format)
    if cell.note:
        out["note"] = cell.note
    if cell.validation:
        out["dataValidation"] = copy.deepcopy(cell.validation)
    return out
