"""The PDF report as a handout (issue 15 §2): A4 pages, each with the title, the period
and the date of preparation at the top and its number at the bottom; tables with rules
and right-aligned numbers; the charts and maps sized to the page.

``layout`` decides what goes on which page (plain data, tested without drawing);
``figures`` draws those pages with matplotlib. Text stays text (TrueType embedded), so a
reader can search and copy the tables.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bansou_sync.app import report_charts as charts
from bansou_sync.app import report_maps
from bansou_sync.core.maps import PrefectureMap
from bansou_sync.core.stats import Published

if TYPE_CHECKING:  # only for the types: report imports this module
    from bansou_sync.app.report import Report

WIDTH, HEIGHT = 8.27, 11.69  # A4, inches
LEFT, RIGHT = 0.9, 7.37  # the text column
TOP, BOTTOM = HEIGHT - 0.9, 0.85  # the content between the header and the page number
TABLE_RIGHT = 5.6  # the right edge of a table: numbers end here
TITLE_H, HEAD_H, ROW_H, GAP = 0.36, 0.28, 0.23, 0.28
MIN_ROWS = 4  # a table starts on a new page rather than with fewer rows than this
LEGEND_CHARS = 112  # half-width characters per line of the 8-point legend
LEGEND_LINE = 0.17


@dataclass(frozen=True)
class Heading:
    lines: tuple[str, ...]  # the legend, wrapped

    @property
    def height(self) -> float:
        return 1.05 + LEGEND_LINE * len(self.lines) + GAP


@dataclass(frozen=True)
class Table:
    title: str
    rows: tuple[Published, ...]
    continued: bool = False

    @property
    def height(self) -> float:
        return TITLE_H + HEAD_H + ROW_H * len(self.rows) + GAP


@dataclass(frozen=True)
class Chart:
    title: str
    rows: tuple[Published, ...]

    @property
    def height(self) -> float:
        return min(charts.chart_height(self.rows), TOP - BOTTOM - GAP) + GAP


@dataclass(frozen=True)
class Maps:
    maps: tuple[PrefectureMap, ...]  # drawn one above the other on a page of their own

    height = TOP - BOTTOM


Block = Heading | Table | Chart | Maps
Page = list[tuple[float, Block]]  # each block with its top, inches from the page's bottom


def wrap(text: str, width: int = LEGEND_CHARS) -> list[str]:
    """Lines of at most ``width`` half-width characters (a full-width one counts two),
    broken between Japanese characters or at spaces, never inside an English word."""
    lines, line, used = [], "", 0
    for token in re.findall(r"[!-~]+|\s|.", text):
        size = sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in token)
        if used + size > width and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
            if token.isspace():
                continue
        line += token
        used += size
    if line.strip():
        lines.append(line.rstrip())
    return lines


def blocks(report: Report) -> list[Block]:
    """The handout in reading order: the cover (title, period, legend, totals), the two
    maps, then each breakdown's table followed by its chart."""
    legend = report.legend
    cut = legend.index(" / ")
    out: list[Block] = [Heading(tuple(wrap(legend[:cut]) + wrap(legend[cut + 3 :])))]
    drawn = dict(charts.charted(report.sections()))
    for number, (title, rows) in enumerate(report.sections()):
        out.append(Table(title, tuple(rows)))
        if number == 0 and report.maps:
            out.append(Maps(report.maps))
        if title in drawn:
            out.append(Chart(title, tuple(rows)))
    return out


def layout(items: list[Block]) -> list[Page]:
    """Pages of blocks, top to bottom: a table too long for the rest of a page goes on
    (its title marked 続き) on the next; charts and maps are never cut."""
    pages: list[Page] = [[]]
    y = TOP

    def new_page() -> None:
        nonlocal y
        if pages[-1]:
            pages.append([])
        y = TOP

    for block in items:
        if isinstance(block, Table):
            rows, continued = list(block.rows), False
            while True:
                room = int((y - BOTTOM - TITLE_H - HEAD_H - GAP) // ROW_H)
                if room < min(MIN_ROWS, len(rows)) and pages[-1]:
                    new_page()
                    continue
                left = len(rows) - room
                if 0 < left < MIN_ROWS and room - (MIN_ROWS - left) >= MIN_ROWS:
                    room -= MIN_ROWS - left  # no table ends with a few rows alone on a page
                part = Table(block.title, tuple(rows[: max(room, 1)]), continued)
                pages[-1].append((y, part))
                y -= part.height
                rows, continued = rows[len(part.rows) :], True
                if not rows:
                    break
                new_page()
            continue
        if isinstance(block, Maps) or y - block.height < BOTTOM:
            new_page()
        pages[-1].append((y, block))
        y -= block.height
        if isinstance(block, Maps):
            new_page()
    return [page for page in pages if page]


def maps_page(report: Report) -> int:
    """The index of the page that holds the maps."""
    pages = layout(blocks(report))
    return next(i for i, page in enumerate(pages) if any(isinstance(b, Maps) for _, b in page))


# --- drawing ----------------------------------------------------------------------------


def _text(fig: Any, x: float, y: float, text: str, size: float, **kw: Any) -> None:
    fig.text(x / WIDTH, y / HEIGHT, text, fontsize=size, va="top", **kw)


def _rule(fig: Any, x0: float, x1: float, y: float, width: float, colour: str = "#222") -> None:
    from matplotlib.lines import Line2D

    line = Line2D([x0 / WIDTH, x1 / WIDTH], [y / HEIGHT, y / HEIGHT], linewidth=width)
    line.set_color(colour)
    fig.add_artist(line)


def _frame(fig: Any, report: Report, number: int, count: int) -> None:
    """The header and the page number every page carries."""
    _text(fig, LEFT, HEIGHT - 0.45, report.title, 8, color="#444")
    when = f"対象期間 {report.period.label} ・ 作成日 {report.made_on.isoformat()}"
    _text(fig, RIGHT, HEIGHT - 0.45, when, 8, color="#444", ha="right")
    _rule(fig, LEFT, RIGHT, HEIGHT - 0.66, 0.5, "#888")
    _text(fig, WIDTH / 2, 0.55, f"{number} / {count}", 9, ha="center")


def _heading(fig: Any, report: Report, top: float, block: Heading) -> None:
    _text(fig, LEFT, top, report.title, 16)
    _text(fig, LEFT, top - 0.5, f"対象期間(支援実施月) / period: {report.period.label}", 10)
    _text(fig, LEFT, top - 0.75, f"作成日 / made on: {report.made_on.isoformat()}", 10)
    for i, line in enumerate(block.lines):
        _text(fig, LEFT, top - 1.05 - i * LEGEND_LINE, line, 8, color="#333")


def _table(fig: Any, top: float, block: Table) -> None:
    title = f"{block.title}(続き)" if block.continued else block.title
    _text(fig, LEFT, top, title, 12)
    y = top - TITLE_H
    _rule(fig, LEFT, TABLE_RIGHT, y, 1.2)
    _text(fig, LEFT + 0.08, y - 0.06, "項目", 9.5)
    _text(fig, TABLE_RIGHT - 0.08, y - 0.06, charts.unit(block.title), 9.5, ha="right")
    y -= HEAD_H
    _rule(fig, LEFT, TABLE_RIGHT, y, 0.8)
    for number, row in enumerate(block.rows):
        _text(fig, LEFT + 0.08, y - 0.045, row.item, 9.5)
        _text(fig, TABLE_RIGHT - 0.08, y - 0.045, charts.shown(row.value), 9.5, ha="right")
        y -= ROW_H
        last = number == len(block.rows) - 1
        _rule(fig, LEFT, TABLE_RIGHT, y, 1.2 if last else 0.3, "#222" if last else "#bbb")


def _chart(fig: Any, top: float, block: Chart) -> None:
    height = block.height - GAP - 0.55  # the title above, the axis below
    left = LEFT + 1.5  # room for the labels
    box = [left / WIDTH, (top - 0.35 - height) / HEIGHT, (RIGHT - left - 0.3) / WIDTH]
    charts.draw_bars(fig.add_axes([*box, height / HEIGHT]), block.title, block.rows)


def _maps(fig: Any, top: float, block: Maps) -> None:
    share = (top - BOTTOM) / max(len(block.maps), 1)
    for i, m in enumerate(block.maps):
        upper = top - i * share
        box = [LEFT / WIDTH, (upper - share + 0.35) / HEIGHT, (RIGHT - LEFT) / WIDTH]
        report_maps.draw_map(fig.add_axes([*box, (share - 0.45) / HEIGHT]), m, fontsize=7.5)
        if m.off_map:
            note = "、".join(f"{k} {charts.shown(v)}" for k, v in m.off_map)
            _text(fig, LEFT, upper - share + 0.3, f"地図にない項目 / not on the map: {note}", 8)


def figures(report: Report, plt: Any) -> list[Any]:
    """The A4 pages as matplotlib figures."""
    pages = layout(blocks(report))
    drawn = []
    for number, page in enumerate(pages, start=1):
        fig = plt.figure(figsize=(WIDTH, HEIGHT))
        _frame(fig, report, number, len(pages))
        for top, block in page:
            if isinstance(block, Heading):
                _heading(fig, report, top, block)
            elif isinstance(block, Table):
                _table(fig, top, block)
            elif isinstance(block, Chart):
                _chart(fig, top, block)
            else:
                _maps(fig, top, block)
        drawn.append(fig)
    return drawn
