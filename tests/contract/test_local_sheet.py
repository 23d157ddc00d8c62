"""LocalSheet keeps the status spreadsheet as CSV files staff may edit in Excel."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bansou_sync.adapters.local_sheet import LocalSheet
from bansou_sync.core.tabs import ALL_TABS, APPLICATIONS, PAYMENTS, SUPPORTERS, SYNC
from bansou_sync.errors import SheetFormatError
from bansou_sync.ports import TabRows

H = SUPPORTERS.headers


def supporter(n: int, **cells: str | int) -> list[str | int]:
    """A 伴走者 row as the daemon projects it (staff columns left blank or as given)."""
    values: dict[str, str | int] = {
        "伴走ネットID": f"BN-{n:04d}",
        "登録日時": "2022-06-01 10:00",
        "氏名": f"伴走 {n}",
        "メールアドレス": f"v{n}@example.com",
        "会員区分": "会員",
        "状態": "有効",
        "状態コード": "active",
        "申請件数": 0,
        "謝金累計": 0,
        **cells,
    }
    return [values.get(h, "") for h in H]


def supporters(*rows: list[str | int]) -> TabRows:
    return TabRows(SUPPORTERS.name, rows)


def file_records(sheet: LocalSheet, tab: str) -> list[list[str]]:
    text = sheet.path(tab).read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def save_as_excel(
    sheet: LocalSheet, tab: str, records: list[list[str]], encoding: str = "cp932"
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(records)
    sheet.path(tab).write_bytes(buffer.getvalue().encode(encoding))


def staff_types(sheet: LocalSheet, key: str, **cells: str) -> None:
    """Edit the 伴走者 file as staff would: find the row by ID, type into named columns."""
    records = file_records(sheet, SUPPORTERS.name)
    header = records[0]
    for record in records[1:]:
        if record[0] == key:
            for name, value in cells.items():
                record[header.index(name)] = value
    save_as_excel(sheet, SUPPORTERS.name, records, encoding="utf-8-sig")


def cells_by_key(sheet: LocalSheet, tab: str = SUPPORTERS.name) -> dict[str, dict[str, str]]:
    return {row.key[0]: dict(row.cells) for row in sheet.read().tabs[tab]}


def test_written_rows_read_back_keyed_with_every_cell_as_text(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path / "status")
    sheet.write([supporters(supporter(1, 申請件数=2, 謝金累計=12000), supporter(2))])

    snapshot = sheet.read()

    rows = snapshot.tabs[SUPPORTERS.name]
    assert [row.key for row in rows] == [("BN-0001",), ("BN-0002",)]
    assert rows[0].cells["謝金累計"] == "12000"
    assert rows[0].cells["メールアドレス"] == "v1@example.com"
    assert rows[0].cells["メモ"] == ""
    assert snapshot.problems == ()


def test_a_tab_file_is_utf8_with_bom_crlf_and_the_layout_headers(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])

    raw = sheet.path(SUPPORTERS.name).read_bytes()

    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 2
    assert file_records(sheet, SUPPORTERS.name)[0] == list(H)


def test_a_tab_without_a_file_is_absent_from_the_snapshot(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])

    assert set(sheet.read().tabs) == {SUPPORTERS.name}


def test_staff_cells_follow_their_key_when_staff_reorder_rows_between_read_and_write(
    tmp_path: Path,
) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1), supporter(2), supporter(3))])
    staff_types(sheet, "BN-0001", 覚書受領="TRUE", メモ="電話済み")
    staff_types(sheet, "BN-0003", 覚書発送日="2022-06-05", 連絡先訂正="new3@example.com")
    sheet.read()
    records = file_records(sheet, SUPPORTERS.name)
    # staff sort descending, delete BN-0002 and insert a blank row on top
    save_as_excel(
        sheet,
        SUPPORTERS.name,
        [records[0], [""] * len(H), records[3], records[1]],
        encoding="utf-8-sig",
    )

    sheet.write([supporters(supporter(1, 申請件数=1), supporter(2), supporter(3), supporter(4))])

    cells = cells_by_key(sheet)
    assert list(cells) == ["BN-0001", "BN-0002", "BN-0003", "BN-0004"]
    assert cells["BN-0001"]["覚書受領"] == "TRUE"
    assert cells["BN-0001"]["メモ"] == "電話済み"
    assert cells["BN-0001"]["申請件数"] == "1"
    assert cells["BN-0003"]["覚書発送日"] == "2022-06-05"
    assert cells["BN-0003"]["連絡先訂正"] == "new3@example.com"
    assert cells["BN-0002"]["メモ"] == "" and cells["BN-0004"]["メモ"] == ""
    assert sheet.last_problems == []


def test_staff_columns_in_the_given_rows_are_ignored(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])
    staff_types(sheet, "BN-0001", メモ="スタッフのメモ")

    sheet.write([supporters(supporter(1, メモ="daemon must not write this", 覚書受領="TRUE"))])

    cells = cells_by_key(sheet)["BN-0001"]
    assert cells["メモ"] == "スタッフのメモ"
    assert cells["覚書受領"] == ""


def test_a_row_no_longer_written_is_removed_and_what_staff_typed_in_it_reported(
    tmp_path: Path,
) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1), supporter(2), supporter(3))])
    staff_types(sheet, "BN-0002", メモ="要連絡")

    sheet.write([supporters(supporter(3), supporter(1))])

    assert list(cells_by_key(sheet)) == ["BN-0003", "BN-0001"]  # SPEC §5: exact
    (problem,) = sheet.last_problems
    assert "BN-0002 は一覧から外れたため行を削除しました" in problem and "メモ" in problem


def test_a_staff_row_without_a_key_is_reported_and_kept(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])
    records = file_records(sheet, SUPPORTERS.name)
    orphan = [""] * len(H)
    orphan[H.index("氏名")] = "伴走 ゆき"
    orphan[H.index("メモ")] = "IDを聞く"
    blank_then_more = [records[0], records[1], [""] * len(H), [""] * len(H), orphan]
    save_as_excel(sheet, SUPPORTERS.name, blank_then_more, encoding="utf-8-sig")

    snapshot = sheet.read()

    assert [row.key for row in snapshot.tabs[SUPPORTERS.name]] == [("BN-0001",)]
    assert snapshot.problems == ("伴走者: 5行目に伴走ネットIDがありません",)
    sheet.write([supporters(supporter(1))])
    assert file_records(sheet, SUPPORTERS.name)[-1][H.index("メモ")] == "IDを聞く"


def test_text_that_excel_would_run_as_a_formula_gets_a_quote_but_numbers_do_not(
    tmp_path: Path,
) -> None:
    sheet = LocalSheet(tmp_path)
    risky: dict[str, str | int] = {
        "氏名": '=HYPERLINK("http://example.com","x")',
        "メールアドレス": "+81-90-0000-0001",
        "紹介者": "-",
        "活動地域": "@x",
        "申請件数": -1,
        "謝金累計": 6000,
    }
    sheet.write([supporters(supporter(1, **risky))])

    record = file_records(sheet, SUPPORTERS.name)[1]
    assert record[H.index("氏名")] == '\'=HYPERLINK("http://example.com","x")'
    assert record[H.index("メールアドレス")] == "'+81-90-0000-0001"
    assert record[H.index("紹介者")] == "'-"
    assert record[H.index("活動地域")] == "'@x"
    assert record[H.index("申請件数")] == "-1"
    assert record[H.index("謝金累計")] == "6000"
    cells = cells_by_key(sheet)["BN-0001"]
    assert cells["氏名"] == risky["氏名"]
    assert cells["紹介者"] == "-"


def test_staff_formulas_are_guarded_when_written_back(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])
    staff_types(sheet, "BN-0001", メモ="=1+1")

    sheet.write([supporters(supporter(1))])

    assert file_records(sheet, SUPPORTERS.name)[1][H.index("メモ")] == "'=1+1"


def test_a_file_excel_resaved_as_cp932_with_slash_dates_reads_back(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1, 登録日時="2022-06-01 09:30"))])
    records = file_records(sheet, SUPPORTERS.name)
    records[1][H.index("登録日時")] = "2022/6/1 9:30"
    records[1][H.index("覚書発送日")] = "2022/6/25"
    records[1][H.index("メモ")] = "6/25 発送"
    save_as_excel(sheet, SUPPORTERS.name, records, encoding="cp932")

    cells = cells_by_key(sheet)["BN-0001"]

    assert cells["覚書発送日"] == "2022-06-25"
    assert cells["登録日時"] == "2022-06-01 09:30"
    assert cells["メモ"] == "6/25 発送"
    assert cells["氏名"] == "伴走 1"


def test_a_payment_key_with_an_excel_date_still_matches_its_row(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    row: list[str | int] = ["2022-07-08", "2022-06-20", "BN-0001", "伴走 1", 1, 6000, "予定", ""]
    sheet.write([TabRows(PAYMENTS.name, [row])])
    records = file_records(sheet, PAYMENTS.name)
    records[1][0], records[1][1], records[1][-1] = "2022/7/8", "2022/6/20", "済"
    save_as_excel(sheet, PAYMENTS.name, records)

    sheet.write([TabRows(PAYMENTS.name, [row])])

    (read_back,) = sheet.read().tabs[PAYMENTS.name]
    assert read_back.key == ("2022-06-20", "BN-0001")
    assert read_back.cells["支払済"] == "済"
    assert sheet.last_problems == []


@pytest.mark.parametrize("ticked", ["TRUE", "1", "はい", "✓", "○", "済", "true"])
def test_checkbox_spellings_are_returned_raw_for_the_core(tmp_path: Path, ticked: str) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])
    staff_types(sheet, "BN-0001", 覚書受領=ticked)
    sheet.write([supporters(supporter(1))])

    assert cells_by_key(sheet)["BN-0001"]["覚書受領"] == ticked


def test_columns_are_read_by_name_whatever_their_order(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])
    staff_types(sheet, "BN-0001", メモ="先頭へ移動")
    records = file_records(sheet, SUPPORTERS.name)
    moved = [[r[-1], *r[:-1]] for r in records]
    save_as_excel(sheet, SUPPORTERS.name, moved, encoding="utf-8")

    assert cells_by_key(sheet)["BN-0001"]["メモ"] == "先頭へ移動"
    sheet.write([supporters(supporter(1))])
    assert file_records(sheet, SUPPORTERS.name)[0] == list(H)
    assert cells_by_key(sheet)["BN-0001"]["メモ"] == "先頭へ移動"


def test_unknown_and_missing_headers_are_problems_and_extra_columns_survive_a_write(
    tmp_path: Path,
) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])
    records = file_records(sheet, SUPPORTERS.name)
    gone = H.index("講座受講")
    edited = [[*r[:gone], *r[gone + 1 :]] for r in records]
    edited[0].append("担当者")
    edited[1].append("佐藤")
    save_as_excel(sheet, SUPPORTERS.name, edited, encoding="utf-8-sig")

    snapshot = sheet.read()

    assert any("担当者" in p for p in snapshot.problems)
    assert any("講座受講" in p for p in snapshot.problems)
    assert snapshot.tabs[SUPPORTERS.name][0].cells["講座受講"] == ""
    sheet.write([supporters(supporter(1))])
    written = file_records(sheet, SUPPORTERS.name)
    assert written[0] == [*H, "担当者"]
    assert written[1][-1] == "佐藤"


def test_duplicate_keys_are_handed_on_with_both_rows_and_both_rows_are_kept(
    tmp_path: Path,
) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])
    staff_types(sheet, "BN-0001", メモ="一つ目")
    records = file_records(sheet, SUPPORTERS.name)
    copy = list(records[1])
    copy[H.index("メモ")] = "二つ目"
    save_as_excel(sheet, SUPPORTERS.name, [*records, copy], encoding="utf-8-sig")

    snapshot = sheet.read()
    assert snapshot.tabs[SUPPORTERS.name][0].cells["メモ"] == "一つ目"
    (repeat,) = snapshot.repeats  # core.staff.settle_repeats reports and settles it
    assert [(n, cells["メモ"]) for n, cells in repeat.rows] == [(2, "一つ目"), (3, "二つ目")]

    sheet.write([supporters(supporter(1))])
    memos = [r[H.index("メモ")] for r in file_records(sheet, SUPPORTERS.name)[1:]]
    assert memos == ["一つ目", "二つ目"]
    assert len(sheet.last_problems) == 1


def test_a_renamed_key_column_with_staff_content_is_refused_not_overwritten(
    tmp_path: Path,
) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1))])
    staff_types(sheet, "BN-0001", メモ="大事なメモ")
    records = file_records(sheet, SUPPORTERS.name)
    records[0][0] = "ID"
    save_as_excel(sheet, SUPPORTERS.name, records, encoding="utf-8-sig")
    before = sheet.path(SUPPORTERS.name).read_bytes()

    assert sheet.read().tabs[SUPPORTERS.name] == []
    with pytest.raises(SheetFormatError, match="伴走ネットID"):
        sheet.write([supporters(supporter(1))])
    assert sheet.path(SUPPORTERS.name).read_bytes() == before


def test_a_garbage_binary_file_is_refused_with_the_file_named(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    path = sheet.path(APPLICATIONS.name)
    path.write_bytes(b"PK\x03\x04\x00\x00\xff\xfe\x80\x00binary")

    with pytest.raises(SheetFormatError, match=r"申請\.csv"):
        sheet.read()
    with pytest.raises(SheetFormatError, match=r"申請\.csv"):
        sheet.write([TabRows(APPLICATIONS.name, [])])
    assert path.read_bytes().startswith(b"PK")


def test_the_sync_tab_is_written_as_given(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    rows: list[list[str | int]] = [
        ["2022-07-10 12:00", "成功", 1, 0, 2, "", ""],
        ["2022-07-10 11:00", "失敗", 0, 0, 0, "-", ""],
    ]
    sheet.write([TabRows(SYNC.name, rows)])
    sheet.write([TabRows(SYNC.name, rows[:1])])

    read_back = sheet.read().tabs[SYNC.name]
    assert [row.cells["結果"] for row in read_back] == ["成功"]
    assert read_back[0].key == ()


def test_writing_leaves_no_temporary_files(tmp_path: Path) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([TabRows(t.name, []) for t in ALL_TABS])

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t.name}.csv" for t in ALL_TABS)


def test_a_tab_whose_rows_give_the_bytes_already_there_is_not_written_again(
    tmp_path: Path,
) -> None:
    LocalSheet(tmp_path).write([supporters(supporter(1), supporter(2))])
    path = LocalSheet(tmp_path).path(SUPPORTERS.name)
    before = path.stat()

    sheet = LocalSheet(tmp_path)  # a new process: read, then write the same projection
    sheet.read()
    sheet.write([supporters(supporter(1), supporter(2))])

    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    sheet.write([supporters(supporter(1), supporter(2, 氏名="伴走 二"))])
    assert cells_by_key(LocalSheet(tmp_path))["BN-0002"]["氏名"] == "伴走 二"


def test_a_staff_edit_of_the_same_length_between_read_and_write_is_kept(
    tmp_path: Path,
) -> None:
    sheet = LocalSheet(tmp_path)
    sheet.write([supporters(supporter(1), supporter(2))])
    staff_types(sheet, "BN-0001", メモ="abc")
    sheet.read()
    staff_types(sheet, "BN-0001", メモ="xyz")  # same size: only the bytes tell

    sheet.write([supporters(supporter(1), supporter(2))])

    assert cells_by_key(LocalSheet(tmp_path))["BN-0001"]["メモ"] == "xyz"
    assert cells_by_key(sheet)["BN-0001"]["メモ"] == "xyz"
