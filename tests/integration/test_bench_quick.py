"""Smoke test of the benchmark (issue 5): ``bench.run --quick`` completes, and the
request counts of its cycles are within the targets. Wall-clock figures are reported
by the benchmark, never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(240)
def test_the_quick_benchmark_completes_within_the_request_targets(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bench.run", "--quick", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

    result = json.loads((tmp_path / "quick.json").read_text(encoding="utf-8"))
    (run,) = result["runs"]
    cycles = {p["name"]: p for p in run["phases"]}
    assert cycles["backfill"]["new_applications"] == 1000
    assert cycles["incremental"]["new_applications"] == 100
    assert cycles["backfill"]["api_requests"] <= 60
    assert cycles["idle-first"]["api_requests"] <= 4
    assert cycles["idle"]["api_requests"] <= 4
    assert cycles["idle-after"]["api_requests"] <= 4
    assert cycles["incremental"]["api_requests"] <= 8
    assert (tmp_path / "quick.md").read_text(encoding="utf-8").count("| 1,000 / 1,000 |") == 5
