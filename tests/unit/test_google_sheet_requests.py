"""The insert-and-tag calls of a write are spliced from templates (``tags_text``,
``key_cells_text``): the same JSON, byte for byte, as the nested requests encoded."""

from __future__ import annotations

import json
from typing import Any

from bansou_sync.adapters import google_sheet_requests
from bansou_sync.adapters.google_sheet_plan import Meta, Pending, Plan
from bansou_sync.adapters.google_sheet_read import TabState
from bansou_sync.adapters.google_sheet_requests import (
    encode,
    key_cells_text,
    structure_requests,
    tag,
    tags_text,
)
from bansou_sync.core.sheet_setup import row_rules
from bansou_sync.core.tabs import PAYMENTS

# keys as untrusted text may come: quotes, backslashes, Japanese, controls, emoji
LIMIT = 1500  # bytes of a call here: the five rows go in more than one
KEYS = [
    ("2022-06-20", "BN-0002"),
    ("2022-06-20", 'BN-"0003"\\x'),
    ("令和4年", "伴走\u3000ネット"),
    ("2022-06-21", "tab\there\nnew\x00line"),
    ("", "😀 \u2028"),
]


def key_cells_request(sheet_id: int, at: int, part: list[Pending]) -> list[dict[str, Any]]:
    """The key cells' requests as nested objects: what ``key_cells_text`` must encode to."""
    if not part:
        return []
    state = part[0].state
    out = []
    for index, header in enumerate(state.layout.key):
        rows = [{"values": [{"userEnteredValue": {"stringValue": p.key[index]}}]} for p in part]
        start = {"sheetId": sheet_id, "rowIndex": at, "columnIndex": state.columns[header]}
        out.append({"updateCells": {"start": start, "rows": rows, "fields": "userEnteredValue"}})
    return out


def pendings(columns: dict[str, int] | None = None) -> list[Pending]:
    state = TabState(PAYMENTS, columns or {h: i for i, h in enumerate(PAYMENTS.headers)})
    return [Pending(PAYMENTS.name, key, "", (), state, new=True) for key in KEYS]


def test_the_spliced_tags_are_the_json_of_the_tag_requests_byte_for_byte() -> None:
    part = pendings()
    expected = [encode(tag(812, 41 + i, p)).decode() for i, p in enumerate(part)]
    assert tags_text(812, 41, part) == expected
    assert [json.loads(t) for t in tags_text(812, 41, part)] == [
        tag(812, 41 + i, p) for i, p in enumerate(part)
    ]


def test_the_spliced_key_cells_are_the_json_of_the_key_cells_request_byte_for_byte() -> None:
    moved = {h: i + 2 for i, h in enumerate(reversed(PAYMENTS.headers))}  # staff moved columns
    for part in (pendings(), pendings(moved)):
        expected = [encode(r).decode() for r in key_cells_request(9, 1000, part)]
        assert key_cells_text(9, 1000, part) == expected
    assert key_cells_text(9, 1000, []) == []


def test_an_insert_and_tag_call_is_the_json_of_its_requests_and_splits_where_it_did(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(google_sheet_requests, "INSERT_BLOCK", 2)
    monkeypatch.setattr(google_sheet_requests, "CHUNK_BYTES", LIMIT)
    part = pendings()
    plan = Plan(inserts={PAYMENTS.name: (7, part)}, rows=list(part))
    calls, _ = structure_requests(plan, [], Meta({PAYMENTS.name: 5}, {PAYMENTS.name: 1000}))

    made = list(calls)

    # the requests of each block of 2 rows, as the nested requests were built and encoded
    blocks = []
    for first in range(0, len(part), 2):
        rows, at = part[first : first + 2], 7 + first
        span = {"sheetId": 5, "dimension": "ROWS", "startIndex": at, "endIndex": at + len(rows)}
        block: list[dict[str, Any]] = [
            {"insertDimension": {"range": span, "inheritFromBefore": False}}
        ]
        block += [tag(5, at + i, p) for i, p in enumerate(rows)]
        block += key_cells_request(5, at, rows)
        block += row_rules(PAYMENTS, 5, at, at + len(rows), rows[0].state.columns)
        blocks.append((encode(block), rows))
    expected: list[tuple[bytes, list[Pending]]] = []
    call: list[dict[str, Any]] = []
    tagged: list[Pending] = []
    size = 0
    for encoded, rows in blocks:
        if call and size + len(encoded) >= LIMIT:
            expected.append((encode({"requests": call}), tagged))
            call, tagged, size = [], [], 0
        call += json.loads(encoded)
        tagged += rows
        size += len(encoded)
    expected.append((encode({"requests": call}), tagged))
    assert len(expected) > 1  # the test splits calls
    assert made == expected
