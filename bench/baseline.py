"""The naive baseline of issue 5 — in the benchmark only, never in the product.

The common way (an Apps Script or gspread tutorial), pinned as: each cycle reads the
whole responses sheet of each form with ``get_all_values``; for each new response one
``append_row`` to the status tab and one ``update_cell`` for its status; for each staff
decision (found by reading the status tab) one ``update_cell``. It judges nothing, so
its CPU is a floor: the point of comparison is the requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gspread

from bench.emu_proc import BASELINE_RESPONSES, BASELINE_STATUS_ID, BASELINE_TAB

APP_HEADER = ["回答ID", "タイムスタンプ", "伴走ネットID", "氏名", "支援実施日", "判定", "審査"]
REG_HEADER = ["回答ID", "タイムスタンプ", "氏名", "メールアドレス", "状態"]
TABS = {"application": ("申請", APP_HEADER), "registration": ("伴走者", REG_HEADER)}
STATUS_COLUMN = {"application": 6, "registration": 5}  # 1-based, as update_cell wants
DECISION_COLUMN = 7


def status_row(form: str, row: list[str]) -> list[str]:
    """What the baseline copies of a responses-sheet row (its first columns)."""
    if form == "application":
        return [f"row-{row[0]}", row[0], row[1], row[2], row[4], ""]
    return [f"row-{row[0]}", row[0], row[1], row[3], ""]


def status_fixture(history: dict[str, list[list[str]]]) -> dict[str, Any]:
    """The baseline's status spreadsheet after it has processed ``history`` (rows of the
    responses sheets, header first): loaded straight into the emulator, not counted."""
    sheets = {}
    for form, (tab, header) in TABS.items():
        rows = [header]
        for row in history.get(form, [])[1:]:
            copied = status_row(form, row)
            copied[STATUS_COLUMN[form] - 1] = "受付" if form == "application" else "登録済"
            rows.append(copied)
        sheets[tab] = rows
    return {"spreadsheetId": BASELINE_STATUS_ID, "valueInputOption": "RAW", "sheets": sheets}


@dataclass
class NaiveSync:
    client: gspread.Client
    done: dict[str, int] = field(default_factory=dict)  # responses processed per form
    applied: dict[int, str] = field(default_factory=dict)  # status row → decision applied

    def cycle(self) -> int:
        """One naive cycle; returns the number of status rows it added."""
        added = 0
        status = self.client.open_by_key(BASELINE_STATUS_ID)
        for form, sheet_id in BASELINE_RESPONSES.items():
            rows = self.client.open_by_key(sheet_id).worksheet(BASELINE_TAB).get_all_values()
            tab = status.worksheet(TABS[form][0])
            done = self.done.get(form, 0)
            for row in rows[1 + done :]:
                tab.append_row(status_row(form, row), value_input_option="RAW")
                done += 1
                label = "受付" if form == "application" else "登録済"
                tab.update_cell(done + 1, STATUS_COLUMN[form], label)
                added += 1
            self.done[form] = done
        apps = status.worksheet(TABS["application"][0])
        for number, row in enumerate(apps.get_all_values()[1:], start=2):
            decision = row[DECISION_COLUMN - 1] if len(row) >= DECISION_COLUMN else ""
            if decision and self.applied.get(number) != decision:
                apps.update_cell(number, STATUS_COLUMN["application"], decision)
                self.applied[number] = decision
        return added
