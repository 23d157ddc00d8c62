"""The self-test's scratch tab (``setup_tools.selftest_sheets``): made, tagged, read
back and removed through the Sheets API. Where each tag *is* and where its key *is* are
always read from Google, so a step repeated after a lost reply checks the same thing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bansou_sync.adapters import retry
from bansou_sync.adapters.google_sheet_requests import row_metadata
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.setup_tools.selftest_model import Check

T = TypeVar("T")
KEY = "bansou.selftest"  # not the product's tag key: the daemon never sees these
KEYS = ("K1", "K2", "K3", "K4", "K5", "K6")


@dataclass
class ScratchTab:
    api: Any  # spreadsheets() of a sheets v4 service
    spreadsheet_id: str
    title: str
    policy: RetryPolicy
    sheet_id: int = -1
    checks: list[Check] = field(default_factory=list)
    sort_behaviour: str | None = None

    def call(self, fn: Callable[[], T]) -> T:
        return retry.call(fn, self.policy)

    def batch(self, *requests: dict[str, Any]) -> Any:
        body = {"requests": list(requests)}
        return self.call(
            lambda: self.api.batchUpdate(spreadsheetId=self.spreadsheet_id, body=body).execute()
        )

    def values(self, a1: str) -> dict[str, Any]:
        rng = f"'{self.title}'!{a1}"
        return dict(
            self.call(
                lambda: (
                    self.api.values().get(spreadsheetId=self.spreadsheet_id, range=rng).execute()
                )
            )
        )

    def grid_rows(self) -> int:
        reply = self.call(
            lambda: self.api.get(
                spreadsheetId=self.spreadsheet_id, fields="sheets.properties"
            ).execute()
        )
        for sheet in reply.get("sheets") or []:
            properties = sheet.get("properties") or {}
            if properties.get("title") == self.title:
                self.sheet_id = int(properties.get("sheetId", 0))
                return int((properties.get("gridProperties") or {}).get("rowCount", 0))
        return -1

    # -- where things are ---------------------------------------------------------------

    def key_rows(self) -> dict[str, int]:
        """Row index (0-based) of each key in column A."""
        rows = self.values("A1:A").get("values") or []
        return {str(r[0]): i for i, r in enumerate(rows) if r and str(r[0]) in KEYS}

    def tag_rows(self) -> list[tuple[str, int]]:
        """(key the tag names, row index it is on now) for every scratch tag of the tab."""
        body = {
            "dataFilters": [
                {"developerMetadataLookup": {"metadataKey": KEY, "locationType": "ROW"}}
            ]
        }
        reply = self.call(
            lambda: (
                self.api.developerMetadata()
                .search(spreadsheetId=self.spreadsheet_id, body=body)
                .execute()
            )
        )
        out = []
        for found in reply.get("matchedDeveloperMetadata") or []:
            metadata = found.get("developerMetadata") or {}
            span = (metadata.get("location") or {}).get("dimensionRange") or {}
            if int(span.get("sheetId", -1)) == self.sheet_id:
                out.append((str(metadata.get("metadataValue")), int(span.get("startIndex", -1))))
        return sorted(out)

    def tag_id(self, key: str) -> int:
        body = {
            "dataFilters": [{"developerMetadataLookup": {"metadataKey": KEY, "metadataValue": key}}]
        }
        reply = self.call(
            lambda: (
                self.api.developerMetadata()
                .search(spreadsheetId=self.spreadsheet_id, body=body)
                .execute()
            )
        )
        ids = [
            int(m["developerMetadata"]["metadataId"])
            for m in reply.get("matchedDeveloperMetadata") or []
        ]
        if not ids:
            raise LookupError(f"the tag of {key} is gone")
        return min(ids)

    def misplaced(self) -> list[str]:
        keys = self.key_rows()
        return [
            f"{key}: row {row + 1} (key on row {keys[key] + 1 if key in keys else '—'})"
            for key, row in self.tag_rows()
            if keys.get(key) != row
        ]


def make_scratch_tab(tab: ScratchTab) -> None:
    def add() -> None:
        if tab.grid_rows() >= 0:
            return  # an earlier attempt made it (its reply was lost)
        grid = {"rowCount": 10, "columnCount": 4}
        properties = {"title": tab.title, "gridProperties": grid}
        tab.api.batchUpdate(
            spreadsheetId=tab.spreadsheet_id,
            body={"requests": [{"addSheet": {"properties": properties}}]},
        ).execute()

    tab.call(add)
    tab.grid_rows()
    rows = [["key", "value"], *([k, f"v{i}"] for i, k in enumerate(KEYS, 1))]
    body = {"values": rows}
    rng = f"'{tab.title}'!A1"
    tab.call(
        lambda: (
            tab.api.values()
            .update(spreadsheetId=tab.spreadsheet_id, range=rng, valueInputOption="RAW", body=body)
            .execute()
        )
    )

    def tag_all() -> None:
        if tab.tag_rows():
            return  # an earlier attempt tagged them
        tab.api.batchUpdate(
            spreadsheetId=tab.spreadsheet_id,
            body={
                "requests": [scratch_tag(tab.sheet_id, row, key) for row, key in enumerate(KEYS, 1)]
            },
        ).execute()

    tab.call(tag_all)


def scratch_tag(sheet_id: int, row: int, key: str) -> dict[str, Any]:
    return row_metadata(sheet_id, row, KEY, key)  # the request the daemon sends
