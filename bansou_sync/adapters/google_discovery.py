"""google-api-python-client services for the set-up tools, with an explicit timeout.

httplib2 waits forever by default, so every service gets an ``httplib2.Http`` with a
timeout (token refreshes included: they go through the same ``Http``). The discovery
documents bundled with the library are used (``static_discovery``): no network fetch.
``google.api_base`` (the emulator in tests) replaces Google's host.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from bansou_sync.adapters.google_auth import GoogleAccess, token_error_text
from bansou_sync.adapters.retry import status_and_reason


def service(
    access: GoogleAccess, api: str, version: str, scopes: Sequence[str], timeout: float = 30.0
) -> Any:
    http = google_auth_httplib2.AuthorizedHttp(
        access.credentials(scopes), http=httplib2.Http(timeout=timeout)
    )
    return build(
        api,
        version,
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options=access.client_options(),
    )


def error_message(exc: BaseException) -> str:
    """Google's own message of an API error (``error.message``), else the exception text."""
    text = token_error_text(exc)
    if text is not None:
        return text
    if isinstance(exc, HttpError):
        try:
            error = json.loads(exc.content or b"{}").get("error", {})
        except (ValueError, AttributeError):
            error = {}
        if isinstance(error, dict) and error.get("message"):
            return f"{exc.resp.status} {error.get('status', '')} {error['message']}".strip()
    status, _, _ = status_and_reason(exc)
    text = str(exc) or type(exc).__name__
    return f"{status} {text}" if status else text


def http_status(exc: BaseException) -> int | None:
    return status_and_reason(exc)[0]
