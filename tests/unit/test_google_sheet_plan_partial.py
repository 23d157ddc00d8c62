"""Planning a tab from the rows changed since the last write gives the plan a whole
pass gives (issue 5: a 60,000-row tab is not walked row by row for ten changes)."""

from __future__ import annotations

import copy
import random

from bansou_sync.adapters.google_sheet_plan import Plan, Value, plan_keyed
from bansou_sync.adapters.google_sheet_read import TabState
from bansou_sync.adapters.sheet_cache import RowCache, key_text
from bansou_sync.core.tabs import APPLICATIONS, MAILS, TabLayout


def _row(layout: TabLayout, key: str, text: str) -> list[Value]:
    cells: list[Value] = [text] * len(layout.headers)
    cells[layout.headers.index(layout.key[0])] = key
    return cells


def _landed(layout: TabLayout, rows: list[list[Value]], cache: RowCache) -> TabState:
    """The sheet after the last write: every row there, tagged, its digest cached."""
    plan = Plan()
    state = TabState(layout, {h: i for i, h in enumerate(layout.headers)})
    plan_keyed(plan, state, rows, cache)
    for n, pending in enumerate(plan.rows):
        cache.put(layout.name, key_text(pending.key), (n + 1, pending.digest))
    for i, row in enumerate(rows, start=1):
        state.rows[(str(row[layout.headers.index(layout.key[0])]),)] = i
    state.last_row = len(rows)
    return state


def _known(cache: RowCache) -> dict[str, dict[str, tuple[int | None, str]]]:
    """What the cache knows; (None, "") is "nothing known", as an absent key."""
    return {
        t: {k: v for k, v in rows.items() if v != (None, "")} for t, rows in cache.keyed.items()
    }


def _summary(plan: Plan) -> tuple[object, ...]:
    inserts = {t: (at, [p.key for p in new]) for t, (at, new) in plan.inserts.items()}
    return (sorted((p.key, p.digest, p.metadata_id) for p in plan.rows), inserts)


def test_planning_only_the_changed_rows_equals_a_whole_pass() -> None:
    chance = random.Random(7)
    for layout, on_top in ((APPLICATIONS, False), (MAILS, True)):
        for trial in range(30):
            rows = [_row(layout, f"K{n:05d}", "v") for n in range(200)]
            cache = RowCache("s")
            state = _landed(layout, rows, cache)
            given = list(rows)
            for i in chance.sample(range(len(given)), chance.choice([0, 1, 3, 5, 60])):
                given[i] = _row(layout, f"K{i:05d}", f"changed {trial}")  # a record changed
            if chance.random() < 0.3:
                given[3] = list(given[3])  # the same values, a new object
            fresh = [_row(layout, f"N{trial}-{n}", "new") for n in range(chance.randrange(0, 4))]
            given = [*fresh, *given] if on_top else [*given, *fresh]
            whole_cache, part_cache = copy.deepcopy(cache), cache
            whole_cache.memo = {}
            whole, part = Plan(), Plan()
            plan_keyed(whole, state, given, whole_cache)
            plan_keyed(part, state, given, part_cache, settled=rows)
            assert _summary(part) == _summary(whole), (layout.name, trial)
            assert _known(part_cache) == _known(whole_cache)
