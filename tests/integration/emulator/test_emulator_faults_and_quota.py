"""Fault injection, latency, quota emulation, the request log and counters."""

from __future__ import annotations

import http.client
import json
import re
import time
from typing import Any

import pytest

from bansou_sync.emulator.control import ControlApi
from bansou_sync.emulator.forms import FormsApi
from bansou_sync.emulator.gmail import GmailApi
from bansou_sync.emulator.http import Request, Response, Route, route
from bansou_sync.emulator.oauth import OAuthApi
from bansou_sync.emulator.server import Emulator

from .conftest import FORM, FORMS_SCOPES, GMAIL_SCOPES, RECORDINGS, call, token_for

FORM_PATH = f"/v1/forms/{FORM['formId']}"
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"


class SheetsLikeApi:
    """A stand-in spending the Sheets read quota, so quota is tested without Sheets."""

    name = "sheets"

    def routes(self) -> list[Route]:
        return [
            route(
                "GET",
                r"/v4/spreadsheets/(?P<id>[^/]+)",
                "sheets.spreadsheets.get",
                lambda req, m: Response(200, {"spreadsheetId": m["id"]}),
            )
        ]

    def quota_group(self, route: Route, request: Request) -> str | None:
        return "sheets:read"


@pytest.fixture
def sheets_emulator() -> Any:
    with Emulator([OAuthApi(), SheetsLikeApi(), ControlApi()]) as emu:
        yield emu


@pytest.fixture
def token(emulator: Emulator) -> str:
    emulator.forms.load_form(FORM)
    return token_for(emulator, FORMS_SCOPES)


def statuses(emulator: Emulator, token: str, n: int, path: str = FORM_PATH) -> list[int]:
    return [call(emulator, "GET", path, token=token).status for _ in range(n)]


def test_a_count_fault_hits_exactly_the_next_n_matching_requests(
    emulator: Emulator, token: str
) -> None:
    emulator.faults.add(api="forms", method="forms.forms.get", kind="503", count=3)
    assert statuses(emulator, token, 5) == [503, 503, 503, 200, 200]
    reply = call(emulator, "GET", FORM_PATH, token=token)
    assert reply.status == 200
    emulator.faults.add(api="gmail", kind="500", count=1)  # another API: forms unaffected
    assert statuses(emulator, token, 1) == [200]


def test_a_rate_fault_hits_about_that_share_of_requests(emulator: Emulator, token: str) -> None:
    emulator.faults.add(api="*", kind="500", rate=0.3)
    got = statuses(emulator, token, 200)
    assert 35 <= got.count(500) <= 85
    assert set(got) == {200, 500}


def test_fault_replies_have_googles_error_shape(emulator: Emulator, token: str) -> None:
    emulator.faults.add(api="forms", kind="500", count=1)
    emulator.faults.add(api="forms", kind="429", count=1)
    first = call(emulator, "GET", FORM_PATH, token=token)
    assert first.json() == {
        "error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}
    }
    second = call(emulator, "GET", FORM_PATH, token=token)
    assert second.status == 429 and "Retry-After" not in second.headers
    assert second.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_a_drop_fault_closes_the_connection_without_a_reply(emulator: Emulator, token: str) -> None:
    emulator.faults.add(api="forms", kind="drop", count=1)
    conn = http.client.HTTPConnection("127.0.0.1", int(emulator.base_url.rsplit(":", 1)[1]))
    conn.request("GET", FORM_PATH, headers={"Authorization": f"Bearer {token}"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        conn.getresponse()
    conn.close()
    assert statuses(emulator, token, 1) == [200]
    assert [e.status for e in emulator.requests(api="forms")] == [0, 200]


def test_a_fault_after_the_handler_loses_the_reply_but_keeps_the_effect(
    emulator: Emulator,
) -> None:
    token = token_for(emulator, GMAIL_SCOPES, subject="jimukyoku@example.org")
    emulator.faults.add(api="gmail", kind="503", count=1, when="after")
    raw = "VG86IHRhcm9AZXhhbXBsZS5jb20KU3ViamVjdDogaGkKCmhp"  # To: taro@..., Subject: hi
    path = "/gmail/v1/users/me/messages/send"
    reply = call(emulator, "POST", path, token=token, body={"raw": raw})
    assert reply.status == 503
    assert len(emulator.gmail.sent()) == 1  # sent although the client saw an error


def test_slow_faults_and_latency_delay_replies(emulator: Emulator, token: str) -> None:
    emulator.faults.add(api="forms", kind="slow", seconds=0.3, count=1)
    started = time.monotonic()
    assert statuses(emulator, token, 1) == [200]
    assert time.monotonic() - started >= 0.3
    call(emulator, "POST", "/_emulator/latency", body={"seconds": 0.15})
    started = time.monotonic()
    assert statuses(emulator, token, 2) == [200, 200]
    assert time.monotonic() - started >= 0.3


def test_faults_are_set_listed_and_cleared_through_the_control_endpoint(
    emulator: Emulator, token: str
) -> None:
    reply = call(
        emulator,
        "POST",
        "/_emulator/faults",
        body={"rules": [{"api": "forms", "kind": "429", "count": 2}]},
    )
    assert reply.json()["rules"][0]["kind"] == "429"
    assert statuses(emulator, token, 1) == [429]
    assert call(emulator, "GET", "/_emulator/faults").json()["rules"][0]["count"] == 1
    call(emulator, "DELETE", "/_emulator/faults")
    assert statuses(emulator, token, 1) == [200]
    bad = call(emulator, "POST", "/_emulator/faults", body={"kind": "418"})
    assert bad.status == 400


def test_sixty_one_sheets_reads_in_a_minute_get_the_real_429(sheets_emulator: Emulator) -> None:
    emu = sheets_emulator
    emu.quota.enabled = True
    token = token_for(emu, [SHEETS_SCOPE])
    got = statuses(emu, token, 61, "/v4/spreadsheets/abc")
    assert got == [200] * 60 + [429]
    over = call(emu, "GET", "/v4/spreadsheets/abc", token=token)
    assert over.status == 429 and "Retry-After" not in over.headers
    assert over.headers["Content-Type"] == "application/json; charset=UTF-8"
    recorded = RECORDINGS / "gargle" / "sheets-spreadsheets-get-quota-exceeded-readgroup_429.json"
    if recorded.exists():
        real = json.loads(recorded.read_text())["body"]
        assert over.json() == real  # the same project number, so the very same body
    # another user has a quota of their own; a minute later the first one may read again
    other = token_for(emu, [SHEETS_SCOPE], subject="staff@example.org")
    assert statuses(emu, other, 1, "/v4/spreadsheets/abc") == [200]
    emu.clock.advance(61)
    assert statuses(emu, token, 1, "/v4/spreadsheets/abc") == [200]


def test_the_forms_list_quota_is_180_a_minute(emulator: Emulator, token: str) -> None:
    emulator.quota.enabled = True
    got = statuses(emulator, token, 181, FORM_PATH + "/responses")
    assert got.count(200) == 180 and got[-1] == 429
    message = call(emulator, "GET", FORM_PATH + "/responses", token=token).json()["error"]
    assert "'Expensive read requests'" in message["message"]
    assert statuses(emulator, token, 1) == [200]  # forms.get spends another bucket


def test_the_gmail_daily_sending_limit_answers_mail_sending_429(emulator: Emulator) -> None:
    emulator.quota.enabled = True
    emulator.quota.set_limit("gmail:send", 3)
    token = token_for(emulator, GMAIL_SCOPES, subject="jimukyoku@example.org")
    raw = "VG86IHRhcm9AZXhhbXBsZS5jb20KU3ViamVjdDogaGkKCmhp"
    path = "/gmail/v1/users/me/messages/send"
    got = [call(emulator, "POST", path, token=token, body={"raw": raw}) for _ in range(4)]
    assert [r.status for r in got] == [200, 200, 200, 429]
    assert re.fullmatch(
        r"User-rate limit exceeded\.  Retry after \S+Z \(Mail sending\)",
        got[-1].json()["error"]["message"],
    )
    emulator.clock.advance(86401)
    token = token_for(emulator, GMAIL_SCOPES, subject="jimukyoku@example.org")  # old one expired
    assert call(emulator, "POST", path, token=token, body={"raw": raw}).status == 200


def test_counters_and_the_request_log_count_every_api_call_by_google_method(
    emulator: Emulator, token: str
) -> None:
    statuses(emulator, token, 2)
    statuses(emulator, token, 1, FORM_PATH + "/responses")
    counters = call(emulator, "GET", "/_emulator/counters").json()["counters"]
    assert counters == {"oauth2.token": 1, "forms.forms.get": 2, "forms.forms.responses.list": 1}
    log = call(emulator, "GET", "/_emulator/requests?method=forms.forms.get").json()["requests"]
    assert [(e["status"], e["user"]) for e in log] == [
        (200, "bansou-sync@emulator.iam.gserviceaccount.com")
    ] * 2
    call(emulator, "DELETE", "/_emulator/counters")
    assert emulator.counters() == {}
    call(emulator, "POST", "/_emulator/reset")
    assert emulator.requests() == []


def test_unknown_urls_get_a_google_style_404(emulator: Emulator) -> None:
    reply = call(emulator, "GET", "/v9/nothing")
    assert reply.status == 404
    assert reply.json()["error"]["status"] == "NOT_FOUND"


def test_the_default_api_set_serves_forms_gmail_and_control() -> None:
    with Emulator([OAuthApi(), FormsApi(), GmailApi(), ControlApi()]) as emu:
        health = call(emu, "GET", "/_emulator/health").json()
        assert health == {"ok": True, "apis": ["oauth", "forms", "gmail", "control"]}
