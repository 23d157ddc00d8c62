"""The embedded mailer: every message becomes one ``.eml`` file in a folder.

File names are ``<YYYYMMDD-HHMMSS>-<seq>-<kind>-<id>.eml``: the Date header in JST,
a sequence number (messages sent within one second still sort in send order), the
X-Bansou-Kind, and 12 hex of the SHA-256 of the Message-ID. The last part makes a
second send of the same Message-ID a no-op, so a retried cycle never duplicates a file.

The folder is listed once per ``OutboxDir`` (on its first use) and the listing kept in
memory, so a send costs O(1) however many files the folder holds (issue 5): the
service is the only writer of its outbox (one process per ledger, ``app.lock``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bansou_sync.adapters.atomic import sweep_stale, write_atomically
from bansou_sync.errors import PermanentMailError, TemporaryMailError
from bansou_sync.ports import Mailer

JST = ZoneInfo("Asia/Tokyo")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,40}")


class OutboxDir(Mailer):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._shorts: set[str] | None = None  # the Message-ID hashes of the .eml files
        self._count = 0  # .eml files in the folder: the next file's sequence number - 1

    def send(self, message: EmailMessage) -> None:
        message_id = str(message.get("Message-ID", "")).strip()
        if not message_id:
            raise PermanentMailError("the message has no Message-ID")
        short = _short(message_id)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            shorts = self._listing()
            if short in shorts:
                return  # already delivered: sending is idempotent per Message-ID
            name = f"{_stamp(message)}-{self._count + 1:06d}-{_kind(message)}-{short}.eml"
            write_atomically(self.path / name, message.as_bytes(policy=policy.SMTP))
        except OSError as exc:
            raise TemporaryMailError(f"cannot write to the outbox folder: {exc}") from exc
        shorts.add(short)
        self._count += 1

    def delivered(self, message_id: str) -> bool | None:
        """The folder is its own record: a file for the Message-ID means it was delivered."""
        try:
            return _short(message_id) in self._listing()
        except OSError:
            return None

    def _listing(self) -> set[str]:
        if self._shorts is None:
            sweep_stale(self.path)  # what a process killed mid-write left, once per run
            try:
                names = [n for n in os.listdir(self.path) if n.endswith(".eml")]
            except FileNotFoundError:
                names = []  # nothing delivered yet: send creates the folder
            self._shorts = {n[: -len(".eml")].rsplit("-", 1)[-1] for n in names}
            self._count = len(names)
        return self._shorts


def _short(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest()[:12]


def _stamp(message: EmailMessage) -> str:
    when: datetime | None = None
    with contextlib.suppress(TypeError, ValueError):
        when = parsedate_to_datetime(str(message.get("Date", "")))
    if when is None or when.tzinfo is None:
        when = datetime.now(JST)
    return when.astimezone(JST).strftime("%Y%m%d-%H%M%S")


def _kind(message: EmailMessage) -> str:
    kind = str(message.get("X-Bansou-Kind", "")).strip()
    return kind if _KIND.fullmatch(kind) else "mail"
