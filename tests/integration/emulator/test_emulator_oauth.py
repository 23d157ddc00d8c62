"""OAuth: google-auth's own service-account and user credentials against /token."""

from __future__ import annotations

import time

import google.auth.jwt
import pytest
from google.auth import crypt
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from bansou_sync.emulator.keys import generate_service_account
from bansou_sync.emulator.server import Emulator

from .conftest import FORM, FORMS_SCOPES, Reply, call, token_for

MISSING = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def test_service_account_credentials_get_a_bearer_token_from_the_emulator(
    emulator: Emulator,
) -> None:
    creds = emulator.credentials(FORMS_SCOPES)
    creds.refresh(AuthRequest())
    assert creds.token.startswith("ya29.")
    issued = emulator.oauth.issued[-1]
    assert issued.user == "bansou-sync@emulator.iam.gserviceaccount.com"
    assert issued.scopes == frozenset(FORMS_SCOPES)
    assert issued.subject is None


def test_the_key_file_looks_like_googles_and_points_at_the_emulator(emulator: Emulator) -> None:
    info = emulator.service_account_info()
    assert info["type"] == "service_account"
    assert info["token_uri"] == emulator.base_url + "/token"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert len(info["private_key_id"]) == 40
    assert info["client_email"] == "bansou-sync@emulator.iam.gserviceaccount.com"


def test_domain_wide_delegation_records_the_subject_as_the_user(emulator: Emulator) -> None:
    token_for(emulator, FORMS_SCOPES, subject="jimukyoku@example.org")
    issued = emulator.oauth.issued[-1]
    assert issued.subject == "jimukyoku@example.org"
    assert issued.user == "jimukyoku@example.org"
    assert issued.client == "bansou-sync@emulator.iam.gserviceaccount.com"


def test_a_request_without_a_token_gets_googles_401(emulator: Emulator) -> None:
    emulator.forms.load_form(FORM)
    reply = call(emulator, "GET", f"/v1/forms/{FORM['formId']}")
    assert reply.status == 401
    error = reply.json()["error"]
    assert (error["code"], error["status"], error["message"]) == (401, "UNAUTHENTICATED", MISSING)
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"


def test_an_unknown_or_expired_access_token_gets_401_invalid_credentials(
    emulator: Emulator,
) -> None:
    emulator.forms.load_form(FORM)
    path = f"/v1/forms/{FORM['formId']}"
    assert call(emulator, "GET", path, token="ya29.made-up").status == 401
    token = token_for(emulator, FORMS_SCOPES)
    assert call(emulator, "GET", path, token=token).status == 200
    emulator.oauth.expire_tokens()
    reply = call(emulator, "GET", path, token=token)
    assert reply.status == 401
    assert reply.json()["error"]["message"].startswith(
        "Request had invalid authentication credentials."
    )


def test_a_token_without_the_methods_scope_gets_403_insufficient_scopes(
    emulator: Emulator,
) -> None:
    emulator.forms.load_form(FORM)
    token = token_for(emulator, ["https://www.googleapis.com/auth/gmail.send"])
    reply = call(emulator, "GET", f"/v1/forms/{FORM['formId']}", token=token)
    assert reply.status == 403
    assert reply.json()["error"]["message"] == "Request had insufficient authentication scopes."


def jwt_grant(emulator: Emulator, claims: dict[str, object]) -> Reply:
    info = emulator.service_account_info()
    signer = crypt.RSASigner.from_service_account_info(info)
    now = int(time.time())
    payload = {
        "iss": info["client_email"],
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now,
        "exp": now + 600,
        "scope": " ".join(FORMS_SCOPES),
        **claims,
    }
    assertion = google.auth.jwt.encode(signer, payload).decode()
    form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
    return call(
        emulator,
        "POST",
        "/token",
        raw=(form + assertion).encode(),
        content_type="application/x-www-form-urlencoded",
    )


def test_a_well_formed_assertion_gets_a_token_shaped_like_googles(emulator: Emulator) -> None:
    reply = jwt_grant(emulator, {})
    assert reply.status == 200
    body = reply.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert (body["expires_in"], body["token_type"]) == (3599, "Bearer")


def test_an_assertion_past_its_expiry_gets_invalid_grant(emulator: Emulator) -> None:
    now = int(time.time())
    reply = jwt_grant(emulator, {"iat": now - 7200, "exp": now - 3600})
    assert reply.status == 400
    assert reply.json()["error"] == "invalid_grant"
    assert "Check your iat and exp values" in reply.json()["error_description"]


def test_an_assertion_signed_with_another_key_gets_invalid_grant(emulator: Emulator) -> None:
    info = emulator.service_account_info()
    info["private_key"] = generate_service_account().private_key_pem  # same kid, wrong key
    creds = service_account.Credentials.from_service_account_info(info, scopes=FORMS_SCOPES)
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        creds.refresh(AuthRequest())


def test_an_assertion_for_another_audience_is_refused(emulator: Emulator) -> None:
    reply = jwt_grant(emulator, {"aud": emulator.token_uri})  # google-auth never sends this
    assert reply.status == 400
    assert reply.json()["error"] == "invalid_grant"


def test_an_assertion_without_scopes_gets_invalid_scope(emulator: Emulator) -> None:
    reply = jwt_grant(emulator, {"scope": ""})
    assert reply.status == 400
    assert reply.json()["error"] == "invalid_scope"


def test_oauth_user_credentials_refresh_until_the_refresh_token_is_revoked(
    emulator: Emulator,
) -> None:
    emulator.oauth.register_user_client(
        "client-1.apps.googleusercontent.com", "s3cret", "1//refresh", "jimukyoku@example.org"
    )
    creds = user_credentials.Credentials(
        token=None,
        refresh_token="1//refresh",
        client_id="client-1.apps.googleusercontent.com",
        client_secret="s3cret",
        token_uri=emulator.token_uri,
        scopes=["https://www.googleapis.com/auth/gmail.send"],
    )
    creds.refresh(AuthRequest())
    assert emulator.oauth.issued[-1].user == "jimukyoku@example.org"
    emulator.oauth.fail_next_refresh()
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(AuthRequest())


def test_self_signed_jwt_credentials_are_accepted_as_bearer_tokens(emulator: Emulator) -> None:
    emulator.forms.load_form(FORM)
    creds = service_account.Credentials.from_service_account_info(
        emulator.service_account_info(), scopes=FORMS_SCOPES, always_use_jwt_access=True
    )
    creds.refresh(AuthRequest())
    reply = call(emulator, "GET", f"/v1/forms/{FORM['formId']}", token=creds.token)
    assert reply.status == 200
    assert emulator.oauth.issued == []  # it never asked /token
