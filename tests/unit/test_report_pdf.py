"""The PDF report as a handout (issue 15 §2): what goes on which A4 page."""

from __future__ import annotations

from datetime import date

from bansou_sync.app import report as rep
from bansou_sync.app import report_pdf as pdf
from bansou_sync.core.maps import choropleth
from bansou_sync.core.stats import Published


def report_with(rows: list[Published]) -> rep.Report:
    maps = (choropleth("伴走ネット", "人", {"東京都": 6}, 5),)
    return rep.Report(rep.period("2022-05", "2023-02"), date(2023, 4, 1), 5, tuple(rows), (), maps)


def test_every_block_fits_on_its_page_and_a_long_table_goes_on_as_continued() -> None:
    rows = [Published("合計", "申請件数", 120)]
    rows += [Published("国籍", f"国{i}", 5 + i) for i in range(90)]
    rows += [Published("月別", f"2022-{m:02d}", 12) for m in range(5, 13)]
    pages = pdf.layout(pdf.blocks(report_with(rows)))
    for page in pages:
        for top, block in page:
            assert top <= pdf.TOP and top - block.height >= pdf.BOTTOM - 1e-9
    parts = [b for page in pages for _, b in page if isinstance(b, pdf.Table) and b.title == "国籍"]
    assert len(parts) >= 3 and [p.continued for p in parts] == [False] + [True] * (len(parts) - 1)
    assert sum(len(p.rows) for p in parts) == 90
    assert all(len(p.rows) >= pdf.MIN_ROWS for p in parts)  # no few rows left alone
    # 月別 is charted: its chart follows its table
    order = [(type(b).__name__, getattr(b, "title", "")) for page in pages for _, b in page]
    assert order.index(("Chart", "月別")) == order.index(("Table", "月別")) + 1


def test_the_cover_holds_the_heading_and_totals_and_the_maps_have_the_next_page() -> None:
    rows = [Published("合計", "申請件数", 120), Published("月別", "2022-05", 120)]
    pages = pdf.layout(pdf.blocks(report_with(rows)))
    assert [type(b).__name__ for _, b in pages[0]] == ["Heading", "Table"]
    assert [type(b).__name__ for _, b in pages[1]] == ["Maps"]
    assert pdf.maps_page(report_with(rows)) == 1


def test_the_legend_wraps_between_japanese_characters_and_at_spaces_never_inside_a_word() -> None:
    text = "「<5」は5件未満、「秘匿」は伏せた数です。" * 4 + " hidden: fewer than five supporters"
    lines = pdf.wrap(text, 30)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    widths = [sum(2 if ord(c) > 0x2000 else 1 for c in line) for line in lines]
    assert max(widths) <= 30
    english = "hidden: fewer than five supporters or clients"
    lines = pdf.wrap(english, 12)
    assert len(lines) > 1 and " ".join(lines).split() == english.split()
