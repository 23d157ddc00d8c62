"""The daily staff digest's money and registrations (issue 13 §3) through the real CLI on
the Google backends (Forms API, Google Sheet, Gmail) against the local emulator; staff
decide and tick in the emulated Sheet, the digest is read from the emulator's Gmail.
All data is fictitious."""

from __future__ import annotations

from typing import Any

from emulated import form_id, form_response, google_backends, running_emulator

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.adapters.google_sheet_read import letters
from bansou_sync.core.tabs import APPLICATIONS, PAYMENTS, SUPPORTERS
from bansou_sync.emulator.server import Emulator

from .conftest import Project

BOOK = "digest-money-book"


def person(n: int, phone: str) -> dict[str, Any]:
    return form_response(
        REGISTRATION_TITLES,
        f"2022-05-20T0{n}:00:00.000Z",
        name=f"伴走 {n}郎",
        email=f"user{n}@example.com",
        phone=phone,
        membership="会員",
        consent=["同意します"],
    )


def application(n: int, support_date: str, initials: str) -> dict[str, Any]:
    return form_response(
        APPLICATION_TITLES,
        f"2022-06-0{n + 1}T01:00:00.000Z",
        supporter_id=f"BN-{n:04d}",
        name=f"伴走 {n}郎",
        email=f"user{n}@example.com",
        support_date=support_date,
        start_time="10:00",
        end_time="12:00",
        client_initials=initials,
        client_birth_year="1985",
        client_nationality="ベトナム",
        topics=["医療"],
        consent=["同意します"],
    )


def row_of(emu: Emulator, tab: str, key: str) -> int:
    assert emu.sheets is not None
    rows = emu.sheets.dump(BOOK)[tab]
    return next(i for i, r in enumerate(rows, start=1) if r and str(r[0]) == key)


def row_with(emu: Emulator, tab: str, column: str, value: str) -> int:
    assert emu.sheets is not None
    header, *rows = emu.sheets.dump(BOOK)[tab]
    at = header.index(column)
    return next(i for i, r in enumerate(rows, start=2) if len(r) > at and str(r[at]) == value)


def staff_types(
    emu: Emulator, tab: str, headers: tuple[str, ...], column: str, row: int, value: Any
) -> None:
    assert emu.sheets is not None
    emu.sheets.staff_set_cell(BOOK, tab, f"{letters(headers.index(column))}{row}", value)


def last_digest(emu: Emulator) -> str:
    digests = [m for m in emu.gmail.sent() if m.header("X-Bansou-Kind") == "staff_digest"]
    return digests[-1].text()


def test_the_digest_on_gmail_shows_the_batch_the_hold_the_unpaid_and_the_registration(
    project: Project,
) -> None:
    with running_emulator("registration", "application", book=BOOK) as emu:
        project.write_config(**google_backends(emu, project.root, BOOK))
        emu.forms.add_responses(
            form_id("registration"),
            [person(1, "090-0000-0001"), person(2, "090-0000-0002"), person(3, "")],
        )
        emu.forms.add_responses(
            form_id("application"),
            [application(1, "2022-06-01", "T.N."), application(2, "2022-06-02", "K.M.")],
        )
        project.once("2022-06-06 12:00")
        assert "BN-0003  未回答: 電話番号" in last_digest(emu)  # listed once, in the first
        for app_no in ("A-000001", "A-000002"):
            row = row_of(emu, "申請", app_no)
            staff_types(emu, "申請", APPLICATIONS.headers, "審査", row, "承認")
        bn1 = row_of(emu, "伴走者", "BN-0001")
        for column in ("覚書受領", "口座届出受領"):
            staff_types(emu, "伴走者", SUPPORTERS.headers, column, bn1, True)
        project.once("2022-06-07 12:00")

        project.once("2022-06-21 09:00")
        text = last_digest(emu)
        assert "■ 次回の支払  2022年7月8日(金)" in text
        assert "支払先 1名 / 申請 1件 / 合計 6,000円" in text
        assert (
            "BN-0002  締め日 2022年6月20日(月)  payment_held: 未着 覚書・謝金受取口座届出書" in text
        )
        assert "伴走 2郎" not in text

        project.once("2022-07-11 09:00")
        text = last_digest(emu)
        assert "支払予定日 2022年7月8日(金)  1名  6,000円" in text

        paid = row_with(emu, "支払", "伴走ネットID", "BN-0001")
        staff_types(emu, "支払", PAYMENTS.headers, "支払済", paid, True)
        project.once("2022-07-12 09:00")
        assert "支払済」にチェックがない" not in last_digest(emu)
