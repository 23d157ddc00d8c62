"""Writing a file so that a reader — or a process restarted after a kill — sees the old
file or the new one, never half of either; and sweeping the temporary files a killed
process leaves behind.

The temporary file lives beside the target (``os.replace`` is atomic only within one
file system), is named ``.<target name>.<random>.tmp`` (never the target's suffix, so a
half-written ``.eml`` or ``.csv`` is never taken for a real one), is created readable by
its owner only, and is fsynced before the rename; the folder is fsynced after it where
the operating system allows, so the rename survives a power cut.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

STALE_AFTER = 3600.0  # seconds: a write takes milliseconds, so an hour-old one was killed


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (mode 0600 for a new file); OSError as it comes."""
    write_atomically_with(path, lambda handle: handle.write(data))


def write_atomically_with(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """As ``write_atomically``, the content written by ``fill`` into the temporary file
    (seekable): a large one is streamed, never held whole in memory. Whatever ``fill``
    raises leaves ``path`` as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where the OS allows it
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


DIGEST_SIZE = 32  # BLAKE2b digest of what ``write_digested`` streams


def digest(data: bytes) -> bytes:
    """The short BLAKE2b name of some bytes (a file's, a layout's) that the caches beside
    the ledger are keyed by: equal names, equal bytes, for any practical purpose."""
    return hashlib.blake2b(data, digest_size=16).digest()


def write_digested(path: Path, head: bytes, write: Callable[[BinaryIO], object]) -> None:
    """As ``write_atomically_with``: ``head``, then the BLAKE2b digest of what ``write``
    streams, then that content — digested as it goes and the digest's place filled after,
    so a large cache file (state snapshot, projection memo) is never held whole in memory."""

    def fill(handle: BinaryIO) -> None:
        handle.write(head + bytes(DIGEST_SIZE))
        out = _Hashing(handle)
        write(out)  # type: ignore[arg-type]  # a writable binary file, as pickle needs
        handle.seek(len(head))
        handle.write(out.hash.digest())

    write_atomically_with(path, fill)


class _Hashing:
    """A file written through, digested as it goes."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.hash = handle, hashlib.blake2b(digest_size=DIGEST_SIZE)

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return self.handle.write(data)


def sweep_stale(folder: Path, now: float | None = None) -> int:
    """Delete this module's temporary files in ``folder`` older than an hour (what a
    SIGKILL between create and rename leaves); how many went. Never raises."""
    limit = (time.time() if now is None else now) - STALE_AFTER
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                    os.unlink(entry.path)
                    removed += 1
    return removed
