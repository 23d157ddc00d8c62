"""The benchmark of issue 5: ``scripts/bench [--quick] [--sizes 1k,6k] [--no-latency]``.

``scripts/bench --suite embedded [--sizes 3k,30k]``: the embedded default in cron style
(issue 14, ``bench.embedded``): results in ``embedded.json`` and ``embedded.md``.
``scripts/bench --suite cron [--sizes 1k]``: the Google backends in cron style beside
the warm service (issue 14, ``bench.cron``): ``cron.json`` and ``cron.md``.

Each (size, latency) runs in its own worker process (``bench.measure``), so peak RSS
is per size; the emulator runs in a child of that worker. Results go to
``bench/results/latest.json`` and ``latest.md``; a full run also refreshes the table,
the machine and the plot in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import machine, render_tables, update_docs, write_plot  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LATENCY = 0.15
SKIP_LATENCY_BACKFILL = {"60k"}  # see docs/benchmarks.md: the ledger is filled at latency 0


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.measure", json.dumps(spec)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"bench worker {spec} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k only, latency 0, no baseline")
    parser.add_argument("--sizes", default="1k,6k,60k")
    parser.add_argument("--no-latency", action="store_true", help="skip the 150 ms runs")
    parser.add_argument("--profile", action="store_true", help="pyinstrument, latency 0 runs")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--suite", choices=("google", "embedded", "cron"), default="google")
    args = parser.parse_args(argv)
    if args.suite == "embedded":
        return embedded_suite(args)
    if args.suite == "cron":
        return cron_suite(args)
    sizes = ["1k"] if args.quick else args.sizes.split(",")
    latencies = [0.0] if args.quick or args.no_latency else [0.0, LATENCY]
    runs = []
    started = time.perf_counter()
    for latency in latencies:
        for size in sizes:
            spec: dict[str, Any] = {"size": size, "latency": latency}
            spec["gmail"] = not args.quick
            # the baseline at latency 0 only: its request count is the same at 150 ms, and
            # each of its ~220 writes makes the emulator copy a 60,000-row sheet
            spec["baseline"] = not args.quick and latency == 0
            spec["baseline_backfill"] = size == "1k" and latency == 0 and not args.quick
            spec["skip_backfill_latency"] = latency > 0 and size in SKIP_LATENCY_BACKFILL
            if args.profile and latency == 0:
                spec["profile_dir"] = str(args.out / "profiles")
            print(f"==> {size} at latency {latency * 1000:.0f} ms", file=sys.stderr, flush=True)
            runs.append(worker(spec))
    result = {
        "quick": args.quick,
        "machine": machine(),
        "python": platform.python_version(),
        "runs": runs,
        "total_s": round(time.perf_counter() - started, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    name = "quick" if args.quick else "latest"
    (args.out / f"{name}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    tables = render_tables(result)
    (args.out / f"{name}.md").write_text(tables, encoding="utf-8")
    print(tables)
    # only a whole run into the default folder is "the latest": a partial or private run
    # (one size, another --out) must not replace the published table
    if not args.quick and args.out == RESULTS and set(sizes) == {"1k", "6k", "60k"}:
        write_plot(result, ROOT / "docs" / "bench-cycle-cost.png")
        update_docs(ROOT / "docs" / "benchmarks.md", result, tables)
    return 0


def embedded_suite(args: argparse.Namespace) -> int:
    sizes = "3k" if args.quick else args.sizes if args.sizes != "1k,6k,60k" else "3k,30k"
    command = [sys.executable, "-m", "bench.embedded", "--sizes", sizes]
    if args.profile:
        command += ["--profile", str(args.out / "profiles")]
        (args.out / "profiles").mkdir(parents=True, exist_ok=True)
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit("bench.embedded failed")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result |= {"machine": machine(), "python": platform.python_version()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "embedded.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    table = embedded_table(result)
    (args.out / "embedded.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


def cron_suite(args: argparse.Namespace) -> int:
    """The Google backends in cron style (``bench.cron``): 1k unless ``--sizes`` names
    others (the 60k emulator set-up alone takes minutes)."""
    from bench.cron import table

    sizes = args.sizes if args.sizes != "1k,6k,60k" else "1k"
    command = [sys.executable, "-m", "bench.cron", "--sizes", sizes]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit("bench.cron failed")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result |= {"machine": machine(), "python": platform.python_version()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cron.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (args.out / "cron.md").write_text(table(result), encoding="utf-8")
    print(table(result))
    return 0


def embedded_table(result: dict[str, Any]) -> str:
    lines = [
        "| history (applications) | backfill CPU | idle cycle CPU | incremental (+100) CPU "
        "| peak RSS (backfill) |",
        "|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        cycles = {c["name"]: c for c in run["cycles"]}
        lines.append(
            f"| {run['applications']:,} | {cycles['backfill']['cpu_s']:.1f} s "
            f"| {cycles['idle']['cpu_s']:.2f} s | {cycles['incremental']['cpu_s']:.2f} s "
            f"| {cycles['backfill']['peak_rss_mb']:.0f} MB |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
