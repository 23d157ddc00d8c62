"""Nothing personal reaches the logs (SPEC §8): a full sync of the reference programme at
DEBUG, then the service and the status command, and every log line is scanned for every
name, email address, phone number, address and narrative of the input."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

MAIN = Path(__file__).resolve().parents[2]
REFERENCE = MAIN / "reference"
NAME_COLUMNS = ("氏名", "ふりがな", "紹介者のお名前")
WHOLE_COLUMNS = ("メールアドレス", "電話番号", "住所", "支援の内容")

pytestmark = pytest.mark.timeout(300)


def personal_values() -> tuple[set[str], set[str]]:
    """(tokens of names, whole values) in reference/*.csv."""
    tokens: set[str] = set()
    whole: set[str] = set()
    for path in REFERENCE.glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                for column in NAME_COLUMNS:
                    tokens |= {t for t in re.split(r"[\s\u3000]+", row.get(column) or "")}
                for column in WHOLE_COLUMNS:
                    value = (row.get(column) or "").strip()
                    whole |= {value, value.replace("-", "")} if column == "電話番号" else {value}
    tokens = {t for t in tokens if len(t) >= 2}  # 「様」 and initials say nothing
    return tokens, {v for v in whole if v}


def found_in(text: str, tokens: set[str], whole: set[str]) -> set[str]:
    hits = {v for v in whole if v in text}
    for token in tokens:
        pattern = rf"\b{re.escape(token)}\b" if token.isascii() else re.escape(token)
        if re.search(pattern, text, flags=re.IGNORECASE):
            hits.add(token)
    return hits


def write_config(root: Path) -> Path:
    config = {
        "source": {
            "kind": "csv",
            "registrations": str(REFERENCE / "registrations.csv"),
            "applications": str(REFERENCE / "applications.csv"),
        },
        "sheet": {"kind": "local", "path": "out/status"},
        "mail": {"kind": "outbox", "path": "out/outbox"},
        "state": {"path": "out/ledger.sqlite3"},
        "logging": {"level": "DEBUG", "format": "json"},
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_full_reference_sync_logs_json_lines_with_no_name_email_or_phone(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    env = {**os.environ, "BANSOU_CLIENT_KEY": "privacy-test-key", "BANSOU_INTERVAL_SECONDS": "1"}
    cli = [sys.executable, "-m", "bansou_sync.cli"]
    logs: list[str] = []
    for now in ("2022-07-10 12:00", "2022-10-01 09:00", "2023-03-31 18:00"):
        once = subprocess.run(
            [*cli, "once", "--config", str(config), "--now", now],
            capture_output=True,
            text=True,
            env=env,
            timeout=240,
        )
        assert once.returncode == 0, once.stderr
        logs.append(once.stderr)
    service = subprocess.Popen(
        [*cli, "run", "--config", str(config)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    # stopped once it has run a cycle: on a busy machine (tests on parallel workers) its
    # start-up alone may take seconds, and SIGTERM before its handler is set kills it
    service_lines: list[str] = []
    ran = threading.Event()

    def read_log() -> None:
        assert service.stderr is not None
        for line in service.stderr:
            service_lines.append(line)
            if '"cycle done"' in line:
                ran.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    assert ran.wait(timeout=180), "the service finished no cycle:\n" + "".join(service_lines)
    time.sleep(1.5)  # a cycle more, on the 1 s interval
    service.send_signal(signal.SIGTERM)
    assert service.wait(timeout=60) == 0
    reader.join(timeout=60)
    logs.append("".join(service_lines))
    status = subprocess.run(
        [*cli, "status", "--config", str(config)], capture_output=True, text=True, env=env
    )
    assert status.returncode == 0, status.stderr
    logs.append(status.stderr)

    lines = [line for log in logs for line in log.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"ts", "level", "logger", "msg"} <= set(entries[0])
    assert sum(e["msg"] == "cycle done" for e in entries) >= 2  # the service really ran
    planned = [re.match(r"cycle planned: (\d+) new registrations", e["msg"]) for e in entries]
    assert sum(int(m.group(1)) for m in planned if m) == 60  # every registration went through
    tokens, whole = personal_values()
    assert len(tokens) > 60 and len(whole) > 100  # the scan has something to look for
    for line, entry in zip(lines, entries, strict=True):
        text = " ".join([line, *(str(v) for v in entry.values())])  # raw and decoded
        assert found_in(text, tokens, whole) == set(), line
