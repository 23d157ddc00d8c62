"""A1 notation as Google accepts and prints it."""

import pytest

from bansou_sync.emulator.a1 import (
    A1,
    A1Error,
    Area,
    column_index,
    column_letters,
    format_range,
    parse_a1,
    quote_sheet_name,
)

TITLES = ["Sheet1", "My Sheet", "It's", "申請", "伴走者", "D3"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sheet1!A1:B2", A1("Sheet1", Area(0, 2, 0, 2))),
        ("'My Sheet'!A:A", A1("My Sheet", Area(None, None, 0, 1))),
        ("'It''s'!A1", A1("It's", Area(0, 1, 0, 1))),
        ("申請!A1:R", A1("申請", Area(0, None, 0, 18))),
        ("'伴走者'!A2:A", A1("伴走者", Area(1, None, 0, 1))),
        ("A:C", A1(None, Area(None, None, 0, 3))),
        ("2:5", A1(None, Area(1, 5, None, None))),
        ("A5:C", A1(None, Area(4, None, 0, 3))),
        ("A2:Z", A1(None, Area(1, None, 0, 26))),
        ("A1:1", A1(None, Area(0, 1, 0, None))),
        ("申請", A1("申請", None)),
        ("'D3'", A1("D3", None)),
        ("B7", A1(None, Area(6, 7, 1, 2))),
        ("$A$1:$B$2", A1(None, Area(0, 2, 0, 2))),
        ("B2:A1", A1(None, Area(0, 2, 0, 2))),
        ("🌵 tab 1!A1", A1("🌵 tab 1", Area(0, 1, 0, 1))),
        ("sheet1!aa10", A1("sheet1", Area(9, 10, 26, 27))),
    ],
)
def test_a1_ranges_parse_as_google_reads_them(text: str, expected: A1) -> None:
    assert parse_a1(text, TITLES) == expected


@pytest.mark.parametrize("text", ["", "A0", "Sheet1!", "'open", "A1:B2:C3", "A", "!A1", "A1:"])
def test_malformed_a1_is_refused(text: str) -> None:
    with pytest.raises(A1Error):
        parse_a1(text, TITLES)


def test_columns_round_trip_through_letters() -> None:
    assert [column_letters(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert all(column_index(column_letters(i)) == i for i in range(1000))


@pytest.mark.parametrize(
    ("title", "printed"),
    [
        ("Sheet1", "Sheet1"),
        ("My Sheet", "'My Sheet'"),
        ("It's", "'It''s'"),
        ("申請", "'申請'"),
        ("D3", "'D3'"),
    ],
)
def test_sheet_names_are_quoted_only_when_needed(title: str, printed: str) -> None:
    assert quote_sheet_name(title) == printed


def test_ranges_print_single_cells_without_a_colon() -> None:
    assert format_range("Sheet1", 0, 1, 0, 1) == "Sheet1!A1"
    assert format_range("Sheet1", 0, 1000, 0, 26) == "Sheet1!A1:Z1000"
