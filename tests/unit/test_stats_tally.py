"""Issue 5: the 統計 counts kept row by row (``stats.Tally``) are exactly what the full
computation over every application (``stats.tables_of``, pandas) gives — rare labels
pooled, RARE spelled out by someone, rows added, changed and taken out again."""

from __future__ import annotations

import random
from typing import Any

import pandas as pd
import pytest

from bansou_sync.core.categories import RARE
from bansou_sync.core.stats import COLUMNS, Tally, publish, tables_of

MIN = 5
PREFECTURES = ["東京都", "大阪府", "架空県", "不明"]  # 架空県: free text, not a prefecture
NATIONALITIES = ["ベトナム", "ネパール", "トンガ", "ツバル", RARE, "不明"]
TOPICS = ["医療", "住まい", "その他", "占い", "落とし物", RARE]  # the last three: typed
DESTINATIONS = ["病院", "入管", "港", "なし"]
OUTCOMES = ["生活保護", "就学援助", "なし", "図書館カード"]
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
        "client": rng.choice(["", "C-1", "C-2", "C-3"]),
        "supporter": rng.choice(["", "BN-0001", "BN-0002"]),
        "paid_yen": rng.choice([6000, 10000]) if status == "支払済" else 0,
    }


def as_tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in COLUMNS)


def full(rows: dict[str, dict[str, Any]], min_cell: int) -> Any:
    return tables_of(pd.DataFrame(list(rows.values()), columns=COLUMNS), min_cell)


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
        for min_cell in (1, 3, MIN):
            assert tally.tables(min_cell) == full(rows, min_cell)


def test_a_typed_label_is_pooled_while_rare_and_named_once_enough_rows_give_it() -> None:
    rng = random.Random(7)
    rows = {f"A-{i:05d}": frame_row(rng, i) for i in range(40)}
    tally = Tally()
    for row in rows.values():
        tally.add(as_tuple(row))
    # 占い and 落とし物 on the same row count once under RARE, as pooled() counts it
    for i in range(MIN - 1):
        rows[f"B-{i}"] = {**frame_row(rng, 100 + i), "topics": ["占い", "落とし物", "医療"]}
        tally.add(as_tuple(rows[f"B-{i}"]))
    assert tally.tables(MIN) == full(rows, MIN)
    rows["B-9"] = {**frame_row(rng, 200), "topics": ["落とし物"], "nationality": "トンガ"}
    tally.add(as_tuple(rows["B-9"]))
    assert tally.tables(MIN) == full(rows, MIN)
    assert publish(tally.tables(MIN), MIN) == publish(full(rows, MIN), MIN)


def test_an_empty_tally_gives_the_tables_of_no_application() -> None:
    tally = Tally()
    assert tally.tables(MIN) == full({}, MIN)
    row = frame_row(random.Random(1), 1)
    tally.add(as_tuple(row))
    tally.remove(as_tuple(row))
    assert tally.tables(MIN) == full({}, MIN)
    assert tally == Tally()  # nothing left behind: zero counts are dropped
