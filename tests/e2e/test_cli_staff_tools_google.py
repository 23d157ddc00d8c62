"""Issue 6 §4–6 through the real CLI on the Google backends (Forms API source, Google
Sheet, Gmail) against the local emulator: 緊急支援費 requests read from their own form,
the 緊急支援 tab and its staff columns, ``labels`` reading 覚書発送日 from the Google
Sheet, and ``purge`` blanking the Google Sheet. All data is fictitious."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulated import (
    addressed_registration,
    application_response,
    form_id,
    form_response,
    google_backends,
    running_emulator,
)

from bansou_sync.adapters.form_fields import (
    EMERGENCY_TITLES,
)
from bansou_sync.emulator.server import Emulator

from .conftest import Project

ROOT = Path(__file__).resolve().parents[2]
BOOK = "staff-tools-book"
EMERGENCY_FORM = ROOT / "samples" / "emergency" / "forms" / "emergency.form.json"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application", book=BOOK) as emu:
        emu.forms.load_form(load(EMERGENCY_FORM))
        yield emu


def cell(emu: Emulator, tab: str, key: str, column: str, value: str) -> None:
    assert emu.sheets is not None
    rows = emu.sheets.dump(BOOK)[tab]
    index = next(i for i, row in enumerate(rows, start=1) if row and row[0] == key)
    emu.sheets.staff_set_cell(BOOK, tab, f"{column}{index}", value)


def tab(emu: Emulator, name: str) -> dict[str, dict[str, str]]:
    assert emu.sheets is not None
    rows = emu.sheets.dump(BOOK)[name]
    header = rows[0]
    return {
        row[0]: dict(zip(header, [*row, *[""] * len(header)], strict=False))
        for row in rows[1:]
        if row
    }


def test_emergency_labels_and_purge_work_on_the_google_backends(
    project: Project, emulator: Emulator
) -> None:
    backends = google_backends(emulator, project.root, BOOK)
    backends["source"]["emergency_form_id"] = str(load(EMERGENCY_FORM)["formId"])
    project.write_config(
        **backends,
        privacy={"retain_until": "2023-08-31"},
        accounting={"retain_until": "2030-03-31"},
    )
    setup = project.cli("init-sheet", "--config", str(project.config_path))
    assert "緊急支援" in setup.stdout  # the tab, its protection and the 決定 drop-down
    emulator.forms.add_responses(
        form_id("registration"),
        [addressed_registration(n) for n in (1, 2, 3)],
    )
    emulator.forms.add_responses(
        form_id("application"),
        [application_response(1, "2022-06-10T03:00:00.000Z", name="架空 1子")],
    )
    project.once("2022-06-12 12:00")
    cell(emulator, "申請", "A-000001", "P", "承認")
    cell(emulator, "伴走者", "BN-0002", "L", "2022-06-01")  # 覚書発送日
    project.once("2022-06-13 12:00")
    assert tab(emulator, "申請")["A-000001"]["状態コード"] == "accepted"

    emergency_id = str(load(EMERGENCY_FORM)["formId"])
    emulator.forms.add_responses(
        emergency_id,
        [
            form_response(
                EMERGENCY_TITLES,
                "2022-06-30T01:00:00.000Z",
                supporter_id="BN-0001",
                client_code="C-0001",
                amount="20000",
                purposes=["医療"],
                narrative="架空の事情",
                consent=["同意します"],
            ),
            form_response(
                EMERGENCY_TITLES,
                "2022-06-30T02:00:00.000Z",
                supporter_id="BN-0003",
                client_code="C-0001",
                amount="5000",
                purposes=["交通費"],
                consent=["同意します"],
            ),
        ],
    )
    project.once("2022-07-01 12:00")
    requests = tab(emulator, "緊急支援")
    assert {no: r["状態コード"] for no, r in requests.items()} == {
        "E-0001": "pending_review",
        "E-0002": "unmatched",
    }
    staff_mail = [
        m.header("X-Bansou-Ref")
        for m in emulator.gmail.sent()
        if m.header("X-Bansou-Kind") == "emergency_request"
    ]
    assert sorted(staff_mail) == ["E-0001", "E-0002"]
    cell(emulator, "緊急支援", "E-0001", "L", "承認")
    cell(emulator, "緊急支援", "E-0001", "M", "15000")
    project.once("2022-07-02 12:00")
    assert tab(emulator, "緊急支援")["E-0001"]["状態コード"] == "granted"

    labels = project.cli(
        "labels", "--config", str(project.config_path), "--out", "lbl", "--now", "2022-07-02 13:00"
    )
    assert "架空" not in labels.stdout
    table = list(
        csv.reader(
            io.StringIO(
                (project.root / "lbl" / "memo-labels-2022-07-02.csv").read_text("utf-8-sig")
            )
        )
    )
    assert [row[0] for row in table[1:]] == ["BN-0001", "BN-0003"]

    cell(emulator, "伴走者", "BN-0003", "P", "new3@example.com")  # 連絡先訂正
    project.once("2022-07-03 12:00")
    project.cli("purge", "--config", str(project.config_path), "--now", "2023-09-01 12:00")
    supporters = tab(emulator, "伴走者")
    assert supporters["BN-0001"]["氏名"] == "架空 1子"  # paid: the accounts keep the name
    assert (supporters["BN-0003"]["氏名"], supporters["BN-0003"]["メールアドレス"]) == ("", "")
    assert supporters["BN-0003"]["連絡先訂正"] == ""
    assert tab(emulator, "申請")["A-000001"]["氏名"] == ""
    project.once("2023-09-02 12:00")
    assert tab(emulator, "伴走者")["BN-0003"]["氏名"] == ""
    assert tab(emulator, "緊急支援")["E-0001"]["金額"] == "15000"
