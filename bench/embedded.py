"""The embedded default in cron style (issue 14): ``bansou-sync once`` per cycle, a new
process each time, over a CSV export in, CSV tabs and an outbox folder out.

``python -m bench.embedded [--sizes 3k,30k] [--profile DIR]``. Per size: a backfill (the
whole history in a first cycle), an idle cycle an hour later (nothing new), then an
incremental cycle (+100 applications appended to the export and 10 staff decisions typed
into 申請.csv). Each figure is the ``once`` process's own CPU (user + system) and peak
RSS, read from the kernel when it exits (``wait4``). The data are ``bench.data``'s, as
the Google export shows them (registrations = applications / 6); the budget is set
high enough that the rules, not ``budget_closed``, decide.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bench.spawn import run_measured

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import data  # noqa: E402

SIZES = {"3k": 3_000, "30k": 30_000}
NEW_APPLICATIONS = 100
DECISIONS = 10
KEY = "bench-only-key-for-fictitious-data"


@dataclass
class Cycle:
    name: str
    cpu_s: float
    wall_s: float
    peak_rss_mb: float


def write_export(path: Path, form: str, responses: list[dict[str, Any]], mode: str = "w") -> None:
    """The responses as the form's CSV export (タイムスタンプ first; appended: no header)."""
    rows = data.sheet_rows(data.form_json(form), responses)
    with path.open(mode, encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(rows if mode == "w" else rows[1:])


def make_setup(folder: Path, applications: int) -> Path:
    supporters = max(applications // 6, 1)
    write_export(folder / "registrations.csv", "registration", data.registrations(supporters))
    write_export(
        folder / "applications.csv", "application", data.applications(applications, supporters)
    )
    config = {
        "source": {
            "kind": "csv",
            "registrations": "registrations.csv",
            "applications": "applications.csv",
        },
        "sheet": {"kind": "local", "path": "out/status"},
        "mail": {
            "kind": "outbox",
            "path": "out/outbox",
            "from": "jimukyoku@example.org",
            "staff_to": ["jimukyoku@example.org"],
        },
        "state": {"path": "out/ledger.sqlite3"},
        "budget": {"total_yen": 10_000_000_000},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def once(config: Path, now: datetime, profile: Path | None = None) -> Cycle:
    """One ``bansou-sync once`` in a new process: its CPU and peak RSS from ``wait4``
    (through ``bench.spawn``: not charged the benchmark's own memory)."""
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "pyinstrument", "-o", str(profile), "-r", "text"]
    command += ["-m", "bansou_sync.cli", "once", "--config", str(config)]
    command += ["--now", now.strftime("%Y-%m-%d %H:%M")]
    env = {**os.environ, "BANSOU_CLIENT_KEY": KEY}
    started = time.perf_counter()
    log = config.parent / "once.log"
    code, cpu, rss_mb = run_measured(command, ROOT, env, log)
    if code != 0:
        tail = log.read_text("utf-8", errors="replace")[-3000:]
        raise SystemExit(f"bansou-sync once failed ({code}): {command}\n{tail}")
    wall = time.perf_counter() - started
    return Cycle("", round(cpu, 2), round(wall, 2), round(rss_mb, 1))


def staff_decide(status: Path, count: int) -> int:
    """Type 承認 into 審査 of the first ``count`` applications awaiting review."""
    path = status / "申請.csv"
    records = list(csv.reader(path.read_text("utf-8-sig").splitlines()))
    header = records[0]
    code, decision = header.index("状態コード"), header.index("審査")
    done = 0
    for record in records[1:]:
        if done < count and record[code] == "pending_review":
            record[decision] = "承認"
            done += 1
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(records)
    return done


def run_size(label: str, profile_dir: Path | None) -> dict[str, Any]:
    applications = SIZES[label]
    supporters = max(applications // 6, 1)
    with tempfile.TemporaryDirectory(prefix=f"bench-embedded-{label}-") as tmp:
        folder = Path(tmp)
        config = make_setup(folder, applications)
        at = data.BACKFILL_AT

        def cycle(name: str, now: datetime) -> Cycle:
            profile = profile_dir / f"embedded-{name}-{label}.txt" if profile_dir else None
            measured = once(config, now, profile)
            measured.name = name
            print(f"  {label} {name}: {asdict(measured)}", file=sys.stderr, flush=True)
            return measured

        cycles = [cycle("backfill", at), cycle("idle", at + timedelta(hours=1))]
        later = at + timedelta(hours=2)
        new = data.new_applications(NEW_APPLICATIONS, supporters, applications, later)
        write_export(folder / "applications.csv", "application", new, mode="a")
        decided = staff_decide(folder / "out" / "status", DECISIONS)
        cycles.append(cycle("incremental", later))
    return {"size": label, "applications": applications, "decided": decided, "cycles": cycles}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3k,30k")
    parser.add_argument("--profile", type=Path, default=None, help="pyinstrument text here")
    args = parser.parse_args(argv)
    runs = []
    for label in args.sizes.split(","):
        print(f"==> embedded {label}", file=sys.stderr, flush=True)
        run = run_size(label, args.profile)
        run["cycles"] = [asdict(c) for c in run["cycles"]]
        runs.append(run)
    print(json.dumps({"suite": "embedded", "runs": runs}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
