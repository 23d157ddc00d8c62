"""Issue 13 §4 through the real CLI on the Google backends against the local emulator:
staff type requests into the 操作 tab of the Google Sheet (the emulator's staff hooks),
the next cycle uploads the files with drive v3 into the configured Drive folders —
payment files only into the treasurer's — and the row links to them, read back with
plain gspread. All data is fictitious."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulated import (
    MAILBOX,
    addressed_registration,
    application_response,
    form_id,
    google_backends,
    running_emulator,
)

from bansou_sync.adapters.google_auth import SHEETS
from bansou_sync.emulator.gspread_client import emulator_gspread_client
from bansou_sync.emulator.server import Emulator

from .conftest import Project
from .test_cli_operations import PAYER, TAB

ROOT = Path(__file__).resolve().parents[2]
BOOK = "operations-book"
ACCOUNT = "0680674"  # BN-0001's account number in reference/bank_details.csv


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application", book=BOOK) as emu:
        yield emu


def sheet_values(emu: Emulator) -> dict[str, list[list[str]]]:
    """Every tab as plain gspread reads it."""
    client = emulator_gspread_client(emu.base_url, emu.credentials([SHEETS]))
    book = client.open_by_key(BOOK)
    return {ws.title: ws.get_all_values() for ws in book.worksheets()}


def operations(emu: Emulator) -> dict[str, dict[str, str]]:
    rows = sheet_values(emu)[TAB]
    header = rows[0]
    found = {}
    for row in rows[1:]:
        cells = dict(zip(header, [*row, *[""] * len(header)], strict=False))
        found["|".join(cells[h] for h in ("種類", "対象日", "開始月", "終了月", "形式"))] = cells
    return found


def type_row(emu: Emulator, row: int, *cells: str) -> None:
    """A member of staff types a request into row ``row`` of 操作 (columns A…F)."""
    for column, value in zip("ABCDEF", cells, strict=False):
        if value:
            emu.sheets.staff_set_cell(BOOK, TAB, f"{column}{row}", value)


def accepted(project: Project, emu: Emulator, **drive: str) -> None:
    project.write_config(
        **google_backends(emu, project.root, BOOK),
        payments={
            "payer": PAYER,
            "bank_details": {"kind": "csv", "path": str(ROOT / "reference" / "bank_details.csv")},
        },
        drive=drive,
    )
    emu.forms.add_responses(
        form_id("registration"),
        [addressed_registration(n) for n in (1, 2)],
    )
    emu.forms.add_responses(
        form_id("application"),
        [application_response(1, "2022-06-10T03:00:00.000Z", name="架空 1子")],
    )
    project.once("2022-06-12 12:00")
    rows = sheet_values(emu)["申請"]
    index = next(i for i, row in enumerate(rows, start=1) if row and row[0] == "A-000001")
    emu.sheets.staff_set_cell(BOOK, "申請", f"P{index}", "承認")
    project.once("2022-06-13 12:00")
    assert TAB in sheet_values(emu)  # the tab is there for staff, after SPEC's tabs


def test_requests_in_the_google_sheet_are_uploaded_to_drive_and_linked_from_their_rows(
    project: Project, emulator: Emulator
) -> None:
    outputs = emulator.drive.add_folder("事務局 出力", writers=[MAILBOX])
    treasurer = emulator.drive.add_folder("会計担当", writers=[MAILBOX])
    accepted(project, emulator, outputs_folder_id=outputs, treasurer_folder_id=treasurer)
    type_row(emulator, 2, "振込ファイル", "2022-07-08", "", "", "", "TRUE")
    type_row(emulator, 3, "報告書", "", "2022-06", "2022-06", "pdf", "TRUE")
    type_row(emulator, 4, "宛名ラベル", "2022-06-30", "", "", "", "TRUE")
    type_row(emulator, 5, "報告書", "", "", "", "docx", "TRUE")
    project.once("2022-06-14 12:00")

    rows = operations(emulator)
    treasurer_files = {f.name: f for f in emulator.drive.files_in(treasurer)}
    output_files = {f.name: f for f in emulator.drive.files_in(outputs)}
    assert set(treasurer_files) == {"支払_2022-07-08.csv", "zengin_2022-07-08.txt"}
    assert set(output_files) == {
        "report_2022-06_2022-06.pdf",
        "memo-labels-2022-06-30.pdf",
        "memo-labels-2022-06-30.csv",
    }
    payment = rows["振込ファイル|2022-07-08|||"]
    assert payment["状態"] == "処理済", payment
    for made in treasurer_files.values():
        assert f"https://drive.google.com/file/d/{made.id}/" in payment["結果"]
    report = rows["報告書||2022-06|2022-06|pdf"]
    assert report["状態"] == "処理済"
    pdf = output_files["report_2022-06_2022-06.pdf"]
    assert f"/file/d/{pdf.id}/" in report["結果"]
    assert emulator.drive.content(pdf.id).startswith(b"%PDF")
    labels = rows["宛名ラベル|2022-06-30|||"]
    assert labels["状態"] == "処理済" and "宛名 2 件" in labels["結果"]
    bad = rows["報告書||||docx"]
    assert bad["状態"] == "エラー" and "形式「docx」は html・xlsx・pdf" in bad["結果"]

    # bank details: in the treasurer's file only — never in the sheet, never left on disk
    transfer = treasurer_files["zengin_2022-07-08.txt"]
    assert ACCOUNT in emulator.drive.content(transfer.id).decode("shift_jis")
    for name, values in sheet_values(emulator).items():
        assert not any(ACCOUNT in cell for row in values for cell in row), name
    work = project.root / "out" / "outputs-work"
    assert not [p for p in work.rglob("*") if p.is_file()]

    # a second cycle, after staff sorted the tab, makes nothing again and each outcome
    # stays with its request
    before = {f.id for f in emulator.drive.all_files()}
    emulator.sheets.staff_sort(BOOK, TAB, "種類", False)
    project.once("2022-06-15 12:00")
    assert {f.id for f in emulator.drive.all_files()} == before
    assert operations(emulator) == rows

    # the same batch asked for again (by its 締め日): a second copy, and a warning
    type_row(emulator, 6, "振込ファイル", "2022-06-20", "", "", "", "TRUE")
    project.once("2022-06-16 12:00")
    second = operations(emulator)["振込ファイル|2022-06-20|||"]
    assert second["状態"] == "処理済" and "二重振込にご注意ください" in second["結果"], second
    assert len(emulator.drive.files_in(treasurer)) == 4


def test_without_a_treasurer_folder_payment_files_are_refused_and_the_rest_still_runs(
    project: Project, emulator: Emulator
) -> None:
    outputs = emulator.drive.add_folder("事務局 出力", writers=[MAILBOX])
    accepted(project, emulator, outputs_folder_id=outputs)
    type_row(emulator, 2, "振込ファイル", "2022-06-20", "", "", "", "TRUE")
    type_row(emulator, 3, "宛名ラベル", "", "", "", "", "TRUE")
    project.once("2022-06-14 12:00")
    rows = operations(emulator)
    payment = rows["振込ファイル|2022-06-20|||"]
    assert payment["状態"] == "エラー" and "drive.treasurer_folder_id" in payment["結果"]
    assert rows["宛名ラベル||||"]["状態"] == "処理済"
    names = {f.name for f in emulator.drive.all_files()}
    assert not any(name.startswith(("支払_", "zengin_")) for name in names)


def test_a_folder_not_shared_with_the_account_gets_its_reason_in_the_row(
    project: Project, emulator: Emulator
) -> None:
    private = emulator.drive.add_folder("共有されていない", writers=["someone@example.org"])
    accepted(project, emulator, outputs_folder_id=private)
    type_row(emulator, 2, "報告書", "", "", "", "", "TRUE")
    project.once("2022-06-14 12:00")
    row = operations(emulator)["報告書||||"]
    assert row["状態"] == "エラー" and "共有されているか" in row["結果"], row
    assert not [p for p in (project.root / "out" / "outputs-work").rglob("*") if p.is_file()]
