"""Complementary suppression (SPEC §8): for generated tables, every hidden count still has
at least two possible values given *everything* published — each breakdown's cells, the
totals, and the honoraria paid (whose 6,000s and 10,000s would tell a count).

The reader's knowledge is modelled independently of the algorithm and searched by brute
force: a ``<5`` cell is 1…4, a 秘匿 cell at least 5 and at most 申請件数; the cells of a
partition add up to 申請件数, those of a cover (multiple answers, one at least each) to
at least 申請件数.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bansou_sync.core.stats import (
    ACCEPTED,
    APPLICATIONS,
    COLUMNS,
    HONORARIA,
    SECTIONS,
    WITHHELD,
    Published,
    publish,
    tables_of,
)
from bansou_sync.core.suppression import Relation, suppress_table

MIN = 5
STATUSES = ("審査待ち", "受付完了", "支払済", "対象外")
RELATIONS = {title: relation for title, _, relation in SECTIONS}


def solutions(
    ranges: Sequence[range], relation: str, rest: int, prefix: tuple[int, ...] = ()
) -> Iterator[tuple[int, ...]]:
    """Every assignment of the hidden cells consistent with the published relation."""
    if len(prefix) == len(ranges):
        total = sum(prefix)
        if (relation == "partition" and total == rest) or (relation == "cover" and total >= rest):
            yield prefix
        return
    for value in ranges[len(prefix)]:
        if relation == "partition" and sum(prefix) + value > rest:
            break
        yield from solutions(ranges, relation, rest, (*prefix, value))


def pinned_cells(rows: list[Published], relation: str, n: int) -> list[str]:
    hidden = [r for r in rows if not isinstance(r.value, int)]
    if not hidden:
        return []
    rest = n - sum(r.value for r in rows if isinstance(r.value, int))
    ranges = [range(1, MIN) if r.value == f"<{MIN}" else range(MIN, n + 1) for r in hidden]
    seen: list[set[int]] = [set() for _ in hidden]
    for solution in solutions(ranges, relation, rest):
        for i, value in enumerate(solution):
            seen[i].add(value)
        if all(len(s) >= 2 for s in seen):
            return []
    return [r.item for r, s in zip(hidden, seen, strict=True) if len(s) < 2]


record = st.fixed_dictionaries(
    {
        "month": st.sampled_from(("2022-06", "2022-07", "2022-08", "2022-09")),
        "prefecture": st.sampled_from(("東京都", "大阪府", "愛知県")),
        "nationality": st.sampled_from(("ベトナム", "ネパール", "ペルー", "不明")),
        "status": st.sampled_from(STATUSES),
        "topics": st.lists(
            st.sampled_from(("住まい", "医療", "在留資格")), min_size=1, max_size=3, unique=True
        ),
        "destinations": st.lists(
            st.sampled_from(("病院", "入管")), min_size=1, max_size=2, unique=True
        ),
        "outcomes": st.lists(st.sampled_from(("なし", "生活保護")), min_size=1, max_size=1),
        "narrative": st.lists(
            st.sampled_from(("医療", "分類なし")), min_size=1, max_size=2, unique=True
        ),
        "long": st.booleans(),
        "supporter": st.integers(min_value=0, max_value=9),
        "client": st.integers(min_value=0, max_value=14),
    }
)


def frame_of(records: list[dict[str, object]]) -> pd.DataFrame:
    rows = [
        {
            **{k: v for k, v in r.items() if k != "long"},
            "app_no": f"A-{i:06d}",
            "client": f"C-{r['client']:04d}" if r["client"] else "",  # 0: no client code
            "supporter": f"BN-{r['supporter']:04d}",
            "paid_yen": (10000 if r["long"] else 6000) if r["status"] == "支払済" else 0,
        }
        for i, r in enumerate(records)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


@settings(max_examples=300, deadline=None)
@given(st.lists(record, max_size=30))
def test_no_published_table_pins_a_hidden_count(records: list[dict[str, object]]) -> None:
    t = tables_of(frame_of(records))
    rows = publish(t, MIN)
    n = t.totals[APPLICATIONS]
    by_section: dict[str, list[Published]] = {}
    for row in rows:
        by_section.setdefault(row.section, []).append(row)
    for title, section in by_section.items():
        if title == "合計" or section[0].item == WITHHELD:
            continue
        assert n >= MIN, "with fewer than min_cell applications nothing is broken down"
        relation = RELATIONS[title].value
        assert pinned_cells(section, relation, n) == [], (title, section)
        assert all(v.value >= MIN for v in section if isinstance(v.value, int) and v.value)


@settings(max_examples=300, deadline=None)
@given(st.lists(record, max_size=30))
def test_every_shown_cell_counts_enough_applications_supporters_and_clients(
    records: list[dict[str, object]],
) -> None:
    data = frame_of(records)
    rows = publish(tables_of(data), MIN)
    columns = {title: column for title, column, _ in SECTIONS}
    for row in rows:
        if row.section == "合計" or not isinstance(row.value, int) or row.item == WITHHELD:
            continue
        column = columns[row.section]
        under = data[
            data[column].map(lambda v, i=row.item: i in v if isinstance(v, list) else v == i)
        ]
        assert len(under) == row.value >= MIN
        assert under["supporter"].nunique() >= MIN, row
        assert under.loc[under["client"] != "", "client"].nunique() >= MIN, row
    totals = {r.item: r.value for r in rows if r.section == "合計"}
    if isinstance(totals[APPLICATIONS], int) and totals[APPLICATIONS] >= MIN:
        assert data["supporter"].nunique() >= MIN
        assert data.loc[data["client"] != "", "client"].nunique() >= MIN


@settings(max_examples=300, deadline=None)
@given(st.lists(record, max_size=30))
def test_honoraria_and_accepted_totals_never_reveal_a_hidden_verdict_count(
    records: list[dict[str, object]],
) -> None:
    t = tables_of(frame_of(records))
    rows = publish(t, MIN)
    totals = {r.item: r.value for r in rows if r.section == "合計"}
    verdicts = {r.item: r.value for r in rows if r.section == "判定"}
    paid_shown = isinstance(verdicts.get("支払済"), int)
    if isinstance(totals[HONORARIA], int) and totals[HONORARIA] > 0:
        # 6,000s and 10,000s would pin the number paid: only published when it is
        assert paid_shown
    if isinstance(totals[ACCEPTED], int) and totals[ACCEPTED] > 0:
        assert all(isinstance(verdicts.get(k, 0), int) for k in ("受付完了", "支払済"))
        assert totals[ACCEPTED] == sum(
            v for k, v in verdicts.items() if k in ("受付完了", "支払済") and isinstance(v, int)
        )


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=5),
    st.sampled_from([Relation.PARTITION, Relation.COVER]),
    st.integers(min_value=0, max_value=6),
)
def test_a_single_table_never_pins_a_hidden_cell(
    cells: list[int], relation: Relation, extra: int
) -> None:
    counts = {f"c{i}": v for i, v in enumerate(cells)}
    # a cover's total is at most its sum (every record has one item at least)
    n = sum(cells) if relation is Relation.PARTITION else max(max(cells), sum(cells) - extra)
    result = suppress_table(counts, MIN, n, relation)
    if result.withheld:
        return
    rows = [Published("t", k, v) for k, v in result.shown.items()]
    assert pinned_cells(rows, relation.value, n) == []


def test_a_lone_small_month_is_covered_by_the_next_smallest() -> None:
    result = suppress_table({"06": 12, "07": 7, "08": 3}, MIN, 22, Relation.PARTITION)
    assert result.shown == {"06": 12, "07": "秘匿", "08": "<5"}


def test_a_small_topic_is_covered_when_the_others_leave_it_only_its_maximum() -> None:
    # 10 applications, each with one topic at least: 住まい 6 + 医療 x >= 10 tells x = 4
    result = suppress_table({"住まい": 6, "医療": 4}, MIN, 10, Relation.COVER)
    assert result.shown == {"住まい": "秘匿", "医療": "<5"}


def test_a_large_cell_of_too_few_people_is_hidden_and_audited_like_any_other() -> None:
    # 12 applications of one volunteer under 病院 would be theirs: hidden, and 入管 with it
    # (else 20 − 8 tells 病院's count)
    counts, people = {"病院": 12, "入管": 8}, {"病院": 1, "入管": 6}
    result = suppress_table(counts, MIN, 20, Relation.PARTITION, people)
    assert result.shown == {"病院": "秘匿", "入管": "秘匿"}
    assert (
        pinned_cells([Published("t", k, v) for k, v in result.shown.items()], "partition", 20) == []
    )


def test_five_singletons_out_of_five_are_withheld_as_a_whole() -> None:
    counts = {f"c{i}": 1 for i in range(5)}
    assert suppress_table(counts, MIN, 5, Relation.PARTITION).withheld


def test_the_honoraria_total_is_hidden_when_the_paid_count_is() -> None:
    records = [
        {
            "month": "2022-06",
            "prefecture": "東京都",
            "nationality": "ベトナム",
            "status": s,
            "topics": ["住まい"],
            "destinations": ["病院"],
            "outcomes": ["なし"],
            "narrative": ["分類なし"],
            "long": i % 2 == 0,
            "supporter": i,
            "client": i + 1,
        }
        for i, s in enumerate(["支払済"] * 2 + ["審査待ち"] * 10)
    ]
    rows = {(r.section, r.item): r.value for r in publish(tables_of(frame_of(records)), MIN)}
    assert rows[("判定", "支払済")] == "<5"
    assert rows[("合計", HONORARIA)] == "秘匿"  # 16,000 would say: one of each, two paid
    assert rows[("合計", ACCEPTED)] == "秘匿"


def test_the_reference_programmes_stats_tab_pins_no_hidden_count() -> None:
    golden = Path(__file__).resolve().parents[1] / "golden" / "reference" / "統計.csv"
    lines = list(csv.reader(io.StringIO(golden.read_text(encoding="utf-8-sig"))))[1:]
    rows = [Published(s, i, int(v) if v.isdigit() else v) for s, i, v in lines]
    n = next(r.value for r in rows if r.item == APPLICATIONS)
    assert isinstance(n, int)
    hidden = 0
    for title, relation in RELATIONS.items():
        section = [r for r in rows if r.section == title]
        hidden += sum(not isinstance(r.value, int) for r in section)
        assert pinned_cells(section, relation.value, n) == [], title
    assert hidden >= 5  # the reference data does exercise suppression
