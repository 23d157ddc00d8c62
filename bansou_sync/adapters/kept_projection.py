"""Bytes a cold process leaves for the next under a name, in one file beside the ledger
(``app.projection_memo``: the projector's memo, named by the state it projected).

The file is the name, a digest and the bytes; ``load`` gives the bytes only for the
same name and an intact digest. It is a cache: any trouble reading or writing it is
no memo, never an error. It holds what the ledger holds: mode 0600 (``atomic``), and
the ledger's ``vacuum`` (after a purge) deletes it.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from bansou_sync.adapters.atomic import write_atomically

MAGIC = b"bansou-sync kept projection 1\n"
_DIGEST = 32


def path_for(ledger_path: Path) -> Path:
    return ledger_path.with_name(ledger_path.name + ".projection")


class KeptProjection:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, name: str) -> bytes | None:
        head = MAGIC + _name(name)
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

    def save(self, name: str, data: bytes) -> None:
        digest = hashlib.blake2b(data, digest_size=_DIGEST).digest()
        with contextlib.suppress(OSError):
            write_atomically(self.path, MAGIC + _name(name) + digest + data)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def _name(name: str) -> bytes:
    encoded = name.encode()
    return len(encoded).to_bytes(4, "big") + encoded
