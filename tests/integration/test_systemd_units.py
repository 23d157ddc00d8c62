"""The systemd units in scripts/systemd pass `systemd-analyze verify`.

verify insists that ExecStart's program exists, so the copies under test point at this
checkout's bansou-sync; nothing else is changed. In CI (``CI`` set) a missing
systemd-analyze is a failure — ``.ci/run`` installs Debian's systemd package — and the
test skips only on a developer machine without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MAIN = Path(__file__).resolve().parents[2]
UNITS = MAIN / "scripts" / "systemd"
INSTALLED = "/opt/bansou-sync/.venv/bin/bansou-sync"


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing in CI: .ci/run should install systemd")
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    return tool


def here_executable() -> Path:
    local = Path(sys.executable).with_name("bansou-sync")
    assert local.is_file() and os.access(local, os.X_OK), f"no bansou-sync beside {sys.executable}"
    return local


def test_the_service_the_timer_and_its_service_pass_systemd_analyze_verify(
    tmp_path: Path,
) -> None:
    tool = systemd_analyze()
    names = ["bansou-sync.service", "bansou-sync-once.service", "bansou-sync-once.timer"]
    for name in names:
        text = (UNITS / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED, str(here_executable())))

    result = subprocess.run(
        [tool, "verify", "--man=no", *(str(tmp_path / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    ours = [line for line in result.stderr.splitlines() if "bansou-sync" in line]
    assert result.returncode == 0, result.stderr
    assert ours == [], "\n".join(ours)  # unknown keys and the like are only warnings


def test_the_units_run_the_installed_command_with_the_hardening_the_docs_promise() -> None:
    service = (UNITS / "bansou-sync.service").read_text(encoding="utf-8")
    once = (UNITS / "bansou-sync-once.service").read_text(encoding="utf-8")
    timer = (UNITS / "bansou-sync-once.timer").read_text(encoding="utf-8")

    assert f"ExecStart={INSTALLED} run --config /etc/bansou-sync/config.yaml" in service
    assert f"ExecStart={INSTALLED} once --config /etc/bansou-sync/config.yaml" in once
    for unit in (service, once):
        for line in (
            "User=bansou-sync",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ReadWritePaths=/var/lib/bansou-sync",
            "PrivateTmp=yes",
            "ProtectHome=yes",
            "UMask=0077",
        ):
            assert line in unit.splitlines()
    assert {"Type=simple", "Restart=on-failure"} <= set(service.splitlines())
    assert {"OnCalendar=*:0/5", "Persistent=true"} <= set(timer.splitlines())


def test_the_cron_example_runs_one_cycle_every_five_minutes_in_tokyo_time() -> None:
    lines = (MAIN / "scripts" / "cron.example").read_text(encoding="utf-8").splitlines()
    jobs = [line for line in lines if line and not line.startswith("#") and "=" not in line[:9]]

    assert "CRON_TZ=Asia/Tokyo" in lines
    assert len(jobs) == 1 and jobs[0].startswith("*/5 * * * * ")
    assert f"{INSTALLED} once --config /etc/bansou-sync/config.yaml" in jobs[0]
