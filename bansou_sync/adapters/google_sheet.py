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
``valueInputOption=RAW``. What to write is planned without I/O in ``google_sheet_plan``
and ``google_sheet_requests``, applied in ``google_sheet_apply``; the calls themselves and
their errors are ``google_sheet_calls``'. Only rows whose daemon values changed since the
last write are sent (``sheet_cache``). 統計 and 同期 have no staff columns and are rewritten in place.
A cycle costs: 1 read; when rows change, 0-1 ``spreadsheets.batchUpdate`` (new tabs,
rows, tags), 1 read through the tags and 1 ``values.batchUpdateByDataFilter`` (each
chunked under ``CHUNK_BYTES``); 1 ``spreadsheets.batchUpdate`` when rows are removed; a
metadata ``spreadsheets.get`` when the process first changes the structure; a re-read of
the key columns, 1 ``batchUpdate`` and 1 read through the tags when tags were found on
the wrong rows. Every call goes through ``retry.call``; errors become ``SheetError``.
The server gets a write's requests one at a time, in order; the daemon builds the next
body while one is in flight, and — for the read through the tags and the values write,
which may be repeated — sends the next one as soon as one is answered and decodes the
reply meanwhile (``google_sheet_calls.one_ahead`` and ``_post_each``, which tell what a
failure then leaves: never a key cell written, at worst rows written again next cycle).
"""

from __future__ import annotations

import operator
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gspread.exceptions import APIError

from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.google_sheet_apply import PlanApplier
from bansou_sync.adapters.google_sheet_calls import DEFAULT_POLICY, header_of
from bansou_sync.adapters.google_sheet_plan import (
    IN_PLACE,
    Plan,
    plan_in_place,
    plan_keyed,
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
    in_place_read,
    reparse,
    reply_values,
    values_digest,
)
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.adapters.sheet_cache import RowCache, digest, key_text
from bansou_sync.core.tabs import ALL_TABS, TabLayout
from bansou_sync.crashpoints import crash_point
from bansou_sync.errors import SheetError, SheetFormatError
from bansou_sync.ports import SheetSnapshot, StaffRow, StatusSheet, TabRows

FULL_CHECK_SECONDS = 3600  # issue 4: a full check of the daemon columns at most hourly


def clock() -> float:
    return time.time()


class GoogleSheet(PlanApplier, StatusSheet):
    """``StatusSheet`` over a Google spreadsheet shared with the service account."""

    def __init__(
        self,
        access: GoogleAccess,
        spreadsheet_id: str,
        policy: RetryPolicy = DEFAULT_POLICY,
        layouts: Sequence[TabLayout] = ALL_TABS,
        cache_path: Path | None = None,
    ) -> None:
        super().__init__(access, spreadsheet_id, policy)
        self.layouts = {layout.name: layout for layout in layouts}
        self.cache_path = cache_path
        self.last_problems: list[str] = []  # what the latest write() could not place
        self._cache: RowCache | None = None
        self._state: dict[str, TabState] | None = None
        # issue 5: per tab, the last narrow read's values and what they parsed to (or
        # what this process's last insertion makes them): the next read parses only
        # what differs (google_sheet_reread)
        self._parsed: dict[str, Parsed] = {}
        # per keyed tab, the TabState and rows of the last write that landed entirely:
        # given both again, that tab has nothing to write (no per-row work at all)
        self._landed: dict[str, tuple[TabState, Sequence[Any]]] = {}
        # per tab parsed from a narrow read this process, the digest of that read's values
        self._read_digests: dict[str, str] = {}
        self._in_place_reads: dict[str, tuple[list[list[Any]], ...]] = {}

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
        self._read_digests, self._in_place_reads = {}, {}
        again = [
            name
            for name, ranges in replies.items()
            if not full and not header_matches(self.layouts[name], header_of(ranges))
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
                narrow = reply_values(ranges)
                parsed = reparse(layout, narrow, self._parsed.get(name))
                self._parsed[name] = parsed
                self._read_digests[name] = values_digest(narrow)
                if name in IN_PLACE:  # small: kept to predict the read after a rewrite
                    self._in_place_reads[name] = narrow
                state, rows, found = parsed.state, parsed.rows, parsed.problems
            tabs[name], states[name] = rows, state
            problems += found
            if wide:
                seen = cache.keyed.setdefault(name, {})
                for key, values in state.read_back.items():
                    tag = seen.get(key_text(key), (None, ""))[0]
                    cache.put(name, key_text(key), (tag, digest(values)))
        repeats = tuple(r for state in states.values() for r in state.repeats)
        # a narrow read's rows are named by its values and the tab's layout (app.staff_memo)
        labels = {
            n: values_digest([d, repr(self.layouts[n])]) for n, d in self._read_digests.items()
        }
        return SheetSnapshot(tabs, tuple(problems), repeats, labels), states

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

    # -- writing ----------------------------------------------------------------------

    def write(self, tabs: Sequence[TabRows]) -> None:
        cache = self._row_cache()
        for tab in tabs:
            layout = self.layouts.get(tab.name)
            if layout is None:
                raise SheetError(f"タブ「{tab.name}」はこのシートの構成にありません")
            if self._state is not None and self._holds(cache, tab, self._read_digests):
                continue  # rows not looked at: the sheet holds what they give
            widths = set(map(len, tab.rows)) - {len(layout.headers)}  # C-speed at 60,000
            if widths:
                raise SheetError(
                    f"{tab.name}: 行の列数 {min(widths)} が見出しの数 "
                    f"{len(layout.headers)} と合いません"
                )
        self.last_problems = []
        states = self._state if self._state is not None else self._read()[1]
        self._state = None  # a write changes positions: the next write reads again
        read_digests, self._read_digests = self._read_digests, {}
        fixed: dict[str, tuple[str, str]] = {}  # tabs this write leaves as they were
        held: set[str] = set()  # of those, the ones whose rows were not even looked at
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
            seen = read_digests.get(layout.name)
            if self._holds(cache, tab, read_digests):
                fixed[layout.name] = (tab.label, seen or "")  # not looked at: see _holds
                held.add(layout.name)
                continue
            cache.labels.pop(layout.name, None)
            size = plan.size()
            if layout.name in IN_PLACE:
                plan_in_place(plan, state, tab.rows, cache)
            elif _same_rows(before.get(layout.name), state, tab.rows):
                unchanged.append(layout.name)  # same read, same row objects: all written
            else:
                landed = before.get(layout.name)
                settled = landed[1] if landed is not None and landed[0] is state else None
                plan_keyed(plan, state, tab.rows, cache, settled)
            if tab.label and seen is not None and plan.size() == size:
                fixed[layout.name] = (tab.label, seen)
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
        # a tab's label is kept only once the whole write landed with nothing to report:
        # rows of that label then plan nothing on the read that follows — this one, where
        # only daemon cells were written (not read narrowly), or the one predicted after
        # rows were inserted
        if not self.last_problems and not missed and not removed:
            cache.labels.update(fixed)
            for tab in tabs:
                seen = read_digests.get(tab.name)
                if not tab.label or seen is None or tab.name in fixed:
                    continue
                if tab.name in IN_PLACE:
                    read = self._in_place_reads.get(tab.name)
                    if read is None:
                        continue
                    seen = values_digest(in_place_read(self.layouts[tab.name], read[0], tab.rows))
                elif tab.name in plan.inserts:
                    expected = predicted.get(tab.name)
                    if expected is None:
                        continue
                    seen = values_digest(expected.values)
                cache.labels[tab.name] = (tab.label, seen)
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
                and tab.name not in held
                and state is not None
                and not state.header_blank
                and tab.name not in missed
            ):
                self._landed[tab.name] = (state, list(tab.rows))

    @staticmethod
    def _holds(cache: RowCache, tab: TabRows, read_digests: Mapping[str, str]) -> bool:
        """The tab holds what ``tab``'s rows give, so writing them is a no-op and they are
        not looked at (a cold start's labelled tabs, ``app.tabs``): the last write of rows
        of this label planned nothing for the tab, on a narrow read with the values read
        now (the same keys at the same rows, the same staff cells; a whole read, hourly,
        has no digest and looks at every row)."""
        seen = read_digests.get(tab.name)
        return (
            bool(tab.label) and seen is not None and cache.labels.get(tab.name) == (tab.label, seen)
        )

    def clear_columns(self, columns: Mapping[str, Sequence[str]]) -> int:
        """Blank the named columns below the header, found by header name (a purge: staff
        columns that may hold personal data). Returns how many columns were cleared."""
        present = self._fetch_meta().sheet_ids
        tabs = [t for t in columns if t in present]
        heads = self._batch_get({t: [f"{quote(t)}!1:1"] for t in tabs})
        ranges = []
        for tab in tabs:
            header = [str(v).strip() for v in header_of(heads[tab])]
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

    def _row_cache(self) -> RowCache:
        if self._cache is None:
            self._cache = RowCache.load(self.cache_path, self.spreadsheet_id)
        return self._cache


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
