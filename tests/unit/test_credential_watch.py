"""Which errors mean the credentials stopped working, and when a testing app's refresh
token deserves a warning — plain data, no Google."""

from __future__ import annotations

from datetime import datetime, timedelta

import google.auth.exceptions
import httplib2
from googleapiclient.errors import HttpError

from bansou_sync.adapters.retry import credential_trouble
from bansou_sync.app.credential_watch import expiry_warning, trouble_text
from bansou_sync.core.calendar import JST
from bansou_sync.errors import SheetError, SourceUnavailable


def http_error(status: int, reason: str = "") -> HttpError:
    content = b'{"error": {"code": %d, "errors": [{"reason": "%s"}]}}' % (status, reason.encode())
    return HttpError(httplib2.Response({"status": status}), content)


def wrapped(cause: BaseException) -> SourceUnavailable:
    try:
        raise SourceUnavailable("cannot read the form") from cause
    except SourceUnavailable as exc:
        return exc


def test_an_invalid_grant_refusal_behind_an_adapter_error_is_a_credential_problem() -> None:
    refused = google.auth.exceptions.RefreshError("invalid_grant: Invalid JWT Signature.")
    assert credential_trouble(wrapped(refused)) == "invalid_grant"


def test_a_401_and_a_plain_403_are_credential_problems_but_a_rate_limit_403_is_not() -> None:
    assert credential_trouble(wrapped(http_error(401))) == "unauthorized"
    assert credential_trouble(wrapped(http_error(403, "forbidden"))) == "forbidden"
    assert credential_trouble(wrapped(http_error(403, "rateLimitExceeded"))) is None
    assert credential_trouble(wrapped(http_error(500))) is None
    assert credential_trouble(SheetError("the tab file is locked")) is None


def test_a_403_alerts_only_when_the_resource_worked_before() -> None:
    exc = wrapped(http_error(403, "forbidden"))
    assert trouble_text(exc, False, credential_trouble) is None
    assert "403" in (trouble_text(exc, True, credential_trouble) or "")


def test_without_a_classifier_no_error_reads_as_a_credential_problem() -> None:
    assert trouble_text(wrapped(http_error(401)), True, None) is None


def test_a_refresh_token_warns_from_its_sixth_day_and_names_the_day_it_dies() -> None:
    issued = datetime(2026, 11, 1, 9, 0, tzinfo=JST)
    assert expiry_warning(issued, issued + timedelta(days=5, hours=23)) is None
    warning = expiry_warning(issued, issued + timedelta(days=6))
    assert warning is not None and "2026-11-08 09:00" in warning
