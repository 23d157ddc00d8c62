"""The 伴走ネット in figures (issue 15 §1 §2): who the network is and where it works,
counted over registrations, published under SPEC §8's rules, prefectures in JIS order.

The privacy property is checked against a reader modelled independently of the
algorithm: everything published (each table's cells and totals), the bounds a label
implies (``<5`` → 1…4, 秘匿 → 5…total) and what a reader knows of the world — the
prefecture table is a partition of 有効な登録者, the worked table one of 活動した伴走者, and
no prefecture has more volunteers who worked than volunteers. Every assignment
consistent with all of it is enumerated; each hidden count must keep two values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from types import SimpleNamespace

from builders import Office, app, member
from hypothesis import given, settings
from hypothesis import strategies as st
from test_suppression import pinned_cells

from bansou_sync.core.categories import PREFECTURES, prefecture_order
from bansou_sync.core.model import AppStatus, RawResponse, RegistrationStatus
from bansou_sync.core.network import (
    ACTIVE,
    HIDDEN_AREAS,
    NET_COURSE,
    NET_LANGUAGES,
    NET_PREFECTURE,
    NET_TOTAL,
    NET_WORKED,
    WORKED,
    Kept,
    Volunteer,
    network_rows,
    network_tables,
    publish_network,
    volunteers,
    volunteers_by_prefecture,
    worked_by_prefecture,
)
from bansou_sync.core.policy import Policy
from bansou_sync.core.projection import supporter_rows
from bansou_sync.core.stats import WITHHELD, Published, stats_rows, tab_rows
from bansou_sync.core.tabs import SUPPORTERS

MIN = 5


def joined(raw: RawResponse, **answers: str | tuple[str, ...]) -> RawResponse:
    return replace(raw, answers={**raw.answers, **answers})


def section(rows: Sequence[Published], title: str) -> dict[str, int | str]:
    return {r.item: r.value for r in rows if r.section == title}


def client(i: int) -> dict[str, str]:
    return {"initials": f"C{i}", "birth_year": "1990", "nationality": "ネパール"}


def people(*specs: tuple[str, tuple[str, ...], str]) -> list[Volunteer]:
    return [
        Volunteer(f"BN-{i:04d}", pref, langs, course)
        for i, (pref, langs, course) in enumerate(specs, start=1)
    ]


# --- the 伴走者 tab (§1) -----------------------------------------------------------


def test_the_supporters_tab_shows_languages_and_course_wish_after_the_columns_it_had() -> None:
    office = Office()
    office.registrations.append(
        joined(member(1), languages=("英語", "やさしい日本語"), wants_course="はい")
    )
    office.registrations.append(member(2))
    office.cycle("2022-05-21 10:00")
    headers = SUPPORTERS.headers
    assert headers[-2:] == ("対応できる言語", "講座受講希望")
    assert headers.index("会員区分(確認)") < headers.index("対応できる言語")
    rows = [dict(zip(headers, row, strict=True)) for row in supporter_rows(office.state)]
    assert (rows[0]["対応できる言語"], rows[0]["講座受講希望"]) == ("英語、やさしい日本語", "はい")
    assert (rows[1]["対応できる言語"], rows[1]["講座受講希望"]) == ("", "")


# --- the sections (§2) -------------------------------------------------------------


def test_active_volunteers_are_counted_by_prefecture_language_and_course_wish() -> None:
    vols = people(
        *[("東京都", ("英語",), "はい")] * 6,
        *[("大阪府", ("英語", "中国語"), "いいえ")] * 5,
        *[("北海道", ("ベトナム語",), "はい")] * 5,
    )
    rows = publish_network(network_tables(vols, ["BN-0001", "BN-0002"]), MIN)
    assert section(rows, NET_TOTAL) == {ACTIVE: 16, WORKED: "<5"}
    assert section(rows, NET_PREFECTURE) == {"北海道": 5, "東京都": 6, "大阪府": 5}
    assert section(rows, NET_LANGUAGES) == {"英語": 11, "中国語": 5, "ベトナム語": 5}
    assert section(rows, NET_COURSE) == {"はい": 11, "いいえ": 5}
    # fewer than five volunteers worked: their table is not broken down
    assert section(rows, NET_WORKED) == {WITHHELD: "秘匿"}


def test_the_sections_are_named_as_counts_of_people_of_the_network() -> None:
    titles = (NET_TOTAL, NET_PREFECTURE, NET_LANGUAGES, NET_COURSE, NET_WORKED)
    assert all(t.startswith("伴走ネット") and t.endswith("(人数)") for t in titles)


def test_registrations_that_are_not_active_are_not_the_network() -> None:
    office = Office()
    office.registrations += [member(1), member(2, prefecture="大阪府")]
    office.registrations.append(joined(member(3), email=""))  # 要確認: no usable address
    office.registrations.append(joined(member(4), email="s1@example.com"))  # a duplicate
    office.cycle("2022-05-21 10:00")
    assert sorted(v.supporter_id for v in volunteers(office.state)) == ["BN-0001", "BN-0002"]


def test_a_volunteer_worked_when_one_of_their_applications_was_accepted_or_paid() -> None:
    office = Office()
    office.registrations += [member(i, prefecture="愛知県") for i in range(1, 8)]
    office.cycle("2022-05-21 10:00")
    office.applications += [
        app(f"2022-06-0{i} 18:00", f"BN-{i:04d}", f"2022-06-0{i}", **client(i)) for i in range(1, 8)
    ]
    office.cycle("2022-06-09 12:00")
    for no in ("A-000001", "A-000002", "A-000003", "A-000004", "A-000005", "A-000006"):
        office.decide(no, "承認")
    office.cycle("2022-06-10 12:00")
    rows = network_rows(office.state, MIN)
    assert section(rows, NET_TOTAL) == {ACTIVE: 7, WORKED: 6}
    assert section(rows, NET_WORKED) == {"愛知県": 6}
    # a report's period counts the applications of its support months only
    assert section(network_rows(office.state, MIN, ("2022-07", "2022-08")), NET_TOTAL)[WORKED] == (
        0
    )


def test_a_language_typed_in_other_counts_as_other_and_blank_as_unknown() -> None:
    office = Office()
    office.registrations += [
        joined(member(i), languages=("英語", "ウルドゥー語(山田)")) for i in range(1, 6)
    ]
    office.registrations += [member(i) for i in range(6, 11)]
    office.cycle("2022-05-21 10:00")
    rows = network_rows(office.state, MIN)
    assert section(rows, NET_LANGUAGES) == {"英語": 5, "その他": 5, "不明": 5}
    assert section(rows, NET_COURSE) == {"不明": 10}


def test_fewer_than_five_volunteers_publish_no_network_breakdown() -> None:
    rows = publish_network(network_tables(people(*[("東京都", ("英語",), "はい")] * 4), []), MIN)
    assert section(rows, NET_TOTAL) == {ACTIVE: "<5", WORKED: 0}
    for title in (NET_PREFECTURE, NET_LANGUAGES, NET_COURSE, NET_WORKED):
        assert section(rows, title) == {WITHHELD: "秘匿"}


def test_a_small_prefecture_is_hidden_and_covered_by_the_next_smallest() -> None:
    vols = people(
        *[("東京都", ("英語",), "はい")] * 9,
        *[("大阪府", ("英語",), "はい")] * 6,
        *[("沖縄県", ("英語",), "はい")] * 2,
    )
    rows = publish_network(network_tables(vols, []), MIN)
    assert section(rows, NET_PREFECTURE) == {"東京都": 9, "大阪府": "秘匿", "沖縄県": "<5"}


def test_the_worked_table_names_only_prefectures_whose_network_count_is_published() -> None:
    vols = people(
        *[("東京都", ("英語",), "はい")] * 9,
        *[("大阪府", ("英語",), "はい")] * 6,
        *[("沖縄県", ("英語",), "はい")] * 2,
    )
    worked = [v.supporter_id for v in vols if v.prefecture == "東京都"][:6]
    worked += [v.supporter_id for v in vols if v.prefecture != "東京都"]
    rows = publish_network(network_tables(vols, worked), MIN)
    # 大阪府 and 沖縄県 are hidden above: their 8 who worked are one row, never per prefecture
    assert section(rows, NET_WORKED) == {"東京都": 6, HIDDEN_AREAS: 8}


def test_a_worked_cell_capped_by_its_published_network_count_is_never_a_complement() -> None:
    # 東京都: 5 volunteers, all worked; 大阪府 6 of 8; 沖縄県 1 of 5: covering the <5 with
    # 東京都's 5 would pin it (at most 5, at least 5): 大阪府 is hidden instead
    vols = people(
        *[("東京都", ("英語",), "はい")] * 5,
        *[("大阪府", ("英語",), "はい")] * 8,
        *[("沖縄県", ("英語",), "はい")] * 5,
    )
    worked = [v.supporter_id for v in vols if v.prefecture == "東京都"]
    worked += [v.supporter_id for v in vols if v.prefecture == "大阪府"][:6]
    worked += [v.supporter_id for v in vols if v.prefecture == "沖縄県"][:1]
    rows = publish_network(network_tables(vols, worked), MIN)
    assert section(rows, NET_WORKED) == {"東京都": 5, "大阪府": "秘匿", "沖縄県": "<5"}


# --- the order (§2) ----------------------------------------------------------------


def test_prefectures_are_in_jis_code_order_with_unknown_and_other_last() -> None:
    shuffled = ["その他", "沖縄県", "不明", "東京都", "北海道", "京都府", "大阪府", "青森県"]
    assert prefecture_order(shuffled) == [
        "北海道",
        "青森県",
        "東京都",
        "京都府",
        "大阪府",
        "沖縄県",
        "不明",
        "その他",
    ]
    assert prefecture_order(PREFECTURES[::-1]) == list(PREFECTURES)


def test_every_prefecture_table_of_the_stats_tab_is_in_jis_order() -> None:
    office = Office()
    answers = ["沖縄県", "東京", "", "大阪市北区", "北海道", "京都府"]
    office.registrations += [member(i, prefecture=answers[i % len(answers)]) for i in range(1, 37)]
    office.cycle("2022-05-21 10:00")
    office.applications += [
        app(
            f"2022-06-{i % 28 + 1:02d} 18:00",
            f"BN-{i:04d}",
            f"2022-06-{i % 28 + 1:02d}",
            **client(i),
        )
        for i in range(1, 37)
    ]
    office.cycle("2022-07-05 12:00")
    rows = stats_rows(office.state, MIN)
    expected = ["北海道", "東京都", "京都府", "沖縄県", "不明", "その他"]
    assert [r[1] for r in rows if r[0] == "活動地域"] == expected
    assert list(volunteers_by_prefecture(office.state, MIN)) == expected
    assert list(worked_by_prefecture(office.state, MIN)) == [WITHHELD]  # none accepted yet


# --- privacy: no hidden count can be worked out --------------------------------------

PLACES = ("北海道", "東京都", "大阪府", "沖縄県", "不明")
volunteer = st.tuples(
    st.sampled_from(PLACES),
    st.lists(st.sampled_from(("英語", "中国語", "不明")), min_size=1, max_size=2, unique=True),
    st.sampled_from(("はい", "いいえ", "不明")),
    st.booleans(),
)


def partitions(ranges: Sequence[range], rest: int) -> Iterator[tuple[int, ...]]:
    if not ranges:
        if rest == 0:
            yield ()
        return
    for value in ranges[0]:
        if value > rest:
            break
        for tail in partitions(ranges[1:], rest - value):
            yield (value, *tail)


def hidden_ranges(shown: dict[str, int | str], total: int) -> dict[str, range]:
    return {
        k: range(1, MIN) if v == f"<{MIN}" else range(MIN, total + 1)
        for k, v in shown.items()
        if not isinstance(v, int)
    }


def joint_pins(
    net: dict[str, int | str], worked: dict[str, int | str], active: int, done: int
) -> list[str]:
    """Hidden cells of the two prefecture tables with one value consistent with both
    partitions and worked ≤ network per prefecture (the merged row: ≤ the hidden sum)."""
    a_hidden = hidden_ranges(net, active)
    a_rest = active - sum(v for v in net.values() if isinstance(v, int))
    w_hidden = hidden_ranges(worked, done)
    w_rest = done - sum(v for v in worked.values() if isinstance(v, int))
    seen: dict[str, set[int]] = {k: set() for k in [*a_hidden, *(f"w:{k}" for k in w_hidden)]}
    a_keys, w_keys = list(a_hidden), list(w_hidden)
    for a_values in partitions([a_hidden[k] for k in a_keys], a_rest):
        a = {
            **{k: v for k, v in net.items() if isinstance(v, int)},
            **dict(zip(a_keys, a_values, strict=True)),
        }
        hidden_sum = sum(a[k] for k in a_keys)
        for w_values in partitions([w_hidden[k] for k in w_keys], w_rest):
            w = {**{k: v for k, v in worked.items() if isinstance(v, int)}}
            w.update(zip(w_keys, w_values, strict=True))
            fits = all(w[k] <= (hidden_sum if k == HIDDEN_AREAS else a.get(k, 0)) for k in w)
            if fits:
                for k in a_keys:
                    seen[k].add(a[k])
                for k in w_keys:
                    seen[f"w:{k}"].add(w[k])
        if all(len(values) >= 2 for values in seen.values()):
            return []
    return [k for k, values in seen.items() if len(values) < 2]


@settings(max_examples=300, deadline=None)
@given(st.lists(volunteer, max_size=18))
def test_no_hidden_network_count_can_be_worked_out_from_everything_published(
    drawn: list[tuple[str, list[str], str, bool]],
) -> None:
    vols = [
        Volunteer(f"BN-{i:04d}", place, tuple(langs), course)
        for i, (place, langs, course, _) in enumerate(drawn, start=1)
    ]
    done = [v.supporter_id for v, (*_, w) in zip(vols, drawn, strict=True) if w]
    t = network_tables(vols, done)
    rows = publish_network(t, MIN)
    net, worked = section(rows, NET_PREFECTURE), section(rows, NET_WORKED)
    for shown in (net, worked, section(rows, NET_LANGUAGES), section(rows, NET_COURSE)):
        assert all(not isinstance(v, int) or v == 0 or v >= MIN for v in shown.values())
    if WITHHELD not in net and WITHHELD not in worked:
        assert joint_pins(net, worked, t.active, t.worked) == []
    elif WITHHELD not in net:
        assert joint_pins(net, {}, t.active, 0) == []
    for title, relation in ((NET_LANGUAGES, "cover"), (NET_COURSE, "partition")):
        shown = section(rows, title)
        if WITHHELD not in shown:
            cells = [Published(title, k, v) for k, v in shown.items()]
            assert pinned_cells(cells, relation, t.active) == [], title
    # the worked table names a prefecture only where the network count is published
    assert all(k == HIDDEN_AREAS or isinstance(net.get(k), int) for k in worked if k != WITHHELD)


# --- the kept tally (app.projector) ----------------------------------------------------

REG_STATUSES = (RegistrationStatus.ACTIVE, RegistrationStatus.NEEDS_REVIEW)
APP_STATUSES = (AppStatus.PENDING_REVIEW, AppStatus.ACCEPTED, AppStatus.PAID, AppStatus.REJECTED)
change = st.one_of(
    st.tuples(st.just("place"), st.integers(0, 9), st.sampled_from(PLACES)),
    st.tuples(st.just("status"), st.integers(0, 9), st.sampled_from(REG_STATUSES)),
    st.tuples(st.just("verdict"), st.integers(0, 11), st.sampled_from(APP_STATUSES)),
    st.tuples(st.just("gone"), st.integers(0, 11), st.just(None)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(change, max_size=14))
def test_the_kept_tally_gives_the_full_computations_rows_change_after_change(
    changes: list[tuple[str, int, object]],
) -> None:
    office = Office()
    office.registrations += [member(i, prefecture=PLACES[i % 4]) for i in range(1, 11)]
    office.cycle("2022-05-21 10:00")
    office.applications += [
        app(f"2022-06-0{i % 9 + 1} 18:{i:02d}", f"BN-{i % 10 + 1:04d}", "2022-06-01", **client(i))
        for i in range(12)
    ]
    office.cycle("2022-06-10 12:00")
    kept, seen = Kept(), SimpleNamespace(apps={}, regs={})
    state = office.state
    kept.update(seen, state, set(state.applications), set(state.registrations), Policy())
    regs, apps = sorted(state.registrations), sorted(state.applications)
    for kind, at, value in changes:
        new = state.copy()
        if kind in ("place", "status"):
            key = regs[at]
            field_ = "prefecture" if kind == "place" else "status"
            new.registrations[key] = replace(new.registrations[key], **{field_: value})
            touched_apps, touched_regs = set(), {key}
        else:
            key = apps[at]
            if kind == "gone":
                new.applications.pop(key, None)
            elif key in new.applications:
                new.applications[key] = replace(new.applications[key], status=value)
            touched_apps, touched_regs = {key}, set()
        seen = SimpleNamespace(apps=dict(state.applications), regs=dict(state.registrations))
        kept.update(seen, new, touched_apps, touched_regs, Policy())
        state = new
        assert kept.rows == tab_rows(network_rows(state, MIN))
