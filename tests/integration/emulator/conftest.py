"""Shared set-up for the emulator tests: an in-process emulator on 127.0.0.1, real
google-auth credentials pointed at it, the real API clients built from the bundled
(static) discovery documents, a raw HTTP helper, and a checker that walks a reply
against the discovery schema (``tests/schema_check.py``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schema_check
from google.auth.transport.requests import Request as AuthRequest
from googleapiclient.discovery import build

from bansou_sync.emulator.control import ControlApi
from bansou_sync.emulator.forms import FormsApi
from bansou_sync.emulator.gmail import GmailApi
from bansou_sync.emulator.oauth import OAuthApi
from bansou_sync.emulator.server import Emulator

FORMS_SCOPES = [
    "https://www.googleapis.com/auth/forms.body",
    "https://www.googleapis.com/auth/forms.responses.readonly",
]
GMAIL_SCOPES = [
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.readonly",
]
DOCS = schema_check.DOCS
RECORDINGS = Path(
    __import__("os").environ.get(
        "BANSOU_GOOGLE_RECORDINGS",
        str(Path(__file__).resolve().parents[4] / "shared" / "google-recordings"),
    )
)

FORM: dict[str, Any] = {
    "formId": "1FAIpQLSeTestForm0000000000000000000000000000",
    "info": {"title": "伴走支援申請", "documentTitle": "伴走支援申請"},
    "revisionId": "00000042",
    "responderUri": "https://docs.google.com/forms/d/e/1FAIpQLSeTest/viewform",
    "items": [
        {
            "itemId": "1a2b3c4d",
            "title": "伴走ネットID",
            "questionItem": {
                "question": {"questionId": "0a1b2c3d", "required": True, "textQuestion": {}}
            },
        },
        {
            "itemId": "2a2b3c4d",
            "title": "支援実施日",
            "questionItem": {
                "question": {
                    "questionId": "1a1b2c3d",
                    "required": True,
                    "dateQuestion": {"includeYear": True},
                }
            },
        },
        {
            "itemId": "3a2b3c4d",
            "title": "相談内容",
            "questionItem": {
                "question": {
                    "questionId": "2a1b2c3d",
                    "choiceQuestion": {
                        "type": "CHECKBOX",
                        "options": [{"value": "住まい"}, {"value": "医療"}],
                    },
                }
            },
        },
    ],
}


def response(n: int, submitted: str) -> dict[str, Any]:
    return {
        "createTime": submitted[:23] + "Z",
        "lastSubmittedTime": submitted,
        "answers": {
            "0a1b2c3d": f"BN-{n:04d}",
            "1a1b2c3d": "2022-07-01",
            "2a1b2c3d": ["住まい", "医療"],
        },
    }


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator([OAuthApi(), FormsApi(), GmailApi(), ControlApi()])
    with emu:
        yield emu


@pytest.fixture
def forms(emulator: Emulator) -> Any:
    creds = emulator.credentials(FORMS_SCOPES)
    return build(
        "forms",
        "v1",
        credentials=creds,
        static_discovery=True,
        client_options={"api_endpoint": emulator.base_url},
    )


@pytest.fixture
def gmail(emulator: Emulator) -> Any:
    creds = emulator.credentials(GMAIL_SCOPES, subject="jimukyoku@example.org")
    return build(
        "gmail",
        "v1",
        credentials=creds,
        static_discovery=True,
        client_options={"api_endpoint": emulator.base_url},
    )


def token_for(emulator: Emulator, scopes: list[str], subject: str | None = None) -> str:
    creds = emulator.credentials(scopes, subject=subject)
    creds.refresh(AuthRequest())
    return str(creds.token)


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    emulator: Emulator,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> Reply:
    """One plain HTTP request (no client library, no retries)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(emulator.base_url + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return Reply(r.status, dict(r.headers), r.read())
    except urllib.error.HTTPError as e:
        return Reply(e.code, dict(e.headers), e.read())


# --- discovery schema checker (shared: tests/schema_check.py) ----------------------------


@pytest.fixture
def check_schema() -> Callable[[str, str, Any], None]:
    """check_schema("forms.v1", "FormResponse", reply) fails the test on any mismatch."""
    return schema_check.check_schema
