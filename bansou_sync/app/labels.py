"""``bansou-sync labels`` (issue 6 §6): the 覚書 mail-merge CSV and the A4 label sheet PDF.

Names and postal addresses leave the ledger only here, into files for staff (mode 0600
in a 0700 folder); they are never written to the status sheet, the logs or the
terminal, which shows counts and IDs only. The PDF is drawn with matplotlib and the
IPAex Gothic font shipped inside the ``matplotlib-fontja`` package (embedded in the PDF
as TrueType, so it prints the same everywhere; nothing is downloaded).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle

from bansou_sync.core.labels import A4_12, Label, LabelRun, SheetLayout, csv_rows, label_text, place
from bansou_sync.core.tabs import SUPPORTERS
from bansou_sync.core.untrusted import formula_safe
from bansou_sync.errors import BansouError
from bansou_sync.ports import StatusSheet

MM_PER_INCH = 25.4
FONT_SIZE = 9.0
LINE_MM = 4.6


@dataclass(frozen=True)
class LabelFiles:
    csv: Path
    pdf: Path
    count: int
    pages: int
    no_address: list[str]


def font() -> FontProperties:
    path = resources.files("matplotlib_fontja") / "fonts" / "ipaexg.ttf"
    return FontProperties(fname=str(path), size=FONT_SIZE)


def sent_dates(sheet: StatusSheet) -> dict[str, str]:
    """覚書発送日 by 伴走ネットID as the sheet holds it now (a row not there yet: blank)."""
    rows = sheet.read().tabs.get(SUPPORTERS.name, ())
    return {row.cells.get("伴走ネットID", ""): row.cells.get("覚書発送日", "") for row in rows}


def _private_file(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    path.chmod(0o600)


def write_csv(labels: list[Label], path: Path) -> None:
    _private_file(path)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        for row in csv_rows(labels):
            writer.writerow([formula_safe(v) for v in row])


def _page(labels: list[tuple[float, float, Label]], layout: SheetLayout, guides: bool) -> Figure:
    width, height = layout.page_mm
    fig = Figure(figsize=(width / MM_PER_INCH, height / MM_PER_INCH))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # millimetres from the top left, as label makers measure
    ax.axis("off")
    props = font()
    for left, top, label in labels:
        if guides:  # the preview shows the label edges; the printed sheet does not
            ax.add_patch(Rectangle((left, top), *layout.label_mm, fill=False, lw=0.4, ec="#999999"))
        for i, line in enumerate(label_text(label)):
            ax.text(
                left + layout.padding_mm,
                top + layout.padding_mm + i * LINE_MM,
                line,
                fontproperties=props,
                va="top",
                ha="left",
            )
    return fig


def pages(
    labels: list[Label], layout: SheetLayout = A4_12
) -> list[list[tuple[float, float, Label]]]:
    grouped: list[list[tuple[float, float, Label]]] = []
    for index, label in enumerate(labels):
        page, left, top = place(index, layout)
        while len(grouped) <= page:
            grouped.append([])
        grouped[page].append((left, top, label))
    return grouped


def write_pdf(labels: list[Label], path: Path, layout: SheetLayout = A4_12) -> int:
    _private_file(path)
    laid = pages(labels, layout) or [[]]
    with (
        rc_context({"pdf.fonttype": 42}),
        PdfPages(path, metadata={"Title": "覚書 宛名ラベル"}) as pdf,
    ):
        for page in laid:
            pdf.savefig(_page(page, layout, guides=False))
    return len(laid)


def write_preview_png(labels: list[Label], path: Path, dpi: int = 110) -> None:
    """The first page with label edges drawn, for the docs (use fictitious data only)."""
    fig = _page(pages(labels)[0] if labels else [], A4_12, guides=True)
    fig.savefig(path, dpi=dpi)


def write_labels(run: LabelRun, folder: Path, today: date) -> LabelFiles:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = f"memo-labels-{today.isoformat()}"
        csv_path, pdf_path = folder / f"{stem}.csv", folder / f"{stem}.pdf"
        write_csv(run.labels, csv_path)
        count = write_pdf(run.labels, pdf_path)
    except OSError as exc:
        raise BansouError(
            f"宛名ファイルを書き込めません / cannot write the label files in {folder}: {exc.strerror}"
        ) from exc
    return LabelFiles(csv_path, pdf_path, len(run.labels), count, run.no_address)
