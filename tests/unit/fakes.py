"""Fakes for the app's ports, and ``Services`` built from them the way ``bootstrap``
builds them from the configured adapters — as cosmicpython tests its service layer.

``MemorySource`` serves the responses a test gives it; ``RecordingMailer`` keeps what it
was asked to send; the ledger is ``adapters.memory_ledger``; the sheet is the real local
sheet (a folder of CSV files staff could edit), in the test's own folder.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from bansou_sync.adapters.local_sheet import LocalSheet
from bansou_sync.adapters.memory_ledger import MemoryLedger
from bansou_sync.app.render import Letterhead, Renderer, default_templates_dir
from bansou_sync.app.run_once import Services
from bansou_sync.core.model import RawResponse
from bansou_sync.core.policy import Policy

SENDER = "jimukyoku@example.org"


@dataclass
class MemorySource:
    """A response source holding every response, like a CSV export (not incremental)."""

    responses: dict[str, list[RawResponse]] = field(
        default_factory=lambda: {"registration": [], "application": []}
    )
    incremental: bool = False
    problems: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    def add(self, *responses: RawResponse) -> None:
        for response in responses:
            self.responses.setdefault(response.form, []).append(response)

    def fetch(self, form: str, since: datetime | None = None) -> list[RawResponse]:
        return list(self.responses.get(form, []))

    def close_form(self, form: str) -> bool:
        self.closed.append(form)
        return True


@dataclass
class RecordingMailer:
    """A mailer that delivers nothing and remembers every message it was given."""

    sent: list[EmailMessage] = field(default_factory=list)

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def delivered(self, message_id: str) -> bool | None:
        return any(m["Message-ID"] == message_id for m in self.sent)

    def kinds(self) -> list[str]:
        return [str(m["X-Bansou-Kind"]) for m in self.sent]


@dataclass
class Fakes:
    services: Services
    source: MemorySource
    mailer: RecordingMailer
    ledger: MemoryLedger
    sheet: LocalSheet


def fake_services(folder: Path, policy: Policy | None = None) -> Fakes:
    """``bootstrap.build_services`` with fakes for the source, the mailer and the ledger
    and a local sheet in ``folder``: what a cycle talks to, nothing else."""
    source, mailer, ledger = MemorySource(), RecordingMailer(), MemoryLedger()
    sheet = LocalSheet(folder / "status")
    services = Services(
        source=source,
        sheet=sheet,
        mailer=mailer,
        ledger=ledger,
        renderer=Renderer(
            default_templates_dir(),
            sender=SENDER,
            sender_name="伴走支援 事務局",
            letterhead=Letterhead(
                phone="03-0000-0000",
                address="東京都千代田区千代田1-1",
                support="",
                application_url="https://forms.example.org/application",
                registration_url="https://forms.example.org/registration",
                english_summary=True,
            ),
        ),
        policy=policy or Policy(),
        client_key=b"k",
        mail_domain=SENDER.rpartition("@")[2],
    )
    return Fakes(services, source, mailer, ledger, sheet)


def sheet_rows(sheet: LocalSheet, tab: str) -> list[dict[str, str]]:
    """A tab of the local sheet as staff would see it: one dict per row, by header."""
    text = sheet.path(tab).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def staff_types(sheet: LocalSheet, tab: str, key: tuple[str, str], **cells: str) -> None:
    """Staff type ``cells`` into the row whose ``key[0]`` column is ``key[1]``."""
    rows = sheet_rows(sheet, tab)
    hits = [row for row in rows if row[key[0]] == key[1]]
    assert len(hits) == 1, f"{tab}: no single row {key[0]}={key[1]}"
    hits[0].update(cells)
    header = list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    sheet.path(tab).write_bytes(buffer.getvalue().encode("utf-8-sig"))
