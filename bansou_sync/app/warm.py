"""What a running service keeps between cycles, behind one object: ``WarmCycle``.

``run_cycle`` takes it as an argument; the service (``service.py``) keeps one for its
whole life and a cold start — ``bansou-sync once``, a restart — passes a fresh one: the
same steps, every cache rebuilt. Everything here is a cache, never a truth: the result
of a cycle is the same with a fresh ``WarmCycle`` (tests/integration/test_warm_service.py
compares a warm service with cold starts of every cycle).

What it keeps:

* the ledger's ``state_generation`` (it changes with every commit, by any process) to
  know whether what was computed from a state still holds: the newest submission seen
  per form, the notices waiting for a send time, the generation whose state holds every
  send time (``delivered``);
* the book (``core.book.Book``) of the last plan: the indexes of the committed state,
  handed back to ``core.cycle.plan_indexed`` so they are not rebuilt from the whole
  history;
* the sheet's projection (``app.projector.Projector``) and the staff input of the last
  read (``StaffReader``: only the rows the sheet adapter did not give back unchanged
  are read again);
* the last *quiet* plan — one that changed, queued and closed nothing. A plan is a pure
  function of the state, the new responses, what staff typed and the time, and the time
  matters only at hour boundaries: every rule that looks at the clock compares JST dates
  or whole hours (reply deadlines and holds by date, the reminder at ``reminder_hour``,
  the digest at ``digest_hour``; tests/unit/test_hour_granular_plans.py checks every
  rule over moments inside an hour). So a later cycle in the same JST hour with the same
  state (generation), the same staff input (the same object) and no pending response
  would plan exactly the same nothing — its problems included — and is not planned
  again. The first cycle of each hour plans in full.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bansou_sync.app.projector import Projector
from bansou_sync.core.book import Book
from bansou_sync.core.staff import READERS, Found, StaffInput, assemble
from bansou_sync.core.state import State

Hour = tuple[date, int]


def hour_of(now: datetime) -> Hour:
    """The JST hour a cycle runs in (``now`` is already JST)."""
    return now.date(), now.hour


class StaffReader:
    """``core.staff.read_staff``, reading only the rows that changed: the sheet adapter
    gives back the same row objects for rows that did not, so per tab the rows are
    compared by identity (C-speed) with the last read's and only the others are read.
    When a changed row's key moved, or a new row repeats a key, the tab is read in full
    (the result, order included, is always ``read_staff``'s; the tests compare them)."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[list[Any], list[Found | None], dict[str, Any]]] = {}

    def read(self, tabs: Mapping[str, Sequence[Any]]) -> StaffInput:
        return assemble(
            {
                name: self._tab(name, list(tabs.get(name, ())), reader)
                for name, reader in READERS.items()
            }
        )

    def _tab(
        self, name: str, rows: list[Any], reader: Callable[[Any], Found | None]
    ) -> dict[str, Any]:
        last = self._last.get(name)
        found = _patched(last, rows, reader) if last is not None else None
        if found is None:
            outputs = [reader(row) for row in rows]
            found = outputs, dict(o for o in outputs if o is not None)
        self._last[name] = (rows, *found)
        return found[1]


def _patched(
    last: tuple[list[Any], list[Found | None], dict[str, Any]],
    rows: list[Any],
    reader: Callable[[Any], Found | None],
) -> tuple[list[Found | None], dict[str, Any]] | None:
    old_rows, old_outputs, old_result = last
    if len(rows) < len(old_rows):
        return None
    changed = [i for i, (a, b) in enumerate(zip(rows, old_rows, strict=False)) if a is not b]
    if len(changed) * 4 > len(rows):
        return None  # mostly new: reading it all is as cheap
    outputs, result = list(old_outputs), dict(old_result)
    for i in changed:
        new, old = reader(rows[i]), old_outputs[i]
        if (new is None) != (old is None) or (new and old and new[0] != old[0]):
            return None  # a key appeared, went or moved: its place in the order changes
        outputs[i] = new
        if new is not None:
            result[new[0]] = new[1]
    for row in rows[len(old_rows) :]:
        new = reader(row)
        outputs.append(new)
        if new is not None:
            if new[0] in result:
                return None
            result[new[0]] = new[1]
    return outputs, result


@dataclass
class WarmCycle:
    """The caches a running service keeps between cycles (see the module docstring)."""

    # the sheet's rows, recomputed only where records changed
    projector: Projector = field(default_factory=Projector)
    # the last plan that changed nothing: its generation, hour, staff input and problems
    generation: int | None = None
    hour: Hour | None = None
    staff: StaffInput | None = None
    problems: list[str] = field(default_factory=list)
    staff_reader: StaffReader = field(default_factory=StaffReader)
    # the staff input of the last read, with the row lists it was read from
    staff_from: tuple[Any, ...] = ()
    staff_read: StaffInput | None = None
    # the generation whose state holds the send time of every notice sent so far
    delivered: int | None = None
    # per form, the newest submission seen in the state of ``seen_generation``
    seen: dict[str, datetime | None] | None = None
    seen_generation: int | None = None
    # the book (core.book) of the last plan, valid for the state of that generation
    book: Book | None = None
    book_generation: int | None = None
    # per state generation: values computed from the whole state
    memo_generation: int | None = None
    memo: dict[str, Any] = field(default_factory=dict)

    def latest_seen(
        self, generation: int | None, compute: Callable[[], dict[str, datetime | None]]
    ) -> dict[str, datetime | None]:
        """Per form, the newest submission seen: kept while the generation is the one it
        was kept for (moved on by ``advance_seen``), else ``compute()`` from the state."""
        if generation is None or generation != self.seen_generation or self.seen is None:
            self.seen, self.seen_generation = compute(), generation
        return dict(self.seen)

    def advance_seen(
        self, generation: int | None, marked: Mapping[str, Sequence[datetime]]
    ) -> None:
        """A cycle marked these submissions seen and committed: ``generation``'s newest."""
        if self.seen is None:
            return
        for form, times in marked.items():
            known = self.seen.get(form)
            self.seen[form] = max([*times, *([known] if known is not None else [])], default=None)
        self.seen_generation = generation

    def seen_unchanged(self, before: int | None, after: int | None) -> None:
        """A commit that changed no seen entry: what was kept for ``before`` still holds."""
        if self.seen is not None and before is not None and self.seen_generation == before:
            self.seen_generation = after

    def take_book(self, generation: int | None) -> Book | None:
        """The kept book if it indexes this generation's state; the caller owns it now
        (a cycle that fails after changing it leaves nothing behind)."""
        book, self.book = self.book, None
        if generation is None or generation != self.book_generation:
            return None
        return book

    def keep_book(self, generation: int | None, book: Book | None) -> None:
        self.book, self.book_generation = (
            (book, generation) if generation is not None else (None, None)
        )

    def forget_plan(self) -> None:
        self.generation = self.hour = self.staff = None
        self.problems = []

    def remember_plan(
        self, generation: int | None, hour: Hour, staff: StaffInput, problems: Sequence[str]
    ) -> None:
        self.generation, self.hour, self.staff = generation, hour, staff
        self.problems = list(problems)

    def unchanged(self, generation: int | None, hour: Hour, staff: StaffInput) -> bool:
        """Whether the plan remembered is this cycle's plan too."""
        return (
            generation is not None
            and generation == self.generation
            and hour == self.hour
            and staff is self.staff
        )

    def staff_of(
        self, tabs: Mapping[str, Sequence[Any]], read: Callable[[], StaffInput]
    ) -> StaffInput:
        """``read()``, unless every tab's rows are the same objects as last time."""
        source = tuple((name, rows) for name, rows in sorted(tabs.items()))
        same = len(source) == len(self.staff_from) and all(
            a[0] == b[0] and a[1] is b[1] for a, b in zip(source, self.staff_from, strict=True)
        )
        if not same or self.staff_read is None:
            self.staff_read, self.staff_from = read(), source
        return self.staff_read

    def per_state(self, generation: int | None, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per state generation (always, without a resident state)."""
        if generation is None:
            return compute()
        if generation != self.memo_generation:
            self.memo_generation, self.memo = generation, {}
        if name not in self.memo:
            self.memo[name] = compute()
        return self.memo[name]


def waiting_notices(state: State) -> dict[str, str]:
    """申請番号 → event of each deficiency notice whose send time is not recorded yet."""
    return {
        app.app_no: app.notice_event
        for app in state.applications.values()
        if app.notice_event and app.notice_sent_at is None
    }


def status_counts(state: State) -> Counter[str]:
    return Counter(a.status.value for a in state.applications.values())
