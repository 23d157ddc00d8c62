"""``bansou-sync report``: the published counts of ``core/stats`` as HTML, XLSX or PDF.

The ledger is the only input (opened read-only, so the report is the same whatever
backends the daemon uses). Only ``core.stats.publish`` rows reach a file: counts, ``<5``
and 秘匿 under category labels — never a name, address, narrative or ID. The list of
applications whose narrative matched no keyword is a separate, staff-only CSV of
申請番号. The HTML and the PDF also carry two maps of Japan (``core/maps``: shades from
published cells only; drawn by ``report_maps``); the PDF's pages are laid out as a
handout by ``report_pdf``, the bar charts drawn by ``report_charts``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bansou_sync.app import report_charts as charts
from bansou_sync.core.categories import DEFAULT_NATIONALITIES, NationalityMap
from bansou_sync.core.maps import NETWORK_TITLE, SUPPORTS_TITLE, PrefectureMap, choropleth
from bansou_sync.core.narrative import KeywordMap
from bansou_sync.core.network import NET_PREFECTURE, network_rows, section_cells
from bansou_sync.core.state import State
from bansou_sync.core.stats import TOTAL, Published, publish, tables, unmatched
from bansou_sync.core.untrusted import FORMULA_START
from bansou_sync.errors import BansouError
from bansou_sync.ports import WriteFile

Format = Literal["html", "xlsx", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "xlsx", "pdf")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "report"
TITLE = "伴走支援事業 統計報告 / Anonymised statistics"
LEGEND = (
    "「<{n}」は{n}件未満、「秘匿」は伴走者か相談者が{n}人未満の数と、他の数から逆算されないよう"
    "伏せた数です。 / “<{n}” is fewer than {n}; “秘匿” is hidden: fewer than {n} supporters"
    " or clients, or so that no small count can be worked out."
)


SUPPORTS_SECTION = "活動地域"  # core.stats: applications by their supporter's prefecture


class ReportError(BansouError):
    """The report cannot be made as asked (period, output path)."""


@dataclass(frozen=True)
class Period:
    start: str  # YYYY-MM
    end: str

    @property
    def label(self) -> str:
        return f"{self.start} 〜 {self.end}"


def month(text: str, option: str) -> str:
    value = text.strip()
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise ReportError(
            f"{option}: 年月を YYYY-MM で指定してください / expected YYYY-MM: {text!r}"
        )
    return value


def period(start: str, end: str) -> Period:
    if start > end:
        raise ReportError(f"--from {start} が --to {end} より後です / --from is after --to")
    return Period(start, end)


@dataclass(frozen=True)
class Report:
    period: Period
    made_on: date
    min_cell: int
    rows: tuple[Published, ...]
    unmatched: tuple[str, ...]  # 申請番号, staff only: never rendered into the report
    maps: tuple[PrefectureMap, ...] = ()  # drawn from published cells only (core/maps)

    def sections(self) -> list[tuple[str, list[Published]]]:
        grouped: dict[str, list[Published]] = {}
        for row in self.rows:
            grouped.setdefault(row.section, []).append(row)
        return list(grouped.items())

    @property
    def legend(self) -> str:
        return LEGEND.format(n=self.min_cell)

    @property
    def title(self) -> str:
        return TITLE


def build(
    state: State,
    keywords: KeywordMap,
    min_cell: int,
    span: Period,
    made_on: date,
    nationalities: NationalityMap = DEFAULT_NATIONALITIES,
) -> Report:
    months = (span.start, span.end)
    rows = publish(tables(state, keywords, months, nationalities), min_cell)
    rows += network_rows(state, min_cell, months)  # the 伴走ネット's sections (issue 15 §2)
    no_match = tuple(unmatched(state, keywords, months))
    return Report(span, made_on, min_cell, tuple(rows), no_match, maps(rows, min_cell))


def maps(rows: list[Published], min_cell: int) -> tuple[PrefectureMap, ...]:
    """The network (active volunteers registered by the period's end, the 伴走ネット
    活動地域 section) and the supports (the applications' 活動地域 section), each drawn from
    the cells just published and nothing else."""
    return (
        choropleth(NETWORK_TITLE, "人", section_cells(rows, NET_PREFECTURE), min_cell),
        choropleth(SUPPORTS_TITLE, "件", section_cells(rows, SUPPORTS_SECTION), min_cell),
    )


def write(report: Report, fmt: Format, out: Path, save: WriteFile) -> None:
    """Render ``report`` as ``fmt`` and ``save`` it (the shell passes an atomic write)."""
    render = {"html": lambda r: html(r).encode("utf-8"), "xlsx": xlsx, "pdf": pdf}[fmt]
    _write_bytes(out, render(report), save)


def _write_bytes(out: Path, data: bytes, save: WriteFile) -> None:
    try:
        save(out, data)
    except OSError as exc:
        raise ReportError(f"{out}: 書き込めません / cannot write: {exc.strerror}") from exc


def write_unmatched(report: Report, out: Path, save: WriteFile) -> None:
    """Staff-only: which applications' narratives matched no keyword (IDs, never text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["申請番号"])
    writer.writerows([no] for no in report.unmatched)
    _write_bytes(out, ("\ufeff" + buffer.getvalue()).encode("utf-8"), save)


shown = charts.shown


# --- the three formats ----------------------------------------------------------------


def html(report: Report) -> str:
    from bansou_sync.app import report_maps

    plt = charts.pyplot()
    drawn = [
        (t, charts.png(charts.chart(t, rows, plt), plt))
        for t, rows in charts.charted(report.sections())
    ]
    maps = [
        {
            "title": m.title,
            "png": charts.png(report_maps.map_figure(m, plt), plt),
            "alt": m.describe(),
            "legend": report_maps.legend(m),
            "off_map": [(k, shown(v)) for k, v in m.off_map],
        }
        for m in report.maps
    ]
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )
    return env.get_template("report.html.j2").render(
        report=report,
        title=TITLE,
        total=TOTAL,
        charts=drawn,
        maps=maps,
        shown=shown,
        unit=charts.unit,
    )


def xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "統計"
    sheet.append([TITLE])
    sheet.append(["対象期間(支援実施月) / period", report.period.label])
    sheet.append(["作成日 / made on", report.made_on.isoformat()])
    sheet.append([report.legend])
    sheet.append([])
    sheet.append(["区分", "項目", "件数"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in report.rows:
        sheet.append([row.section, row.item, row.value])
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                # text stays text, and Excel's quote prefix keeps it so when someone edits
                # the cell (a category named by staff, 「-」, 「+81」 …): never a formula
                cell.data_type = "s"
                cell.quotePrefix = True
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 28
    sheet.column_dimensions["C"].width = 14
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf(report: Report) -> bytes:
    from matplotlib.backends.backend_pdf import PdfPages

    from bansou_sync.app import report_pdf

    plt = charts.pyplot()
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": TITLE, "Creator": "bansou-sync"}) as pages:
        for fig in report_pdf.figures(report, plt):
            pages.savefig(fig)
            plt.close(fig)
    return buffer.getvalue()


def page_pngs(report: Report, dpi: int = 80) -> list[bytes]:
    """The PDF's pages as PNG images (for the staff documentation's example)."""
    from bansou_sync.app import report_pdf

    plt = charts.pyplot()
    images = []
    for fig in report_pdf.figures(report, plt):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
        plt.close(fig)
        images.append(buffer.getvalue())
    return images
