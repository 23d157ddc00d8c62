"""What volunteers read (issue 13 §2) through the real CLI on the Google backends (Forms
API, a Google Sheet set up by ``init-sheet``, Gmail) against the local emulator: the
却下理由(伴走者へ) staff column is there, typed by staff and carried by the rejection
email, never the 審査メモ; a non-member's confirmation promises no 覚書. All data is
fictitious."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from emulated import application_response, form_id, form_response, google_backends, running_emulator

from bansou_sync.adapters.form_fields import REGISTRATION_TITLES
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.core.sheet_style import column_letter
from bansou_sync.core.tabs import APPLICATIONS, VOLUNTEER_REASON
from bansou_sync.emulator.server import Emulator

from .conftest import Project

BOOK = "emails-book"
PHONE = "03-0000-0000"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application", book=BOOK) as emu:
        yield emu


def person(n: int, membership: str) -> dict[str, Any]:
    return form_response(
        REGISTRATION_TITLES,
        f"2022-06-0{n}T01:00:00.000Z",
        name=f"伴走 {n}郎",
        email=f"user{n}@example.com",
        phone=f"090-0000-000{n}",
        membership=membership,
        consent=["同意します"],
    )


def applied() -> dict[str, Any]:
    return application_response(1, "2022-06-10T03:00:00.000Z")


def staff_types(emu: Emulator, app_no: str, header: str, value: str) -> None:
    assert emu.sheets is not None
    rows = emu.sheets.dump(BOOK)["申請"]
    index = next(i for i, row in enumerate(rows, start=1) if row and row[0] == app_no)
    column = column_letter(APPLICATIONS.headers.index(header))
    emu.sheets.staff_set_cell(BOOK, "申請", f"{column}{index}", value)


def sent(emu: Emulator, kind: str, ref: str) -> str:
    [message] = [
        m
        for m in emu.gmail.sent()
        if m.header("X-Bansou-Kind") == kind and m.header("X-Bansou-Ref") == ref
    ]
    return str(message.text())


def test_the_volunteer_reason_column_reaches_the_rejection_email_on_the_google_backends(
    project: Project, emulator: Emulator
) -> None:
    project.write_config(**google_backends(emulator, project.root, BOOK), contact={"phone": PHONE})
    project.cli("init-sheet", "--config", str(project.config_path))
    emulator.forms.add_responses(
        form_id("registration"), [person(1, "会員"), person(2, "どちらでもない")]
    )
    emulator.forms.add_responses(form_id("application"), [applied()])
    project.once("2022-06-10 18:00")

    non_member = sent(emulator, "registration_confirmed", "BN-0002")
    assert "申請をお受けすることができません" in non_member and "覚書" not in non_member
    assert "署名・押印" in sent(emulator, "registration_confirmed", "BN-0001")
    assert PHONE in sent(emulator, "application_received", "A-000001")

    staff_types(emulator, "A-000001", "審査", "却下")
    staff_types(emulator, "A-000001", "審査メモ", "内部の検討メモ")
    staff_types(emulator, "A-000001", VOLUNTEER_REASON, "支援実施日の記録が確認できませんでした。")
    project.once("2022-06-13 12:00")

    text = sent(emulator, "application_rejected", "A-000001")
    assert "支援実施日の記録が確認できませんでした" in text
    assert "内部の検討メモ" not in text

    access = GoogleAccess(project.root / "key.json", None, emulator.base_url)
    scopes = ["https://www.googleapis.com/auth/spreadsheets"]
    book = gspread_client(access.credentials(scopes), emulator.base_url).open_by_key(BOOK)
    header, row = book.worksheet("申請").get_all_values()[:2]
    assert header[: len(APPLICATIONS.headers)] == list(APPLICATIONS.headers)
    assert header.index(VOLUNTEER_REASON) > header.index("最終更新")
    assert row[header.index(VOLUNTEER_REASON)] == "支援実施日の記録が確認できませんでした。"
    assert row[header.index("判定")] == "却下"
