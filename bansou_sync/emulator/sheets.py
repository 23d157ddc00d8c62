"""Sheets API v4, emulated: ``SheetsApi`` serves ``/v4/spreadsheets/...``.

Covered: spreadsheets.create/get (``fields``, ``ranges``, ``includeGridData``) and
batchUpdate (see ``sheets_requests.REQUESTS``); values.get/batchGet/update/batchUpdate/
append/clear/batchClear and the ``*ByDataFilter`` variants; developerMetadata.get and
search. ``sheets_staff.StaffHooks`` (mixed in) adds the "staff member" hook, fixtures
and the no-auth ``/_emulator/sheets/...`` routes.
"""

from __future__ import annotations

import copy
import random
import re
import string
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from bansou_sync.emulator import sheets_grid as grid
from bansou_sync.emulator.a1 import Area, format_range
from bansou_sync.emulator.fieldmask import parse_mask, response_fields
from bansou_sync.emulator.http import ApiError, Request, Response, Route, route
from bansou_sync.emulator.sheets_filters import FilterMatcher
from bansou_sync.emulator.sheets_gridview import spreadsheet_json
from bansou_sync.emulator.sheets_model import Spreadsheet
from bansou_sync.emulator.sheets_requests import REQUESTS, RequestRefused
from bansou_sync.emulator.sheets_staff import StaffHooks

_ID = r"(?P<id>[^/:]+)"
_BASE = r"^/v4/spreadsheets"
_READS = ("batchGetByDataFilter", "developerMetadata.search", "getByDataFilter")
NOT_FOUND = "Requested entity was not found."
NO_PERMISSION = "The caller does not have permission"


class SheetsApi(StaffHooks):
    name = "sheets"

    def __init__(self, seed: int | None = None) -> None:
        # What a sortRange does to row developer metadata is not documented by Google:
        # "move" (the metadata travels with its row's contents) or "stay" (it keeps its
        # row position). The product must be right under both (docs/interpretations.md).
        self.row_metadata_on_sort: str = "move"
        self._books: dict[str, Spreadsheet] = {}
        self._not_shared: set[str] = set()
        self._lock = threading.RLock()
        self._rng = random.Random(seed)

    # -- the Api protocol -------------------------------------------------------------

    def routes(self) -> list[Route]:
        v = "sheets.spreadsheets.values."
        return [
            route("POST", _BASE + "$", "sheets.spreadsheets.create", self._locked(self.create)),
            route("GET", f"{_BASE}/{_ID}$", "sheets.spreadsheets.get", self._locked(self.get)),
            route(
                "POST",
                f"{_BASE}/{_ID}:batchUpdate$",
                "sheets.spreadsheets.batchUpdate",
                self._locked(self.batch_update),
            ),
            route(
                "GET",
                f"{_BASE}/{_ID}/values:batchGet$",
                v + "batchGet",
                self._locked(self.values_batch_get),
            ),
            route(
                "POST",
                f"{_BASE}/{_ID}/values:batchUpdate$",
                v + "batchUpdate",
                self._locked(self.values_batch_update),
            ),
            route(
                "POST",
                f"{_BASE}/{_ID}/values:batchClear$",
                v + "batchClear",
                self._locked(self.values_batch_clear),
            ),
            route(
                "POST",
                f"{_BASE}/{_ID}/values:batchGetByDataFilter$",
                v + "batchGetByDataFilter",
                self._locked(self.values_batch_get_by_filter),
            ),
            route(
                "POST",
                f"{_BASE}/{_ID}/values:batchUpdateByDataFilter$",
                v + "batchUpdateByDataFilter",
                self._locked(self.values_batch_update_by_filter),
            ),
            route(
                "POST",
                f"{_BASE}/{_ID}/values:batchClearByDataFilter$",
                v + "batchClearByDataFilter",
                self._locked(self.values_batch_clear_by_filter),
            ),
            route(
                "POST",
                f"{_BASE}/{_ID}/values/(?P<range>.+):append$",
                v + "append",
                self._locked(self.values_append),
            ),
            route(
                "POST",
                f"{_BASE}/{_ID}/values/(?P<range>.+):clear$",
                v + "clear",
                self._locked(self.values_clear),
            ),
            route(
                "GET",
                f"{_BASE}/{_ID}/values/(?P<range>.+)$",
                v + "get",
                self._locked(self.values_get),
            ),
            route(
                "PUT",
                f"{_BASE}/{_ID}/values/(?P<range>.+)$",
                v + "update",
                self._locked(self.values_update),
            ),
            route(
                "POST",
                f"{_BASE}/{_ID}/developerMetadata:search$",
                "sheets.spreadsheets.developerMetadata.search",
                self._locked(self.metadata_search),
            ),
            route(
                "GET",
                f"{_BASE}/{_ID}/developerMetadata/(?P<metadata_id>[0-9]+)$",
                "sheets.spreadsheets.developerMetadata.get",
                self._locked(self.metadata_get),
            ),
            *self.staff_routes(),
        ]

    def quota_group(self, route: Route, request: Request) -> str | None:
        if not route.name.startswith("sheets."):
            return None
        if request.method == "GET" or route.name.endswith(_READS):
            return "sheets:read"
        return "sheets:write"

    def _locked(
        self, handler: Callable[[Request, re.Match[str]], Response]
    ) -> Callable[[Request, re.Match[str]], Response]:
        def run(request: Request, match: re.Match[str]) -> Response:
            with self._lock:
                return handler(request, match)

        return run

    # -- spreadsheets ---------------------------------------------------------------------

    def book(self, spreadsheet_id: str) -> Spreadsheet:
        found = self._books.get(spreadsheet_id)
        if found is None:
            raise ApiError(404, NOT_FOUND)
        if spreadsheet_id in self._not_shared:
            raise ApiError(403, NO_PERMISSION)
        return found

    def unshare(self, spreadsheet_id: str) -> None:
        """The spreadsheet exists but belongs to someone who has not shared it with the
        caller: every request on it gets Google's 403 (the usual set-up mistake)."""
        with self._lock:
            if spreadsheet_id not in self._books:
                raise ApiError(404, NOT_FOUND)
            self._not_shared.add(spreadsheet_id)

    def share(self, spreadsheet_id: str) -> None:
        with self._lock:
            self._not_shared.discard(spreadsheet_id)

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        """What Drive ``files.delete`` does to it: gone, later requests get 404."""
        with self._lock:
            self._books.pop(spreadsheet_id, None)
            self._not_shared.discard(spreadsheet_id)

    def new_spreadsheet(
        self, body: dict[str, Any], spreadsheet_id: str | None = None, owner: str = ""
    ) -> Spreadsheet:
        spreadsheet_id = spreadsheet_id or "1" + "".join(
            self._rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(43)
        )
        properties = copy.deepcopy(body.get("properties") or {})
        properties.setdefault("title", "Untitled spreadsheet")
        properties.setdefault("locale", "en_US")
        properties.setdefault("autoRecalc", "ON_CHANGE")
        properties.setdefault("timeZone", "Etc/GMT")
        book = Spreadsheet(
            spreadsheet_id, properties, rng=random.Random(self._rng.random()), owner=owner
        )
        for sheet in body.get("sheets") or [{}]:
            book.add_sheet(copy.deepcopy(sheet.get("properties") or {}))
        self._books[spreadsheet_id] = book
        return book

    def create(self, request: Request, match: re.Match[str]) -> Response:
        book = self.new_spreadsheet(request.json(), owner=request.user)
        return Response(200, spreadsheet_json(book))

    def get(self, request: Request, match: re.Match[str]) -> Response:
        book = self.book(match["id"])
        fields = request.param("fields")
        targets = [grid.resolve(book, text) for text in request.params("ranges")]
        with_data = request.param("includeGridData", "false") == "true" or _asks_for_data(fields)
        body = spreadsheet_json(book, targets, with_data)
        return Response(200, response_fields(fields, body, "Spreadsheet"))

    @contextmanager
    def _transaction(self, spreadsheet_id: str) -> Iterator[Spreadsheet]:
        """All or nothing, as Google's batch methods: a failing request undoes what the
        batch did (``Spreadsheet.transaction``)."""
        with self.book(spreadsheet_id).transaction() as book:
            yield book

    def batch_update(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        replies: list[dict[str, Any]] = []
        with self._transaction(match["id"]) as book:
            book.row_metadata_on_sort = self.row_metadata_on_sort
            for index, entry in enumerate(body.get("requests") or []):
                kinds = list(entry)
                if len(kinds) != 1 or kinds[0] not in REQUESTS:
                    raise _unknown_request(index, kinds)
                try:
                    replies.append(REQUESTS[kinds[0]](book, entry[kinds[0]] or {}))
                except RequestRefused as exc:
                    raise ApiError(400, f"Invalid requests[{index}].{kinds[0]}: {exc}") from exc
        reply: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            reply["updatedSpreadsheet"] = spreadsheet_json(book)
        return Response(200, reply)

    # -- values -----------------------------------------------------------------------------

    def values_get(self, request: Request, match: re.Match[str]) -> Response:
        book = self.book(match["id"])
        target = grid.resolve(book, _range_text(request, match))
        body = grid.read(
            target,
            request.param("majorDimension"),
            request.param("valueRenderOption"),
            request.param("dateTimeRenderOption"),
        )
        return Response(200, response_fields(request.param("fields"), body, "ValueRange"))

    def values_batch_get(self, request: Request, match: re.Match[str]) -> Response:
        book = self.book(match["id"])
        reply: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        ranges = [
            grid.read(
                grid.resolve(book, text),
                request.param("majorDimension"),
                request.param("valueRenderOption"),
                request.param("dateTimeRenderOption"),
            )
            for text in request.params("ranges")
        ]
        if ranges:
            reply["valueRanges"] = ranges
        return Response(
            200, response_fields(request.param("fields"), reply, "BatchGetValuesResponse")
        )

    def values_update(self, request: Request, match: re.Match[str]) -> Response:
        option = grid.input_option(request.param("valueInputOption"))
        book = self.book(match["id"])
        body = request.json()
        target = grid.resolve(book, _range_text(request, match))
        rows = grid.value_rows(body.get("values"), body.get("majorDimension"), "data.values")
        written = grid.write(target, rows, option)
        reply = written.reply(book.spreadsheet_id)
        if request.param("includeValuesInResponse") in ("true", "True"):
            reply["updatedData"] = _updated_data(
                written, request.param("responseValueRenderOption")
            )
        return Response(200, reply)

    def values_append(self, request: Request, match: re.Match[str]) -> Response:
        option = grid.input_option(request.param("valueInputOption"))
        book = self.book(match["id"])
        body = request.json()
        target = grid.resolve(book, _range_text(request, match))
        rows = grid.value_rows(body.get("values"), body.get("majorDimension"), "data.values")
        table, row, col = grid.find_table(target)
        height = len(rows)
        width = max((len(r) for r in rows), default=0)
        sheet = target.sheet
        if request.param("insertDataOption") == "INSERT_ROWS" and row < sheet.row_count:
            sheet.insert("ROWS", row, height)
        if row + height > sheet.row_count:  # append grows the grid, unlike update
            sheet.insert("ROWS", sheet.row_count, row + height - sheet.row_count)
        if col + width > sheet.column_count:
            sheet.insert("COLUMNS", sheet.column_count, col + width - sheet.column_count)
        written = grid.write(target, rows, option, at=(row, col))
        reply: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        if table is not None:
            reply["tableRange"] = format_range(sheet.title, *table)
        updates = written.reply(book.spreadsheet_id)
        if request.param("includeValuesInResponse") in ("true", "True"):
            updates["updatedData"] = _updated_data(
                written, request.param("responseValueRenderOption")
            )
        reply["updates"] = updates
        return Response(200, reply)

    def values_clear(self, request: Request, match: re.Match[str]) -> Response:
        book = self.book(match["id"])
        target = grid.resolve(book, _range_text(request, match))
        return Response(200, {"spreadsheetId": book.spreadsheet_id, "clearedRange": _clear(target)})

    def values_batch_update(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        option = grid.input_option(body.get("valueInputOption"))
        with self._transaction(match["id"]) as book:
            written = []
            for index, data in enumerate(body.get("data") or []):
                target = grid.resolve(book, str(data.get("range", "")))
                field = f"data[{index}].values"
                rows = grid.value_rows(data.get("values"), data.get("majorDimension"), field)
                written.append(grid.write(target, rows, option))
        reply = _totals(book.spreadsheet_id, written)
        responses = [w.reply(book.spreadsheet_id) for w in written]
        if body.get("includeValuesInResponse"):
            render = body.get("responseValueRenderOption")
            for response, w in zip(responses, written, strict=True):
                response["updatedData"] = _updated_data(w, render)
        if responses:
            reply["responses"] = responses
        return Response(200, reply)

    def values_batch_clear(self, request: Request, match: re.Match[str]) -> Response:
        with self._transaction(match["id"]) as book:
            cleared = [
                _clear(grid.resolve(book, str(t))) for t in request.json().get("ranges") or []
            ]
        reply: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        if cleared:
            reply["clearedRanges"] = cleared
        return Response(200, reply)

    def values_batch_get_by_filter(self, request: Request, match: re.Match[str]) -> Response:
        book = self.book(match["id"])
        body = request.json()
        matcher = FilterMatcher(book)
        found = []
        for data_filter in body.get("dataFilters") or []:
            for target in matcher.targets(data_filter):
                value_range = grid.read(
                    target,
                    body.get("majorDimension"),
                    body.get("valueRenderOption"),
                    body.get("dateTimeRenderOption"),
                )
                found.append({"valueRange": value_range, "dataFilters": [data_filter]})
        reply: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        if found:
            reply["valueRanges"] = found
        return Response(200, reply)

    def values_batch_update_by_filter(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        option = grid.input_option(body.get("valueInputOption"))
        responses: list[tuple[dict[str, Any], grid.Target]] = []
        written = []
        with self._transaction(match["id"]) as book:
            matcher = FilterMatcher(book)
            for index, data in enumerate(body.get("data") or []):
                rows = grid.value_rows(
                    data.get("values"), data.get("majorDimension"), f"data[{index}].values"
                )
                for target in matcher.targets(data.get("dataFilter") or {}):
                    done = grid.write(target, rows, option)
                    written.append(done)
                    response = done.reply(book.spreadsheet_id)
                    response.pop("spreadsheetId")
                    response["dataFilter"] = data.get("dataFilter")
                    responses.append((response, target))
            if body.get("includeValuesInResponse"):  # "the cells in the range matched by
                render = body.get("responseValueRenderOption")  # the dataFilter", after
                for response, target in responses:  # every update of the request
                    response["updatedData"] = grid.read(target, "ROWS", render)
        reply = _totals(book.spreadsheet_id, written)
        if responses:
            reply["responses"] = [response for response, _ in responses]
        return Response(200, reply)

    def values_batch_clear_by_filter(self, request: Request, match: re.Match[str]) -> Response:
        with self._transaction(match["id"]) as book:
            matcher = FilterMatcher(book)
            cleared = [
                _clear(target)
                for data_filter in request.json().get("dataFilters") or []
                for target in matcher.targets(data_filter)
            ]
        reply: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        if cleared:
            reply["clearedRanges"] = cleared
        return Response(200, reply)

    # -- developer metadata ----------------------------------------------------------------

    def metadata_search(self, request: Request, match: re.Match[str]) -> Response:
        book = self.book(match["id"])
        matcher = FilterMatcher(book)
        matched: dict[int, dict[str, Any]] = {}
        for data_filter in request.json().get("dataFilters") or []:
            for metadata in matcher.metadata(data_filter):
                entry = matched.setdefault(
                    metadata["metadataId"],
                    {"developerMetadata": copy.deepcopy(metadata), "dataFilters": []},
                )
                entry["dataFilters"].append(data_filter)
        reply = {"matchedDeveloperMetadata": list(matched.values())} if matched else {}
        return Response(200, reply)

    def metadata_get(self, request: Request, match: re.Match[str]) -> Response:
        book = self.book(match["id"])
        wanted = int(match["metadata_id"])
        metadata = book.metadata.get(wanted)
        if metadata is not None:
            return Response(200, copy.deepcopy(metadata))
        raise ApiError(404, f"No developer metadata with ID: {wanted}")


def _asks_for_data(fields: str | None) -> bool:
    if not fields:
        return False
    try:
        sheets = parse_mask(fields).get("sheets", {})
    except ValueError:
        return False
    return sheets is None or "data" in sheets


def _range_text(request: Request, match: re.Match[str]) -> str:
    """The range segment, decoded from the raw path so an encoded ``%3A`` or ``%2F``
    inside it never confuses the ``:append``/``:clear`` suffix."""
    raw = request.raw_path.split("?", 1)[0]
    marker = "/values/"
    if marker not in raw:
        return match["range"]
    segment = raw.split(marker, 1)[1]
    if request.method == "POST":
        segment = segment.rpartition(":")[0]
    return unquote(segment)


def _clear(target: grid.Target) -> str:
    start_row, end_row, start_col, end_col = target.clipped()
    target.check_grid()
    target.sheet.clear_values((start_row, end_row), (start_col, end_col))
    return target.normalised()


def _updated_data(written: grid.Written, render: str | None) -> dict[str, Any]:
    target = grid.Target(
        written.sheet,
        Area(
            written.start_row,
            written.start_row + max(written.rows, 1),
            written.start_col,
            written.start_col + max(written.columns, 1),
        ),
        "",
    )
    return grid.read(target, "ROWS", render)


def _totals(spreadsheet_id: str, written: list[grid.Written]) -> dict[str, Any]:
    """Google counts distinct rows and columns touched, and sheets, over the batch."""
    rows: set[tuple[int, int]] = set()
    # the columns by (tab, first column) as offsets: a backfill writes 140,000 rows, one
    # write each, all from the same column — their offsets are counted once per tab
    offsets: dict[tuple[int, int], set[int]] = {}
    for w in written:  # one write per row in a backfill: the tab's id looked up once each
        sheet_id, start_row = w.sheet.sheet_id, w.start_row
        rows.update([(sheet_id, start_row + r) for r in w.written_rows])
        key = (sheet_id, w.start_col)
        found = offsets.get(key)
        if found is None:
            found = offsets[key] = set()
        found.update(w.written_columns)
    cols = {(sheet_id, start + c) for (sheet_id, start), cs in offsets.items() for c in cs}
    reply: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
    cells = sum(w.cells for w in written)
    if cells:
        reply.update(
            totalUpdatedRows=len(rows),
            totalUpdatedColumns=len(cols),
            totalUpdatedCells=cells,
            totalUpdatedSheets=len({w.sheet.sheet_id for w in written if w.cells}),
        )
    return reply


def _unknown_request(index: int, kinds: list[str]) -> ApiError:
    name = kinds[0] if kinds else ""
    message = f"Invalid JSON payload received. Unknown name \"{name}\" at 'requests[{index}]': Cannot find field."
    if len(kinds) != 1:
        message = f"Invalid requests[{index}]: No request set."
    return ApiError(
        400,
        message,
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": f"requests[{index}]", "description": message}],
            }
        ],
    )
