"""The secretariat's set-up commands through the real CLI, against the local emulator:
``init-sheet``, ``inspect-form`` and ``doctor``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from emulated import form_id, forms_api_source, key_file
from inprocess import run_cli

from bansou_sync.core.tabs import ALL_TABS
from bansou_sync.emulator.server import Emulator, start_emulator

ROOT = Path(__file__).resolve().parents[2]
BOOK = "status-book"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = start_emulator(ROOT / "reference")
    assert emu.sheets is not None
    emu.sheets.load_fixture({"spreadsheetId": BOOK, "title": "伴走支援 状況", "sheets": {}})
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def config(tmp_path: Path, emulator: Emulator) -> Path:
    key = key_file(emulator, tmp_path)
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "source": forms_api_source(),
                "sheet": {"kind": "google", "spreadsheet_id": BOOK},
                "mail": {
                    "kind": "outbox",
                    "path": "out/outbox",
                    "staff_to": ["jimukyoku@example.org"],
                },
                "state": {"path": "out/ledger.sqlite3"},
                "google": {"credentials_file": str(key), "api_base": emulator.base_url},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env={**os.environ, "BANSOU_CLIENT_KEY": "setup-test-key"})


def test_init_sheet_lays_out_every_tab_and_a_second_run_changes_nothing(
    config: Path, emulator: Emulator
) -> None:
    first = cli("init-sheet", "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert emulator.sheets is not None
    tabs = emulator.sheets.dump(BOOK)
    for layout in ALL_TABS:
        assert tabs[layout.name][0] == list(layout.headers)
    emulator.reset_counters()
    second = cli("init-sheet", "--config", str(config))
    assert second.returncode == 0, second.stderr
    assert not any(
        "batchUpdate" in name for name in emulator.counters() if name.startswith("sheets")
    )


def test_inspect_form_prints_the_questions_and_a_mapping_block(config: Path) -> None:
    shown = cli("inspect-form", form_id("application"), "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    assert "伴走ネットID" in shown.stdout and "supporter_id" in shown.stdout
    assert "Traceback" not in shown.stderr


def test_doctor_passes_on_a_good_set_up_and_names_the_fix_when_a_form_is_wrong(
    config: Path, tmp_path: Path
) -> None:
    assert cli("init-sheet", "--config", str(config)).returncode == 0
    good = cli("doctor", "--config", str(config))
    assert good.returncode == 0, good.stdout + good.stderr
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["source"]["application_form_id"] = "no-such-form"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    bad = cli("doctor", "--config", str(broken))
    assert bad.returncode == 1
    assert "NG" in bad.stdout and "→" in bad.stdout
    assert "Traceback" not in bad.stderr
