"""A quiet ``bansou-sync once`` on the embedded default (CSV export in, CSV tabs, outbox
folder) imports only what that cycle uses (issue 14): no Google client library (no
Google backend is configured), no pandas (統計 is not projected: its file holds its
rows already), no jinja2 (no email is rendered), no matplotlib."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from emulated import ROOT
from inprocess import run_cli_process
from test_cold_embedded import embedded_config

KEY = "cold-imports-test-key"
LAZY = ("pandas", "numpy", "matplotlib", "jinja2", "google", "googleapiclient", "gspread")
LAZY += ("httplib2", "requests", "tenacity")


def _setup(folder: Path) -> Path:
    for name in ("registrations.csv", "applications.csv"):
        (folder / name).write_bytes((ROOT / "reference" / name).read_bytes())
    return embedded_config(folder)


def _modules_after_once(config: Path, now: str, env: dict[str, str]) -> set[str]:
    """The modules a new interpreter holds after one ``once`` at ``now``."""
    probe = (
        "import json, sys\n"
        "from bansou_sync.cli import main\n"
        f"code = main(['once', '--config', {str(config)!r}, '--now', {now!r}])\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env=env,
        cwd=ROOT,
    )
    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0, done.stderr
    return set(modules)


def _lazy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in LAZY))


def test_a_quiet_once_on_the_embedded_default_imports_no_google_library_pandas_or_jinja2(
    tmp_path: Path,
) -> None:
    config = _setup(tmp_path)
    env = {**os.environ, "BANSOU_CLIENT_KEY": KEY}
    first = run_cli_process(
        ["once", "--config", str(config), "--now", "2023-03-31 09:30"], env=env, timeout=300
    )
    assert first.returncode == 0, first.stderr
    assert list((tmp_path / "out" / "outbox").rglob("*.eml")), "the first cycle sent nothing"
    modules = _modules_after_once(config, "2023-03-31 10:30", env)
    assert "bansou_sync.app.run_once" in modules  # the cycle did run in the probe
    assert _lazy(modules) == []


def test_telling_a_failed_local_cycle_from_a_refused_credential_loads_no_google_library() -> None:
    probe = (
        "import json, sys\n"
        "from bansou_sync.adapters.retry import credential_trouble\n"
        "found = credential_trouble(OSError(28, 'No space left on device'))\n"
        "print(json.dumps([found, sorted(sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    found, modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert found is None
    assert _lazy(set(modules)) == []
