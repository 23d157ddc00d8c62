"""Planning a write to the Google status sheet: plain data in, requests out, no I/O.

``plan_keyed`` / ``plan_in_place`` decide, per tab, which rows must be written (their
digest changed), which are new (inserted and tagged) and which existing rows need a tag
(adopted, then verified). ``range_write`` shapes an in-place
tab's writes; ``google_sheet_requests`` turns the plan into the requests sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import is_not
from typing import Any

from bansou_sync.adapters.google_sheet_read import Key, TabState, quote
from bansou_sync.adapters.sheet_cache import RowCache, digest, key_text
from bansou_sync.adapters.sheet_value import sheet_value
from bansou_sync.core.tabs import STATS, SYNC, TabLayout

IN_PLACE = frozenset({STATS.name, SYNC.name})  # no staff columns, small: rewritten in place
UNKNOWN: tuple[None, str] = (None, "")  # a key the row cache has no entry for
Value = str | int


@dataclass
class Meta:
    sheet_ids: dict[str, int]
    row_counts: dict[str, int]


@dataclass(slots=True)
class Pending:
    """One row to write through a tag: known id, or a tag requested in this write.

    Slots, and the cells as the sheet will get them made only when sent (``values``):
    a backfill plans 130,000 of these at once (issue 5)."""

    tab: str
    key: Key
    digest: str
    row: Sequence[Value]  # the projection's row, in header order
    state: TabState  # where the sheet has each column
    metadata_id: int | None = None
    adopt_row: int | None = None  # untagged existing row: tag it here, then verify
    new: bool = False  # a row inserted by this write (with only its key cells filled)
    remove: bool = False  # its key left the tab's projection: the row is deleted
    copy: bool = False  # removed as a second row of a key still written (not its own row)
    found_at: int | None = None  # the row the tag was verified at (0-based), this write
    found: Sequence[Any] = ()  # that row's cells as the verifying read saw them

    @property
    def values(self) -> list[Value | None]:
        return row_values(self.state, self.row, with_key=False)


@dataclass
class Plan:
    add_sheets: list[TabLayout] = field(default_factory=list)
    rows: list[Pending] = field(default_factory=list)
    inserts: dict[str, tuple[int, list[Pending]]] = field(
        default_factory=dict
    )  # tab → (where, rows)
    grow: dict[str, int] = field(default_factory=dict)  # tab → rows the in-place data needs
    values: list[dict[str, Any]] = field(default_factory=list)  # a1Range writes
    in_place: dict[str, list[str]] = field(default_factory=dict)
    removals: list[Pending] = field(default_factory=list)  # rows of keys that left a tab
    headers: list[TabLayout] = field(default_factory=list)  # tabs whose header row is blank

    def size(self) -> tuple[int, ...]:
        """How much is planned: unchanged by a tab's planning when it needs nothing."""
        return (
            len(self.add_sheets),
            len(self.rows),
            len(self.inserts),
            len(self.values),
            len(self.removals),
            len(self.headers),
        )

    @property
    def tagged(self) -> list[Pending]:
        """Every row this write goes through a tag for: written, or removed."""
        return [*self.rows, *self.removals]


def plan_keyed(
    plan: Plan,
    state: TabState,
    given: Sequence[Sequence[Value]],
    cache: RowCache,
    settled: Sequence[Sequence[Value]] | None = None,
) -> None:
    """Plan one keyed tab. ``settled``: the rows of the last write to this tab, which
    landed entirely on the sheet as ``state`` still shows it; those of ``given`` that are
    the same objects need nothing and are not looked at (a cycle's cost is its changes)."""
    layout = state.layout
    known = cache.keyed.setdefault(layout.name, {})
    kept: dict[str, tuple[int | None, str]] = {}  # a whole pass: the keys still written
    new: list[Pending] = []
    first_old: int | None = None
    last_new = -1
    key_at = [layout.headers.index(k) for k in layout.key]
    daemon_at = [i for i, h in enumerate(layout.headers) if h not in layout.staff]
    # A row given again as the same list object (the service's projector keeps rows it
    # did not recompute) has the key and digest found last time: no text work for it.
    before = cache.memo.get(layout.name, {})
    memo: dict[int, tuple[Sequence[Value], Key, str, str]] = before if settled is not None else {}
    gone_rows: Iterable[Sequence[Value]] = ()
    if settled is None:
        todo: Iterable[tuple[int, Sequence[Value]]] = enumerate(given)
    else:  # only the rows not landed as they are, where state has them
        moved = _moved(given, settled)
        if moved is not None:  # lined up with the last write: C-speed comparisons
            changed, first_old, gone_rows = moved
            todo = [(i, given[i]) for i in changed]
        else:
            done = set(map(id, settled))
            todo = [(i, v) for i, v in enumerate(given) if id(v) not in done]
            first_old = next((i for i, v in enumerate(given) if id(v) in done), None)
            present = set(map(id, given))
            gone_rows = [v for v in settled if id(v) not in present]
    labels: set[str] = set()  # keys planned in this call
    for position, values in todo:
        hit = before.get(id(values))
        if hit is not None and hit[0] is values:
            key, label, row_digest = hit[1], hit[2], hit[3]
        else:
            key = tuple([str(values[i]).strip() for i in key_at])
            label = key_text(key)
            # as_text's own fast path inline: a printable text (nearly every cell) as is
            row_digest = digest(
                [
                    v if (v := values[i]).__class__ is str and v.isprintable() else as_text(v)
                    for i in daemon_at
                ]
            )
        memo[id(values)] = (values, key, label, row_digest)
        if label in labels:
            continue  # the projection never repeats a key; keep the first if it did
        labels.add(label)
        entry = known.get(label, UNKNOWN)
        metadata_id, written = entry
        if settled is None:
            kept[label] = entry  # the entry itself: one tuple per key, not a copy each
        if key not in state.rows:
            new.append(Pending(layout.name, key, row_digest, values, state, new=True))
            last_new = position
            continue
        first_old = position if first_old is None else min(first_old, position)
        if written == row_digest:
            continue
        pending = Pending(layout.name, key, row_digest, values, state)
        pending.metadata_id = metadata_id
        if metadata_id is None:
            pending.adopt_row = state.rows[key]
        plan.rows.append(pending)
    if settled is not None:  # rows no longer given: their rows go (unless the key is reused)
        for values in gone_rows:
            gone = memo.pop(id(values), None)
            if gone is None or gone[2] in labels:
                continue
            if gone[1] in state.rows:
                _remove(plan, state, gone[1], known.get(gone[2], (None, ""))[0])
            else:
                cache.drop(layout.name, gone[2])
    else:
        # SPEC §5: the projection is exact: the row of a key bansou-sync wrote (the cache
        # knows it, or a full read sees its daemon cells) that is no longer given is
        # removed; a row staff typed under a key of their own is left alone
        for key in state.rows:
            label = key_text(key)
            if label in labels or not (label in known or _has_daemon_cells(state, key)):
                continue
            kept[label] = known.get(label, (None, ""))  # forgotten once the row is gone
            _remove(plan, state, key, kept[label][0])
        for key, at, typed in state.copies:  # a copy of a row staff made, as LocalSheet
            if key_text(key) in labels and not typed:  # keeps only one with staff input
                plan.removals.append(
                    Pending(layout.name, key, "", (), state, adopt_row=at, remove=True, copy=True)
                )
        cache.replace_tab(layout.name, kept)  # forget keys bansou-sync no longer writes
    cache.memo[layout.name] = memo
    if new:
        # Newest-first tabs (メール): rows that all come before the old ones go on top.
        on_top = first_old is not None and last_new < first_old
        plan.inserts[layout.name] = (1 if on_top else state.last_row + 1, new)
        plan.rows += new


def _remove(plan: Plan, state: TabState, key: Key, metadata_id: int | None) -> None:
    pending = Pending(state.layout.name, key, "", (), state, metadata_id, remove=True)
    if metadata_id is None:
        pending.adopt_row = state.rows[key]
    plan.removals.append(pending)


def _has_daemon_cells(state: TabState, key: Key) -> bool:
    """A full read saw bansou-sync's columns (other than the key) filled in this row."""
    values = state.read_back.get(key)
    if values is None:
        return False
    layout = state.layout
    return any(v for h, v in zip(layout.daemon, values, strict=True) if h not in layout.key)


def _moved(
    given: Sequence[Sequence[Value]], settled: Sequence[Sequence[Value]]
) -> tuple[list[int], int | None, list[Sequence[Value]]] | None:
    """The rows given that are not the same objects as the last write's, when the two
    line up with new rows only at the end (申請) or on top (メール) and few differ:
    (their positions, the first position of an old row, the old rows replaced). The
    comparison runs in C (``map``/``compress``), not a Python loop over 60,000 rows."""
    extra = len(given) - len(settled)
    if extra < 0:
        return None
    for start in (0, extra):  # the old rows first, or the new rows first
        differ = list(compress(range(len(settled)), map(is_not, given[start:], settled)))
        if len(differ) * 8 > len(settled) + 8:
            continue
        fresh = range(len(settled), len(given)) if start == 0 else range(extra)
        changed = sorted([*(start + i for i in differ), *fresh])
        same = set(differ)
        first = next((start + i for i in range(len(settled)) if i not in same), None)
        return changed, first, [settled[i] for i in differ]
    return None


def plan_in_place(
    plan: Plan, state: TabState, given: Sequence[Sequence[Value]], cache: RowCache
) -> None:
    layout = state.layout
    before = cache.in_place.get(layout.name) if cache.loaded else None
    digests = [digest([as_text(v) for v in values]) for values in given]
    tab = quote(layout.name)
    for index, values in enumerate(given):
        if before is not None and index < len(before) and before[index] == digests[index]:
            continue
        # rows without a key shift as rows are added: a staff cell there (同期's
        # 一斉送信を許可, read by the cycle before) is cleared, as the local sheet does
        row = row_values(state, values, with_staff=True)
        plan.values.append(range_write(f"{tab}!A{index + 2}", [row]))
    blank: list[Value | None] = [None] * (max(state.columns.values(), default=0) + 1)
    for h in layout.headers:
        if h in state.columns:
            blank[state.columns[h]] = ""
    stale = range(len(given) + 1, state.last_row + 1)
    if stale:
        plan.values.append(range_write(f"{tab}!A{stale.start + 1}", [blank] * len(stale)))
    plan.grow[layout.name] = len(given) + 1
    plan.in_place[layout.name] = digests


def as_text(value: Value) -> str:
    """The text a cell shows for ``value`` (what a read gives back; digested)."""
    if value.__class__ is str and value.isprintable():
        return value  # the usual cell: nothing to clean
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(sheet_value(value))


# Per column layout of a tab as read: (columns, their copy, layout, options) → where each
# given value goes. A backfill shapes 130,000 rows on a handful of layouts (issue 5).
_Slots = tuple[dict[str, int], dict[str, int], TabLayout, list[tuple[int, int]], int]
_SLOTS: dict[tuple[int, bool, bool], _Slots] = {}


def _slots(state: TabState, with_key: bool, with_staff: bool) -> _Slots:
    columns, layout = state.columns, state.layout
    found = _SLOTS.get((id(columns), with_key, with_staff))
    if found is not None and found[0] is columns and found[2] is layout and found[1] == columns:
        return found
    staff = set() if with_staff else set(layout.staff)
    left_alone = staff if with_key else {*staff, *layout.key}
    pairs = [
        (index, columns[header])
        for index, header in enumerate(layout.headers)
        if header not in left_alone and header in columns
    ]
    made = (columns, dict(columns), layout, pairs, max(columns.values(), default=0) + 1)
    if len(_SLOTS) > 64:
        _SLOTS.clear()
    _SLOTS[(id(columns), with_key, with_staff)] = made
    return made


def row_values(
    state: TabState, values: Sequence[Value], *, with_key: bool = True, with_staff: bool = False
) -> list[Value | None]:
    """The row as written from column A: daemon cells where the sheet has their header,
    ``None`` (left alone) under staff (unless ``with_staff``: the 同期 tab's tick is
    cleared by the rewrite that reads it) and unknown columns — and, written through a
    tag, under the key: a tagged row got its key when it was made
    (``structure_requests``), so no write can change which key a row holds, nor which
    staff cells stand beside it. Each text passes ``sheet_value`` (a printable one is
    already what it gives: kept without the call)."""
    _, _, layout, pairs, width = _slots(state, with_key, with_staff)
    if len(values) != len(layout.headers):
        raise ValueError(f"{layout.name}: {len(values)} values for {len(layout.headers)} columns")
    out: list[Value | None] = [None] * width
    for index, column in pairs:
        value = values[index]
        if value.__class__ is str and value.isprintable():
            out[column] = value
        else:
            out[column] = sheet_value(value)
    while out and out[-1] is None:
        out.pop()
    return out


def range_write(a1: str, rows: list[list[Value | None]]) -> dict[str, Any]:
    return {"dataFilter": {"a1Range": a1}, "majorDimension": "ROWS", "values": rows}
