"""``bansou-sync once`` through the real CLI with ``source: forms_api`` and ``mail: gmail``
against the local emulator (the status sheet stays local): responses read from the Forms
API, emails read back from the emulator's Gmail, status tabs written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulated import MAILBOX, form_id, google_backends, running_emulator

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.emulator.server import Emulator

from .conftest import Project, gmail_volunteer_mail

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application") as emu:  # forms, no responses
        yield emu


def registration(n: int, created: str) -> dict[str, Any]:
    answers = {
        "name": f"伴走 {n}郎",
        "email": f"user{n}@example.com",
        "phone": f"090-0000-{n:04d}",
        "membership": "会員",
        "prefecture": "東京都",
        "languages": ["英語", "ベトナム語"],
        "consent": ["同意します"],
    }
    return {
        "createTime": created,
        "answers": {REGISTRATION_TITLES[k]: v for k, v in answers.items()},
    }


def application(supporter: int, created: str, support_date: str) -> dict[str, Any]:
    answers = {
        "supporter_id": f"BN-{supporter:04d}",
        "name": f"伴走 {supporter}郎",
        "email": f"user{supporter}@example.com",
        "support_date": support_date,
        "start_time": "10:00",
        "end_time": "12:00",
        "client_initials": "T.N.",
        "client_birth_year": "1985",
        "client_nationality": "ベトナム",
        "topics": ["医療", "行政手続き"],
        "destinations": ["病院"],
        "consent": ["同意します"],
    }
    return {
        "createTime": created,
        "answers": {APPLICATION_TITLES[k]: v for k, v in answers.items()},
    }


@pytest.fixture
def google_project(project: Project, emulator: Emulator) -> Project:
    project.write_config(**google_backends(emulator, project.root))
    return project


def test_a_cycle_reads_the_forms_api_sends_through_gmail_and_writes_the_status_tabs(
    google_project: Project, emulator: Emulator
) -> None:
    project = google_project
    emulator.forms.add_responses(
        form_id("registration"),
        [registration(n, f"2022-06-0{n}T01:00:00.000Z") for n in (1, 2, 3)],
    )
    emulator.forms.add_responses(
        form_id("application"),
        [
            application(1, "2022-06-10T03:00:00.000Z", "2022-06-08"),
            application(2, "2022-06-11T03:00:00.000Z", "2022-06-09"),
            # 2022-06-26 00:30 in Tokyo, still 06-25 in UTC: past the 06-25 deadline
            application(3, "2022-06-25T15:30:00.000Z", "2022-05-26"),
        ],
    )
    project.once("2022-06-27 12:00")

    assert gmail_volunteer_mail(emulator) == [
        ("application_ineligible", "A-000003", "user3@example.com"),  # late
        ("application_received", "A-000001", "user1@example.com"),
        ("application_received", "A-000002", "user2@example.com"),
        ("registration_confirmed", "BN-0001", "user1@example.com"),
        ("registration_confirmed", "BN-0002", "user2@example.com"),
        ("registration_confirmed", "BN-0003", "user3@example.com"),
    ]
    sent = emulator.gmail.sent()
    assert all(m.owner == MAILBOX for m in sent)
    assert len({m.header("Message-ID") for m in sent}) == len(sent)

    assert [r["伴走ネットID"] for r in project.tab("伴走者")] == ["BN-0001", "BN-0002", "BN-0003"]
    late = project.app("A-000003")
    assert late["受信日時"] == "2022-06-26 00:30"  # JST
    assert "late_submission" in late["理由"]
    assert late["判定"] == "対象外"
    assert project.app("A-000001")["判定"] == "審査待ち"
    mails = project.tab("メール")
    assert {m["Message-ID"] for m in mails} == {m.header("Message-ID") for m in sent}
    assert {m["状態"] for m in mails} == {"送信済"}

    # the next cycle asks only for what changed, and sends nothing again
    project.once("2022-06-27 12:10")
    assert len(emulator.gmail.sent()) == len(sent)
    last = emulator.requests(method="forms.forms.responses.list")[-1]
    assert last.query["filter"][0].startswith("timestamp >= 2022-06-25T15:20:00")
