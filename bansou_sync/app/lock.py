"""One process per ledger: an OS-level lock beside it that disappears with the process."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bansou_sync.errors import AlreadyRunning


@contextmanager
def ledger_lock(ledger_path: Path) -> Iterator[None]:
    path = ledger_path.with_name(ledger_path.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise AlreadyRunning(
                f"別の bansou-sync がこの台帳を使用中です ({ledger_path}) / "
                f"another bansou-sync process is using this ledger"
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock
