"""``budget.emergency_in_total`` (issue 13 §6) through the real CLI on the Google backends
(Forms API sources incl. the 緊急支援費 form, a Google Sheet, Gmail) against the local
emulator, read back with plain gspread: whether a granted emergency payment counts against
the honoraria budget (P8). The embedded default's twin is test_cli_emergency_budget.py.
All data is fictitious."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gspread
import pytest
from emulated import (
    application_response,
    form_id,
    form_response,
    google_backends,
    registration_response,
    running_emulator,
)

from bansou_sync.adapters.form_fields import EMERGENCY_TITLES
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.emulator.server import Emulator

from .conftest import Project

ROOT = Path(__file__).resolve().parents[2]
BOOK = "emergency-budget-book"
EMERGENCY_FORM = ROOT / "samples" / "emergency" / "forms" / "emergency.form.json"


def emergency_form() -> dict[str, Any]:
    form: dict[str, Any] = json.loads(EMERGENCY_FORM.read_text("utf-8"))
    return form


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application", book=BOOK) as emu:
        emu.forms.load_form(emergency_form())
        yield emu


def sheet(project: Project, emulator: Emulator) -> gspread.Spreadsheet:
    access = GoogleAccess(project.root / "key.json", None, emulator.base_url)
    scopes = ["https://www.googleapis.com/auth/spreadsheets"]
    return gspread_client(access.credentials(scopes), emulator.base_url).open_by_key(BOOK)


def rows(project: Project, emulator: Emulator, tab: str) -> dict[str, dict[str, str]]:
    header, *body = sheet(project, emulator).worksheet(tab).get_all_values()
    return {row[0]: dict(zip(header, row, strict=False)) for row in body if any(row)}


def staff_types(emulator: Emulator, tab: str, key: str, column: str, value: str) -> None:
    """A member of staff types ``value`` in ``column`` (a letter) of the row holding ``key``."""
    assert emulator.sheets is not None
    keys = [row[0] if row else "" for row in emulator.sheets.dump(BOOK)[tab]]
    emulator.sheets.staff_set_cell(BOOK, tab, f"{column}{keys.index(key) + 1}", value)


def grant_then_apply(project: Project, emulator: Emulator, shared: bool | None) -> str:
    """BN-0001 accepted (6,000), a grant of 10,000 approved in 緊急支援, then BN-0002
    applies for 6,000 against a 20,000 budget; the new application's 状態コード."""
    backends = google_backends(emulator, project.root, BOOK)
    backends["source"]["emergency_form_id"] = str(emergency_form()["formId"])
    budget: dict[str, Any] = {"total_yen": 20000}
    if shared is not None:
        budget["emergency_in_total"] = shared
    project.write_config(**backends, budget=budget)
    project.cli("init-sheet", "--config", str(project.config_path))
    emulator.forms.add_responses(
        form_id("registration"), [registration_response(1), registration_response(2)]
    )
    emulator.forms.add_responses(
        form_id("application"), [application_response(1, "2022-06-10T03:00:00.000Z")]
    )
    project.once("2022-06-12 12:00")
    staff_types(emulator, "申請", "A-000001", "P", "承認")  # 審査
    project.once("2022-06-13 12:00")
    assert rows(project, emulator, "申請")["A-000001"]["状態コード"] == "accepted"

    emulator.forms.add_responses(
        str(emergency_form()["formId"]),
        [
            form_response(
                EMERGENCY_TITLES,
                "2022-06-30T01:00:00.000Z",
                supporter_id="BN-0001",
                client_code="C-0001",
                amount="10000",
                purposes=["医療"],
                narrative="架空の事情",
                consent=["同意します"],
            )
        ],
    )
    project.once("2022-07-01 12:00")
    staff_types(emulator, "緊急支援", "E-0001", "L", "承認")  # 決定
    staff_types(emulator, "緊急支援", "E-0001", "M", "10000")  # 金額
    project.once("2022-07-02 12:00")
    assert rows(project, emulator, "緊急支援")["E-0001"]["状態コード"] == "granted"

    emulator.forms.add_responses(
        form_id("application"), [application_response(2, "2022-07-02T04:00:00.000Z")]
    )
    project.once("2022-07-02 14:00")
    return rows(project, emulator, "申請")["A-000002"]["状態コード"]


def test_by_default_a_grant_on_google_uses_the_honoraria_budget(
    project: Project, emulator: Emulator
) -> None:
    assert grant_then_apply(project, emulator, None) == "ineligible"  # 6,000 + 10,000 + 6,000
    assert rows(project, emulator, "申請")["A-000002"]["理由"].startswith("budget_closed")


def test_with_emergency_in_total_false_a_grant_on_google_leaves_the_budget_alone(
    project: Project, emulator: Emulator
) -> None:
    assert grant_then_apply(project, emulator, False) == "pending_review"
