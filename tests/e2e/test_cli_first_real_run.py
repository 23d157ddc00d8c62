"""The first real run (issue 11 §0), through the real CLI with a real SMTP server
(aiosmtpd on 127.0.0.1): no placeholder link reaches anyone, a first cycle that would
mass-email stops and asks, staff see the sheet before a long backlog is sent, and a
ledger made from other sources (the demo's) is refused."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from inprocess import run_cli
from smtp_server import LocalSmtp

from .conftest import Project, registration

REAL_FORM = "https://docs.google.com/forms/d/e/1FAIpQLSfictitiousForm000000000000000000/viewform"


@dataclass
class Recorder:
    """Keeps each message, and how many 伴走者 rows the local sheet had when it came."""

    status: Path
    received: list[bytes] = field(default_factory=list)
    rows_seen_at_first: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.rows_seen_at_first is None:
            tab = self.status / "伴走者.csv"
            text = tab.read_text("utf-8-sig") if tab.exists() else ""
            self.rows_seen_at_first = max(0, len(list(csv.reader(io.StringIO(text)))) - 1)
        self.received.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(project: Project) -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder(project.status_dir)
    controller = LocalSmtp(recorder)
    controller.start()
    try:
        yield recorder, controller.port
    finally:
        controller.stop()


def smtp_config(project: Project, port: int, url: str = REAL_FORM, **mail: Any) -> None:
    project.write_config(
        mail={
            "kind": "smtp",
            "per_minute": 60000,
            "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
            **mail,
        },
        forms={"application": {"url": url}},
    )


def test_smtp_refuses_the_placeholder_form_link_and_sends_nothing(
    project: Project, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    smtp_config(project, port, url="https://docs.google.com/forms/d/e/EXAMPLE/viewform")
    project.register(2)
    refused = project.once("2022-06-01 12:00", check=False)
    assert refused.returncode != 0
    assert "forms.application.url" in refused.stderr and "Traceback" not in refused.stderr
    assert recorder.received == [] and not project.status_dir.exists()
    doctor = project.cli("doctor", "--config", str(project.config_path), check=False)
    assert any(
        line.startswith("NG") and "forms.application.url" in line
        for line in doctor.stdout.splitlines()
    )


def test_the_outbox_folder_keeps_the_placeholder_link_and_any_first_cycle(
    project: Project,
) -> None:
    project.write_config(mail={"first_cycle_limit": 1})  # the demo's kind: outbox
    project.register(3)
    project.once("2022-06-01 12:00")
    assert len(project.emails_of("registration_confirmed")) == 3


def test_a_first_cycle_that_would_mass_email_stops_until_confirmed(
    project: Project, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    smtp_config(project, port, first_cycle_limit=3)
    project.write_config(
        **yaml.safe_load(project.config_path.read_text("utf-8")), alerts={"after_failures": 1}
    )
    project.register(5)
    stopped = project.once("2022-06-01 12:00", check=False)
    assert stopped.returncode != 0
    assert "--confirm-send" in stopped.stderr and "mail.notify_after" in stopped.stderr
    assert "5" in stopped.stderr and "Traceback" not in stopped.stderr
    assert not (project.status_dir / "伴走者.csv").exists()  # nothing recorded
    assert "--confirm-send" in project.tab("同期")[0]["エラー"]  # staff see why
    alerts = len(recorder.received)  # the staff's sync_failure alert (after_failures: 1)
    assert alerts == 1 and b"X-Bansou-Kind: sync_failure" in recorder.received[0]
    # the staff alert does not make the next cycle a "later" one: still refused
    assert project.once("2022-06-01 12:02", check=False).returncode != 0
    assert len(recorder.received) == alerts

    project.once("2022-06-01 12:05", "--confirm-send")
    assert len(recorder.received) == alerts + 5
    # later cycles are not first cycles: no question asked
    project.add_registrations(
        *(
            registration(
                f"2022/06/02 9:{i:02d}:00",
                f"後日 {i}郎",
                f"late{i}@example.com",
                phone=f"090-0000-9{i:03d}",
            )
            for i in range(4)
        )
    )
    project.once("2022-06-02 12:00")
    assert len(recorder.received) == alerts + 9


def test_notify_after_adopts_a_backlog_without_asking(
    project: Project, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    smtp_config(project, port, first_cycle_limit=3, notify_after="2022-05-21")
    project.register(5)
    project.once("2022-06-01 12:00")
    assert recorder.received == []  # all submitted before notify_after: recorded, not mailed
    assert len(project.tab("伴走者")) == 5


def test_a_backlog_sent_at_the_mailer_pace_is_on_the_sheet_before_the_first_email(
    project: Project, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    smtp_config(project, port, first_cycle_limit=None, per_minute=300)  # 55 × 0.2 s > 10 s
    project.register(55)
    done = project.once("2022-06-01 12:00")
    assert len(recorder.received) == 55
    assert recorder.rows_seen_at_first == 55  # staff saw every row while mail went out
    assert "sending: 50 of 55 sent" in done.stderr  # progress in the log (no terminal)
    assert {m["状態"] for m in project.tab("メール")} == {"送信済"}  # and again after


def test_a_ledger_made_from_other_sources_is_refused_with_a_clear_message(
    project: Project,
) -> None:
    project.register(2)
    project.once("2022-06-01 12:00")  # e.g. the demo, at the default state.path
    other = project.root / "real-reg.csv"
    other.write_bytes((project.root / "reg.csv").read_bytes())
    project.write_config(source={"registrations": "real-reg.csv"})
    refused = project.once("2022-06-01 12:10", check=False)
    assert refused.returncode != 0
    assert "state.path" in refused.stderr and "reg.csv" in refused.stderr
    assert "real-reg.csv" in refused.stderr and "Traceback" not in refused.stderr
    dry = project.once("2022-06-01 12:10", "--dry-run", check=False)
    assert dry.returncode != 0  # a dry run merges nothing either
    project.once("2022-06-01 12:10", "--accept-sources")
    project.once("2022-06-01 12:20")  # recorded now: the same config runs on


def test_the_guides_fill_in_mark_left_in_the_form_link_is_refused_too(
    project: Project, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    smtp_config(project, port, url="https://docs.google.com/forms/d/e/<回答用リンクのID>/viewform")
    project.register(1)
    refused = project.once("2022-06-01 12:00", check=False)
    assert refused.returncode != 0 and "forms.application.url" in refused.stderr
    assert recorder.received == []


def test_a_person_at_a_terminal_sees_the_backlog_being_sent(
    project: Project, smtp: tuple[Recorder, int]
) -> None:
    import pty
    import select
    import subprocess
    import sys

    recorder, port = smtp
    smtp_config(project, port, first_cycle_limit=None, per_minute=600)  # 0.1 s a message
    project.register(25)
    master, slave = pty.openpty()
    env = {**os.environ, "BANSOU_CLIENT_KEY": "e2e-test-client-key-0123456789abcdef"}
    args = ["once", "--config", str(project.config_path), "--now", "2022-06-01 12:00"]
    process = subprocess.Popen(
        [sys.executable, "-m", "bansou_sync.cli", *args],
        cwd=project.root,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=120) == 0
    os.close(master)
    assert len(recorder.received) == 25
    assert "メール送信中 / sending".encode() in shown


def test_a_ledger_moved_with_its_config_folder_keeps_its_sources_wherever_it_is_run_from(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import shutil

    project.register(2)
    project.once("2022-06-01 12:00")
    moved = tmp_path_factory.mktemp("moved") / "bansou"
    shutil.copytree(project.root, moved)
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # not the config's folder
    env = {**os.environ, "BANSOU_CLIENT_KEY": "e2e-test-client-key-0123456789abcdef"}
    args = ["once", "--config", str(moved / "config.yaml"), "--now", "2022-06-01 12:10"]
    again = run_cli(args, cwd=elsewhere, env=env)
    assert again.returncode == 0, again.stderr
