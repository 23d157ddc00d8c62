"""``bansou-sync --help`` and ``status`` stay quick: each command imports what it needs
when it runs (issue 14), so the help loads no cycle, no Google library, no pandas, and
no map package (issue 15 §2)."""

from __future__ import annotations

import json
import subprocess
import sys

from bansou_sync import cli_report
from bansou_sync.app import report

HEAVY = (
    "pandas",
    "numpy",
    "google",
    "googleapiclient",
    "gspread",
    "jinja2",
    "matplotlib",
    "openpyxl",
    "bansou_sync.adapters",
    "bansou_sync.bootstrap",
    "bansou_sync.app.run_once",
    "bansou_sync.app.payment_files",
    "bansou_sync.app.report",
    "bansou_sync.app.report_charts",
    "bansou_sync.app.report_maps",  # the maps: imported only when a report is drawn
    "bansou_sync.app.report_pdf",
    "japanmap",
    "bansou_sync.app.events",
)


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_the_help_imports_no_cycle_no_google_library_and_no_pandas() -> None:
    code = (
        "import contextlib, io\n"
        "from bansou_sync.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
    )
    modules = loaded_after(code)
    assert "bansou_sync.cli_staff" in modules  # the help did list every command
    assert heavy(modules) == []
    assert "pydantic" not in modules and "bansou_sync.config" not in modules


def test_status_reads_the_ledger_without_importing_the_cycle_or_google() -> None:
    # exactly what ``cli_cycle.cmd_status`` imports
    code = (
        "import bansou_sync.cli_cycle\n"
        "from bansou_sync.adapters.ledger import Ledger\n"
        "from bansou_sync.app.status import print_status, read_status\n"
        "from bansou_sync.config import load_config\n"
        "from bansou_sync.config_policy import policy_from\n"
        "from bansou_sync.core.calendar import JST\n"
    )
    modules = loaded_after(code)
    # the SQLite ledger package (opened read-only), its codec, the atomic file writer its
    # state snapshot uses and the projection memo's file its vacuum deletes (standard
    # library only), nothing else of adapters
    allowed = (
        "bansou_sync.adapters.ledger",
        "bansou_sync.adapters.ledger_codec",
        "bansou_sync.adapters.atomic",
        "bansou_sync.adapters.kept_projection",
    )
    assert [
        m for m in heavy(modules) if m != "bansou_sync.adapters" and not m.startswith(allowed)
    ] == []


def test_the_report_formats_the_help_offers_are_the_ones_the_report_writes() -> None:
    assert cli_report.FORMATS == report.FORMATS
