"""The benchmark's results as Markdown tables, a plot, and the machine they ran on."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def phase(run: dict[str, Any], name: str, key: str = "phases") -> dict[str, Any] | None:
    return next((p for p in run.get(key) or [] if p["name"] == name), None)


def _methods(p: dict[str, Any]) -> str:
    short = {
        "forms.forms.get": "forms.get",
        "forms.forms.responses.list": "responses.list",
        "sheets.spreadsheets.get": "get",
        "sheets.spreadsheets.batchUpdate": "batchUpdate",
        "sheets.spreadsheets.values.batchGet": "values.batchGet",
        "sheets.spreadsheets.values.batchUpdateByDataFilter": "batchUpdateByDataFilter",
        "sheets.spreadsheets.values.batchGetByDataFilter": "batchGetByDataFilter",
        "sheets.spreadsheets.values.get": "values.get",
        "sheets.spreadsheets.values.append": "values.append",
        "sheets.spreadsheets.values.update": "values.update",
    }
    parts = [
        f"{short.get(m, m)} {n}"
        for m, n in p["requests"].items()
        if not m.startswith(("gmail.", "oauth2."))
    ]
    return ", ".join(parts)


def render_tables(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"Machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}, "
        f"{m['system']}. Whole run: {result['total_s']} s.",
        "",
        "| history (apps / regs) | latency | cycle | API requests | by method | emails / tokens "
        "| wall s | CPU s | emulator CPU s ² | peak RSS MB | ledger MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        latency = f"{run['latency_s'] * 1000:.0f} ms" + (" + quota" if run["quota"] else "")
        for p in run["phases"]:
            note = " ¹" if p.get("note", "").startswith("measured at latency 0") else ""
            lines.append(
                f"| {run['applications']:,} / {run['registrations']:,} | {latency} | "
                f"{p['name']}{note} | {p['api_requests']} | {_methods(p)} | "
                f"{p['emails']} / {p['tokens']} | {p['wall_s']:.2f} | {p['cpu_s']:.2f} | "
                f"{p.get('emulator_cpu_s', 0.0):.2f} | "
                f"{p['peak_rss_mb']:.0f} | {p['ledger_bytes'] / 1e6:.1f} |"
            )
    lines += [
        "",
        "¹ measured at latency 0: the latency run fills the ledger without latency and "
        "pays it only on the later cycles (see “What is measured”).",
        "",
        "² CPU time of the emulator process during the cycle, mail step included (the "
        "Gmail sends are served there too): part of the wall time that Google's servers, "
        "not this machine, would spend.",
        "",
    ]
    base_rows = []
    for run in result["runs"]:
        for b in run.get("baseline") or []:
            ours = phase(run, b["name"])
            if ours is None:
                continue
            latency = f"{run['latency_s'] * 1000:.0f} ms"
            writes = sum(
                n for k, n in b["requests"].items() if k.endswith(("append", "update", "Update"))
            )
            quota_min = writes / 60
            base_rows.append(
                f"| {run['applications']:,} | {latency} | {b['name']} | {b['api_requests']} | "
                f"{ours['api_requests']} | {b['api_requests'] / max(ours['api_requests'], 1):.0f}× | "
                f"{b['wall_s']:.1f} | {ours['wall_s']:.2f} | "
                f"{b['wall_s'] / max(ours['wall_s'], 1e-9):.1f}× | ≥ {quota_min:.1f} min |"
            )
    if base_rows:
        lines += [
            "| history | latency | cycle | baseline requests | bansou-sync requests | ratio "
            "| baseline wall s | bansou-sync wall s | ratio | baseline under the 60 writes/min quota |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *base_rows,
            "",
        ]
    return "\n".join(lines) + "\n"


def write_plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [r for r in result["runs"] if r["latency_s"] == 0]
    sizes = [r["applications"] for r in runs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, marker in (("backfill", "o"), ("idle", "s"), ("incremental", "^")):
        points = [phase(r, name) for r in runs]
        left.plot(sizes, [p["api_requests"] if p else 0 for p in points], marker=marker, label=name)
        right.plot(sizes, [p["cpu_s"] if p else 0 for p in points], marker=marker, label=name)
    baseline = [phase(r, "incremental", "baseline") for r in runs]
    if all(baseline):
        left.plot(sizes, [b["api_requests"] for b in baseline if b], "k--", label="baseline incr.")
    left.set(xscale="log", yscale="log", xlabel="applications in history",
             ylabel="API requests per cycle (no emails/tokens)", title="Requests")  # fmt: skip
    right.set(xscale="log", xlabel="applications in history", ylabel="CPU s per cycle",
              title="CPU time (latency 0, mail excluded)")  # fmt: skip
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def update_docs(path: Path, result: dict[str, Any], tables: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else f"{BEGIN}\n{END}\n"
    block = f"{BEGIN}\n{tables}{END}"
    path.write_text(re.sub(f"{BEGIN}.*?{END}", lambda _: block, text, flags=re.S), "utf-8")
