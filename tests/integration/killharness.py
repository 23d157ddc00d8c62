"""Kill harness: SIGKILL the real ``bansou-sync once`` at random moments, restart, check.

    python -m tests.integration.killharness --kills 1000 [--registrations 400]
        [--applications 3000] [--steps 40] [--seed 1] [--backend local|google|google-full]
        [--json out/soak.json] [--keep DIR]

A *round* is one fictitious programme (``generate``: registrations, applications,
deficient ones resubmitted, short ones, duplicates, companions, clients seen on several
days — example.com addresses, 090-0000-xxxx phones) played through the real CLI in a
process of its own (forked from a server that imported the CLI once: ``_cycles``),
``--now`` advancing day by day. Before each step the responses submitted
by then are in the source (the CSV export grows, or the emulator's form gets them).
Each step launches the process, waits a random delay (seeded) between 0 and the typical
cycle duration and sends SIGKILL if it is still running; then it restarts, perhaps
kills again, and finally lets it finish. Between launches a member of staff types here
and there (承認/差戻し/却下, paperwork ticks, 支払済). After the last step the clock
jumps past every deadline and pay date, the outbox is drained day by day, and
``check`` verifies the invariants of SPEC §6–§7:

* every response is in the ledger and has exactly one row (申請, or 伴走者 unless it
  is a duplicate registration); no 伴走ネットID, 申請番号 or 相談者コード is assigned twice
  or skipped, and each 相談者コード belongs to exactly one fictitious client;
* no Message-ID was delivered twice, every email the ledger holds as sent was delivered
  exactly once and nothing was delivered that the ledger does not hold as sent; nothing
  is left pending, sending or for review; every response's first email exists once;
* the sheet equals the projection of the ledger, and one more cycle changes nothing on
  it and sends nothing.

Backends: ``local`` (csv source, local sheet, outbox folder), ``google`` (the status
sheet in the in-process emulator), ``google-full`` (also ``source: forms_api`` and
``mail: gmail``, when those adapters exist). The emulator runs in this process, so the
cycle's process reaches it over loopback like any Google client would.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import email
import email.policy
import functools
import io
import json
import multiprocessing
import multiprocessing.context
import os
import random
import runpy
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

import yaml

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.adapters.ledger import Ledger
from bansou_sync.app.tabs import project
from bansou_sync.bootstrap import policy_from
from bansou_sync.config import load_config
from bansou_sync.core.tabs import ALL_TABS
from bansou_sync.crashpoints import CRASH_EXIT

JST = ZoneInfo("Asia/Tokyo")
MAIN = Path(__file__).resolve().parents[2]
CLIENT_KEY = "kill-harness-client-key-0123456789abcdef"
STAFF = "jimukyoku@example.org"
START = date(2022, 5, 25)
BOOK = "kill-harness-status"
FIRST_KINDS = {
    "registration": {"registration_confirmed", "registration_duplicate"},
    "application": {"application_received", "application_deficient", "application_ineligible"},
}
TOPICS = ("生活保護・生活困窮", "住まい", "医療", "仕事・労働", "在留資格", "行政手続き")
PLACES = ("市区町村役所", "福祉事務所", "入管", "病院", "ハローワーク")
NATIONS = ("架空国A", "架空国B", "架空国C", "架空国D", "架空国E", "架空国F")
INITIALS = "ABDEFGHKLMNPRSTVY"
CRASH_VARIABLES = ("BANSOU_CRASH_AT", "BANSOU_SLOW_AT")
# what ``bansou-sync once`` imports, loaded once in the fork server (see ``_cycles``);
# a module that is not there (renamed on another branch) is passed over
PRELOAD = [
    "bansou_sync.cli",
    "bansou_sync.cli_cycle",
    "bansou_sync.bootstrap",
    "bansou_sync.app.run_once",
    "bansou_sync.adapters.forms_api",
    "bansou_sync.adapters.gmail",
    "bansou_sync.adapters.google_sheet",
    "bansou_sync.adapters.gspread_http",
]


@functools.cache
def _cycles() -> multiprocessing.context.ForkServerContext:
    """Where each cycle's process comes from: a fork server that has imported the
    product once, so that a launch is a fork of an interpreter with the CLI loaded
    (milliseconds) instead of a new interpreter importing pandas, the Google clients and
    pydantic (about 1.5 s of CPU). The cycle is still its own process, with its own
    working folder, environment, output and exit code, SIGKILLed or dying at a crash
    point as ``python -m bansou_sync.cli once`` would; only the imports before ``main``
    are not repeated (a kill there would test nothing). The start-up of the real command
    is tested where it matters (``test_cli_service``, ``test_log_privacy``, the set-up
    commands' first runs)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _cycle_process(arguments: list[str], root: Path, env: dict[str, str], log: Path) -> None:
    """In the forked process: ``python -m bansou_sync.cli ARGUMENTS`` in ``root`` with
    ``env``, its output appended to ``log``; the exit code is the command's."""
    os.chdir(root)
    os.environ.clear()
    os.environ.update(env)
    sink = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    os.close(sink)
    sys.argv = ["-m", *arguments]  # run_module puts the module's path first, as -m does
    runpy.run_module("bansou_sync.cli", run_name="__main__", alter_sys=True)


# --- a fictitious programme --------------------------------------------------------------


@dataclass
class Response:
    form: str  # registration | application
    at: datetime  # JST
    answers: dict[str, str]
    client: tuple[str, str, str] | None = None  # (initials, birth year, nationality)
    duplicate: bool = False  # a registration that repeats an earlier person
    resubmits: Response | None = None
    number: str = ""  # the 伴走ネットID / 申請番号 it should get (submission order)

    @property
    def csv_stamp(self) -> str:
        t = self.at
        return f"{t.year}/{t.month:02d}/{t.day:02d} {t.hour}:{t.minute:02d}:{t.second:02d}"

    @property
    def response_id(self) -> str:  # what the CSV source makes of a unique timestamp
        return f"{self.at.strftime('%Y-%m-%d %H:%M:%S')}#1"


@dataclass
class Programme:
    registrations: list[Response]
    applications: list[Response]

    @property
    def last_submission(self) -> datetime:
        return max(r.at for r in [*self.registrations, *self.applications])


def _instant(rng: random.Random, day: date, used: set[datetime], earliest: int = 7) -> datetime:
    while True:
        t = datetime(
            day.year,
            day.month,
            day.day,
            rng.randrange(earliest, 24),
            rng.randrange(60),
            rng.randrange(60),
            tzinfo=JST,
        )
        if t not in used:  # a CSV export identifies a response by its timestamp
            used.add(t)
            return t


def generate(seed: int, registrations: int, applications: int, days: int = 150) -> Programme:
    """A deterministic fictitious programme: the same arguments give the same responses."""
    rng = random.Random(seed)
    used: set[datetime] = set()
    regs: list[Response] = []
    for i in range(1, registrations + 1):
        early = rng.random() < 0.6
        day = START + timedelta(days=rng.randrange(10) if early else rng.randrange(days * 2 // 3))
        if regs and rng.random() < 0.02:  # the same person registers again, later
            first = rng.choice(regs[: max(1, len(regs) // 2)])
            if not first.duplicate and first.answers["email"]:
                regs.append(
                    Response(
                        "registration",
                        _instant(rng, max(day, first.at.date() + timedelta(days=1)), used),
                        dict(first.answers),
                        duplicate=True,
                    )
                )
                continue
        membership = rng.choices(("会員", "会員の紹介", "どちらでもない"), (85, 10, 5))[0]
        answers = {
            "name": f"架空 伴走{i:04d}",
            "kana": "かくう ばんそう",
            "email": "" if rng.random() < 0.01 else f"volunteer{seed % 1000}-{i:04d}@example.com",
            "phone": f"090-0000-{i:04d}",
            "postal_code": "100-0001",
            "address": f"東京都千代田区架空町{i % 9 + 1}-{i % 20 + 1}",
            "membership": membership,
            "referrer": "架空 紹介者" if membership == "会員の紹介" else "",
            "prefecture": rng.choice(("東京都", "神奈川県", "大阪府", "愛知県")),
            "languages": ", ".join(rng.sample(("日本語", "英語", "ベトナム語", "中国語"), 2)),
            "wants_course": rng.choice(("はい", "いいえ")),
            "consent": "同意します",
        }
        regs.append(Response("registration", _instant(rng, day, used), answers))
    regs.sort(key=lambda r: r.at)
    ids = 0
    for reg in regs:
        if not reg.duplicate:
            ids += 1
            reg.number = f"BN-{ids:04d}"
    members = [r for r in regs if r.number]

    apps: list[Response] = []
    clients: list[tuple[tuple[str, str, str], set[date]]] = []
    while len(apps) < applications:
        support = START + timedelta(days=5 + rng.randrange(days - 10))
        pool = [r for r in members if r.at.date() < support]
        if not pool:
            continue
        sup = rng.choice(pool)
        reusable = [c for c in clients if len(c[1]) < 3 and support not in c[1]]
        if reusable and rng.random() < 0.4:
            client, seen = rng.choice(reusable)
        else:
            client = (
                "".join(rng.sample(INITIALS, 2)),
                str(rng.randrange(1950, 2005)),
                rng.choice(NATIONS),
            )
            seen = set()
            clients.append((client, seen))
        seen.add(support)
        start_h = rng.randrange(8, 17)
        short = rng.random() < 0.03
        minutes = 30 if short else rng.choice((60, 90, 120, 150, 180, 240))
        end = start_h * 60 + minutes
        others = [r for r in pool if r is not sup]
        answers = {
            "supporter_id": sup.number,
            "name": sup.answers["name"],
            "email": sup.answers["email"] or f"typed{len(apps)}@example.com",
            "support_date": support.strftime("%Y/%m/%d"),
            "start_time": f"{start_h}:00:00",
            "end_time": f"{end // 60}:{end % 60:02d}:00",
            "companion_id": rng.choice(others).number if others and rng.random() < 0.1 else "",
            "client_code": "",
            "client_initials": client[0],
            "client_birth_year": client[1],
            "client_nationality": client[2],
            "topics": ", ".join(sorted(rng.sample(TOPICS, rng.randrange(1, 3)), key=TOPICS.index)),
            "destinations": rng.choice(PLACES),
            "outcomes": "なし",
            "narrative": "架空の支援内容です。窓口に同行しました。",
            "resubmission_of": "",
            "consent": "" if rng.random() < 0.05 else "同意します",
        }
        offset = rng.choice((0, 1, 1, 2, 3, 5, 8))
        earliest = min(23, end // 60 + 1) if offset == 0 else 7
        at = _instant(rng, support + timedelta(days=offset), used, earliest)
        app = Response("application", at, answers, client=client)
        apps.append(app)
        if not answers["consent"] and rng.random() < 0.6 and len(apps) < applications:
            again = Response(  # the deficient one is answered again, with consent
                "application",
                _instant(rng, at.date() + timedelta(days=rng.randrange(1, 5)), used),
                {**answers, "consent": "同意します"},
                client=client,
                resubmits=app,
            )
            apps.append(again)
    apps.sort(key=lambda a: a.at)
    for n, app in enumerate(apps, start=1):
        app.number = f"A-{n:06d}"
    for app in apps:
        if app.resubmits is not None:
            app.answers["resubmission_of"] = app.resubmits.number
    return Programme(regs, apps)


def export_csv(titles: Mapping[str, str], responses: Sequence[Response]) -> str:
    """A Google Forms CSV export of ``responses``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["タイムスタンプ", *titles.values()])
    for r in responses:
        writer.writerow([r.csv_stamp, *(r.answers.get(f, "") for f in titles)])
    return buffer.getvalue()


# --- where the sheet and the mail live ----------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    message_id: str
    kind: str
    ref: str


class Backend(Protocol):
    name: str

    def config(self, root: Path) -> dict[str, Any]: ...
    def publish(self, root: Path, programme: Programme, now: datetime) -> None: ...
    def tabs(self, root: Path) -> dict[str, list[dict[str, str]]]: ...
    def type_cells(self, root: Path, tab: str, edits: Mapping[int, Mapping[str, str]]) -> None:
        """Staff type ``edits`` = {row index in ``tabs()[tab]``: {header: value}}."""

    def delivered(self, root: Path) -> list[Delivered]: ...
    def close(self) -> None: ...


def _read_tab_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


class LocalBackend:
    """csv source, ``sheet: local``, ``mail: outbox`` — the embedded default."""

    name = "local"

    def config(self, root: Path) -> dict[str, Any]:
        return {
            "source": {"kind": "csv", "registrations": "reg.csv", "applications": "app.csv"},
            "sheet": {"kind": "local", "path": "out/status"},
            "mail": {"kind": "outbox", "path": "out/outbox"},
        }

    def publish(self, root: Path, programme: Programme, now: datetime) -> None:
        for name, titles, responses in (
            ("reg.csv", REGISTRATION_TITLES, programme.registrations),
            ("app.csv", APPLICATION_TITLES, programme.applications),
        ):
            due = [r for r in responses if r.at <= now]
            (root / name).write_text(export_csv(titles, due), encoding="utf-8")

    def tabs(self, root: Path) -> dict[str, list[dict[str, str]]]:
        return {t.name: _read_tab_csv(root / "out" / "status" / f"{t.name}.csv") for t in ALL_TABS}

    def type_cells(self, root: Path, tab: str, edits: Mapping[int, Mapping[str, str]]) -> None:
        path = root / "out" / "status" / f"{tab}.csv"
        text = path.read_bytes().decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline="")))
        header = records[0]
        for index, cells in edits.items():
            row = records[index + 1]
            row += [""] * (len(header) - len(row))
            for column, value in cells.items():
                row[header.index(column)] = value
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(records)
        path.write_bytes(buffer.getvalue().encode("utf-8-sig"))  # as Excel saves it

    def delivered(self, root: Path) -> list[Delivered]:
        out = []
        for path in sorted((root / "out" / "outbox").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            out.append(
                Delivered(
                    str(message["Message-ID"]),
                    str(message["X-Bansou-Kind"]),
                    str(message["X-Bansou-Ref"]),
                )
            )
        return out

    def close(self) -> None:
        pass


class GoogleBackend(LocalBackend):
    """``sheet: google`` in the in-process emulator; with ``full``, also ``source:
    forms_api`` and ``mail: gmail``."""

    def __init__(self, full: bool = False, behaviour: str = "move") -> None:
        """``behaviour`` "stay": a sort leaves row metadata at its position (Google does
        not document which, issue 11 §2), and staff sort each tab they type in."""
        from bansou_sync.emulator.server import start_emulator

        self.full = full
        self.sorts = behaviour == "stay"
        self.name = "google-full" if full else "google-stay" if self.sorts else "google"
        self.emu = start_emulator(
            MAIN / "reference" if full else None, row_metadata_on_sort=behaviour
        )
        self.emu.sheets.load_fixture({"spreadsheetId": BOOK, "title": "伴走支援 状況"})
        self.form_ids: dict[str, str] = {}
        self.published: dict[str, int] = {"registration": 0, "application": 0}
        if full:
            for form in ("registration", "application"):
                spec = json.loads(
                    (MAIN / "reference" / "forms" / f"{form}.form.json").read_text("utf-8")
                )
                spec["formId"] = f"kill-harness-{form}"
                self.emu.forms.load_form(spec, [])
                self.form_ids[form] = spec["formId"]

    def config(self, root: Path) -> dict[str, Any]:
        key = self.emu.write_service_account_file(root / "service-account.json")
        key.chmod(0o600)
        base = super().config(root)
        base["sheet"] = {"kind": "google", "spreadsheet_id": BOOK}
        base["google"] = {"credentials_file": str(key), "api_base": self.emu.base_url}
        if self.full:
            base["source"] = {
                "kind": "forms_api",
                "registration_form_id": self.form_ids["registration"],
                "application_form_id": self.form_ids["application"],
            }
            base["google"]["subject"] = STAFF
            base["mail"] = {"kind": "gmail", "per_minute": 100_000}  # no 3 s pacing here
        return base

    def publish(self, root: Path, programme: Programme, now: datetime) -> None:
        if not self.full:
            super().publish(root, programme, now)
            return
        titles = {"registration": REGISTRATION_TITLES, "application": APPLICATION_TITLES}
        for form, responses in (
            ("registration", programme.registrations),
            ("application", programme.applications),
        ):
            due = [r for r in responses if r.at <= now][self.published[form] :]
            if not due:
                continue
            self.emu.forms.add_responses(
                self.form_ids[form],
                [_forms_response(r, titles[form]) for r in due],
            )
            self.published[form] += len(due)

    def tabs(self, root: Path) -> dict[str, list[dict[str, str]]]:
        dump = self.emu.sheets.dump(BOOK)
        out: dict[str, list[dict[str, str]]] = {}
        for layout in ALL_TABS:
            grid = dump.get(layout.name) or []
            if not grid:
                out[layout.name] = []
                continue
            header = [str(h) for h in grid[0]]
            rows = []
            for raw in grid[1:]:
                cells = [str(c) for c in raw] + [""] * (len(header) - len(raw))
                if any(cells):
                    rows.append(dict(zip(header, cells, strict=False)))
            out[layout.name] = rows
        return out

    def type_cells(self, root: Path, tab: str, edits: Mapping[int, Mapping[str, str]]) -> None:
        from bansou_sync.emulator.a1 import column_letters

        dump = self.emu.sheets.dump(BOOK)[tab]
        header = [str(h) for h in dump[0]]
        filled = [i for i, raw in enumerate(dump[1:], start=2) if any(str(c) for c in raw)]
        for index, cells in edits.items():
            for column, value in cells.items():
                cell = f"{column_letters(header.index(column))}{filled[index]}"
                self.emu.sheets.staff_set_cell(BOOK, tab, cell, value)
        if self.sorts:  # then they sort the tab, alternately by the name and back by key
            self.sorted = not getattr(self, "sorted", False)
            column = "氏名" if self.sorted else header[0]
            self.emu.sheets.staff_sort(BOOK, tab, column, descending=self.sorted)

    def delivered(self, root: Path) -> list[Delivered]:
        if not self.full:
            return super().delivered(root)
        out = []
        for m in self.emu.gmail.sent():
            headers = m.message
            out.append(
                Delivered(
                    str(headers.get("Message-ID", "")),
                    str(headers.get("X-Bansou-Kind", "")),
                    str(headers.get("X-Bansou-Ref", "")),
                )
            )
        return out

    def close(self) -> None:
        self.emu.stop()


def _forms_response(r: Response, titles: Mapping[str, str]) -> dict[str, Any]:
    created = r.at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    answers: dict[str, Any] = {}
    for field_name, title in titles.items():
        value = r.answers.get(field_name, "")
        if value:
            answers[title] = value.split(", ") if field_name in MULTI else value
    return {"createTime": created, "lastSubmittedTime": created, "answers": answers}


MULTI = {"languages", "topics", "destinations", "outcomes"}


def make_backend(name: str) -> Backend:
    if name == "local":
        return LocalBackend()
    if name in ("google", "google-full"):
        return GoogleBackend(full=name == "google-full")
    if name == "google-stay":
        return GoogleBackend(behaviour="stay")
    raise ValueError(f"unknown backend {name!r}")


def full_google_available() -> bool:
    """Whether ``source: forms_api`` and ``mail: gmail`` can be configured yet."""
    import importlib.util

    return all(
        importlib.util.find_spec(f"bansou_sync.adapters.{m}") is not None
        for m in ("forms_api", "gmail")
    ) and "forms_api" in (MAIN / "bansou_sync" / "bootstrap.py").read_text("utf-8")


# --- one round: a programme played through kills ------------------------------------------


@dataclass
class Stats:
    kills: int = 0
    launches: int = 0
    completed: int = 0
    failed: int = 0  # non-zero exits other than by our SIGKILL
    cycle_seconds: list[float] = field(default_factory=list)
    kill_phases: Counter[str] = field(default_factory=Counter)
    staff_edits: int = 0
    steps: int = 0


@dataclass
class Round:
    root: Path
    programme: Programme
    backend: Backend
    rng: random.Random
    daily_limit: int = 600
    now: datetime = field(default_factory=lambda: datetime(2022, 5, 25, tzinfo=JST))  # latest run
    stats: Stats = field(default_factory=Stats)
    failures: list[str] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.root / "config.yaml"

    @property
    def ledger_path(self) -> Path:
        return self.root / "out" / "ledger.sqlite3"

    def set_up(self) -> None:
        config = self.backend.config(self.root)
        config["mail"] |= {"staff_to": [STAFF], "daily_limit": self.daily_limit}
        config["state"] = {"path": "out/ledger.sqlite3"}
        config["logging"] = {"level": "INFO", "format": "text"}
        self.config_path.write_text(
            yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )

    # -- launching ------------------------------------------------------------------------

    def _arguments(self, now: datetime) -> list[str]:
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S+09:00")
        return ["once", "--config", str(self.config_path), "--now", stamp]

    def launch(
        self, now: datetime, kill_after: float | None, env: Mapping[str, str] | None = None
    ) -> str:
        """Run one cycle; SIGKILL it after ``kill_after`` seconds if still running.
        Returns ``killed``, ``completed`` or ``failed``."""
        before = ledger_marks(self.ledger_path)
        environment = {k: v for k, v in os.environ.items() if k not in CRASH_VARIABLES}
        environment |= {"BANSOU_CLIENT_KEY": CLIENT_KEY, **(env or {})}
        log = self.root / "out" / "runs.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.stats.launches += 1
        self.now = now
        started = time.monotonic()
        proc = _cycles().Process(
            target=_cycle_process, args=(self._arguments(now), self.root, environment, log)
        )
        proc.start()
        try:
            proc.join(timeout=kill_after if kill_after is not None else 600)
            if proc.exitcode is None:
                proc.kill()  # SIGKILL
                proc.join()
                if kill_after is None:
                    self._fail(f"{now}: the cycle did not end within 600 s")
                    return "failed"
                self.stats.kills += 1
                self.stats.kill_phases[kill_phase(before, ledger_marks(self.ledger_path))] += 1
                return "killed"
            code = proc.exitcode
        finally:
            proc.close()
        elapsed = time.monotonic() - started
        if code == 0:
            self.stats.completed += 1
            self.stats.cycle_seconds.append(elapsed)
            return "completed"
        if env and code == CRASH_EXIT:  # a deterministic crash point (BANSOU_CRASH_AT)
            return "killed"
        self.stats.failed += 1
        tail = log.read_text("utf-8", errors="replace")[-2000:]
        self._fail(f"{now}: exit {code}\n{tail}")
        return "failed"

    def typical_seconds(self) -> float:
        """How long a cycle that has work to do takes: the longest of the recent ones
        (restarts after a kill and idle cycles are shorter)."""
        recent = self.stats.cycle_seconds[-6:]
        return max(recent) if recent else 2.0

    def finish(self, now: datetime) -> None:
        if self.launch(now, None) != "completed":
            raise HarnessError("\n".join(self.failures[-1:]))

    def _fail(self, text: str) -> None:
        self.failures.append(text)

    # -- a member of staff ----------------------------------------------------------------

    def staff_types(self, now: datetime) -> None:
        tabs = self.backend.tabs(self.root)
        rng = self.rng
        apps = tabs.get("申請", [])
        waiting = [i for i, r in enumerate(apps) if r.get("状態コード") in ("pending_review",)]
        edits: dict[int, dict[str, str]] = {}
        for i in rng.sample(waiting, min(len(waiting), rng.randrange(0, 40))):
            if apps[i].get("審査"):
                continue
            decision = rng.choices(("承認", "差戻し", "却下", "承認 "), (80, 8, 4, 8))[0]
            edits[i] = {"審査": decision}
            if decision == "差戻し":
                edits[i]["審査メモ"] = "支援内容の記載が不足しています(架空)"
        ineligible = [i for i, r in enumerate(apps) if r.get("状態コード") == "ineligible"]
        if ineligible and rng.random() < 0.1:
            edits[rng.choice(ineligible)] = {"審査": "承認"}  # an override, now and then
        if edits:
            self.backend.type_cells(self.root, "申請", edits)
        sups = tabs.get("伴走者", [])
        fresh = [i for i, r in enumerate(sups) if not r.get("覚書受領")]
        ticks = {
            i: {"覚書受領": "TRUE", "口座届出受領": "TRUE"}
            for i in rng.sample(fresh, min(len(fresh), rng.randrange(0, 25)))
        }
        if ticks:
            self.backend.type_cells(self.root, "伴走者", ticks)
        pays = tabs.get("支払", [])
        today = now.date().isoformat()
        due = [
            i
            for i, r in enumerate(pays)
            if r.get("状態") == "予定"
            and "" < r.get("支払予定日", "") <= today
            and not r.get("支払済")
        ]
        paid = {i: {"支払済": "TRUE"} for i in due if rng.random() < 0.7}
        if paid:
            self.backend.type_cells(self.root, "支払", paid)
        self.stats.staff_edits += len(edits) + len(ticks) + len(paid)

    # -- the schedule -------------------------------------------------------------------------

    def step(self, now: datetime, kills: int) -> None:
        """Publish what was submitted by ``now``, then kill ``kills`` times, then finish."""
        self.stats.steps += 1
        self.backend.publish(self.root, self.programme, now)
        for _ in range(kills):
            if self.rng.random() < 0.35 and self.stats.completed:
                self.staff_types(now)
            delay = self.rng.uniform(0, self.typical_seconds())
            if self.launch(now, delay) != "killed":
                break
        if self.rng.random() < 0.5 and self.stats.completed:
            self.staff_types(now)
        self.finish(now)

    def schedule(self, steps: int) -> list[datetime]:
        first = self.programme.registrations[0].at.date() + timedelta(days=1)
        last = self.programme.last_submission.date() + timedelta(days=1)
        span = (last - first).days
        hours = ((8, 15), (9, 30), (12, 0), (17, 45), (21, 0))
        out = []
        for i in range(steps):
            day = first + timedelta(days=round(i * span / max(1, steps - 1)))
            h, m = self.rng.choice(hours)
            out.append(datetime(day.year, day.month, day.day, h, m, tzinfo=JST))
        return sorted(set(out))

    def play(self, steps: int, kills: int) -> datetime:
        """Every step, then past every deadline, until ``kills`` kills happened; returns
        the final ``now``."""
        plan = self.schedule(steps)
        now = plan[0]
        for i, now in enumerate(plan):
            left = len(plan) - i
            self.step(
                now, -(-(kills - self.stats.kills) // left) if kills > self.stats.kills else 0
            )
        while self.stats.kills < kills:  # the responses are in; staff keep working
            now += timedelta(days=self.rng.choice((1, 2, 3)))
            self.step(now, min(3, kills - self.stats.kills))
        # past every reply deadline and pay date, then drain the daily limit
        now += timedelta(days=45)
        for _ in range(60):
            self.finish(now)
            if not outbox_counts(self.ledger_path).get("pending"):
                break
            now += timedelta(days=1)
        return now


class HarnessError(AssertionError):
    pass


# --- looking inside without disturbing ------------------------------------------------------


def _ro(path: Path) -> sqlite3.Connection:
    # read-only: closing it never checkpoints, so the crash image stays as the kill left it
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def ledger_marks(path: Path) -> tuple[int, int, int, int]:
    """(responses seen, cycles recorded, mails queued, mails sent or sending)."""
    if not path.exists():
        return (0, 0, 0, 0)
    try:
        with contextlib.closing(_ro(path)) as conn:
            seen = conn.execute("SELECT count(*) FROM seen").fetchone()[0]
            cycles = conn.execute("SELECT count(*) FROM cycles").fetchone()[0]
            queued = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
            moving = conn.execute(
                "SELECT count(*) FROM outbox WHERE status IN ('sent', 'sending')"
            ).fetchone()[0]
    except sqlite3.Error:
        return (0, 0, 0, 0)
    return (seen, cycles, queued, moving)


def kill_phase(before: tuple[int, ...], after: tuple[int, ...]) -> str:
    """Roughly where the kill landed, told by what reached the ledger."""
    if after[1] > before[1]:
        return "after the cycle was recorded (sheet write, backup)"
    if after[3] > before[3]:
        return "while sending"
    if after[0] > before[0] or after[2] > before[2]:
        return "after the commit, before sending"
    return "before the commit (start-up, reading, planning)"


def outbox_counts(path: Path) -> Counter[str]:
    with contextlib.closing(_ro(path)) as conn:
        rows = conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
    return Counter({status: n for status, n in rows})


# --- the invariants ---------------------------------------------------------------------------


@dataclass
class Findings:
    responses: int = 0
    emails: int = 0
    duplicates: int = 0  # Message-IDs delivered more than once
    losses: int = 0  # responses without their row or first email; sent mail not delivered
    problems: list[str] = field(default_factory=list)

    def add(self, text: str, *, duplicate: bool = False, loss: bool = False) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)
        self.duplicates += duplicate
        self.losses += loss
        if not (duplicate or loss):
            self.losses += 0


def _numbers(values: Sequence[str], prefix: str, what: str, found: Findings) -> None:
    counts = Counter(values)
    for value, n in counts.items():
        if n > 1:
            found.add(f"{what} {value} assigned {n} times", duplicate=True)
    numbers = sorted(int(v[len(prefix) :]) for v in counts if v.startswith(prefix))
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        found.add(f"{what}: numbers skipped ({numbers[:3]}…{numbers[-3:]})", loss=True)


def check(rnd: Round, *, final_now: datetime) -> Findings:
    """Everything ``generate``'s responses must have become, and nothing twice."""
    found = Findings()
    prog, backend, root = rnd.programme, rnd.backend, rnd.root
    with Ledger.open(rnd.ledger_path) as ledger:
        state = ledger.load_state()
        items = ledger.outbox_items()
        settings = load_config(rnd.config_path)
        expected = {t.name: t.rows for t in project(cast(Any, _Projector(ledger, settings)), state)}
    tabs = backend.tabs(root)
    found.responses = len(prog.registrations) + len(prog.applications)

    # responses → ledger → rows
    by_response = {r.response_id: r for r in state.registrations.values()}
    source_ids = {r.response_id: r for r in prog.registrations}
    if backend.name != "google-full":  # the Forms API makes its own response IDs
        for rid in set(source_ids) - set(by_response):
            found.add(f"registration {rid} is not in the ledger", loss=True)
    if len(by_response) != len(prog.registrations):
        found.add(
            f"{len(by_response)} registrations in the ledger, {len(prog.registrations)} sent",
            loss=len(by_response) < len(prog.registrations),
            duplicate=len(by_response) > len(prog.registrations),
        )
    supporter_rows = [r["伴走ネットID"] for r in tabs["伴走者"]]
    _numbers(supporter_rows, "BN-", "伴走ネットID", found)
    with_id = {r.supporter_id for r in state.registrations.values() if r.supporter_id}
    ids_in_ledger = [r.supporter_id for r in state.registrations.values() if r.supporter_id]
    _numbers(ids_in_ledger, "BN-", "伴走ネットID (ledger)", found)
    if set(supporter_rows) != with_id:
        found.add(f"伴走者 rows {len(supporter_rows)} ≠ registrations with an ID {len(with_id)}")
    expected_ids = sum(1 for r in prog.registrations if not r.duplicate)
    if len(supporter_rows) != expected_ids:
        found.add(
            f"伴走者 has {len(supporter_rows)} rows for {expected_ids} persons",
            loss=len(supporter_rows) < expected_ids,
            duplicate=len(supporter_rows) > expected_ids,
        )
    no_id = [r for r in state.registrations.values() if not r.supporter_id]
    if any(r.status.value != "duplicate" for r in no_id):
        found.add("a registration that is not a duplicate has no 伴走ネットID", loss=True)

    app_rows = tabs["申請"]
    _numbers([r["申請番号"] for r in app_rows], "A-", "申請番号", found)
    _numbers([a.app_no for a in state.applications.values()], "A-", "申請番号 (ledger)", found)
    response_rows = Counter(r["回答ID"] for r in app_rows)
    for rid, n in response_rows.items():
        if n > 1:
            found.add(f"application response {rid} has {n} rows", duplicate=True)
    if len(app_rows) != len(prog.applications):
        found.add(
            f"申請 has {len(app_rows)} rows for {len(prog.applications)} responses",
            loss=len(app_rows) < len(prog.applications),
            duplicate=len(app_rows) > len(prog.applications),
        )
    if backend.name != "google-full":
        for app in prog.applications:
            if response_rows.get(app.response_id, 0) == 0:
                found.add(f"application {app.response_id} has no row", loss=True)

    # 相談者コード: one per fictitious client, and never two clients on one code
    clients = {
        a.response_id: a.client for a in prog.applications if a.client is not None
    } | {  # the Forms API's own IDs: match by submission minute instead
        f"{a.at:%Y-%m-%d %H:%M:%S}": a.client for a in prog.applications if a.client
    }
    codes: dict[str, set[tuple[str, str, str]]] = {}
    of_client: dict[tuple[str, str, str], set[str]] = {}
    for record in state.applications.values():
        who = clients.get(record.response_id) or clients.get(
            f"{record.submitted_at:%Y-%m-%d %H:%M:%S}"
        )
        if not record.client_code or who is None:
            continue
        codes.setdefault(record.client_code, set()).add(who)
        of_client.setdefault(who, set()).add(record.client_code)
    for code, owners in codes.items():
        if len(owners) > 1:
            found.add(f"相談者コード {code} was given to {len(owners)} clients", duplicate=True)
    for given in of_client.values():
        if len(given) > 1:
            found.add(f"a client got {len(given)} 相談者コード {sorted(given)}", duplicate=True)
    _numbers(list(state.clients.values()), "C-", "相談者コード", found)

    # mail: delivered once each, exactly what the ledger holds as sent
    delivered = backend.delivered(root)
    found.emails = len(delivered)
    per_id = Counter(d.message_id for d in delivered)
    for mid, n in per_id.items():
        if n > 1:
            found.add(f"Message-ID {mid} delivered {n} times", duplicate=True)
    statuses = Counter(i.status for i in items)
    for status in ("pending", "sending", "review"):
        if statuses.get(status):
            found.add(f"{statuses[status]} emails left {status}", loss=True)
    sent_ids = {i.message_id for i in items if i.status == "sent" and i.kind != "unknown"}
    for mid in sent_ids - set(per_id):
        found.add(f"{mid} is sent in the ledger but was never delivered", loss=True)
    for mid in set(per_id) - {i.message_id for i in items if i.status == "sent"}:
        found.add(f"{mid} was delivered but the ledger does not hold it as sent", duplicate=True)
    first = Counter(i.event_key for i in items if i.event_key.startswith("response:"))
    for reg in state.registrations.values():
        key = f"response:registration:{reg.response_id}"
        wanted = 0 if reg.status.value == "needs_review" else 1
        if first.get(key, 0) != wanted:
            found.add(f"{key}: {first.get(key, 0)} first emails, {wanted} expected", loss=True)
    for record in state.applications.values():
        key = f"response:application:{record.response_id}"
        if first.get(key, 0) != 1:
            found.add(f"{key}: {first.get(key, 0)} first emails", loss=True)
    first_sent = [i for i in items if i.event_key.startswith("response:") and i.status != "sent"]
    for item in first_sent:
        if item.status != "failed" or item.to:
            found.add(f"first email {item.event_key} is {item.status}", loss=True)

    # the sheet is the ledger's projection (rows by key: staff may sort, and a Google
    # sheet keeps each row where it was first written)
    for layout in ALL_TABS:
        if layout.name not in expected:
            continue  # 操作 holds staff's own rows (their outcomes only are the daemon's)
        compare_tab(layout, tabs.get(layout.name, []), expected[layout.name], found)
    return found


def compare_tab(
    layout: Any, rows: list[dict[str, str]], want: Sequence[Sequence[object]], found: Findings
) -> None:
    daemon = [h for h in layout.headers if h not in layout.staff]
    if not layout.key:  # 同期: in order
        got_rows = [tuple(_cell(r.get(h, "")) for h in daemon) for r in rows]
        want_rows = [
            tuple(_cell(v) for h, v in zip(layout.headers, row, strict=True) if h in daemon)
            for row in want
        ]
        if got_rows != want_rows:
            found.add(f"{layout.name}: the sheet is not the ledger's projection")
        return
    positions = [layout.headers.index(k) for k in layout.key]
    projected = {
        tuple(_cell(row[i]) for i in positions): {
            h: _cell(v) for h, v in zip(layout.headers, row, strict=True) if h in daemon
        }
        for row in want
    }
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        key = tuple(_cell(row.get(k, "")) for k in layout.key)
        if key in seen:
            found.add(f"{layout.name} {key}: two rows on the sheet", duplicate=True)
        seen.add(key)
        if key not in projected:
            if not any(row.get(h) for h in layout.staff):
                found.add(f"{layout.name} {key}: a row the ledger does not project")
            continue  # kept because staff typed in it (reported in 同期), as documented
        for header, value in projected[key].items():
            if _cell(row.get(header, "")) != value:
                found.add(
                    f"{layout.name} {key} {header}: sheet {row.get(header)!r}, ledger {value!r}"
                )
                break
    for key in projected.keys() - seen:
        found.add(f"{layout.name} {key}: projected but not on the sheet", loss=True)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text.replace(",", "") if text.replace(",", "").isdigit() else text


@dataclass
class _Projector:
    """What ``project`` needs of ``Services``: the ledger and the policy (no emergency
    form is configured in these runs)."""

    ledger: Ledger
    settings: Any
    emergency: bool = False

    @property
    def policy(self) -> Any:
        return policy_from(self.settings)


def settle_and_compare(rnd: Round, now: datetime, found: Findings) -> None:
    """One more cycle changes nothing on the sheet (but 同期) and sends nothing."""
    before_tabs = rnd.backend.tabs(rnd.root)
    before_mail = len(rnd.backend.delivered(rnd.root))
    rnd.finish(now)
    after_tabs = rnd.backend.tabs(rnd.root)
    for layout in ALL_TABS:
        if layout.name == "同期":
            continue
        if before_tabs.get(layout.name) != after_tabs.get(layout.name):
            found.add(f"{layout.name} changed in a cycle that had nothing to do")
    if len(rnd.backend.delivered(rnd.root)) != before_mail:
        found.add("a cycle with nothing to do sent mail", duplicate=True)


def play_round(
    root: Path,
    backend: Backend,
    *,
    seed: int,
    registrations: int,
    applications: int,
    steps: int,
    kills: int,
) -> tuple[Stats, Findings]:
    rnd = Round(
        root,
        generate(seed, registrations, applications),
        backend,
        random.Random(seed),
        daily_limit=max(100, (registrations + applications) // 4),
    )
    rnd.set_up()
    now = rnd.play(steps, kills)
    rnd.finish(now)  # "the next cycle": the sheet now equals the ledger's projection
    found = check(rnd, final_now=now)
    settle_and_compare(rnd, now, found)
    found.problems += rnd.failures
    return rnd.stats, found


def play_crash_point(
    root: Path,
    backend: Backend,
    point: str,
    *,
    seed: int = 7,
    registrations: int = 15,
    applications: int = 50,
    steps: int = 2,
) -> tuple[int, Findings]:
    """Each step first dies at ``point`` (``BANSOU_CRASH_AT``), then runs again; returns
    how many runs died there and the findings."""
    rnd = Round(root, generate(seed, registrations, applications), backend, random.Random(seed))
    rnd.set_up()
    crashed = 0
    now = rnd.schedule(steps)[0]
    for now in rnd.schedule(steps):
        rnd.stats.steps += 1
        backend.publish(root, rnd.programme, now)
        if rnd.stats.completed:
            rnd.staff_types(now)
        outcome = rnd.launch(now, None, env={"BANSOU_CRASH_AT": point})
        crashed += outcome == "killed"
        rnd.finish(now)
    for days in (45,):  # past the reply deadlines and pay dates
        now += timedelta(days=days)
        if rnd.launch(now, None, env={"BANSOU_CRASH_AT": point}) == "killed":
            crashed += 1
        rnd.finish(now)
    found = check(rnd, final_now=now)
    settle_and_compare(rnd, now, found)
    found.problems += rnd.failures
    return crashed, found


def replay_round(root: Path, backend: Backend, seed: int = 3) -> Round:
    """A small programme played without kills (for checking the checker)."""
    rnd = Round(root, generate(seed, 10, 30), backend, random.Random(seed))
    rnd.set_up()
    for now in [*rnd.schedule(2), rnd.schedule(2)[-1] + timedelta(days=45)]:
        backend.publish(root, rnd.programme, now)
        rnd.finish(now)
    return rnd


# --- the soak command ---------------------------------------------------------------------------


@dataclass
class Summary:
    backend: str
    rounds: int = 0
    kills_survived: int = 0
    launches: int = 0
    responses: int = 0
    emails: int = 0
    duplicates: int = 0
    losses: int = 0
    failed_runs: int = 0
    problems: list[str] = field(default_factory=list)
    kill_phases: dict[str, int] = field(default_factory=dict)
    staff_edits: int = 0
    steps: int = 0
    median_cycle_seconds: float = 0.0
    wall_seconds: float = 0.0
    machine: str = ""
    command: str = ""


def machine() -> str:
    import platform

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs {cpu}".strip()


def soak(
    kills: int,
    *,
    backend_name: str,
    registrations: int,
    applications: int,
    steps: int,
    kills_per_round: int,
    seed: int,
    keep: Path | None,
    progress: Callable[[Summary], None] = lambda s: None,
) -> Summary:
    summary = Summary(backend=backend_name, machine=machine(), command=" ".join(sys.argv))
    started = time.monotonic()
    seconds: list[float] = []
    phases: Counter[str] = Counter()
    while summary.kills_survived < kills:
        summary.rounds += 1
        want = min(kills_per_round, kills - summary.kills_survived)
        with _folder(keep, f"round-{summary.rounds:03d}") as root:
            backend = make_backend(backend_name)
            try:
                stats, found = play_round(
                    root,
                    backend,
                    seed=seed + summary.rounds,
                    registrations=registrations,
                    applications=applications,
                    steps=steps,
                    kills=want,
                )
            except HarnessError as exc:
                summary.failed_runs += 1
                summary.problems.append(f"round {summary.rounds}: {exc}"[:2000])
                backend.close()
                break
            backend.close()
        summary.kills_survived += stats.kills
        summary.launches += stats.launches
        summary.failed_runs += stats.failed
        summary.responses += found.responses
        summary.emails += found.emails
        summary.duplicates += found.duplicates
        summary.losses += found.losses
        summary.problems += [f"round {summary.rounds}: {p}" for p in found.problems]
        summary.staff_edits += stats.staff_edits
        summary.steps += stats.steps
        seconds += stats.cycle_seconds
        phases.update(stats.kill_phases)
        summary.kill_phases = dict(phases)
        summary.median_cycle_seconds = round(statistics.median(seconds), 3) if seconds else 0
        summary.wall_seconds = round(time.monotonic() - started, 1)
        progress(summary)
    return summary


@contextlib.contextmanager
def _folder(keep: Path | None, name: str) -> Iterator[Path]:
    if keep is not None:
        path = keep / name
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="bansou-kill-") as tmp:
        yield Path(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--registrations", type=int, default=400)
    parser.add_argument("--applications", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=30, help="days with new responses per round")
    parser.add_argument("--kills-per-round", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20220525)
    parser.add_argument("--backend", choices=("local", "google", "google-full"), default="local")
    parser.add_argument("--json", type=Path, default=MAIN / "out" / "soak.json")
    parser.add_argument("--keep", type=Path, help="keep each round's folder under this path")
    args = parser.parse_args(argv)

    def progress(s: Summary) -> None:
        print(
            f"round {s.rounds}: {s.kills_survived} kills survived, {s.responses} responses,"
            f" {s.emails} emails, {s.duplicates} duplicates, {s.losses} losses,"
            f" {s.wall_seconds:.0f} s",
            flush=True,
        )
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(s), ensure_ascii=False, indent=2) + "\n", "utf-8")

    summary = soak(
        args.kills,
        backend_name=args.backend,
        registrations=args.registrations,
        applications=args.applications,
        steps=args.steps,
        kills_per_round=args.kills_per_round,
        seed=args.seed,
        keep=args.keep,
        progress=progress,
    )
    progress(summary)
    print(json.dumps(asdict(summary), ensure_ascii=False, indent=2))
    ok = (
        summary.kills_survived >= args.kills
        and not summary.duplicates
        and not summary.losses
        and not summary.problems
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
