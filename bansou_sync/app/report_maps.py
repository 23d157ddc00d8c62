"""The report's two maps of Japan, drawn offline from the prefecture shapes that the
``japanmap`` package ships (no tile server, no download).

Each map draws a ``core.maps.PrefectureMap`` — shades worked out from published cells
only — so nothing here sees a count. Colours: ``viridis``, a sequential scale readable
with every common colour-vision deficiency and in greyscale, light (yellow) for few and
dark (purple) for many, with no grey in it; suppressed prefectures are light grey with a
hatch, and the legend says why.
Imported only when a report is drawn (japanmap loads numpy and its shape file).
"""

from __future__ import annotations

import functools
from typing import Any

from bansou_sync.core.maps import EMPTY, HIDDEN, PrefectureMap, Shade

COLOURMAP = "viridis_r"
HIDDEN_FACE, HATCH, EDGE, EMPTY_FACE = "#d9d9d9", "////", "#555555", "#ffffff"
HIDDEN_LABEL = "非公開(<{n}・秘匿): 少数、または逆算を防ぐため / suppressed"
EMPTY_LABEL = "0(なし)/ none"
LONGITUDE = 0.812  # cos 35.7°: a degree of longitude is that much of a degree of latitude


@functools.lru_cache(maxsize=1)
def shapes() -> tuple[tuple[tuple[float, float], ...], ...]:
    """The 47 prefectures' outlines (longitude, latitude), JIS order; Hokkaido and
    Okinawa moved nearer, as japanmap's own maps draw them."""
    import japanmap

    return tuple(tuple((x, y) for x, y in points) for points in japanmap.pref_points())  # type: ignore[no-untyped-call]


def colours(count: int) -> list[str]:
    """``count`` colours of the sequential scale, evenly apart, never its palest end."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    scale = colormaps[COLOURMAP]
    if count == 1:
        return [to_hex(scale(0.55))]
    return [to_hex(scale(0.15 + 0.85 * i / (count - 1))) for i in range(count)]


def style(shade: Shade, palette: list[str]) -> tuple[str, str | None]:
    """Face colour and hatch of one prefecture."""
    if shade == HIDDEN:
        return HIDDEN_FACE, HATCH
    if shade == EMPTY or not isinstance(shade, int):
        return EMPTY_FACE, None
    return palette[shade], None


def legend(m: PrefectureMap) -> list[tuple[str, str | None, str]]:
    """(face, hatch, label) of each legend entry, the classes from few to many."""
    palette = colours(len(m.bands))
    entries: list[tuple[str, str | None, str]] = [
        (colour, None, band.label(m.unit)) for colour, band in zip(palette, m.bands, strict=True)
    ]
    entries.append((HIDDEN_FACE, HATCH, HIDDEN_LABEL.format(n=m.min_cell)))
    if not m.withheld:
        entries.append((EMPTY_FACE, None, EMPTY_LABEL))
    return entries


def draw_map(ax: Any, m: PrefectureMap, fontsize: float = 8) -> None:
    """The map on ``ax``, drawn at its left; the legend in the room on its right."""
    from matplotlib.patches import Patch, Polygon

    palette = colours(len(m.bands))
    for (_, shade), outline in zip(m.shades, shapes(), strict=True):
        face, hatch = style(shade, palette)
        patch = Polygon(outline, closed=True, facecolor=face, edgecolor=EDGE, linewidth=0.3)
        if hatch:
            patch.set_hatch(hatch)
        ax.add_patch(patch)
    ax.autoscale_view()
    ax.set_aspect(1 / LONGITUDE)
    ax.set_anchor("W")
    ax.set_axis_off()
    ax.set_title(m.title, fontsize=fontsize + 3, loc="left")
    handles = [
        Patch(facecolor=face, edgecolor=EDGE, hatch=hatch, linewidth=0.5, label=_lines(label))
        for face, hatch, label in legend(m)
    ]
    box = ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(1.0, 0.02),
        fontsize=fontsize,
        title="少数のため非公開" if m.withheld else f"{m.unit}数 / count",
        title_fontsize=fontsize,
        alignment="left",
        frameon=False,
    )
    for text in box.get_texts():
        text.set_multialignment("left")


def _lines(label: str) -> str:
    """A long legend label on short lines (the picture's legend stands beside the map)."""
    return label.replace(": ", ":\n").replace(" / ", "\n/ ")


def map_figure(m: PrefectureMap, plt: Any) -> Any:
    """A map on a figure of its own (the HTML report's image)."""
    fig = plt.figure(figsize=(7.5, 5.6))
    draw_map(fig.add_axes((0.02, 0.02, 0.96, 0.9)), m)
    return fig
