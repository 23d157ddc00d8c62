"""The emulated Sheets API's indexes and undo log (issue 5) keep Google's behaviour:
metadata found by id wherever its row moved, a failed batch leaving every part of the
spreadsheet as it was, reads of a few columns and filtered response lists unchanged."""

from __future__ import annotations

import gc
import json
import random
import time
import urllib.request
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from bansou_sync.emulator.a1 import Area
from bansou_sync.emulator.forms import FormsApi
from bansou_sync.emulator.gmail import GmailApi
from bansou_sync.emulator.http import EncodedBody, Request, Response, Route, json_bytes, route
from bansou_sync.emulator.server import start_emulator
from bansou_sync.emulator.sheets import SheetsApi
from bansou_sync.emulator.sheets_filters import FilterMatcher
from bansou_sync.emulator.sheets_grid import Target, read
from bansou_sync.emulator.sheets_values import Number, render

from .sheets_calls import call, values_path

ID = "book"
TAB = "申請"


@pytest.fixture
def api() -> SheetsApi:
    api = SheetsApi(seed=3)
    rows = [["申請番号", "氏名", "審査"]] + [[f"A-{i}", f"架空{i}", ""] for i in range(1, 7)]
    api.load_fixture({"spreadsheetId": ID, "title": "状況", "sheets": {TAB: rows, "同期": []}})
    return api


def batch(api: SheetsApi, *requests: dict[str, Any]) -> Any:
    return call(
        api, "POST", f"/v4/spreadsheets/{ID}:batchUpdate", body={"requests": list(requests)}
    )


def tag(row: int, value: str, sheet_id: int = 0) -> dict[str, Any]:
    span = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": row, "endIndex": row + 1}
    metadata = {
        "metadataKey": "row",
        "metadataValue": value,
        "visibility": "DOCUMENT",
        "location": {"dimensionRange": span},
    }
    return {"createDeveloperMetadata": {"developerMetadata": metadata}}


def insert_rows(start: int, end: int) -> dict[str, Any]:
    span = {"sheetId": 0, "dimension": "ROWS", "startIndex": start, "endIndex": end}
    return {"insertDimension": {"range": span}}


def tag_ids(api: SheetsApi, *rows: int) -> list[int]:
    reply = batch(api, *(tag(row, f"A-{row}") for row in rows)).body
    return [
        r["createDeveloperMetadata"]["developerMetadata"]["metadataId"] for r in reply["replies"]
    ]


def write_by_id(api: SheetsApi, metadata_id: int, values: list[Any]) -> Any:
    lookup = {"developerMetadataLookup": {"metadataId": metadata_id}}
    body = {"valueInputOption": "RAW", "data": [{"dataFilter": lookup, "values": [values]}]}
    return call(api, "POST", f"/v4/spreadsheets/{ID}/values:batchUpdateByDataFilter", body=body)


def span_of(api: SheetsApi, metadata_id: int) -> dict[str, Any]:
    reply = call(api, "GET", f"/v4/spreadsheets/{ID}/developerMetadata/{metadata_id}")
    assert reply.status == 200, reply.body
    span: dict[str, Any] = reply.body["location"]["dimensionRange"]
    return span


def values(api: SheetsApi, a1: str) -> list[list[Any]]:
    found: list[list[Any]] = call(api, "GET", values_path(ID, a1)).body.get("values", [])
    return found


def test_metadata_is_found_by_id_after_rows_are_inserted_above_it(api: SheetsApi) -> None:
    above, below = tag_ids(api, 2, 5)
    batch(api, insert_rows(1, 4))  # three blank rows pushed in on top of the data
    assert span_of(api, above)["startIndex"] == 5
    assert span_of(api, below) == {
        "sheetId": 0,
        "dimension": "ROWS",
        "startIndex": 8,
        "endIndex": 9,
    }
    reply = write_by_id(api, below, ["A-5", "架空5", "承認"])
    assert reply.body["responses"][0]["updatedRange"] == "'申請'!A9:C9"
    assert values(api, f"{TAB}!A9:C9") == [["A-5", "架空5", "承認"]]


def test_rows_inserted_below_a_tag_and_between_two_leave_the_ones_above_in_place(
    api: SheetsApi,
) -> None:
    first, second = tag_ids(api, 1, 3)
    batch(api, insert_rows(2, 3), insert_rows(10, 12))
    assert span_of(api, first)["startIndex"] == 1
    assert span_of(api, second)["startIndex"] == 4


def test_a_range_tag_spanning_the_insertion_point_grows_and_later_lookups_still_find_it(
    api: SheetsApi,
) -> None:
    wide = {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 5}
    metadata = {
        "metadataKey": "block",
        "visibility": "DOCUMENT",
        "location": {"dimensionRange": wide},
    }
    made = batch(api, {"createDeveloperMetadata": {"developerMetadata": metadata}}).body
    block = made["replies"][0]["createDeveloperMetadata"]["developerMetadata"]["metadataId"]
    (after,) = tag_ids(api, 6)
    batch(api, insert_rows(3, 5))
    assert (span_of(api, block)["startIndex"], span_of(api, block)["endIndex"]) == (1, 7)
    batch(api, insert_rows(6, 7))  # inside the grown range: it must be found and widened
    assert span_of(api, block)["endIndex"] == 8
    assert span_of(api, after)["startIndex"] == 9


def test_metadata_follows_deleted_and_sorted_rows(api: SheetsApi) -> None:
    gone, kept = tag_ids(api, 2, 4)
    api.staff_delete_row(ID, TAB, 3)  # 1-based: the row tagged ``gone``
    assert call(api, "GET", f"/v4/spreadsheets/{ID}/developerMetadata/{gone}").status == 404
    assert span_of(api, kept)["startIndex"] == 3
    assert values(api, f"{TAB}!A4") == [["A-4"]]
    api.staff_sort(ID, TAB, "申請番号", descending=True)
    row = span_of(api, kept)["startIndex"]
    assert values(api, f"{TAB}!A{row + 1}") == [["A-4"]]
    batch(api, insert_rows(1, 2))
    assert values(api, f"{TAB}!A{span_of(api, kept)['startIndex'] + 1}") == [["A-4"]]


def test_a_failed_batch_is_rolled_back_cells_grid_tabs_and_metadata_alike(api: SheetsApi) -> None:
    (tagged,) = tag_ids(api, 3)
    before_values = values(api, TAB)
    before = call(api, "GET", f"/v4/spreadsheets/{ID}").body
    cells = {
        "rows": [{"values": [{"userEnteredValue": {"stringValue": "書き換え"}}]}],
        "fields": "userEnteredValue",
        "start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 0},
    }
    reply = batch(
        api,
        insert_rows(1, 3),
        {"updateCells": cells},
        tag(1, "new"),
        {"addSheet": {"properties": {"title": "一時"}}},
        {
            "deleteDimension": {
                "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 5, "endIndex": 6}
            }
        },
        {"deleteSheet": {"sheetId": 42}},  # refused: everything above must be undone
    )
    assert reply.status == 400
    assert values(api, TAB) == before_values
    assert call(api, "GET", f"/v4/spreadsheets/{ID}").body == before
    assert span_of(api, tagged)["startIndex"] == 3
    search = call(
        api,
        "POST",
        f"/v4/spreadsheets/{ID}/developerMetadata:search",
        body={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "row"}}]},
    ).body
    assert [m["developerMetadata"]["metadataId"] for m in search["matchedDeveloperMetadata"]] == [
        tagged
    ]
    # and the spreadsheet works on as before: the same tag, the same cell
    assert write_by_id(api, tagged, ["A-3", "架空3", "承認"]).status == 200
    assert values(api, f"{TAB}!A4:C4") == [["A-3", "架空3", "承認"]]


def test_a_failed_values_write_by_filter_leaves_the_rows_written_before_it(api: SheetsApi) -> None:
    (tagged,) = tag_ids(api, 2)
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"dataFilter": {"a1Range": f"{TAB}!B2"}, "values": [["上書き"]]},
            {"dataFilter": {"developerMetadataLookup": {"metadataId": tagged}}, "values": [["x"]]},
            {"dataFilter": {"a1Range": "無いタブ!A1"}, "values": [["y"]]},
        ],
    }
    reply = call(api, "POST", f"/v4/spreadsheets/{ID}/values:batchUpdateByDataFilter", body=body)
    assert reply.status == 400
    assert values(api, f"{TAB}!A2:B3") == [["A-1", "架空1"], ["A-2", "架空2"]]


def test_a_narrow_column_read_gives_blank_inner_rows_and_drops_trailing_ones(
    api: SheetsApi,
) -> None:
    call(
        api,
        "PUT",
        values_path(ID, f"{TAB}!C3"),
        {"valueInputOption": ["RAW"]},
        {"values": [["承認"]]},
    )
    call(
        api,
        "PUT",
        values_path(ID, f"{TAB}!C6"),
        {"valueInputOption": ["USER_ENTERED"]},
        {"values": [["12,000"]]},
    )
    assert values(api, f"{TAB}!C2:C") == [[], ["承認"], [], [], ["12,000"]]
    unformatted = call(
        api, "GET", values_path(ID, f"{TAB}!C6"), {"valueRenderOption": ["UNFORMATTED_VALUE"]}
    ).body
    assert unformatted["values"] == [[12000]]
    assert values(api, f"{TAB}!B7:C") == [["架空6"]]


def test_a_timestamp_filtered_list_is_the_filtered_shuffled_history() -> None:
    forms = FormsApi(seed="fixed")
    form = {"formId": "f1", "info": {"title": "申請"}, "items": []}
    stamps = [f"2026-01-01T00:00:{s:02d}.000Z" for s in range(40)]
    forms.load_form(form, [{"responseId": f"r{i}", "createTime": t} for i, t in enumerate(stamps)])

    def listed(flt: str | None) -> list[str]:
        query = {"filter": [flt]} if flt else {}
        request = Request("GET", "/v1/forms/f1/responses", "/v1/forms/f1/responses", query, {}, b"")
        route = next(r for r in forms.routes() if r.name == "forms.forms.responses.list")
        match = route.pattern.fullmatch(request.path)
        assert match is not None
        return [r["responseId"] for r in route.handler(request, match).body.get("responses", [])]

    everything = listed(None)
    assert sorted(everything) == sorted(f"r{i}" for i in range(40))
    assert everything != [f"r{i}" for i in range(40)]  # shuffled, as Google's
    newer = listed("timestamp > 2026-01-01T00:00:29Z")
    assert newer == [r for r in everything if int(r[1:]) > 29]
    assert listed("timestamp >= 2026-01-01T00:00:29Z") == [
        r for r in everything if int(r[1:]) >= 29
    ]
    # the time index follows responses added, edited (moved forward) and replaced
    forms.add_responses("f1", [{"responseId": "late", "createTime": "2026-01-01T00:01:00.000Z"}])
    forms.edit_response("f1", "r3", {}, submitted_at="2026-01-01T00:02:00.000000Z")
    forms.add_responses(
        "f1", [{"responseId": "r35", "createTime": "2026-01-01T00:00:01.000Z"}], force=True
    )
    moved = listed("timestamp > 2026-01-01T00:00:30Z")
    assert sorted(moved) == sorted(["late", "r3", *(f"r{i}" for i in range(31, 40) if i != 35)])
    assert moved == [r for r in listed(None) if r in moved]


def test_a_reply_in_a_thread_is_threaded_with_the_message_it_answers() -> None:
    gmail = GmailApi()
    first = gmail._store(
        "office@example.org",
        b"Message-ID: <one@example.org>\r\nTo: v@example.org\r\nSubject: a\r\n\r\nbody\r\n",
        ["SENT"],
    )
    plain = gmail._store(
        "office@example.org", b"To: v@example.org\r\nSubject: b\r\n\r\nbody\r\n", ["SENT"]
    )
    reply = gmail._store(
        "office@example.org",
        b"In-Reply-To: <one@example.org>\r\nTo: v@example.org\r\nSubject: Re: a\r\n\r\nx\r\n",
        ["SENT"],
    )
    assert reply.thread_id == first.thread_id
    assert plain.thread_id == plain.id
    assert plain.message_id_header.endswith(".emu@mail.gmail.com>")


def test_reads_of_any_width_match_a_cell_by_cell_reading_of_the_same_tab() -> None:
    """The row-wise, few-column and one-column read paths against the plain definition:
    every cell of the range, trailing blanks cut, blank inner rows kept as []."""
    api = SheetsApi(seed=5)
    api.load_fixture({"spreadsheetId": "r", "sheets": {"t": []}})
    sheet = api.book("r").sheets[0]
    rng = random.Random(11)
    for _ in range(400):
        row, col = rng.randrange(60), rng.randrange(20)
        value = rng.choice(["x", "架空", True, False, Number(3.5), None])
        sheet.set_value(row, col, value)
    sheet.cell(7, 3).format = {"textFormat": {"bold": True}}  # a cell with no value

    def plain(area: Area, major: str, option: str) -> list[list[Any]]:
        top, bottom, left, right = area.clip(sheet.row_count, sheet.column_count)
        outer, inner = (range(left, right), range(top, bottom))
        if major == "ROWS":
            outer, inner = inner, outer
        lines = []
        for o in outer:
            line = [sheet.value(o, i) if major == "ROWS" else sheet.value(i, o) for i in inner]
            while line and line[-1] is None:
                line.pop()
            lines.append([render(v, option) for v in line])
        while lines and not lines[-1]:
            lines.pop()
        return lines

    for _ in range(150):
        top = rng.randrange(70)
        left = rng.randrange(22)
        area = Area(top, top + rng.randrange(1, 70), left, left + rng.choice([1, 2, 3, 8, 9, 26]))
        area = Area(area.start_row, area.end_row, area.start_col, min(area.end_col or 0, 26))
        for major in ("ROWS", "COLUMNS"):
            for option in ("FORMATTED_VALUE", "UNFORMATTED_VALUE"):
                got = read(Target(sheet, area, "t"), major, option).get("values", [])
                assert got == plain(area, major, option), (area, major, option)


def test_an_emulator_with_its_own_process_freezes_its_heap_after_each_request() -> None:
    """``freeze_gc`` (the CLI's and the benchmark's emulator): the cyclic collector stops
    scanning the long-lived state; off by default, since it is process-wide."""
    gc.unfreeze()
    plain = start_emulator()
    try:
        with urllib.request.urlopen(plain.base_url + "/_emulator/health", timeout=5):
            pass
        assert gc.get_freeze_count() == 0
    finally:
        plain.stop()
    frozen = start_emulator(freeze_gc=True)
    try:
        gc.unfreeze()
        url = frozen.base_url + "/_emulator/sheets"
        fixture = {"spreadsheetId": "g", "sheets": {"t": [["a", "b"]]}}
        request = urllib.request.Request(
            url, json.dumps(fixture).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as reply:
            assert json.loads(reply.read()) == {"spreadsheetId": "g"}
        assert _soon(lambda: gc.get_freeze_count() > 0)  # frozen once the reply is sent
        assert frozen.sheets.dump("g") == {"t": [["a", "b"]]}
        assert not gc.isenabled()  # no automatic collection while it runs
    finally:
        frozen.stop()
        gc.unfreeze()  # the test process is not the emulator's own
    assert gc.isenabled()  # given back when it stops


def _soon(check: Callable[[], bool]) -> bool:
    """``check`` holds within 5 s: the emulator collects and freezes after it has sent
    its reply, while the client reads it."""
    deadline = time.monotonic() + 5
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


class _CyclesApi:
    """An API whose one request leaves a reference cycle behind as garbage."""

    name = "cycles"

    def __init__(self) -> None:
        self.made: list[weakref.ref[_Node]] = []

    def routes(self) -> list[Route]:
        return [route("GET", r"/cycles", "cycles.make", self._make, needs_auth=False)]

    def quota_group(self, route: Route, request: Request) -> str | None:
        return None

    def _make(self, request: Request, match: Any) -> Response:
        self.made.append(weakref.ref(_Node()))
        return Response(200, {})


def test_an_emulator_with_its_own_process_frees_the_cycles_a_request_left_before_freezing() -> None:
    cycles = _CyclesApi()
    frozen = start_emulator(freeze_gc=True, extra_apis=[cycles])
    try:
        for _ in range(3):
            with urllib.request.urlopen(frozen.base_url + "/cycles", timeout=5) as reply:
                assert reply.status == 200
        assert len(cycles.made) == 3
        assert _soon(lambda: all(ref() is None for ref in cycles.made))
    finally:
        frozen.stop()
        gc.unfreeze()


def test_a_large_response_page_is_sent_as_the_bytes_its_dict_encodes_to_even_after_edits() -> None:
    forms = FormsApi(seed="fixed")
    form = {"formId": "f1", "info": {"title": "申請"}, "items": []}
    answers = {
        "q1": {"questionId": "q1", "textAnswers": {"answers": [{"value": '架空の相談 "引用"'}]}}
    }
    forms.load_form(
        form,
        [
            {"responseId": f"r{i}", "createTime": f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}.000Z"}
            | ({"answers": answers} if i % 2 else {})
            for i in range(900)
        ],
    )

    def page(token: str | None = None) -> Any:
        query = {"pageSize": ["400"]} | ({"pageToken": [token]} if token else {})
        request = Request("GET", "/v1/forms/f1/responses", "/v1/forms/f1/responses", query, {}, b"")
        route = next(r for r in forms.routes() if r.name == "forms.forms.responses.list")
        match = route.pattern.fullmatch(request.path)
        assert match is not None
        return route.handler(request, match).body

    def sent(body: Any) -> bytes:
        return body.data if isinstance(body, EncodedBody) else json_bytes(body)

    first = page()
    assert isinstance(first, EncodedBody)  # over 64 KB: joined from the stored JSON
    assert sent(first) == json_bytes(dict(first))
    forms.edit_response("f1", first["responses"][0]["responseId"], {"q1": "編集後の回答"})
    again = page()
    assert again["responses"][0]["answers"]["q1"]["textAnswers"]["answers"] == [
        {"value": "編集後の回答"}
    ]
    assert sent(again) == json_bytes(dict(again))
    second = page(again["nextPageToken"])
    last = page(second["nextPageToken"])  # 100 responses: small, indented like Google's
    assert not isinstance(last, EncodedBody) and "nextPageToken" not in last
    listed = [r["responseId"] for p in (again, second, last) for r in p["responses"]]
    assert sorted(listed) == sorted(f"r{i}" for i in range(900))


def test_a_lookup_by_id_alone_finds_what_the_general_matching_finds(api: SheetsApi) -> None:
    row_tag = tag_ids(api, 2)[0]
    sheet_tag = {"metadataKey": "tab", "visibility": "DOCUMENT", "location": {"sheetId": 0}}
    book_tag = {"metadataKey": "book", "visibility": "DOCUMENT", "location": {"spreadsheet": True}}
    replies = batch(
        api,
        {"createDeveloperMetadata": {"developerMetadata": sheet_tag}},
        {"createDeveloperMetadata": {"developerMetadata": book_tag}},
    ).body["replies"]
    ids = [r["createDeveloperMetadata"]["developerMetadata"]["metadataId"] for r in replies]
    matcher = FilterMatcher(api.book(ID))
    for wanted in [row_tag, *ids, 12345, [row_tag], {"x": 1}, float(row_tag)]:
        lookup = {"metadataId": wanted}
        fast = matcher.targets({"developerMetadataLookup": lookup})
        # the same lookup with a condition every tag meets takes the general matching
        general = matcher.targets({"developerMetadataLookup": lookup | {"visibility": "DOCUMENT"}})
        assert [(t.sheet.sheet_id, t.area) for t in fast] == [
            (t.sheet.sheet_id, t.area) for t in general
        ]
    assert [
        t.area for t in matcher.targets({"developerMetadataLookup": {"metadataId": row_tag}})
    ] == [Area(2, 3, None, None)]


def test_a_tag_created_then_moved_in_the_same_batch_is_replied_where_it_was_created(
    api: SheetsApi,
) -> None:
    reply = batch(api, tag(2, "A-2"), insert_rows(0, 3)).body
    created = reply["replies"][0]["createDeveloperMetadata"]["developerMetadata"]
    assert list(created) == ["metadataId", "metadataKey", "metadataValue", "visibility", "location"]
    assert created["location"] == {
        "locationType": "ROW",
        "dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3},
    }
    assert span_of(api, created["metadataId"])["startIndex"] == 5  # moved by the insert
