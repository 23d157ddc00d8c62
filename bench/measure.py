"""One benchmark worker: one history size at one emulator latency, in its own process.

The daemon side is the product as a running service builds it — ``load_config`` →
``bootstrap.build_services`` → ``run_cycle`` with the same ``Services`` and ``WarmCycle``
cycle after cycle (so ``forms.get`` and the OAuth tokens are paid once, as in
``bansou-sync run``).
Around each ``run_cycle``: wall time (``perf_counter``) and CPU time of this process
(``process_time``; the emulator is another process), minus the mail step
(``deliver``: render, send, mark), which is timed apart. Requests come from the
emulator's counters, reset before each phase.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bansou_sync.adapters.ledger import Ledger
from bansou_sync.app import run_once
from bansou_sync.app.warm import WarmCycle
from bansou_sync.bootstrap import build_services
from bansou_sync.config import load_config
from bansou_sync.core.calendar import JST
from bansou_sync.heap import settle_heap, tune_collector
from bench import data
from bench.emu_proc import (
    BASELINE_RESPONSES,
    BASELINE_STATUS_ID,
    BASELINE_TAB,
    STATUS_ID,
    EmulatorProcess,
)

MAILBOX = "jimukyoku@example.org"
NEW_APPLICATIONS = 100
DECISIONS = 10


@dataclass
class Phase:
    name: str
    requests: dict[str, int] = field(default_factory=dict)  # Google method id → calls
    api_requests: int = 0  # excluding emails and tokens
    emails: int = 0
    tokens: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    mail_wall_s: float = 0.0
    mail_cpu_s: float = 0.0
    emulator_cpu_s: float = 0.0  # the emulator's CPU during the cycle (in the wall time)
    peak_rss_mb: float = 0.0
    ledger_bytes: int = 0
    new_applications: int = 0
    new_registrations: int = 0
    sent: int = 0
    waiting: int = 0
    note: str = ""


class MailClock:
    """Times ``deliver`` inside ``run_cycle`` so the cycle's figures can leave it out."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.original: Callable[..., Any] = run_once.deliver

    def __enter__(self) -> MailClock:
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.wall += time.perf_counter() - wall
                self.cpu += time.process_time() - cpu

        run_once.deliver = timed
        return self

    def __exit__(self, *exc: object) -> None:
        run_once.deliver = self.original


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def split(counters: dict[str, int]) -> tuple[int, int, int]:
    emails = sum(n for m, n in counters.items() if m.startswith("gmail."))
    tokens = sum(n for m, n in counters.items() if m.startswith("oauth2."))
    return sum(counters.values()) - emails - tokens, emails, tokens


def write_config(folder: Path, emu: EmulatorProcess, gmail: bool) -> Path:
    key = folder / "key.json"
    key.write_text(json.dumps(emu.service_account_info_cache), encoding="utf-8")
    key.chmod(0o600)
    (folder / "client_key").write_text("bench-client-key-0123456789abcdef\n", encoding="utf-8")
    (folder / "client_key").chmod(0o600)
    config = {
        "source": {
            "kind": "forms_api",
            "registration_form_id": data.form_json("registration")["formId"],
            "application_form_id": data.form_json("application")["formId"],
        },
        "sheet": {"kind": "google", "spreadsheet_id": STATUS_ID},
        "mail": {
            "kind": "gmail" if gmail else "outbox",
            "path": "outbox",
            "per_minute": 1_000_000,  # no pacing sleeps: the mail step is not timed anyway
            "staff_to": [MAILBOX],
        },
        "state": {"path": "ledger.sqlite3", "backups": 0},
        # the whole history arrives in one cycle and its mail is what the bench measures
        # against the daily limit: the surge guard (issue 10 §5) would hold all of it
        "intake": {"surge_limit": 10_000_000},
        "budget": {"total_yen": 10_000_000_000},
        "privacy": {"client_key_file": "client_key"},
        "google": {"credentials_file": "key.json", "subject": MAILBOX, "api_base": emu.base_url},
        "logging": {"level": "WARNING"},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def ledger_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("ledger.sqlite3*"))


@contextmanager
def profiled(target: Path | None) -> Iterator[None]:
    if target is None:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(profiler.output_text(unicode=True, show_all=False), encoding="utf-8")


def staff_decisions(emu: EmulatorProcess, count: int) -> list[str]:
    """Staff type 承認 in 審査 for ``count`` applications waiting for review."""
    rows = emu.dump(STATUS_ID)["申請"]
    header = rows[0]
    verdict, review, number = header.index("判定"), header.index("審査"), header.index("申請番号")
    column = chr(ord("A") + review)
    chosen = []
    for index, row in enumerate(rows[1:], start=2):
        if len(chosen) == count:
            break
        if len(row) > verdict and row[verdict] == "審査待ち":
            emu.staff_set_cell(STATUS_ID, "申請", f"{column}{index}", "承認")
            chosen.append(row[number])
    return chosen


class Worker:
    def __init__(self, emu: EmulatorProcess, folder: Path, gmail: bool) -> None:
        self.emu = emu
        self.folder = folder
        self.gmail = gmail
        tune_collector()  # as bansou-sync's command line does before any command
        settings = load_config(write_config(folder, emu, self.gmail))
        self.ledger = Ledger.open(Path(settings.state.path))
        self.services = build_services(settings, self.ledger)
        self.warm = WarmCycle()  # kept from cycle to cycle, as ``bansou-sync run`` does

    def cycle(self, name: str, now: datetime, profile: Path | None = None) -> Phase:
        self.emu.reset_counters()
        emulator = self.emu.cpu_seconds()
        with MailClock() as mail, profiled(profile):
            wall, cpu = time.perf_counter(), time.process_time()
            summary = run_once.run_cycle(self.services, now, warm=self.warm)
            settle_heap()  # as the service does after each cycle
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        emulator = self.emu.cpu_seconds() - emulator
        counters = self.emu.counters()
        api, emails, tokens = split(counters)
        return Phase(
            name=name,
            requests=dict(sorted(counters.items())),
            api_requests=api,
            emails=emails,
            tokens=tokens,
            statuses=self.emu.statuses(),
            wall_s=round(wall - mail.wall, 4),
            cpu_s=round(cpu - mail.cpu, 4),
            mail_wall_s=round(mail.wall, 4),
            mail_cpu_s=round(mail.cpu, 4),
            emulator_cpu_s=round(emulator, 2),
            peak_rss_mb=round(peak_rss_mb(), 1),
            ledger_bytes=ledger_bytes(self.folder),
            new_applications=summary.new_applications,
            new_registrations=summary.new_registrations,
            sent=summary.sent,
            waiting=summary.waiting,
        )


def baseline_client(emu: EmulatorProcess) -> Any:
    from google.oauth2 import service_account

    from bansou_sync.adapters.gspread_http import gspread_client

    info = {**emu.service_account_info_cache, "token_uri": emu.base_url + "/token"}
    creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        info, scopes=["https://www.googleapis.com/auth/spreadsheets"]
    ).with_subject(MAILBOX)
    return gspread_client(creds, emu.base_url, 60.0)


def baseline_phase(emu: EmulatorProcess, name: str, sync: Any) -> Phase:
    emu.reset_counters()
    wall, cpu = time.perf_counter(), time.process_time()
    added = sync.cycle()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    counters = emu.counters()
    api, emails, tokens = split(counters)
    return Phase(
        name=name,
        requests=dict(sorted(counters.items())),
        api_requests=api,
        emails=emails,
        tokens=tokens,
        statuses=emu.statuses(),
        wall_s=round(wall, 4),
        cpu_s=round(cpu, 4),
        new_applications=added,
    )


def run(
    size: data.Size,
    latency: float,
    *,
    baseline: bool = True,
    baseline_backfill: bool = False,
    skip_backfill_latency: bool = False,
    gmail: bool = True,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    from bench.baseline import NaiveSync, status_fixture

    quota = latency > 0
    out: dict[str, Any] = {"size": size.label, "registrations": size.registrations}
    out |= {"applications": size.applications, "latency_s": latency, "quota": quota}
    started = time.perf_counter()
    with EmulatorProcess(size, baseline=baseline) as emu, tempfile.TemporaryDirectory() as tmp:
        out["setup_s"] = round(time.perf_counter() - started, 2)
        out["rss_before_mb"] = round(peak_rss_mb(), 1)
        emu.service_account_info_cache = emu.service_account()
        # emails go through Gmail in the latency-0 run only (counted there; see docs)
        worker = Worker(emu, Path(tmp), gmail and latency == 0)
        backfill_at = data.BACKFILL_AT.replace(tzinfo=JST)
        phases: list[Phase] = []
        if latency > 0 and skip_backfill_latency:
            # the ledger is filled at latency 0; only the later cycles pay the latency
            phase = worker.cycle("backfill", backfill_at)
            phase.note = "measured at latency 0 (latency run skipped for this size)"
            phases.append(phase)
            emu.set_latency(latency)
            emu.set_quota(quota)
        else:
            emu.set_latency(latency)
            emu.set_quota(quota)
            profile = profile_dir / f"backfill-{size.label}.txt" if profile_dir else None
            phases.append(worker.cycle("backfill", backfill_at, profile))
        # The first cycle after the backfill reads the staff columns of the rows the
        # backfill wrote (and stores a desk per supporter): it is reported apart from
        # the idle cycle of a daemon that polls with nothing new, the one after it.
        first = worker.cycle("idle-first", backfill_at + timedelta(minutes=5))
        first.note = "the first cycle after the backfill: reads the rows it wrote once"
        phases.append(first)
        profile = profile_dir / f"idle-{size.label}.txt" if profile_dir else None
        phases.append(worker.cycle("idle", backfill_at + timedelta(minutes=6), profile))
        incremental_at = backfill_at + timedelta(minutes=10)
        fresh = data.new_applications(
            NEW_APPLICATIONS,
            size.registrations,
            size.applications,
            incremental_at.replace(tzinfo=None),
        )
        app_form = data.form_json("application")["formId"]
        emu.add_responses(app_form, fresh)
        decided = staff_decisions(emu, DECISIONS)
        profile = profile_dir / f"incremental-{size.label}.txt" if profile_dir else None
        inc = worker.cycle("incremental", incremental_at, profile)
        inc.note = f"{len(fresh)} new applications, {len(decided)} staff decisions"
        phases.append(inc)
        phases.append(worker.cycle("idle-after", incremental_at + timedelta(minutes=5)))
        out["phases"] = [asdict(p) for p in phases]
        worker.ledger.close()

        if baseline:
            emu.set_quota(False)  # the baseline would stall on 429s: its quota floor is computed
            client = baseline_client(emu)
            sync = NaiveSync(client)
            base: list[Phase] = []
            if baseline_backfill:
                empty = status_fixture({})
                emu.load_sheet(empty)
                base.append(baseline_phase(emu, "backfill", sync))
            else:
                history = {
                    form: client.open_by_key(sid).worksheet(BASELINE_TAB).get_all_values()
                    for form, sid in BASELINE_RESPONSES.items()
                }
                emu.load_sheet(status_fixture(history))
                sync.done = {form: len(rows) - 1 for form, rows in history.items()}
            # the form appends the new responses to its linked sheet (not counted)
            rows = data.sheet_rows(data.form_json("application"), fresh)[1:]
            client.open_by_key(BASELINE_RESPONSES["application"]).worksheet(
                BASELINE_TAB
            ).append_rows(rows, value_input_option="RAW")
            for i in range(DECISIONS):
                emu.staff_set_cell(BASELINE_STATUS_ID, "申請", f"G{2 + 3 * i}", "承認")
            base.append(baseline_phase(emu, "incremental", sync))
            out["baseline"] = [asdict(p) for p in base]
    out["total_s"] = round(time.perf_counter() - started, 2)
    return out


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    size = next(s for s in data.SIZES if s.label == spec["size"])
    profile = Path(spec["profile_dir"]) if spec.get("profile_dir") else None
    result = run(
        size,
        float(spec["latency"]),
        baseline=spec.get("baseline", True),
        baseline_backfill=spec.get("baseline_backfill", False),
        skip_backfill_latency=spec.get("skip_backfill_latency", False),
        gmail=spec.get("gmail", True),
        profile_dir=profile,
    )
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    os._exit(0)  # the emulator child is already stopped; skip slow interpreter teardown


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
