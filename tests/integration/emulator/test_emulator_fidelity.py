"""Emulator fidelity found by replaying real traffic and following docs/emulator.md
(issue 11 §4, §5): append below a blank first row, update counts with nulls, the 10 MiB
body limit, the ``/_emulator/sheets`` routes (list, settings, unshare, delete) and the
forms control refusing answers to questions the form does not have."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import gspread
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from bansou_sync.emulator.gspread_client import emulator_gspread_client
from bansou_sync.emulator.server import PAYLOAD_LIMIT, Emulator, start_emulator
from bansou_sync.emulator.sheets import SheetsApi

from .conftest import FORM
from .sheets_calls import call, values_path

ID = "book"
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]


@pytest.fixture
def api() -> SheetsApi:
    api = SheetsApi(seed=1)
    api.load_fixture({"spreadsheetId": ID, "title": "t", "sheets": {"Sheet1": []}})
    return api


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = start_emulator()
    emulator.sheets.load_fixture(
        {"spreadsheetId": ID, "title": "状況", "sheets": {"申請": [["申請番号"], ["A-1"]]}}
    )
    emulator.forms.load_form(FORM)
    try:
        yield emulator
    finally:
        emulator.stop()


def control(emu: Emulator, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(emu.base_url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def put(api: SheetsApi, a1: str, rows: list[list[Any]]) -> dict[str, Any]:
    reply = call(api, "PUT", values_path(ID, a1), {"valueInputOption": ["RAW"]}, {"values": rows})
    assert reply.status == 200, reply.body
    return dict(reply.body)


# Google's guide ("Append values"): two tables, A1:C2 and B4:D6
GUIDE_SHEET = [["x", "y", "z"], ["x", "y", "z"], [], ["", "x", "y", "z"]] + [
    ["", "x", "y", "z"]
] * 2


def append_at(api: SheetsApi, a1: str) -> dict[str, Any]:
    put(api, "A1", GUIDE_SHEET)
    reply = call(
        api,
        "POST",
        values_path(ID, a1, ":append"),
        {"valueInputOption": ["RAW"]},
        {"values": [["new"]]},
    )
    assert reply.status == 200, reply.body
    return dict(reply.body)


@pytest.mark.parametrize(
    ("a1", "table", "written"),
    [
        ("Sheet1!A5", None, "Sheet1!A5"),  # blank, inside the span of B4:D6: written there
        ("Sheet1!E4", None, "Sheet1!E4"),  # "not in any table"
        ("Sheet1!A3", None, "Sheet1!A3"),  # the blank row between the two tables
        ("Sheet1!A1", "Sheet1!A1:C2", "Sheet1!A3"),  # in the A1:C2 table
        ("Sheet1", "Sheet1!B4:D6", "Sheet1!B7"),  # the last table of the sheet
        ("Sheet1!A3:G10", "Sheet1!B4:D6", "Sheet1!B7"),  # the last table in the range
        ("Sheet1!B2:D4", "Sheet1!B4:D6", "Sheet1!B7"),  # ... though it holds part of A1:C2
        ("Sheet1!C5:D5", "Sheet1!B4:D6", "Sheet1!B7"),  # inside B4:D6: the whole table
        ("Sheet1!C5", "Sheet1!B4:D6", "Sheet1!B7"),
    ],
)
def test_append_finds_the_table_as_googles_guide_describes(
    api: SheetsApi, a1: str, table: str | None, written: str
) -> None:
    reply = append_at(api, a1)
    assert reply.get("tableRange") == table
    assert reply["updates"]["updatedRange"] == written


def test_append_to_a_blank_cell_inside_a_table_overwrites_nothing_below(api: SheetsApi) -> None:
    append_at(api, "Sheet1!A5")
    rows = call(api, "GET", values_path(ID, "A1:D7")).body["values"]
    assert rows == [*GUIDE_SHEET[:4], ["new", "x", "y", "z"], GUIDE_SHEET[5]]


def test_update_with_null_cells_counts_only_the_cells_written(api: SheetsApi) -> None:
    reply = put(api, "A1", [["a", None, "c"], [None, None, None], [None, "e"]])
    assert reply == {
        "spreadsheetId": ID,
        "updatedRange": "Sheet1!A1:C3",
        "updatedRows": 2,
        "updatedColumns": 3,
        "updatedCells": 3,
    }
    assert put(api, "E1", [[None], [None]]) == {"spreadsheetId": ID, "updatedRange": "Sheet1!E1:E2"}


def test_batch_update_totals_skip_null_cells(api: SheetsApi) -> None:
    body = {
        "valueInputOption": "RAW",
        "data": [{"range": "A1:C2", "values": [[None, "b", None], [None, "d", None]]}],
    }
    reply = call(api, "POST", f"/v4/spreadsheets/{ID}/values:batchUpdate", body=body).body
    assert (reply["totalUpdatedRows"], reply["totalUpdatedColumns"]) == (2, 1)
    assert reply["totalUpdatedCells"] == 2
    assert reply["responses"][0]["updatedCells"] == 2


def test_a_request_body_over_10_mib_is_refused_as_google_refuses_it(emu: Emulator) -> None:
    sheets = build(
        "sheets",
        "v4",
        credentials=emu.credentials(SCOPES),
        static_discovery=True,
        client_options=emu.client_options(),
    )
    big = "x" * 40_000
    rows = [[big] for _ in range(PAYLOAD_LIMIT // len(big) + 1)]
    request = sheets.spreadsheets().values()
    with pytest.raises(HttpError) as raised:
        request.update(
            spreadsheetId=ID, range="申請!A1", valueInputOption="RAW", body={"values": rows}
        ).execute()
    assert raised.value.resp.status == 400
    error = json.loads(raised.value.content)["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == "Request payload size exceeds the limit: 10485760 bytes."
    assert emu.sheets.dump(ID)["申請"] == [["申請番号"], ["A-1"]]
    small = request.update(
        spreadsheetId=ID, range="申請!A3", valueInputOption="RAW", body={"values": [["A-2"]]}
    ).execute()
    assert small["updatedCells"] == 1


def test_the_sheets_control_routes_list_switch_unshare_and_delete(emu: Emulator) -> None:
    assert control(emu, "GET", "/_emulator/sheets") == (
        200,
        {"spreadsheets": [ID], "row_metadata_on_sort": "move"},
    )
    assert control(emu, "POST", "/_emulator/sheets/settings", {"row_metadata_on_sort": "stay"}) == (
        200,
        {"row_metadata_on_sort": "stay"},
    )
    assert emu.sheets.row_metadata_on_sort == "stay"
    status, _ = control(emu, "POST", "/_emulator/sheets/settings", {"row_metadata_on_sort": "?"})
    assert status == 400
    status, created = control(emu, "POST", "/_emulator/sheets", {"sheets": {"tab": [["x"]]}})
    assert status == 200
    client = emulator_gspread_client(emu.base_url, emu.credentials(SCOPES))
    assert client.open_by_key(created["spreadsheetId"]).worksheet("tab").get_all_values() == [["x"]]

    assert control(emu, "POST", f"/_emulator/sheets/{ID}/unshare")[0] == 200
    with pytest.raises(PermissionError) as refused:  # gspread's name for Google's 403
        client.open_by_key(ID)
    cause = refused.value.__cause__
    assert isinstance(cause, gspread.exceptions.APIError)
    assert cause.response.status_code == 403
    assert "The caller does not have permission" in str(cause)
    assert control(emu, "POST", f"/_emulator/sheets/{ID}/share")[0] == 200
    assert client.open_by_key(ID).title == "状況"

    assert control(emu, "DELETE", f"/_emulator/sheets/{ID}") == (200, {})
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key(ID)
    assert control(emu, "POST", f"/_emulator/sheets/{ID}/unshare")[0] == 404


def test_the_forms_control_refuses_answers_to_a_question_the_form_does_not_have(
    emu: Emulator,
) -> None:
    form_id = FORM["formId"]
    path = f"/_emulator/forms/{form_id}/responses"
    status, body = control(emu, "POST", path, [{"answers": {"伴走者ID": "BN-0001"}}])
    assert status == 400
    assert "'伴走者ID'" in body["error"]["message"]
    assert "'伴走ネットID'" in body["error"]["message"]  # the titles the form has
    assert emu.forms.responses(form_id) == []
    status, body = control(emu, "POST", path, [{"answers": {"伴走ネットID": "BN-0001"}}])
    assert status == 200
    rid = body["responses"][0]["responseId"]
    status, body = control(emu, "PATCH", f"{path}/{rid}", {"answers": {"相談したいこと": "x"}})
    assert status == 400
    assert "'相談したいこと'" in body["error"]["message"]
    status, _ = control(emu, "PATCH", f"{path}/{rid}", {"answers": {"0a1b2c3d": "BN-0002"}})
    assert status == 200
