"""What a person sees when something is wrong, and the options that change nothing."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
from pathlib import Path

from .conftest import Project, application

USER1 = {"supporter_id": "BN-0001", "name": "伴走 1郎", "email": "user1@example.com"}


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _assert_user_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0, result.stdout
    assert result.stderr.strip(), "a message on stderr"
    assert "Traceback" not in result.stderr, result.stderr


def test_missing_config_file_is_one_clear_line_without_traceback(project: Project) -> None:
    result = project.cli(
        "once", "--config", "nowhere.yaml", "--now", "2022-07-10 12:00", check=False
    )
    _assert_user_error(result)
    text = "\n".join(_lines(result.stderr))
    assert "nowhere.yaml" in text
    assert not project.status_dir.exists()


def test_invalid_config_lists_every_bad_key_in_one_message(project: Project) -> None:
    project.write_config(
        period={"start": "someday"},
        budget={"total_yen": "lots"},
        mail={"daily_limit": -3},
        rules={"client_cap_counts": "sometimes"},
    )
    result = project.once("2022-07-10 12:00", check=False)
    _assert_user_error(result)
    for key in ("period.start", "budget.total_yen", "mail.daily_limit", "rules.client_cap_counts"):
        matching = [line for line in _lines(result.stderr) if key in line]
        assert len(matching) == 1, (key, result.stderr)
    assert not project.status_dir.exists()
    assert not project.ledger_path.exists()


def test_missing_response_csv_is_an_operational_error_on_one_line(project: Project) -> None:
    (project.root / "app.csv").unlink()
    result = project.once("2022-07-10 12:00", check=False)
    _assert_user_error(result)
    lines = _lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert str(project.root / "app.csv") in lines[0]
    assert not project.eml_paths()


def test_unreadable_now_is_a_usage_error(project: Project) -> None:
    result = project.cli(
        "once", "--config", str(project.config_path), "--now", "July 10", check=False
    )
    _assert_user_error(result)
    assert "--now" in result.stderr


def test_help_explains_the_commands_and_options(project: Project) -> None:
    top = project.cli("--help")
    for word in ("once", "run", "--version"):
        assert word in top.stdout
    once = project.cli("once", "--help")
    for word in ("--config", "--now", "--dry-run", "2022-07-10T12:00:00+09:00", "2022-07-10 12:00"):
        assert word in once.stdout, word


def _ledger_dump(path: Path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return list(conn.iterdump())


def test_dry_run_on_a_fresh_folder_writes_no_sheet_and_no_mail(project: Project) -> None:
    project.register(1)
    project.write_applications([application("2022/07/01 9:00:00", **USER1)])
    result = project.once("2022-07-10 12:00", "--dry-run")
    assert "dry run" in result.stdout
    assert not project.status_dir.exists() or not any(project.status_dir.iterdir())
    assert not project.eml_paths()


def test_dry_run_on_a_fresh_folder_creates_no_ledger(project: Project) -> None:
    project.register(1)
    project.once("2022-07-10 12:00", "--dry-run")
    assert not project.ledger_path.exists()
    assert not (project.ledger_path.parent / "source-cache.bin").exists()


def test_dry_run_after_a_real_run_changes_nothing(project: Project) -> None:
    project.register(1)
    project.write_applications([application("2022/07/01 9:00:00", **USER1)])
    project.once("2022-07-05 12:00")
    ledger = _ledger_dump(project.ledger_path)
    ledger_bytes = project.ledger_path.read_bytes()
    sheet = {p.name: p.read_bytes() for p in project.status_dir.iterdir()}
    emails = project.eml_paths()

    project.add_applications(
        application("2022/07/06 9:00:00", **USER1, client_initials="ZZ"),
        application("2022/07/06 9:05:00", supporter_id="BN-0042", email="user9@example.com"),
    )
    project.review("A-000001", "承認")
    sheet["申請.csv"] = project.tab_path("申請").read_bytes()
    result = project.once("2022-07-10 12:00", "--dry-run")

    assert "dry run" in result.stdout
    assert _ledger_dump(project.ledger_path) == ledger
    assert project.ledger_path.read_bytes() == ledger_bytes
    assert {p.name: p.read_bytes() for p in project.status_dir.iterdir()} == sheet
    assert project.eml_paths() == emails

    project.once("2022-07-10 12:00")
    assert project.app("A-000001")["状態コード"] == "accepted"
    assert len(project.tab("申請")) == 3


def test_second_process_on_a_locked_ledger_exits_with_a_clear_message(project: Project) -> None:
    project.register(1)
    lock = project.ledger_path.with_name(project.ledger_path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = project.once("2022-07-10 12:00", check=False)
    finally:
        os.close(fd)
    _assert_user_error(result)
    assert "another bansou-sync" in result.stderr or "使用中" in result.stderr
    assert not project.status_dir.exists()
    assert not project.eml_paths()

    project.once("2022-07-10 12:00")
    assert project.supporter("BN-0001")["状態コード"] == "active"
