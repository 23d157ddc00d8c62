"""Google's OAuth 2.0 token endpoint, as far as service accounts and refresh tokens go.

``POST /token`` takes the JWT-bearer grant google-auth's service-account credentials
send (an RS256 assertion signed with the key the emulator issued, ``aud`` always
``https://oauth2.googleapis.com/token`` whatever ``token_uri`` says, ``sub`` for
domain-wide delegation) and the refresh-token grant of OAuth user credentials. Replies
and error texts are Google's. API calls then carry ``Authorization: Bearer <token>``;
``authenticate`` says whom a token belongs to. A self-signed JWT (google-auth's
``always_use_jwt_access``) signed by an issued key is accepted as a bearer token too.

Domain-wide delegation: ``allow_delegation(client, scopes)`` is what a Workspace admin
types in the admin console for that client. A delegated grant (``sub`` set) asking for
any scope outside it is refused with ``unauthorized_client`` (HTTP 401), as Google
refuses it — the whole request, even when the other scopes are allowed. A client with
no allow-list set may be delegated anything (the emulator's historical behaviour).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .faults import Clock
from .http import ApiError, Request, Response, Route, route
from .keys import DEFAULT_CLIENT_EMAIL, ServiceAccountKey, generate_service_account

GOOGLE_TOKEN_AUDIENCES = (
    "https://oauth2.googleapis.com/token",
    "https://www.googleapis.com/oauth2/v4/token",  # still accepted by Google
)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3599
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 300


@dataclass(frozen=True)
class Token:
    access_token: str
    client: str  # service account email or OAuth client id
    user: str  # who the calls act as: the delegated subject, else the account's email
    subject: str | None
    scopes: frozenset[str] | None  # None: a self-signed JWT, limited by audience only
    expires_at: float


@dataclass
class UserClient:
    client_id: str
    client_secret: str
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> email
    scopes: tuple[str, ...] = ()


class TokenError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> Response:
        return Response(self.status, {"error": self.error, "error_description": self.description})


class OAuthApi:
    name = "oauth"

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._keys: dict[str, ServiceAccountKey] = {}
        self._tokens: dict[str, Token] = {}
        self._clients: dict[str, UserClient] = {}
        self._fail_next_refresh: list[TokenError] = []
        self._fail_next_grant: list[TokenError] = []
        self._delegation: dict[str, frozenset[str]] = {}  # client email -> allowed scopes
        self._rejecting = False
        self.issued: list[Token] = []  # every token handed out, oldest first
        self._lock = threading.RLock()
        self.service_account = self.add_service_account(DEFAULT_CLIENT_EMAIL)

    def attach(self, emulator: Any) -> None:
        self.clock = emulator.clock

    # --- Python control ----------------------------------------------------------------

    def add_service_account(self, client_email: str) -> ServiceAccountKey:
        key = generate_service_account(client_email)
        with self._lock:
            self._keys[key.private_key_id] = key
        return key

    def register_user_client(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        email: str,
        scopes: tuple[str, ...] = (),
    ) -> None:
        with self._lock:
            client = self._clients.setdefault(client_id, UserClient(client_id, client_secret))
            client.client_secret = client_secret
            client.refresh_tokens[refresh_token] = email
            client.scopes = tuple(scopes)

    def fail_next_refresh(
        self, error: str = "invalid_grant", description: str = "Token has been expired or revoked."
    ) -> None:
        """The next refresh-token grant fails (e.g. the user revoked the app)."""
        with self._lock:
            self._fail_next_refresh.append(TokenError(error, description))

    def allow_delegation(self, client_email: str, scopes: Iterable[str] | None) -> None:
        """The scopes the admin allowed ``client_email`` for domain-wide delegation;
        None: any scope (no allow-list)."""
        with self._lock:
            if scopes is None:
                self._delegation.pop(client_email, None)
            else:
                self._delegation[client_email] = frozenset(scopes)

    def fail_next_grant(self, error: str, description: str, status: int = 400) -> None:
        """The next service-account (JWT) grant is refused with this error and status,
        e.g. ``access_denied`` with 403."""
        with self._lock:
            self._fail_next_grant.append(TokenError(error, description, status))

    def expire_tokens(self) -> None:
        """Every access token issued so far is now expired (the next call gets a 401)."""
        with self._lock:
            now = self.clock.now()
            self._tokens = {
                k: Token(t.access_token, t.client, t.user, t.subject, t.scopes, now - 1)
                for k, t in self._tokens.items()
            }

    def delete_key(self, private_key_id: str) -> None:
        """The key is deleted in the Cloud console: its grants fail with invalid_grant."""
        with self._lock:
            self._keys.pop(private_key_id, None)

    def reject_tokens(self, reject: bool = True) -> None:
        """Tokens are still issued, but every API call answers 401 (access withdrawn
        behind the token: what a 401 after a fresh token looks like to a client)."""
        with self._lock:
            self._rejecting = reject

    def reset(self) -> None:
        with self._lock:
            self._fail_next_refresh.clear()
            self._fail_next_grant.clear()
            self._rejecting = False

    def authenticate(self, authorization: str | None) -> Token | None:
        """The live token behind an ``Authorization`` header, or None."""
        if not authorization:
            return None
        match = re.fullmatch(r"\s*Bearer\s+(\S+)\s*", authorization, re.IGNORECASE)
        if not match:
            return None
        raw = match.group(1)
        with self._lock:
            if self._rejecting:
                return None
            token = self._tokens.get(raw)
        if token is None and raw.count(".") == 2:
            token = self._self_signed(raw)
        if token is None or token.expires_at <= self.clock.now():
            return None
        return token

    # --- HTTP --------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [route("POST", r"/token", "oauth2.token", self._token, needs_auth=False)]

    def quota_group(self, route: Route, request: Request) -> str | None:
        return None

    def _token(self, request: Request, match: re.Match[str]) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type", "")
        try:
            if grant == JWT_BEARER:
                token = self._jwt_grant(form.get("assertion", ""))
            elif grant == "refresh_token":
                token = self._refresh_grant(form)
            else:
                raise TokenError("unsupported_grant_type", f"Invalid grant_type: {grant}")
        except TokenError as exc:
            return exc.response()
        body: dict[str, Any] = {
            "access_token": token.access_token,
            "expires_in": TOKEN_LIFETIME,
            "token_type": "Bearer",
        }
        if grant == "refresh_token" and token.scopes:
            body["scope"] = " ".join(sorted(token.scopes))
        return Response(200, body)

    def _issue(self, client: str, user: str, subject: str | None, scopes: frozenset[str]) -> Token:
        token = Token(
            "ya29.emu-" + secrets.token_urlsafe(32),
            client,
            user,
            subject,
            scopes,
            self.clock.now() + TOKEN_LIFETIME,
        )
        with self._lock:
            self._tokens[token.access_token] = token
            self.issued.append(token)
        return token

    def _jwt_grant(self, assertion: str) -> Token:
        claims = self._verify(assertion)
        if claims.get("aud") not in GOOGLE_TOKEN_AUDIENCES:
            raise TokenError(
                "invalid_grant",
                "Invalid JWT: Failed audience check. The expected value was "
                f"{GOOGLE_TOKEN_AUDIENCES[0]}.",
            )
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise TokenError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        email = str(claims["iss"])
        subject = claims.get("sub")
        subject = str(subject) if subject and subject != email else None
        with self._lock:
            if self._fail_next_grant:
                raise self._fail_next_grant.pop(0)
            allowed = self._delegation.get(email)
        if subject is not None and allowed is not None and not scopes <= allowed:
            raise TokenError("unauthorized_client", _UNAUTHORIZED_CLIENT, 401)
        return self._issue(email, subject or email, subject, scopes)

    def _verify(self, jwt: str) -> dict[str, Any]:
        try:
            head_b64, body_b64, sig_b64 = jwt.split(".")
            header = json.loads(_b64decode(head_b64))
            claims = json.loads(_b64decode(body_b64))
            signature = _b64decode(sig_b64)
        except (ValueError, binascii.Error) as exc:
            raise TokenError("invalid_grant", "Invalid JWT Signature.") from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise TokenError("invalid_grant", "Invalid JWT Signature.")
        with self._lock:
            key = self._keys.get(str(header.get("kid", "")))
        if key is None or claims.get("iss") != key.client_email:
            raise TokenError("invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256":
            raise TokenError("invalid_grant", "Invalid JWT Signature.")
        try:
            key.public_key.verify(
                signature,
                f"{head_b64}.{body_b64}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature as exc:
            raise TokenError("invalid_grant", "Invalid JWT Signature.") from exc
        now = time.time()  # clients sign with the real time, whatever the virtual clock says
        try:
            iat, exp = float(claims["iat"]), float(claims["exp"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TokenError("invalid_grant", _TIMEFRAME) from exc
        if exp <= now or iat > now + CLOCK_SKEW or exp - iat > MAX_ASSERTION_LIFETIME:
            raise TokenError("invalid_grant", _TIMEFRAME)
        return claims

    def _self_signed(self, jwt: str) -> Token | None:
        try:
            claims = self._verify(jwt)
        except TokenError:
            return None
        aud = str(claims.get("aud", ""))
        if aud in GOOGLE_TOKEN_AUDIENCES:
            return None  # a grant assertion is not an access token
        scope = str(claims.get("scope", ""))
        email = str(claims["iss"])
        scopes = frozenset(scope.split()) if scope else None
        expires = self.clock.now() + float(claims["exp"]) - time.time()
        return Token(jwt, email, email, None, scopes, expires)

    def _refresh_grant(self, form: dict[str, str]) -> Token:
        with self._lock:
            client = self._clients.get(form.get("client_id", ""))
            if client is None or client.client_secret != form.get("client_secret"):
                raise TokenError("invalid_client", "The OAuth client was not found.", 401)
            email = client.refresh_tokens.get(form.get("refresh_token", ""))
            if email is None:
                raise TokenError("invalid_grant", "Bad Request")
            if self._fail_next_refresh:
                raise self._fail_next_refresh.pop(0)
            scopes = form.get("scope", "").split() or list(client.scopes)
        return self._issue(client.client_id, email, None, frozenset(scopes))


_UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)
_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim."
)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# --- the 401s and 403s Google answers to API calls --------------------------------------

_SEE = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def unauthenticated(service: str, *, missing: bool) -> ApiError:
    first = (
        "Request is missing required authentication credential."
        if missing
        else "Request had invalid authentication credentials."
    )
    return ApiError(
        401,
        f"{first} {_SEE}",
        "UNAUTHENTICATED",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "CREDENTIALS_MISSING" if missing else "ACCESS_TOKEN_EXPIRED",
                "domain": "googleapis.com",
                "metadata": {"service": service},
            }
        ],
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def insufficient_scopes(service: str) -> ApiError:
    return ApiError(
        403,
        "Request had insufficient authentication scopes.",
        "PERMISSION_DENIED",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": {"service": service},
            }
        ],
    )
