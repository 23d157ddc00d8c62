"""The sheet staff decide in (issue 13 §1) through the real CLI on the Google backends
(Forms API, a Google Sheet set up by ``init-sheet``, Gmail) against the local emulator,
read back with plain gspread as a member of staff's spreadsheet would show it: the
answers staff judge by, why a registration waits, the duplicate's row, the layout, and
corrections typed by staff. All data is fictitious."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gspread
import pytest
from emulated import form_id, form_response, google_backends, running_emulator

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.core.sheet_style import column_letter
from bansou_sync.core.tabs import APPLICATIONS, SUPPORTERS
from bansou_sync.emulator.server import Emulator

from .conftest import Project

BOOK = "staff-sheet-book"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application", book=BOOK) as emu:
        yield emu


def person(n: int, email: str, membership: str = "会員", phone: str = "") -> dict[str, Any]:
    return form_response(
        REGISTRATION_TITLES,
        f"2022-06-0{n}T01:00:00.000Z",
        name=f"架空 {n}郎",
        email=email,
        phone=phone or f"090-0000-000{n}",
        membership=membership,
        consent=["同意します"],
    )


def short_application() -> dict[str, Any]:
    return form_response(
        APPLICATION_TITLES,
        "2022-06-10T03:00:00.000Z",
        supporter_id="BN-0001",
        name="架空 1郎",
        email="user1@example.com",
        support_date="2022-06-08",
        start_time="10:00",
        end_time="10:30",
        client_initials="T.N.",
        client_birth_year="1985",
        client_nationality="ベトナム",
        topics=["医療", "住まい"],
        destinations=["病院"],
        narrative="架空の支援です。\n病院の受付に同行しました。",
        consent=["同意します"],
    )


def sheet(project: Project, emulator: Emulator) -> gspread.Spreadsheet:
    access = GoogleAccess(project.root / "key.json", None, emulator.base_url)
    scopes = ["https://www.googleapis.com/auth/spreadsheets"]
    return gspread_client(access.credentials(scopes), emulator.base_url).open_by_key(BOOK)


def table(book: gspread.Spreadsheet, tab: str) -> list[dict[str, str]]:
    header, *rows = book.worksheet(tab).get_all_values()
    return [dict(zip(header, row, strict=False)) for row in rows if any(row)]


def staff_types(book: gspread.Spreadsheet, tab: str, key: str, header: str, value: str) -> None:
    """A member of staff types ``value`` in ``header`` of the row holding ``key``."""
    layout = {"申請": APPLICATIONS, "伴走者": SUPPORTERS}[tab]
    keys = book.worksheet(tab).col_values(1)
    row = keys.index(key) + 1
    cell = f"{column_letter(layout.headers.index(header))}{row}"
    book.worksheet(tab).update(range_name=cell, values=[[value]], raw=False)


def test_staff_see_what_they_judge_by_and_correct_membership_and_times_on_google(
    project: Project, emulator: Emulator
) -> None:
    project.write_config(**google_backends(emulator, project.root, BOOK))
    project.cli("init-sheet", "--config", str(project.config_path))
    emulator.forms.add_responses(
        form_id("registration"),
        [
            person(1, "user1@example.com", "どちらでもない"),
            person(2, "user2@example,com"),  # a typo: no usable address
            person(3, "User1@Example.com", phone="09011112222"),  # the first one again
        ],
    )
    emulator.forms.add_responses(form_id("application"), [short_application()])
    project.once("2022-06-10 18:00")

    book = sheet(project, emulator)
    (row,) = table(book, "申請")
    assert (row["開始時刻"], row["終了時刻"]) == ("10:00", "10:30")
    assert (row["相談内容"], row["同行先"]) == ("医療、住まい", "病院")
    assert row["支援の内容"] == "架空の支援です。\n病院の受付に同行しました。"
    assert row["状態コード"] == "ineligible"
    assert "not_member_or_referred" in row["理由"] and "too_short" in row["理由"]
    supporters = {r["伴走ネットID"]: r for r in table(book, "伴走者")}
    assert supporters["BN-0002"]["状態"] == "要確認"
    assert supporters["BN-0002"]["入力されたメールアドレス"] == "user2@example,com"
    assert "連絡先訂正" in supporters["BN-0002"]["要確認の理由"]
    assert not [r for r in supporters.values() if r["状態コード"] == "duplicate"]  # SPEC §4
    assert supporters["BN-0001"]["重複登録"] == "2022-06-03 10:00 受信 架空 3郎 user1@example.com"

    layout = book.fetch_sheet_metadata(
        {"fields": "sheets(properties(title,gridProperties),columnGroups)"}
    )
    applications = next(s for s in layout["sheets"] if s["properties"]["title"] == "申請")
    assert applications["properties"]["gridProperties"]["frozenColumnCount"] == 1
    collapsed = [
        APPLICATIONS.headers[g["range"]["startIndex"]]
        for g in applications["columnGroups"]
        if g["collapsed"]
    ]
    assert collapsed == ["回答ID", "状態コード"]

    staff_types(book, "伴走者", "BN-0001", "会員区分(確認)", "会員")
    staff_types(book, "申請", "A-000001", "終了時刻(訂正)", "12:30")
    project.once("2022-06-13 12:00")
    (row,) = table(book, "申請")
    # the membership was applied; the time, typed without a reason, was not
    assert row["状態コード"] == "ineligible" and row["終了時刻"] == "10:30"
    assert row["理由"].startswith("too_short") and "not_member" not in row["理由"]
    assert "訂正理由が空欄" in table(book, "同期")[0]["エラー"]

    staff_types(book, "申請", "A-000001", "訂正理由", "本人からメールで終了時刻の訂正")
    project.once("2022-06-14 12:00")
    (row,) = table(book, "申請")
    assert (row["状態コード"], row["終了時刻"], row["実施時間(分)"], row["謝金額"]) == (
        "pending_review",
        "12:30",
        "150",
        "6000",
    )
    received = [
        m for m in emulator.gmail.sent() if m.header("X-Bansou-Kind") == "application_received"
    ]
    assert [m.header("X-Bansou-Ref") for m in received] == ["A-000001"]
