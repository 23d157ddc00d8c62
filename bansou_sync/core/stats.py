"""Anonymised counts for the 統計 tab and ``bansou-sync report`` (SPEC §8), one computation.

``tables`` turns the ledger's applications (those not ``resubmitted``, optionally only
support months in a range) into totals and breakdowns; ``publish`` applies the
suppression of ``core/suppression`` to each breakdown and hides the totals that would
give a hidden cell away; ``stats_rows`` is the 統計 tab, ``bansou_sync/app/report`` renders
the same published rows as HTML, XLSX and PDF.

What is published, and why each figure is safe:

* Every label comes from a closed list (``core/categories``): the form's options, a
  keyword category, the 47 prefectures, the configured nationalities and regions, or
  その他 / 不明 / なし — never an answer's own text, however many applications give it.
* A cell is shown only if it counts at least ``min_cell`` applications, distinct
  supporters and distinct clients (one volunteer's five applications are not five
  people): fewer applications show ``<5``, too few people ``秘匿``.
* 合計: 申請件数, 受付完了・支払済, 謝金支払額(円), 活動した伴走者, 相談者(実人数). Totals below
  ``min_cell`` show as ``<5`` (申請件数 of fewer than ``min_cell`` supporters or clients
  ``秘匿``). 受付完了・支払済 is the sum of two 判定 cells and 謝金支払額 a
  sum of 6,000s and 10,000s that would tell how many were paid, so each is published
  only when the 判定 cells it derives from are published, else ``秘匿``.
* Partitions (each application in exactly one item; the items add up to 申請件数):
  月別 (support month), 活動地域, 国籍, 判定.
* Covers (multiple answers; each application in at least one item, blank answers count
  as 不明 / なし / 記入なし): 相談内容, 同行先, つながった公的支援, 支援内容の分類 (the
  narrative through the keyword map, ``core/narrative``).
* With fewer than ``min_cell`` applications, supporters or clients in all, no breakdown
  is published at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported when statistics are made (issue 14)
    import pandas as pd

from bansou_sync.core import categories as closed
from bansou_sync.core.categories import DEFAULT_NATIONALITIES, NationalityMap
from bansou_sync.core.frame import COLUMNS, MULTIPLE, frame_row
from bansou_sync.core.model import APP_LABELS, AppStatus
from bansou_sync.core.narrative import DEFAULT_KEYWORDS, UNMATCHED, KeywordMap
from bansou_sync.core.state import State
from bansou_sync.core.suppression import SECRET, SMALL, Relation, small, suppress_table

__all__ = [
    "COLUMNS",
    "SECRET",
    "SMALL",
    "Published",
    "Section",
    "Tables",
    "Tally",
    "publish",
    "stats_rows",
    "suppress",
    "tab_rows",
    "tables",
]

TOTAL = "合計"
APPLICATIONS, ACCEPTED, HONORARIA = "申請件数", "受付完了・支払済", "謝金支払額(円)"
SUPPORTERS, CLIENTS = "活動した伴走者", "相談者(実人数)"
WITHHELD = "(少数のため非公開)"
PAID_LABEL, ACCEPTED_LABEL = APP_LABELS[AppStatus.PAID], APP_LABELS[AppStatus.ACCEPTED]
# (title, frame column, relation) in the order the tab and the report show them
SECTIONS: tuple[tuple[str, str, Relation], ...] = (
    ("月別", "month", Relation.PARTITION),
    ("活動地域", "prefecture", Relation.PARTITION),
    ("相談内容", "topics", Relation.COVER),
    ("同行先", "destinations", Relation.COVER),
    ("つながった公的支援", "outcomes", Relation.COVER),
    ("支援内容の分類", "narrative", Relation.COVER),
    ("国籍", "nationality", Relation.PARTITION),
    ("判定", "status", Relation.PARTITION),
)
PEOPLE = ("supporter", "client")


@dataclass(frozen=True)
class Section:
    """One breakdown's true counts, and per cell the fewer of its distinct supporters and
    distinct clients (a cell is published only if both are at least ``min_cell``)."""

    title: str
    relation: Relation
    counts: dict[str, int]
    people: dict[str, int]


@dataclass(frozen=True)
class Tables:
    """The true counts (never published as such)."""

    totals: dict[str, int]
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Published:
    """One published figure: a count, ``<5`` or 秘匿 (never anything about a person)."""

    section: str
    item: str
    value: int | str


def frame(
    state: State,
    keywords: KeywordMap = DEFAULT_KEYWORDS,
    months: tuple[str, str] | None = None,
    nationalities: NationalityMap = DEFAULT_NATIONALITIES,
) -> pd.DataFrame:
    """One row per application counted (not ``resubmitted``; in ``months`` when given)."""
    rows = [
        frame_row(a, keywords, nationalities)
        for a in state.applications.values()
        if a.status != AppStatus.RESUBMITTED
        and (
            months is None
            or (a.support_date and months[0] <= a.support_date.strftime("%Y-%m") <= months[1])
        )
    ]
    import pandas as pd

    return pd.DataFrame(rows, columns=COLUMNS)


def _distinct_among(rows: pd.DataFrame, column: str, who: str) -> pd.Series:
    known = rows.loc[rows[who] != ""]
    return known.groupby(column)[who].nunique()


def tables_of(data: pd.DataFrame) -> Tables:
    status = data["status"]
    totals = {
        APPLICATIONS: len(data),
        ACCEPTED: int(status.isin([ACCEPTED_LABEL, PAID_LABEL]).sum()),
        HONORARIA: int(data["paid_yen"].sum()),
        SUPPORTERS: int(data.loc[data["supporter"] != "", "supporter"].nunique()),
        CLIENTS: int(data.loc[data["client"] != "", "client"].nunique()),
    }
    sections = []
    for title, column, relation in SECTIONS:
        rows = data[[column, "supporter", "client"]]
        if relation is Relation.COVER:
            rows = rows.explode(column)
        tally = rows[column].value_counts().sort_index()
        supporters = _distinct_among(rows, column, "supporter")
        clients = _distinct_among(rows, column, "client")
        counts = {str(k): int(v) for k, v in tally.items()}
        people = {str(k): int(min(supporters.get(k, 0), clients.get(k, 0))) for k in tally.index}
        sections.append(Section(title, relation, counts, people))
    return Tables(totals=totals, sections=tuple(sections))


_AT = {column: i for i, column in enumerate(COLUMNS)}
SUPPORTER, CLIENT = PEOPLE
_STATUS, _PAID, _SUPPORTER, _CLIENT = (_AT[c] for c in ("status", "paid_yen", *PEOPLE))
# per section: its column, where a row holds it, whether it holds a list
_SECTION_AT = tuple((column, _AT[column], column in MULTIPLE) for _, column, _ in SECTIONS)


@dataclass
class Tally:
    """What ``tables_of`` counts, kept up to date one frame row at a time.

    The service keeps one between cycles (``app.projector``): adding and removing the
    rows of the applications that changed costs O(changed), and ``tables`` costs
    O(distinct labels), where ``tables_of`` re-reads every application. The result is
    ``tables_of``'s (the tests compare them on plain data). Rows are tuples in
    ``COLUMNS`` order, each list already without repeats (``frame_row``).
    """

    count: int = 0
    accepted: int = 0
    paid_yen: int = 0
    supporters: Counter[str] = field(default_factory=Counter)
    clients: Counter[str] = field(default_factory=Counter)
    # per section's column: how many rows give each label (lists: each of their items)
    labels: dict[str, Counter[str]] = field(
        default_factory=lambda: {column: Counter() for _, column, _ in SECTIONS}
    )
    # per person kind ("supporter", "client") and section's column: how many rows give
    # each person each label (label → person → rows: no pair object per person and
    # label), and how many distinct people each label has — kept together so a cell's
    # people cost O(1) per row, however many rows there are
    pairs: dict[str, dict[str, dict[str, dict[str, int]]]] = field(
        default_factory=lambda: {p: {c: {} for _, c, _ in SECTIONS} for p in PEOPLE}
    )
    people: dict[str, dict[str, Counter[str]]] = field(
        default_factory=lambda: {p: {c: Counter() for _, c, _ in SECTIONS} for p in PEOPLE}
    )

    def add(self, row: Sequence[Any], sign: int = 1) -> None:
        """Count ``row`` in (``sign`` -1: out again, as it was counted in)."""
        self.count += sign
        self.accepted += sign * (row[_STATUS] in (ACCEPTED_LABEL, PAID_LABEL))
        self.paid_yen += sign * int(row[_PAID])
        people = []
        for kind, at, everyone in (
            (SUPPORTER, _SUPPORTER, self.supporters),
            (CLIENT, _CLIENT, self.clients),
        ):
            person = row[at]
            if person != "":
                _bump(everyone, person, sign)
                people.append((self.pairs[kind], self.people[kind], person))
        for column, at, multiple in _SECTION_AT:
            value = row[at]
            labels = value if multiple else (value,)
            counts = self.labels[column]
            for label in labels:
                _bump(counts, label, sign)
            for pairs_of, people_of, person in people:
                pairs, distinct = pairs_of[column], people_of[column]
                for label in labels:
                    rows_of = pairs.get(label)
                    if rows_of is None:
                        rows_of = pairs[label] = {}
                    n = rows_of.get(person, 0) + sign
                    if n:
                        rows_of[person] = n
                    else:
                        del rows_of[person]
                        if not rows_of:
                            del pairs[label]
                    if n == (sign > 0):  # 0 → 1: a person comes; 1 → 0: goes
                        _bump(distinct, label, sign)

    def add_all(self, rows: Sequence[Sequence[Any]]) -> None:
        """``add`` of each of ``rows`` (a backfill's thousands at once), column by column:
        the same counts, most of them counted by ``Counter`` itself."""
        self.count += len(rows)
        self.accepted += sum(r[_STATUS] in (ACCEPTED_LABEL, PAID_LABEL) for r in rows)
        self.paid_yen += sum(int(r[_PAID]) for r in rows)
        self.supporters.update(filter(None, map(itemgetter(_SUPPORTER), rows)))
        self.clients.update(filter(None, map(itemgetter(_CLIENT), rows)))
        for column, at, multiple in _SECTION_AT:
            values = list(map(itemgetter(at), rows))
            self.labels[column].update(chain.from_iterable(values) if multiple else values)
            for kind, person_at in ((SUPPORTER, _SUPPORTER), (CLIENT, _CLIENT)):
                pairs, distinct = self.pairs[kind][column], self.people[kind][column]
                for value, person in zip(values, map(itemgetter(person_at), rows), strict=True):
                    if person == "":
                        continue
                    for label in value if multiple else (value,):
                        rows_of = pairs.get(label)
                        if rows_of is None:  # the label's first person
                            pairs[label] = {person: 1}
                        elif person in rows_of:  # the same person again: not one more
                            rows_of[person] += 1
                            continue
                        else:
                            rows_of[person] = 1
                        distinct[label] = distinct.get(label, 0) + 1

    def remove(self, row: Sequence[Any]) -> None:
        self.add(row, -1)

    def tables(self) -> Tables:
        totals = {
            APPLICATIONS: self.count,
            ACCEPTED: self.accepted,
            HONORARIA: self.paid_yen,
            SUPPORTERS: len(self.supporters),
            CLIENTS: len(self.clients),
        }
        sections = []
        for title, column, relation in SECTIONS:
            counts = self.labels[column]
            supporters, clients = (self.people[kind][column] for kind in PEOPLE)
            shown = {str(k): int(counts[k]) for k in sorted(counts)}
            people = {k: min(supporters[k], clients[k]) for k in shown}
            sections.append(Section(title, relation, shown, people))
        return Tables(totals=totals, sections=tuple(sections))


def _bump(counts: Counter[Any], key: Any, sign: int) -> None:
    """Counter arithmetic that drops a key at zero (a label no row gives is not counted)."""
    n = counts[key] + sign
    if n:
        counts[key] = n
    else:
        del counts[key]


def tables(
    state: State,
    keywords: KeywordMap = DEFAULT_KEYWORDS,
    months: tuple[str, str] | None = None,
    nationalities: NationalityMap = DEFAULT_NATIONALITIES,
) -> Tables:
    return tables_of(frame(state, keywords, months, nationalities))


def unmatched(
    state: State, keywords: KeywordMap = DEFAULT_KEYWORDS, months: tuple[str, str] | None = None
) -> list[str]:
    """申請番号 of the narratives that matched no keyword (for staff only; never the text)."""
    data = frame(state, keywords, months)
    return sorted(data.loc[data["narrative"].map(lambda c: UNMATCHED in c), "app_no"])


def publish(t: Tables, min_cell: int) -> list[Published]:
    """What may be published of ``t``: small cells ``<5``, cells of too few people and
    the cells that would give a hidden one away 秘匿 (``core/suppression``), a whole
    breakdown withheld when it cannot be published safely."""
    n = t.totals[APPLICATIONS]
    # with fewer than min_cell supporters or clients in all, every cell has too few
    people = min(t.totals[SUPPORTERS], t.totals[CLIENTS])
    broken_down = n >= min_cell and people >= min_cell
    shown_sections: dict[str, dict[str, int | str]] = {}
    rows: list[Published] = []
    for section in t.sections:
        title = section.title
        if not broken_down:
            rows.append(Published(title, WITHHELD, SECRET))
            continue
        counts = in_order(section.title, section.counts)
        result = suppress_table(counts, min_cell, n, section.relation, section.people)
        if result.withheld:
            rows.append(Published(title, WITHHELD, SECRET))
            continue
        shown_sections[title] = result.shown
        rows += [Published(title, k, v) for k, v in result.shown.items()]
    verdicts = shown_sections.get("判定", {})
    # a derived total is published only when the cells it is made of are published
    paid_open = t.totals[HONORARIA] == 0 or isinstance(verdicts.get(PAID_LABEL), int)
    accepted_open = t.totals[ACCEPTED] == 0 or (
        "判定" in shown_sections
        and all(isinstance(verdicts.get(label, 0), int) for label in (ACCEPTED_LABEL, PAID_LABEL))
    )
    if not broken_down:
        paid_open = accepted_open = t.totals[ACCEPTED] == 0
    totals: list[Published] = []
    for key, value in t.totals.items():
        if (key == ACCEPTED and not accepted_open) or (key == HONORARIA and not paid_open):
            totals.append(Published(TOTAL, key, SECRET))
        elif key == HONORARIA:
            totals.append(Published(TOTAL, key, value))
        elif key == APPLICATIONS and value >= min_cell and people < min_cell:
            # five applications of one volunteer: the count is theirs (SPEC §8)
            totals.append(Published(TOTAL, key, SECRET))
        else:
            totals.append(Published(TOTAL, key, small(value, min_cell)))
    return totals + rows


_COLUMN_OF = {title: column for title, column, _ in SECTIONS}


def in_order(title: str, counts: dict[str, int]) -> dict[str, int]:
    """A section's cells in the order they are shown: prefectures in JIS code order with
    不明 and その他 last (issue 15 §2), the other sections by label."""
    if _COLUMN_OF.get(title) != "prefecture":
        return counts
    return {label: counts[label] for label in closed.prefecture_order(counts)}


def stats_rows(
    state: State,
    min_cell: int,
    keywords: KeywordMap = DEFAULT_KEYWORDS,
    nationalities: NationalityMap = DEFAULT_NATIONALITIES,
) -> list[list[str | int]]:
    """The 統計 tab's sections over applications: 区分 · 項目 · 件数 (the 伴走ネット's, over
    registrations, follow them: ``core/network``)."""
    return tab_rows(publish(tables(state, keywords, None, nationalities), min_cell))


def tab_rows(published: Sequence[Published]) -> list[list[str | int]]:
    return [[p.section, p.item, p.value] for p in published]


def suppress(counts: dict[str, int], min_cell: int, complementary: bool) -> dict[str, int | str]:
    """One partition's cells (the course survey's options, …), protected as the tab's are.

    When no publication of the cells is safe, every cell shows 秘匿 (zeros included, so
    not even which options were chosen is told).
    """
    relation = Relation.PARTITION if complementary else Relation.NONE
    result = suppress_table(counts, min_cell, sum(counts.values()), relation)
    if result.withheld:
        return dict.fromkeys(counts, SECRET)
    return result.shown
