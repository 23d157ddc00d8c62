"""What a read through the row tags says about the rows, and what a write's reply says
(issue 11 §2): pure functions over Google's replies, used by ``GoogleSheet``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bansou_sync.adapters.google_sheet_plan import Pending
from bansou_sync.adapters.google_sheet_read import Key, TabState, column_index

_FIRST_ROW = re.compile(r"\$?[A-Za-z]*\$?(\d+)")
_FIRST_COLUMN = re.compile(r"\$?([A-Za-z]*)\$?\d")


def row_of(a1: str) -> int | None:
    """The 0-based row where an A1 range such as ``'伴走者'!A5:R5`` starts."""
    found = _FIRST_ROW.match(a1.rpartition("!")[2])
    return int(found[1]) - 1 if found else None


TagRow = tuple[int, int, list[Any]]  # a tag's id, the row it is on (0-based), its cells


def tag_rows(obj: dict[str, Any]) -> Any:
    """``json.loads``' object hook for a ``values.batchGetByDataFilter`` reply: each
    matched value range becomes, as it is decoded, the ``TagRow`` of each tag lookup it
    answers (a list); any other object stays as it is. A backfill reads 130,000 rows
    through their tags: held as Google's nested objects, that reply was the cycle's
    peak memory (issue 5)."""
    if "valueRange" not in obj or "dataFilters" not in obj:
        return obj
    value_range = obj["valueRange"] or {}
    row = row_of(str(value_range.get("range", "")))
    if row is None:
        return []
    cells = list((value_range.get("values") or [[]])[0])
    out: list[TagRow] = []
    for data_filter in obj["dataFilters"] or []:
        lookup = data_filter.get("developerMetadataLookup") or {}
        if "metadataId" in lookup:
            out.append((int(lookup["metadataId"]), row, cells))
    return out


def each_tag_row(sink: Callable[[int, int, list[Any]], None]) -> Callable[[dict[str, Any]], Any]:
    """``json.loads``' object hook that gives each ``TagRow`` of a
    ``values.batchGetByDataFilter`` reply to ``sink`` as it is decoded and keeps nothing
    of it (the matched range becomes ``None``): the rows are checked while the reply is
    read, none of them held (issue 5: 65,000 rows a reply in a backfill)."""

    def hook(obj: dict[str, Any]) -> Any:
        if "valueRange" not in obj or "dataFilters" not in obj:
            return obj
        for metadata_id, row, cells in tag_rows(obj):
            sink(metadata_id, row, cells)
        return None

    return hook


def write_outcomes(by_id: Mapping[int, Pending]) -> Callable[[dict[str, Any]], Any]:
    """``json.loads``' object hook for a ``values.batchUpdateByDataFilter`` reply: each
    response of a write through a tag becomes, as it is decoded, ``(metadataId, key)``
    — the key its row holds after the write (``written_key``; None when the reply does
    not show it) — or ``None`` when it wrote nothing; the row's values are not kept."""

    def hook(obj: dict[str, Any]) -> Any:
        if "dataFilter" not in obj:
            return obj
        found = (obj.get("dataFilter") or {}).get("developerMetadataLookup") or {}
        if "metadataId" not in found or not obj.get("updatedRange"):
            return None
        metadata_id = int(found["metadataId"])
        return metadata_id, written_key(by_id.get(metadata_id), obj.get("updatedData") or {})

    return hook


def key_cells(state: TabState, cells: Sequence[Any]) -> Key:
    count = len(cells)  # list comprehensions: a backfill checks 130,000 rows
    at = [state.columns[k] for k in state.layout.key]
    return tuple([str(cells[c]).strip() if c < count else "" for c in at])


def written_key(p: Pending | None, updated: dict[str, Any]) -> Key | None:
    """The key cells of a row as a write's reply shows them after the write (None when
    the reply does not reach the key columns)."""
    if p is None:
        return None
    first = _FIRST_COLUMN.match(str(updated.get("range", "")).rpartition("!")[2])
    values = updated.get("values") or []
    if first is None or not values:
        return None
    offset = column_index(first[1]) if first[1] else 0  # "5:5": the whole row, from A
    row = values[0]
    at = [p.state.columns[k] - offset for k in p.state.layout.key]
    if any(c < 0 or c >= len(row) for c in at):
        return None
    return tuple(str(row[c]).strip() for c in at)


def staff_typed(state: TabState, cells: Sequence[Any]) -> list[str]:
    return state.layout.staff_filled(
        {h: str(cells[c]) if c < len(cells) else "" for h, c in state.columns.items()}
    )


def holds(p: Pending, found: tuple[int, list[Any]] | None) -> bool:
    """The row read through ``p``'s tag holds ``p``'s key (a new row: no key yet); if so,
    where it is and what it holds are kept for the removal."""
    if found is None:
        return False
    if key_cells(p.state, found[1]) != p.key:
        return False
    if p.copy and staff_typed(p.state, found[1]):  # a copy goes only as long as it is blank
        return False
    p.found_at = found[0]
    if p.remove:  # only a removal reports what staff had typed in its row
        p.found = found[1]
    return True


def metadata_ids(obj: dict[str, Any]) -> Any:
    """``json.loads``' object hook for a ``batchUpdate`` reply whose tags' ids are all
    that is read: each developer metadata made becomes ``{"metadataId": id}`` as it is
    decoded (a backfill's replies describe 130,000 tags)."""
    if "metadataId" in obj and "location" in obj:
        return {"metadataId": obj["metadataId"]}
    return obj
