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
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from requests import Response

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
        endpoint = rebased(endpoint, self.base_url)
        return super().request(
            method, endpoint, params=params, data=data, json=json, files=files, headers=headers
        )


def rebased(endpoint: str, base_url: str) -> str:
    if base_url:
        for host in GOOGLE_HOSTS:
            if endpoint.startswith(host):
                return base_url + endpoint[len(host) :]
    return endpoint


def post_streamed(
    client: gspread.Client, endpoint: str, data: bytes, headers: dict[str, str]
) -> Response:
    """``client.http_client.request("post", ...)`` with the reply's body left to be read
    as it arrives (``stream=True``, which gspread's ``request`` does not pass on): the
    same session, endpoint, timeout and ``APIError`` for a reply that is not OK."""
    http = client.http_client
    endpoint = rebased(endpoint, getattr(http, "base_url", ""))
    response = http.session.request(
        "post", endpoint, data=data, headers=headers, timeout=http.timeout, stream=True
    )
    if not response.ok:
        raise APIError(response)
    return response


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
