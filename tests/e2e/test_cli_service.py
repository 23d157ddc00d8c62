"""`bansou-sync run`: the scheduled service runs cycles, refuses a second instance, lets
a cycle interrupted by SIGTERM finish before it exits 0, and takes the daily backup."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from .conftest import Project, registration

pytestmark = pytest.mark.timeout(120)


class Service:
    """``bansou-sync run`` in a subprocess, its stderr (JSON log lines) collected."""

    def __init__(self, project: Project, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bansou_sync.cli", "run", "--config", str(project.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "BANSOU_CLIENT_KEY": "e2e-key", "BANSOU_INTERVAL_SECONDS": "1"}
            | env,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def logs(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.lines if line.strip()]

    def messages(self) -> list[object]:
        return [entry["msg"] for entry in self.logs()]

    def logged(self, msg: str) -> bool:
        return msg in self.messages()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        return code


@contextmanager
def service(project: Project, **env: str) -> Iterator[Service]:
    running = Service(project, **env)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_service_runs_cycles_refuses_a_second_instance_and_stops_on_sigterm(
    project: Project,
) -> None:
    project.register(2)
    with service(project) as running:
        assert wait_for(lambda: running.logged("cycle done"))
        assert len(project.emails_of("registration_confirmed")) == 2
        # a third member registers while the service runs
        project.add_registrations(registration("2022/05/21 9:00:00", "伴走 三郎", "s@example.com"))
        assert wait_for(lambda: len(project.emails_of("registration_confirmed")) == 3)

        second_once = project.cli("once", "--config", str(project.config_path), check=False)
        second_run = subprocess.run(
            [sys.executable, "-m", "bansou_sync.cli", "run", "--config", str(project.config_path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "BANSOU_CLIENT_KEY": "e2e-key"},
        )
        for refused in (second_once, second_run):
            assert refused.returncode != 0
            assert "使用中" in refused.stderr and "another bansou-sync" in refused.stderr
            assert "Traceback" not in refused.stderr

        assert running.stop() == 0
    cycles = [e for e in running.logs() if e["msg"] == "cycle done"]
    assert len(cycles) >= 2
    assert all(e["level"] in ("INFO", "WARNING") for e in running.logs())
    assert running.logs()[-1]["msg"] == "service stopped"


def test_sigterm_mid_cycle_finishes_the_cycle_then_exits_0(project: Project) -> None:
    project.register(3)
    with service(project, BANSOU_SLOW_AT="after_commit:3") as running:
        assert wait_for(lambda: running.logged("slow point reached"))
        assert project.emails_of("registration_confirmed") == []  # committed, not yet sent

        code = running.stop()

    assert code == 0
    assert len(project.emails_of("registration_confirmed")) == 3  # the cycle completed
    assert project.tab("同期")[0]["結果"] == "成功"
    messages = running.messages()
    assert messages.count("cycle done") == 1  # and no other cycle started
    assert messages.index("SIGTERM: finishing the current cycle, then stopping") < messages.index(
        "cycle done"
    )
    assert messages[-1] == "service stopped"


def test_a_successful_cycle_takes_todays_backup_once(project: Project) -> None:
    project.register(1)
    backups = project.root / "out" / "backups"
    with service(project) as running:
        assert wait_for(lambda: running.messages().count("cycle done") >= 3)
        assert running.stop() == 0

    copies = list(backups.iterdir())
    assert len(copies) == 1 and copies[0].name.startswith("ledger-")
    assert stat.S_IMODE(copies[0].stat().st_mode) == 0o600
    assert running.messages().count("ledger backed up") == 1


def test_a_failed_backup_is_reported_in_the_sync_tab_and_the_cycle_still_succeeds(
    project: Project,
) -> None:
    (project.root / "blocker").write_text("")
    project.write_config(state={"path": "out/ledger.sqlite3", "backup_dir": "blocker/backups"})
    project.register(1)

    result = project.once("2022-06-01 12:00")

    latest = project.tab("同期")[0]
    assert latest["結果"] == "成功"
    assert "台帳のバックアップに失敗しました" in latest["エラー"]
    assert "ledger backup failed" in result.stderr  # the log (JSON: not a terminal)
    assert len(project.emails_of("registration_confirmed")) == 1


def test_once_takes_the_backup_of_the_day_it_runs_for(project: Project) -> None:
    project.write_config(state={"path": "out/ledger.sqlite3", "backups": 2})
    project.register(1)
    for day in ("2022-06-01", "2022-06-01", "2022-06-02", "2022-06-03"):
        project.once(f"{day} 12:00")

    names = sorted(p.name for p in (project.root / "out" / "backups").iterdir())
    assert names == ["ledger-20220602.sqlite3", "ledger-20220603.sqlite3"]
