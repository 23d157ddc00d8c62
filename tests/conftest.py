"""Shared test settings: hypothesis profiles (``HYPOTHESIS_PROFILE=ci`` in CI) and the
local Google emulator fixtures."""

from __future__ import annotations

import functools
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
# the folders whose tests take seconds each (subprocesses, emulators, replays) start
# first, so that no slow test is left for the end while the other workers sit idle
FIRST = ("integration", "e2e", "conformance", "contract", "unit")


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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Each test is its own unit of work, except the tests of a module with a shared
    set-up, which go to one worker together (pytest-xdist's ``loadgroup`` marks would
    say the same, but xdist 3.8 cannot rename pytest 9's node IDs to carry them)."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedSetupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if shares_setup(path) else nodeid

    config.option.loadscopereorder = False  # keep the order below
    return SharedSetupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker, the slow folders first (see ``FIRST``); a plain run keeps
    pytest's order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return

    def folder(item: pytest.Item) -> int:
        part = Path(item.nodeid.split("::", 1)[0]).parts
        name = part[1] if len(part) > 2 else ""
        return FIRST.index(name) if name in FIRST else len(FIRST)

    items.sort(key=folder)  # stable: each folder keeps its order
