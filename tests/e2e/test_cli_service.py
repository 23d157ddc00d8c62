"""`bansou-sync run`: the scheduled service runs cycles, refuses a second instance and
stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from .conftest import Project


def start_service(project: Project) -> subprocess.Popen[str]:
    env = {**os.environ, "BANSOU_CLIENT_KEY": "e2e-key"}
    return subprocess.Popen(
        [sys.executable, "-m", "bansou_sync.cli", "run", "--config", str(project.config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(condition: object, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.2)
    return False


def test_the_service_runs_a_cycle_refuses_a_second_instance_and_stops_on_sigterm(
    project: Project,
) -> None:
    project.register(2)
    service = start_service(project)
    try:
        synced = wait_for(lambda: project.tab_path("同期").exists())
        assert synced, "the first cycle did not run"
        assert len(project.emails_of("registration_confirmed")) == 2

        second = project.cli("once", "--config", str(project.config_path), check=False)
        assert second.returncode != 0
        assert "使用中" in second.stderr and "Traceback" not in second.stderr

        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    assert "Traceback" not in (service.stderr.read() if service.stderr else "")
