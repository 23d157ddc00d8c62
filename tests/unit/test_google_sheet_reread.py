"""Reading the status sheet again: the incremental parse equals a full parse (issue 5)."""

from __future__ import annotations

import random
from typing import Any

from bansou_sync.adapters.google_sheet_read import narrow_columns
from bansou_sync.adapters.google_sheet_reread import (
    Parsed,
    after_insert,
    blank,
    parse_narrow,
    reparse,
)
from bansou_sync.core.tabs import APPLICATIONS, MAILS, PAYMENTS, SUPPORTERS, TabLayout


def _reply(layout: TabLayout, rows: list[dict[str, str]]) -> tuple[list[list[Any]], ...]:
    """The narrow read Google sends for these rows (trailing blanks left out)."""
    values: list[list[list[Any]]] = [[list(layout.headers)]]
    for first, last in narrow_columns(layout):
        run: list[list[Any]] = []
        for row in rows:
            cells = [row.get(h, "") for h in layout.headers[first : last + 1]]
            while cells and cells[-1] == "":
                cells.pop()
            run.append(cells)
        while run and not run[-1]:
            run.pop()
        values.append(run)
    return tuple(values)


def _same(a: Parsed, b: Parsed) -> None:
    assert a.values == b.values
    assert a.rows == b.rows
    assert a.state.rows == b.state.rows
    assert a.state.last_row == b.state.last_row
    assert a.state.columns == b.state.columns
    assert a.problems == b.problems
    assert a.position == b.position
    assert a.state.repeats == b.state.repeats


def _applications(count: int) -> list[dict[str, str]]:
    return [{"申請番号": f"A-{i:05d}"} for i in range(1, count + 1)]


def test_an_unchanged_read_gives_back_the_same_parse() -> None:
    values = _reply(APPLICATIONS, _applications(50))
    first = parse_narrow(APPLICATIONS, values)
    assert reparse(APPLICATIONS, _reply(APPLICATIONS, _applications(50)), first) is first


def test_staff_cells_typed_since_are_parsed_like_a_full_read() -> None:
    rows = _applications(200)
    before = parse_narrow(APPLICATIONS, _reply(APPLICATIONS, rows))
    rows[3]["審査"] = "承認"
    rows[150]["審査メモ"] = "  確認済み "
    rows[199]["審査"] = "却下"  # the last row: the staff run grows to it
    values = _reply(APPLICATIONS, rows)
    again = reparse(APPLICATIONS, values, before)
    _same(again, parse_narrow(APPLICATIONS, values))
    assert again.state is before.state  # keys did not move: positions are kept
    assert again.rows[3].cells["審査"] == "承認"
    assert again.rows[150].cells["審査メモ"] == "確認済み"


def test_a_staff_cell_cleared_at_the_end_is_seen() -> None:
    rows = _applications(20)
    rows[19]["審査"] = "承認"
    before = parse_narrow(APPLICATIONS, _reply(APPLICATIONS, rows))
    rows[19]["審査"] = ""
    values = _reply(APPLICATIONS, rows)
    _same(reparse(APPLICATIONS, values, before), parse_narrow(APPLICATIONS, values))


def test_a_moved_key_or_a_keyless_row_is_parsed_in_full() -> None:
    rows = _applications(30)
    before = parse_narrow(APPLICATIONS, _reply(APPLICATIONS, rows))
    sorted_rows = list(reversed(rows))  # staff sorted the tab
    values = _reply(APPLICATIONS, sorted_rows)
    again = reparse(APPLICATIONS, values, before)
    _same(again, parse_narrow(APPLICATIONS, values))
    assert again.state.rows[("A-00001",)] == 30
    keyless = [*rows, {"審査": "承認"}]  # staff typed below the last row
    values = _reply(APPLICATIONS, keyless)
    again = reparse(APPLICATIONS, values, before)
    _same(again, parse_narrow(APPLICATIONS, values))
    assert again.problems  # the keyless row with staff content is reported


def test_rows_inserted_at_the_end_are_predicted_exactly() -> None:
    rows = _applications(40)
    rows[5]["審査"] = "差戻し"
    before = parse_narrow(APPLICATIONS, _reply(APPLICATIONS, rows))
    new = [{"申請番号": f"A-{i:05d}"} for i in range(41, 46)]
    predicted = after_insert(APPLICATIONS, before, 41, [(r["申請番号"],) for r in new])
    assert predicted is not None
    _same(predicted, parse_narrow(APPLICATIONS, _reply(APPLICATIONS, [*rows, *new])))


def test_rows_inserted_on_top_of_a_newest_first_tab_are_predicted_exactly() -> None:
    rows = [{"Message-ID": f"<m{i}@example.org>"} for i in range(10)]
    before = parse_narrow(MAILS, _reply(MAILS, rows))
    new = [{"Message-ID": f"<n{i}@example.org>"} for i in range(3)]
    predicted = after_insert(MAILS, before, 1, [(r["Message-ID"],) for r in new])
    assert predicted is not None
    _same(predicted, parse_narrow(MAILS, _reply(MAILS, [*new, *rows])))


def test_two_part_keys_and_staff_columns_are_predicted_exactly() -> None:
    rows = [
        {"締め日": "2026-10-31", "伴走ネットID": f"BN-{i:04d}", "支払済": "TRUE" if i % 3 else ""}
        for i in range(12)
    ]
    before = parse_narrow(PAYMENTS, _reply(PAYMENTS, rows))
    new = [{"締め日": "2026-11-30", "伴走ネットID": "BN-0001"}]
    predicted = after_insert(PAYMENTS, before, 13, [("2026-11-30", "BN-0001")])
    assert predicted is not None
    _same(predicted, parse_narrow(PAYMENTS, _reply(PAYMENTS, [*rows, *new])))


def test_random_staff_edits_always_parse_like_a_full_read() -> None:
    chance = random.Random(5)
    rows = [{"伴走ネットID": f"BN-{i:04d}"} for i in range(1, 120)]
    parsed = parse_narrow(SUPPORTERS, _reply(SUPPORTERS, rows))
    for _ in range(60):
        row = chance.choice(rows)
        column = chance.choice(SUPPORTERS.staff)
        row[column] = chance.choice(["", "TRUE", "FALSE", "2026-11-01", " メモ "])
        values = _reply(SUPPORTERS, rows)
        parsed = reparse(SUPPORTERS, values, parsed)
        _same(parsed, parse_narrow(SUPPORTERS, values))


def test_a_prediction_is_not_made_where_a_repeated_key_names_row_numbers() -> None:
    rows = [*_applications(3), {"申請番号": "A-00001"}]  # a duplicate key
    before = parse_narrow(APPLICATIONS, _reply(APPLICATIONS, rows))
    assert [(r.key, [n for n, _ in r.rows]) for r in before.state.repeats] == [
        (("A-00001",), [2, 5])
    ]
    assert after_insert(APPLICATIONS, before, 5, [("A-00009",)]) is None


def test_a_prediction_is_not_made_where_problems_name_row_numbers() -> None:
    rows = [*_applications(3), {"審査": "承認"}]  # staff input on a row without a key
    before = parse_narrow(APPLICATIONS, _reply(APPLICATIONS, rows))
    assert before.problems
    assert after_insert(APPLICATIONS, before, 5, [("A-00009",)]) is None


def test_a_staff_cell_changed_on_a_repeated_key_is_read_again_in_full() -> None:
    rows = [*_applications(3), {"申請番号": "A-00001"}]
    before = parse_narrow(APPLICATIONS, _reply(APPLICATIONS, rows))
    rows[3] = {"申請番号": "A-00001", "審査": "却下"}
    values = _reply(APPLICATIONS, rows)
    again = reparse(APPLICATIONS, values, before)
    _same(again, parse_narrow(APPLICATIONS, values))
    assert [cells["審査"] for _, cells in again.state.repeats[0].rows] == ["", "却下"]


def test_rows_written_into_a_new_tab_are_predicted_exactly() -> None:
    new = _applications(7)
    predicted = after_insert(APPLICATIONS, blank(APPLICATIONS), 1, [(r["申請番号"],) for r in new])
    assert predicted is not None
    _same(predicted, parse_narrow(APPLICATIONS, _reply(APPLICATIONS, new)))
    assert parse_narrow(APPLICATIONS, _reply(APPLICATIONS, [])).rows == blank(APPLICATIONS).rows
