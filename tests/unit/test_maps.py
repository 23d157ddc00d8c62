"""The report's maps (issue 15 §2) are pictures of published cells: a prefecture whose
cell is ``<5`` or 秘匿 is drawn as suppressed and never gets a colour, and the shades
depend on nothing but the published values."""

from __future__ import annotations

from builders import Office, member, reg
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bansou_sync.core.categories import PREFECTURES
from bansou_sync.core.maps import (
    EMPTY,
    HIDDEN,
    Band,
    bands,
    choropleth,
)
from bansou_sync.core.network import volunteers_by_prefecture
from bansou_sync.core.stats import WITHHELD
from bansou_sync.core.suppression import Relation, suppress_table


def test_colour_classes_step_1_2_5_from_min_cell_up_to_the_largest_published_count() -> None:
    assert bands([5, 14, 9], 5) == (Band(5, 9), Band(10, 19))
    assert bands([7], 5) == (Band(5, 9),)
    assert bands([3, 12], 3) == (Band(3, 4), Band(5, 9), Band(10, 19))
    six = (Band(5, 9), Band(10, 19), Band(20, 49), Band(50, 99), Band(100, 199), Band(200, 499))
    assert bands([5, 230], 5) == six
    # seven 1-2-5 classes would be too many to tell apart: decades instead
    assert bands([5, 600], 5) == (Band(5, 9), Band(10, 99), Band(100, 999))
    assert bands([], 5) == ()


def test_a_suppressed_prefecture_is_drawn_hidden_and_one_with_no_row_empty() -> None:
    cells = {"東京都": 23, "神奈川県": 7, "埼玉県": "<5", "千葉県": "秘匿", "不明": 6}
    drawn = choropleth("支援", "件", cells, 5)
    shade = dict(drawn.shades)
    assert shade["東京都"] == 2 and shade["神奈川県"] == 0  # 20–49 and 5–9
    assert drawn.bands == (Band(5, 9), Band(10, 19), Band(20, 49))
    assert shade["埼玉県"] == shade["千葉県"] == HIDDEN
    assert shade["沖縄県"] == EMPTY
    assert drawn.coloured() == {"東京都": 2, "神奈川県": 0}
    assert drawn.off_map == (("不明", 6),)
    text = drawn.describe()
    assert "20〜49件: 東京都" in text and "非公開(<5・秘匿): 埼玉県、千葉県" in text
    assert "地図にない項目: 不明 6" in text


def test_a_withheld_table_hatches_every_prefecture_and_colours_none() -> None:
    drawn = choropleth("伴走ネット", "人", {WITHHELD: "秘匿"}, 5)
    assert drawn.withheld and drawn.bands == () and drawn.coloured() == {}
    assert drawn.hidden() == list(PREFECTURES)
    assert "非公開" in drawn.describe()


cells_of_prefectures = st.dictionaries(
    st.sampled_from([*PREFECTURES[:12], "その他", "不明"]),
    st.integers(min_value=1, max_value=60),
    min_size=1,
    max_size=14,
)


@settings(max_examples=300, deadline=None)
@given(cells_of_prefectures, st.integers(min_value=2, max_value=6), st.data())
def test_no_suppressed_cell_ever_gets_a_colour(
    counts: dict[str, int], min_cell: int, data: st.DataObject
) -> None:
    people = {k: data.draw(st.integers(min_value=1, max_value=v)) for k, v in counts.items()}
    published = suppress_table(
        counts, min_cell, sum(counts.values()), Relation.PARTITION, people
    ).shown
    drawn = choropleth("支援", "件", published, min_cell)
    shade = dict(drawn.shades)
    for name in PREFECTURES:
        value = published.get(name)
        if isinstance(value, str):
            assert shade[name] == HIDDEN
        elif value is None:
            assert shade[name] == EMPTY
        else:
            band = drawn.bands[shade[name]]  # type: ignore[index]
            assert band.low <= value <= band.high
    assert set(drawn.coloured()) <= {k for k, v in published.items() if isinstance(v, int)}
    assert all(not isinstance(v, int) or v >= min_cell for _, v in drawn.off_map)


@settings(max_examples=300, deadline=None)
@given(cells_of_prefectures, st.data())
def test_counts_that_publish_the_same_cells_draw_the_same_map(
    counts: dict[str, int], data: st.DataObject
) -> None:
    """Change the true value of every hidden cell: when what is published stays the same,
    so does the map — the hidden numbers do not reach it."""
    total = sum(counts.values())
    first = suppress_table(counts, 5, total, Relation.PARTITION).shown
    other = dict(counts)
    for key, value in first.items():
        if value == "<5":
            other[key] = data.draw(st.integers(min_value=1, max_value=4))
        elif value == "秘匿":
            other[key] = data.draw(st.integers(min_value=5, max_value=80))
    second = suppress_table(other, 5, sum(other.values()), Relation.PARTITION).shown
    assume(second == first)
    assert choropleth("支援", "件", second, 5) == choropleth("支援", "件", first, 5)


def test_the_network_counts_active_volunteers_by_prefecture_suppressing_fewer_than_five() -> None:
    office = Office()
    prefectures = ["東京都"] * 6 + ["Osaka"] * 5 + ["福岡県"] * 2
    office.registrations += [member(i, prefecture=p) for i, p in enumerate(prefectures, 1)]
    # a duplicate and a registration without a usable email are not (yet) in the network
    office.registrations.append(reg("2022-05-21 10:00", "重複", "s1@example.com", phone="1"))
    office.registrations.append(reg("2022-05-21 11:00", "要確認", "not-an-email", phone="2"))
    office.cycle("2022-05-25 10:00")
    cells = volunteers_by_prefecture(office.state, 5)
    # 福岡県's 2 is <5; 大阪府's 5 is hidden too, or 13 − 6 − 5 would tell the 2
    assert cells == {"東京都": 6, "大阪府": "秘匿", "福岡県": "<5"}
    assert list(cells) == [p for p in PREFECTURES if p in cells]  # JIS order


def test_the_network_counts_only_those_registered_by_the_end_of_the_period() -> None:
    office = Office()
    office.registrations += [member(i, "2022-05-20 10:00") for i in range(1, 6)]
    office.registrations += [member(i, "2022-07-01 10:00") for i in range(6, 9)]
    office.cycle("2022-07-05 10:00")
    state = office.state
    assert volunteers_by_prefecture(state, 5, ("2022-05", "2022-06")) == {"東京都": 5}
    assert volunteers_by_prefecture(state, 5) == {"東京都": 8}
    assert volunteers_by_prefecture(state, 10) == {WITHHELD: "秘匿"}
