"""spreadsheets.create/get/batchUpdate and the staff hook of the emulated Sheets API."""

from __future__ import annotations

from typing import Any

import pytest

from bansou_sync.emulator.sheets import SheetsApi

from .sheets_calls import call, values_path

ID = "book"


@pytest.fixture
def api() -> SheetsApi:
    api = SheetsApi(seed=1)
    api.load_fixture(
        {
            "spreadsheetId": ID,
            "title": "状況",
            "sheets": {
                "申請": [["申請番号", "氏名"], ["A-3", "c"], ["A-1", "a"], ["A-2", "b"]],
                "同期": [],
            },
        }
    )
    return api


def batch(api: SheetsApi, *requests: dict[str, Any]) -> Any:
    return call(
        api, "POST", f"/v4/spreadsheets/{ID}:batchUpdate", body={"requests": list(requests)}
    )


def test_create_gives_one_sheet_of_1000_rows_and_26_columns(api: SheetsApi) -> None:
    reply = call(api, "POST", "/v4/spreadsheets", body={"properties": {"title": "new"}}).body
    assert reply["sheets"] == [
        {
            "properties": {
                "sheetId": 0,
                "title": "Sheet1",
                "index": 0,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": 1000, "columnCount": 26},
            }
        }
    ]
    assert reply["spreadsheetUrl"].endswith(f"/d/{reply['spreadsheetId']}/edit")


def test_get_applies_partial_response_masks(api: SheetsApi) -> None:
    reply = call(
        api, "GET", f"/v4/spreadsheets/{ID}", {"fields": ["sheets(properties(sheetId,title))"]}
    ).body
    assert reply == {
        "sheets": [
            {"properties": {"sheetId": 0, "title": "申請"}},
            {
                "properties": {
                    "sheetId": reply["sheets"][1]["properties"]["sheetId"],
                    "title": "同期",
                }
            },
        ]
    }
    only = call(
        api,
        "GET",
        f"/v4/spreadsheets/{ID}",
        {"fields": ["sheets.properties.title"], "ranges": ["同期!A1"]},
    ).body
    assert only == {"sheets": [{"properties": {"title": "同期"}}]}


def test_an_unknown_field_mask_path_is_refused_as_recorded(api: SheetsApi) -> None:
    reply = call(
        api,
        "GET",
        f"/v4/spreadsheets/{ID}",
        {"ranges": ["A1:A1"], "fields": ["sheets.sheetProperties"]},
    )
    assert reply.status == 400
    violation = reply.body["error"]["details"][0]["fieldViolations"][0]
    assert violation == {
        "field": "sheets.sheetProperties",
        "description": "Error expanding 'fields' parameter. Cannot find matching fields for path 'sheets.sheetProperties'.",
    }


def test_get_with_an_unknown_tab_in_ranges_cannot_parse_it(api: SheetsApi) -> None:
    reply = call(api, "GET", f"/v4/spreadsheets/{ID}", {"ranges": ["NOPE!A5:F15"]})
    assert reply.body["error"]["message"] == "Unable to parse range: NOPE!A5:F15"


def test_add_sheet_replies_with_its_properties_and_refuses_a_duplicate(api: SheetsApi) -> None:
    reply = batch(
        api,
        {
            "addSheet": {
                "properties": {"title": "支払", "gridProperties": {"rowCount": 1, "columnCount": 1}}
            }
        },
    ).body
    properties = reply["replies"][0]["addSheet"]["properties"]
    assert properties["title"] == "支払" and properties["index"] == 2 and properties["sheetId"] > 0
    again = batch(api, {"addSheet": {"properties": {"title": "支払"}}})
    assert again.body["error"]["message"] == (
        'Invalid requests[0].addSheet: A sheet with the name "支払" already exists. Please enter another name.'
    )


def test_hiding_every_sheet_is_refused_with_the_recorded_message(api: SheetsApi) -> None:
    batch(api, {"deleteSheet": {"sheetId": api.book(ID).sheets[1].sheet_id}})
    reply = batch(
        api,
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "hidden": True},
                "fields": "hidden",
            }
        },
    )
    assert reply.body["error"]["message"] == (
        "Invalid requests[0].updateSheetProperties: You can't hide all the sheets in a document."
    )


def test_a_failing_request_rolls_back_the_whole_batch(api: SheetsApi) -> None:
    reply = batch(
        api, {"addSheet": {"properties": {"title": "x"}}}, {"deleteSheet": {"sheetId": 42}}
    )
    assert reply.body["error"]["message"] == "Invalid requests[1].deleteSheet: No grid with id: 42"
    assert api.book(ID).titles() == ["申請", "同期"]


def test_replies_omit_default_valued_fields(api: SheetsApi) -> None:
    reply = batch(
        api,
        {
            "addProtectedRange": {
                "protectedRange": {
                    "range": {
                        "sheetId": 0,
                        "startRowIndex": 0,
                        "endRowIndex": 2,
                        "startColumnIndex": 0,
                        "endColumnIndex": 2,
                    },
                    "description": None,
                    "warningOnly": False,
                    "requestingUserCanEdit": False,
                    "editors": {"users": [], "groups": []},
                }
            }
        },
        {
            "setDataValidation": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "startColumnIndex": 1,
                    "endColumnIndex": 2,
                },
                "rule": {
                    "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "承認"}]},
                    "strict": True,
                },
            }
        },
        {
            "addConditionalFormatRule": {
                "rule": {
                    "ranges": [{"sheetId": 0}],
                    "booleanRule": {
                        "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "x"}]},
                        "format": {},
                    },
                }
            }
        },
        {
            "repeatCell": {
                "range": {"sheetId": 0, "endRowIndex": 1},
                "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                "fields": "userEnteredFormat.textFormat.bold",
            }
        },
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        },
    ).body
    protected = reply["replies"][0]["addProtectedRange"]["protectedRange"]
    assert protected == {
        "protectedRangeId": protected["protectedRangeId"],
        "range": {"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 2},
        "requestingUserCanEdit": True,
        "editors": {},
    }
    assert reply["replies"][1:] == [{}, {}, {}, {}]
    sheet = call(
        api,
        "GET",
        f"/v4/spreadsheets/{ID}",
        {"ranges": ["申請!A1:B2"], "includeGridData": ["true"]},
    ).body["sheets"][0]
    assert sheet["properties"]["gridProperties"]["frozenRowCount"] == 1
    first, second = sheet["data"][0]["rowData"]
    assert first["values"][0]["userEnteredFormat"] == {"textFormat": {"bold": True}}
    assert second["values"][1]["dataValidation"]["strict"] is True


def test_sort_insert_and_delete_dimension_move_rows_and_resize_the_grid(api: SheetsApi) -> None:
    batch(
        api,
        {
            "sortRange": {
                "range": {"sheetId": 0, "startRowIndex": 1},
                "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "ASCENDING"}],
            }
        },
    )
    assert api.dump(ID)["申請"][1:] == [["A-1", "a"], ["A-2", "b"], ["A-3", "c"]]
    batch(
        api,
        {
            "insertDimension": {
                "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}
            }
        },
    )
    assert api.dump(ID)["申請"][:4] == [["申請番号", "氏名"], [], [], ["A-1", "a"]]
    assert api.book(ID).sheets[0].row_count == 1002
    batch(
        api,
        {
            "deleteDimension": {
                "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}
            }
        },
    )
    batch(api, {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 4}})
    sheet = api.book(ID).sheets[0]
    assert (sheet.row_count, sheet.column_count) == (1000, 30)


def test_protected_ranges_move_with_inserted_rows(api: SheetsApi) -> None:
    batch(
        api,
        {
            "addProtectedRange": {
                "protectedRange": {"range": {"sheetId": 0, "startRowIndex": 2, "endRowIndex": 4}}
            }
        },
    )
    api.staff_insert_row(ID, "申請", 1)
    assert api.book(ID).sheets[0].protected_ranges[0]["range"] == {
        "startRowIndex": 3,
        "endRowIndex": 5,
    }


def test_unknown_request_kinds_are_refused(api: SheetsApi) -> None:
    reply = batch(api, {"makeCoffee": {}})
    assert reply.status == 400
    assert "Unknown name \"makeCoffee\" at 'requests[0]'" in reply.body["error"]["message"]


def test_staff_can_sort_insert_delete_set_rename_and_drop_tabs(api: SheetsApi) -> None:
    api.staff_sort(ID, "申請", "申請番号", descending=True)
    assert [r[0] for r in api.dump(ID)["申請"]] == ["申請番号", "A-3", "A-2", "A-1"]
    api.staff_insert_row(ID, "申請", 2)
    api.staff_delete_row(ID, "申請", 4)
    api.staff_set_cell(ID, "申請", "C3", "TRUE")
    assert api.dump(ID)["申請"] == [["申請番号", "氏名"], [], ["A-3", "c", "TRUE"], ["A-1", "a"]]
    api.staff_rename_tab(ID, "同期", "sync")
    api.staff_delete_tab(ID, "sync")
    assert list(api.dump(ID)) == ["申請"]


def test_staff_routes_need_no_token_and_drive_the_same_hooks(api: SheetsApi) -> None:
    loaded = call(
        api, "POST", "/_emulator/sheets", body={"title": "x", "sheets": {"t": [["b"], ["a"]]}}
    ).body
    new_id = loaded["spreadsheetId"]
    call(
        api,
        "POST",
        f"/_emulator/sheets/{new_id}/sort",
        body={"tab": "t", "column": "A", "headerRows": 0},
    )
    assert call(api, "GET", f"/_emulator/sheets/{new_id}/dump").body == {"t": [["a"], ["b"]]}
    assert call(api, "GET", values_path(new_id, "t!A1")).body["values"] == [["a"]]


@pytest.mark.parametrize("behaviour", ["move", "stay"])
def test_row_metadata_after_a_staff_sort_follows_the_configured_behaviour(
    api: SheetsApi, behaviour: str
) -> None:
    api.row_metadata_on_sort = behaviour
    sheet_id = next(s.sheet_id for s in api.book(ID).sheets if s.title == "申請")
    row = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
    metadata = {"metadataKey": "row", "metadataValue": "A-3", "visibility": "DOCUMENT"}
    batch(
        api,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {**metadata, "location": {"dimensionRange": row}}
            }
        },
    )
    api.staff_sort(ID, "申請", "申請番号", descending=True)  # A-3 stays first
    api.staff_sort(ID, "申請", "申請番号")  # A-3 goes last, to row index 3
    (tag,) = [m for m in api.book(ID).developer_metadata if m["metadataKey"] == "row"]
    assert tag["location"]["dimensionRange"]["startIndex"] == (3 if behaviour == "move" else 1)


def tag_row(api: SheetsApi, value: str, row: int) -> int:
    sheet_id = next(s.sheet_id for s in api.book(ID).sheets if s.title == "申請")
    span = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": row, "endIndex": row + 1}
    metadata = {"metadataKey": "row", "metadataValue": value, "visibility": "DOCUMENT"}
    reply = batch(
        api,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {**metadata, "location": {"dimensionRange": span}}
            }
        },
    ).body
    return int(reply["replies"][0]["createDeveloperMetadata"]["developerMetadata"]["metadataId"])


def test_delete_developer_metadata_removes_what_its_filter_matches_and_nothing_else(
    api: SheetsApi,
) -> None:
    first, second = tag_row(api, "A-3", 1), tag_row(api, "A-1", 2)

    lookup = {"developerMetadataLookup": {"metadataId": first}}
    reply = batch(api, {"deleteDeveloperMetadata": {"dataFilter": lookup}}).body
    again = batch(api, {"deleteDeveloperMetadata": {"dataFilter": lookup}}).body

    (deleted,) = reply["replies"][0]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"]
    assert deleted["metadataId"] == first
    assert again["replies"][0]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"] == []
    assert [m["metadataId"] for m in api.book(ID).developer_metadata] == [second]


def test_a_write_by_data_filter_can_return_the_whole_matched_row_after_the_write(
    api: SheetsApi,
) -> None:
    tagged = tag_row(api, "A-1", 2)
    body = {
        "valueInputOption": "RAW",
        "includeValuesInResponse": True,
        "data": [
            {
                "dataFilter": {"developerMetadataLookup": {"metadataId": tagged}},
                "values": [[None, "あ"]],
            }
        ],
    }

    reply = call(api, "POST", f"/v4/spreadsheets/{ID}/values:batchUpdateByDataFilter", body=body)

    (response,) = reply.body["responses"]
    assert response["updatedData"]["values"] == [["A-1", "あ"]]
    assert response["updatedData"]["range"].endswith("!A3:Z3")


def _rules(api: SheetsApi) -> list[Any]:
    rows = call(
        api,
        "GET",
        f"/v4/spreadsheets/{ID}",
        {"ranges": ["申請!B2:B4"], "includeGridData": ["true"]},
    ).body["sheets"][0]["data"][0]["rowData"]
    return [(row["values"][0].get("dataValidation") or {}).get("strict") for row in rows]


def test_cells_given_one_rule_each_keep_it_when_another_cell_changes_or_a_batch_fails(
    api: SheetsApi,
) -> None:
    def rule(strict: bool, rows: tuple[int, int]) -> dict[str, Any]:
        span = {"sheetId": 0, "startRowIndex": rows[0], "endRowIndex": rows[1]}
        span |= {"startColumnIndex": 1, "endColumnIndex": 2}
        condition = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "承認"}]}
        return {
            "setDataValidation": {"range": span, "rule": {"condition": condition, "strict": strict}}
        }

    batch(api, rule(True, (1, 4)))
    batch(api, rule(False, (2, 3)))
    assert _rules(api) == [True, False, True]
    failed = batch(api, rule(False, (1, 2)), {"deleteSheet": {"sheetId": 42}})
    assert failed.body["error"]["code"] == 400
    batch(
        api,
        {
            "updateCells": {
                "start": {"sheetId": 0, "rowIndex": 3, "columnIndex": 1},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}],
                "fields": "userEnteredValue",
            }
        },
    )
    assert _rules(api) == [True, False, True]
