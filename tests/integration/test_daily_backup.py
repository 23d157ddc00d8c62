"""The daily ledger backup: one consistent copy per JST day, mode 0600, the newest
``state.backups`` kept, each one a ledger that opens as it is."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bansou_sync.adapters.ledger import Ledger
from bansou_sync.app.backup import BackupPlan, backup_name, daily_backup
from bansou_sync.app.retention import remove_backups
from bansou_sync.core.calendar import JST
from bansou_sync.core.state import State

DAY = date(2022, 7, 10)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
        state = State(counters={"supporter": 12}, flags={"failures": "0"}, seen={"x|1": "t"})
        with opened.transaction():
            opened.save_state(State(), state)
        opened.record_cycle(datetime(2022, 7, 10, 9, tzinfo=JST), "成功", 2, 3, 4, "", False)
        yield opened


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_backup_is_a_private_ledger_that_opens_with_the_same_records(
    ledger: Ledger, tmp_path: Path
) -> None:
    taken = daily_backup(ledger, tmp_path / "backups", 7, DAY)

    assert taken == tmp_path / "backups" / "ledger-20220710.sqlite3"
    assert mode(taken) == 0o600 and mode(taken.parent) == 0o700
    assert [p.name for p in taken.parent.iterdir()] == [taken.name]  # no -wal, no partial
    with Ledger.open(taken) as restored:
        assert restored.load_state() == ledger.load_state()
        assert restored.cycles() == ledger.cycles()


def test_a_purge_removes_every_backup_and_what_opening_one_left_beside_it(
    ledger: Ledger, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    taken = daily_backup(ledger, folder, 7, DAY)
    assert taken is not None
    with Ledger.open(taken) as opened:  # e.g. to look at an old state
        opened.load_state()
    (folder / "notes.txt").write_text("keep me")
    assert remove_backups(folder) == 1
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]  # no copy, no snapshot


def test_at_most_one_backup_is_taken_per_day(ledger: Ledger, tmp_path: Path) -> None:
    first = daily_backup(ledger, tmp_path / "b", 7, DAY)
    assert first is not None
    before = first.stat().st_mtime_ns

    assert daily_backup(ledger, tmp_path / "b", 7, DAY) is None
    assert first.stat().st_mtime_ns == before
    assert daily_backup(ledger, tmp_path / "b", 7, DAY + timedelta(days=1)) is not None


def test_only_the_newest_copies_are_kept_and_other_files_are_left_alone(
    ledger: Ledger, tmp_path: Path
) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    for offset in range(10):
        daily_backup(ledger, folder, 3, DAY + timedelta(days=offset))

    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "ledger-20220717.sqlite3",
        "ledger-20220718.sqlite3",
        "ledger-20220719.sqlite3",
        "notes.txt",
    ]
    for name in names[:3]:
        with Ledger.open(folder / name) as restored:
            assert restored.load_state().counters == {"supporter": 12}


def test_zero_copies_turns_backups_off(ledger: Ledger, tmp_path: Path) -> None:
    assert daily_backup(ledger, tmp_path / "b", 0, DAY) is None
    assert not (tmp_path / "b").exists()


def test_the_backup_day_is_the_day_in_tokyo(ledger: Ledger, tmp_path: Path) -> None:
    plan = BackupPlan(tmp_path / "b", 7)
    late_utc = datetime.fromisoformat("2022-07-09T15:30:00+00:00")  # 7/10 00:30 JST

    assert plan.take(ledger, late_utc) is None
    assert (tmp_path / "b" / backup_name(DAY)).exists()


def test_a_failed_backup_is_a_problem_line_never_an_exception(
    ledger: Ledger, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")

    problem = BackupPlan(blocker / "backups", 7).take(ledger, datetime(2022, 7, 10, tzinfo=JST))

    assert problem is not None and problem.startswith("台帳のバックアップに失敗しました")
