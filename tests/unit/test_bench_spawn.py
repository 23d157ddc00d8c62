"""The cold-process benchmarks read a command's own peak RSS, not the benchmark's."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.spawn import run_measured


def test_a_command_started_by_a_large_benchmark_is_not_charged_the_benchmarks_memory(
    tmp_path: Path,
) -> None:
    held = b"x" * (300 << 20)  # the benchmark holding a generated history, written to
    command = [sys.executable, "-c", "print('hello'); import sys; sys.exit(3)"]

    code, cpu, rss_mb = run_measured(command, tmp_path, {}, tmp_path / "log")

    assert len(held) == 300 << 20
    assert code == 3 and cpu > 0
    assert 1 < rss_mb < 100, rss_mb  # a bare interpreter, not 300 MB and more
    assert (tmp_path / "log").read_text() == "hello\n"  # its output went to the log
