"""``DataFilter`` matching: ``a1Range``, ``gridRange`` and ``developerMetadataLookup``.

A lookup matches metadata by id, key, value, visibility and location (exact location by
default, or ``INTERSECTING_LOCATION``); as a range it stands for the metadata's location:
a row or column span across the tab, or the whole tab.
"""

from __future__ import annotations

from typing import Any

from bansou_sync.emulator.a1 import Area
from bansou_sync.emulator.http import ApiError
from bansou_sync.emulator.sheets_grid import Target, resolve
from bansou_sync.emulator.sheets_model import Sheet, Spreadsheet


class FilterMatcher:
    def __init__(self, book: Spreadsheet) -> None:
        self.book = book
        # tabs by id, for one request's filters (no tab is added or removed while a
        # values request matches its filters; a write through 60,000 tags looks one up
        # per tag)
        self._sheets: dict[int, Sheet | None] = {}

    def _sheet(self, sheet_id: int) -> Sheet | None:
        try:
            return self._sheets[sheet_id]
        except KeyError:
            found = self._sheets[sheet_id] = self.book.by_id(sheet_id)
            return found

    def _candidates(self, lookup: dict[str, Any]) -> list[dict[str, Any]]:
        """The metadata a lookup may match: by id through the spreadsheet's index (a
        write addressing 60,000 rows by tag must not scan every tag for each row)."""
        if "metadataId" not in lookup:
            return self.book.developer_metadata
        try:
            found = self.book.metadata.get(lookup["metadataId"])
        except TypeError:  # an unhashable id (a list, an object) matches nothing
            return []
        return [] if found is None else [found]

    def targets(self, data_filter: dict[str, Any]) -> list[Target]:
        lookup = data_filter.get("developerMetadataLookup")
        if type(lookup) is dict and len(lookup) == 1 and len(data_filter) == 1:
            # a tag looked up by its id alone, as a write or read through row tags does
            # for each row: matched through the index, without the general matching
            metadata_id = lookup.get("metadataId")
            if metadata_id is not None:
                try:
                    tag = self.book.metadata.get(metadata_id)
                except TypeError:  # an unhashable id (a list, an object) matches nothing
                    return []
                target = None if tag is None else self._location_target(tag["location"])
                return [] if target is None else [target]
        if "a1Range" in data_filter:
            return [resolve(self.book, str(data_filter["a1Range"]))]
        if "gridRange" in data_filter:
            return [self._grid_target(data_filter["gridRange"])]
        if "developerMetadataLookup" in data_filter:
            found = self.metadata(data_filter)
            return [t for t in (self._location_target(m["location"]) for m in found) if t]
        raise ApiError(400, "Invalid dataFilter: no filter set.")

    def _grid_target(self, grid_range: dict[str, Any]) -> Target:
        sheet = self.book.by_id(int(grid_range.get("sheetId", 0)))
        if sheet is None:
            raise ApiError(400, f"No grid with id: {grid_range.get('sheetId', 0)}")
        area = Area(
            grid_range.get("startRowIndex"),
            grid_range.get("endRowIndex"),
            grid_range.get("startColumnIndex"),
            grid_range.get("endColumnIndex"),
        )
        return Target(sheet, area, sheet.title)

    def _location_target(self, location: dict[str, Any]) -> Target | None:
        if location.get("locationType") == "SHEET":
            sheet = self._sheet(int(location["sheetId"]))
            return Target(sheet, None, sheet.title) if sheet else None
        dimension_range = location.get("dimensionRange")
        if not dimension_range:
            return None  # spreadsheet-level metadata has no cells
        sheet = self._sheet(int(dimension_range.get("sheetId", 0)))
        if sheet is None:
            return None
        start, end = dimension_range.get("startIndex"), dimension_range.get("endIndex")
        if dimension_range.get("dimension") == "ROWS":
            return Target(sheet, Area(start, end, None, None), sheet.title)
        return Target(sheet, Area(None, None, start, end), sheet.title)

    def metadata(self, data_filter: dict[str, Any]) -> list[dict[str, Any]]:
        lookup = data_filter.get("developerMetadataLookup")
        if lookup is None:
            wanted = self.targets(data_filter)
            return [m for m in self.book.developer_metadata if self._intersects(m, wanted)]
        return [m for m in self._candidates(lookup) if self._matches(m, lookup)]

    def _matches(self, metadata: dict[str, Any], lookup: dict[str, Any]) -> bool:
        for key in ("metadataId", "metadataKey", "metadataValue", "visibility"):
            if key in lookup and metadata.get(key) != lookup[key]:
                return False
        location = metadata.get("location", {})
        if "locationType" in lookup and location.get("locationType") != lookup["locationType"]:
            return False
        wanted = lookup.get("metadataLocation")
        if not wanted:
            return True
        if lookup.get("locationMatchingStrategy") == "INTERSECTING_LOCATION":
            target = self._location_target(_typed(wanted))
            return target is not None and self._intersects(metadata, [target])
        return _same_location(location, wanted)

    def _intersects(self, metadata: dict[str, Any], targets: list[Target]) -> bool:
        mine = self._location_target(metadata.get("location", {}))
        if mine is None:
            return False
        for target in targets:
            if target.sheet is not mine.sheet:
                continue
            a = mine.clipped()
            b = target.clipped()
            if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]:
                return True
        return False


def _typed(location: dict[str, Any]) -> dict[str, Any]:
    if "sheetId" in location:
        return {"locationType": "SHEET", **location}
    return dict(location)


def _same_location(location: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if wanted.get("spreadsheet"):
        return location.get("locationType") == "SPREADSHEET"
    if "sheetId" in wanted:
        return (
            location.get("locationType") == "SHEET" and location.get("sheetId") == wanted["sheetId"]
        )
    mine = location.get("dimensionRange") or {}
    other = wanted.get("dimensionRange") or {}
    keys = ("sheetId", "dimension", "startIndex", "endIndex")
    return bool(mine) and all(mine.get(k, 0) == other.get(k, 0) for k in keys)
