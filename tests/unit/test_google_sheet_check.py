"""Reading Google's replies about tagged rows (issue 11 §2): where a tag is, which key its
row holds, and which key a written row holds after the write."""

from __future__ import annotations

import json

from bansou_sync.adapters.google_sheet_check import (
    each_tag_row,
    holds,
    metadata_ids,
    row_of,
    tag_rows,
    write_outcomes,
    written_key,
)
from bansou_sync.adapters.google_sheet_plan import Pending
from bansou_sync.adapters.google_sheet_read import TabState
from bansou_sync.adapters.google_sheet_requests import body_with, chunks, encode
from bansou_sync.core.tabs import PAYMENTS


def payment(key: tuple[str, str], **flags: bool) -> Pending:
    state = TabState(PAYMENTS, {h: i for i, h in enumerate(PAYMENTS.headers)})
    return Pending(PAYMENTS.name, key, "", (), state, metadata_id=7, **flags)


def test_the_row_of_a_range_is_read_from_its_first_cell_whatever_the_tab_title() -> None:
    assert row_of("'支払'!A5:H5") == 4
    assert row_of("'a!b'!$C12:D12") == 11
    assert row_of("") is None


def test_a_tag_holds_its_row_only_when_the_row_shows_the_tags_key() -> None:
    mine = payment(("2022-06-20", "BN-0002"), remove=True)
    assert holds(mine, (3, ["", "2022-06-20", "BN-0002", "伴走 2"]))
    assert (mine.found_at, mine.found[2]) == (3, "BN-0002")
    written = payment(("2022-06-20", "BN-0002"))  # a row written keeps only where it is
    assert holds(written, (3, ["", "2022-06-20", "BN-0002", "伴走 2"]))
    assert (written.found_at, written.found) == (3, ())
    assert not holds(payment(("2022-06-20", "BN-0002")), (3, ["", "2022-06-20", "BN-0003"]))
    assert not holds(payment(("2022-06-20", "BN-0002")), None)


def test_a_copy_of_a_row_is_not_removed_once_staff_typed_in_it() -> None:
    row = ["", "2022-06-20", "BN-0002", "伴走 2", 1, 6000, "保留"]
    assert holds(payment(("2022-06-20", "BN-0002"), copy=True), (3, [*row, "FALSE"]))
    assert not holds(payment(("2022-06-20", "BN-0002"), copy=True), (3, [*row, "TRUE"]))


def test_the_key_a_write_landed_on_is_read_from_the_reply_columns_it_covers() -> None:
    mine = payment(("2022-06-20", "BN-0002"))
    reply = {"range": "'支払'!A4:H4", "values": [["", "2022-06-20", "BN-0009", "x"]]}
    assert written_key(mine, reply) == ("2022-06-20", "BN-0009")
    assert written_key(mine, {"range": "'支払'!C4:H4", "values": [["BN-0009"]]}) is None
    assert written_key(mine, {}) is None
    row_only = {"range": "'支払'!4:4", "values": [["", "2022-06-20", "BN-0002"]]}
    assert written_key(mine, row_only) == ("2022-06-20", "BN-0002")


def test_a_read_through_tags_is_decoded_into_each_tags_row_and_cells() -> None:
    reply = {
        "spreadsheetId": "s",
        "valueRanges": [
            {
                "valueRange": {
                    "range": "'支払'!A4:H4",
                    "majorDimension": "ROWS",
                    "values": [["", "2022-06-20", "BN-0002"]],
                },
                "dataFilters": [
                    {"developerMetadataLookup": {"metadataId": 7}},
                    {"developerMetadataLookup": {"metadataId": 9}},
                ],
            },
            {
                "valueRange": {"range": "'支払'!A6:H6"},
                "dataFilters": [{"developerMetadataLookup": {"metadataId": 8}}],
            },
            {
                "valueRange": {"range": "nonsense!"},
                "dataFilters": [{"developerMetadataLookup": {"metadataId": 5}}],
            },
        ],
    }
    decoded = json.loads(json.dumps(reply, ensure_ascii=False), object_hook=tag_rows)
    row = ["", "2022-06-20", "BN-0002"]
    assert decoded["spreadsheetId"] == "s"
    assert decoded["valueRanges"] == [[(7, 3, row), (9, 3, row)], [(8, 5, [])], []]


def test_a_batch_update_reply_is_decoded_keeping_only_the_ids_of_the_tags_made() -> None:
    made = {
        "metadataId": 41,
        "metadataKey": "bansou.key",
        "metadataValue": '["支払", "2022-06-20", "BN-0002"]',
        "location": {"locationType": "ROW", "dimensionRange": {"sheetId": 3}},
        "visibility": "DOCUMENT",
    }
    reply = {
        "spreadsheetId": "s",
        "replies": [{}, {"createDeveloperMetadata": {"developerMetadata": made}}],
    }
    decoded = json.loads(json.dumps(reply, ensure_ascii=False), object_hook=metadata_ids)
    assert decoded == {
        "spreadsheetId": "s",
        "replies": [{}, {"createDeveloperMetadata": {"developerMetadata": {"metadataId": 41}}}],
    }


def test_a_read_through_tags_can_be_checked_row_by_row_as_it_is_decoded_keeping_nothing() -> None:
    reply = {
        "valueRanges": [
            {
                "valueRange": {"range": "'支払'!A4:H4", "values": [["", "2022-06-20", "BN-0002"]]},
                "dataFilters": [{"developerMetadataLookup": {"metadataId": 7}}],
            },
            {
                "valueRange": {"range": "'支払'!A6:H6"},
                "dataFilters": [{"developerMetadataLookup": {"metadataId": 8}}],
            },
        ],
    }
    seen: list[tuple[int, int, list[str]]] = []
    hook = each_tag_row(lambda tag, row, cells: seen.append((tag, row, cells)))
    decoded = json.loads(json.dumps(reply, ensure_ascii=False), object_hook=hook)
    assert seen == [(7, 3, ["", "2022-06-20", "BN-0002"]), (8, 5, [])]
    assert decoded == {"valueRanges": [None, None]}


def test_a_write_reply_is_decoded_into_each_tag_and_the_key_its_row_holds_after_the_write() -> None:
    mine = payment(("2022-06-20", "BN-0002"))
    by_tag = {"developerMetadataLookup": {"metadataId": 7}}
    reply = {
        "responses": [
            {
                "updatedRange": "'支払'!A4:H4",
                "dataFilter": by_tag,
                "updatedData": {"range": "'支払'!A4:H4", "values": [["", "2022-06-20", "BN-0009"]]},
            },
            {"dataFilter": {"developerMetadataLookup": {"metadataId": 8}}},  # wrote nothing
            {"updatedRange": "'支払'!A1:B1", "dataFilter": {"a1Range": "'支払'!A1"}},
        ],
    }
    hook = write_outcomes({7: mine})
    decoded = json.loads(json.dumps(reply, ensure_ascii=False), object_hook=hook)
    assert decoded["responses"] == [(7, ("2022-06-20", "BN-0009")), None, None]


def test_a_body_made_of_items_encoded_once_is_the_json_of_the_whole_body() -> None:
    items = [
        {"dataFilter": {"a1Range": f"'支払'!A{i}"}, "values": [["伴走", i, None]]} for i in range(5)
    ]
    head = {"valueInputOption": "RAW", "includeValuesInResponse": True}
    body = body_with(head, "data", [part for chunk in chunks(items) for part in chunk])
    assert json.loads(body) == {**head, "data": items}
    assert len(body) == len(encode({**head, "data": items}))
    assert json.loads(body_with({}, "requests", [encode(items[0])])) == {"requests": [items[0]]}
