"""gspread pointed at another Sheets endpoint, with explicit timeouts.

gspread builds absolute ``https://sheets.googleapis.com/v4/...`` URLs. ``RebasedHTTPClient``
swaps scheme and host for ``base_url`` just before a request is sent (gspread's public
``http_client=`` parameter), so everything else — range encoding, params, error mapping —
is gspread's own. In production ``google.api_base`` is unset and Google's hosts are used.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import gspread
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession
from gspread.http_client import HTTPClient

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class RebasedHTTPClient(HTTPClient):
    """A gspread HTTP client whose requests go to ``base_url`` instead of Google.

    gspread instantiates ``http_client(auth, session)`` itself, so the URL is a class
    attribute: ``for_base_url`` makes the subclass.
    """

    base_url: str = ""

    @classmethod
    def for_base_url(cls, base_url: str) -> type[RebasedHTTPClient]:
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
        if self.base_url:
            for host in GOOGLE_HOSTS:
                if endpoint.startswith(host):
                    endpoint = self.base_url + endpoint[len(host) :]
                    break
        return super().request(
            method, endpoint, params=params, data=data, json=json, files=files, headers=headers
        )


def gspread_client(
    credentials: Credentials, base_url: str | None = None, timeout: float = 30.0
) -> gspread.Client:
    """A ``gspread.Client`` with a timeout on every call, token refreshes included
    (requests waits forever by default)."""
    session = AuthorizedSession(credentials, refresh_timeout=timeout)  # type: ignore[no-untyped-call]
    http_client = RebasedHTTPClient.for_base_url(base_url) if base_url else HTTPClient
    client = gspread.Client(auth=credentials, session=session, http_client=http_client)
    client.set_timeout(timeout)
    return client
