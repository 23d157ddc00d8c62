"""The embedded default run by cron (issue 14): ``bansou-sync once`` per cycle, each a
cold process that finds only files — the ledger, its state snapshot, the projector's
memo, the export cache, the status CSVs — ends exactly where a warm service ends, and
where cold processes that decode the whole ledger and project every tab whole every
time end: same ledger state, same emails, same tabs.
Through exports that grow between cycles, cycles minutes, hours and days apart, and
staff decisions and ticks typed into the status CSVs in between."""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from emulated import ROOT
from inprocess import run_cli
from test_warm_service import outbox_mail

from bansou_sync.adapters import kept_projection
from bansou_sync.adapters.ledger import Ledger, snapshot
from bansou_sync.app import projection_memo, run_once
from bansou_sync.app import tabs as app_tabs
from bansou_sync.app.projector import Projector
from bansou_sync.app.warm import WarmCycle
from bansou_sync.bootstrap import build_services
from bansou_sync.config import load_config
from bansou_sync.core.calendar import JST

KEY = "cold-embedded-test-key"
FOLDERS = ("warm", "cold", "decoded")


def _export(name: str) -> tuple[list[str], list[list[str]]]:
    text = (ROOT / "reference" / name).read_text("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    return header, rows


def _moment(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S").replace(tzinfo=JST)


def _reveal(folder: Path, now: datetime) -> None:
    """The exports as Google gives them at ``now``: the responses submitted so far."""
    for name in ("registrations.csv", "applications.csv"):
        header, rows = _export(name)
        shown = [r for r in rows if _moment(r[0]) <= now]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows([header, *shown])
        (folder / name).write_text(buffer.getvalue(), "utf-8")


def embedded_config(folder: Path) -> Path:
    """The README's main job in ``folder``: CSV exports in, CSV tabs and an outbox out."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "source": {
            "kind": "csv",
            "registrations": "registrations.csv",
            "applications": "applications.csv",
        },
        "sheet": {"kind": "local", "path": "out/status"},
        "mail": {"kind": "outbox", "path": "out/outbox", "staff_to": ["jimukyoku@example.org"]},
        "state": {"path": "out/ledger.sqlite3"},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return path


def _moments() -> list[datetime]:
    """Minutes apart inside an hour, hours apart, then days apart over the programme."""
    start = datetime(2022, 6, 10, 8, 55, tzinfo=JST)
    moments = [start + timedelta(minutes=m) for m in (0, 3, 7)]  # across 09:00 (digest)
    moments += [start + timedelta(hours=h) for h in (2, 5)]
    moments += [start + timedelta(days=d, hours=d % 5) for d in range(6, 300, 29)]
    return moments


def _edit_tab(folder: Path, tab: str, step: int) -> None:
    """The same staff input in every folder, found by key (rows may differ in order)."""
    path = folder / "out" / "status" / f"{tab}.csv"
    if not path.exists():
        return
    records = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))
    header = records[0]
    if tab == "申請":
        number, code, review = (header.index(h) for h in ("申請番号", "状態コード", "審査"))
        for record in records[1:]:
            if record[code] == "pending_review" and int(record[number][2:]) % 3 == step % 3:
                record[review] = "差戻し" if step % 4 == 0 else "承認"
    else:
        sid = header.index("伴走ネットID")
        ticks = [header.index(h) for h in ("覚書受領", "口座届出受領")]
        for record in records[1:]:
            if record[sid][3:].isdigit() and int(record[sid][3:]) % 4 == step % 4:
                for tick in ticks:
                    record[tick] = "TRUE"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(records)
    path.write_text(buffer.getvalue(), "utf-8-sig")


def _tabs(folder: Path, besides: tuple[str, ...] = ()) -> dict[str, bytes]:
    status = folder / "out" / "status"
    return {p.name: p.read_bytes() for p in sorted(status.glob("*.csv")) if p.stem not in besides}


def test_cold_once_per_cycle_ends_where_a_warm_service_and_full_decodes_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANSOU_CLIENT_KEY", KEY)
    configs = {name: embedded_config(tmp_path / name) for name in FOLDERS}
    settings = load_config(configs["warm"])
    warm_ledger = Ledger.open(Path(settings.state.path))
    warm = build_services(settings, warm_ledger)
    kept = WarmCycle()
    projected = []  # calls of the projector (what a start projects the state's tabs with)
    skipped = []  # per cold start: it found the state's tabs in the files, unprojected
    projecting = Projector.project

    def counted(*args: Any) -> Any:
        projected.append(1)
        return projecting(*args)

    monkeypatch.setattr(Projector, "project", counted)
    mails = []  # calls of what makes メール alone (when the state's tabs were not looked at)
    making = app_tabs._mails

    def counted_mails(*args: Any) -> Any:
        mails.append(1)
        return making(*args)

    monkeypatch.setattr(app_tabs, "_mails", counted_mails)
    unmade = []  # per cold start: neither the state's tabs nor メール were made
    resumed = []  # per cold start: it resumed the memo the previous process left
    resuming = projection_memo.resume

    def counted_resume(*args: Any) -> bool:
        done = resuming(*args)
        resumed.append(done)
        return done

    monkeypatch.setattr(projection_memo, "resume", counted_resume)
    env = {**os.environ, "BANSOU_CLIENT_KEY": KEY}
    used = 0  # cold cycles that found a usable snapshot
    resumes = 0  # cold cycles that resumed the projection the previous one left
    try:
        moments = _moments()
        quiet = [moments[-1] + timedelta(minutes=m) for m in (20, 40)]  # nothing new
        for step, now in enumerate(moments + quiet):
            for name in FOLDERS:
                _reveal(tmp_path / name, now)
                if now in quiet:
                    continue
                if step % 3 == 2:
                    _edit_tab(tmp_path / name, "申請", step)
                if step % 5 == 4:
                    _edit_tab(tmp_path / name, "伴走者", step)
            run_once.run_cycle(warm, now, warm=kept)
            ledger_path = tmp_path / "decoded" / "out" / "ledger.sqlite3"
            snapshot.path_for(ledger_path).unlink(missing_ok=True)  # decode every time
            kept_projection.path_for(ledger_path).unlink(missing_ok=True)  # project whole
            kept_snapshot = snapshot.path_for(tmp_path / "cold" / "out" / "ledger.sqlite3")
            used += kept_snapshot.exists()
            for name in ("cold", "decoded"):
                when = now.strftime("%Y-%m-%d %H:%M")
                before, mails_before, tries = len(projected), len(mails), len(resumed)
                done = run_cli(["once", "--config", str(configs[name]), "--now", when], env=env)
                assert done.returncode == 0, done.stderr
                if name == "cold":
                    skipped.append(len(projected) == before)
                    unmade.append(skipped[-1] and len(mails) == mails_before)
                    resumes += any(resumed[tries:])
                else:
                    assert not any(resumed[tries:]), "a memo deleted was resumed"
            states = []
            for name in FOLDERS:
                with Ledger.open_readonly(tmp_path / name / "out" / "ledger.sqlite3") as ledger:
                    states.append(ledger.load_state())
            assert states[0] == states[1] == states[2], f"step {step} at {now}"
            assert _tabs(tmp_path / "cold") == _tabs(tmp_path / "decoded"), f"step {step}"
    finally:
        warm_ledger.close()
    assert used >= len(_moments()) - 1, "the cold processes did not keep their snapshot"
    assert skipped[-1] and not skipped[0], "a quiet cold start projected its tabs again"
    # the outbox unchanged since the last write of メール (its token): its tab is not made
    assert unmade[-1] and unmade[-2], "a quiet cold start made メール again"
    assert resumes >= len(_moments()) // 2, "the cold processes did not resume the memo"
    assert states[1].applications, "the exports were not read"
    emails = [outbox_mail(tmp_path / name / "out") for name in FOLDERS]
    assert emails[0] == emails[1] == emails[2]
    # 同期 is the cycles log: the service's rows are its own (no backups, no CLI report)
    tabs = [_tabs(tmp_path / name, besides=("同期",)) for name in FOLDERS]
    assert tabs[0] == tabs[1] == tabs[2]


def test_a_cold_start_that_resumed_the_memo_of_an_unchanged_state_does_not_write_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANSOU_CLIENT_KEY", KEY)
    config = embedded_config(tmp_path / "cold")
    env = {**os.environ, "BANSOU_CLIENT_KEY": KEY}
    saved, resumed = [], []
    saving, resuming = kept_projection.KeptProjection.save, projection_memo.resume

    def counted_save(self: Any, *args: Any) -> None:
        if self.path.suffix == kept_projection.PROJECTION:  # the staff input's is not counted
            saved.append(1)
        saving(self, *args)

    def counted_resume(*args: Any) -> bool:
        resumed.append(resuming(*args))
        return resumed[-1]

    monkeypatch.setattr(kept_projection.KeptProjection, "save", counted_save)
    monkeypatch.setattr(projection_memo, "resume", counted_resume)
    now = _moments()[4]
    _reveal(tmp_path / "cold", now)
    status = tmp_path / "cold" / "out" / "status"
    for minutes in (0, 20, 40):
        when = (now + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M")
        if minutes == 40:  # staff deleted a tab file: the sheet looks at the rows again
            (status / "申請.csv").unlink()
        before = len(saved)
        done = run_cli(["once", "--config", str(config), "--now", when], env=env)
        assert done.returncode == 0, done.stderr
        if minutes == 0:
            assert len(saved) == before + 1 and not any(resumed)  # the backfill leaves one
            tabs = _tabs(tmp_path / "cold", besides=("同期",))
    assert resumed[-1] and resumed.count(True) == 1, "the unchanged state's memo was not resumed"
    assert len(saved) == 1, "the memo of an unchanged state was written again"
    assert _tabs(tmp_path / "cold", besides=("同期",)) == tabs
