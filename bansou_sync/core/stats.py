"""Anonymised counts for the 統計 tab and ``bansou-sync report`` (SPEC §8), one computation.

``tables`` turns the ledger's applications (those not ``resubmitted``, optionally only
support months in a range) into totals and breakdowns; ``publish`` applies the
suppression of ``core/suppression`` to each breakdown and hides the totals that would
give a hidden cell away; ``stats_rows`` is the 統計 tab, ``bansou_sync/app/report`` renders
the same published rows as HTML, XLSX and PDF.

What is published, and why each figure is safe:

* 合計: 申請件数, 受付完了・支払済, 謝金支払額(円), 活動した伴走者, 相談者(実人数). Totals below
  ``min_cell`` show as ``<5``. 受付完了・支払済 is the sum of two 判定 cells and 謝金支払額 a
  sum of 6,000s and 10,000s that would tell how many were paid, so each is published
  only when the 判定 cells it derives from are published, else ``秘匿``.
* Partitions (each application in exactly one item; the items add up to 申請件数):
  月別 (support month), 活動地域, 国籍, 判定.
* Covers (multiple answers; each application in at least one item, blank answers count
  as 不明 / なし / 記入なし): 相談内容, 同行先, つながった公的支援, 支援内容の分類 (the
  narrative through the keyword map, ``core/narrative``).
* With fewer than ``min_cell`` applications no breakdown is published at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bansou_sync.core.categories import KNOWN, RARE, rare_among, rare_labels
from bansou_sync.core.model import APP_LABELS, Application, AppStatus
from bansou_sync.core.narrative import DEFAULT_KEYWORDS, UNMATCHED, KeywordMap, categories
from bansou_sync.core.state import State
from bansou_sync.core.suppression import SECRET, SMALL, Relation, small, suppress_table

__all__ = [
    "SECRET",
    "SMALL",
    "Published",
    "Tables",
    "Tally",
    "publish",
    "stats_rows",
    "suppress",
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
COLUMNS = ["app_no", "month", "prefecture", "nationality", "status", "topics", "destinations"]
COLUMNS += ["outcomes", "narrative", "client", "supporter", "paid_yen"]
MULTIPLE = frozenset({"topics", "destinations", "outcomes", "narrative"})


@dataclass(frozen=True)
class Tables:
    """The true counts (never published as such)."""

    totals: dict[str, int]
    sections: tuple[tuple[str, Relation, dict[str, int]], ...]


@dataclass(frozen=True)
class Published:
    """One published figure: a count, ``<5`` or 秘匿 (never anything about a person)."""

    section: str
    item: str
    value: int | str


def _distinct(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def frame(
    state: State, keywords: KeywordMap = DEFAULT_KEYWORDS, months: tuple[str, str] | None = None
) -> pd.DataFrame:
    """One row per application counted (not ``resubmitted``; in ``months`` when given)."""
    rows = [
        frame_row(a, keywords)
        for a in state.applications.values()
        if a.status != AppStatus.RESUBMITTED
        and (
            months is None
            or (a.support_date and months[0] <= a.support_date.strftime("%Y-%m") <= months[1])
        )
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def frame_row(a: Application, keywords: KeywordMap = DEFAULT_KEYWORDS) -> dict[str, Any]:
    """What one application adds to the frame (the service keeps these per application
    between cycles, ``app.projector``, so a cycle does not re-read every narrative)."""
    return {
        "app_no": a.app_no,
        "month": a.support_date.strftime("%Y-%m") if a.support_date else "不明",
        "prefecture": a.prefecture or "不明",
        "nationality": a.nationality or "不明",
        "status": APP_LABELS[a.status],
        "topics": _distinct(a.topics) or ["不明"],
        "destinations": _distinct(a.destinations) or ["なし"],
        "outcomes": _distinct(a.outcomes) or ["なし"],
        "narrative": list(categories(a.narrative, keywords)),
        "client": a.client_code or "",
        "supporter": a.supporter_id or "",
        "paid_yen": (a.honorarium or 0) if a.status == AppStatus.PAID else 0,
    }


def pooled(data: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Rare free-text labels published as ``categories.RARE`` (see ``core/categories``)."""
    data = data.copy()
    for column in KNOWN:
        multiple = column in MULTIPLE
        labels = data[column].explode() if multiple else data[column]
        rare = rare_labels(column, (str(v) for v in labels.dropna()), min_cell)
        if rare:
            data[column] = data[column].map(lambda value, r=rare: _recode(value, r))
    return data


def _recode(value: str | list[str], rare: frozenset[str]) -> str | list[str]:
    if isinstance(value, list):
        return _distinct([RARE if x in rare else x for x in value])
    return RARE if value in rare else value


def tables_of(data: pd.DataFrame, min_cell: int) -> Tables:
    data = pooled(data, min_cell)
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
        series = data[column].explode() if relation is Relation.COVER else data[column]
        tally = series.value_counts().sort_index()
        sections.append((title, relation, {str(k): int(v) for k, v in tally.items()}))
    return Tables(totals=totals, sections=tuple(sections))


_AT = {column: i for i, column in enumerate(COLUMNS)}


@dataclass
class Tally:
    """What ``tables_of`` counts, kept up to date one frame row at a time (issue 5).

    The service keeps one between cycles (``app.projector``): adding and removing the
    rows of the applications that changed costs O(changed), and ``tables`` costs
    O(distinct labels), where ``tables_of`` re-reads every application. The result is
    ``tables_of``'s, pooling included (the tests compare them on plain data). Rows are
    tuples in ``COLUMNS`` order, each list already without repeats (``frame_row``).
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
    # per pooled list column: the rows' sets of labels that are no known category —
    # whether a row counts under RARE depends on which labels are rare at the time
    unknown: dict[str, Counter[frozenset[str]]] = field(
        default_factory=lambda: {c: Counter() for c in KNOWN if c in MULTIPLE}
    )

    def add(self, row: Sequence[Any], sign: int = 1) -> None:
        """Count ``row`` in (``sign`` -1: out again, as it was counted in)."""
        status = row[_AT["status"]]
        self.count += sign
        self.accepted += sign * (status in (ACCEPTED_LABEL, PAID_LABEL))
        self.paid_yen += sign * int(row[_AT["paid_yen"]])
        for name, people in (("supporter", self.supporters), ("client", self.clients)):
            if row[_AT[name]] != "":
                _bump(people, row[_AT[name]], sign)
        for column, counts in self.labels.items():
            value = row[_AT[column]]
            for label in value if column in MULTIPLE else (value,):
                _bump(counts, label, sign)
        for column, sets in self.unknown.items():
            strange = frozenset(row[_AT[column]]).difference(KNOWN[column])
            if strange:
                _bump(sets, strange, sign)

    def remove(self, row: Sequence[Any]) -> None:
        self.add(row, -1)

    def tables(self, min_cell: int) -> Tables:
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
            rare = rare_among(column, counts, min_cell)
            if rare:
                counts = self._pooled(column, counts, rare)
            shown = {str(k): int(counts[k]) for k in sorted(counts)}
            sections.append((title, relation, shown))
        return Tables(totals=totals, sections=tuple(sections))

    def _pooled(self, column: str, counts: Counter[str], rare: frozenset[str]) -> Counter[str]:
        """``pooled``'s recoding, on counts: the rare labels become one RARE label,
        counted once per row (a list item) or per application (a single answer)."""
        kept = Counter({k: n for k, n in counts.items() if k not in rare and k != RARE})
        if column in MULTIPLE:
            pooled = rare | {RARE}
            in_rare = sum(n for labels, n in self.unknown[column].items() if labels & pooled)
        else:
            in_rare = sum(n for k, n in counts.items() if k in rare or k == RARE)
        if in_rare:
            kept[RARE] = in_rare
        return kept


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
    min_cell: int = 5,
) -> Tables:
    return tables_of(frame(state, keywords, months), min_cell)


def unmatched(
    state: State, keywords: KeywordMap = DEFAULT_KEYWORDS, months: tuple[str, str] | None = None
) -> list[str]:
    """申請番号 of the narratives that matched no keyword (for staff only; never the text)."""
    data = frame(state, keywords, months)
    return sorted(data.loc[data["narrative"].map(lambda c: UNMATCHED in c), "app_no"])


def publish(t: Tables, min_cell: int) -> list[Published]:
    n = t.totals[APPLICATIONS]
    shown_sections: dict[str, dict[str, int | str]] = {}
    rows: list[Published] = []
    for title, relation, counts in t.sections:
        if n < min_cell:
            rows.append(Published(title, WITHHELD, SECRET))
            continue
        result = suppress_table(counts, min_cell, n, relation)
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
    if n < min_cell:
        paid_open = accepted_open = t.totals[ACCEPTED] == 0
    totals: list[Published] = []
    for key, value in t.totals.items():
        if (key == ACCEPTED and not accepted_open) or (key == HONORARIA and not paid_open):
            totals.append(Published(TOTAL, key, SECRET))
        elif key == HONORARIA:
            totals.append(Published(TOTAL, key, value))
        else:
            totals.append(Published(TOTAL, key, small(value, min_cell)))
    return totals + rows


def stats_rows(
    state: State, min_cell: int = 5, keywords: KeywordMap = DEFAULT_KEYWORDS
) -> list[list[str | int]]:
    """The 統計 tab: 区分 · 項目 · 件数."""
    published = publish(tables(state, keywords, None, min_cell), min_cell)
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
