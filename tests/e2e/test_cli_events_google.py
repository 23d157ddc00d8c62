"""Courses and events through the real CLI on the Google backends (issue 6 §1): the
reference sign-up and survey forms served by the emulator's Forms API, the event tab
and the アンケート tab read back through gspread, the emails from the emulator's Gmail,
and a staff tick typed into the emulated Sheet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulated import MAILBOX, form_id, google_backends, registration_response, running_emulator

from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.app.events import SIGNUP_TITLES, SURVEY_TITLES
from bansou_sync.core.event_tabs import EVENT_HEADERS
from bansou_sync.emulator.server import Emulator

from .conftest import Project

ROOT = Path(__file__).resolve().parents[2]
BOOK = "events-book"
TAB = "講座_course-2022-08"
CANCEL_COLUMN = chr(ord("A") + EVENT_HEADERS.index("キャンセル"))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    forms = ("registration", "application", "event_course", "survey_course")
    with running_emulator(*forms, book=BOOK) as emu:  # the reference forms, no responses
        yield emu


@pytest.fixture
def google_project(project: Project, emulator: Emulator) -> Project:
    project.write_config(
        **google_backends(emulator, project.root, BOOK),
        events=[
            {
                "id": "course-2022-08",
                "kind": "course",
                "title": "第1回 伴走支援講座",
                "starts_at": "2022-08-20 13:30",
                "capacity": 1,
                "signup": {"form_id": form_id("event_course")},
                "survey": {"form_id": form_id("survey_course")},
            }
        ],
    )
    return project


def member(n: int) -> dict[str, Any]:
    return registration_response(n)


def signup(n: int, created: str) -> dict[str, Any]:
    answers = {
        "action": "申し込む",
        "supporter_id": f"BN-{n:04d}",
        "name": f"伴走 {n}郎",
        "email": f"user{n}@example.com",
        "consent": ["同意します"],
    }
    return {"createTime": created, "answers": {SIGNUP_TITLES[k]: v for k, v in answers.items()}}


def event_mail(emulator: Emulator, seen: set[str]) -> list[tuple[str, str, str]]:
    fresh = [
        m
        for m in emulator.gmail.sent()
        if m.header("X-Bansou-Kind").startswith("event_") and m.header("Message-ID") not in seen
    ]
    seen.update(m.header("Message-ID") for m in fresh)
    return sorted(
        (m.header("X-Bansou-Kind"), m.header("X-Bansou-Ref"), m.header("To")) for m in fresh
    )


def tab_values(emulator: Emulator, project: Project, tab: str) -> list[dict[str, str]]:
    access = GoogleAccess(project.root / "key.json", MAILBOX, emulator.base_url)
    scopes = ["https://www.googleapis.com/auth/spreadsheets"]
    book = gspread_client(access.credentials(scopes), emulator.base_url).open_by_key(BOOK)
    rows = book.worksheet(tab).get_all_values()
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def test_a_course_runs_on_the_forms_api_the_google_sheet_and_gmail(
    google_project: Project, emulator: Emulator
) -> None:
    project = google_project
    emulator.forms.add_responses(form_id("registration"), [member(n) for n in (1, 2)])
    emulator.forms.add_responses(
        form_id("event_course"),
        [signup(1, "2022-07-20T01:00:00.000Z"), signup(2, "2022-07-20T02:00:00.000Z")],
    )
    seen: set[str] = set()
    # as the set-up guide says: the event tab is created with its header and checkboxes
    project.cli("init-sheet", "--config", str(project.config_path))
    assert emulator.sheets is not None
    assert emulator.sheets.dump(BOOK)[TAB][0] == list(EVENT_HEADERS)
    project.once("2022-08-01 12:00")

    rows = tab_values(emulator, project, TAB)
    assert [(r["受付番号"], r["伴走ネットID"], r["状態"]) for r in rows] == [
        ("course-2022-08/001", "BN-0001", "参加確定"),
        ("course-2022-08/002", "BN-0002", "キャンセル待ち"),
    ]
    assert event_mail(emulator, seen) == [
        ("event_confirmed", "course-2022-08/001", "user1@example.com"),
        ("event_waitlisted", "course-2022-08/002", "user2@example.com"),
    ]

    # staff tick キャンセル in the Sheet (a checkbox holds TRUE)
    emulator.sheets.staff_set_cell(BOOK, TAB, f"{CANCEL_COLUMN}2", True)
    project.once("2022-08-02 12:00")
    assert event_mail(emulator, seen) == [
        ("event_cancelled", "course-2022-08/001", "user1@example.com"),
        ("event_moved_up", "course-2022-08/002", "user2@example.com"),
    ]
    rows = tab_values(emulator, project, TAB)
    assert [r["状態コード"] for r in rows] == ["cancelled", "confirmed"]
    assert rows[0]["キャンセル"] == "TRUE"  # the staff cell is kept

    project.once("2022-08-19 09:30")
    assert event_mail(emulator, seen) == [
        ("event_reminder", "course-2022-08/002", "user2@example.com"),
    ]

    survey = {"supporter_id": "BN-0002", "satisfaction": "満足", "comments": "伴走 2郎より"}
    emulator.forms.add_responses(
        form_id("survey_course"),
        [
            {
                "createTime": "2022-08-20T08:00:00.000Z",
                "answers": {SURVEY_TITLES[k]: v for k, v in survey.items()},
            }
        ],
    )
    project.once("2022-08-21 12:00")
    counts = {
        (r["区分"], r["項目"]): r["件数"] for r in tab_values(emulator, project, "アンケート")
    }
    assert counts[("概要", "回答数")] == "1"
    assert counts[("講座の満足度", "満足")] in ("<5", "秘匿")
    assert event_mail(emulator, seen) == []
    sent = emulator.gmail.sent()
    assert len({m.header("Message-ID") for m in sent}) == len(sent)


def test_a_sign_up_read_after_the_start_is_closed_in_the_sheet_and_by_gmail(
    google_project: Project, emulator: Emulator
) -> None:
    project = google_project
    emulator.forms.add_responses(form_id("registration"), [member(n) for n in (1, 2)])
    emulator.forms.add_responses(
        form_id("event_course"),
        [signup(1, "2022-07-20T01:00:00.000Z"), signup(2, "2022-08-20T04:00:00.000Z")],
    )
    seen: set[str] = set()
    project.cli("init-sheet", "--config", str(project.config_path))
    project.once("2022-08-20 14:00")  # both read after the 13:30 start; one sent 13:00
    rows = tab_values(emulator, project, TAB)
    assert [(r["受付番号"], r["状態"], r["状態コード"]) for r in rows] == [
        ("course-2022-08/001", "受付終了", "closed"),
        ("course-2022-08/002", "受付終了", "closed"),
    ]
    assert rows[0]["理由"].startswith("read_after_start: ")
    assert event_mail(emulator, seen) == [
        ("event_closed", "course-2022-08/001", "user1@example.com"),
        ("event_closed", "course-2022-08/002", "user2@example.com"),
    ]
    project.once("2022-08-21 09:00")
    assert event_mail(emulator, seen) == []
    digests = [m for m in emulator.gmail.sent() if m.header("X-Bansou-Kind") == "staff_digest"]
    assert "course-2022-08/001 (BN-0001) read_after_start" in digests[-1].text()
