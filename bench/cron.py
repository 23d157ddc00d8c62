"""The Google backends in cron style (issue 14): ``bansou-sync once`` per cycle, a new
process each time, against the emulator (Forms API in, Google sheet, outbox folder) —
beside the warm service (``bench.measure.Worker``) on a second emulator with the same
data, so the idle cycles' requests can be compared.

``python -m bench.cron [--sizes 1k,60k]``. Per size: *backfill*, *idle-first* (5 minutes
later: reads the rows the backfill wrote), *idle* (a minute later, nothing new),
*incremental* (100 new applications and 10 staff decisions, as in ``bench.measure``),
*idle-after* (the cycle after it) and *idle-hour* (an hour later, nothing new: the first
cycle past the hour, when a kept form layout is re-learnt — ``adapters.form_layouts``). Each cold figure is
the ``once`` process's own CPU (``wait4``) and the emulator's API requests (emails and
tokens apart, as in ``bench.measure``); the warm figures are the service's, measured the
same way as the main suite. The target (issue 14): a cold idle cycle needs no more than
the warm idle cycle's requests + 1, and ≤ 2 s CPU, at 60k (measured here at a small
size: the 60k emulator set-up alone takes minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import data  # noqa: E402
from bench.emu_proc import EmulatorProcess  # noqa: E402
from bench.measure import Worker, split, staff_decisions, write_config  # noqa: E402
from bench.spawn import run_measured  # noqa: E402

CYCLES = (
    ("backfill", timedelta(0)),
    ("idle-first", timedelta(minutes=5)),
    ("idle", timedelta(minutes=6)),
    ("incremental", timedelta(minutes=10)),
    ("idle-after", timedelta(minutes=15)),
    ("idle-hour", timedelta(hours=1, minutes=16)),
)
NEW_APPLICATIONS, DECISIONS = 100, 10  # the incremental cycle's, as in bench.measure


def before_cycle(emu: EmulatorProcess, size: data.Size, name: str, at: datetime) -> None:
    """The incremental cycle's news: new applications through the Forms API (submitted
    just before ``at``, naive JST) and staff decisions 承認 typed in 審査."""
    if name != "incremental":
        return
    fresh = data.new_applications(NEW_APPLICATIONS, size.registrations, size.applications, at)
    emu.add_responses(data.form_json("application")["formId"], fresh)
    staff_decisions(emu, DECISIONS)


def once(config: Path, now: datetime) -> tuple[float, float]:
    """One ``bansou-sync once`` in a new process: its CPU (``wait4``, ``bench.spawn``) and
    wall time."""
    command = [sys.executable, "-m", "bansou_sync.cli", "once", "--config", str(config)]
    command += ["--now", now.strftime("%Y-%m-%d %H:%M")]
    started = time.perf_counter()
    log = config.parent / "once.log"
    code, cpu, _ = run_measured(command, ROOT, dict(os.environ), log)
    if code != 0:
        tail = log.read_text("utf-8", errors="replace")[-3000:]
        raise SystemExit(f"bansou-sync once failed: {command}\n{tail}")
    return round(cpu, 2), round(time.perf_counter() - started, 2)


def cold_run(size: data.Size) -> list[dict[str, Any]]:
    with EmulatorProcess(size, baseline=False) as emu, tempfile.TemporaryDirectory() as tmp:
        emu.service_account_info_cache = emu.service_account()
        config = write_config(Path(tmp), emu, gmail=False)
        at = data.BACKFILL_AT
        cycles = []
        for name, later in CYCLES:
            before_cycle(emu, size, name, at + later)
            emu.reset_counters()
            cpu, wall = once(config, at + later)
            counters = emu.counters()
            api = split(counters)[0]  # emails and tokens apart
            cycles.append(
                {
                    "name": name,
                    "cpu_s": cpu,
                    "wall_s": wall,
                    "api_requests": api,
                    "requests": dict(sorted(counters.items())),
                }
            )
            print(f"  cold {size.label} {name}: {cycles[-1]}", file=sys.stderr, flush=True)
        return cycles


def warm_run(size: data.Size) -> list[dict[str, Any]]:
    from bansou_sync.core.calendar import JST

    with EmulatorProcess(size, baseline=False) as emu, tempfile.TemporaryDirectory() as tmp:
        emu.service_account_info_cache = emu.service_account()
        worker = Worker(emu, Path(tmp), gmail=False)
        at = data.BACKFILL_AT.replace(tzinfo=JST)
        cycles = []
        for name, later in CYCLES:
            before_cycle(emu, size, name, (at + later).replace(tzinfo=None))
            phase = worker.cycle(name, at + later)
            cycles.append(
                {
                    "name": name,
                    "cpu_s": phase.cpu_s,
                    "api_requests": phase.api_requests,
                    "requests": phase.requests,
                }
            )
            print(f"  warm {size.label} {name}: {cycles[-1]}", file=sys.stderr, flush=True)
        worker.ledger.close()
        return cycles


def table(result: dict[str, Any]) -> str:
    lines = [
        "| history | cycle | cold `once` CPU | cold API requests | warm service CPU "
        "| warm API requests |",
        "|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        warms = run["warm"] or [None] * len(run["cold"])
        for cold, warm in zip(run["cold"], warms, strict=True):
            theirs = f"{warm['cpu_s']:.2f} s | {warm['api_requests']}" if warm else "— | —"
            lines.append(
                f"| {run['size']} | {cold['name']} | {cold['cpu_s']:.2f} s "
                f"| {cold['api_requests']} | {theirs} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k")
    parser.add_argument("--cold-only", action="store_true", help="leave the warm run out")
    args = parser.parse_args(argv)
    sizes = {s.label: s for s in data.SIZES}
    runs = []
    for label in args.sizes.split(","):
        print(f"==> cron {label}", file=sys.stderr, flush=True)
        size = sizes[label]
        warm = [] if args.cold_only else warm_run(size)
        runs.append({"size": label, "cold": cold_run(size), "warm": warm})
    print(json.dumps({"suite": "cron", "runs": runs}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
