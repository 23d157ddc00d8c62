"""End-to-end harness: a temp project folder, Google Forms CSV exports, the real CLI.

Each test gets a ``Project``: a folder with ``config.yaml`` (the embedded default:
csv source, local sheet, outbox mailer, SQLite ledger), ``reg.csv`` and ``app.csv``
written as Google Forms exports of the reference forms (SPEC §3), and helpers that run
``python -m bansou_sync.cli once`` (the real CLI's ``main``, in the test process:
``tests/inprocess.py``) and read back what a member of staff would see: the status CSVs under ``out/status`` and the ``.eml`` files under
``out/outbox``. Staff actions are simulated by editing the status CSVs between runs.
All data is fictitious (example.com, 090-0000-xxxx).
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from inprocess import run_cli

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.emulator.server import Emulator

MAIN = Path(__file__).resolve().parents[2]
TIMESTAMP = "タイムスタンプ"
STAFF = "jimukyoku@example.org"
STAFF_KINDS = ("staff_digest", "budget_warning", "form_close_request", "sync_failure", "surge_held")
FORM_URL = "https://docs.google.com/forms/d/e/EXAMPLE/viewform"
ENTRY_RESUBMISSION = 1000000001
ENTRY_SUPPORTER = 1000000002

DEFAULT_CONFIG: dict[str, Any] = {
    "source": {"kind": "csv", "registrations": "reg.csv", "applications": "app.csv"},
    "sheet": {"kind": "local", "path": "out/status"},
    "mail": {"kind": "outbox", "path": "out/outbox", "staff_to": [STAFF]},
    "state": {"path": "out/ledger.sqlite3"},
    "forms": {
        "application": {
            "url": FORM_URL,
            "entries": {
                "resubmission_of": ENTRY_RESUBMISSION,
                "supporter_id": ENTRY_SUPPORTER,
            },
        }
    },
}

REGISTRATION_DEFAULTS = {
    "kana": "ばんそう",
    "phone": "090-0000-0001",
    "postal_code": "100-0001",
    "address": "東京都千代田区架空町1-1",
    "membership": "会員",
    "referrer": "",
    "prefecture": "東京都",
    "languages": "英語, ベトナム語",
    "wants_course": "いいえ",
    "consent": "同意します",
}

APPLICATION_DEFAULTS = {
    "supporter_id": "BN-0001",
    "support_date": "2022/06/01",
    "start_time": "10:00:00",
    "end_time": "12:00:00",
    "companion_id": "",
    "client_code": "",
    "client_initials": "T.N.",
    "client_birth_year": "1985",
    "client_nationality": "ベトナム",
    "topics": "医療, 行政手続き",
    "destinations": "病院",
    "outcomes": "",
    "narrative": "病院での受診に同行しました。",
    "resubmission_of": "",
    "consent": "同意します",
}


def _export(path: Path, titles: Mapping[str, str], rows: Iterable[Mapping[str, str]]) -> None:
    """A Google Forms CSV export: タイムスタンプ, then the questions' titles in form order."""
    fields = list(titles)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([TIMESTAMP, *(titles[f] for f in fields)])
    for row in rows:
        unknown = set(row) - {*fields, "timestamp"}
        assert not unknown, f"unknown fields {unknown}"
        writer.writerow([row["timestamp"], *(row.get(f, "") for f in fields)])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def registration(timestamp: str, name: str, email_address: str, **answers: str) -> dict[str, str]:
    return {
        **REGISTRATION_DEFAULTS,
        "timestamp": timestamp,
        "name": name,
        "email": email_address,
        **answers,
    }


def application(timestamp: str, **answers: str) -> dict[str, str]:
    row = {**APPLICATION_DEFAULTS, "timestamp": timestamp, **answers}
    row.setdefault("name", "伴走 太郎")
    row.setdefault("email", "taro@example.com")
    return row


def eml_file_key(path: Path) -> str:
    return path.name


@dataclass
class Project:
    root: Path
    registrations: list[dict[str, str]] = field(default_factory=list)
    applications: list[dict[str, str]] = field(default_factory=list)
    seen_emails: set[str] = field(default_factory=set)

    # --- set-up -----------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / "config.yaml"

    @property
    def status_dir(self) -> Path:
        return self.root / "out" / "status"

    @property
    def outbox_dir(self) -> Path:
        return self.root / "out" / "outbox"

    @property
    def ledger_path(self) -> Path:
        return self.root / "out" / "ledger.sqlite3"

    def write_config(self, **overrides: Any) -> None:
        config = _merge(DEFAULT_CONFIG, overrides)
        self.config_path.write_text(
            yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )

    def write_registrations(self, rows: Iterable[Mapping[str, str]]) -> None:
        self.registrations = [dict(r) for r in rows]
        _export(self.root / "reg.csv", REGISTRATION_TITLES, self.registrations)

    def write_applications(self, rows: Iterable[Mapping[str, str]]) -> None:
        self.applications = [dict(r) for r in rows]
        _export(self.root / "app.csv", APPLICATION_TITLES, self.applications)

    def add_registrations(self, *rows: Mapping[str, str]) -> None:
        self.write_registrations([*self.registrations, *rows])

    def add_applications(self, *rows: Mapping[str, str]) -> None:
        self.write_applications([*self.applications, *rows])

    def register(self, count: int) -> None:
        """``count`` active members BN-0001 … with emails user1@example.com …"""
        self.add_registrations(
            *(
                registration(
                    f"2022/05/20 9:{i:02d}:00",
                    f"伴走 {i}郎",
                    f"user{i}@example.com",
                    phone=f"090-0000-{i:04d}",
                )
                for i in range(1, count + 1)
            )
        )

    # --- running ----------------------------------------------------------------------
    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "BANSOU_CLIENT_KEY": "e2e-test-client-key-0123456789abcdef"}
        env.pop("COLUMNS", None)  # as under cron: no terminal width
        result = run_cli(args, cwd=self.root, env=env)  # in this process: tests/inprocess.py
        if check:
            assert result.returncode == 0, (
                f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
            assert "Traceback" not in result.stderr, result.stderr
        return result

    def once(self, now: str, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.cli(
            "once", "--config", str(self.config_path), "--now", now, *extra, check=check
        )

    # --- reading results --------------------------------------------------------------
    def tab_path(self, tab: str) -> Path:
        return self.status_dir / f"{tab}.csv"

    def tab_raw(self, tab: str) -> bytes:
        return self.tab_path(tab).read_bytes()

    def header(self, tab: str) -> list[str]:
        text = self.tab_raw(tab).decode("utf-8-sig")
        return next(csv.reader(io.StringIO(text, newline="")))

    def tab(self, tab: str) -> list[dict[str, str]]:
        text = self.tab_raw(tab).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text, newline="")))

    def row(self, tab: str, key_column: str, key: str) -> dict[str, str]:
        rows = [r for r in self.tab(tab) if r[key_column] == key]
        assert len(rows) == 1, f"{tab}: {len(rows)} rows with {key_column}={key}"
        return rows[0]

    def app(self, app_no: str) -> dict[str, str]:
        return self.row("申請", "申請番号", app_no)

    def supporter(self, supporter_id: str) -> dict[str, str]:
        return self.row("伴走者", "伴走ネットID", supporter_id)

    def write_tab(
        self,
        tab: str,
        rows: list[dict[str, str]],
        encoding: str = "utf-8-sig",
        header: list[str] | None = None,
    ) -> None:
        """Save a tab as staff would from Excel (CR LF; UTF-8 with BOM or CP932)."""
        header = header or self.header(tab)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        self.tab_path(tab).write_bytes(buffer.getvalue().encode(encoding))

    def edit(self, tab: str, key_column: str, key: str, **cells: str) -> None:
        rows = self.tab(tab)
        hits = [r for r in rows if r[key_column] == key]
        assert len(hits) == 1, f"{tab}: no single row {key_column}={key}"
        hits[0].update(cells)
        self.write_tab(tab, rows)

    def review(self, app_no: str, decision: str, memo: str = "") -> None:
        cells = {"審査": decision}
        if memo:
            cells["審査メモ"] = memo
        self.edit("申請", "申請番号", app_no, **cells)

    def tick(self, supporter_id: str, value: str = "TRUE", **more: str) -> None:
        self.edit(
            "伴走者", "伴走ネットID", supporter_id, 覚書受領=value, 口座届出受領=value, **more
        )

    def eml_paths(self) -> list[Path]:
        return sorted(self.outbox_dir.glob("*.eml")) if self.outbox_dir.exists() else []

    def emails(self) -> list[EmailMessage]:
        return [_parse(p) for p in self.eml_paths()]

    def new_emails(self) -> list[EmailMessage]:
        """The messages written since the previous call."""
        fresh = [p for p in self.eml_paths() if p.name not in self.seen_emails]
        self.seen_emails.update(p.name for p in fresh)
        return [_parse(p) for p in fresh]

    def new_volunteer_emails(self) -> list[EmailMessage]:
        """New messages, without the staff digest (which any new day may bring)."""
        return [m for m in self.new_emails() if m["X-Bansou-Kind"] not in STAFF_KINDS]

    def emails_of(self, kind: str) -> list[EmailMessage]:
        return [m for m in self.emails() if m["X-Bansou-Kind"] == kind]


def _parse(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def kinds(messages: Iterable[EmailMessage]) -> list[str]:
    return sorted(str(m["X-Bansou-Kind"]) for m in messages)


def gmail_volunteer_mail(emulator: Emulator, header: str = "To") -> list[tuple[str, str, str]]:
    """(kind, reference, ``header``) of every volunteer email the emulator's Gmail sent,
    sorted; staff emails left out."""
    return sorted(
        (m.header("X-Bansou-Kind"), m.header("X-Bansou-Ref"), m.header(header))
        for m in emulator.gmail.sent()
        if m.header("X-Bansou-Kind") not in STAFF_KINDS
    )


def _merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh project folder with the default config and empty form exports."""
    p = Project(tmp_path)
    p.write_config()
    p.write_registrations([])
    p.write_applications([])
    return p
