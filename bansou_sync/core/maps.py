"""The report's two maps of Japan (issue 15 §2): which shade each prefecture gets.

A map is a picture of a published table, never of the true counts. ``choropleth`` reads
one table's *published* cells — a count, ``<5``, 秘匿, or the whole table withheld — and
gives each of the 47 prefectures (JIS order) its shade:

* a published count: the colour class (``Band``) that holds it. The classes are fixed
  steps of 1-2-5 (5–9, 10–19, 20–49, …; decades when that would make more than six)
  from ``min_cell`` up to the largest published count, so they too come from
  published values only;
* ``<5`` or 秘匿: ``HIDDEN``, drawn hatched grey and named in the legend as suppressed —
  never a colour, whatever the true count;
* no cell: ``EMPTY`` (the table lists no such row: none there);
* a withheld table: every prefecture ``HIDDEN``.

その他 and 不明 have no place on a map; they are listed beside it as published.

The network map's cells are ``core.network``'s 伴走ネット 活動地域 section, the supports
map's the applications' 活動地域 section, both as ``app.report`` has just published them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise

from bansou_sync.core.categories import PREFECTURES
from bansou_sync.core.stats import WITHHELD

HIDDEN, EMPTY = "hidden", "empty"
MOST_BANDS = 6
Shade = int | str  # a band's index (0: the fewest) or HIDDEN or EMPTY
Cells = Mapping[str, int | str]  # one published table: item → count, ``<5`` or 秘匿

NETWORK_TITLE = "伴走ネット: 有効な登録者の活動地域"
SUPPORTS_TITLE = "支援: 申請の活動地域"


@dataclass(frozen=True)
class Band:
    """One colour class: counts ``low`` … ``high``."""

    low: int
    high: int

    def label(self, unit: str) -> str:
        if self.low == self.high:
            return f"{self.low:,}{unit}"
        return f"{self.low:,}〜{self.high:,}{unit}"


@dataclass(frozen=True)
class PrefectureMap:
    """What a map shows: a shade per prefecture, the legend's classes, and what the map
    cannot place (その他, 不明) as published. It holds no count that was not published."""

    title: str
    unit: str  # 人 / 件
    bands: tuple[Band, ...]
    shades: tuple[tuple[str, Shade], ...]  # the 47 prefectures, JIS order
    off_map: tuple[tuple[str, int | str], ...]
    min_cell: int = 5
    withheld: bool = False

    def coloured(self) -> dict[str, int]:
        return {p: s for p, s in self.shades if isinstance(s, int)}

    def hidden(self) -> list[str]:
        return [p for p, s in self.shades if s == HIDDEN]

    def describe(self) -> str:
        """The map in words (its alt text; what a screen reader says)."""
        if self.withheld:
            return f"{self.title}の地図: 少数のため、すべての都道府県を非公開としています。"
        parts = [f"{self.title}の地図(都道府県別)。"]
        for index, band in enumerate(self.bands):
            names = [p for p, s in self.shades if s == index]
            if names:
                parts.append(f"{band.label(self.unit)}: {'、'.join(names)}。")
        if self.hidden():
            parts.append(f"非公開(<{self.min_cell}・秘匿): {'、'.join(self.hidden())}。")
        if not self.coloured() and not self.hidden():
            parts.append("該当なし。")
        if self.off_map:
            shown = "、".join(f"{k} {_shown(v)}" for k, v in self.off_map)
            parts.append(f"地図にない項目: {shown}。")
        return "".join(parts)


def _shown(value: int | str) -> str:
    return f"{value:,}" if isinstance(value, int) else value


def _nice(start: int, steps: tuple[int, ...]) -> Iterator[int]:
    """1, 2, 5, 10, 20, 50, … (``steps`` (1, 2, 5)) or 1, 10, 100, … (``steps`` (1,))."""
    scale = 1
    while True:
        for step in steps:
            if step * scale > start:
                yield step * scale
        scale *= 10


def bands(values: Iterable[int], min_cell: int) -> tuple[Band, ...]:
    """The colour classes for these published counts: from ``min_cell`` (or the least
    count, were one ever published below it) in 1-2-5 steps up to the largest count."""
    shown = [v for v in values if v > 0]
    if not shown:
        return ()
    low, top = min(min(shown), max(min_cell, 1)), max(shown)
    for steps in ((1, 2, 5), (1,)):
        edges = [low]
        for edge in _nice(low, steps):
            edges.append(edge)
            if edge > top:
                break
        classes = tuple(Band(a, b - 1) for a, b in pairwise(edges))
        if len(classes) <= MOST_BANDS:
            break
    return classes


def choropleth(title: str, unit: str, cells: Cells, min_cell: int) -> PrefectureMap:
    """Each prefecture's shade from one table's published cells (module doc)."""
    if WITHHELD in cells:
        every = tuple((p, HIDDEN) for p in PREFECTURES)
        return PrefectureMap(title, unit, (), every, (), min_cell, withheld=True)
    counts = [v for p, v in cells.items() if p in PREFECTURES and isinstance(v, int)]
    classes = bands(counts, min_cell)
    shades: list[tuple[str, Shade]] = []
    for name in PREFECTURES:
        value = cells.get(name, 0)
        if isinstance(value, str):
            shades.append((name, HIDDEN))
        elif value <= 0:
            shades.append((name, EMPTY))
        else:
            shades.append((name, next(i for i, b in enumerate(classes) if value <= b.high)))
    off_map = tuple((k, v) for k, v in cells.items() if k not in PREFECTURES)
    return PrefectureMap(title, unit, classes, tuple(shades), off_map, min_cell)
