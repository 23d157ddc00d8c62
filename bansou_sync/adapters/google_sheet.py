"""The status spreadsheet on Google Sheets, through gspread (SPEC §5, issue 3 §2).

Reading: one ``values.batchGet`` a cycle — per tab the header row and only the key and
staff columns (``google_sheet_read``); the whole tabs once, when no row cache is known.

Writing finds rows by key, never by position. Each row bansou-sync writes carries a row
*developer-metadata tag* (``bansou.key`` = tab and key), and values are written through
the tag's ``metadataId`` (``values.batchUpdateByDataFilter``). Google documents that row
metadata follows rows inserted and deleted; it does not say what a *sort* does to it,
so nothing here relies on that (issue 11 §2, docs/interpretations.md):

* a new row (or one staff deleted: it comes back) is a freshly inserted row, tagged and
  given its key cells in the same atomic ``spreadsheets.batchUpdate`` that inserts it;
* an existing untagged row (a sheet bansou-sync did not write, or a lost cache) is tagged
  at the row the read saw its key in;
* before anything is written or removed, every row concerned is read through its tag
  (one ``values.batchGetByDataFilter``): the row must hold the tag's key. A tag found on
  another key's row is deleted and made again on the row that holds its key now (the
  key columns read again), then read once more; until then nothing goes through it;
* a write through a tag never writes the key cells (``null``): whatever happens to the
  rows in the last round trip, no row's key — and so no staff decision beside it — can
  change. The write's reply shows each row after it; a row a last-moment sort put under
  another key is reported, and both rows are written again by the next cycle;
* the row of a key that left the tab's projection is deleted at the row just verified
  to hold it (SPEC §5); what staff typed in it is reported in 同期, never applied.

Staff columns are written as ``null`` (Google leaves those cells alone), values with
``valueInputOption=RAW``. What to write is planned without I/O in ``google_sheet_plan``. Only rows whose daemon values changed since the last write are
sent (``sheet_cache``). 統計 and 同期 have no staff columns and are rewritten in place.
A cycle costs: 1 read; when rows change, 0-1 ``spreadsheets.batchUpdate`` (new tabs,
rows, tags), 1 read through the tags and 1 ``values.batchUpdateByDataFilter`` (each
chunked under ``CHUNK_BYTES``); 1 ``spreadsheets.batchUpdate`` when rows are removed; a
metadata ``spreadsheets.get`` when the process first changes the structure; a re-read of
the key columns, 1 ``batchUpdate`` and 1 read through the tags when tags were found on
the wrong rows. Every call goes through ``retry.call``; errors become ``SheetError``.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import google.auth.exceptions
import gspread
import requests
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from bansou_sync.adapters import retry
from bansou_sync.adapters.google_auth import SHEETS, GoogleAccess, token_error_text
from bansou_sync.adapters.google_sheet_check import (
    holds,
    row_of,
    staff_typed,
    written_key,
)
from bansou_sync.adapters.google_sheet_plan import (
    IN_PLACE,
    Meta,
    Pending,
    Plan,
    chunks,
    encode,
    plan_in_place,
    plan_keyed,
    structure_requests,
    tag,
)
from bansou_sync.adapters.google_sheet_read import (
    Key,
    TabState,
    full_ranges,
    grid_from_full,
    header_matches,
    letters,
    narrow_ranges,
    parse_tab,
    quote,
)
from bansou_sync.adapters.google_sheet_reread import (
    Parsed,
    after_insert,
    blank,
    reparse,
    reply_values,
)
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.adapters.sheet_cache import RowCache, digest, key_text
from bansou_sync.core.tabs import ALL_TABS, TabLayout, removed_row_message
from bansou_sync.crashpoints import crash_point
from bansou_sync.errors import SheetError, SheetFormatError
from bansou_sync.ports import SheetSnapshot, StaffRow, StatusSheet, TabRows

T = TypeVar("T")
DEFAULT_POLICY = RetryPolicy()


FULL_CHECK_SECONDS = 3600  # issue 4: a full check of the daemon columns at most hourly


def clock() -> float:
    return time.time()


class GoogleSheet(StatusSheet):
    """``StatusSheet`` over a Google spreadsheet shared with the service account."""

    def __init__(
        self,
        access: GoogleAccess,
        spreadsheet_id: str,
        policy: RetryPolicy = DEFAULT_POLICY,
        layouts: Sequence[TabLayout] = ALL_TABS,
        cache_path: Path | None = None,
    ) -> None:
        self.access = access
        self.spreadsheet_id = spreadsheet_id
        self.policy = policy
        self.layouts = {layout.name: layout for layout in layouts}
        self.cache_path = cache_path
        self.last_problems: list[str] = []  # what the latest write() could not place
        self._client: gspread.Client | None = None
        self._credentials: Any = None
        self._cache: RowCache | None = None
        self._meta: Meta | None = None
        self._state: dict[str, TabState] | None = None
        # issue 5: per tab, the last narrow read's values and what they parsed to (or
        # what this process's last insertion makes them): the next read parses only
        # what differs (google_sheet_reread)
        self._parsed: dict[str, Parsed] = {}
        # per keyed tab, the TabState and rows of the last write that landed entirely:
        # given both again, that tab has nothing to write (no per-row work at all)
        self._landed: dict[str, tuple[TabState, Sequence[Any]]] = {}

    # -- reading ----------------------------------------------------------------------

    def read(self, full: bool = False) -> SheetSnapshot:
        snapshot, self._state = self._read(full)
        return snapshot

    def _read(self, full: bool = False) -> tuple[SheetSnapshot, dict[str, TabState]]:
        cache = self._row_cache()
        # a whole-sheet read at most hourly catches daemon cells edited by hand: their
        # digests then differ from the projection, so the write restores them
        full = full or not cache.loaded or clock() - cache.checked_at >= FULL_CHECK_SECONDS
        if full:
            cache.checked_at = clock()
        layouts = list(self.layouts.values())
        present = self._present_tabs(layouts, full)
        problems = [
            f"タブ「{layout.name}」がありません(次の書き込みで作ります) / tab missing"
            for layout in layouts
            if layout.name not in present
        ]
        replies = present
        tabs: dict[str, Sequence[StaffRow]] = {}
        states: dict[str, TabState] = {}
        again = [
            name
            for name, ranges in replies.items()
            if not full and not header_matches(self.layouts[name], _header(ranges))
        ]
        if again:  # a header staff changed: find the columns by name
            replies.update(self._batch_get({n: full_ranges(self.layouts[n]) for n in again}))
        for name, ranges in replies.items():
            layout = self.layouts[name]
            wide = full or name in again
            if wide:
                self._parsed.pop(name, None)
                header, grid = grid_from_full(ranges[0])
                state, rows, found = parse_tab(layout, header, grid, wide)
            else:
                parsed = reparse(layout, reply_values(ranges), self._parsed.get(name))
                self._parsed[name] = parsed
                state, rows, found = parsed.state, parsed.rows, parsed.problems
            tabs[name], states[name] = rows, state
            problems += found
            if wide:
                seen = cache.keyed.setdefault(name, {})
                for key, values in state.read_back.items():
                    tag = seen.get(key_text(key), (None, ""))[0]
                    cache.put(name, key_text(key), (tag, digest(values)))
        repeats = tuple(r for state in states.values() for r in state.repeats)
        return SheetSnapshot(tabs=tabs, problems=tuple(problems), repeats=repeats), states

    def _present_tabs(
        self, layouts: list[TabLayout], full: bool
    ) -> dict[str, list[dict[str, Any]]]:
        """The read's value ranges by tab; a missing tab makes Google refuse the whole
        batch (400 ``Unable to parse range``), so then ask which tabs exist and re-read."""
        wanted = {
            layout.name: (full_ranges if full else narrow_ranges)(layout) for layout in layouts
        }
        try:
            return self._batch_get(wanted, translate=False)
        except APIError as exc:
            if exc.response.status_code != 400:
                raise SheetError(self._message("読み込み / read", exc)) from exc
        meta = self._fetch_meta()
        missing = [name for name in wanted if name not in meta.sheet_ids]
        if not missing:
            return self._batch_get(wanted)
        return self._batch_get({n: r for n, r in wanted.items() if n not in missing})

    def _batch_get(
        self, wanted: dict[str, list[str]], translate: bool = True
    ) -> dict[str, list[dict[str, Any]]]:
        ranges = [r for group in wanted.values() for r in group]
        if not ranges:
            return {}
        params = {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
        client = self._gspread().http_client
        reply = self._call(
            "読み込み / read",
            lambda: client.values_batch_get(self.spreadsheet_id, ranges, dict(params)),
            translate,
        )
        found: list[dict[str, Any]] = list(reply.get("valueRanges") or [])
        out: dict[str, list[dict[str, Any]]] = {}
        for name, group in wanted.items():
            out[name], found = found[: len(group)], found[len(group) :]
        return out

    # -- writing ----------------------------------------------------------------------

    def write(self, tabs: Sequence[TabRows]) -> None:
        for tab in tabs:
            layout = self.layouts.get(tab.name)
            if layout is None:
                raise SheetError(f"タブ「{tab.name}」はこのシートの構成にありません")
            widths = set(map(len, tab.rows)) - {len(layout.headers)}  # C-speed at 60,000
            if widths:
                raise SheetError(
                    f"{tab.name}: 行の列数 {min(widths)} が見出しの数 "
                    f"{len(layout.headers)} と合いません"
                )
        self.last_problems = []
        states = self._state if self._state is not None else self._read()[1]
        self._state = None  # a write changes positions: the next write reads again
        cache = self._row_cache()
        plan = Plan()
        # dropped until this write has landed: a failed write must not leave a tab skipped
        before, self._landed = self._landed, {}
        before_parsed = dict(self._parsed)
        planned: dict[str, TabState] = {}  # the tab as this write plans on it
        unchanged: list[str] = []
        for tab in tabs:
            layout = self.layouts[tab.name]
            state = states.get(tab.name)
            if state is None:
                plan.add_sheets.append(layout)
                state = TabState.fresh(layout)
            planned[layout.name] = state
            if state.header_blank:  # made with the rows: a crash never leaves keys unheaded
                plan.headers.append(layout)
            if layout.key and state.key_missing:
                raise SheetFormatError(
                    f"Google スプレッドシート {self.spreadsheet_id} のタブ「{layout.name}」に列"
                    f"「{'・'.join(layout.key)}」がないため、行を対応づけられません。"
                    f"列名を元に戻してください / the key column is missing"
                )
            if layout.name in IN_PLACE:
                plan_in_place(plan, state, tab.rows, cache)
            elif _same_rows(before.get(layout.name), state, tab.rows):
                unchanged.append(layout.name)  # same read, same row objects: all written
            else:
                landed = before.get(layout.name)
                settled = landed[1] if landed is not None and landed[0] is state else None
                plan_keyed(plan, state, tab.rows, cache, settled)
        for name in plan.inserts:  # the reads that follow are not the ones kept
            self._parsed.pop(name, None)
        self._apply_structure(plan)
        crash_point("mid_sheet_write")  # rows made and tagged, their values not yet written
        self._verify_tags(plan)
        removed = self._remove_rows(plan, cache)
        missed = self._apply_values(plan, cache)
        for name in removed:  # the rows below moved up: the next read is parsed afresh
            self._parsed.pop(name, None)
        # made once the bodies sent are gone: a backfill predicts 130,000 rows
        predicted = {
            name: after_insert(self.layouts[name], parsed, at, [p.key for p in new])
            for name, (at, new) in plan.inserts.items()
            if name not in missed
            and name not in removed
            and (parsed := _baseline(before_parsed.get(name), planned.get(name))) is not None
        }
        cache.save(self.cache_path)
        self._landed = {name: before[name] for name in unchanged}
        for tab in tabs:
            state = states.get(tab.name)
            if tab.name in predicted and tab.name not in missed:
                expected = predicted[tab.name]
                if expected is not None:  # the next read, unless staff change something
                    self._parsed[tab.name] = expected
                    state = expected.state
                else:
                    state = None
            elif tab.name in plan.inserts or tab.name in removed:
                state = None
            if (
                tab.name not in IN_PLACE
                and tab.name not in unchanged
                and state is not None
                and not state.header_blank
                and tab.name not in missed
            ):
                self._landed[tab.name] = (state, list(tab.rows))

    def clear_columns(self, columns: Mapping[str, Sequence[str]]) -> int:
        """Blank the named columns below the header, found by header name (a purge: staff
        columns that may hold personal data). Returns how many columns were cleared."""
        present = self._fetch_meta().sheet_ids
        tabs = [t for t in columns if t in present]
        heads = self._batch_get({t: [f"{quote(t)}!1:1"] for t in tabs})
        ranges = []
        for tab in tabs:
            header = [str(v).strip() for v in _header(heads[tab])]
            for name in columns[tab]:
                if name in header:
                    column = letters(header.index(name))
                    ranges.append(f"{quote(tab)}!{column}2:{column}")
        if ranges:
            client = self._gspread().http_client
            self._call(
                "消去 / clear",
                lambda: client.values_batch_clear(self.spreadsheet_id, body={"ranges": ranges}),
            )
        self._state = None  # the next write reads again
        return len(ranges)

    # -- applying ---------------------------------------------------------------------

    def _apply_structure(self, plan: Plan) -> None:
        adopt = [p for p in plan.tagged if p.adopt_row is not None]
        if not (plan.add_sheets or plan.headers or adopt or plan.inserts or self._must_grow(plan)):
            return
        meta = self._meta or self._fetch_meta()
        calls, after = structure_requests(plan, adopt, meta)
        self._meta = None  # until every call succeeded, the grid is not known
        for body, pendings in calls:
            reply = self._batch_update(body)
            ids = [
                r["createDeveloperMetadata"]["developerMetadata"]["metadataId"]
                for r in reply.get("replies") or []
                if "createDeveloperMetadata" in r
            ]
            for pending, metadata_id in zip(pendings, ids, strict=True):
                pending.metadata_id = int(metadata_id)
        self._meta = after

    def _must_grow(self, plan: Plan) -> bool:
        rows = self._meta.row_counts if self._meta else {}
        return any(need > rows.get(tab, 1000) for tab, need in plan.grow.items())

    def _verify_tags(self, plan: Plan) -> None:
        """Read every row about to be written or removed through its tag, in one request
        (issue 11 §2): the row must hold the tag's key (a row inserted by this write: no
        key yet). Whether Google moves row metadata when staff sort is not documented; a
        tag left on another key's row is moved to the row that holds its key (found by
        the key columns read again) and read again; nothing is written through a tag
        until its row is known to hold its key."""
        pendings = [p for p in plan.tagged if p.metadata_id is not None]
        if not pendings:
            return
        rows = self._rows_through_tags([p.metadata_id for p in pendings if p.metadata_id])
        wrong = [p for p in pendings if not holds(p, rows.get(p.metadata_id or -1))]
        if not wrong:
            return
        again = self._repoint(wrong, set(rows))
        if again:
            rows = self._rows_through_tags([p.metadata_id for p in again if p.metadata_id])
            for p in again:
                if not holds(p, rows.get(p.metadata_id or -1)):
                    self._not_now(p)

    def _repoint(self, wrong: list[Pending], existing: set[int]) -> list[Pending]:
        """Delete the tags found on the wrong row and tag the row holding the key now
        (the key columns read again: staff may have moved rows since the cycle's read);
        returns the rows tagged again (read once more before anything is written). A tag
        that no longer exists went with a row staff deleted: if its key is nowhere now,
        the row is made again by the next cycle, as before."""
        meta = self._meta or self._fetch_meta()
        movable = [p for p in wrong if not p.copy]  # a copy of a row: no other row to find
        now = self._key_rows({p.tab: p.state for p in movable})
        body: list[dict[str, Any]] = []
        again: list[Pending] = []
        for p in wrong:
            if p.metadata_id in existing:
                lookup = {"developerMetadataLookup": {"metadataId": p.metadata_id}}
                body.append({"deleteDeveloperMetadata": {"dataFilter": lookup}})
            at = now.get((p.tab, p.key)) if p in movable else None
            if at is None and p.metadata_id not in existing and not p.copy:
                p.metadata_id = None  # deleted by staff, with its tag: nothing to report
                continue
            if at is None or p.tab not in meta.sheet_ids:
                self._not_now(p)
                continue
            body.append(tag(meta.sheet_ids[p.tab], at, p))
            again.append(p)
        if not body:
            return []
        reply = self._batch_update(body)
        ids = [
            r["createDeveloperMetadata"]["developerMetadata"]["metadataId"]
            for r in reply.get("replies") or []
            if "createDeveloperMetadata" in r
        ]
        for p, metadata_id in zip(again, ids, strict=True):
            p.metadata_id = int(metadata_id)
        return again

    def _key_rows(self, states: dict[str, TabState]) -> dict[tuple[str, Key], int]:
        """Where each key is now (its first row), from one read of the key columns."""
        if not states:
            return {}
        spans = {}
        for name, state in states.items():
            at = [state.columns[k] for k in state.layout.key]
            spans[name] = (at, min(at))
        replies = self._batch_get(
            {
                name: [f"{quote(name)}!{letters(first)}2:{letters(max(at))}"]
                for name, (at, first) in spans.items()
            }
        )
        found: dict[tuple[str, Key], int] = {}
        for name, (at, first) in spans.items():
            values = (replies.get(name) or [{}])[0].get("values") or []
            for offset, row in enumerate(values, start=1):
                key = tuple(str(row[c - first]).strip() if c - first < len(row) else "" for c in at)
                if all(key):
                    found.setdefault((name, key), offset)
        return found

    def _not_now(self, p: Pending) -> None:
        p.metadata_id = None
        done = (
            "削除しませんでした(次回削除します)"
            if p.remove
            else "書き込みませんでした(次回書きます)"
        )
        self.last_problems.append(
            f"{p.tab}: {' '.join(p.key)} の行が読み込み後に動いたため、今回は{done} / "
            f"row moved, {'removed' if p.remove else 'written'} next cycle"
        )

    def _rows_through_tags(self, ids: list[int]) -> dict[int, tuple[int, list[Any]]]:
        """Per tag id: the row (0-based) it is on now and that row's cells."""
        found: dict[int, tuple[int, list[Any]]] = {}
        lookups = ({"developerMetadataLookup": {"metadataId": i}} for i in ids)
        for filters in chunks(lookups):
            body = {"dataFilters": filters, "valueRenderOption": "FORMATTED_VALUE"}
            reply = self._post("values:batchGetByDataFilter", body, "確認 / verify")
            for matched in reply.get("valueRanges") or []:
                value_range = matched.get("valueRange") or {}
                row = row_of(str(value_range.get("range", "")))
                values = value_range.get("values") or [[]]
                for data_filter in matched.get("dataFilters") or []:
                    lookup = data_filter.get("developerMetadataLookup") or {}
                    if row is not None and "metadataId" in lookup:
                        found[int(lookup["metadataId"])] = (row, list(values[0]))
        return found

    def _remove_rows(self, plan: Plan, cache: RowCache) -> set[str]:
        """Delete the rows of keys that left their tab (SPEC §5), at the rows just verified
        to hold them, bottom first; what staff had typed in them is reported, not applied.
        Returns the tabs where rows were deleted."""
        ready = [p for p in plan.removals if p.metadata_id is not None and p.found_at is not None]
        for p in plan.removals:
            if p.metadata_id is None and not p.copy:  # moved: tagged where it is next time
                cache.put(p.tab, key_text(p.key), (None, ""))
        if not ready:
            return set()
        meta = self._meta or self._fetch_meta()
        ready.sort(key=lambda p: (p.tab, -(p.found_at or 0)))
        body = []
        for p in ready:
            span = {"sheetId": meta.sheet_ids[p.tab], "dimension": "ROWS"}
            span |= {"startIndex": p.found_at, "endIndex": (p.found_at or 0) + 1}
            body.append({"deleteDimension": {"range": span}})
        self._meta = None
        self._batch_update(body)
        for p in ready:
            if not p.copy:
                cache.drop(p.tab, key_text(p.key))
            meta.row_counts[p.tab] = meta.row_counts.get(p.tab, 1001) - 1
            typed = staff_typed(p.state, p.found)
            if typed:
                self.last_problems.append(removed_row_message(p.tab, p.key, typed))
        self._meta = meta
        return {p.tab for p in ready}

    def _apply_values(self, plan: Plan, cache: RowCache) -> set[str]:
        """Write the planned values; returns the tabs with a row that did not land."""

        def through_tags() -> Iterator[dict[str, Any]]:  # made as sent: not all at once
            yield from plan.values
            for p in plan.rows:
                if p.metadata_id is not None:
                    by_tag = {"developerMetadataLookup": {"metadataId": p.metadata_id}}
                    yield {"dataFilter": by_tag, "majorDimension": "ROWS", "values": [p.values]}

        data = through_tags()
        landed: set[int] = set()
        by_id = {p.metadata_id: p for p in plan.rows if p.metadata_id is not None}
        strayed: list[tuple[Pending, Key]] = []
        for chunk in chunks(data):
            # the rows as they are after the write, key cells included (never written
            # through a tag): a write that still found another key's row is seen here
            body = {"valueInputOption": "RAW", "data": chunk, "includeValuesInResponse": True}
            try:
                reply = self._post("values:batchUpdateByDataFilter", body, "書き込み / write")
            except SheetError:
                self._meta = None  # e.g. staff shrank the grid: learn it again next time
                raise
            for response in reply.get("responses") or []:
                found = (response.get("dataFilter") or {}).get("developerMetadataLookup") or {}
                if "metadataId" not in found or not response.get("updatedRange"):
                    continue
                p = by_id.get(int(found["metadataId"]))
                there = written_key(p, response.get("updatedData") or {})
                if p is not None and there is not None and there != p.key:
                    strayed.append((p, there))
                    continue
                landed.add(int(found["metadataId"]))
        missed: set[str] = set()
        for p, there in strayed:  # both rows are written again by the next cycle
            cache.drop(p.tab, key_text(there))
            self.last_problems.append(
                f"{p.tab}: 書き込みの直前に行が並べ替えられ、{' '.join(p.key)} の値が "
                f"{' '.join(there)} の行に入りました。次回の同期で両方の行を書き直します"
                f"(スタッフ記入欄と{'・'.join(p.state.layout.key)}は変わっていません) / "
                f"rows sorted just before the write: rewritten next cycle"
            )
        for p in plan.rows:
            if p.metadata_id is not None and p.metadata_id in landed:
                cache.put(p.tab, key_text(p.key), (p.metadata_id, p.digest))
            else:  # staff deleted the row meanwhile, or its tag: place it again next time
                cache.drop(p.tab, key_text(p.key))
                missed.add(p.tab)
        cache.in_place.update(plan.in_place)
        return missed

    # -- Google calls -----------------------------------------------------------------

    def _gspread(self) -> gspread.Client:
        if self._client is None:
            self._credentials = self.access.credentials([SHEETS])
            self._client = gspread_client(
                self._credentials, self.access.api_base, self.policy.timeout_seconds
            )
        return self._client

    def _row_cache(self) -> RowCache:
        if self._cache is None:
            self._cache = RowCache.load(self.cache_path, self.spreadsheet_id)
        return self._cache

    def _fetch_meta(self) -> Meta:
        fields = "sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))"
        client = self._gspread().http_client
        reply = self._call(
            "シート情報の取得 / get metadata",
            lambda: client.fetch_sheet_metadata(self.spreadsheet_id, {"fields": fields}),
        )
        props = [s.get("properties") or {} for s in reply.get("sheets") or []]
        self._meta = Meta(
            {str(p.get("title")): int(p.get("sheetId", 0)) for p in props},
            {
                str(p.get("title")): int((p.get("gridProperties") or {}).get("rowCount", 0))
                for p in props
            },
        )
        return self._meta

    def _batch_update(self, body: list[dict[str, Any]]) -> Any:
        url = f"{SPREADSHEETS_API_V4_BASE_URL}/{self.spreadsheet_id}:batchUpdate"
        return self._send(url, {"requests": body}, "行の追加 / add rows")

    def _post(self, method: str, body: dict[str, Any], what: str) -> Any:
        url = f"{SPREADSHEETS_API_V4_BASE_URL}/{self.spreadsheet_id}/{method}"
        return self._send(url, body, what)

    def _send(self, url: str, body: dict[str, Any], what: str) -> Any:
        """POST ``body`` as the compact UTF-8 JSON whose size the plan counted."""
        client = self._gspread().http_client
        data = encode(body)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        return self._call(
            what, lambda: client.request("post", url, data=data, headers=dict(headers)).json()
        )

    def _call(self, what: str, fn: Callable[[], T], translate: bool = True) -> T:
        try:
            return retry.call(fn, self.policy)
        except APIError as exc:
            if not translate:
                raise
            raise SheetError(self._message(what, exc)) from exc
        except google.auth.exceptions.RefreshError as exc:
            raise SheetError(
                f"Google スプレッドシート {self.spreadsheet_id}: 認証に失敗しました。"
                "google.credentials_file を確認してください / authentication failed: "
                f"{token_error_text(exc) or exc}"
            ) from exc
        except (requests.RequestException, google.auth.exceptions.GoogleAuthError, OSError) as exc:
            raise SheetError(
                f"Google スプレッドシート {self.spreadsheet_id}: {what} に失敗しました"
                f"(接続できません / cannot connect): {exc}"
            ) from exc

    def _message(self, what: str, exc: APIError) -> str:
        status, reason, _ = retry.status_and_reason(exc)
        sheet = f"Google スプレッドシート {self.spreadsheet_id}"
        account = getattr(self._credentials, "service_account_email", None)
        if status == 403:
            who = f" {account}" if account else ""
            return (
                f"{sheet} を開けません: サービスアカウント{who} と共有されていません。"
                f"シートの「共有」でこのアドレスを編集者として追加してください / "
                f"the spreadsheet is not shared with the service account{who}: share it as Editor"
            )
        if status == 404:
            return (
                f"{sheet} が見つかりません。sheet.spreadsheet_id(シート URL の /d/ と /edit の間)"
                f"を確認してください / spreadsheet not found: check sheet.spreadsheet_id"
            )
        if status == 401:
            return f"{sheet}: 認証に失敗しました。google.credentials_file を確認してください / authentication failed"
        detail = _google_message(exc) or reason
        return f"{sheet}: {what} に失敗しました / failed (HTTP {status}): {detail}"


def _baseline(parsed: Parsed | None, state: TabState | None) -> Parsed | None:
    """The read a write plans on, as kept: the last narrow read's, or an empty tab's
    (a tab made, or a blank one given its header, by this write)."""
    if state is None:
        return None
    if state.header_blank and not state.rows and not state.last_row:
        return blank(state.layout)
    return parsed if parsed is not None and parsed.state is state else None


def _same_rows(
    landed: tuple[TabState, Sequence[Any]] | None, state: TabState, rows: Sequence[Any]
) -> bool:
    """The tab as read is the one the last write landed in entirely (the read's reply was
    unchanged, so the parse gave the same ``TabState``) and every row is the same object
    as then (the projector keeps unchanged rows): nothing can differ. C-speed checks."""
    if landed is None or landed[0] is not state or len(landed[1]) != len(rows):
        return False
    return all(map(operator.is_, landed[1], rows))


def _header(ranges: list[dict[str, Any]]) -> list[Any]:
    return list((ranges[0].get("values") or [[]])[0]) if ranges else []


def _google_message(exc: APIError) -> str:
    try:
        error = exc.response.json().get("error", {})
    except ValueError:
        return ""
    return str(error.get("message", "")) if isinstance(error, dict) else ""
