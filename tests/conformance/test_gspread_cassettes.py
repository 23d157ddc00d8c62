"""gspread's own recorded traffic with the real Sheets API, replayed against the emulator.

One test per cassette of ``<recordings>/gspread/``: every Sheets request is sent to a
fresh emulator in the recorded order, and its reply must match Google's (status, key
sets, value types and values with IDs mapped, error status and message) — see
``replay.py``. A cassette the emulator cannot pass for a justified reason is a strict
xfail with the reason, listed in ``docs/emulator.md`` (Conformance / 適合性).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bansou_sync.emulator.server import Emulator

from .conftest import recorded_params
from .replay import SHEETS_SCOPES, Replay, load_cassette

GAPS: dict[str, str] = {}


@pytest.mark.parametrize("cassette", recorded_params("gspread", GAPS))
def test_the_emulator_answers_the_recorded_gspread_session_as_google_did(
    recordings: Path, cassette: Path | None, emulator: Emulator
) -> None:
    if cassette is None:
        pytest.fail(f"no cassettes in {recordings / 'gspread'}", pytrace=False)
    token = emulator.credentials(SHEETS_SCOPES)
    from google.auth.transport.requests import Request

    token.refresh(Request())
    compared = Replay(emulator, str(token.token)).run(load_cassette(cassette))
    assert compared > 0
