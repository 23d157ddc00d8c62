"""Fixture folders, ``start_emulator`` and ``run_emulator`` (the CLI's foreground server)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bansou_sync.emulator.fixtures import FixtureError, load_fixtures
from bansou_sync.emulator.server import start_emulator

from .conftest import FORM, FORMS_SCOPES, call, response, token_for

ROOT = Path(__file__).resolve().parents[3]


def write_fixtures(folder: Path, responses: Any) -> Path:
    (folder / "forms").mkdir(parents=True)
    (folder / "responses").mkdir()
    (folder / "forms" / "application.form.json").write_text(
        json.dumps({**FORM, "_emulator": {"order": "reverse"}}, ensure_ascii=False), "utf-8"
    )
    (folder / "responses" / "application.responses.json").write_text(
        json.dumps(responses, ensure_ascii=False), "utf-8"
    )
    return folder


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_fixtures_folder_loads_forms_with_their_responses(tmp_path: Path, wrapped: bool) -> None:
    listed = [
        response(1, "2022-07-01T00:00:01.000001Z"),
        response(2, "2022-07-01T00:00:02.500000Z"),
    ]
    folder = write_fixtures(tmp_path, {"responses": listed} if wrapped else listed)
    emu = start_emulator(folder)
    try:
        token = token_for(emu, FORMS_SCOPES)
        reply = call(emu, "GET", f"/v1/forms/{FORM['formId']}/responses", token=token).json()
        assert [r["lastSubmittedTime"] for r in reply["responses"]] == [
            "2022-07-01T00:00:02.500000Z",
            "2022-07-01T00:00:01.000001Z",
        ]
    finally:
        emu.stop()


def test_a_broken_fixture_is_reported_with_its_path(tmp_path: Path) -> None:
    folder = write_fixtures(tmp_path, [{"answers": {}, "colour": "blue"}])
    emu = start_emulator()
    try:
        with pytest.raises(FixtureError, match=r"application\.form\.json"):
            load_fixtures(emu, folder)
    finally:
        emu.stop()


def test_the_projects_reference_folder_loads() -> None:
    folder = ROOT / "reference"
    if not (folder / "forms").is_dir():
        pytest.skip("reference/ has not been generated yet")
    emu = start_emulator(folder)
    try:
        assert emu.forms.form_ids()
        for form_id in emu.forms.form_ids():
            assert emu.forms.state(form_id).responses
    finally:
        emu.stop()


def test_run_emulator_serves_until_sigterm_and_writes_a_key_file(tmp_path: Path) -> None:
    folder = write_fixtures(tmp_path / "fixtures", [response(1, "2022-07-01T00:00:01.000001Z")])
    code = (
        "import sys; from pathlib import Path; from bansou_sync.emulator.main import run_emulator;"
        f"sys.exit(run_emulator(0, Path({str(folder)!r}), Path({str(tmp_path / 'out')!r})))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        base_url = first.split()[-1]
        assert base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(base_url + "/_emulator/health", timeout=5) as reply:
            assert json.load(reply)["ok"] is True
        key = json.loads((tmp_path / "out" / "emulator-service-account.json").read_text())
        assert key["token_uri"] == base_url + "/token"
        info = json.loads((tmp_path / "out" / "emulator.json").read_text())
        assert info["forms"] == [FORM["formId"]]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        if proc.stdout is not None:
            proc.stdout.close()


def test_bansou_sync_emulator_serves_a_spreadsheets_fixture_and_creates_one_while_running(
    tmp_path: Path,
) -> None:
    """docs/emulator.md's layout, DIR/spreadsheets/<id>.json, through the real CLI, with
    the sort switch; then the documented route that creates a spreadsheet."""
    folder = write_fixtures(tmp_path / "fixtures", [response(1, "2022-07-01T00:00:01.000001Z")])
    (folder / "spreadsheets").mkdir()
    (folder / "spreadsheets" / "status-sheet-0001.json").write_text(
        json.dumps({"title": "状況", "sheets": {"申請": [["申請番号"], ["A-000001"]]}}), "utf-8"
    )
    cli = Path(sys.executable).with_name("bansou-sync")
    args = ["emulator", "--port", "0", "--fixtures", str(folder), "--out", str(tmp_path / "out")]
    proc = subprocess.Popen(
        [str(cli), *args, "--row-metadata-on-sort", "stay"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().split()[-1]
        printed = []
        while not printed or not printed[-1].startswith("mail:"):  # the snippet's last line
            printed.append(proc.stdout.readline().strip())
        assert "row metadata on sort: stay" in printed
        assert "sheet: {kind: google, spreadsheet_id: status-sheet-0001}" in printed
        info = json.loads((tmp_path / "out" / "emulator.json").read_text())
        assert info["spreadsheets"] == ["status-sheet-0001"]
        assert info["row_metadata_on_sort"] == "stay"
        with urllib.request.urlopen(base_url + "/_emulator/sheets/status-sheet-0001/dump") as r:
            assert json.load(r) == {"申請": [["申請番号"], ["A-000001"]]}
        created = urllib.request.Request(
            base_url + "/_emulator/sheets",
            data=json.dumps({"title": "新しい表", "sheets": {"タブ": [["a", "b"]]}}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(created) as r:
            new_id = json.load(r)["spreadsheetId"]
        with urllib.request.urlopen(base_url + "/_emulator/sheets") as r:
            listed = json.load(r)
        assert listed == {
            "spreadsheets": ["status-sheet-0001", new_id],
            "row_metadata_on_sort": "stay",
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_spreadsheet_fixture_naming_another_id_than_its_file_is_reported(
    tmp_path: Path,
) -> None:
    folder = write_fixtures(tmp_path, [])
    (folder / "spreadsheets").mkdir()
    (folder / "spreadsheets" / "one.json").write_text(
        json.dumps({"spreadsheetId": "two", "sheets": {}}), "utf-8"
    )
    emu = start_emulator()
    try:
        with pytest.raises(FixtureError, match=r"one\.json: spreadsheetId 'two'"):
            load_fixtures(emu, folder)
    finally:
        emu.stop()
