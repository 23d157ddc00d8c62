"""Issue 11 §1 through the real CLI: the row of a key that leaves a tab is removed, and a
staff tick on it is reported in 同期, never applied elsewhere — on the embedded default,
and on Google (read and edited with plain gspread, staff sorting and inserting rows, in
both behaviours of row metadata on a sort) with the same tabs as the embedded default."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import gspread
import pytest
from emulated import key_file, running_emulator

from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.core.tabs import TABS_BY_NAME

from .conftest import Project, application

USER1 = {"supporter_id": "BN-0001", "name": "伴走 1郎", "email": "user1@example.com"}


def test_a_released_payment_leaves_its_held_row_and_a_tick_on_that_row_is_only_reported(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.write_config()
    project.register(1)
    project.write_applications(
        [application("2022/07/05 9:00:00", **USER1, support_date="2022/07/01")]
    )
    project.once("2022-07-10 12:00")
    project.review("A-000001", "承認")
    project.once("2022-07-18 12:00")
    project.once("2022-07-21 12:00")  # the papers are not back: held
    (held,) = project.tab("支払")
    assert (held["締め日"], held["状態"]) == ("2022-07-20", "保留")

    project.edit("支払", "締め日", "2022-07-20", 支払済="TRUE")  # a tick on the held row
    project.tick("BN-0001", "○")
    project.once("2022-07-25 12:00")
    project.once("2022-07-25 12:05")  # 同期 shows what the previous write reported

    (batch,) = project.tab("支払")
    assert (batch["締め日"], batch["状態"], batch["支払済"]) == ("2022-08-20", "予定", "")
    assert project.app("A-000001")["状態コード"] == "accepted"  # not paid by that tick
    errors = " ".join(row["エラー"] for row in project.tab("同期"))
    assert "支払 2022-07-20 BN-0001: 支払予定の申請がないため支払済にできません" in errors
    assert "2022-07-20 BN-0001 は一覧から外れたため行を削除しました" in errors
    assert "「支払済」は反映していません" in errors


class Staff:
    """A member of staff at the status sheet: the CSV files, or Google through gspread."""

    def __init__(self, project: Project, book: gspread.Spreadsheet | None = None) -> None:
        self.project, self.book = project, book

    def rows(self, tab: str) -> list[list[str]]:
        if self.book is None:
            text = self.project.tab_path(tab).read_text("utf-8-sig")
            return list(csv.reader(io.StringIO(text)))
        return self.book.worksheet(tab).get_all_values()

    def type(self, tab: str, column: str, key: str, **cells: str) -> None:
        if self.book is None:
            self.project.edit(tab, column, key, **cells)
            return
        sheet = self.book.worksheet(tab)
        header, *rows = sheet.get_all_values()
        (at,) = [i for i, row in enumerate(rows, start=2) if row[header.index(column)] == key]
        for name, value in cells.items():
            sheet.update_cell(at, header.index(name) + 1, value)

    def sort(self, tab: str, column: str) -> None:  # nothing to do on the local backend:
        if self.book is not None:  # its rows come back in the projection's order anyway
            sheet = self.book.worksheet(tab)
            headers = TABS_BY_NAME[tab].headers
            last = gspread.utils.rowcol_to_a1(sheet.row_count, len(headers))
            sheet.sort((headers.index(column) + 1, "des"), range=f"A2:{last}")

    def insert_blank_row(self, tab: str) -> None:
        if self.book is not None:
            self.book.worksheet(tab).insert_row([], 2)


def release_scenario(project: Project, staff: Staff) -> None:
    """Two supporters accepted in July; both payments held on 7/21; papers back and a
    stray 支払済 tick on BN-0001's held row; staff sorting and inserting rows throughout."""
    project.register(2)
    project.write_applications(
        [
            application("2022/07/05 9:00:00", **USER1, support_date="2022/07/01"),
            application(
                "2022/07/06 9:00:00",
                supporter_id="BN-0002",
                name="伴走 2郎",
                email="user2@example.com",
                support_date="2022/07/02",
            ),
        ]
    )
    project.once("2022-07-10 12:00")
    for number in ("A-000001", "A-000002"):
        staff.type("申請", "申請番号", number, 審査="承認")
    staff.sort("申請", "受信日時")
    project.once("2022-07-18 12:00")
    staff.sort("伴走者", "伴走ネットID")
    staff.insert_blank_row("支払")
    project.once("2022-07-21 12:00")  # both held
    staff.type("支払", "伴走ネットID", "BN-0001", 支払済="TRUE")
    for supporter in ("BN-0001", "BN-0002"):
        staff.type("伴走者", "伴走ネットID", supporter, 覚書受領="TRUE", 口座届出受領="TRUE")
    staff.sort("支払", "伴走ネットID")
    staff.sort("伴走者", "氏名")
    project.once("2022-07-25 12:00")  # both released into the 8/20 batch
    project.once("2022-07-25 12:05")


def keyed(rows: list[list[str]]) -> list[list[str]]:
    """The header, then the rows with content, in key order (staff chose the order)."""
    return [rows[0], *sorted(row for row in rows[1:] if any(row))]


@pytest.mark.parametrize("behaviour", ["move", "stay"])
def test_on_google_the_held_rows_go_as_on_the_embedded_default_whatever_staff_sorted(
    tmp_path: Path, behaviour: str
) -> None:
    (tmp_path / "local").mkdir()
    (tmp_path / "google").mkdir()
    local = Project(tmp_path / "local")
    local.write_config()
    release_scenario(local, Staff(local))
    with running_emulator() as emu:
        emu.sheets.row_metadata_on_sort = behaviour  # type: ignore[attr-defined]
        book_id = emu.sheets.load_fixture({"title": "状況", "sheets": {"Sheet1": []}})
        project = Project(tmp_path / "google")
        key = key_file(emu, tmp_path)
        project.write_config(
            sheet={"kind": "google", "spreadsheet_id": book_id},
            google={"credentials_file": str(key), "api_base": emu.base_url},
        )
        access = GoogleAccess(key, None, emu.base_url)
        scopes = ["https://www.googleapis.com/auth/spreadsheets"]
        book = gspread_client(access.credentials(scopes), emu.base_url).open_by_key(book_id)
        release_scenario(project, Staff(project, book))
        google = Staff(project, book)

        payments = google.rows("支払")
        for tab in ("伴走者", "申請", "支払"):
            assert keyed(google.rows(tab)) == keyed(Staff(local).rows(tab)), tab
        errors = " ".join(row[5] for row in google.rows("同期")[1:])

    assert [row[1:3] for row in keyed(payments)[1:]] == [
        ["2022-08-20", "BN-0001"],
        ["2022-08-20", "BN-0002"],
    ]
    assert all(row[7] == "" for row in payments[1:])  # the stray tick went nowhere
    assert "2022-07-20 BN-0001 は一覧から外れたため行を削除しました" in errors
    assert "「支払済」は反映していません" in errors
