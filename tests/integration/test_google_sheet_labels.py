"""A cold start's labelled tabs on the Google sheet (issue 14): a new process given rows
of the label whose last write left the tab as it was, on a narrow read with the same
values, writes nothing and never looks at the rows; a staff edit, another label, no
label, a lost row cache or the hourly whole read make it look at them and write what
must be written. Through gspread against the emulator."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import pytest

from bansou_sync.adapters import google_sheet, kept_projection
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.google_sheet import GoogleSheet
from bansou_sync.adapters.google_sheet_read import letters
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.app import staff_memo
from bansou_sync.core.staff import StaffInput, read_staff
from bansou_sync.core.tabs import STATS, SUPPORTERS
from bansou_sync.emulator.server import Emulator
from bansou_sync.ports import SheetSnapshot, TabRows

FAST = RetryPolicy(attempts=12, total_seconds=30, base_seconds=0.001, max_wait_seconds=0.01)
H = SUPPORTERS.headers
Row = list[str | int]


def supporter(n: int, name: str = "") -> Row:
    values: dict[str, str | int] = {
        "伴走ネットID": f"BN-{n:04d}",
        "氏名": name or f"伴走 {n}",
        "メールアドレス": f"v{n}@example.com",
        "申請件数": n,
    }
    return [values.get(h, "") for h in H]


def stats(count: int) -> Row:
    return ["月別", "2022-06", count]


class Watched(Sequence[Row]):
    """Rows that note whether anything looked at them (as a cold start's Deferred tab)."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows, self.looked = rows, False

    def __len__(self) -> int:
        self.looked = True
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        self.looked = True
        return self.rows[index]

    def __iter__(self) -> Iterator[Row]:
        self.looked = True
        return iter(self.rows)


class Book:
    """One spreadsheet, written by a new ``GoogleSheet`` per cycle (a process each)."""

    def __init__(self, emulator: Emulator, access: GoogleAccess, folder: Path) -> None:
        self.emulator, self.access = emulator, access
        self.sid: str = emulator.sheets.load_fixture({"sheets": {"Sheet1": []}})
        self.cache = folder / "sheet-cache.sqlite3"

    def cycle(self, label: str, people: list[Row], counts: list[Row]) -> tuple[bool, bool, int]:
        """Read and write as a cycle does: (supporters looked at, 統計 looked at, writes)."""
        sheet = GoogleSheet(self.access, self.sid, policy=FAST, cache_path=self.cache)
        sheet.read()
        self.emulator.reset_counters()
        tabs = [
            TabRows(SUPPORTERS.name, Watched(people), label),
            TabRows(STATS.name, Watched(counts), label),
        ]
        sheet.write(tabs)
        writes = sum(n for k, n in self.emulator.counters().items() if "batchUpdate" in k)
        return tabs[0].rows.looked, tabs[1].rows.looked, writes  # type: ignore[attr-defined]

    def dump(self) -> dict[str, list[list[Any]]]:
        tabs: dict[str, list[list[Any]]] = self.emulator.sheets.dump(self.sid)
        return {name: tabs[name] for name in (SUPPORTERS.name, STATS.name)}


@pytest.fixture
def book(emulator: Emulator, access: GoogleAccess, tmp_path: Path) -> Book:
    return Book(emulator, access, tmp_path)


PEOPLE = [supporter(n) for n in range(1, 6)]
COUNTS = [stats(7)]


def test_rows_of_the_label_last_left_as_they_were_are_not_looked_at_nor_written(
    book: Book,
) -> None:
    assert book.cycle("L1", PEOPLE, COUNTS)[2] > 0  # made: not a fixed point yet
    assert book.cycle("L1", PEOPLE, COUNTS) == (True, True, 0)  # a fixed point: noted
    before = book.dump()
    assert book.cycle("L1", PEOPLE, COUNTS) == (False, False, 0)
    assert book.cycle("L1", PEOPLE, COUNTS) == (False, False, 0)
    assert book.dump() == before


def test_another_label_or_none_is_looked_at_and_written(book: Book) -> None:
    book.cycle("L1", PEOPLE, COUNTS)
    book.cycle("L1", PEOPLE, COUNTS)
    renamed = [supporter(1, "改名 一"), *PEOPLE[1:]]
    looked_people, looked_stats, writes = book.cycle("L2", renamed, [stats(8)])
    assert looked_people and looked_stats and writes > 0
    rows = book.dump()[SUPPORTERS.name]
    assert rows[1][H.index("氏名")] == "改名 一"
    assert book.dump()[STATS.name][1] == ["月別", "2022-06", "8"]
    # a write that landed whole notes its label on the read that follows it (統計,
    # rewritten in place: on the read predicted after its rewrite)
    assert book.cycle("L2", renamed, [stats(8)]) == (False, False, 0)
    assert book.dump()[STATS.name][1:] == [["月別", "2022-06", "8"]]
    shorter = [["月別", "2022-05", 3], ["月別", "2022-06", 5]]
    assert book.cycle("L3", renamed, shorter)[1:] != (False, 0)  # 統計 rewritten
    assert book.cycle("L3", renamed, shorter) == (False, False, 0)
    assert book.cycle("", renamed, shorter) == (True, True, 0)  # no label: always looked at
    assert book.cycle("L3", renamed, shorter) == (True, True, 0)  # noted again first
    assert book.cycle("L3", renamed, shorter) == (False, False, 0)


def test_rows_inserted_by_a_write_are_noted_on_the_read_predicted_after_them(
    book: Book,
) -> None:
    book.cycle("L1", PEOPLE, COUNTS)
    book.cycle("L1", PEOPLE, COUNTS)
    grown = [*PEOPLE, supporter(6), supporter(7)]
    looked, _, writes = book.cycle("L2", grown, COUNTS)
    assert looked and writes > 0
    before = book.dump()
    assert book.cycle("L2", grown, COUNTS)[0] is False  # the read is the one predicted
    assert book.dump() == before
    assert {row[0] for row in before[SUPPORTERS.name][1:]} == {p[0] for p in grown}


def test_a_staff_edit_a_deleted_row_or_a_lost_cache_makes_the_rows_looked_at(
    book: Book, emulator: Emulator
) -> None:
    book.cycle("L1", PEOPLE, COUNTS)
    book.cycle("L1", PEOPLE, COUNTS)
    memo = letters(H.index("メモ"))
    emulator.sheets.staff_set_cell(book.sid, SUPPORTERS.name, f"{memo}3", "電話済")
    assert book.cycle("L1", PEOPLE, COUNTS)[:2] == (True, False)  # the read differs
    assert book.cycle("L1", PEOPLE, COUNTS) == (False, False, 0)  # noted on the new read
    emulator.sheets.staff_delete_row(book.sid, SUPPORTERS.name, 4)  # BN-0003
    looked, _, writes = book.cycle("L1", PEOPLE, COUNTS)
    assert looked and writes > 0
    assert {row[0] for row in book.dump()[SUPPORTERS.name][1:]} == {p[0] for p in PEOPLE}
    book.cycle("L1", PEOPLE, COUNTS)
    book.cache.unlink()
    assert book.cycle("L1", PEOPLE, COUNTS)[:2] == (True, True)


def test_the_hourly_whole_read_looks_at_the_rows_and_restores_a_daemon_cell(
    book: Book, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    book.cycle("L1", PEOPLE, COUNTS)
    book.cycle("L1", PEOPLE, COUNTS)
    name = letters(H.index("氏名"))
    emulator.sheets.staff_set_cell(book.sid, SUPPORTERS.name, f"{name}2", "書き換え")
    assert book.cycle("L1", PEOPLE, COUNTS) == (False, False, 0)  # a daemon cell: not read
    later = google_sheet.clock() + google_sheet.FULL_CHECK_SECONDS + 1
    monkeypatch.setattr(google_sheet, "clock", lambda: later)
    looked, _, writes = book.cycle("L1", PEOPLE, COUNTS)
    assert looked and writes > 0
    assert book.dump()[SUPPORTERS.name][1][H.index("氏名")] == "伴走 1"


def test_a_narrow_read_names_the_staff_rows_alike_in_every_process_until_staff_edit(
    book: Book, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``app.staff_memo`` keeps the staff input under: the same for the same narrow
    read in a new process, another after a staff edit, none on the hourly whole read."""
    book.cycle("L1", PEOPLE, COUNTS)
    book.cycle("L1", PEOPLE, COUNTS)

    def process() -> SheetSnapshot:
        return GoogleSheet(book.access, book.sid, policy=FAST, cache_path=book.cache).read()

    def rows_read(snapshot: SheetSnapshot) -> StaffInput:
        return read_staff({tab: [row.cells for row in rows] for tab, rows in snapshot.tabs.items()})

    first = process()
    name = staff_memo.name_for(first)
    assert name is not None and staff_memo.name_for(process()) == name
    keep = kept_projection.for_staff(tmp_path / "ledger.sqlite3", "1.0")
    full = rows_read(first)
    assert not full.desks["BN-0002"].memo_received
    assert staff_memo.staff_input(keep, name, lambda: full) is full  # read, and kept
    taken = staff_memo.staff_input(keep, staff_memo.name_for(process()), lambda: pytest.fail())
    assert taken == full
    memo = letters(H.index("覚書受領"))
    emulator.sheets.staff_set_cell(book.sid, SUPPORTERS.name, f"{memo}3", "TRUE")
    edited = process()
    assert staff_memo.name_for(edited) not in (None, name)
    assert rows_read(edited).desks["BN-0002"].memo_received  # read afresh: the tick is in
    later = google_sheet.clock() + google_sheet.FULL_CHECK_SECONDS + 1
    monkeypatch.setattr(google_sheet, "clock", lambda: later)
    assert staff_memo.name_for(process()) is None  # the whole read: its rows are read
