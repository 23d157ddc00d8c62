"""``bansou-sync report``: the published counts of ``core/stats`` as HTML, XLSX or PDF.

The ledger is the only input (opened read-only, so the report is the same whatever
backends the daemon uses). Only ``core.stats.publish`` rows reach a file: counts, ``<5``
and 秘匿 under category labels — never a name, address, narrative or ID. The list of
applications whose narrative matched no keyword is a separate, staff-only CSV of
申請番号.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bansou_sync.core.categories import DEFAULT_NATIONALITIES, NationalityMap
from bansou_sync.core.narrative import KeywordMap
from bansou_sync.core.network import network_rows
from bansou_sync.core.state import State
from bansou_sync.core.stats import TOTAL, WITHHELD, Published, publish, tables, unmatched
from bansou_sync.errors import BansouError
from bansou_sync.ports import WriteFile

Format = Literal["html", "xlsx", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "xlsx", "pdf")
CHARTED = ("月別", "相談内容", "つながった公的支援", "支援内容の分類")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "report"
TITLE = "伴走支援事業 統計報告 / Anonymised statistics"
LEGEND = (
    "「<{n}」は{n}件未満、「秘匿」は伴走者か相談者が{n}人未満の数と、他の数から逆算されないよう"
    "伏せた数です。 / “<{n}” is fewer than {n}; “秘匿” is hidden: fewer than {n} supporters"
    " or clients, or so that no small count can be worked out."
)


FORMULA_START = ("=", "+", "-", "@")  # what Excel would read as the start of a formula


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

    def sections(self) -> list[tuple[str, list[Published]]]:
        grouped: dict[str, list[Published]] = {}
        for row in self.rows:
            grouped.setdefault(row.section, []).append(row)
        return list(grouped.items())

    @property
    def legend(self) -> str:
        return LEGEND.format(n=self.min_cell)


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
    return Report(span, made_on, min_cell, tuple(rows), tuple(unmatched(state, keywords, months)))


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


def shown(value: int | str) -> str:
    """A published value as people read it: 2,044,000 / <5 / 秘匿."""
    return f"{value:,}" if isinstance(value, int) else value


# --- charts -------------------------------------------------------------------------


def _pyplot() -> Any:
    """matplotlib with the IPAex Gothic font bundled by matplotlib-fontja (no download)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib_fontja

    matplotlib_fontja.japanize()
    matplotlib.rcParams["pdf.fonttype"] = 42  # embed TrueType: the PDF's text stays text
    return plt


def chart(title: str, rows: Sequence[Published], plt: Any) -> Any:
    """A bar chart of one section; hidden cells get no bar, only their label."""
    labels = [r.item for r in rows]
    values = [r.value if isinstance(r.value, int) else 0 for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, max(2.2, 0.32 * len(rows) + 1.0)))
    bars = ax.barh(labels[::-1], values[::-1], color="#4C72B0")
    for bar, row in zip(bars, rows[::-1], strict=True):
        ax.annotate(
            str(row.value),
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_title(f"{title}(件数)")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _charts(report: Report, plt: Any) -> list[tuple[str, Any]]:
    figures = []
    for title, rows in report.sections():
        if title in CHARTED and rows and rows[0].item != WITHHELD:
            figures.append((title, chart(title, rows, plt)))
    return figures


def _png(fig: Any, plt: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# --- the three formats ----------------------------------------------------------------


def html(report: Report) -> str:
    plt = _pyplot()
    charts = [(title, _png(fig, plt)) for title, fig in _charts(report, plt)]
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )
    return env.get_template("report.html.j2").render(
        report=report, title=TITLE, total=TOTAL, charts=charts, shown=shown
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

    plt = _pyplot()
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": TITLE, "Creator": "bansou-sync"}) as pages:
        for fig in pdf_figures(report, plt):
            pages.savefig(fig)
            plt.close(fig)
    return buffer.getvalue()


def page_pngs(report: Report, dpi: int = 80) -> list[bytes]:
    """The PDF's pages as PNG images (for the staff documentation's example)."""
    plt = _pyplot()
    images = []
    for fig in pdf_figures(report, plt):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
        plt.close(fig)
        images.append(buffer.getvalue())
    return images


def pdf_figures(report: Report, plt: Any) -> list[Any]:
    """A4 pages: the tables as text (so a reader can copy and search them), then charts."""
    figures = []
    for page in text_pages(report):
        fig = plt.figure(figsize=(8.27, 11.69))
        y = 0.95
        for text, value, size, indent in page:
            fig.text(0.08 + indent, y, text, fontsize=size, va="top")
            if value:
                fig.text(0.62, y, value, fontsize=size, va="top", ha="right")
            y -= 0.022 if size < 12 else 0.035
        figures.append(fig)
    for _, fig in _charts(report, plt):
        fig.set_size_inches(8.27, min(11.0, fig.get_figheight() + 1))
        figures.append(fig)
    return figures


Line = tuple[str, str, float, float]  # text, value (right-aligned), font size, indent


def text_pages(report: Report, per_page: int = 38) -> list[list[Line]]:
    lines: list[Line] = [
        (TITLE, "", 15, 0),
        (f"対象期間(支援実施月) / period: {report.period.label}", "", 10, 0),
        (f"作成日 / made on: {report.made_on.isoformat()}", "", 10, 0),
        (report.legend[: report.legend.index(" / ")], "", 8, 0),
        (report.legend[report.legend.index(" / ") + 3 :], "", 8, 0),
    ]
    for title, rows in report.sections():
        lines.append((title, "", 12, 0))
        lines += [(row.item, shown(row.value), 10, 0.03) for row in rows]
    pages: list[list[Line]] = []
    for line in lines:
        if not pages or len(pages[-1]) >= per_page:
            pages.append([])
        pages[-1].append(line)
    return pages
