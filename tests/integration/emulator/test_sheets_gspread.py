"""gspread 6.2.1, unmodified, against the emulated Sheets API over loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gspread
import pytest

from bansou_sync.emulator.gspread_client import emulator_gspread_client
from bansou_sync.emulator.oauth import OAuthApi
from bansou_sync.emulator.server import Emulator
from bansou_sync.emulator.sheets import SheetsApi

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
ID = "status-sheet"


@pytest.fixture
def sheets_emulator() -> Iterator[Emulator]:
    emulator = Emulator([OAuthApi(), SheetsApi(seed=3)])
    emulator.sheets.load_fixture(
        {
            "spreadsheetId": ID,
            "title": "状況",
            "sheets": {"申請": [["申請番号", "氏名", "審査"], ["A-000001", "山田"]], "伴走者": []},
        }
    )
    with emulator:
        yield emulator


@pytest.fixture
def client(sheets_emulator: Emulator) -> gspread.Client:
    return emulator_gspread_client(sheets_emulator.base_url, sheets_emulator.credentials(SCOPES))


def test_gspread_opens_by_key_and_reads_japanese_tabs(client: gspread.Client) -> None:
    spreadsheet = client.open_by_key(ID)
    assert spreadsheet.title == "状況"
    assert [w.title for w in spreadsheet.worksheets()] == ["申請", "伴走者"]
    assert spreadsheet.worksheet("申請").get_all_values() == [
        ["申請番号", "氏名", "審査"],
        ["A-000001", "山田", ""],
    ]


def test_gspread_update_batch_get_batch_update_and_append_row(
    client: gspread.Client, sheets_emulator: Emulator
) -> None:
    worksheet = client.open_by_key(ID).worksheet("申請")
    reply = worksheet.update([["A-000002", "佐藤"]], "A3", value_input_option="RAW")
    assert reply["updatedRange"] == "'申請'!A3:B3"
    worksheet.batch_update([{"range": "C2", "values": [["承認"]]}], value_input_option="RAW")
    assert worksheet.batch_get(["A2:A", "C2"]) == [[["A-000001"], ["A-000002"]], [["承認"]]]
    worksheet.append_row(["A-000003", "鈴木"])
    assert sheets_emulator.sheets.dump(ID)["申請"][-1] == ["A-000003", "鈴木"]


def test_gspread_spreadsheet_batch_update_grows_the_grid_before_a_write(
    client: gspread.Client,
) -> None:
    spreadsheet = client.open_by_key(ID)
    worksheet = spreadsheet.worksheet("伴走者")
    with pytest.raises(gspread.exceptions.APIError, match="exceeds grid limits"):
        worksheet.update([["x"]], "A1001")
    spreadsheet.batch_update(
        {
            "requests": [
                {"appendDimension": {"sheetId": worksheet.id, "dimension": "ROWS", "length": 10}}
            ]
        }
    )
    worksheet.update([["x"]], "A1001")
    assert worksheet.acell("A1001").value == "x"


def test_gspread_sees_staff_edits_between_requests(
    client: gspread.Client, sheets_emulator: Emulator
) -> None:
    worksheet = client.open_by_key(ID).worksheet("申請")
    sheets_emulator.sheets.staff_insert_row(ID, "申請", 2)
    assert worksheet.col_values(1) == ["申請番号", "", "A-000001"]


def test_unknown_spreadsheet_is_spreadsheet_not_found(client: gspread.Client) -> None:
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key("missing")


def test_replies_match_the_discovery_schemas(
    client: gspread.Client, check_schema: Callable[[str, str, Any], None]
) -> None:
    spreadsheet = client.open_by_key(ID)
    check_schema("sheets.v4", "Spreadsheet", spreadsheet.fetch_sheet_metadata())
    check_schema("sheets.v4", "ValueRange", spreadsheet.values_get("申請!A1:C2"))
    check_schema(
        "sheets.v4",
        "BatchGetValuesResponse",
        spreadsheet.values_batch_get(["申請!A1", "伴走者!A:A"]),
    )
    update = spreadsheet.values_update("申請!A5", {"valueInputOption": "RAW"}, {"values": [["x"]]})
    check_schema("sheets.v4", "UpdateValuesResponse", update)
    append = spreadsheet.values_append("申請", {"valueInputOption": "RAW"}, {"values": [["y"]]})
    check_schema("sheets.v4", "AppendValuesResponse", append)
