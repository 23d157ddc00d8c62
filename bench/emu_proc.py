"""The emulator in a child process, driven over its ``/_emulator`` control API.

In its own process the emulator's work (JSON for 60,000 responses, the sheet grid) is
not counted in the daemon's CPU time (``time.process_time`` is per process) nor in its
peak RSS; the daemon talks to it over loopback, as it would to Google.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import urllib.request
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench import data

STATUS_ID = "bench-status"
BASELINE_STATUS_ID = "bench-baseline-status"
BASELINE_RESPONSES = {"registration": "bench-reg-responses", "application": "bench-app-responses"}
BASELINE_TAB = "フォームの回答 1"


def _serve(size: data.Size, baseline: bool, conn: Connection) -> None:
    from bansou_sync.emulator.server import start_emulator

    emu = start_emulator(freeze_gc=True)  # alone in its process, as `bansou-sync emulator`
    regs = data.registrations(size.registrations)
    apps = data.applications(size.applications, size.registrations)
    forms = {
        "registration": data.form_json("registration"),
        "application": data.form_json("application"),
    }
    emu.forms.load_form(forms["registration"], regs)
    emu.forms.load_form(forms["application"], apps)
    emu.sheets.load_fixture(
        {"spreadsheetId": STATUS_ID, "title": "伴走支援 状況", "sheets": {"Sheet1": []}}
    )
    if baseline:
        for name, responses in (("registration", regs), ("application", apps)):
            rows = data.sheet_rows(forms[name], responses)
            emu.sheets.load_fixture(
                {
                    "spreadsheetId": BASELINE_RESPONSES[name],
                    "valueInputOption": "RAW",
                    "sheets": {BASELINE_TAB: rows},
                }
            )
    conn.send(emu.base_url)
    conn.recv()  # until the parent says stop
    emu.stop()


class EmulatorProcess:
    """Start with ``with EmulatorProcess(size) as emu:``; ``emu.base_url``."""

    def __init__(self, size: data.Size, baseline: bool = True) -> None:
        self.size = size
        self.baseline = baseline
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(size, baseline, child), daemon=True)
        self.base_url = ""
        self.service_account_info_cache: dict[str, Any] = {}

    def __enter__(self) -> EmulatorProcess:
        self._proc.start()
        self.base_url = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.kill()

    def cpu_seconds(self) -> float:
        """CPU time the emulator process used so far (Linux ``/proc``; 0 elsewhere): its
        share of a cycle's wall time, which Google's own servers would not cost."""
        try:
            fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    # -- the control API ---------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None) -> Any:
        payload = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_emulator/{path}",
            data=payload,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=600) as reply:
            text = reply.read()
        return json.loads(text) if text.strip() else {}

    def service_account(self) -> dict[str, Any]:
        info: dict[str, Any] = self.call("GET", "service-account")
        return info

    def counters(self) -> dict[str, int]:
        return dict(self.call("GET", "counters")["counters"])

    def reset_counters(self) -> None:
        self.call("DELETE", "counters")
        self.call("DELETE", "requests")

    def statuses(self) -> dict[str, int]:
        """HTTP statuses of the API requests logged since the last reset."""
        out: dict[str, int] = {}
        for entry in self.call("GET", "requests")["requests"]:
            out[str(entry["status"])] = out.get(str(entry["status"]), 0) + 1
        return out

    def set_latency(self, seconds: float) -> None:
        self.call("POST", "latency", {"seconds": seconds})

    def set_quota(self, enabled: bool) -> None:
        self.call("POST", "quota", {"enabled": enabled})
        self.call("DELETE", "quota")

    def add_responses(self, form_id: str, responses: list[dict[str, Any]]) -> None:
        self.call("POST", f"forms/{form_id}/responses", {"responses": responses, "force": True})

    def staff_set_cell(self, spreadsheet_id: str, tab: str, cell: str, value: str) -> None:
        self.call(
            "POST", f"sheets/{spreadsheet_id}/set-cell", {"tab": tab, "cell": cell, "value": value}
        )

    def dump(self, spreadsheet_id: str) -> dict[str, list[list[Any]]]:
        dumped: dict[str, list[list[Any]]] = self.call("GET", f"sheets/{spreadsheet_id}/dump")
        return dumped

    def load_sheet(self, fixture: dict[str, Any]) -> None:
        self.call("POST", "sheets", fixture)
