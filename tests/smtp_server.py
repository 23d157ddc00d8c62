"""A real SMTP server (aiosmtpd) for the tests, on a port the kernel picks."""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller


class LocalSmtp(Controller):
    """aiosmtpd's threaded server on 127.0.0.1, port 0: the kernel picks a free port, so
    test workers running side by side (pytest-xdist) never race for one. ``port`` is the
    chosen port once :meth:`start` returns."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)
        # the server's own chatter ("connection lost", at INFO) comes from its thread at any
        # moment, e.g. while an in-process CLI run captures stderr: only its warnings count
        logging.getLogger("mail.log").setLevel(logging.WARNING)

    def _trigger_server(self) -> None:
        # aiosmtpd connects to self.port to finish starting: the one the kernel chose
        assert self.server is not None
        self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]
