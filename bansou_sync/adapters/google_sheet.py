"""The status spreadsheet on Google Sheets, through gspread (SPEC §5, issue 3 §2).

Reading: one ``values.batchGet`` a cycle — per tab the header row and only the key and
staff columns (``google_sheet_read``); the whole tabs once, when no row cache is known.

Writing finds rows by key, never by position. Each row bansou-sync writes carries a row
*developer-metadata tag* (``bansou.key`` = tab and key); Google moves row metadata with
the row when staff sort, insert or delete rows, so a write addressed to the tag's
``metadataId`` (``values.batchUpdateByDataFilter``) cannot land in another row whatever
staff did since the read. Tags are only created where they cannot be wrong:

* a new row (or one staff deleted: it comes back) is a freshly inserted blank row, tagged
  in the same atomic ``spreadsheets.batchUpdate`` that inserts it, below the last row
  with content (or under the header when every new row comes before the old ones, as in
  メール: newest first);
* an existing untagged row (a sheet bansou-sync did not write, or a lost cache) is tagged
  at the row the read saw its key in, then *verified* by reading through the tag
  (``values.batchGetByDataFilter``); a tag staff moved in between is never written
  through (it stays, unused: writes go by ``metadataId``).

Staff columns are written as ``null`` (Google leaves those cells alone), values with
``valueInputOption=RAW``. What to write is planned without I/O in ``google_sheet_plan``. Only rows whose daemon values changed since the last write are
sent (``sheet_cache``). 統計 and 同期 have no staff columns and are rewritten in place.
A cycle costs: 1 read, then 0-1 ``spreadsheets.batchUpdate`` (new tabs, rows, tags) and
0-1 ``values.batchUpdateByDataFilter`` (each chunked under ~2 MB); a metadata
``spreadsheets.get`` when the process first changes the structure; +1 read to verify
adopted rows. Every call goes through ``retry.call``; errors become ``SheetError``.
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
from bansou_sync.adapters.google_sheet_plan import (
    IN_PLACE,
    Meta,
    Plan,
    chunks,
    encode,
    plan_in_place,
    plan_keyed,
    range_write,
    structure_requests,
)
from bansou_sync.adapters.google_sheet_read import (
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
from bansou_sync.app.crashpoints import crash_point
from bansou_sync.core.tabs import ALL_TABS, TabLayout
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
            if state.header_blank:
                plan.values.append(range_write(f"{quote(layout.name)}!A1", [list(layout.headers)]))
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
        self._verify_adopted(plan, states)
        missed = self._apply_values(plan, cache)
        # made once the bodies sent are gone: a backfill predicts 130,000 rows
        predicted = {
            name: after_insert(self.layouts[name], parsed, at, [p.key for p in new])
            for name, (at, new) in plan.inserts.items()
            if name not in missed
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
            elif tab.name in plan.inserts:
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
        adopt = [p for p in plan.rows if p.adopt_row is not None]
        if not (plan.add_sheets or adopt or plan.inserts or self._must_grow(plan)):
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

    def _verify_adopted(self, plan: Plan, states: dict[str, TabState]) -> None:
        """Read each freshly tagged existing row through its tag: the key must be there."""
        adopted = [p for p in plan.rows if p.adopt_row is not None and p.metadata_id is not None]
        if not adopted:
            return
        filters = [{"developerMetadataLookup": {"metadataId": p.metadata_id}} for p in adopted]
        body = {"dataFilters": filters, "valueRenderOption": "FORMATTED_VALUE"}
        reply = self._post("values:batchGetByDataFilter", body, "確認 / verify")
        rows: dict[int, list[Any]] = {}
        for found in reply.get("valueRanges") or []:
            for data_filter in found.get("dataFilters") or []:
                lookup = data_filter.get("developerMetadataLookup") or {}
                values = (found.get("valueRange") or {}).get("values") or [[]]
                rows[int(lookup.get("metadataId", -1))] = values[0]
        for pending in adopted:
            state = states[pending.tab]
            row = rows.get(pending.metadata_id or -1, [])
            there = tuple(
                str(row[c]).strip() if c < len(row) else ""
                for c in (state.columns[k] for k in state.layout.key)
            )
            if there != pending.key:
                pending.metadata_id = None
                self.last_problems.append(
                    f"{pending.tab}: {' '.join(pending.key)} の行が読み込み後に動いたため、"
                    f"今回は書き込みませんでした(次回書きます) / row moved, written next cycle"
                )

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
        for chunk in chunks(data):
            body = {"valueInputOption": "RAW", "data": chunk}
            try:
                reply = self._post("values:batchUpdateByDataFilter", body, "書き込み / write")
            except SheetError:
                self._meta = None  # e.g. staff shrank the grid: learn it again next time
                raise
            for response in reply.get("responses") or []:
                found = (response.get("dataFilter") or {}).get("developerMetadataLookup") or {}
                if "metadataId" in found and response.get("updatedRange"):
                    landed.add(int(found["metadataId"]))
        missed: set[str] = set()
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
