"""Shared test settings: hypothesis profiles (``HYPOTHESIS_PROFILE=ci`` in CI) and the
local Google emulator fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
