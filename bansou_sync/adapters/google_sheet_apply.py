"""Applying a planned write (``google_sheet_plan``) to the spreadsheet: the structure
(new tabs, headers, inserted and tagged rows, grid growth), the check that every row
about to be written or removed still holds its tag's key (moving a tag found on another
key's row), the removals, and the values written through the tags (``google_sheet``'s
docstring tells the whole protocol and what it costs)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from bansou_sync.adapters.google_sheet_calls import SheetsCalls, one_ahead
from bansou_sync.adapters.google_sheet_check import (
    each_tag_row,
    holds,
    metadata_ids,
    staff_typed,
    write_outcomes,
)
from bansou_sync.adapters.google_sheet_plan import Pending, Plan
from bansou_sync.adapters.google_sheet_read import Key, TabState, letters, quote
from bansou_sync.adapters.google_sheet_requests import (
    bodies,
    structure_requests,
    tag,
)
from bansou_sync.adapters.sheet_cache import RowCache, key_text
from bansou_sync.core.tabs import removed_row_message
from bansou_sync.errors import SheetError


class PlanApplier(SheetsCalls):
    """Sends a ``Plan``; what it could not place is added to ``last_problems``."""

    last_problems: list[str]

    def _apply_structure(self, plan: Plan) -> None:
        adopt = [p for p in plan.tagged if p.adopt_row is not None]
        if not (plan.add_sheets or plan.headers or adopt or plan.inserts or self._must_grow(plan)):
            return
        meta = self._meta or self._fetch_meta()
        calls, after = structure_requests(plan, adopt, meta)
        self._meta = None  # until every call succeeded, the grid is not known

        def send(call: tuple[bytes, list[Pending]]) -> Any:  # each body already encoded
            return self._batch_update(call[0], metadata_ids)

        def done(call: tuple[bytes, list[Pending]], reply: Any) -> None:
            ids = [
                r["createDeveloperMetadata"]["developerMetadata"]["metadataId"]
                for r in reply.get("replies") or []
                if "createDeveloperMetadata" in r
            ]
            for pending, metadata_id in zip(call[1], ids, strict=True):
                pending.metadata_id = int(metadata_id)

        # the next call is built while one is in flight; a reply is not held once read
        one_ahead(calls, send, done)
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
        existing: set[int] = set()
        self._check_through_tags(pendings, existing)
        wrong = [p for p in pendings if p.found_at is None]
        if not wrong:
            return
        again = self._repoint(wrong, existing)
        if again:
            self._check_through_tags(again, set())
            for p in again:
                if p.found_at is None:
                    self._not_now(p)

    def _check_through_tags(self, pendings: list[Pending], existing: set[int]) -> None:
        """``holds`` for each of ``pendings`` against its row read through its tag, as
        each reply is decoded (no row is kept: ``each_tag_row``): afterwards a pending
        holds exactly when its ``found_at`` is set. Adds to ``existing`` the id of every
        tag found on a row that does not hold its key (``_repoint`` deletes those)."""
        by_tag: dict[int, Pending] = {}
        more: dict[int, list[Pending]] = {}  # a tag two pendings go through (rare)
        for p in pendings:
            p.found_at = None
            if p.metadata_id and by_tag.setdefault(p.metadata_id, p) is not p:
                more.setdefault(p.metadata_id, []).append(p)

        def check(metadata_id: int, row: int, cells: list[Any]) -> None:
            first = by_tag.get(metadata_id)
            if first is None:
                return
            for p in (first, *more[metadata_id]) if metadata_id in more else (first,):
                if not holds(p, (row, cells)):  # a tag read twice: the last read
                    p.found_at = None
                    existing.add(metadata_id)

        self._read_through_tags(list(by_tag), check)

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
            layout = states[name].layout
            values = (replies.get(name) or [{}])[0].get("values") or []
            for offset, row in enumerate(values, start=1):
                key = tuple(str(row[c - first]).strip() if c - first < len(row) else "" for c in at)
                if layout.keyed(key):
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

    def _read_through_tags(
        self, ids: list[int], sink: Callable[[int, int, list[Any]], None]
    ) -> None:
        """Read the rows of the tags ``ids``, one request per ``CHUNK_BYTES`` of lookups:
        ``sink`` gets, per tag found, the row (0-based) it is on now and that row's cells,
        as each reply is decoded (``each_tag_row``): a backfill reads 130,000 rows."""
        lookups = ({"developerMetadataLookup": {"metadataId": i}} for i in ids)
        head = {"valueRenderOption": "FORMATTED_VALUE"}
        # only bodies' bytes are held while a reply is read; the next request goes as
        # soon as one is answered, while its reply is decoded (``_post_each``: a read)
        self._post_each(
            "values:batchGetByDataFilter",
            bodies(head, "dataFilters", lookups),
            "確認 / verify",
            each_tag_row(sink),
            lambda reply: None,
        )

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
        # the rows as they are after the write, key cells included (never written
        # through a tag): a write that still found another key's row is seen here; each
        # response is reduced to (tag, key there) as it is decoded (``write_outcomes``)
        head = {"valueInputOption": "RAW", "includeValuesInResponse": True}
        outcomes = write_outcomes(by_id)

        def done(reply: Any) -> None:
            for outcome in reply.get("responses") or []:
                if not isinstance(outcome, tuple):
                    continue
                metadata_id, there = outcome
                p = by_id.get(metadata_id)
                if p is not None and there is not None and there != p.key:
                    strayed.append((p, there))
                    continue
                landed.add(metadata_id)

        # only chunks' bodies (bytes) are held while a reply is read; the next chunk
        # goes as soon as one is answered, while its reply is decoded (``_post_each``:
        # what a chunk failing then means for the row cache is told there)
        try:
            self._post_each(
                "values:batchUpdateByDataFilter",
                bodies(head, "data", data),
                "書き込み / write",
                outcomes,
                done,
            )
        except SheetError:
            self._meta = None  # e.g. staff shrank the grid: learn it again next time
            raise
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
