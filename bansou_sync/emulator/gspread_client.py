"""Point gspread at another Sheets endpoint (the local emulator) through its public
``http_client=`` parameter: a ``HTTPClient`` that rewrites Google's base URLs.

gspread builds absolute ``https://sheets.googleapis.com/v4/...`` URLs; this subclass
swaps the scheme and host for ``base_url`` just before the request is sent, so every
other part of gspread (URL encoding of ranges, params, error mapping) is the real one.
The product's Sheets adapter reuses the same pattern.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import gspread
from gspread.http_client import HTTPClient

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class EmulatorHTTPClient(HTTPClient):
    """A gspread HTTP client whose requests go to ``base_url`` instead of Google.

    gspread instantiates ``http_client(auth, session)`` itself, so the URL is a class
    attribute: use ``for_base_url`` (or ``emulator_gspread_client``) to get a subclass.
    """

    base_url: str = ""

    @classmethod
    def for_base_url(cls, base_url: str) -> type[EmulatorHTTPClient]:
        return type(cls.__name__, (cls,), {"base_url": base_url.rstrip("/")})

    def request(
        self,
        method: str,
        endpoint: str,
        params: Any = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> Any:
        for host in GOOGLE_HOSTS:
            if endpoint.startswith(host):
                endpoint = self.base_url + endpoint[len(host) :]
                break
        return super().request(
            method, endpoint, params=params, data=data, json=json, files=files, headers=headers
        )


def emulator_gspread_client(
    base_url: str, credentials: Any, timeout: float | None = 30.0
) -> gspread.Client:
    """A ``gspread.Client`` talking to the emulator at ``base_url``."""

    client = gspread.Client(auth=credentials, http_client=EmulatorHTTPClient.for_base_url(base_url))
    if timeout is not None:
        client.set_timeout(timeout)
    return client
