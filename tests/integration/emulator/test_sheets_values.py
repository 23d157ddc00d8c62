"""values.* handlers of the emulated Sheets API, against the shapes of real replies."""

from __future__ import annotations

import pytest

from bansou_sync.emulator.sheets import SheetsApi

from .sheets_calls import call, values_path

ID = "book"
CASSETTE_ROWS = [
    ["A1", "B1", "", "D1"],
    ["", "b2", "", ""],
    ["", "", "", ""],
    ["A4", "B4", "", "D4"],
]


@pytest.fixture
def api() -> SheetsApi:
    api = SheetsApi(seed=1)
    api.load_fixture(
        {"spreadsheetId": ID, "title": "t", "sheets": {"Sheet1": [], "申請": [], "My Sheet": []}}
    )
    return api


def put(
    api: SheetsApi, a1: str, rows: list[list[object]], option: str = "RAW"
) -> dict[str, object]:
    reply = call(api, "PUT", values_path(ID, a1), {"valueInputOption": [option]}, {"values": rows})
    assert reply.status == 200, reply.body
    return dict(reply.body)


def get(api: SheetsApi, a1: str, **query: str) -> dict[str, object]:
    reply = call(api, "GET", values_path(ID, a1), {k: [v] for k, v in query.items()})
    assert reply.status == 200, reply.body
    return dict(reply.body)


def test_update_then_get_matches_the_recorded_reply_shapes(api: SheetsApi) -> None:
    assert put(api, "'Sheet1'!A1", CASSETTE_ROWS) == {
        "spreadsheetId": ID,
        "updatedRange": "Sheet1!A1:D4",
        "updatedRows": 4,
        "updatedColumns": 4,
        "updatedCells": 16,
    }
    assert get(api, "'Sheet1'") == {
        "range": "Sheet1!A1:Z1000",
        "majorDimension": "ROWS",
        "values": [["A1", "B1", "", "D1"], ["", "b2"], [], ["A4", "B4", "", "D4"]],
    }


def test_an_empty_range_omits_values(api: SheetsApi) -> None:
    assert get(api, "'Sheet1'!A1:D1") == {"range": "Sheet1!A1:D1", "majorDimension": "ROWS"}


def test_open_ranges_are_clipped_to_the_grid_in_the_reply(api: SheetsApi) -> None:
    put(api, "申請!A1", [["x"]])
    assert get(api, "'申請'!A1:1")["range"] == "'申請'!A1:Z1"
    assert get(api, "申請!A2:C")["range"] == "'申請'!A2:C1000"
    assert get(api, "'My Sheet'!B:B")["range"] == "'My Sheet'!B1:B1000"


def test_unknown_tab_is_unable_to_parse_range(api: SheetsApi) -> None:
    reply = call(api, "GET", values_path(ID, "NOPE!A5:F15"))
    assert (reply.status, reply.body) == (
        400,
        {
            "error": {
                "code": 400,
                "message": "Unable to parse range: NOPE!A5:F15",
                "status": "INVALID_ARGUMENT",
            }
        },
    )


def test_unknown_spreadsheet_is_not_found(api: SheetsApi) -> None:
    reply = call(api, "GET", "/v4/spreadsheets/missing")
    assert reply.body == {
        "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    }


def test_writing_past_the_grid_is_refused_like_google(api: SheetsApi) -> None:
    reply = call(
        api,
        "PUT",
        values_path(ID, "'Sheet1'!A1001"),
        {"valueInputOption": ["RAW"]},
        {"values": [["x"]]},
    )
    assert reply.status == 400
    assert reply.body["error"]["message"] == (
        "Range ('Sheet1'!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"
    )


def test_writing_beyond_the_requested_range_is_refused(api: SheetsApi) -> None:
    reply = call(
        api,
        "PUT",
        values_path(ID, "A1:B1"),
        {"valueInputOption": ["RAW"]},
        {"values": [["a"], ["b"]]},
    )
    assert reply.body["error"]["message"] == (
        "Requested writing within range [Sheet1!A1:B1], but tried writing to row [2]"
    )


def test_value_input_option_is_required(api: SheetsApi) -> None:
    reply = call(api, "PUT", values_path(ID, "A1"), {}, {"values": [["x"]]})
    assert reply.status == 400
    assert (
        reply.body["error"]["message"] == "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED"
    )


def test_values_that_are_not_a_list_are_refused_as_recorded(api: SheetsApi) -> None:
    reply = call(
        api, "PUT", values_path(ID, "'Sheet1'!A1"), {"valueInputOption": ["RAW"]}, {"values": "X"}
    )
    assert reply.body["error"]["message"] == (
        "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), \"X\""
    )


def test_raw_keeps_text_and_user_entered_parses_it(api: SheetsApi) -> None:
    put(api, "A1", [["=1+1", "007", "TRUE", "'=x", 1.5, 3]], "RAW")
    put(api, "A2", [["=1+1", "007", "TRUE", "'=x", "1,234", "2022-06-25"]], "USER_ENTERED")
    formatted = get(api, "A1:F2")["values"]
    assert formatted == [
        ["=1+1", "007", "TRUE", "'=x", "1.5", "3"],
        ["2", "7", "TRUE", "=x", "1,234", "2022-06-25"],
    ]
    raw = get(api, "A1:F2", valueRenderOption="UNFORMATTED_VALUE")["values"]
    assert raw == [["=1+1", "007", "TRUE", "'=x", 1.5, 3], [2, 7, True, "=x", 1234, 44737]]
    assert get(api, "A2", valueRenderOption="FORMULA")["values"] == [["=1+1"]]


def test_null_skips_a_cell_and_empty_string_clears_it(api: SheetsApi) -> None:
    put(api, "A1", [["a", "b", "c"]])
    put(api, "A1", [[None, "", "C"]])
    assert get(api, "A1:C1")["values"] == [["a", "", "C"]]


def test_columns_major_dimension_reads_and_writes_transposed(api: SheetsApi) -> None:
    call(
        api,
        "PUT",
        values_path(ID, "A1"),
        {"valueInputOption": ["RAW"]},
        {"values": [["a", "b"], ["c"]], "majorDimension": "COLUMNS"},
    )
    assert get(api, "A1:B2")["values"] == [["a", "c"], ["b"]]
    assert get(api, "A1:B2", majorDimension="COLUMNS")["values"] == [["a", "b"], ["c"]]


def test_batch_get_returns_one_value_range_per_range(api: SheetsApi) -> None:
    put(api, "'Sheet1'!A1", CASSETTE_ROWS)
    reply = call(
        api,
        "GET",
        f"/v4/spreadsheets/{ID}/values:batchGet",
        {"ranges": ["'Sheet1'!A1:B1", "'Sheet1'!B4:D4"]},
    )
    assert reply.body == {
        "spreadsheetId": ID,
        "valueRanges": [
            {"range": "Sheet1!A1:B1", "majorDimension": "ROWS", "values": [["A1", "B1"]]},
            {"range": "Sheet1!B4:D4", "majorDimension": "ROWS", "values": [["B4", "", "D4"]]},
        ],
    }


def test_batch_update_counts_distinct_rows_and_columns(api: SheetsApi) -> None:
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"range": "'Sheet1'!A1:D1", "values": [["A1", "B1", "", "D1"]]},
            {"range": "'Sheet1'!A4:D4", "values": [["A4", "B4", "", "D4"]]},
        ],
    }
    reply = call(api, "POST", f"/v4/spreadsheets/{ID}/values:batchUpdate", body=body).body
    assert {
        k: reply[k]
        for k in (
            "totalUpdatedRows",
            "totalUpdatedColumns",
            "totalUpdatedCells",
            "totalUpdatedSheets",
        )
    } == {
        "totalUpdatedRows": 2,
        "totalUpdatedColumns": 4,
        "totalUpdatedCells": 8,
        "totalUpdatedSheets": 1,
    }
    assert [r["updatedRange"] for r in reply["responses"]] == ["Sheet1!A1:D1", "Sheet1!A4:D4"]


def test_batch_update_is_all_or_nothing(api: SheetsApi) -> None:
    body = {
        "valueInputOption": "RAW",
        "data": [{"range": "A1", "values": [["kept?"]]}, {"range": "A1001", "values": [["x"]]}],
    }
    assert call(api, "POST", f"/v4/spreadsheets/{ID}/values:batchUpdate", body=body).status == 400
    assert "values" not in get(api, "A1")


def test_append_finds_the_last_run_of_the_last_row_as_google_does(api: SheetsApi) -> None:
    path = values_path(ID, "'Sheet1'", ":append")
    query = {"valueInputOption": ["RAW"]}
    first = call(api, "POST", path, query, {"values": [["x 1", "", "x 3"]]}).body
    assert "tableRange" not in first
    assert first["updates"]["updatedRange"] == "Sheet1!A1:C1"
    second = call(api, "POST", path, query, {"values": [["x 1", "", "x 3"]]}).body
    assert second["tableRange"] == "Sheet1!C1"
    assert second["updates"]["updatedRange"] == "Sheet1!C2:E2"
    assert get(api, "'Sheet1'!A2:2")["values"] == [["", "", "x 1", "", "x 3"]]


def test_append_past_the_last_row_grows_the_grid(api: SheetsApi) -> None:
    put(api, "A1000", [["last"]])
    reply = call(
        api,
        "POST",
        values_path(ID, "A:A", ":append"),
        {"valueInputOption": ["RAW"]},
        {"values": [["new"], ["newer"]]},
    )
    assert reply.body["updates"]["updatedRange"] == "Sheet1!A1001:A1002"
    sheet = api.book(ID).by_title("Sheet1")
    assert sheet is not None and sheet.row_count == 1002


def test_append_insert_rows_pushes_later_rows_down(api: SheetsApi) -> None:
    put(api, "A1", [["h"], ["r1"], [""], ["below"]])
    call(
        api,
        "POST",
        values_path(ID, "A1:A2", ":append"),
        {"valueInputOption": ["RAW"], "insertDataOption": ["INSERT_ROWS"]},
        {"values": [["r2"]]},
    )
    assert get(api, "A1:A5")["values"] == [["h"], ["r1"], ["r2"], [], ["below"]]


def test_clear_and_batch_clear_report_the_normalised_ranges(api: SheetsApi) -> None:
    put(api, "A1", [["a", "b"]])
    assert call(api, "POST", values_path(ID, "'Sheet1'", ":clear")).body == {
        "spreadsheetId": ID,
        "clearedRange": "Sheet1!A1:Z1000",
    }
    reply = call(
        api,
        "POST",
        f"/v4/spreadsheets/{ID}/values:batchClear",
        body={"ranges": ["A1:B2", "申請!C:C"]},
    )
    assert reply.body == {"spreadsheetId": ID, "clearedRanges": ["Sheet1!A1:B2", "'申請'!C1:C1000"]}


def test_an_encoded_colon_in_the_range_is_not_taken_for_the_verb(api: SheetsApi) -> None:
    put(api, "A1", [["a"], ["b"]])
    reply = call(api, "POST", f"/v4/spreadsheets/{ID}/values/%27Sheet1%27%21A1%3AA1:clear")
    assert reply.body["clearedRange"] == "Sheet1!A1"
    assert get(api, "A1:A2")["values"] == [[], ["b"]]


def test_developer_metadata_filters_read_and_write_the_tagged_row(api: SheetsApi) -> None:
    put(api, "A1", [["key"], ["A-1"], ["A-2"]])
    create = {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataKey": "row",
                "metadataValue": "A-2",
                "visibility": "DOCUMENT",
                "location": {
                    "dimensionRange": {
                        "sheetId": 0,
                        "dimension": "ROWS",
                        "startIndex": 2,
                        "endIndex": 3,
                    }
                },
            }
        }
    }
    made = call(api, "POST", f"/v4/spreadsheets/{ID}:batchUpdate", body={"requests": [create]}).body
    metadata = made["replies"][0]["createDeveloperMetadata"]["developerMetadata"]
    assert metadata["location"]["locationType"] == "ROW"
    api.staff_insert_row(ID, "Sheet1", 1)  # staff pushes everything down one row
    lookup = {"developerMetadataLookup": {"metadataKey": "row", "metadataValue": "A-2"}}
    update = {
        "valueInputOption": "RAW",
        "data": [{"dataFilter": lookup, "values": [["A-2", "done"]]}],
    }
    reply = call(
        api, "POST", f"/v4/spreadsheets/{ID}/values:batchUpdateByDataFilter", body=update
    ).body
    assert reply["responses"][0]["updatedRange"] == "Sheet1!A4:B4"
    got = call(
        api,
        "POST",
        f"/v4/spreadsheets/{ID}/values:batchGetByDataFilter",
        body={"dataFilters": [lookup]},
    ).body
    assert got["valueRanges"][0]["valueRange"]["values"] == [["A-2", "done"]]
    found = call(
        api,
        "POST",
        f"/v4/spreadsheets/{ID}/developerMetadata:search",
        body={"dataFilters": [{"a1Range": "Sheet1!A4"}]},
    ).body
    assert [m["developerMetadata"]["metadataValue"] for m in found["matchedDeveloperMetadata"]] == [
        "A-2"
    ]
