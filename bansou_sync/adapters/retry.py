"""One bounded retry policy for every Google call (issue 3 §2).

Retries 429, 5xx, 403 ``rateLimitExceeded`` / ``userRateLimitExceeded`` and connection
errors with exponential backoff and full jitter, honouring ``Retry-After`` when Google
sends it (it usually does not), within a cap on attempts *and* on total time; every
other 4xx fails at once. gspread's ``BackOffHTTPClient`` is not used: it never stops.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import tenacity

# The client libraries are imported where a Google call or its error is at hand, not
# with this module: a process on the embedded default never loads them (issue 14).

T = TypeVar("T")
RETRYABLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}
_LIBRARIES = ("google.auth", "googleapiclient", "gspread")  # whose errors are classified


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    total_seconds: float = 120.0
    base_seconds: float = 1.0
    max_wait_seconds: float = 32.0
    timeout_seconds: float = 30.0  # every HTTP call gets this explicit timeout


def status_and_reason(exc: BaseException) -> tuple[int | None, str, dict[str, str]]:
    """(HTTP status, Google's error reason, response headers) of a client-library error."""
    from googleapiclient.errors import HttpError
    from gspread.exceptions import APIError

    if isinstance(exc, HttpError):
        headers = {k.lower(): str(v) for k, v in dict(exc.resp).items()}
        return int(exc.resp.status), _reason(exc.content), headers
    if isinstance(exc, APIError):
        response = exc.response
        headers = {k.lower(): v for k, v in response.headers.items()}
        return int(response.status_code), _reason(response.content), headers
    return None, "", {}


def _reason(content: bytes | str | None) -> str:
    try:
        error = json.loads(content or b"{}").get("error", {})
    except (ValueError, AttributeError):
        return ""
    if not isinstance(error, dict):
        return ""
    for item in error.get("errors") or []:
        if isinstance(item, dict) and item.get("reason"):
            return str(item["reason"])
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("reason"):
            return str(detail["reason"])
    return str(error.get("status", ""))


def is_transient(exc: BaseException) -> bool:
    import httplib2
    import requests

    status, reason, _ = status_and_reason(exc)
    if status is not None:
        return status == 429 or status >= 500 or (status == 403 and reason in RETRYABLE_REASONS)
    return isinstance(
        exc,
        (
            ConnectionError,
            TimeoutError,
            socket.timeout,
            ssl.SSLError,
            httplib2.HttpLib2Error,
            requests.ConnectionError,
            requests.Timeout,
        ),
    )


def _wait(policy: RetryPolicy) -> Callable[[tenacity.RetryCallState], float]:
    import tenacity

    jitter = tenacity.wait_random_exponential(
        multiplier=policy.base_seconds, max=policy.max_wait_seconds
    )

    def wait(state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if exc is not None:
            retry_after = status_and_reason(exc)[2].get("retry-after", "")
            if retry_after.isdigit():
                return min(float(retry_after), policy.max_wait_seconds)
        return float(jitter(state))

    return wait


def call(
    fn: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    *,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Run ``fn`` under the policy; the last error is re-raised as it was."""
    import tenacity

    kwargs: dict[str, Any] = {}
    if sleep is not None:
        kwargs["sleep"] = sleep
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_transient),
        stop=tenacity.stop_after_attempt(policy.attempts)
        | tenacity.stop_after_delay(policy.total_seconds),
        wait=_wait(policy),
        reraise=True,
        **kwargs,
    )
    return retrying(fn)


def credential_trouble(exc: BaseException) -> str | None:
    """Why Google stopped accepting the credentials, if that is what ``exc`` (or an error
    it was raised from) says: ``invalid_grant`` (a refresh or key grant refused: a
    revoked token, a deleted key, an expired testing-app token), ``unauthorized`` (a 401
    that google-auth's one refresh-and-retry did not cure) or ``forbidden`` (a 403 that
    is not a rate limit). None for anything else."""
    if not any(name in sys.modules for name in _LIBRARIES):
        return None  # no client library loaded (the embedded default): no error of theirs
    import google.auth.exceptions

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        refused = isinstance(current, google.auth.exceptions.RefreshError)
        if refused and "invalid_grant" in str(current):
            return "invalid_grant"
        status, reason, _ = status_and_reason(current)
        if status == 401:
            return "unauthorized"
        if status == 403 and reason not in RETRYABLE_REASONS:
            return "forbidden"
        current = current.__cause__ or current.__context__
    return None
