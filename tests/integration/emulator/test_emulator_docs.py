"""docs/emulator.md's gspread snippet, run as written against a running emulator."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

from bansou_sync.emulator.server import start_emulator

DOC = Path(__file__).resolve().parents[3] / "docs" / "emulator.md"


def snippet() -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- gspread-snippet -->\s*```python\n(.*?)```", text, re.S)
    assert found, "docs/emulator.md lost its gspread snippet"
    return textwrap.dedent(found.group(1))


def test_the_documented_gspread_snippet_reads_a_spreadsheet_from_the_emulator(
    tmp_path: Path,
) -> None:
    emu = start_emulator()
    try:
        book = emu.sheets.load_fixture(
            {"title": "状況", "sheets": {"申請": [["申請番号", "判定"], ["A-000001", "承認"]]}}
        )
        scope: dict[str, Any] = {
            "emu": emu,
            "KEY_FILE": str(emu.write_service_account_file(tmp_path / "key.json")),
            "SPREADSHEET_ID": book,
        }
        exec(compile(snippet(), str(DOC), "exec"), scope)
        assert scope["rows"] == [["申請番号", "判定"], ["A-000001", "承認"]]
        assert scope["sheet"].title == "状況"
    finally:
        emu.stop()
