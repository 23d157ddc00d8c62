"""``spreadsheets.batchUpdate``: one function per request kind.

Each takes the spreadsheet and the request body and returns the reply entry — ``{}``
when Google's request has no response message — or raises ``RequestRefused`` with
Google's text, which the caller prefixes with ``Invalid requests[i].<kind>: ``.
Replies omit default-valued fields as Google's do (a ``GridRange`` with ``sheetId`` 0
prints without it). The whole batch is atomic: the caller runs it in
``Spreadsheet.transaction``, so every change goes through the model's methods (never
a cell, row list or metadata list changed behind them).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from typing import Any

from bansou_sync.emulator.fieldmask import Mask, copy_masked, parse_mask
from bansou_sync.emulator.sheets_filters import FilterMatcher
from bansou_sync.emulator.sheets_model import (
    Cell,
    Sheet,
    Spreadsheet,
    shift_for_delete,
)
from bansou_sync.emulator.sheets_values import from_extended_value, sort_key


class RequestRefused(Exception):
    """Google's reason for refusing one request of a batch."""


Reply = dict[str, Any]


def grid_sheet(spreadsheet: Spreadsheet, sheet_id: Any) -> Sheet:
    sheet = spreadsheet.by_id(int(sheet_id or 0))
    if sheet is None:
        raise RequestRefused(f"No grid with id: {int(sheet_id or 0)}")
    return sheet


def bounds(sheet: Sheet, grid_range: dict[str, Any]) -> tuple[int, int, int, int]:
    """A GridRange's closed bounds, open ends closed by the grid."""
    start_row = int(grid_range.get("startRowIndex", 0))
    end_row = int(grid_range.get("endRowIndex", sheet.row_count))
    start_col = int(grid_range.get("startColumnIndex", 0))
    end_col = int(grid_range.get("endColumnIndex", sheet.column_count))
    if end_row > sheet.row_count or end_col > sheet.column_count or start_row < 0:
        raise RequestRefused(
            f"Range ({sheet.title}!{grid_range}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
        )
    return start_row, end_row, start_col, end_col


def reply_range(grid_range: dict[str, Any]) -> dict[str, Any]:
    printed = {k: v for k, v in grid_range.items() if v is not None}
    if not printed.get("sheetId"):
        printed.pop("sheetId", None)
    return printed


def cells_in(sheet: Sheet, grid_range: dict[str, Any]) -> Iterator[tuple[int, int]]:
    start_row, end_row, start_col, end_col = bounds(sheet, grid_range)
    for row in range(start_row, end_row):
        for col in range(start_col, end_col):
            yield row, col


def add_sheet(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    properties = copy.deepcopy(body.get("properties") or {})
    title = properties.get("title")
    if title and spreadsheet.by_title(title):
        raise RequestRefused(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
    if "sheetId" in properties and spreadsheet.by_id(int(properties["sheetId"])):
        raise RequestRefused(f"Sheet with id {properties['sheetId']} already exists.")
    sheet = spreadsheet.add_sheet(properties)
    return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}


def delete_sheet(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    sheet = grid_sheet(spreadsheet, body.get("sheetId"))
    if len(spreadsheet.sheets) == 1:
        raise RequestRefused("You can't remove all the sheets in a document.")
    spreadsheet.sheets.remove(sheet)
    spreadsheet.metadata.remove_where(lambda m: _metadata_sheet_id(m) == sheet.sheet_id)
    spreadsheet.reindex()
    return {}


def _metadata_sheet_id(metadata: dict[str, Any]) -> int | None:
    location = metadata.get("location", {})
    if "sheetId" in location:
        return int(location["sheetId"])
    if "dimensionRange" in location:
        return int(location["dimensionRange"].get("sheetId", 0))
    return None


def update_sheet_properties(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    properties = body.get("properties") or {}
    sheet = grid_sheet(spreadsheet, properties.get("sheetId"))
    fields = body.get("fields")
    if not fields:
        raise RequestRefused("At least one field must be updated, but none were specified.")
    updated = copy.deepcopy(sheet.properties)
    copy_masked(updated, properties, fields)
    title = updated.get("title")
    if title != sheet.title and spreadsheet.by_title(str(title)):
        raise RequestRefused(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
    if updated.get("hidden") and all(
        s.properties.get("hidden") for s in spreadsheet.sheets if s is not sheet
    ):
        raise RequestRefused("You can't hide all the sheets in a document.")
    if not updated.get("hidden"):
        updated.pop("hidden", None)
    grid = updated.setdefault("gridProperties", {})
    for key in ("frozenRowCount", "frozenColumnCount"):
        if not grid.get(key):
            grid.pop(key, None)
    rows = int(grid.get("rowCount") or sheet.row_count)
    cols = int(grid.get("columnCount") or sheet.column_count)
    if rows < 1 or cols < 1:
        raise RequestRefused("Sheet must have at least one row and one column.")
    new_index = updated.pop("index", sheet.properties.get("index"))
    sheet.properties = updated
    sheet.resize(rows, cols)  # drops the cells beyond a smaller grid
    if new_index != spreadsheet.sheets.index(sheet):
        spreadsheet.sheets.remove(sheet)
        spreadsheet.sheets.insert(min(int(new_index), len(spreadsheet.sheets)), sheet)
    spreadsheet.reindex()
    return {}


def update_spreadsheet_properties(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    copy_masked(spreadsheet.properties, body.get("properties") or {}, body.get("fields") or "*")
    return {}


def add_protected_range(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    protected = copy.deepcopy(body.get("protectedRange") or {})
    grid_range = protected.get("range") or {}
    sheet = grid_sheet(spreadsheet, grid_range.get("sheetId"))
    bounds(sheet, grid_range)
    stored: dict[str, Any] = {
        "protectedRangeId": protected.get("protectedRangeId") or spreadsheet.new_id(),
        "range": reply_range(grid_range),
    }
    if protected.get("description"):
        stored["description"] = protected["description"]
    if protected.get("warningOnly"):
        stored["warningOnly"] = True
    stored["requestingUserCanEdit"] = True  # output only: the caller is an owner
    if protected.get("unprotectedRanges"):
        stored["unprotectedRanges"] = [reply_range(r) for r in protected["unprotectedRanges"]]
    if not protected.get("warningOnly"):
        editors = protected.get("editors") or {}
        stored["editors"] = {k: v for k, v in editors.items() if v}
    reply = copy.deepcopy(stored)
    owner = spreadsheet.owner
    if "editors" in stored and owner and owner not in stored["editors"].get("users", []):
        # The owner can always edit: Google lists them among the editors from then on,
        # though the reply to this request shows the editors as sent (gspread cassette).
        stored["editors"]["users"] = [*stored["editors"].get("users", []), owner]
    sheet.protected_ranges.append(stored)
    return {"addProtectedRange": {"protectedRange": reply}}


def _find_protected(spreadsheet: Spreadsheet, protected_id: Any) -> tuple[Sheet, dict[str, Any]]:
    for sheet in spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            if protected["protectedRangeId"] == protected_id:
                return sheet, protected
    raise RequestRefused(f"No protected range with id: {protected_id}")


def delete_protected_range(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    sheet, protected = _find_protected(spreadsheet, body.get("protectedRangeId"))
    sheet.protected_ranges.remove(protected)
    return {}


def update_protected_range(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    change = body.get("protectedRange") or {}
    _, protected = _find_protected(spreadsheet, change.get("protectedRangeId"))
    copy_masked(protected, change, body.get("fields") or "*")
    return {}


def set_data_validation(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    grid_range = body.get("range") or {}
    sheet = grid_sheet(spreadsheet, grid_range.get("sheetId"))
    rule = body.get("rule")
    if rule:  # one copy shared by the range's cells: a rule is replaced, never changed
        rule = copy.deepcopy(rule)
    for row, col in cells_in(sheet, grid_range):
        if rule:
            sheet.cell(row, col).validation = rule
        elif sheet.get(row, col) is not None:
            sheet.cell(row, col).validation = None
    return {}


def add_conditional_format_rule(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    rule = copy.deepcopy(body.get("rule") or {})
    ranges = rule.get("ranges") or []
    if not ranges:
        raise RequestRefused("Conditional format rule must have at least one range.")
    sheet = grid_sheet(spreadsheet, ranges[0].get("sheetId"))
    rule["ranges"] = [reply_range(r) for r in ranges]
    if isinstance((rule.get("booleanRule") or {}).get("format"), dict):
        with_color_styles(rule["booleanRule"]["format"])
    index = int(body.get("index", 0))
    sheet.conditional_formats.insert(index, rule)
    return {}


def delete_conditional_format_rule(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    sheet = grid_sheet(spreadsheet, body.get("sheetId"))
    index = int(body.get("index", 0))
    if not 0 <= index < len(sheet.conditional_formats):
        raise RequestRefused(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    rule = sheet.conditional_formats.pop(index)
    return {"deleteConditionalFormatRule": {"rule": rule}}


def repeat_cell(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    grid_range = body.get("range") or {}
    sheet = grid_sheet(spreadsheet, grid_range.get("sheetId"))
    data = body.get("cell") or {}
    fields = body.get("fields") or "*"
    for row, col in cells_in(sheet, grid_range):
        _write_cell_data(sheet, row, col, data, fields)
    return {}


def update_cells(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    fields = body.get("fields") or "*"
    if "start" in body:
        start = body["start"]
        sheet = grid_sheet(spreadsheet, start.get("sheetId"))
        top, left = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        limit = None
    else:
        grid_range = body.get("range") or {}
        sheet = grid_sheet(spreadsheet, grid_range.get("sheetId"))
        top, end_row, left, end_col = bounds(sheet, grid_range)
        limit = (end_row, end_col)
    row_count, column_count = sheet.row_count, sheet.column_count  # cells don't change them
    for r, row_data in enumerate(body.get("rows") or []):
        for c, data in enumerate(row_data.get("values") or []):
            row, col = top + r, left + c
            if limit and (row >= limit[0] or col >= limit[1]):
                continue
            if row >= row_count or col >= column_count:
                raise RequestRefused(
                    f"Attempting to write row: {row}, beyond the last requested row of: "
                    f"{row_count - 1}"
                )
            _write_cell_data(sheet, row, col, data, fields)
    return {}


@functools.lru_cache(maxsize=64)
def _cell_mask(fields: str) -> Mask:
    """``fields`` parsed once for every cell of a request (read only; an invalid mask is
    not cached and fails again, as before)."""
    return parse_mask(fields)


def _write_cell_data(sheet: Sheet, row: int, col: int, data: dict[str, Any], fields: str) -> None:
    mask = _cell_mask(fields)
    cell = sheet.cell(row, col)
    whole = "*" in mask
    if whole or "userEnteredValue" in mask:
        cell.value = from_extended_value(data.get("userEnteredValue") or {})
    if whole or "userEnteredFormat" in mask:
        current = dict(cell.format or {})
        copy_masked(
            current,
            data.get("userEnteredFormat") or {},
            fields if whole else _sub_fields(fields, "userEnteredFormat"),
        )
        cell.format = with_color_styles(current) or None
    if whole or "note" in mask:
        cell.note = data.get("note") or None
    if whole or "dataValidation" in mask:
        cell.validation = data.get("dataValidation") or None
    if cell.is_blank():
        sheet.take(row, col)


_COLORS = (("backgroundColor", "backgroundColorStyle"), ("foregroundColor", "foregroundColorStyle"))


def with_color_styles(cell_format: dict[str, Any]) -> dict[str, Any]:
    """Google keeps a ``CellFormat``'s plain colours and their ``*ColorStyle`` twins in
    step: setting ``backgroundColor`` also shows ``backgroundColorStyle.rgbColor`` and
    ``textFormat.foregroundColor`` shows ``foregroundColorStyle`` (gspread cassette
    ``test_format``), and a style's ``rgbColor`` shows as the plain colour."""
    for part in (cell_format, cell_format.get("textFormat")):
        if not isinstance(part, dict):
            continue
        for plain, styled in _COLORS:
            if plain in part and styled not in part:
                part[styled] = {"rgbColor": copy.deepcopy(part[plain])}
            elif "rgbColor" in (part.get(styled) or {}) and plain not in part:
                part[plain] = copy.deepcopy(part[styled]["rgbColor"])
    return cell_format


def _sub_fields(fields: str, top: str) -> str:
    sub = parse_mask(fields).get(top)
    if sub is None:
        return "*"
    return ",".join(_flatten(sub))


def _flatten(mask: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, child in mask.items():
        path = f"{prefix}.{key}" if prefix else key
        out.extend([path] if child is None else _flatten(child, path))
    return out


def sort_range(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    grid_range = body.get("range") or {}
    sheet = grid_sheet(spreadsheet, grid_range.get("sheetId"))
    start_row, end_row, start_col, end_col = bounds(sheet, grid_range)
    specs = body.get("sortSpecs") or [{"dimensionIndex": start_col}]
    rows: list[dict[int, Cell]] = []
    for r in range(start_row, end_row):
        taken = {c: sheet.take(r, c) for c in range(start_col, end_col) if sheet.get(r, c)}
        rows.append({c: cell for c, cell in taken.items() if cell is not None})
    order = list(range(len(rows)))
    for spec in reversed(specs):  # stable sorts, least significant key first
        col = int(spec.get("dimensionIndex", 0))
        descending = spec.get("sortOrder") == "DESCENDING"
        filled = [i for i in order if _value(rows[i], col) is not None]
        blank = [i for i in order if _value(rows[i], col) is None]
        filled.sort(key=_row_key(rows, col), reverse=descending)
        order = filled + blank  # blanks stay last in both directions
    for new_offset, old_offset in enumerate(order):
        for col, cell in rows[old_offset].items():
            sheet.put(start_row + new_offset, col, cell)
    if spreadsheet.row_metadata_on_sort == "move":
        _move_row_metadata(spreadsheet, sheet, start_row, order)
    return {}


def _row_key(rows: list[dict[int, Any]], col: int) -> Callable[[int], tuple[int, Any]]:
    def key(offset: int) -> tuple[int, Any]:
        return sort_key(_value(rows[offset], col))

    return key


def _value(row: dict[int, Any], col: int) -> Any:
    cell = row.get(col)
    return cell.value if cell else None


def _move_row_metadata(
    spreadsheet: Spreadsheet, sheet: Sheet, start_row: int, order: list[int]
) -> None:
    """Metadata on one row travels with that row when a sort moves it."""
    new_place = {start_row + old: start_row + new for new, old in enumerate(order)}

    def move(dimension_range: dict[str, Any]) -> None:
        dimension_range["startIndex"] = new_place[dimension_range.get("startIndex", 0)]
        dimension_range["endIndex"] = dimension_range["startIndex"] + 1

    store = spreadsheet.metadata
    for dimension_range in store.ranges(sheet.sheet_id, "ROWS"):
        start, end = dimension_range.get("startIndex", 0), dimension_range.get("endIndex")
        if end == start + 1 and start in new_place:
            store.change(dimension_range, move)
    store.reorder()


def insert_dimension(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    dimension_range = body.get("range") or {}
    sheet = grid_sheet(spreadsheet, dimension_range.get("sheetId"))
    dimension = dimension_range.get("dimension", "ROWS")
    start, end = int(dimension_range.get("startIndex", 0)), int(dimension_range["endIndex"])
    limit = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if start > limit or end <= start:
        raise RequestRefused(f"Invalid dimension range: start {start}, end {end}")
    sheet.insert(dimension, start, end - start)
    spreadsheet.metadata.insert(sheet.sheet_id, dimension, start, end - start)
    return {}


def delete_dimension(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    dimension_range = body.get("range") or {}
    sheet = grid_sheet(spreadsheet, dimension_range.get("sheetId"))
    dimension = dimension_range.get("dimension", "ROWS")
    limit = sheet.row_count if dimension == "ROWS" else sheet.column_count
    start = int(dimension_range.get("startIndex", 0))
    end = int(dimension_range.get("endIndex", limit))
    if end > limit or end <= start:
        raise RequestRefused(f"Invalid dimension range: start {start}, end {end}")
    if end - start >= limit:
        noun = "rows" if dimension == "ROWS" else "columns"
        raise RequestRefused(f"You can't delete all the {noun} on the sheet.")
    sheet.delete(dimension, start, end)
    spreadsheet.metadata.remove_where(lambda m: _deleted_with(m, sheet, dimension, start, end))
    spreadsheet.metadata.shift(
        sheet.sheet_id,
        dimension,
        start,
        lambda moving: shift_for_delete(moving, dimension, start, end),
    )
    return {}


def _deleted_with(
    metadata: dict[str, Any], sheet: Sheet, dimension: str, start: int, end: int
) -> bool:
    dimension_range = metadata.get("location", {}).get("dimensionRange")
    if not dimension_range or int(dimension_range.get("sheetId", 0)) != sheet.sheet_id:
        return False
    if dimension_range.get("dimension") != dimension:
        return False
    return bool(
        start <= dimension_range.get("startIndex", 0) and dimension_range.get("endIndex", 0) <= end
    )


def append_dimension(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    sheet = grid_sheet(spreadsheet, body.get("sheetId"))
    length = int(body.get("length", 0))
    if length < 1:
        raise RequestRefused("length must be positive")
    dimension = body.get("dimension", "ROWS")
    end = sheet.row_count if dimension == "ROWS" else sheet.column_count
    sheet.insert(dimension, end, length)
    return {}


def update_dimension_properties(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    dimension_range = body.get("range") or {}
    sheet = grid_sheet(spreadsheet, dimension_range.get("sheetId"))
    dimension = dimension_range.get("dimension", "ROWS")
    for index in range(int(dimension_range.get("startIndex", 0)), int(dimension_range["endIndex"])):
        current = sheet.dimension_properties.setdefault((dimension, index), {})
        copy_masked(current, body.get("properties") or {}, body.get("fields") or "*")
    return {}


def _group_span(dimension_range: dict[str, Any]) -> tuple[int, int]:
    return int(dimension_range.get("startIndex", 0)), int(dimension_range["endIndex"])


def add_dimension_group(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    """A column group (depth 1, expanded), as Google adds one; rows are not modelled.
    Google refuses a group that already exists."""
    dimension_range = body.get("range") or {}
    sheet = grid_sheet(spreadsheet, dimension_range.get("sheetId"))
    if dimension_range.get("dimension") != "COLUMNS":
        raise RequestRefused("Only column groups are modelled by the emulator.")
    span = _group_span(dimension_range)
    if any(_group_span(g["range"]) == span for g in sheet.column_groups):
        raise RequestRefused("Cannot add a group that already exists.")
    group = {"range": copy.deepcopy(dimension_range), "depth": 1, "collapsed": False}
    sheet.column_groups.append(group)
    sheet.column_groups.sort(key=lambda g: _group_span(g["range"]))
    return {"addDimensionGroup": {"dimensionGroups": copy.deepcopy(sheet.column_groups)}}


def update_dimension_group(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    """Collapse or expand a group found by its range and depth."""
    wanted = body.get("dimensionGroup") or {}
    dimension_range = wanted.get("range") or {}
    sheet = grid_sheet(spreadsheet, dimension_range.get("sheetId"))
    span = _group_span(dimension_range)
    for group in sheet.column_groups:
        if _group_span(group["range"]) == span and group["depth"] == wanted.get("depth"):
            copy_masked(group, wanted, body.get("fields") or "*")
            return {}
    raise RequestRefused("No grouping with that range and depth exists.")


def set_basic_filter(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    basic_filter = copy.deepcopy(body.get("filter") or {})
    sheet = grid_sheet(spreadsheet, (basic_filter.get("range") or {}).get("sheetId"))
    basic_filter["range"] = reply_range(basic_filter.get("range") or {})
    sheet.basic_filter = basic_filter
    return {}


def clear_basic_filter(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    grid_sheet(spreadsheet, body.get("sheetId")).basic_filter = None
    return {}


def create_developer_metadata(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    # the request's own JSON, parsed for this request alone: a shallow copy is enough
    # (its location is rebuilt below; a backfill tags tens of thousands of rows)
    given = body.get("developerMetadata") or {}
    metadata = dict(given) if isinstance(given, dict) else json_copy(given)
    location = metadata.get("location") or {}
    if location.get("spreadsheet"):
        location = {"locationType": "SPREADSHEET", "spreadsheet": True}
    elif "sheetId" in location:
        grid_sheet(spreadsheet, location["sheetId"])
        location = {"locationType": "SHEET", "sheetId": location["sheetId"]}
    elif "dimensionRange" in location:
        dimension_range = location["dimensionRange"]
        grid_sheet(spreadsheet, dimension_range.get("sheetId"))
        kind = "ROW" if dimension_range.get("dimension") == "ROWS" else "COLUMN"
        location = {"locationType": kind, "dimensionRange": dimension_range}
    else:
        raise RequestRefused("A developer metadata location is required.")
    if not metadata.get("visibility"):
        raise RequestRefused("Developer metadata visibility is required.")
    metadata["location"] = location
    taken = spreadsheet.metadata
    metadata_id = metadata.get("metadataId")
    if metadata_id in taken:
        raise RequestRefused(f"Developer metadata with id {metadata_id} already exists.")
    while not metadata_id or metadata_id in taken:  # Google never hands out an id twice
        metadata_id = spreadsheet.new_id()
    stored = {"metadataId": metadata_id, **{k: v for k, v in metadata.items() if k != "metadataId"}}
    spreadsheet.add_metadata(stored)
    return {"createDeveloperMetadata": {"developerMetadata": _metadata_copy(stored)}}


def _metadata_copy(stored: dict[str, Any]) -> dict[str, Any]:
    """``json_copy`` of a metadata just stored, a row tag's usual shape copied level by
    level (a backfill's batch creates tens of thousands of them)."""
    copied = dict(stored)
    for key, value in copied.items():
        if key == "location" and type(value) is dict:
            span = value.get("dimensionRange")
            if (
                len(value) == 2
                and "locationType" in value
                and type(span) is dict
                and all(type(v) in (str, int) for v in span.values())
            ):
                copied[key] = {k: dict(span) if v is span else v for k, v in value.items()}
                continue
        if type(value) in (dict, list):
            copied[key] = json_copy(value)
    return copied


def delete_developer_metadata(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    """Every metadata the ``dataFilter`` matches is deleted (none matched: nothing, no error)."""
    data_filter = body.get("dataFilter")
    if not isinstance(data_filter, dict) or not data_filter:
        raise RequestRefused("A data filter is required.")
    found = FilterMatcher(spreadsheet).metadata(data_filter)
    gone = {id(m) for m in found}
    if gone:
        spreadsheet.metadata.remove_where(lambda m: id(m) in gone)
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": [json_copy(m) for m in found]}}


def json_copy(value: Any) -> Any:
    """A deep copy of parsed JSON (dicts, lists, scalars), without ``copy.deepcopy``'s
    memo: a backfill's batch creates tens of thousands of row tags."""
    if isinstance(value, dict):
        return {k: json_copy(v) if isinstance(v, dict | list) else v for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) if isinstance(v, dict | list) else v for v in value]
    return value


def accepted_without_model(spreadsheet: Spreadsheet, body: dict[str, Any]) -> Reply:
    """Cosmetic requests (borders, merges, auto-resize): accepted, not modelled."""
    return {}


REQUESTS: dict[str, Callable[[Spreadsheet, dict[str, Any]], Reply]] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "addProtectedRange": add_protected_range,
    "updateProtectedRange": update_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "setDataValidation": set_data_validation,
    "addConditionalFormatRule": add_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "repeatCell": repeat_cell,
    "updateCells": update_cells,
    "sortRange": sort_range,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "appendDimension": append_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "setBasicFilter": set_basic_filter,
    "addDimensionGroup": add_dimension_group,
    "updateDimensionGroup": update_dimension_group,
    "clearBasicFilter": clear_basic_filter,
    "createDeveloperMetadata": create_developer_metadata,
    "deleteDeveloperMetadata": delete_developer_metadata,
    "updateBorders": accepted_without_model,
    "mergeCells": accepted_without_model,
    "unmergeCells": accepted_without_model,
    "autoResizeDimensions": accepted_without_model,
}
