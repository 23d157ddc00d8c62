"""Reading staff columns by changed rows gives exactly what reading them all gives."""

from __future__ import annotations

import random

from bansou_sync.app.warm import StaffReader
from bansou_sync.core.staff import read_staff
from bansou_sync.core.tabs import APPLICATIONS, PAYMENTS, SUPPORTERS

Row = dict[str, str]


def _tabs(chance: random.Random) -> dict[str, list[Row]]:
    return {
        SUPPORTERS.name: [{"伴走ネットID": f"BN-{i:04d}"} for i in range(1, 80)],
        APPLICATIONS.name: [{"申請番号": f"A-{i:05d}"} for i in range(1, 300)],
        PAYMENTS.name: [
            {"締め日": "2026-10-31", "伴走ネットID": f"BN-{i:04d}"} for i in range(1, 20)
        ],
    }


def _edit(tabs: dict[str, list[Row]], chance: random.Random, step: int) -> None:
    """What staff and the daemon do between two reads: new row objects for edited rows,
    rows appended, now and then a key changed or a row removed."""
    name = chance.choice(list(tabs))
    rows = tabs[name]
    kind = chance.random()
    if kind < 0.6 and rows:
        i = chance.randrange(len(rows))
        cell = {
            SUPPORTERS.name: chance.choice(["メモ", "覚書受領", "連絡先訂正", "重複解除"]),
            APPLICATIONS.name: chance.choice(["審査", "審査メモ"]),
            PAYMENTS.name: "支払済",
        }[name]
        value = chance.choice(["", "TRUE", "承認", "メモ", "not-an-email", "a@example.org"])
        rows[i] = {**rows[i], cell: value}
    elif kind < 0.85:
        key = {SUPPORTERS.name: "伴走ネットID", APPLICATIONS.name: "申請番号"}.get(name, "締め日")
        rows.append({key: f"N-{step}", "伴走ネットID": f"BN-{step}"})
    elif kind < 0.95 and rows:
        i = chance.randrange(len(rows))
        rows[i] = {**rows[i], "申請番号": "", "伴走ネットID": "", "締め日": ""}  # key cleared
    elif rows:
        del rows[chance.randrange(len(rows))]


def test_reading_by_changed_rows_always_equals_reading_every_row() -> None:
    chance = random.Random(11)
    tabs = _tabs(chance)
    reader = StaffReader()
    for step in range(300):
        got = reader.read(tabs)
        assert got == read_staff(tabs), step
        assert list(got.desks) == list(read_staff(tabs).desks)
        _edit(tabs, chance, step)


def test_an_unchanged_row_is_not_read_again() -> None:
    read: list[int] = []

    class Counting(dict[str, str]):
        def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
            read.append(id(self))
            return super().get(key, default)

    tabs = {name: [Counting(row) for row in rows] for name, rows in _tabs(random.Random(1)).items()}
    reader = StaffReader()
    reader.read(tabs)
    read.clear()
    edited = Counting({**tabs[APPLICATIONS.name][5], "審査": "承認"})
    tabs[APPLICATIONS.name][5] = edited

    got = reader.read(tabs)

    assert got.decisions["A-00006"] == ("承認", "")
    assert set(read) == {id(edited)}  # the other 396 rows were not read again


def test_the_volunteer_reason_is_read_beside_the_decision_and_kept_apart_from_the_memo() -> None:
    rows = [
        {
            "申請番号": "A-000001",
            "審査": "却下",
            "審査メモ": "内部",
            "却下理由(伴走者へ)": " 重複 ",
        },
        {"申請番号": "A-000002", "審査": "承認", "審査メモ": "", "却下理由(伴走者へ)": ""},
    ]
    got = read_staff({APPLICATIONS.name: rows})
    assert got.decisions == {"A-000001": ("却下", "内部"), "A-000002": ("承認", "")}
    assert got.reasons == {"A-000001": "重複"}
