"""How each tab of the status spreadsheet should look (SPEC §5), as Sheets API data.

Plain data only: the validation rules of the staff columns, the colours by status and
the rectangles bansou-sync protects. ``sheet_setup`` compares them with a spreadsheet
and plans the requests that make it so.

Decisions:

* 審査 is a drop-down with ``strict: false``: a typo is shown with Google's red corner
  but not refused, and the daemon reports a decision it cannot apply in 同期 and the
  digest (``core.review``) — refusing the input would hide the mistake from the person
  who reads the digest. 覚書発送日 likewise warns only (staff may write 「未発送」).
* Checkboxes are ``strict: true``: a tick column holds TRUE/FALSE and nothing else.
* Protection covers the header row and every run of daemon columns (all rows), not the
  whole tab: Google allows holes (``unprotectedRanges``) only in a protected *sheet*,
  and staff may add their own columns to the right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bansou_sync.core.tabs import (
    APPLICATIONS,
    DECISIONS,
    MEMBERSHIP_CHECK,
    MEMBERSHIP_CHOICES,
    OPERATION_KIND,
    OPERATION_KINDS,
    OPERATIONS,
    PAYMENTS,
    SUPPORTERS,
    TabLayout,
)

MARK = "bansou-sync"  # protected ranges whose description starts with this are ours
PROTECTION_NOTE = f"{MARK}: 自動で書き込む列です。編集しないでください / written by bansou-sync"

Rgb = tuple[float, float, float]
YELLOW: Rgb = (1.0, 0.949, 0.8)
GREY: Rgb = (0.851, 0.851, 0.851)
GREEN: Rgb = (0.851, 0.918, 0.827)
DARK_GREEN: Rgb = (0.714, 0.843, 0.659)
BLUE: Rgb = (0.812, 0.886, 0.953)
ORANGE: Rgb = (0.988, 0.898, 0.804)


def one_of(values: tuple[str, ...], message: str) -> dict[str, Any]:
    return {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in values]},
        "inputMessage": message,
        "showCustomUi": True,
    }  # strict omitted: false, as Google prints it


CHECKBOX: dict[str, Any] = {"condition": {"type": "BOOLEAN"}, "strict": True}
DECISION = one_of(DECISIONS, "承認 / 差戻し / 却下 から選んでください")
MEMBERSHIP = one_of(
    MEMBERSHIP_CHOICES, "確認した会員区分を選んでください(会員 / 会員の紹介 / 非会員)"
)
GRANT = one_of(("承認", "却下"), "承認 / 却下 から選んでください")  # 緊急支援 決定 (core.emergency)
OPERATION = one_of(
    OPERATION_KINDS, "作成するものを選んでください(振込ファイル / 宛名ラベル / 報告書)"
)
REPORT_FORMAT = one_of(("html", "xlsx", "pdf"), "報告書の形式(空欄は html)")
A_DATE: dict[str, Any] = {
    "condition": {"type": "DATE_IS_VALID"},
    "inputMessage": "日付を入力してください (例 2022-06-01)",
}

# Colours by the value of one column: (tab, column) → {value: colour}.
COLOURS: dict[str, tuple[str, dict[str, Rgb]]] = {
    SUPPORTERS.name: ("状態コード", {"needs_review": YELLOW, "duplicate": GREY}),
    APPLICATIONS.name: (
        "状態コード",
        {
            "pending_review": BLUE,
            "deficient": YELLOW,
            "resubmitted": GREY,
            "expired": GREY,
            "ineligible": GREY,
            "rejected": GREY,
            "accepted": GREEN,
            "paid": DARK_GREEN,
        },
    ),
    PAYMENTS.name: ("状態", {"保留": ORANGE, "支払済": GREEN}),
}


@dataclass(frozen=True)
class Rect:
    """Half-open row and column bounds; ``row_end`` None means "to the last row"."""

    row_start: int
    row_end: int | None
    col_start: int
    col_end: int

    def grid_range(self, sheet_id: int) -> dict[str, Any]:
        out: dict[str, Any] = {"sheetId": sheet_id, "startRowIndex": self.row_start}
        if self.row_end is not None:
            out["endRowIndex"] = self.row_end
        return out | {"startColumnIndex": self.col_start, "endColumnIndex": self.col_end}


def validations(layout: TabLayout) -> dict[int, dict[str, Any]]:
    """Column index → the data-validation rule of that staff column (rows 2 onwards)."""
    rules: dict[int, dict[str, Any]] = {}
    for column, header in enumerate(layout.headers):
        if header in layout.checkboxes:
            rules[column] = CHECKBOX
        elif header == "審査":
            rules[column] = DECISION
        elif header == MEMBERSHIP_CHECK:
            rules[column] = MEMBERSHIP
        elif header == "決定":
            rules[column] = GRANT
        elif header == "覚書発送日":
            rules[column] = A_DATE
        elif layout.name == OPERATIONS.name and header == OPERATION_KIND:
            rules[column] = OPERATION
        elif layout.name == OPERATIONS.name and header == "形式":
            rules[column] = REPORT_FORMAT
    return rules


def protected_rects(layout: TabLayout) -> list[Rect]:
    """The header row and each run of daemon columns; one rectangle if no staff column."""
    width = len(layout.headers)
    if not layout.staff:
        return [Rect(0, None, 0, width)]
    rects = [Rect(0, 1, 0, width)]
    start: int | None = None
    for column, header in enumerate([*layout.headers, None]):
        daemon = header is not None and header not in layout.staff
        if daemon and start is None:
            start = column
        elif not daemon and start is not None:
            rects.append(Rect(1, None, start, column))
            start = None
    return rects


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def colour_rules(layout: TabLayout, sheet_id: int) -> list[dict[str, Any]]:
    """Conditional formats colouring a whole row by its status, in priority order."""
    if layout.name not in COLOURS:
        return []
    header, colours = COLOURS[layout.name]
    letter = column_letter(layout.headers.index(header))
    rows = Rect(1, None, 0, len(layout.headers)).grid_range(sheet_id)
    return [
        {
            "ranges": [rows],
            "booleanRule": {
                "condition": {
                    "type": "CUSTOM_FORMULA",
                    "values": [{"userEnteredValue": f'=${letter}2="{value}"'}],
                },
                "format": {"backgroundColor": {"red": r, "green": g, "blue": b}},
            },
        }
        for value, (r, g, b) in colours.items()
    ]


def row_rules(
    layout: TabLayout,
    sheet_id: int,
    start: int,
    end: int | None,
    columns: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """``setDataValidation`` of each staff column's rule (drop-down, checkbox, date) on
    rows ``start``..``end`` (0-based, end exclusive; None: to the grid's end), for rows
    the daemon adds: a rule set by init-sheet covers the rows the grid had then, and a
    row inserted keeps one only if the neighbour Google copies it from had one (issue 11
    §0). ``columns``: where each header is in the sheet (default: the layout's order)."""
    where = columns if columns is not None else {h: i for i, h in enumerate(layout.headers)}
    requests = []
    for index, rule in validations(layout).items():
        column = where.get(layout.headers[index])
        if column is None:
            continue
        rect = Rect(start, end, column, column + 1).grid_range(sheet_id)
        requests.append({"setDataValidation": {"range": rect, "rule": rule}})
    return requests
