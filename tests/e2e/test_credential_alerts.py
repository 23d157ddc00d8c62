"""Credentials that stop, or are about to stop, working alert staff at once, and once
(issue 4 §7): invalid_grant, a 401 after a fresh token, a 403 on a resource that worked
before, and a testing OAuth app's refresh token on its sixth day. The CLI reads the
emulator's Forms API; alerts are read from the outbox folder (mail is not Google here,
so it still works when Google's credentials do not)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from emulated import forms_api_source, key_file, running_emulator

from bansou_sync.emulator.server import Emulator

from .conftest import Project, body

ROOT = Path(__file__).resolve().parents[2]
STAFF = "jimukyoku@example.org"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application") as emu:  # forms, no responses
        yield emu


def configure(project: Project, emulator: Emulator, key: Path, **google: object) -> None:
    project.write_config(
        source=forms_api_source(),
        mail={"staff_to": [STAFF]},
        alerts={"after_failures": 3},
        google={"credentials_file": str(key), "api_base": emulator.base_url, **google},
    )


@pytest.fixture
def service_account(project: Project, emulator: Emulator) -> Project:
    configure(project, emulator, key_file(emulator, project.root))
    return project


def alerts(project: Project) -> list[str]:
    return [body(m) for m in project.new_emails() if m["X-Bansou-Kind"] == "sync_failure"]


def test_a_deleted_service_account_key_alerts_staff_on_the_first_failed_cycle(
    service_account: Project, emulator: Emulator
) -> None:
    project = service_account
    project.once("2022-06-01 12:00")
    assert alerts(project) == []
    emulator.oauth.delete_key(emulator.oauth.service_account.private_key_id)

    failed = project.once("2022-06-01 12:05", check=False)
    assert failed.returncode != 0
    sent = alerts(project)
    assert len(sent) == 1  # at once, although alerts.after_failures is 3
    assert "invalid_grant" in sent[0] and "google.credentials_file" in sent[0]

    project.once("2022-06-01 12:10", check=False)
    assert alerts(project) == []  # one alert, not one per cycle


def test_a_401_after_a_freshly_refreshed_token_alerts_staff_at_once(
    service_account: Project, emulator: Emulator
) -> None:
    project = service_account
    project.once("2022-06-01 12:00")
    emulator.oauth.reject_tokens()

    assert project.once("2022-06-01 12:05", check=False).returncode != 0
    sent = alerts(project)
    assert len(sent) == 1
    assert "401" in sent[0]
    assert emulator.counters().get("oauth2.token", 0) >= 2  # google-auth refreshed first


def test_a_403_on_a_form_that_was_readable_before_alerts_staff_at_once(
    service_account: Project, emulator: Emulator
) -> None:
    project = service_account
    project.once("2022-06-01 12:00")
    emulator.faults.add(kind="403", api="forms")

    assert project.once("2022-06-01 12:05", check=False).returncode != 0
    sent = alerts(project)
    assert len(sent) == 1 and "403" in sent[0]


def test_a_403_from_the_very_first_cycle_is_a_setup_mistake_and_waits_for_the_threshold(
    service_account: Project, emulator: Emulator
) -> None:
    project = service_account
    emulator.faults.add(kind="403", api="forms")
    for minute in ("00", "05"):
        assert project.once(f"2022-06-01 12:{minute}", check=False).returncode != 0
        assert alerts(project) == []
    assert project.once("2022-06-01 12:10", check=False).returncode != 0
    sent = alerts(project)
    assert len(sent) == 1 and "3 回続けて失敗" in sent[0]


def user_credentials(project: Project, emulator: Emulator, refresh_token: str) -> Path:
    emulator.oauth.register_user_client(
        "client-1.apps.example", "secret-1", refresh_token, STAFF, scopes=()
    )
    path = project.root / "oauth-user.json"
    path.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "client-1.apps.example",
                "client_secret": "secret-1",
                "refresh_token": refresh_token,
            }
        ),
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def age(path: Path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_a_testing_apps_refresh_token_on_its_sixth_day_warns_staff_once(
    project: Project, emulator: Emulator
) -> None:
    path = user_credentials(project, emulator, "refresh-token-fictitious-1")
    configure(project, emulator, path, oauth_testing_app=True)
    age(path, 2)
    project.once("2022-06-01 12:00")
    assert alerts(project) == []

    age(path, 6.1)
    project.once("2022-06-01 12:05")  # the cycle itself works
    sent = alerts(project)
    assert len(sent) == 1
    assert "まもなく" in sent[0] and "7日" in sent[0]
    assert "refresh-token-fictitious-1" not in sent[0]

    project.once("2022-06-01 12:10")
    assert alerts(project) == []


def test_a_refresh_token_google_revoked_alerts_staff_on_the_first_failed_cycle(
    project: Project, emulator: Emulator
) -> None:
    path = user_credentials(project, emulator, "refresh-token-fictitious-2")
    configure(project, emulator, path)
    project.once("2022-06-01 12:00")
    emulator.oauth.fail_next_refresh()  # e.g. the testing app's seven days are over
    emulator.oauth.expire_tokens()

    assert project.once("2022-06-01 12:05", check=False).returncode != 0
    sent = alerts(project)
    assert len(sent) == 1 and "invalid_grant" in sent[0]
