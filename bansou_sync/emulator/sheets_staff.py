"""What a staff member does to the sheet between two daemon requests, for tests.

Methods on ``SheetsApi`` and no-auth, no-quota routes under ``/_emulator/sheets``:

- ``GET  /_emulator/sheets`` → ``{"spreadsheets": [ids], "row_metadata_on_sort"}``
- ``POST /_emulator/sheets`` body = a fixture → ``{"spreadsheetId"}`` (``load_fixture``)
- ``GET``/``POST /_emulator/sheets/settings`` ``{"row_metadata_on_sort": "move"|"stay"}``
- ``POST /_emulator/sheets/{id}/unshare`` / ``share``: the owner stops / starts sharing it
  with the caller (403 ``The caller does not have permission`` on every API call)
- ``DELETE /_emulator/sheets/{id}``: gone, as Drive ``files.delete`` (404 afterwards)
- ``GET  /_emulator/sheets/{id}/dump`` → ``{tab: [[formatted cells]]}`` (``dump``)
- ``POST /_emulator/sheets/{id}/sort``       ``{"tab", "column", "descending"?, "headerRows"?}``
- ``POST /_emulator/sheets/{id}/insert-row`` ``{"tab", "row"}`` (1-based: a blank row becomes row N)
- ``POST /_emulator/sheets/{id}/delete-row`` ``{"tab", "row"}``
- ``POST /_emulator/sheets/{id}/set-cell``   ``{"tab", "cell": "B2", "value"}`` (typed, USER_ENTERED)
- ``POST /_emulator/sheets/{id}/rename-tab`` ``{"tab", "title"}``
- ``POST /_emulator/sheets/{id}/delete-tab`` ``{"tab"}``

A fixture: ``{"spreadsheetId"?, "title"?, "locale"?, "timeZone"?, "valueInputOption"?,
"sheets": {"tab": [[row], ...]}}``; cells are taken as typed by a person
(``USER_ENTERED``) unless ``valueInputOption`` is ``RAW``. Tabs are at least 1,000 × 26.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from bansou_sync.emulator import sheets_requests as requests
from bansou_sync.emulator.a1 import column_index, parse_ref
from bansou_sync.emulator.http import ApiError, Request, Response, Route, route
from bansou_sync.emulator.sheets_grid import Target, read, write
from bansou_sync.emulator.sheets_model import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, Spreadsheet

_STAFF = r"^/_emulator/sheets/(?P<id>[^/]+)/"


class StaffHooks:
    _books: dict[str, Spreadsheet]
    _lock: threading.RLock

    def book(self, spreadsheet_id: str) -> Spreadsheet:
        raise NotImplementedError

    def unshare(self, spreadsheet_id: str) -> None:
        raise NotImplementedError

    def share(self, spreadsheet_id: str) -> None:
        raise NotImplementedError

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        raise NotImplementedError

    def spreadsheet_ids(self) -> list[str]:
        with self._lock:
            return list(self._books)

    def set_row_metadata_on_sort(self, behaviour: str) -> None:
        """What a sort does to row developer metadata (Google does not document it)."""
        if behaviour not in ("move", "stay"):
            raise ValueError(f"row_metadata_on_sort must be move or stay, not {behaviour!r}")
        setattr(self, "row_metadata_on_sort", behaviour)  # noqa: B010 (set on SheetsApi)

    def new_spreadsheet(
        self, body: dict[str, Any], spreadsheet_id: str | None = None
    ) -> Spreadsheet:
        raise NotImplementedError

    # -- fixtures and snapshots ---------------------------------------------------------------

    def load_fixture(self, data: dict[str, Any]) -> str:
        with self._lock:
            tabs: dict[str, list[list[Any]]] = data.get("sheets") or {"Sheet1": []}
            properties = {
                "title": data.get("title", "Untitled spreadsheet"),
                "locale": data.get("locale", "ja_JP"),
                "timeZone": data.get("timeZone", "Asia/Tokyo"),
            }
            sheets = [
                {
                    "properties": {
                        "title": title,
                        "gridProperties": {
                            "rowCount": max(DEFAULT_ROWS, len(rows)),
                            "columnCount": max(DEFAULT_COLUMNS, *(len(r) for r in rows or [[]])),
                        },
                    }
                }
                for title, rows in tabs.items()
            ]
            book = self.new_spreadsheet(
                {"properties": properties, "sheets": sheets}, data.get("spreadsheetId")
            )
            option = data.get("valueInputOption", "USER_ENTERED")
            for sheet, rows in zip(book.sheets, tabs.values(), strict=True):
                write(Target(sheet, None, sheet.title), rows, option)
            return book.spreadsheet_id

    def dump(self, spreadsheet_id: str) -> dict[str, list[list[Any]]]:
        """Every tab as ``values.get`` would show it (formatted, trailing blanks trimmed)."""
        with self._lock:
            return {
                sheet.title: read(Target(sheet, None, sheet.title)).get("values", [])
                for sheet in self.book(spreadsheet_id).sheets
            }

    # -- staff actions -----------------------------------------------------------------------

    def _tab(self, spreadsheet_id: str, tab: str) -> tuple[Spreadsheet, Sheet]:
        book = self.book(spreadsheet_id)
        sheet = book.by_title(tab)
        if sheet is None:
            raise ApiError(400, f"No tab named {tab!r}")
        return book, sheet

    def staff_sort(
        self,
        spreadsheet_id: str,
        tab: str,
        column: str | int,
        descending: bool = False,
        header_rows: int = 1,
    ) -> None:
        """Sort the rows below the header by a column: a header text, letters or an index."""
        with self._lock:
            book, sheet = self._tab(spreadsheet_id, tab)
            if isinstance(column, int):
                index = column
            else:
                headers = [sheet.value(0, c) for c in range(sheet.column_count)]
                index = headers.index(column) if column in headers else column_index(column)
            grid_range = {"sheetId": sheet.sheet_id, "startRowIndex": header_rows}
            order = "DESCENDING" if descending else "ASCENDING"
            spec = {"dimensionIndex": index, "sortOrder": order}
            book.row_metadata_on_sort = getattr(self, "row_metadata_on_sort", "move")
            requests.sort_range(book, {"range": grid_range, "sortSpecs": [spec]})

    def staff_insert_row(self, spreadsheet_id: str, tab: str, row: int) -> None:
        with self._lock:
            book, sheet = self._tab(spreadsheet_id, tab)
            dimension_range = {"sheetId": sheet.sheet_id, "dimension": "ROWS"}
            dimension_range.update(startIndex=row - 1, endIndex=row)
            requests.insert_dimension(book, {"range": dimension_range})

    def staff_delete_row(self, spreadsheet_id: str, tab: str, row: int) -> None:
        with self._lock:
            book, sheet = self._tab(spreadsheet_id, tab)
            dimension_range = {"sheetId": sheet.sheet_id, "dimension": "ROWS"}
            dimension_range.update(startIndex=row - 1, endIndex=row)
            requests.delete_dimension(book, {"range": dimension_range})

    def staff_set_cell(self, spreadsheet_id: str, tab: str, cell: str, value: Any) -> None:
        with self._lock:
            _, sheet = self._tab(spreadsheet_id, tab)
            write(Target(sheet, parse_ref(cell), f"{tab}!{cell}"), [[value]], "USER_ENTERED")

    def staff_rename_tab(self, spreadsheet_id: str, tab: str, title: str) -> None:
        with self._lock:
            book, sheet = self._tab(spreadsheet_id, tab)
            properties = {"sheetId": sheet.sheet_id, "title": title}
            requests.update_sheet_properties(book, {"properties": properties, "fields": "title"})

    def staff_delete_tab(self, spreadsheet_id: str, tab: str) -> None:
        with self._lock:
            book, sheet = self._tab(spreadsheet_id, tab)
            requests.delete_sheet(book, {"sheetId": sheet.sheet_id})

    # -- routes ------------------------------------------------------------------------------

    def staff_routes(self) -> list[Route]:
        return [
            route("GET", r"^/_emulator/sheets$", "emulator.sheets.list", self._list_route, False),
            route("POST", r"^/_emulator/sheets$", "emulator.sheets.load", self._load_route, False),
            route(
                "GET",
                r"^/_emulator/sheets/settings$",
                "emulator.sheets.settings",
                self._settings_route,
                False,
            ),
            route(
                "POST",
                r"^/_emulator/sheets/settings$",
                "emulator.sheets.settings",
                self._settings_route,
                False,
            ),
            route(
                "POST",
                _STAFF + "(?P<action>unshare|share)$",
                "emulator.sheets.sharing",
                self._sharing_route,
                False,
            ),
            route(
                "DELETE",
                r"^/_emulator/sheets/(?P<id>[^/]+)$",
                "emulator.sheets.delete",
                self._delete_route,
                False,
            ),
            route("GET", _STAFF + "dump$", "emulator.sheets.dump", self._dump_route, False),
            route(
                "POST",
                _STAFF + "(?P<action>sort|insert-row|delete-row|set-cell|rename-tab|delete-tab)$",
                "emulator.sheets.staff",
                self._staff_route,
                False,
            ),
        ]

    def _list_route(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, self._settings() | {"spreadsheets": self.spreadsheet_ids()})

    def _settings(self) -> dict[str, Any]:
        return {"row_metadata_on_sort": getattr(self, "row_metadata_on_sort", "move")}

    def _settings_route(self, request: Request, match: re.Match[str]) -> Response:
        if request.method == "POST":
            body = request.json()
            if "row_metadata_on_sort" in body:
                try:
                    self.set_row_metadata_on_sort(str(body["row_metadata_on_sort"]))
                except ValueError as exc:
                    raise ApiError(400, str(exc)) from exc
        return Response(200, self._settings())

    def _sharing_route(self, request: Request, match: re.Match[str]) -> Response:
        if match["action"] == "unshare":
            self.unshare(match["id"])
        else:
            with self._lock:
                if match["id"] not in self._books:
                    raise ApiError(404, f"no spreadsheet {match['id']!r} in the emulator")
            self.share(match["id"])
        return Response(200, {"spreadsheetId": match["id"], "shared": match["action"] == "share"})

    def _delete_route(self, request: Request, match: re.Match[str]) -> Response:
        with self._lock:
            if match["id"] not in self._books:
                raise ApiError(404, f"no spreadsheet {match['id']!r} in the emulator")
        self.delete_spreadsheet(match["id"])
        return Response(200, {})

    def _load_route(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, {"spreadsheetId": self.load_fixture(request.json())})

    def _dump_route(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, self.dump(match["id"]))

    def _staff_route(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        sid, tab, action = match["id"], str(body.get("tab", "")), match["action"]
        try:
            if action == "sort":
                self.staff_sort(
                    sid,
                    tab,
                    body["column"],
                    bool(body.get("descending")),
                    int(body.get("headerRows", 1)),
                )
            elif action == "insert-row":
                self.staff_insert_row(sid, tab, int(body["row"]))
            elif action == "delete-row":
                self.staff_delete_row(sid, tab, int(body["row"]))
            elif action == "set-cell":
                self.staff_set_cell(sid, tab, str(body["cell"]), body.get("value"))
            elif action == "rename-tab":
                self.staff_rename_tab(sid, tab, str(body["title"]))
            else:
                self.staff_delete_tab(sid, tab)
        except (KeyError, ValueError, requests.RequestRefused) as exc:
            raise ApiError(400, f"staff {action}: {exc}") from exc
        return Response(200, {})
