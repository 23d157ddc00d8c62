"""The embedded mailer: every message becomes one ``.eml`` file in a folder.

File names are ``<YYYYMMDD-HHMMSS>-<seq>-<kind>-<id>.eml``: the Date header in JST,
a sequence number (messages sent within one second still sort in send order), the
X-Bansou-Kind, and 12 hex of the SHA-256 of the Message-ID. The last part makes a
second send of the same Message-ID a no-op, so a retried cycle never duplicates a file.
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

from bansou_sync.errors import PermanentMailError, TemporaryMailError
from bansou_sync.ports import Mailer

JST = ZoneInfo("Asia/Tokyo")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,40}")


class OutboxDir(Mailer):
    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: EmailMessage) -> None:
        message_id = str(message.get("Message-ID", "")).strip()
        if not message_id:
            raise PermanentMailError("the message has no Message-ID")
        short = _short(message_id)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            if any(self.path.glob(f"*-{short}.eml")):
                return  # already delivered: sending is idempotent per Message-ID
            seq = sum(1 for _ in self.path.glob("*.eml")) + 1
            name = f"{_stamp(message)}-{seq:06d}-{_kind(message)}-{short}.eml"
            _write_atomically(self.path / name, message.as_bytes(policy=policy.SMTP))
        except OSError as exc:
            raise TemporaryMailError(f"cannot write to the outbox folder: {exc}") from exc

    def delivered(self, message_id: str) -> bool | None:
        """The folder is its own record: a file for the Message-ID means it was delivered."""
        return any(self.path.glob(f"*-{_short(message_id)}.eml"))


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


def _write_atomically(target: Path, data: bytes) -> None:
    # The temporary name does not end in .eml, so a crash leaves nothing that counts.
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    with contextlib.suppress(OSError):  # make the rename durable where the OS allows it
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
