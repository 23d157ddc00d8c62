"""Issue 5: the 統計 counts kept row by row (``stats.Tally``) are exactly what the full
computation over every application (``stats.tables_of``, pandas) gives — the counts and
each cell's distinct supporters and clients, rows added, changed and taken out again."""

from __future__ import annotations

import random
from typing import Any

import pandas as pd
import pytest

from bansou_sync.core.stats import COLUMNS, Tally, publish, tables_of

MIN = 5
PREFECTURES = ["東京都", "大阪府", "その他", "不明"]
NATIONALITIES = ["ベトナム", "ネパール", "その他", "不明"]
TOPICS = ["医療", "住まい", "在留資格", "その他"]
DESTINATIONS = ["病院", "入管", "その他", "なし"]
OUTCOMES = ["生活保護", "就学援助", "なし", "その他"]
NARRATIVE = ["医療", "住まい", "分類なし", "記入なし"]
STATUSES = ["受付完了", "支払済", "不備あり", "対象外", "審査待ち"]


def some(rng: random.Random, labels: list[str], blank: str) -> list[str]:
    picked = list(dict.fromkeys(rng.sample(labels, rng.randint(0, 3))))
    return picked or [blank]


def frame_row(rng: random.Random, n: int) -> dict[str, Any]:
    """A frame row as ``stats.frame_row`` makes it (lists without repeats, never empty)."""
    status = rng.choice(STATUSES)
    return {
        "app_no": f"A-{n:05d}",
        "month": rng.choice(["2022-06", "2022-07", "不明"]),
        "prefecture": rng.choice(PREFECTURES),
        "nationality": rng.choice(NATIONALITIES),
        "status": status,
        "topics": some(rng, TOPICS, "不明"),
        "destinations": some(rng, DESTINATIONS, "なし"),
        "outcomes": some(rng, OUTCOMES, "なし"),
        "narrative": some(rng, NARRATIVE, "記入なし"),
        "client": rng.choice(["", "C-1", "C-2", "C-3", "C-4", "C-5", "C-6"]),
        "supporter": rng.choice(["", "BN-0001", "BN-0002", "BN-0003", "BN-0004", "BN-0005"]),
        "paid_yen": rng.choice([6000, 10000]) if status == "支払済" else 0,
    }


def as_tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in COLUMNS)


def full(rows: dict[str, dict[str, Any]]) -> Any:
    return tables_of(pd.DataFrame(list(rows.values()), columns=COLUMNS))


@pytest.mark.parametrize("seed", range(6))
def test_the_kept_counts_equal_the_full_tables_while_rows_come_change_and_go(seed: int) -> None:
    rng = random.Random(seed)
    rows: dict[str, dict[str, Any]] = {}
    tally = Tally()
    for step in range(100):
        key = f"A-{rng.randrange(60):05d}"
        before = rows.pop(key, None)
        if before is not None:
            tally.remove(as_tuple(before))
        if rng.random() < 0.8:  # changed or new; otherwise gone (resubmitted, purged)
            rows[key] = frame_row(rng, step)
            tally.add(as_tuple(rows[key]))
        expected = full(rows)
        assert tally.tables() == expected
        assert publish(tally.tables(), MIN) == publish(expected, MIN)


def test_a_cell_keeps_each_person_while_any_of_their_rows_is_counted() -> None:
    rng = random.Random(7)
    rows = {f"A-{i:05d}": frame_row(rng, i) for i in range(40)}
    tally = Tally()
    for row in rows.values():
        tally.add(as_tuple(row))
    # one supporter's two rows under the same label: the supporter stays after one goes
    twins = {**frame_row(rng, 100), "supporter": "BN-0009", "client": "C-9", "topics": ["医療"]}
    for key in ("B-1", "B-2"):
        rows[key] = dict(twins)
        tally.add(as_tuple(twins))
    assert tally.tables() == full(rows)
    tally.remove(as_tuple(rows.pop("B-1")))
    assert tally.tables() == full(rows)
    section = next(s for s in tally.tables().sections if s.title == "相談内容")
    assert section.people["医療"] == full(rows).sections[2].people["医療"]


def test_an_empty_tally_gives_the_tables_of_no_application() -> None:
    tally = Tally()
    assert tally.tables() == full({})
    row = frame_row(random.Random(1), 1)
    tally.add(as_tuple(row))
    tally.remove(as_tuple(row))
    assert tally.tables() == full({})
    assert tally == Tally()  # nothing left behind: zero counts are dropped


@pytest.mark.parametrize("seed", range(4))
def test_rows_counted_in_at_once_give_what_counting_them_one_by_one_gives(seed: int) -> None:
    rng = random.Random(seed)
    rows = {f"A-{i:05d}": frame_row(rng, i) for i in range(300)}
    one_by_one, at_once = Tally(), Tally()
    for row in rows.values():
        one_by_one.add(as_tuple(row))
    at_once.add_all([as_tuple(r) for r in rows.values()])
    assert at_once == one_by_one
    assert at_once.tables() == full(rows)
    # a tally already holding rows counts a batch on top of them, and lets them go again
    more = {f"B-{i:05d}": frame_row(rng, 1000 + i) for i in range(80)}
    at_once.add_all([as_tuple(r) for r in more.values()])
    assert at_once.tables() == full({**rows, **more})
    for row in more.values():
        at_once.remove(as_tuple(row))
    assert at_once == one_by_one
