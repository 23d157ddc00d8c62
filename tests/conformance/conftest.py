"""Where the recorded Google traffic is, and a fresh emulator per test.

``BANSOU_GOOGLE_RECORDINGS`` names the folder (``.ci/run`` sets it to
``../shared/google-recordings``). When it is set and the folder is missing, every test
here fails with that path; when it is unset, the folder beside the checkout is used, and
the tests are skipped only if that is missing too (a developer machine without it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bansou_sync.emulator.control import ControlApi
from bansou_sync.emulator.forms import FormsApi
from bansou_sync.emulator.gmail import GmailApi
from bansou_sync.emulator.oauth import OAuthApi
from bansou_sync.emulator.server import Emulator
from bansou_sync.emulator.sheets import SheetsApi

ENV = "BANSOU_GOOGLE_RECORDINGS"
DEFAULT = Path(__file__).resolve().parents[2].parent / "shared" / "google-recordings"


def recordings_folder() -> Path:
    """The configured folder (it may not exist: see ``recordings``)."""
    configured = os.environ.get(ENV)
    return Path(configured) if configured else DEFAULT


def recorded_files(sub: str) -> list[Path]:
    """The files of one sub-folder, for parametrising at collection time."""
    return sorted((recordings_folder() / sub).glob("*.json"))


def recorded_params(sub: str, gaps: dict[str, str]) -> list[object]:
    """One test parameter per recorded file; a documented gap is a strict xfail, and no
    folder gives one ``None`` parameter whose test fails saying so."""
    files = recorded_files(sub)
    if not files:
        return [pytest.param(None, id="no-recordings")]
    return [
        pytest.param(
            path,
            id=path.stem,
            marks=[pytest.mark.xfail(strict=True, reason=gaps[path.name])]
            if path.name in gaps
            else [],
        )
        for path in files
    ]


@pytest.fixture(scope="session")
def recordings() -> Path:
    folder = recordings_folder()
    if folder.is_dir():
        return folder
    if os.environ.get(ENV):
        pytest.fail(f"{ENV}={os.environ[ENV]!r} but there is no such folder", pytrace=False)
    pytest.skip(f"no Google recordings at {folder} (set {ENV} to run these tests)")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator([OAuthApi(), FormsApi(), GmailApi(), SheetsApi(seed=7), ControlApi()]) as emu:
        yield emu
