"""A service that keeps its caches between cycles (issue 5: the resident state and book,
the kept projection, the quiet-cycle skip, the sheet's kept reads and row cache, the
staff reader, the newest submission seen) ends exactly where a cold start of every
cycle ends: same ledger state, same emails, same status sheet — through cycles minutes
apart within an hour, across hours and days, with staff decisions in between."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from emulated import ROOT, google_example_config

from bansou_sync.adapters.google_sheet import GoogleSheet
from bansou_sync.adapters.ledger import Ledger
from bansou_sync.app import run_once
from bansou_sync.app.warm import WarmCycle
from bansou_sync.bootstrap import build_services
from bansou_sync.config import load_config
from bansou_sync.core.calendar import JST
from bansou_sync.emulator.server import Emulator, start_emulator

BOOKS = {"warm": "warm-book", "cold": "cold-book"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = start_emulator(ROOT / "reference")
    try:
        assert emu.sheets is not None
        for book in BOOKS.values():
            emu.sheets.load_fixture({"spreadsheetId": book, "title": "状況", "sheets": {}})
        yield emu
    finally:
        emu.stop()


def _config(emu: Emulator, folder: Path, book: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    key = emu.write_service_account_file(folder / "key.json")
    key.chmod(0o600)
    config = google_example_config(emu, key, book)
    config["mail"] = {**config["mail"], "kind": "outbox", "path": str(folder / "outbox")}
    config["state"] = {**config.get("state", {}), "path": str(folder / "ledger.sqlite3")}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _moments() -> list[datetime]:
    """Cycles a minute apart inside an hour, then hours and days apart."""
    start = datetime(2022, 6, 28, 8, 50, tzinfo=JST)
    moments = [start + timedelta(minutes=m) for m in range(0, 16)]  # across 09:00 (digest)
    moments += [start + timedelta(hours=h, minutes=7 * h % 60) for h in range(1, 30, 2)]
    day = datetime(2022, 7, 1, 9, 5, tzinfo=JST)
    moments += [day + timedelta(days=d, minutes=m) for d in range(0, 40, 3) for m in (0, 1)]
    return moments


def _decide(emu: Emulator, book: str, step: int) -> None:
    """The same staff decisions in both books, found by 申請番号 (rows differ in order)."""
    assert emu.sheets is not None
    tabs = emu.sheets.dump(book)
    rows = tabs.get("申請", [])
    if not rows:
        return
    header = rows[0]
    number, status, review = (
        header.index("申請番号"),
        header.index("状態コード"),
        header.index("審査"),
    )
    for index, row in enumerate(rows[1:], start=2):
        pending = len(row) > status and row[status] == "pending_review"
        if pending and int(row[number][2:]) % 4 == step % 4:
            column = chr(ord("A") + review)
            decision = "承認" if step % 3 else "差戻し"
            emu.sheets.staff_set_cell(book, "申請", f"{column}{index}", decision)


def outbox_mail(folder: Path) -> list[tuple[str, str, str, str]]:
    found = []
    for path in sorted((folder / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        found.append(
            (
                str(message["X-Bansou-Kind"]),
                str(message["X-Bansou-Ref"]),
                str(message["To"]),
                body.get_content() if body is not None else "",
            )
        )
    return sorted(found)


def _by_key(rows: list[list[Any]]) -> dict[str, list[str]]:
    return {
        str(row[0]) + "|" + str(row[2] if len(row) > 2 else ""): [str(c) for c in row]
        for row in rows[1:]
        if row
    }


def test_a_warm_service_ends_where_cold_starts_end(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANSOU_CLIENT_KEY", "warm-cold-test-key")
    warm_folder, cold_folder = tmp_path / "warm", tmp_path / "cold"
    warm_config = _config(emulator, warm_folder, BOOKS["warm"])
    cold_config = _config(emulator, cold_folder, BOOKS["cold"])
    settings = load_config(warm_config)
    warm_ledger = Ledger.open(Path(settings.state.path))
    warm = build_services(settings, warm_ledger)
    kept = WarmCycle()  # the warm service's caches; each cold start gets none
    plans: list[tuple[str, bool]] = []  # per plan made: whose, and given a kept book
    who = ["warm"]
    planner = run_once.plan_indexed

    def counted(*args: Any) -> Any:
        plans.append((who[0], args[3] is not None))
        return planner(*args)

    monkeypatch.setattr(run_once, "plan_indexed", counted)
    held: list[str] = []  # tabs a cold start's Google sheet did not look at (issue 14)
    holds = GoogleSheet._holds

    def noted(cache: Any, tab: Any, digests: Any) -> bool:
        found = holds(cache, tab, digests)
        if found and who[0] == "cold":
            held.append(tab.name)
        return found

    monkeypatch.setattr(GoogleSheet, "_holds", staticmethod(noted))
    try:
        for step, now in enumerate(_moments()):
            if step % 5 == 4:
                for book in BOOKS.values():
                    _decide(emulator, book, step)
            who[0] = "warm"
            run_once.run_cycle(warm, now, warm=kept)
            who[0] = "cold"
            cold_settings = load_config(cold_config)
            with Ledger.open(Path(cold_settings.state.path)) as cold_ledger:
                run_once.run_cycle(build_services(cold_settings, cold_ledger), now)
        with Ledger.open(Path(load_config(cold_config).state.path)) as cold_ledger:
            assert warm_ledger.load_state() == cold_ledger.load_state()
            assert len(warm_ledger.outbox_items()) == len(cold_ledger.outbox_items())
    finally:
        warm_ledger.close()
    warm_plans = [kept for whose, kept in plans if whose == "warm"]
    cold_plans = [kept for whose, kept in plans if whose == "cold"]
    assert len(cold_plans) == len(_moments()) and not any(cold_plans)
    assert len(warm_plans) < len(cold_plans), "the warm service skipped no quiet cycle"
    assert sum(warm_plans) > len(warm_plans) / 2, "the warm service rarely kept its book"
    assert outbox_mail(warm_folder) == outbox_mail(cold_folder)
    assert {"申請", "統計", "メール"} <= set(held), "no cold start left these tabs unlooked at"
    assert emulator.sheets is not None
    warm_tabs, cold_tabs = (emulator.sheets.dump(b) for b in BOOKS.values())
    for tab in ("伴走者", "申請", "支払", "メール", "統計"):
        assert _by_key(warm_tabs[tab]) == _by_key(cold_tabs[tab]), tab
