"""A1 notation as the Sheets API v4 accepts and prints it.

Grammar (what Google accepts): ``[sheet "!"] ref`` or a bare ``sheet``. A sheet name is
either quoted (``'My Sheet'``, a quote doubled inside: ``'It''s'``) or unquoted (anything
up to the last ``!``, e.g. ``申請`` or ``🌵 tab 1``). A ref is ``cell`` or ``cell:cell``
where a cell is column letters and/or a row number (``A1``, ``A``, ``5``, ``$A$1``), so
``A:C``, ``2:5``, ``A5:C`` (A5 to column C, last row) and ``A1:1`` are all open ranges.

Areas are 0-based and end-exclusive like Google's ``GridRange``; ``None`` is an open end
(start of grid for a start, end of grid for an end).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

_CELL = re.compile(r"^\$?([A-Za-z]*)\$?([0-9]*)$")
_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_REF = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]+[Cc][0-9]+|[A-Za-z]{1,3}|[0-9]+)$")


class A1Error(ValueError):
    """The text is not A1 notation (Google: ``Unable to parse range: <text>``)."""


@dataclass(frozen=True)
class Area:
    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None

    def clip(self, rows: int, cols: int) -> tuple[int, int, int, int]:
        """(start_row, end_row, start_col, end_col) with open ends closed by the grid."""
        return (
            self.start_row or 0,
            rows if self.end_row is None else self.end_row,
            self.start_col or 0,
            cols if self.end_col is None else self.end_col,
        )


@dataclass(frozen=True)
class A1:
    sheet: str | None  # None: the first sheet
    area: Area | None  # None: the whole sheet


def column_index(letters: str) -> int:
    """``A`` → 0, ``Z`` → 25, ``AA`` → 26."""
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


@lru_cache(maxsize=1024)  # every range a reply prints (hundreds of thousands in a backfill)
def column_letters(index: int) -> str:
    """0 → ``A``, 26 → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@lru_cache(maxsize=256)  # a handful of tab titles, printed in every range of a reply
def quote_sheet_name(title: str) -> str:
    """Google prints ``Sheet1!A1`` but ``'My Sheet'!A1``, ``'申請'!A1`` and ``'D3'!A1``."""
    if _SIMPLE_NAME.match(title) and not _LOOKS_LIKE_REF.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def parse_ref(text: str) -> Area:
    parts = text.split(":")
    if len(parts) > 2 or not all(parts):
        raise A1Error(text)
    cells = []
    for part in parts:
        match = _CELL.match(part)
        if not match or not (match.group(1) or match.group(2)):
            raise A1Error(text)
        col = column_index(match.group(1)) if match.group(1) else None
        row = int(match.group(2)) - 1 if match.group(2) else None
        if row is not None and row < 0:
            raise A1Error(text)
        cells.append((row, col))
    (row1, col1) = cells[0]
    if len(cells) == 1:
        if row1 is None or col1 is None:
            raise A1Error(text)  # a lone "A" or "5" is not a range
        return Area(row1, row1 + 1, col1, col1 + 1)
    (row2, col2) = cells[1]
    start_row, end_row = _span(row1, row2)
    start_col, end_col = _span(col1, col2)
    return Area(start_row, end_row, start_col, end_col)


def _span(first: int | None, second: int | None) -> tuple[int | None, int | None]:
    if first is not None and second is not None:
        low, high = sorted((first, second))  # Google accepts B2:A1
        return low, high + 1
    if first is None and second is None:
        return None, None
    if first is None:
        return None, (second or 0) + 1
    return first, None  # "A5:C": from row 5 to the last row


def parse_a1(text: str, sheet_titles: Collection[str]) -> A1:
    """Parse ``text`` knowing the spreadsheet's tab titles (a bare word may be either)."""
    if not text:
        raise A1Error(text)
    if text.startswith("'"):
        sheet, rest = _quoted_name(text)
        if rest == "":
            return A1(sheet, None)
        if not rest.startswith("!"):
            raise A1Error(text)
        return A1(sheet, parse_ref(rest[1:]))
    if "!" in text:
        sheet, _, ref = text.rpartition("!")
        if not sheet:
            raise A1Error(text)
        return A1(sheet, parse_ref(ref))
    if text in sheet_titles:
        return A1(text, None)
    return A1(None, parse_ref(text))


def _quoted_name(text: str) -> tuple[str, str]:
    name = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == "'":
            if text[i + 1 : i + 2] == "'":
                name.append("'")
                i += 2
                continue
            return "".join(name), text[i + 1 :]
        name.append(char)
        i += 1
    raise A1Error(text)


def format_area(start_row: int, end_row: int, start_col: int, end_col: int) -> str:
    """Closed 0-based bounds → ``A1`` or ``A1:B2`` as Google prints them."""
    first = f"{column_letters(start_col)}{start_row + 1}"
    if end_row - start_row <= 1 and end_col - start_col <= 1:
        return first
    return f"{first}:{column_letters(end_col - 1)}{end_row}"


def format_range(title: str, start_row: int, end_row: int, start_col: int, end_col: int) -> str:
    return f"{quote_sheet_name(title)}!{format_area(start_row, end_row, start_col, end_col)}"
