"""``bansou-sync emulator --port PORT --fixtures DIR``: run the emulator in the foreground.

It writes a service-account key file whose ``token_uri`` is the emulator, prints where
everything is and a config snippet, and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType

from .server import Emulator, start_emulator

KEY_FILE = "emulator-service-account.json"


def config_snippet(emulator: Emulator, key_file: Path) -> str:
    """What to put in a bansou-sync config to use this emulator."""
    forms = emulator.forms.form_ids() if emulator.forms is not None else []
    lines = [
        "# bansou-sync talking to the local Google emulator",
        "google:",
        f"  credentials_file: {key_file}",
        f"  api_base: {emulator.base_url}",
        "source:",
        "  kind: forms_api",
    ]
    kinds = {"伴走ネット登録": "registration", "伴走支援申請": "application"}
    for form_id in forms:
        assert emulator.forms is not None
        title = str(emulator.forms.state(form_id).form.get("info", {}).get("title", ""))
        kind = kinds.get(title)
        lines.append(f"  {kind}_form_id: {form_id}" if kind else f"  # {title}: {form_id}")
    books = emulator.sheets.spreadsheet_ids() if emulator.sheets is not None else []
    book = books[0] if books else "<POST /_emulator/sheets, then its spreadsheetId>"
    lines += [
        f"sheet: {{kind: google, spreadsheet_id: {book}}}",
        "mail: {kind: gmail}",
    ]
    return "\n".join(lines)


def run_emulator(
    port: int, fixtures_dir: Path | None, out_dir: Path, row_metadata_on_sort: str = "move"
) -> int:
    """Serve until interrupted; returns the process exit code."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # before anything is announced: a caller may send SIGTERM as soon as it reads the address
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    # the CLI's emulator has its process to itself (see ``Emulator.freeze_gc``)
    emulator = start_emulator(
        fixtures_dir, port=port, freeze_gc=True, row_metadata_on_sort=row_metadata_on_sort
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    key_file = emulator.write_service_account_file(out_dir / KEY_FILE).resolve()
    (out_dir / "emulator.json").write_text(
        json.dumps(
            {
                "base_url": emulator.base_url,
                "token_uri": emulator.token_uri,
                "service_account_file": str(key_file),
                "forms": emulator.forms.form_ids() if emulator.forms is not None else [],
                "spreadsheets": emulator.sheets.spreadsheet_ids()
                if emulator.sheets is not None
                else [],
                "row_metadata_on_sort": row_metadata_on_sort,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"Google emulator listening on {emulator.base_url}", flush=True)
    print(f"service-account key: {key_file}", flush=True)
    print(f"row metadata on sort: {row_metadata_on_sort}", flush=True)
    print(config_snippet(emulator, key_file), flush=True)

    try:
        while not stop.wait(0.2):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        emulator.stop()
    return 0
