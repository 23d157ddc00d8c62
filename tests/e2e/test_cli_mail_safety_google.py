"""Issue 10 §1 through the real CLI on the Google backends (Forms API source, Google Sheet,
Gmail) against the local emulator: registrations with crafted encoded-word addresses are
要確認 and get no mail, the other responses are processed and emailed once, a message
Gmail refuses for good is parked as 失敗 without holding back the next, and every cycle
exits 0. A staff tick in 同期 releases mail held by the surge guard (§5). All data is
fictitious."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from emulated import form_id, google_backends, running_emulator

from bansou_sync.adapters.form_fields import REGISTRATION_TITLES
from bansou_sync.emulator.server import Emulator

from .conftest import Project, gmail_volunteer_mail

BOOK = "mail-safety-book"
ENCODED_WORD = "=?utf-8?q?x=0d=0abcc=3a_x=40evil.example?=@example.com"
COMMA_WORD = "=?utf-8?q?victim=40evil.example=2c?=@example.com"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application", book=BOOK) as emu:
        yield emu


def registration(n: int, created: str, address: str) -> dict[str, Any]:
    answers = {
        "name": f"伴走 {n}郎",
        "email": address,
        "phone": f"090-0000-{n:04d}",
        "membership": "会員",
        "prefecture": "東京都",
        "consent": ["同意します"],
    }
    return {
        "createTime": created,
        "answers": {REGISTRATION_TITLES[k]: v for k, v in answers.items()},
    }


@pytest.fixture
def google_project(project: Project, emulator: Emulator) -> Project:
    project.write_config(**google_backends(emulator, project.root, BOOK))
    return project


def tab(emulator: Emulator, name: str) -> list[dict[str, str]]:
    assert emulator.sheets is not None
    rows = emulator.sheets.dump(BOOK)[name]
    header = rows[0]
    return [dict(zip(header, [*row, *[""] * len(header)], strict=False)) for row in rows[1:] if row]


def test_poisoned_registrations_on_the_google_backends_are_held_for_review_and_cycles_go_on(
    google_project: Project, emulator: Emulator
) -> None:
    emulator.forms.add_responses(
        form_id("registration"),
        [
            registration(1, "2022-06-01T01:00:00.000Z", "user1@example.com"),
            registration(2, "2022-06-02T01:00:00.000Z", ENCODED_WORD),
            registration(3, "2022-06-03T01:00:00.000Z", COMMA_WORD),
            registration(4, "2022-06-04T01:00:00.000Z", "user4@example.com"),
        ],
    )

    google_project.once("2022-06-05 12:00")
    google_project.once("2022-06-05 12:10")

    assert gmail_volunteer_mail(emulator) == [
        ("registration_confirmed", "BN-0001", "user1@example.com"),
        ("registration_confirmed", "BN-0004", "user4@example.com"),
    ]
    assert all("evil" not in m.header("To") for m in emulator.gmail.sent())
    codes = {r["伴走ネットID"]: r["状態コード"] for r in tab(emulator, "伴走者")}
    assert codes == {
        "BN-0001": "active",
        "BN-0002": "needs_review",
        "BN-0003": "needs_review",
        "BN-0004": "active",
    }
    assert [r["結果"] for r in tab(emulator, "同期")][:2] == ["成功", "成功"]


def test_a_message_gmail_refuses_for_good_is_parked_and_shown_in_the_google_sheet(
    google_project: Project, emulator: Emulator
) -> None:
    emulator.forms.add_responses(
        form_id("registration"),
        [registration(n, f"2022-06-0{n}T01:00:00.000Z", f"user{n}@example.com") for n in (1, 2)],
    )
    # the first send Gmail refuses for good (400), the next goes
    emulator.add_fault(api="gmail", method="gmail.users.drafts.create", kind="400", count=1)

    google_project.once("2022-06-05 07:00")
    google_project.once("2022-06-05 07:10")

    assert [r for _, r, _ in gmail_volunteer_mail(emulator)] == ["BN-0002"]
    states = {r["関連番号"]: r["状態"] for r in tab(emulator, "メール")}
    assert states == {"BN-0001": "失敗", "BN-0002": "送信済"}
    sync = tab(emulator, "同期")
    assert "BN-0001" in sync[-1]["エラー"] or "BN-0001" in sync[0]["エラー"]
    assert "@" not in " ".join(r["エラー"] for r in sync)


def test_staff_release_a_surge_with_the_tick_in_the_google_sync_tab(
    google_project: Project, emulator: Emulator
) -> None:
    google_project.write_config(
        **google_backends(emulator, google_project.root, BOOK), intake={"surge_limit": 2}
    )
    emulator.forms.add_responses(
        form_id("registration"),
        [registration(n, f"2022-06-0{n}T01:00:00.000Z", f"user{n}@example.com") for n in (1, 2, 3)],
    )
    google_project.once("2022-06-05 12:00")
    held = gmail_volunteer_mail(emulator)
    alerts = [m for m in emulator.gmail.sent() if m.header("X-Bansou-Kind") == "surge_held"]

    assert emulator.sheets is not None
    header = emulator.sheets.dump(BOOK)["同期"][0]
    column = "ABCDEFGHIJ"[header.index("一斉送信を許可")]
    emulator.sheets.staff_set_cell(BOOK, "同期", f"{column}2", "TRUE")
    google_project.once("2022-06-05 12:10")
    google_project.once("2022-06-05 12:20")

    assert held == [] and len(alerts) == 1
    assert [r for _, r, _ in gmail_volunteer_mail(emulator)] == ["BN-0001", "BN-0002", "BN-0003"]
    assert {r["一斉送信を許可"] for r in tab(emulator, "同期")} <= {"", "FALSE"}
