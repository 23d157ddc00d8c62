"""The small HTTP vocabulary every emulated API shares.

An ``Api`` is a name, a quota group per request, and a list of ``Route``s; a route is
an HTTP method, a regular expression over the *decoded* path, the Google method name
(``sheets.spreadsheets.values.batchGet`` — used for counters and the request log) and a
handler ``(Request, re.Match) -> Response``. Handlers raise ``ApiError`` for Google's
error replies; the server turns it into ``{"error": {code, message, status, ...}}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}


@dataclass
class Request:
    method: str
    path: str  # percent-decoded path, no query string
    raw_path: str  # the path exactly as sent (still percent-encoded)
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    # Filled in by the server once the bearer token is checked: the Google account the
    # call acts as (the delegated subject, else the service account / OAuth user email).
    user: str = ""

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, f"Invalid JSON payload received. {exc}") from exc

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        return list(self.query.get(name, []))


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


PRETTY_LIMIT = 64 * 1024


def json_bytes(body: Any) -> bytes:
    """A reply body as Google sends it, indented by two — except a large one, sent
    compact: ``json`` indents in pure Python, 6× slower than its C encoder, and a 60,000-row
    read took half a second to print (issue 5). Clients parse either the same."""
    text = json.dumps(body, ensure_ascii=False)
    if len(text) < PRETTY_LIMIT:
        text = json.dumps(body, ensure_ascii=False, indent=2)
    return text.encode("utf-8") + b"\n"


class EncodedBody(dict[str, Any]):
    """A reply body (the dict, for in-process callers) that carries its bytes, exactly
    what ``json_bytes`` gives for it, made from parts encoded once (a stored form
    response never changes: ``forms.responses.list`` joins their JSON instead of
    encoding 5,000 responses a page again). The server sends ``data``."""

    data: bytes

    def __init__(self, body: dict[str, Any], data: bytes) -> None:
        super().__init__(body)
        self.data = data


class ApiError(Exception):
    """A Google-shaped error reply."""

    def __init__(
        self,
        code: int,
        message: str,
        status: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        reason: str | None = None,
        domain: str = "global",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")
        self.details = details
        self.reason = reason
        self.domain = domain
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.reason:  # the older shape some Google APIs still send alongside
            error["errors"] = [
                {"message": self.message, "domain": self.domain, "reason": self.reason}
            ]
        error["status"] = self.status
        if self.details:
            error["details"] = self.details
        return {"error": error}


Handler = Callable[[Request, "re.Match[str]"], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str  # Google's method id, e.g. "forms.forms.responses.list"
    handler: Handler
    needs_auth: bool = True


def route(method: str, pattern: str, name: str, handler: Handler, needs_auth: bool = True) -> Route:
    return Route(method, re.compile(pattern), name, handler, needs_auth)


class Api(Protocol):
    """One emulated API: its routes and which quota bucket a request spends."""

    name: str  # "oauth" | "forms" | "sheets" | "gmail" | "control"

    def routes(self) -> list[Route]: ...

    def quota_group(self, route: Route, request: Request) -> str | None:
        """e.g. "sheets:read", "sheets:write", "forms:read", "gmail:send"; None: free."""
        ...
