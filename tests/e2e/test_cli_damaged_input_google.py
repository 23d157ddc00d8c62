"""A damaged source is never judged as if it were true (issue 10 §3), through the real CLI
on the Google backends against the local emulator: the Forms API (``forms.get`` lacking a
question the rules need; answers with control characters or over 128 KiB; an edit) and
a linked responses Sheet (a renamed header; an answer changed under the same 回答ID)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from emulated import (
    MAILBOX,
    application_response,
    form_id,
    google_backends,
    key_file,
    reference_form,
    registration_response,
    running_emulator,
)

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.adapters.ledger import Ledger
from bansou_sync.emulator.server import Emulator

from .conftest import Project, gmail_volunteer_mail, kinds

CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
TAB = "フォームの回答 1"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application") as emu:
        yield emu


def registration(n: int, created: str) -> dict[str, Any]:
    return registration_response(n, created)


def application(n: int, created: str, **more: Any) -> dict[str, Any]:
    return application_response(n, created, support_date="2022-06-01", **more)


@pytest.fixture
def forms_project(project: Project, emulator: Emulator) -> Project:
    project.write_config(**google_backends(emulator, project.root))
    emulator.forms.add_responses(
        form_id("registration"),
        [registration(n, f"2022-06-0{n}T01:00:00.000Z") for n in (1, 2)],
    )
    return project


def one_line_refusal(project: Project, now: str) -> str:
    result = project.once(now, check=False)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    return line


def test_a_form_lacking_a_question_the_rules_need_is_refused_until_the_question_is_back(
    forms_project: Project, emulator: Emulator
) -> None:
    project, app_form = forms_project, form_id("application")
    emulator.forms.add_responses(
        app_form,
        [application(1, "2022-06-08T03:00:00.000Z"), application(2, "2022-06-09T03:00:00.000Z")],
    )
    responses = emulator.forms.responses(app_form)
    whole = reference_form("application")
    broken = copy.deepcopy(whole)
    broken["items"] = [i for i in broken["items"] if i.get("title") != "支援実施日"]
    emulator.forms.load_form(broken, responses)

    line = one_line_refusal(project, "2022-06-10 12:00")

    assert "支援実施日" in line and "support_date" in line
    assert emulator.gmail.sent() == []
    with Ledger.open(project.ledger_path) as ledger:
        assert not ledger.load_state().applications
    emulator.forms.load_form(whole, responses)  # the question is restored
    project.once("2022-06-10 12:10")
    expected = [
        ("application_received", "A-000001", "user1@example.com"),
        ("application_received", "A-000002", "user2@example.com"),
        ("registration_confirmed", "BN-0001", "user1@example.com"),
        ("registration_confirmed", "BN-0002", "user2@example.com"),
    ]
    assert gmail_volunteer_mail(emulator) == expected
    project.once("2022-06-10 12:20")
    assert gmail_volunteer_mail(emulator) == expected  # nothing sent twice


def test_control_characters_and_an_oversized_answer_from_the_forms_api_never_stop_intake(
    forms_project: Project, emulator: Emulator
) -> None:
    project, app_form = forms_project, form_id("application")
    [poisoned, _] = emulator.forms.add_responses(
        app_form,
        [
            application(
                1,
                "2022-06-08T03:00:00.000Z",
                name="伴走\x00 1郎",
                narrative="病院\x0bで\x85の受診" + "長い説明" * 40_000,
            ),
            application(2, "2022-06-09T03:00:00.000Z"),
        ],
    )

    project.once("2022-06-10 12:00")

    assert [r["判定"] for r in project.tab("申請")] == ["審査待ち", "審査待ち"]
    for row in project.tab("申請"):
        assert not any(CONTROLS.search(cell) for cell in row.values()), row
    for message in emulator.gmail.sent():
        assert not CONTROLS.search(message.text().replace("\r", "").replace("\t", ""))
    with Ledger.open(project.ledger_path) as ledger:
        narrative = ledger.load_state().applications["A-000001"].narrative
    assert narrative.startswith("病院での受診") and narrative.endswith("[以下省略 / truncated]")
    errors = " ".join(r["エラー"] for r in project.tab("同期"))
    assert "A-000001" in errors and poisoned["responseId"] in errors
    sent = gmail_volunteer_mail(emulator)

    # the volunteer shortens the answer: an edit, judged again, nothing sent twice
    narrative_id = next(
        q for q, t in _titles(emulator, app_form).items() if t == APPLICATION_TITLES["narrative"]
    )
    emulator.forms.edit_response(
        app_form, poisoned["responseId"], {narrative_id: "病院での受診に同行しました。"}
    )
    project.once("2022-06-10 12:10")
    with Ledger.open(project.ledger_path) as ledger:
        assert (
            ledger.load_state().applications["A-000001"].narrative == "病院での受診に同行しました。"
        )
    assert gmail_volunteer_mail(emulator) == sent


def _titles(emulator: Emulator, form: str) -> dict[str, str]:
    return {
        item["questionItem"]["question"]["questionId"]: item["title"]
        for item in emulator.forms.state(form).form["items"]
        if "questionItem" in item
    }


# --- the linked responses Sheet ----------------------------------------------------------


def sheet_rows(titles: dict[str, str], rows: list[dict[str, str]]) -> list[list[str]]:
    fields = list(titles)
    return [
        ["タイムスタンプ", *(titles[f] for f in fields)],
        *([row["timestamp"], *(row.get(f, "") for f in fields)] for row in rows),
    ]


REGISTRATIONS = [
    {
        "timestamp": f"2022/05/20 9:0{n}:00",
        "name": f"伴走 {n}郎",
        "email": f"user{n}@example.com",
        "phone": f"090-0000-000{n}",
        "membership": "会員",
        "consent": "同意します",
    }
    for n in (1, 2)
]


def sheet_application(n: int, timestamp: str, **more: str) -> dict[str, str]:
    return {
        "timestamp": timestamp,
        "supporter_id": f"BN-{n:04d}",
        "name": f"伴走 {n}郎",
        "email": f"user{n}@example.com",
        "support_date": "2022/06/01",
        "start_time": "10:00:00",
        "end_time": "12:00:00",
        "client_initials": "T.N.",
        "client_birth_year": "1985",
        "client_nationality": "ベトナム",
        "topics": "医療",
        "consent": "同意します",
        **more,
    }


@pytest.fixture
def sheet_project(project: Project, emulator: Emulator) -> tuple[Project, str]:
    key = key_file(emulator, project.root)
    reg = emulator.sheets.load_fixture(
        {"sheets": {TAB: sheet_rows(REGISTRATION_TITLES, REGISTRATIONS)}}
    )
    titles = {**APPLICATION_TITLES, "support_date": "実施日"}  # renamed by someone
    rows = [
        sheet_application(1, "2022/06/02 10:00:00", end_time=""),
        sheet_application(2, "2022/06/03 10:00:00"),
    ]
    app = emulator.sheets.load_fixture({"sheets": {TAB: sheet_rows(titles, rows)}})
    project.write_config(
        source={
            "kind": "response_sheet",
            "registration_sheet_id": reg,
            "application_sheet_id": app,
        },
        google={"credentials_file": str(key), "api_base": emulator.base_url, "subject": MAILBOX},
    )
    return project, app


def test_a_renamed_header_in_the_linked_sheet_is_refused_and_a_changed_answer_is_an_edit(
    sheet_project: tuple[Project, str], emulator: Emulator
) -> None:
    project, app = sheet_project

    line = one_line_refusal(project, "2022-06-10 12:00")

    assert "支援実施日" in line
    assert not project.eml_paths()
    column = chr(ord("A") + 1 + list(APPLICATION_TITLES).index("support_date"))
    emulator.sheets.staff_set_cell(app, TAB, f"{column}1", "支援実施日")  # staff fix it
    project.once("2022-06-10 12:10")
    assert [r["判定"] for r in project.tab("申請")] == ["不備・再回答待ち", "審査待ち"]
    assert kinds(project.new_volunteer_emails()) == [
        "application_deficient",
        "application_received",
        "registration_confirmed",
        "registration_confirmed",
    ]

    # the missing end time is typed into the same row: same 回答ID, other answers
    column = chr(ord("A") + 1 + list(APPLICATION_TITLES).index("end_time"))
    emulator.sheets.staff_set_cell(app, TAB, f"{column}2", "12:00:00")
    project.once("2022-06-10 12:20")
    assert [r["申請番号"] for r in project.tab("申請")] == ["A-000001", "A-000002"]
    assert project.app("A-000001")["判定"] == "審査待ち"
    assert kinds(project.new_volunteer_emails()) == ["application_received"]
    project.once("2022-06-10 12:30")
    assert project.new_volunteer_emails() == []
