"""The requests a planned write sends (``google_sheet_plan``), built without I/O:
``structure_requests`` makes the ``spreadsheets.batchUpdate`` calls (new tabs, headers,
grid growth, rows inserted *and* tagged with their key cells), ``tag``/``row_metadata``
the row developer metadata, ``encode``/``chunks`` the compact bodies measured exactly.
The self-test (``setup_tools.selftest_sheets``) checks Google with these same builders."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from bansou_sync.adapters.google_sheet_plan import Meta, Pending, Plan
from bansou_sync.core.sheet_setup import row_rules

TAG = "bansou.key"
# Request bodies are sent as compact UTF-8 JSON (``encode``) and measured exactly. Google
# sets no hard limit on a request's size but recommends 2 MB "to speed up requests";
# bodies past 10 MiB are refused ("Request payload size exceeds the limit: 10485760
# bytes"). Only a backfill comes near either: its bodies go up to 4 MB, so that a first
# cycle at 60,000 applications stays within a minute's 60 write requests (issue 5).
CHUNK_BYTES = 4_000_000
INSERT_BLOCK = 4000  # new rows inserted and tagged per request block


def structure_requests(
    plan: Plan, adopt: list[Pending], meta: Meta
) -> tuple[Iterator[tuple[bytes, list[Pending]]], Meta]:
    """The batchUpdate calls: new tabs, grid growth and adopted rows' tags first (at
    the rows as read), then each block of new rows inserted *and* tagged in one call,
    so a tag is never placed on a row staff moved. Also the grid they leave behind.

    The calls are made as they are sent (a generator), each the body's bytes (block by
    block encoded as made): a backfill's 130,000 tags are never all in memory at once,
    nor one call's as request objects (issue 5)."""
    ids = dict(meta.sheet_ids)
    rows = dict(meta.row_counts)
    head: list[dict[str, Any]] = []
    for layout in plan.add_sheets:
        ids[layout.name] = new_sheet_id(layout.name, set(ids.values()))
        rows[layout.name] = 1000
        grid = {"rowCount": 1000, "columnCount": max(26, len(layout.headers))}
        props = {"sheetId": ids[layout.name], "title": layout.name, "gridProperties": grid}
        head.append({"addSheet": {"properties": props}})
        head += row_rules(layout, ids[layout.name], 1, None)  # staff columns' input rules
    for layout in plan.headers:
        cells = [{"userEnteredValue": {"stringValue": h}} for h in layout.headers]
        start = {"sheetId": ids[layout.name], "rowIndex": 0, "columnIndex": 0}
        header = {"start": start, "rows": [{"values": cells}], "fields": "userEnteredValue"}
        head.append({"updateCells": header})
    for tab, need in plan.grow.items():
        if need > rows[tab]:
            head.append(append_rows(ids[tab], need - rows[tab]))
            rows[tab] = need
    head += [tag(ids[p.tab], p.adopt_row, p) for p in adopt if p.adopt_row is not None]
    starts = {tab: start for tab, (start, _) in plan.inserts.items()}
    for tab, (_, new) in plan.inserts.items():
        rows[tab] += len(new)
    sheet_ids = dict(ids)

    def blocks() -> Iterator[tuple[bytes, list[Pending]]]:
        # each block's requests as encoded, between the brackets of their JSON list
        yield encode(head)[1:-1], adopt
        for tab, (_, new) in plan.inserts.items():
            for first in range(0, len(new), INSERT_BLOCK):
                part = new[first : first + INSERT_BLOCK]
                at = starts[tab] + first
                span = {"sheetId": sheet_ids[tab], "dimension": "ROWS"}
                span |= {"startIndex": at, "endIndex": at + len(part)}
                insert = [{"insertDimension": {"range": span, "inheritFromBefore": False}}]
                state = part[0].state  # new rows keep their drop-downs and checkboxes
                rules = row_rules(state.layout, sheet_ids[tab], at, at + len(part), state.columns)
                texts = [_COMPACT.encode(insert)[1:-1]]
                texts += tags_text(sheet_ids[tab], at, part)
                texts += key_cells_text(sheet_ids[tab], at, part)
                if rules:
                    texts.append(_COMPACT.encode(rules)[1:-1])
                yield ",".join(texts).encode(), part

    def calls() -> Iterator[tuple[bytes, list[Pending]]]:
        call: list[bytes] = []  # each block's requests, encoded as soon as it is made
        tagged: list[Pending] = []
        size = 0
        for inner, pendings in blocks():
            if not inner:
                continue
            measured = len(inner) + 2  # the block's list, brackets included
            if call and size + measured >= CHUNK_BYTES:
                done, call = body_with({}, "requests", call), []  # the blocks' bytes go
                yield done, tagged
                del done
                tagged, size = [], 0
            call.append(inner)
            tagged += pendings
            size += measured
        if call:
            yield body_with({}, "requests", call), tagged

    return calls(), Meta(ids, rows)


_TAG_VALUE = json.JSONEncoder(ensure_ascii=False)  # json.dumps(…, ensure_ascii=False), made once


def tag(sheet_id: int, row: int, pending: Pending) -> dict[str, Any]:
    value = _TAG_VALUE.encode([pending.tab, *pending.key])
    return row_metadata(sheet_id, row, TAG, value)


def row_metadata(sheet_id: int, row: int, key: str, value: str) -> dict[str, Any]:
    """The request that puts developer metadata ``key``=``value`` on one row."""
    span = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": row, "endIndex": row + 1}
    metadata = {
        "metadataKey": key,
        "metadataValue": value,
        "location": {"dimensionRange": span},
        "visibility": "DOCUMENT",
    }
    return {"createDeveloperMetadata": {"developerMetadata": metadata}}


def tags_text(sheet_id: int, at: int, part: list[Pending]) -> list[str]:
    """``encode(tag(sheet_id, at + i, p))`` for each ``p`` of ``part``, as text, made
    from one template (a backfill tags 130,000 rows: one small encode per row, not a
    nested request encoded each time). The same JSON, byte for byte (unit-tested)."""
    head = (
        '{"createDeveloperMetadata":{"developerMetadata":{"metadataKey":'
        + _COMPACT.encode(TAG)
        + ',"metadataValue":'
    )
    tail = f',"location":{{"dimensionRange":{{"sheetId":{sheet_id},"dimension":"ROWS","startIndex":'
    end = '}},"visibility":"DOCUMENT"}}}'
    text, value = _COMPACT.encode, _TAG_VALUE.encode
    return [
        f'{head}{text(value([p.tab, *p.key]))}{tail}{row},"endIndex":{row + 1}{end}'
        for row, p in enumerate(part, start=at)
    ]


def key_cells_text(sheet_id: int, at: int, part: list[Pending]) -> list[str]:
    """The key cells of rows inserted at ``at``, written in the request that inserts and
    tags them — a new row holds its key from the moment it exists (strings, as RAW): one
    ``updateCells`` per key column, as text, each row's cell spliced into one template
    (the same JSON as the nested request encoded, byte for byte: unit-tested)."""
    if not part:
        return []
    state = part[0].state
    text = _COMPACT.encode
    cell_head, cell_end = '{"values":[{"userEnteredValue":{"stringValue":', "}}]}"
    out = []
    for index, header in enumerate(state.layout.key):
        start = {"sheetId": sheet_id, "rowIndex": at, "columnIndex": state.columns[header]}
        cells = ",".join([cell_head + text(p.key[index]) + cell_end for p in part])
        out.append(
            '{"updateCells":{"start":'
            + text(start)
            + ',"rows":['
            + cells
            + '],"fields":"userEnteredValue"}}'
        )
    return out


def append_rows(sheet_id: int, count: int) -> dict[str, Any]:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": count}}


def new_sheet_id(title: str, taken: set[int]) -> int:
    candidate = zlib.crc32(title.encode()) & 0x3FFFFFFF or 1
    while candidate in taken:
        candidate = (candidate * 31 + 7) & 0x3FFFFFFF or 1
    return candidate


# One encoder for every body: ``json.dumps`` with non-default options builds a new
# ``JSONEncoder`` per call, and a 60,000-application backfill measures 400,000 items.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(body: Any) -> bytes:
    """A request body as sent: compact JSON in UTF-8 (half the bytes of the ASCII
    escapes ``requests`` would make of Japanese text)."""
    return _COMPACT.encode(body).encode()


def body_size(body: Any) -> int:
    return len(encode(body))


def chunks(data: Iterable[Any]) -> Iterator[list[bytes]]:
    """``data``'s items, each encoded once, in groups whose body (``body_with``) stays
    within ``CHUNK_BYTES``. An item is dropped once encoded: a chunk holds only bytes."""
    chunk: list[bytes] = []
    size = 0
    for item in data:
        encoded = encode(item)
        item_size = len(encoded) + 1
        if chunk and size + item_size > CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(encoded)
        size += item_size
    if chunk:
        yield chunk


def body_with(head: dict[str, Any], name: str, items: list[bytes]) -> bytes:
    """The body ``{**head, name: [items]}`` as ``encode`` would make it, from items
    already encoded (``chunks``): the same JSON value, no item encoded twice."""
    opening = encode(head)[:-1] + (b"," if head else b"")
    return b"".join((opening, encode(name), b":[", b",".join(items), b"]}"))


def bodies(head: dict[str, Any], name: str, data: Iterable[Any]) -> Iterator[bytes]:
    """The bodies ``body_with(head, name, chunk)`` of ``data``'s ``chunks``, each made
    as it is asked for: a chunk's items are dropped once joined, so only bytes are held."""
    for chunk in chunks(data):
        body = body_with(head, name, chunk)
        del chunk
        yield body
        del body
