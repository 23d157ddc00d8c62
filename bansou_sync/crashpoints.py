"""Deterministic crash points for tests and debugging.

``BANSOU_CRASH_AT=after_commit`` (or one of the other ``POINTS``) makes the process die
on the spot with ``os._exit`` — no cleanup, no flush, as a power cut or SIGKILL would —
so tests can prove that a restart loses and repeats nothing. ``mid_sheet_write`` is
inside the sheet adapters: after the first tab file of a local sheet, and after a
Google sheet's new rows were made (and tagged) but before their values were written.

``BANSOU_SLOW_AT=after_commit:3`` instead pauses there for 3 seconds (logging that it
does), so a test can act while a cycle is known to be half-way (e.g. send SIGTERM).
"""

from __future__ import annotations

import logging
import os
import time

CRASH_ENV = "BANSOU_CRASH_AT"
SLOW_ENV = "BANSOU_SLOW_AT"
CRASH_EXIT = 86
POINTS = ("after_read", "after_commit", "between_sends", "before_sheet", "mid_sheet_write")

log = logging.getLogger(__name__)


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(CRASH_EXIT)
    step, _, seconds = os.environ.get(SLOW_ENV, "").partition(":")
    if step == name:
        log.warning("slow point reached", extra={"step": name, "seconds": float(seconds or 1)})
        time.sleep(float(seconds or 1))
