"""docs/operations.md's installation, followed literally as root inside a temporary
prefix (issue 11 §0): its commands create the service user, the folders, the readable
configuration and the service user's Google key; its configuration block makes every
path the service writes or keeps secret absolute; then ``doctor`` and cycles run *as
that user* — the status sheet on the local Google emulator.

There is no systemd as PID 1 here: the units themselves are checked by
``test_systemd_units.py`` (``systemd-analyze verify``) and below (the stop timeout)."""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bansou_sync.emulator.server import Emulator, start_emulator

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operations.md"
SECTION = "## 設置手順(試験済み)/ Installation, step by step (tested)"
BOOK = "install-book"
PATHS = ("/opt/bansou-sync", "/etc/bansou-sync", "/var/lib/bansou-sync", "/var/log/bansou-sync")
USER_WORD = re.compile(r"(?<![/\w.-])bansou-sync(?![/\w.-])")  # the user, not a path


def section_blocks(heading: str, language: str) -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    part = text[text.index(SECTION) :]
    part = part[part.index(heading) :]
    part = part[: part.index("\n### ", 1)] if "\n### " in part[1:] else part
    return re.findall(rf"```{language}\n(.*?)```", part, re.S)


class Prefix:
    """The guide's absolute paths moved under a temporary folder, its user renamed."""

    def __init__(self, root: Path, user: str, key: Path) -> None:
        self.root, self.user, self.key = root, user, key

    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    def text(self, text: str) -> str:
        text = text.replace("/root/google-service-account.json", str(self.key))
        for absolute in PATHS:
            text = text.replace(absolute, str(self.path(absolute)))
        return USER_WORD.sub(self.user, text)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = start_emulator()
    assert emu.sheets is not None
    emu.sheets.load_fixture({"spreadsheetId": BOOK, "title": "状況", "sheets": {}})
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def prefix(emulator: Emulator) -> Iterator[Prefix]:
    if os.geteuid() != 0:
        pytest.skip("needs root: it creates a user and gives files to it (CI runs as root)")
    root = Path(tempfile.mkdtemp(prefix="bansou-install-"))
    root.chmod(0o755)
    user = "bsync" + secrets.token_hex(4)
    key = root / "downloaded-key.json"  # the key as downloaded, root's own
    emulator.write_service_account_file(key).chmod(0o600)
    # the checkout at /opt/bansou-sync: what the guide's commands read from it
    checkout = root / "opt" / "bansou-sync"
    checkout.mkdir(parents=True)
    shutil.copy(ROOT / "config.example.yaml", checkout / "config.example.yaml")
    shutil.copytree(ROOT / "reference", checkout / "reference")
    for folder in [root / "opt", checkout, *checkout.rglob("*")]:
        folder.chmod(0o755 if folder.is_dir() else 0o644)
    system_venv(checkout / ".venv")
    try:
        yield Prefix(root, user, key)
    finally:
        subprocess.run(["userdel", user], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def system_venv(venv: Path) -> None:
    """Step 1's venv: built on the system's /usr/bin/python3 as the guide says (never a
    python under /root). ``scripts/demo`` would then pip-install the pinned packages;
    offline, the packages this test runs with are lent to it instead (same Python
    minor version, so the same wheels)."""
    system = Path("/usr/bin/python3")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    probe = subprocess.run(
        [str(system), "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.stdout.strip() != version:
        pytest.fail(f"/usr/bin/python3 must be Python {version}, as the tests' ({probe.stdout})")
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(venv)], check=True)
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    lib = venv / "lib" / f"python{version}" / "site-packages"
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in ours)
    (lib / "zz_borrowed.pth").write_text(lines, encoding="utf-8")
    program = venv / "bin" / "bansou-sync"
    program.write_text(
        f"#!{venv}/bin/python\nfrom bansou_sync.cli import main\nraise SystemExit(main())\n",
        encoding="utf-8",
    )
    program.chmod(0o755)
    for path in [venv, *venv.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or path.parent.name == "bin" else 0o644)


def run_as_root(script: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BANSOU_CLIENT_KEY"}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def test_the_documented_installation_runs_doctor_and_a_cycle_as_the_service_user(
    prefix: Prefix, emulator: Emulator
) -> None:
    # step 2: user, folders, configuration, key — the guide's commands, as written
    (commands,) = section_blocks("### 2.", "sh")
    done = run_as_root(prefix.text(commands))
    assert done.returncode == 0, done.stderr
    user = pwd.getpwnam(prefix.user)
    config = prefix.path("/etc/bansou-sync/config.yaml")
    key = prefix.path("/var/lib/bansou-sync/secrets/google-service-account.json")
    assert stat.S_IMODE(config.stat().st_mode) == 0o640 and config.stat().st_gid == user.pw_gid
    assert key.stat().st_uid == user.pw_uid and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert prefix.path("/var/log/bansou-sync").is_dir()  # the cron example's log folder

    # step 3: the guide's absolute paths; the CSV exports and the Google sheet as it says
    (paths,) = section_blocks("### 3.", "yaml")
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data = merge(data, yaml.safe_load(prefix.text(paths)))
    reference = prefix.path("/opt/bansou-sync/reference")
    data["source"] = {
        "kind": "csv",
        "registrations": str(reference / "registrations.csv"),
        "applications": str(reference / "applications.csv"),
    }
    data["sheet"] = {"kind": "google", "spreadsheet_id": BOOK}
    data["google"] = {**data["google"], "api_base": emulator.base_url}
    with config.open("w", encoding="utf-8") as out:  # an edit keeps owner and mode
        yaml.safe_dump(data, out, allow_unicode=True, sort_keys=False)
    for value in (data["state"]["path"], data["mail"]["path"], data["privacy"]["client_key_file"]):
        assert Path(value).is_absolute() and str(prefix.path("/var/lib/bansou-sync")) in value

    program = prefix.path("/opt/bansou-sync/.venv/bin/bansou-sync")
    as_user = f"runuser -u {prefix.user} -- {program}"
    init = run_as_root(f"{as_user} init-sheet --config {config}")  # google-setup.md step 8
    assert init.returncode == 0, init.stdout + init.stderr

    # step 4: doctor and a dry run as the service user, then one real cycle
    (checks,) = section_blocks("### 4.", "sh")
    checked = run_as_root(prefix.text(checks))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert str(config) in checked.stdout  # doctor names the configuration it read
    cycle = run_as_root(f"{as_user} once --config {config} --now '2023-03-31 18:00'")
    assert cycle.returncode == 0, cycle.stdout + cycle.stderr

    ledger = Path(data["state"]["path"])
    client_key = Path(data["privacy"]["client_key_file"])
    assert ledger.stat().st_uid == user.pw_uid
    assert client_key.stat().st_uid == user.pw_uid
    assert stat.S_IMODE(client_key.stat().st_mode) == 0o600
    assert len(list(Path(data["mail"]["path"]).glob("*.eml"))) > 0
    assert emulator.sheets is not None
    assert len(emulator.sheets.dump(BOOK)["伴走者"]) > 1  # the sheet on "Google"


def minutes(value: str) -> float:
    total = 0.0
    for number, unit in re.findall(r"(\d+)\s*(h|min|s)?", value):
        total += float(number) * {"h": 60.0, "min": 1.0, "s": 1 / 60, "": 1 / 60}[unit]
    return total


def test_the_service_waits_long_enough_on_stop_for_a_cycle_draining_a_mail_backlog() -> None:
    unit = (ROOT / "scripts" / "systemd" / "bansou-sync.service").read_text(encoding="utf-8")
    (timeout,) = re.findall(r"^TimeoutStopSec=(.+)$", unit, re.M)
    example = yaml.safe_load((ROOT / "config.example.yaml").read_text(encoding="utf-8"))
    backlog = example["mail"]["daily_limit"] / example["mail"]["per_minute"]  # minutes
    assert minutes(timeout) > backlog
