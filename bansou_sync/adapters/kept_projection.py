"""Bytes a cold process leaves for the next under a name, in one file beside the ledger
(``app.projection_memo``: the projector's memo, named by the state it projected;
``app.staff_memo``: the staff input, named by the staff tabs' rows as read).

The file is the name, a digest and the bytes; ``load`` gives the bytes only for the
same name and an intact digest. It is a cache: any trouble reading or writing it is
no memo, never an error. It holds what the ledger holds: mode 0600 (``atomic``), and
the ledger's ``vacuum`` (after a purge) deletes it.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from bansou_sync.adapters.atomic import DIGEST_SIZE, write_digested

MAGIC = b"bansou-sync kept projection 1\n"
_DIGEST = DIGEST_SIZE


PROJECTION, STAFF = ".projection", ".staff"  # the files beside the ledger


def path_for(ledger_path: Path, kind: str = PROJECTION) -> Path:
    return ledger_path.with_name(ledger_path.name + kind)


class KeptProjection:
    def __init__(self, path: Path, scope: str = "") -> None:
        self.path = path
        self.scope = scope  # part of every name (the version, when the name lacks it)

    def load(self, name: str) -> bytes | None:
        head = MAGIC + _name(self.scope + name)
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        if not data.startswith(head) or len(data) < len(head) + _DIGEST:
            return None
        digest, payload = data[len(head) : len(head) + _DIGEST], data[len(head) + _DIGEST :]
        if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
            return None
        return payload

    def save(self, name: str, write: Callable[[BinaryIO], object]) -> None:
        """Keep what ``write`` streams into the file under ``name``, digested as it goes
        (never held whole in memory: a backfill's peak)."""
        head = MAGIC + _name(self.scope + name)

        # a cache: whatever goes wrong, nothing is kept and the next process projects whole
        with contextlib.suppress(Exception):
            write_digested(self.path, head, write)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def for_staff(ledger_path: Path, version: str) -> KeptProjection:
    """Where the staff input of a read is kept (``app.staff_memo``), named with the version
    (the staff input is this version's reading of the rows)."""
    return KeptProjection(path_for(ledger_path, STAFF), f"{version}:")


def _name(name: str) -> bytes:
    encoded = name.encode()
    return len(encoded).to_bytes(4, "big") + encoded
