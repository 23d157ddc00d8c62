"""The 統計 tab (SPEC §8): counts only, small cells <5, complementary 秘匿."""

from __future__ import annotations

import itertools

import pytest
from builders import app, members

from bansou_sync.core.frame import COLUMNS, frame_row, frame_values
from bansou_sync.core.stats import stats_rows, suppress

MIN = 5


def recoverable(counts: dict[str, int], shown: dict[str, int | str]) -> set[str]:
    """Hidden cells whose value is the only one consistent with what is published.

    The reader knows the partition's total, every shown count, that a ``<5`` cell is
    1…4 and that a 秘匿 cell is at least 5. Brute force over small totals.
    """
    hidden = [k for k, v in shown.items() if not isinstance(v, int)]
    rest = sum(counts.values()) - sum(v for v in shown.values() if isinstance(v, int))
    ranges = [range(1, MIN) if shown[k] == f"<{MIN}" else range(MIN, rest + 1) for k in hidden]
    solutions = [c for c in itertools.product(*ranges) if sum(c) == rest]
    return {k for i, k in enumerate(hidden) if len({s[i] for s in solutions}) == 1}


def test_counts_below_five_show_as_less_than_five() -> None:
    assert suppress({"a": 12, "b": 7, "c": 3, "d": 2}, MIN, complementary=False) == {
        "a": 12,
        "b": 7,
        "c": "<5",
        "d": "<5",
    }


def test_a_lone_small_cell_is_protected_by_hiding_the_next_smallest() -> None:
    shown = suppress({"a": 12, "b": 7, "c": 3}, MIN, complementary=True)
    assert shown == {"a": 12, "b": "秘匿", "c": "<5"}


@pytest.mark.parametrize(
    "counts",
    [
        {"a": 12, "b": 7, "c": 3},
        {"a": 12, "b": 1, "c": 1},
        {"a": 20, "b": 5, "c": 1},
        {"a": 20, "b": 4, "c": 4},
        {"a": 20, "b": 6, "c": 5, "d": 1, "e": 1},
        {"a": 9, "b": 2},
        {"a": 30, "b": 5, "c": 5, "d": 1},
    ],
)
def test_no_hidden_cell_can_be_worked_out_from_the_total(counts: dict[str, int]) -> None:
    shown = suppress(counts, MIN, complementary=True)
    assert any(not isinstance(v, int) for v in shown.values())
    assert recoverable(counts, shown) == set()


def test_nothing_is_hidden_when_every_count_is_large() -> None:
    assert suppress({"a": 5, "b": 9}, MIN, complementary=True) == {"a": 5, "b": 9}


def test_the_tab_publishes_counts_only_and_leaves_out_resubmitted_originals() -> None:
    office = members(6)
    office.applications += [
        app(
            f"2022-07-{day:02d} 18:00",
            f"BN-{day:04d}",
            f"2022-07-{day:02d}",
            initials=f"C{day}",
            birth_year="1990",
            nationality="ネパール",
            outcomes=("生活保護",),
        )
        for day in range(1, 7)
    ]
    office.applications.append(app("2022-07-07 18:00", "BN-0001", "2022-07-07", consent=""))
    office.cycle("2022-07-08 07:00")
    office.deliver("2022-07-08 07:01")
    office.applications.append(app("2022-07-08 18:00", "BN-0001", "2022-07-07"))
    office.cycle("2022-07-09 07:00")
    rows = stats_rows(office.state, MIN)
    table = {(section, item): value for section, item, value in rows}
    assert table[("合計", "申請件数")] == 7
    assert table[("月別", "2022-07")] == 7
    assert table[("国籍", "ネパール")] == "秘匿"  # else the one other = 7 − 6
    assert table[("国籍", "ベトナム")] == "<5"  # a configured nationality keeps its name
    assert table[("活動地域", "東京都")] == 7
    assert table[("相談内容", "住まい")] == 7
    assert table[("つながった公的支援", "生活保護")] == 6
    assert table[("判定", "審査待ち")] == 7
    assert all(isinstance(v, int) or v in ("<5", "秘匿") for v in table.values())
    assert not any("号" in str(item) or "@" in str(item) for _, item, _ in rows)


def test_free_text_is_published_as_other_however_many_applications_give_it() -> None:
    office = members(8)
    office.applications += [
        app(
            f"2022-07-{day:02d} 18:00",
            f"BN-{day:04d}",
            f"2022-07-{day:02d}",
            initials=f"C{day}",
            birth_year="1990",
            nationality="山田花子",  # a name typed as nationality, eight times
            topics=("医療", "山田さんの件"),  # an 「その他」 answer
            destinations=("病院", "山田法律事務所"),
            outcomes=("生活保護",) if day == 3 else (),
        )
        for day in range(1, 9)
    ]
    office.cycle("2022-07-10 07:00")
    rows = stats_rows(office.state, MIN)
    table = {(section, item): value for section, item, value in rows}
    assert not any("山田" in item for _, item, _ in rows)
    assert table[("国籍", "その他")] == 8
    assert table[("相談内容", "その他")] == table[("同行先", "その他")] == 8
    assert table[("つながった公的支援", "生活保護")] == "<5"  # a form option keeps its name


def test_five_applications_of_one_volunteer_publish_no_breakdown_and_no_count() -> None:
    office = members(1)
    office.applications += [
        app(
            f"2022-07-{day:02d} 18:00",
            "BN-0001",
            f"2022-07-{day:02d}",
            initials=f"C{day}",
            birth_year="1990",
            nationality="ネパール",
        )
        for day in range(1, 6)
    ]
    office.cycle("2022-07-10 07:00")
    table = {(s, i): v for s, i, v in stats_rows(office.state, MIN)}
    assert table[("合計", "申請件数")] == "秘匿"
    assert table[("合計", "活動した伴走者")] == "<5"
    assert all(i == "(少数のため非公開)" for s, i in table if s != "合計")


def test_a_cell_of_five_applications_by_two_volunteers_is_hidden_and_covered() -> None:
    office = members(8)
    office.applications += [
        app(
            f"2022-07-{day:02d} 18:00",
            f"BN-{day % 2 + 1:04d}" if day <= 6 else f"BN-{day - 4:04d}",
            f"2022-07-{day:02d}",
            initials=f"C{day}",
            birth_year="1990",
            nationality="ペルー" if day <= 6 else "ネパール",
        )
        for day in range(1, 13)
    ]
    office.cycle("2022-07-20 07:00")
    table = {(s, i): v for s, i, v in stats_rows(office.state, MIN)}
    assert table[("合計", "申請件数")] == 12
    # six applications of peru by two volunteers: too few people, and its complement
    assert table[("国籍", "ペルー")] == "秘匿"
    assert table[("国籍", "ネパール")] == "秘匿"


def test_the_kept_frame_values_are_the_frame_rows_values_in_column_order() -> None:
    office = members(3)
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01", outcomes=("生活保護", "就学援助")),
        app("2022-07-02 18:00", "BN-0002", "2022-08-02", nationality="ネパール"),
        app("2022-07-03 18:00", "BN-0003", "2022-07-03", consent=""),
    ]
    office.cycle("2022-07-04 07:00")
    for a in office.state.applications.values():
        row = frame_row(a)
        values = frame_values(a)
        assert values == tuple(tuple(v) if isinstance(v, list) else v for v in row.values())
        assert list(row) == COLUMNS
