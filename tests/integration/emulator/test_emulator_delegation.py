"""Domain-wide delegation in the emulator (issue 11 §0): a per-client allow-list of
scopes, set by the admin, enforced on delegated grants as Google enforces it."""

from __future__ import annotations

import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest

from bansou_sync.emulator.server import Emulator

from .conftest import GMAIL_SCOPES, call

MAILBOX = "jimukyoku@example.org"
SEND = GMAIL_SCOPES[0]


def test_a_delegated_grant_beyond_the_allow_list_is_unauthorized_client_set_over_http(
    emulator: Emulator,
) -> None:
    allowed = call(emulator, "POST", "/_emulator/oauth/delegation", body={"scopes": [SEND]})
    assert allowed.status == 200
    send_only = emulator.credentials([SEND]).with_subject(MAILBOX)
    send_only.refresh(AuthRequest())
    assert emulator.oauth.issued[-1].subject == MAILBOX

    all_three = emulator.credentials(GMAIL_SCOPES).with_subject(MAILBOX)
    with pytest.raises(RefreshError) as refused:
        all_three.refresh(AuthRequest())
    assert refused.value.args[1]["error"] == "unauthorized_client"
    # the service account acting as itself is not delegation: no allow-list applies
    emulator.credentials(GMAIL_SCOPES).refresh(AuthRequest())

    call(emulator, "POST", "/_emulator/oauth/delegation", body={"scopes": None})
    all_three.refresh(AuthRequest())  # no allow-list: anything, as before


def test_the_next_grant_can_be_refused_with_a_403_over_http(emulator: Emulator) -> None:
    body = {"error": "access_denied", "error_description": "Not allowed.", "status": 403}
    assert call(emulator, "POST", "/_emulator/oauth/fail-next-grant", body=body).status == 200
    creds = emulator.credentials([SEND])
    with pytest.raises(RefreshError) as refused:
        creds.refresh(AuthRequest())
    assert refused.value.args[1] == {"error": "access_denied", "error_description": "Not allowed."}
    creds.refresh(AuthRequest())  # only the next one
