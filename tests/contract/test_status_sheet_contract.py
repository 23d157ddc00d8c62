"""One contract for every StatusSheet: LocalSheet over CSV files, GoogleSheet over the
local Google emulator (gspread over loopback). Staff actions are done the way each
backend allows: editing the CSV file, or the emulator's staff hook."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.google_sheet import GoogleSheet
from bansou_sync.adapters.google_sheet_read import letters
from bansou_sync.adapters.local_sheet import LocalSheet
from bansou_sync.core.tabs import (
    ALL_TABS,
    APPLICATIONS,
    MAILS,
    OPERATIONS,
    PAYMENTS,
    STATS,
    SUPPORTERS,
    SYNC,
    TABS_BY_NAME,
)
from bansou_sync.emulator.server import Emulator, start_emulator
from bansou_sync.ports import StatusSheet, TabRows

H = SUPPORTERS.headers
Row = list[str | int]


class Backend(Protocol):
    sheet: StatusSheet

    def fresh(self) -> StatusSheet: ...
    def staff_types(self, tab: str, key: str, **cells: str) -> None: ...
    def staff_sorts(self, tab: str, column: str, descending: bool = False) -> None: ...
    def staff_deletes(self, tab: str, key: str) -> None: ...
    def staff_inserts_blank_row(self, tab: str, row: int) -> None: ...
    def staff_adds_row(self, tab: str, cells: dict[str, str]) -> None: ...


class LocalBackend:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sheet = LocalSheet(folder)

    def fresh(self) -> StatusSheet:
        return LocalSheet(self.folder)

    def _records(self, tab: str) -> list[list[str]]:
        text = (self.folder / f"{tab}.csv").read_bytes().decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline="")))

    def _save(self, tab: str, records: list[list[str]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(records)
        (self.folder / f"{tab}.csv").write_bytes(buffer.getvalue().encode("utf-8-sig"))

    def staff_types(self, tab: str, key: str, **cells: str) -> None:
        records = self._records(tab)
        for record in records[1:]:
            if record and record[0] == key:
                for name, value in cells.items():
                    record[records[0].index(name)] = value
        self._save(tab, records)

    def staff_sorts(self, tab: str, column: str, descending: bool = False) -> None:
        records = self._records(tab)
        index = records[0].index(column)
        body = sorted(records[1:], key=lambda r: r[index], reverse=descending)
        self._save(tab, [records[0], *body])

    def staff_deletes(self, tab: str, key: str) -> None:
        self._save(tab, [r for r in self._records(tab) if not r or r[0] != key])

    def staff_inserts_blank_row(self, tab: str, row: int) -> None:
        records = self._records(tab)
        records.insert(row - 1, [""] * len(records[0]))
        self._save(tab, records)

    def staff_adds_row(self, tab: str, cells: dict[str, str]) -> None:
        records = self._records(tab)
        records.append([cells.get(h, "") for h in records[0]])
        self._save(tab, records)


class GoogleBackend:
    def __init__(self, emulator: Emulator, folder: Path) -> None:
        self.emulator = emulator
        self.sid = emulator.sheets.load_fixture({"sheets": {"Sheet1": []}})
        self.access = GoogleAccess(emulator.write_service_account_file(folder / "key.json"))
        self.access = GoogleAccess(self.access.credentials_file, None, emulator.base_url)
        self.sheet = GoogleSheet(self.access, self.sid, cache_path=folder / "sheet-cache.sqlite3")

    def fresh(self) -> StatusSheet:
        return GoogleSheet(self.access, self.sid)

    def _row_of(self, tab: str, key: str) -> int:
        rows = self.emulator.sheets.dump(self.sid)[tab]
        return next(i for i, r in enumerate(rows, start=1) if r and r[0] == key)

    def staff_types(self, tab: str, key: str, **cells: str) -> None:
        row = self._row_of(tab, key)
        for name, value in cells.items():
            cell = f"{letters(TABS_BY_NAME[tab].headers.index(name))}{row}"
            self.emulator.sheets.staff_set_cell(self.sid, tab, cell, value)

    def staff_sorts(self, tab: str, column: str, descending: bool = False) -> None:
        self.emulator.sheets.staff_sort(self.sid, tab, column, descending)

    def staff_deletes(self, tab: str, key: str) -> None:
        self.emulator.sheets.staff_delete_row(self.sid, tab, self._row_of(tab, key))

    def staff_inserts_blank_row(self, tab: str, row: int) -> None:
        self.emulator.sheets.staff_insert_row(self.sid, tab, row)

    def staff_adds_row(self, tab: str, cells: dict[str, str]) -> None:
        row = len(self.emulator.sheets.dump(self.sid)[tab]) + 1
        for name, value in cells.items():
            cell = f"{letters(TABS_BY_NAME[tab].headers.index(name))}{row}"
            self.emulator.sheets.staff_set_cell(self.sid, tab, cell, value)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = start_emulator()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(params=["local", "google", "google-stay"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Google twice: row metadata moving with its row on a sort, and staying at its
    position (Google does not document which; issue 11 §2)."""
    if request.param == "local":
        return LocalBackend(tmp_path / "status")
    emulator: Emulator = request.getfixturevalue("emulator")
    behaviour = "stay" if request.param == "google-stay" else "move"
    emulator.sheets.row_metadata_on_sort = behaviour  # type: ignore[attr-defined]
    return GoogleBackend(emulator, tmp_path)


def supporter(n: int, **cells: str | int) -> Row:
    values: dict[str, str | int] = {
        "伴走ネットID": f"BN-{n:04d}",
        "登録日時": "2022-06-01 10:00",
        "氏名": f"伴走 {n}",
        "メールアドレス": f"v{n}@example.com",
        "会員区分": "会員",
        "状態": "有効",
        "状態コード": "active",
        "申請件数": n,
        "謝金累計": 6000 * n,
        **cells,
    }
    return [values.get(h, "") for h in H]


def supporters(*numbers: int, **cells: str | int) -> TabRows:
    return TabRows(SUPPORTERS.name, [supporter(n, **cells) for n in numbers])


def all_six_tabs() -> list[TabRows]:
    application: Row = [
        *["A-000001", "ACYDBN1", "2022-06-10 09:00", "BN-0001", "伴走 1", "", "C-0001"],
        *["2022-06-09", 90, "受理", "accepted", "", "", 6000, "2022-07-08", "", "", ""],
    ]
    application[-1] = "2022-06-10 09:01"
    application += [""] * (len(APPLICATIONS.headers) - len(application))  # added columns
    payment: Row = ["2022-07-08", "2022-06-20", "BN-0001", "伴走 1", 1, 6000, "予定", ""]
    mail: Row = ["2022-06-10 09:02", "受理", "v***@example.com", "A-000001", "送信済", "<m1@x>"]
    return [
        supporters(1, 2),
        TabRows(APPLICATIONS.name, [application]),
        TabRows(PAYMENTS.name, [payment]),
        TabRows(MAILS.name, [mail]),
        TabRows(STATS.name, [["区分", "会員", 2], ["判定", "受理", 1]]),
        TabRows(SYNC.name, [["2022-06-10 09:05", "成功", 2, 1, 1, "", ""]]),
        TabRows(OPERATIONS.name, []),  # staff add its rows (core.operations)
    ]


def by_key(sheet: StatusSheet, tab: str = SUPPORTERS.name) -> dict[str, dict[str, Any]]:
    return {row.key[0]: dict(row.cells) for row in sheet.read().tabs[tab]}


def test_all_six_tabs_read_back_keyed_with_every_cell_as_written(backend: Backend) -> None:
    written = all_six_tabs()
    backend.sheet.write(written)

    snapshot = backend.fresh().read()

    assert snapshot.problems == ()
    for tab in written:
        layout = TABS_BY_NAME[tab.name]
        rows = snapshot.tabs[tab.name]
        expected = [[str(v) for v in row] for row in tab.rows]
        assert [[row.cells[h] for h in layout.headers] for row in rows] == expected
        assert [row.key for row in rows] == [
            tuple(r[layout.headers.index(k)] for k in layout.key) for r in expected
        ]


def test_written_keys_and_blank_staff_columns_are_what_a_cycle_reads(backend: Backend) -> None:
    backend.sheet.write(all_six_tabs())

    snapshot = backend.sheet.read()

    assert [r.key for r in snapshot.tabs[SUPPORTERS.name]] == [("BN-0001",), ("BN-0002",)]
    assert [r.key for r in snapshot.tabs[PAYMENTS.name]] == [("2022-06-20", "BN-0001")]
    assert snapshot.tabs[SUPPORTERS.name][0].cells["メモ"] == ""
    assert snapshot.tabs[APPLICATIONS.name][0].cells["審査"] == ""


def test_staff_columns_are_never_overwritten_even_when_the_rows_carry_values(
    backend: Backend,
) -> None:
    backend.sheet.write([supporters(1, 2)])
    backend.staff_types(SUPPORTERS.name, "BN-0001", メモ="スタッフのメモ")
    backend.sheet.read()

    backend.sheet.write([supporters(1, 2, メモ="daemon must not write this", 覚書受領="TRUE")])

    cells = by_key(backend.fresh())
    assert cells["BN-0001"]["メモ"] == "スタッフのメモ"
    assert cells["BN-0002"]["メモ"] == ""
    assert cells["BN-0001"]["覚書受領"] == ""


def test_clear_columns_blanks_only_the_named_staff_columns_and_skips_what_is_not_there(
    backend: Backend,
) -> None:
    backend.sheet.write([supporters(1, 2)])
    backend.staff_types(
        SUPPORTERS.name, "BN-0001", メモ="スタッフのメモ", 連絡先訂正="new@example.com"
    )
    backend.staff_types(SUPPORTERS.name, "BN-0002", メモ="別のメモ", 覚書受領="TRUE")

    cleared = backend.fresh().clear_columns(
        {SUPPORTERS.name: ["メモ", "no such column"], "no such tab": ["メモ"]}
    )

    assert cleared > 0
    cells = by_key(backend.fresh())
    assert [cells[k]["メモ"] for k in ("BN-0001", "BN-0002")] == ["", ""]
    assert cells["BN-0001"]["連絡先訂正"] == "new@example.com"
    assert cells["BN-0002"]["覚書受領"] == "TRUE"
    assert cells["BN-0002"]["氏名"] == "伴走 2"


def test_rows_are_found_by_key_after_staff_sort_insert_and_delete_between_read_and_write(
    backend: Backend,
) -> None:
    backend.sheet.write([supporters(1, 2, 3, 4)])
    for n in (1, 2, 3, 4):
        backend.staff_types(SUPPORTERS.name, f"BN-{n:04d}", メモ=f"memo {n}")
    backend.sheet.read()
    backend.staff_sorts(SUPPORTERS.name, "伴走ネットID", descending=True)
    backend.staff_inserts_blank_row(SUPPORTERS.name, 2)
    backend.staff_deletes(SUPPORTERS.name, "BN-0002")

    backend.sheet.write(
        [TabRows(SUPPORTERS.name, [supporter(n, 申請件数=10 * n) for n in (1, 2, 3, 4)])]
    )
    backend.sheet.read()
    backend.sheet.write(
        [TabRows(SUPPORTERS.name, [supporter(n, 申請件数=10 * n) for n in (1, 2, 3, 4)])]
    )

    cells = by_key(backend.fresh())
    assert sorted(cells) == ["BN-0001", "BN-0002", "BN-0003", "BN-0004"]
    for n in (1, 3, 4):
        assert cells[f"BN-{n:04d}"]["メモ"] == f"memo {n}"
        assert cells[f"BN-{n:04d}"]["申請件数"] == str(10 * n)
        assert cells[f"BN-{n:04d}"]["氏名"] == f"伴走 {n}"
    assert cells["BN-0002"]["メモ"] == ""
    assert cells["BN-0002"]["申請件数"] == "20"


def test_a_row_staff_deleted_is_written_again(backend: Backend) -> None:
    backend.sheet.write([supporters(1, 2, 3)])
    backend.staff_deletes(SUPPORTERS.name, "BN-0002")
    assert sorted(by_key(backend.sheet)) == ["BN-0001", "BN-0003"]

    backend.sheet.write([supporters(1, 2, 3)])

    cells = by_key(backend.fresh())
    assert sorted(cells) == ["BN-0001", "BN-0002", "BN-0003"]
    assert cells["BN-0002"]["氏名"] == "伴走 2"


def test_a_row_with_an_unknown_key_and_staff_content_is_kept(backend: Backend) -> None:
    backend.sheet.write([supporters(1)])
    backend.staff_adds_row(SUPPORTERS.name, {"伴走ネットID": "BN-0999", "メモ": "手書きの行"})
    backend.sheet.read()

    backend.sheet.write([supporters(1)])

    cells = by_key(backend.fresh())
    assert cells["BN-0999"]["メモ"] == "手書きの行"
    assert cells["BN-0001"]["氏名"] == "伴走 1"


def test_ticked_checkboxes_read_back_as_true(backend: Backend) -> None:
    backend.sheet.write(all_six_tabs())
    backend.staff_types(SUPPORTERS.name, "BN-0002", 覚書受領="TRUE", 口座届出受領="FALSE")
    backend.staff_types(PAYMENTS.name, "2022-07-08", 支払済="TRUE")

    snapshot = backend.sheet.read()

    cells = {r.key[0]: r.cells for r in snapshot.tabs[SUPPORTERS.name]}
    assert cells["BN-0002"]["覚書受領"] == "TRUE"
    assert cells["BN-0002"]["口座届出受領"] == "FALSE"
    assert snapshot.tabs[PAYMENTS.name][0].cells["支払済"] == "TRUE"


def test_the_sync_tab_is_rewritten_as_given_and_shrinks(backend: Backend) -> None:
    rows: list[Row] = [
        ["2022-07-10 12:00", "成功", 1, 0, 2, "", ""],
        ["2022-07-10 11:00", "失敗", 0, 0, 0, "-", ""],
    ]
    backend.sheet.write([TabRows(SYNC.name, rows)])
    backend.sheet.write([TabRows(SYNC.name, rows[:1])])

    read_back = backend.fresh().read().tabs[SYNC.name]
    assert [row.cells["結果"] for row in read_back] == ["成功"]
    assert read_back[0].key == ()


def test_a_cycle_that_writes_every_tab_empty_leaves_them_readable(backend: Backend) -> None:
    backend.sheet.write([TabRows(t.name, []) for t in ALL_TABS])

    snapshot = backend.fresh().read()

    assert {name: list(rows) for name, rows in snapshot.tabs.items()} == {
        t.name: [] for t in ALL_TABS
    }


def test_a_key_in_several_rows_is_reported_with_each_rows_number_and_staff_cells(
    backend: Backend,
) -> None:
    backend.sheet.write([supporters(1, 2)])
    backend.staff_types(SUPPORTERS.name, "BN-0002", 覚書受領="TRUE")
    backend.staff_adds_row(SUPPORTERS.name, {"伴走ネットID": "BN-0002", "メモ": "写し"})

    snapshot = backend.fresh().read()

    assert [row.key for row in snapshot.tabs[SUPPORTERS.name]] == [("BN-0001",), ("BN-0002",)]
    (repeat,) = snapshot.repeats
    assert (repeat.tab, repeat.key) == (SUPPORTERS.name, ("BN-0002",))
    assert [(n, cells["覚書受領"], cells["メモ"]) for n, cells in repeat.rows] == [
        (3, "TRUE", ""),
        (4, "", "写し"),
    ]
    assert set(repeat.rows[0][1]) == set(SUPPORTERS.staff)  # staff cells only


def test_no_bidi_or_control_character_is_written_to_a_cell(backend: Backend) -> None:
    sly = "伴走\u202e\u2066 1\x0b\x85\x00"
    backend.sheet.write(
        [supporters(1, 氏名=sly), TabRows(SYNC.name, [["x", sly, 0, 0, 0, sly, ""]])]
    )

    snapshot = backend.fresh().read(full=True)

    assert snapshot.tabs[SUPPORTERS.name][0].cells["氏名"] == "伴走 1"
    assert snapshot.tabs[SYNC.name][0].cells["結果"] == "伴走 1"


def two_rows(tab: str) -> list[Row]:
    """Two rows of a keyed tab, told apart by their key (and a daemon value)."""
    if tab == SUPPORTERS.name:
        return [supporter(1), supporter(2)]
    if tab == APPLICATIONS.name:
        return [
            [
                *[f"A-00000{n}", f"R{n}", "2022-06-10 09:00", f"BN-000{n}", f"伴走 {n}", ""],
                *["C-0001", "2022-06-09", 90, "受付完了", "accepted", "", "", 6000],
                *["2022-07-08", "", "", "2022-06-10 09:01", ""],
                # what staff judge by, 元申請番号, the correction columns (issue 13 §1)
                *["10:00", "11:30", "医療", "病院", "", "架空の支援", ""],
                *["", "", "", ""],
            ]
            for n in (1, 2)
        ]
    if tab == PAYMENTS.name:  # BN-0002's 6/20 batch is held, then released into 7/20
        return [
            ["2022-07-08", "2022-06-20", "BN-0001", "伴走 1", 1, 6000, "予定", ""],
            ["", "2022-06-20", "BN-0002", "伴走 2", 1, 6000, "保留", ""],
        ]
    return [
        ["2022-06-10 09:02", "受理", "v***@example.com", f"A-00000{n}", "送信済", f"<m{n}@x>"]
        for n in (1, 2)
    ]


KEYED = [SUPPORTERS.name, APPLICATIONS.name, PAYMENTS.name, MAILS.name]


def key_of(tab: str, row: Row) -> tuple[str, ...]:
    layout = TABS_BY_NAME[tab]
    return tuple(str(row[layout.headers.index(k)]) for k in layout.key)


@pytest.mark.parametrize("tab", KEYED)
def test_the_row_of_a_key_that_leaves_a_tab_is_removed_and_the_others_keep_staff_cells(
    backend: Backend, tab: str
) -> None:
    layout = TABS_BY_NAME[tab]
    first, second = two_rows(tab)
    backend.sheet.write([TabRows(tab, [first, second])])
    typed = {h: "TRUE" if h in layout.checkboxes else "スタッフ記入" for h in layout.staff}
    if typed:
        backend.staff_types(tab, str(first[0]), **typed)
    backend.sheet.read()

    backend.sheet.write([TabRows(tab, [first])])

    snapshot = backend.fresh().read()
    assert [row.key for row in snapshot.tabs[tab]] == [key_of(tab, first)]
    assert {h: snapshot.tabs[tab][0].cells[h] for h in layout.staff} == typed
    assert backend.sheet.last_problems == []


@pytest.mark.parametrize("tab", KEYED)
def test_a_key_that_leaves_after_a_staff_sort_removes_only_its_own_row(
    backend: Backend, tab: str
) -> None:
    rows = two_rows(tab)
    backend.sheet.write([TabRows(tab, rows)])
    backend.sheet.read()
    header = TABS_BY_NAME[tab].headers[0]
    backend.staff_sorts(tab, header, descending=True)

    backend.sheet.write([TabRows(tab, [rows[1]])])
    backend.sheet.read()
    backend.sheet.write([TabRows(tab, [rows[1]])])

    assert [row.key for row in backend.fresh().read().tabs[tab]] == [key_of(tab, rows[1])]


def test_a_tick_on_a_row_whose_key_left_is_reported_and_applied_to_no_other_row(
    backend: Backend,
) -> None:
    ready, held = two_rows(PAYMENTS.name)
    released: Row = ["2022-09-09", "2022-08-20", "BN-0002", "伴走 2", 1, 6000, "予定", ""]
    backend.sheet.write([TabRows(PAYMENTS.name, [ready, held])])
    backend.staff_types(PAYMENTS.name, "", 支払済="TRUE")  # on the held row
    backend.sheet.read()

    backend.sheet.write([TabRows(PAYMENTS.name, [ready, released])])

    rows = {row.key: row.cells for row in backend.fresh().read().tabs[PAYMENTS.name]}
    assert sorted(rows) == [("2022-06-20", "BN-0001"), ("2022-08-20", "BN-0002")]
    assert all(cells["支払済"] == "" for cells in rows.values())
    (problem,) = backend.sheet.last_problems
    assert "2022-06-20 BN-0002" in problem and "支払済" in problem


def test_a_row_staff_typed_under_a_key_of_their_own_is_not_removed_with_the_keys_that_leave(
    backend: Backend,
) -> None:
    backend.sheet.write([supporters(1, 2)])
    backend.staff_adds_row(SUPPORTERS.name, {"伴走ネットID": "BN-0999", "メモ": "手書きの行"})
    backend.sheet.read()

    backend.sheet.write([supporters(1)])

    cells = by_key(backend.fresh())
    assert sorted(cells) == ["BN-0001", "BN-0999"]
    assert cells["BN-0999"]["メモ"] == "手書きの行"


def test_a_row_staff_duplicated_is_removed_and_the_original_keeps_its_staff_cells(
    backend: Backend,
) -> None:
    backend.sheet.write([supporters(1, 2)])
    backend.staff_types(SUPPORTERS.name, "BN-0001", メモ="元の行")
    copy = {h: str(v) for h, v in zip(H, supporter(1), strict=True) if v != ""}
    backend.staff_adds_row(SUPPORTERS.name, copy)  # a copy of BN-0001 without the memo
    backend.sheet.read()

    backend.sheet.write([supporters(1, 2, 申請件数=5)])

    rows = backend.fresh().read()
    assert not [p for p in rows.problems if "複数の行" in p]  # no second BN-0001 left
    cells = {row.key[0]: row.cells for row in rows.tabs[SUPPORTERS.name]}
    assert sorted(cells) == ["BN-0001", "BN-0002"]
    assert cells["BN-0001"]["メモ"] == "元の行"


def test_an_operations_row_staff_added_keeps_its_outcome_through_a_sort(backend: Backend) -> None:
    """操作 (issue 13 §4): staff type every key cell, some parameters blank; the daemon
    writes only its columns, found by that key, whatever the order of the rows."""
    backend.sheet.write([TabRows(OPERATIONS.name, [])])
    backend.staff_adds_row(OPERATIONS.name, {"種類": "宛名ラベル", "依頼": "TRUE"})
    backend.staff_adds_row(
        OPERATIONS.name, {"種類": "報告書", "開始月": "2022-06", "形式": "pdf", "依頼": "TRUE"}
    )
    read = backend.sheet.read().tabs[OPERATIONS.name]
    keys = [row.key for row in read]
    assert keys == [("宛名ラベル", "", "", "", ""), ("報告書", "", "2022-06", "", "pdf")]
    outcome = {keys[0]: "ラベルPDF: a.pdf", keys[1]: "報告書: b.pdf"}
    rows: list[Row] = [[*key, "", "処理済", outcome[key], "2022-07-01 09:00"] for key in keys]
    backend.sheet.write([TabRows(OPERATIONS.name, rows)])
    backend.staff_sorts(OPERATIONS.name, "種類", descending=True)
    backend.sheet.read()
    backend.sheet.write([TabRows(OPERATIONS.name, rows[::-1])])

    again = {row.key: row.cells for row in backend.fresh().read().tabs[OPERATIONS.name]}
    assert {key: cells["結果"] for key, cells in again.items()} == outcome
    assert all(cells["依頼"] == "TRUE" for cells in again.values())
