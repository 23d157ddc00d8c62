"""The maps as drawn (issue 15 §2): every prefecture is one patch, filled by its shade;
a suppressed one is hatched grey, and no class colour can pass for that grey."""

from __future__ import annotations

from matplotlib.colors import to_hex

from bansou_sync.app import report_charts, report_maps
from bansou_sync.core.categories import PREFECTURES
from bansou_sync.core.maps import choropleth


def test_each_prefecture_is_drawn_in_its_shade_and_a_suppressed_one_hatched_grey() -> None:
    cells = {"北海道": 12, "東京都": "<5", "大阪府": "秘匿", "沖縄県": 7, "愛知県": 130}
    drawn = choropleth("伴走ネット", "人", cells, 5)
    plt = report_charts.pyplot()
    fig = report_maps.map_figure(drawn, plt)
    patches = list(fig.axes[0].patches)
    assert len(patches) == len(PREFECTURES)
    palette = report_maps.colours(len(drawn.bands))
    for (name, shade), patch in zip(drawn.shades, patches, strict=True):
        face = to_hex(patch.get_facecolor())
        if name in ("東京都", "大阪府"):
            assert (face, patch.get_hatch()) == (report_maps.HIDDEN_FACE, report_maps.HATCH)
        elif name in cells:
            assert isinstance(shade, int) and face == palette[shade] and not patch.get_hatch()
        else:
            assert face == report_maps.EMPTY_FACE and not patch.get_hatch()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("非公開(<5・秘匿)" in label for label in labels)
    plt.close(fig)


def test_no_class_colour_is_grey_or_white() -> None:
    for count in range(1, 7):
        for colour in report_maps.colours(count):
            red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
            assert max(red, green, blue) - min(red, green, blue) > 40, colour
