"""Staff input that cannot be applied as typed (issue 10 §4): a key in several rows, a
tick mark outside SPEC §5's list — read into plain data by ``core.staff``."""

from __future__ import annotations

from bansou_sync.core.staff import RepeatedKey, read_staff, settle_repeats


def supporter_row(**cells: str) -> dict[str, str]:
    return {"伴走ネットID": "BN-0001", "覚書受領": "", "口座届出受領": "", "重複解除": "", **cells}


def test_rows_of_one_key_that_differ_in_staff_input_are_a_conflict() -> None:
    repeat = RepeatedKey("申請", ("A-000001",), ((2, {"審査": "却下"}), (3, {"審査": "承認"})))
    conflicts, lines = settle_repeats([repeat])
    assert conflicts == {"申請": {("A-000001",)}}
    (line,) = lines
    assert "A-000001 が複数の行(2行目・3行目)" in line and "反映しません" in line


def test_identical_rows_of_one_key_are_one_row_with_a_line_asking_to_delete_the_copy() -> None:
    same = {"審査": "承認", "審査メモ": "確認済"}
    spaced = {"審査": " 承認", "審査メモ": "確認済 "}
    repeat = RepeatedKey("申請", ("A-000001",), ((2, same), (5, spaced)))
    conflicts, lines = settle_repeats([repeat])
    assert conflicts == {}
    assert "1行として扱います" in lines[0]


def test_copies_with_nothing_typed_in_any_staff_cell_are_not_reported() -> None:
    blank = {"審査": "", "審査メモ": ""}
    unticked = {"覚書受領": "FALSE", "口座届出受領": ""}
    repeats = [
        RepeatedKey("申請", ("A-000001",), ((2, blank), (9, blank))),
        RepeatedKey("伴走者", ("BN-0001",), ((3, unticked), (4, {"覚書受領": ""}))),
    ]
    assert settle_repeats(repeats) == ({}, [])


def test_a_tick_cell_not_understood_is_reported_and_its_field_left_to_the_ledger() -> None:
    staff = read_staff({"伴走者": [supporter_row(覚書受領="✔", 口座届出受領="TRUE")]})
    assert staff.unread == {"BN-0001": frozenset({"memo_received"})}
    assert staff.desks["BN-0001"].account_received is True
    (line,) = staff.problems
    assert line.startswith("伴走者 BN-0001: 覚書受領の「✔」はチェックとして読めません")


def test_a_paid_cell_not_understood_pays_nothing_and_is_reported() -> None:
    rows = [{"締め日": "2022-07-20", "伴走ネットID": "BN-0001", "支払済": "レ"}]
    staff = read_staff({"支払": rows})
    assert staff.paid == {}
    assert staff.problems == (staff.problems[0],)
    assert "支払 2022-07-20 BN-0001: 支払済の「レ」" in staff.problems[0]


def test_a_mark_shown_in_a_line_is_one_short_line_whatever_staff_pasted() -> None:
    staff = read_staff({"伴走者": [supporter_row(重複解除="レ\n" + "x" * 200)]})
    (line,) = staff.problems
    assert "\n" not in line and "x" * 20 not in line
