"""Shared test settings: hypothesis profiles (``HYPOTHESIS_PROFILE=ci`` in CI) and the
local Google emulator fixtures."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulated import key_file, running_emulator
from hypothesis import HealthCheck, settings

from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.emulator.server import Emulator

# CI: reproducible (derandomized) and never flaky on a busy machine (no deadline)
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A plain emulator; modules that need the reference forms override this fixture."""
    with running_emulator() as emu:
        yield emu


@pytest.fixture
def access(emulator: Emulator, tmp_path: Path) -> GoogleAccess:
    """Service-account access to ``emulator`` (no domain-wide delegation)."""
    return GoogleAccess(key_file(emulator, tmp_path), None, emulator.base_url)


# --- pytest-xdist: how scripts/test spreads the tests over its workers -----------------

TESTS = Path(__file__).resolve().parent
SHARED_SETUP = re.compile(r"""@pytest\.fixture\(\s*scope=["'](?:module|class|package)["']""")
DURATIONS = TESTS / "durations.json"
"""Seconds each slow test took (set-up, call and tear-down), measured under scripts/test;
``BANSOU_STORE_DURATIONS=1 scripts/test …`` refreshes the tests that run."""
STORE_DURATIONS = "BANSOU_STORE_DURATIONS"
SLOW = 0.5  # seconds: a test below this is left out of the file (it costs about nothing)
UNLISTED = 0.05  # seconds assumed for a test the file does not list


@functools.cache
def shares_setup(path: str) -> bool:
    """Whether the test module at ``path`` (relative to the root) has a module- or
    class-scoped fixture: a set-up its tests share (a replayed programme, a loaded
    emulator), to be made once on one worker rather than once on every worker."""
    try:
        text = (TESTS.parent / path).read_text(encoding="utf-8")
    except OSError:
        return False
    return bool(SHARED_SETUP.search(text))


def known_durations() -> dict[str, float]:
    try:
        durations: dict[str, float] = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return durations


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Each test is its own unit of work, except the tests of a module with a shared
    set-up, which go to one worker together (pytest-xdist's ``loadgroup`` marks would
    say the same, but xdist 3.8 cannot rename pytest 9's node IDs to carry them).

    The longest units go first (``tests/durations.json``), and a worker takes its next
    unit only when it is on its last test: a long test handed out late, or queued behind
    another on a busy worker, would keep the run going while the other workers sit idle.
    """
    from xdist.scheduler import LoadScopeScheduling

    durations = known_durations()

    def cost(unit: dict[str, bool]) -> float:
        return sum(durations.get(nodeid, UNLISTED) for nodeid in unit)

    class LongestFirstScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if shares_setup(path) else nodeid

        longest_first = False

        def _assign_work_unit(self, node: Any) -> None:
            # the queue in collection order, once, then the longest units first (stable)
            if not self.longest_first:
                units = sorted(self.workqueue.items(), key=lambda unit: -cost(unit[1]))
                self.workqueue.clear()
                self.workqueue.update(units)
                self.longest_first = True
            super()._assign_work_unit(node)

        def _reschedule(self, node: Any) -> None:
            # a worker runs a test once it holds the next one (pytest's ``nextitem``):
            # one more unit when it is down to one pending test, not before
            busy = self._pending_of(self.assigned_work[node]) > 1
            if busy and not node.shutting_down and self.workqueue:
                return
            super()._reschedule(node)

    config.option.loadscopereorder = False  # the order above
    return LongestFirstScheduling(config, log)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """With ``BANSOU_STORE_DURATIONS=1``: add up each test's seconds (on the controller,
    which hears every worker's reports)."""
    if os.environ.get(STORE_DURATIONS) and not os.environ.get("PYTEST_XDIST_WORKER"):
        _measured[report.nodeid] = _measured.get(report.nodeid, 0.0) + report.duration


_measured: dict[str, float] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With ``BANSOU_STORE_DURATIONS=1``: the tests that ran update ``durations.json``."""
    if not os.environ.get(STORE_DURATIONS) or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    durations = known_durations()
    for nodeid, seconds in _measured.items():
        durations.pop(nodeid, None)
        if seconds >= SLOW:
            durations[nodeid] = round(seconds, 1)
    ordered = dict(sorted(durations.items(), key=lambda kv: (-kv[1], kv[0])))
    text = json.dumps(ordered, ensure_ascii=False, indent=0)
    DURATIONS.write_text(text + "\n", encoding="utf-8")
