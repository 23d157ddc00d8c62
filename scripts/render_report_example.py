"""Render the example report pages shown in docs/reports.md (fictitious reference data).

Runs the reference programme through the CLI in a temporary folder (one cycle, then the
secretariat approves and pays everything, as tests/e2e/test_cli_report.py does), makes
the report for 2022-05 … 2023-02 and writes three of its PDF pages — the first, the maps
and the first chart — as PNG files under docs/ (``tests/e2e/test_cli_report.py`` checks
that the maps page is current). Usage: ``.venv/bin/python scripts/render_report_example.py``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e.test_cli_report import staff_accepts_and_pays  # noqa: E402

from bansou_sync.adapters.ledger import Ledger  # noqa: E402
from bansou_sync.app import report as rep  # noqa: E402
from bansou_sync.app import report_pdf  # noqa: E402
from bansou_sync.cli import main as cli  # noqa: E402
from bansou_sync.core.narrative import DEFAULT_KEYWORDS  # noqa: E402

PERIOD, MADE_ON, DPI = rep.period("2022-05", "2023-02"), date(2023, 4, 12), 72


def main() -> None:
    os.environ.setdefault("BANSOU_CLIENT_KEY", "docs-example-key")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(ROOT / "reference", folder / "reference")
        config = folder / "config.yaml"
        shutil.copy(ROOT / "config.example.yaml", config)
        status = folder / "out" / "status"
        cli(["once", "--config", str(config), "--now", "2023-03-15 12:00"])
        staff_accepts_and_pays(status, "review")
        cli(["once", "--config", str(config), "--now", "2023-03-16 12:00"])
        staff_accepts_and_pays(status, "pay")
        cli(["once", "--config", str(config), "--now", "2023-04-11 12:00"])
        with Ledger.open_readonly(folder / "out" / "ledger.sqlite3") as ledger:
            state = ledger.load_state()
    report = rep.build(state, DEFAULT_KEYWORDS, 5, PERIOD, MADE_ON)
    pages = rep.page_pngs(report, dpi=DPI)
    layout = report_pdf.layout(report_pdf.blocks(report))
    first_chart = next(
        i for i, page in enumerate(layout) if any(isinstance(b, report_pdf.Chart) for _, b in page)
    )
    (ROOT / "docs" / "report-example-page1.png").write_bytes(pages[0])
    (ROOT / "docs" / "report-example-maps.png").write_bytes(pages[report_pdf.maps_page(report)])
    (ROOT / "docs" / "report-example-chart.png").write_bytes(pages[first_chart])


if __name__ == "__main__":
    main()
