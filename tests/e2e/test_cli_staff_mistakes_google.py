"""Staff mistakes in the status sheet (issue 10 §4) through the real CLI on the Google
backends (Forms API, Google Sheet, Gmail) against the local emulator. Staff edits are
made with the emulator's staff hooks (insert a row, type a cell, sort, delete a row),
as a member of staff would in the Sheets UI. All data is fictitious."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from emulated import application_response, form_id, form_response, google_backends, running_emulator

from bansou_sync.adapters.form_fields import REGISTRATION_TITLES
from bansou_sync.adapters.google_sheet_read import letters
from bansou_sync.core.tabs import APPLICATIONS, SUPPORTERS
from bansou_sync.emulator.server import Emulator

from .conftest import Project, gmail_volunteer_mail
from .test_cli_staff_mistakes import BIDI, clean_project

BOOK = "staff-mistakes-book"
COMPARED = ("伴走者", "申請", "支払", "統計")


def column(layout_headers: tuple[str, ...], header: str) -> str:
    return letters(layout_headers.index(header))


@contextmanager
def google(project: Project, name: str = "ひと子") -> Iterator[Emulator]:
    """An emulator with the reference forms, one registration and one application, and
    ``project`` configured for it (Forms API, Google Sheet, Gmail)."""
    with running_emulator("registration", "application", book=BOOK) as emu:
        project.write_config(**google_backends(emu, project.root, BOOK))
        emu.forms.add_responses(
            form_id("registration"),
            [
                form_response(
                    REGISTRATION_TITLES,
                    "2022-05-20T01:00:00.000Z",
                    name=f"架空{name}",
                    email="user1@example.com",
                    phone="090-0000-0001",
                    membership="会員",
                    prefecture="東京都",
                    consent=["同意します"],
                )
            ],
        )
        emu.forms.add_responses(
            form_id("application"),
            [
                application_response(
                    1, "2022-07-02T01:00:00.000Z", name=f"架空{name}", support_date="2022-07-01"
                )
            ],
        )
        yield emu


def rows(emu: Emulator, tab: str) -> list[list[str]]:
    assert emu.sheets is not None
    return [[str(c) for c in row] for row in emu.sheets.dump(BOOK)[tab]]


def records(emu: Emulator, tab: str) -> list[dict[str, str]]:
    header, *body = rows(emu, tab)
    return [dict(zip(header, [*r, *[""] * len(header)], strict=False)) for r in body if any(r)]


def row_of(emu: Emulator, tab: str, key: str) -> int:
    """The sheet row number of the (first) row holding ``key`` in column A."""
    return next(i for i, r in enumerate(rows(emu, tab), start=1) if r and r[0] == key)


def set_cell(emu: Emulator, tab: str, cell: str, value: str) -> None:
    assert emu.sheets is not None
    emu.sheets.staff_set_cell(BOOK, tab, cell, value)


def sync_errors(emu: Emulator) -> str:
    return records(emu, "同期")[0]["エラー"]


def tabs(emu: Emulator) -> dict[str, list[dict[str, str]]]:
    return {tab: records(emu, tab) for tab in COMPARED}


REVIEW = column(APPLICATIONS.headers, "審査")


def accept(project: Project, emu: Emulator) -> None:
    project.once("2022-07-05 12:00")
    set_cell(emu, "申請", f"{REVIEW}{row_of(emu, '申請', 'A-000001')}", "承認")
    project.once("2022-07-06 12:00")


@pytest.fixture(scope="module", autouse=True)
def client_key() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BANSOU_CLIENT_KEY", "staff-mistakes-test-key")
        yield


def test_a_copied_application_row_sorted_above_with_another_decision_rejects_nothing_on_google(
    project: Project, tmp_path: Path
) -> None:
    with google(project) as emu:
        accept(project, emu)
        assert records(emu, "申請")[0]["状態コード"] == "accepted"
        sent = len(gmail_volunteer_mail(emu, "Message-ID"))
        assert emu.sheets is not None
        # staff insert a row below, type the same 申請番号 and 却下, and sort by 審査
        below = row_of(emu, "申請", "A-000001") + 1
        emu.sheets.staff_insert_row(BOOK, "申請", below)
        set_cell(emu, "申請", f"A{below}", "A-000001")
        set_cell(emu, "申請", f"{REVIEW}{below}", "却下")
        emu.sheets.staff_sort(BOOK, "申請", "審査")
        assert [r["審査"] for r in records(emu, "申請")] == ["却下", "承認"]
        project.once("2022-07-07 12:00")

        assert [r["状態コード"] for r in records(emu, "申請") if r["審査"] == "承認"] == [
            "accepted"
        ]
        assert len(gmail_volunteer_mail(emu, "Message-ID")) == sent  # no application_rejected
        errors = sync_errors(emu)
        assert "A-000001 が複数の行(2行目・3行目)" in errors and "食い違って" in errors
        digests = [m for m in emu.gmail.sent() if m.header("X-Bansou-Kind") == "staff_digest"]
        assert "A-000001 が複数の行" in digests[-1].text()

        emu.sheets.staff_delete_row(BOOK, "申請", 2)  # staff keep the 承認 row
        project.once("2022-07-08 12:00")
        assert records(emu, "申請")[0]["状態コード"] == "accepted"
        assert "A-000001" not in sync_errors(emu)
        repaired_tabs, repaired_mail = tabs(emu), gmail_volunteer_mail(emu, "Message-ID")

    clean = clean_project(tmp_path)
    with google(clean) as emu:
        accept(clean, emu)
        clean.once("2022-07-07 12:00")
        clean.once("2022-07-08 12:00")
        assert tabs(emu) == repaired_tabs
        assert gmail_volunteer_mail(emu, "Message-ID") == repaired_mail


def test_tick_marks_not_understood_are_reported_and_not_applied_on_google(
    project: Project,
) -> None:
    with google(project) as emu:
        accept(project, emu)
        row = row_of(emu, "伴走者", "BN-0001")
        set_cell(emu, "伴走者", f"{column(SUPPORTERS.headers, '覚書受領')}{row}", "✔")
        set_cell(emu, "伴走者", f"{column(SUPPORTERS.headers, '口座届出受領')}{row}", "レ")
        project.once("2022-07-07 12:00")
        errors = sync_errors(emu)
        assert "BN-0001: 覚書受領の「✔」はチェックとして読めません" in errors
        assert "BN-0001: 口座届出受領の「レ」はチェックとして読めません" in errors

        set_cell(emu, "伴走者", f"{column(SUPPORTERS.headers, '覚書受領')}{row}", "TRUE")
        set_cell(emu, "伴走者", f"{column(SUPPORTERS.headers, '口座届出受領')}{row}", "TRUE")
        project.once("2022-07-21 12:00")
        assert "読めません" not in sync_errors(emu)
        assert records(emu, "申請")[0]["支払予定日"] == "2022-08-10"


def test_a_copied_supporter_row_with_other_ticks_changes_nothing_on_google(
    project: Project,
) -> None:
    with google(project) as emu:
        accept(project, emu)
        row = row_of(emu, "伴走者", "BN-0001")
        for header in ("覚書受領", "口座届出受領"):
            set_cell(emu, "伴走者", f"{column(SUPPORTERS.headers, header)}{row}", "TRUE")
        project.once("2022-07-07 12:00")
        assert emu.sheets is not None
        emu.sheets.staff_insert_row(BOOK, "伴走者", 2)  # a copy above, ticks left out
        set_cell(emu, "伴走者", "A2", "BN-0001")
        project.once("2022-07-21 12:00")
        assert records(emu, "申請")[0]["理由"] == ""
        assert "payment_held" not in [k for k, _, _ in gmail_volunteer_mail(emu, "Message-ID")]
        assert "BN-0001 が複数の行(2行目・3行目)" in sync_errors(emu)


def test_no_bidi_control_reaches_a_cell_of_the_google_sheet(project: Project) -> None:
    with google(project, name=f"ひと{BIDI}子") as emu:
        project.once("2022-07-05 12:00")
        assert emu.sheets is not None
        dump = emu.sheets.dump(BOOK)
        found = [c for tab in dump.values() for r in tab for v in r for c in str(v) if c in BIDI]
        assert found == []
        assert records(emu, "伴走者")[0]["氏名"] == "架空ひと子"
        assert records(emu, "申請")[0]["氏名"] == "架空ひと子"
