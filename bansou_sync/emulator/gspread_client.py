"""Point gspread at another Sheets endpoint (the local emulator) through its public
``http_client=`` parameter: a ``HTTPClient`` that rewrites Google's base URLs.

gspread builds absolute ``https://sheets.googleapis.com/v4/...`` URLs; this subclass
swaps the scheme and host for ``base_url`` just before the request is sent, so every
other part of gspread (URL encoding of ranges, params, error mapping) is the real one.
The client itself lives in the product (``bansou_sync.adapters.gspread_http``).
"""

from __future__ import annotations

from typing import Any

import gspread

from bansou_sync.adapters.gspread_http import RebasedHTTPClient


class EmulatorHTTPClient(RebasedHTTPClient):
    """``RebasedHTTPClient`` (the product's) under the name the emulator tests use."""


def emulator_gspread_client(
    base_url: str, credentials: Any, timeout: float | None = 30.0
) -> gspread.Client:
    """A ``gspread.Client`` talking to the emulator at ``base_url``."""

    client = gspread.Client(auth=credentials, http_client=EmulatorHTTPClient.for_base_url(base_url))
    if timeout is not None:
        client.set_timeout(timeout)
    return client
