"""Credentials for the Google backends, with the least privilege each needs.

A service-account key (optionally with domain-wide delegation: ``google.subject``) or
an OAuth user credentials file (``"type": "authorized_user"``). ``google.api_base``
points every client library at another host — the local emulator in tests — and the
token endpoint with it; in production it is unset and Google's own hosts are used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # google-auth is imported when credentials are made (issue 14)
    from google.auth.credentials import Credentials

from bansou_sync.errors import ConfigError

FORMS_READ = (
    "https://www.googleapis.com/auth/forms.body.readonly",
    "https://www.googleapis.com/auth/forms.responses.readonly",
)
FORMS_CLOSE = "https://www.googleapis.com/auth/forms.body"
SHEETS = "https://www.googleapis.com/auth/spreadsheets"
# the 操作 tab's files (issue 13 §4): only files this app creates, in folders shared with it
DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
GMAIL_CHECK = (
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.readonly",
)


def forms_scopes(can_close: bool) -> tuple[str, ...]:
    """What the Forms source asks for: read, and edit only to close the form (P8)."""
    return (*FORMS_READ, *((FORMS_CLOSE,) if can_close else ()))


def gmail_scopes(check_sent: bool) -> tuple[str, ...]:
    """What the Gmail mailer asks for: send, and with drafts / the exactly-once check
    (``mail.gmail_drafts``) compose and readonly too — all in ONE token request, so a
    domain-wide delegation missing any of them fails the whole request."""
    return (GMAIL_SEND, *(GMAIL_CHECK if check_sent else ()))


@dataclass(frozen=True)
class GoogleAccess:
    """Where and as whom to reach Google."""

    credentials_file: Path
    subject: str | None = None  # domain-wide delegation: the mailbox to act as
    api_base: str | None = None  # e.g. http://127.0.0.1:8765 for the emulator

    def credentials(self, scopes: Sequence[str]) -> Credentials:
        from google.oauth2 import credentials as user_credentials
        from google.oauth2 import service_account

        info = _read_key(self.credentials_file)
        token_uri = f"{self.api_base.rstrip('/')}/token" if self.api_base else None
        if info.get("type") == "authorized_user":
            creds: Credentials = user_credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
                info, scopes=list(scopes)
            )
            if token_uri:
                # from_authorized_user_info always puts Google's token endpoint back
                creds = creds.with_token_uri(token_uri)  # type: ignore[attr-defined]
            return creds
        if token_uri:
            info = {**info, "token_uri": token_uri}
        try:
            account = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=list(scopes)
            )
        except (ValueError, KeyError) as exc:
            raise ConfigError(
                f"google.credentials_file: サービスアカウントの鍵として読めません / "
                f"not a usable service-account key ({exc})"
            ) from exc
        chosen: Credentials = account.with_subject(self.subject) if self.subject else account
        return chosen

    def client_options(self) -> dict[str, str]:
        return {"api_endpoint": self.api_base} if self.api_base else {}


def unreadable_key_message(path: Path) -> str:
    """A key that exists but this user may not read: its owner or mode is wrong, the key
    itself is fine — never 'create a new key'."""
    return (
        f"google.credentials_file: {path} はありますが、このユーザーには読めません。"
        f"鍵を作り直す必要はありません: chown <サービスのユーザー> {path} と chmod 600 {path} "
        f"で読めるようにしてください / {path} exists but this user cannot read it; the key is "
        f"fine: make it readable with chown <service user> {path} and chmod 600 {path}"
    )


def token_error_text(exc: BaseException) -> str | None:
    """One readable line for a refused token request (``RefreshError``), whose ``str`` is
    a Python tuple of google-auth's text and the endpoint's whole reply; None otherwise."""
    from google.auth.exceptions import RefreshError

    if not isinstance(exc, RefreshError):
        return None
    args = exc.args
    reply = args[1] if len(args) > 1 else None
    text = ""
    if isinstance(reply, dict):
        error = reply.get("error")
        if isinstance(error, dict):  # a Google API style body (e.g. a 403 PERMISSION_DENIED)
            parts = (error.get("code"), error.get("status"), error.get("message"))
            text = " ".join(str(p) for p in parts if p)
        elif error:
            description = reply.get("error_description")
            text = f"{error}: {description}" if description else str(error)
    if not text:
        text = str(args[0]) if args else type(exc).__name__
    line = " ".join(text.split())[:300]
    return f"トークンを取得できません / the token request was refused: {line}"


def _read_key(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"google.credentials_file: ファイルがありません / file not found: {path}"
        ) from exc
    except PermissionError as exc:
        raise ConfigError(unreadable_key_message(path)) from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"google.credentials_file: JSON として読めません / cannot read {path}: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"google.credentials_file: not a JSON object: {path}")
    return data
