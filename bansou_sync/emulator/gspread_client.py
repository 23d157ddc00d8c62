"""Point gspread at another Sheets endpoint (the local emulator) through its public
``http_client=`` parameter: a ``HTTPClient`` that rewrites Google's base URLs.

gspread builds absolute ``https://sheets.googleapis.com/v4/...`` URLs; this subclass
swaps the scheme and host for ``base_url`` just before the request is sent, so every
other part of gspread (URL encoding of ranges, params, error mapping) is the real one.

The emulator stands on its own (it imports nothing of the product): the product's
``bansou_sync.adapters.gspread_http.RebasedHTTPClient`` does the same rewrite for
``google.api_base``, and the tests that run the product against the emulator use that.
"""

from __future__ import annotations

from typing import Any

import gspread
from gspread.http_client import HTTPClient

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class EmulatorHTTPClient(HTTPClient):
    """A gspread HTTP client whose requests go to ``base_url`` instead of Google.

    gspread instantiates ``http_client(auth, session)`` itself, so the URL is a class
    attribute: ``for_base_url`` makes the subclass.
    """

    base_url: str = ""

    @classmethod
    def for_base_url(cls, base_url: str) -> type[EmulatorHTTPClient]:
        return type(cls.__name__, (cls,), {"base_url": base_url.rstrip("/")})

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        for host in GOOGLE_HOSTS:
            if self.base_url and endpoint.startswith(host):
                endpoint = self.base_url + endpoint[len(host) :]
                break
        return super().request(method, endpoint, *args, **kwargs)


def emulator_gspread_client(
    base_url: str, credentials: Any, timeout: float | None = 30.0
) -> gspread.Client:
    """A ``gspread.Client`` talking to the emulator at ``base_url``."""

    client = gspread.Client(auth=credentials, http_client=EmulatorHTTPClient.for_base_url(base_url))
    if timeout is not None:
        client.set_timeout(timeout)
    return client
