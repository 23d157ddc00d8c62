"""Call SheetsApi route handlers directly, as the server would, without a socket."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

from bansou_sync.emulator.http import ApiError, Request, Response
from bansou_sync.emulator.sheets import SheetsApi


def call(
    api: SheetsApi,
    method: str,
    path: str,
    query: dict[str, list[str]] | None = None,
    body: Any = None,
) -> Response:
    """``path`` as a client sends it (percent-encoded range segments)."""
    request = Request(
        method=method,
        path=unquote(path),
        raw_path=path,
        query=query or {},
        headers={},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    for route in api.routes():
        match = route.pattern.fullmatch(request.path) if route.method == method else None
        if match:
            try:
                return route.handler(request, match)
            except ApiError as exc:
                return Response(exc.code, exc.body())
    raise AssertionError(f"no route for {method} {path}")


def values_path(spreadsheet_id: str, a1: str, verb: str = "") -> str:
    return f"/v4/spreadsheets/{spreadsheet_id}/values/{quote(a1, safe='')}{verb}"
