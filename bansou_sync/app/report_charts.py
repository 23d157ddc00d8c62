"""The report's bar charts (HTML and PDF), drawn with matplotlib; hidden cells get no bar.

Imported only when a report is drawn: matplotlib is loaded here, never for ``--help``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from bansou_sync.core.stats import WITHHELD, Published

CHARTED = ("月別", "相談内容", "つながった公的支援", "支援内容の分類")
BAR = "#4C72B0"


def pyplot() -> Any:
    """matplotlib with the IPAex Gothic font bundled by matplotlib-fontja (no download)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib_fontja

    matplotlib_fontja.japanize()
    matplotlib.rcParams["pdf.fonttype"] = 42  # embed TrueType: the PDF's text stays text
    return plt


def shown(value: int | str) -> str:
    """A published value as people read it: 2,044,000 / <5 / 秘匿."""
    return f"{value:,}" if isinstance(value, int) else value


def unit(section: str) -> str:
    """What a section's numbers count: people for the 伴走ネット's sections (named
    「…(人数)」), applications for the others."""
    return "人数" if section.endswith("(人数)") else "件数"


def charted(sections: Sequence[tuple[str, list[Published]]]) -> list[tuple[str, list[Published]]]:
    """The sections drawn as charts (those published at all)."""
    return [
        (title, rows)
        for title, rows in sections
        if title in CHARTED and rows and rows[0].item != WITHHELD
    ]


def chart_height(rows: Sequence[Published]) -> float:
    """Inches: a bar per row, and room for the title and the axis."""
    return max(2.2, 0.32 * len(rows) + 1.0)


def draw_bars(ax: Any, title: str, rows: Sequence[Published]) -> None:
    """One section as horizontal bars; a hidden cell keeps its label and no bar."""
    labels = [r.item for r in rows]
    values = [r.value if isinstance(r.value, int) else 0 for r in rows]
    bars = ax.barh(labels[::-1], values[::-1], color=BAR)
    for bar, row in zip(bars, rows[::-1], strict=True):
        ax.annotate(
            shown(row.value),
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_title(title if unit(title) == "人数" else f"{title}(件数)")
    ax.spines[["top", "right"]].set_visible(False)


def chart(title: str, rows: Sequence[Published], plt: Any) -> Any:
    """A chart on a figure of its own (the HTML report's image)."""
    fig, ax = plt.subplots(figsize=(7.5, chart_height(rows)))
    draw_bars(ax, title, rows)
    fig.tight_layout()
    return fig


def png(fig: Any, plt: Any, dpi: int = 110) -> str:
    """The figure as base64 PNG (embedded in the HTML: nothing loaded from outside)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
