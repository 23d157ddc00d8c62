"""Planning the removal of rows on Google (issue 11 §1, SPEC §5): the row of a key that
leaves a tab goes, whether the whole tab is planned or only the rows that changed; a row
staff typed under a key of their own stays; a blank copy of a row goes."""

from __future__ import annotations

from bansou_sync.adapters.google_sheet_plan import Plan, Value, plan_keyed
from bansou_sync.adapters.google_sheet_read import TabState
from bansou_sync.adapters.sheet_cache import RowCache, key_text
from bansou_sync.core.tabs import APPLICATIONS

H = APPLICATIONS.headers


def row(n: int) -> list[Value]:
    cells: list[Value] = ["x"] * len(H)
    cells[0] = f"A-{n:06d}"
    for staff in APPLICATIONS.staff:
        cells[H.index(staff)] = ""
    return cells


def written(rows: list[list[Value]]) -> tuple[TabState, RowCache]:
    """The tab after a write of ``rows``, each tagged (ids 101, 102, …) and cached."""
    cache = RowCache("book", loaded=True)
    state = TabState(APPLICATIONS, {h: i for i, h in enumerate(H)})
    plan = Plan()
    plan_keyed(plan, state, rows, cache)
    for n, pending in enumerate(plan.rows, start=1):
        cache.put(APPLICATIONS.name, key_text(pending.key), (100 + n, pending.digest))
        state.rows[pending.key] = n
    state.last_row = len(rows)
    return state, cache


def test_a_key_no_longer_given_is_removed_through_its_tag_in_a_whole_pass() -> None:
    state, cache = written([row(1), row(2), row(3)])

    plan = Plan()
    plan_keyed(plan, state, [row(1), row(3)], cache)

    assert [(p.key, p.metadata_id, p.remove) for p in plan.removals] == [(("A-000002",), 102, True)]
    assert plan.rows == []
    assert "A-000002" in cache.keyed[APPLICATIONS.name]  # forgotten once the row is gone


def test_a_key_no_longer_given_is_removed_when_only_changed_rows_are_planned() -> None:
    rows = [row(1), row(2), row(3)]
    state, cache = written(rows)
    plan_keyed(Plan(), state, rows, cache, settled=None)  # the memo of the landed rows

    plan = Plan()
    plan_keyed(plan, state, [rows[0], rows[2]], cache, settled=rows)

    assert [p.key for p in plan.removals] == [("A-000002",)]


def test_a_row_staff_typed_under_an_unknown_key_is_not_removed() -> None:
    state, cache = written([row(1)])
    state.rows[("A-000999",)] = 2  # typed by staff: no tag, no daemon cells read

    plan = Plan()
    plan_keyed(plan, state, [row(1)], cache)

    assert plan.removals == []


def test_an_untagged_row_a_full_read_shows_bansou_sync_wrote_is_tagged_then_removed() -> None:
    state, cache = written([row(1)])
    state.rows[("A-000007",)] = 2
    state.read_back[("A-000007",)] = tuple("x" for _ in APPLICATIONS.daemon)

    plan = Plan()
    plan_keyed(plan, state, [row(1)], cache)

    (gone,) = plan.removals
    assert (gone.key, gone.metadata_id, gone.adopt_row) == (("A-000007",), None, 2)


def test_a_blank_copy_of_a_row_is_removed_and_one_with_staff_input_is_kept() -> None:
    state, cache = written([row(1), row(2)])
    state.copies = [(("A-000001",), 3, False), (("A-000002",), 4, True)]

    plan = Plan()
    plan_keyed(plan, state, [row(1), row(2)], cache)

    assert [(p.key, p.adopt_row, p.copy) for p in plan.removals] == [(("A-000001",), 3, True)]
