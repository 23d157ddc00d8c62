"""Deterministic crash points for tests and debugging.

``BANSOU_CRASH_AT=after_commit`` (or ``after_read``, ``between_sends``, ``before_sheet``)
makes the process die on the spot with ``os._exit`` — no cleanup, no flush, as a power
cut or SIGKILL would — so tests can prove that a restart loses and repeats nothing.
"""

from __future__ import annotations

import os

CRASH_ENV = "BANSOU_CRASH_AT"
CRASH_EXIT = 86


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(CRASH_EXIT)
