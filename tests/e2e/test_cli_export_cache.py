"""Cron-style cycles (a new ``bansou-sync once`` each time) that start from the kept
read of the CSV exports (``source-cache.bin`` beside the ledger) end exactly where
cycles that read every export whole end: the same tabs and the same emails (issue 14)."""

from __future__ import annotations

from pathlib import Path

from .conftest import Project, application

CACHE = "source-cache.bin"


def projects(tmp_path: Path) -> tuple[Project, Project]:
    made = []
    for name in ("kept", "whole"):
        (tmp_path / name).mkdir()
        p = Project(tmp_path / name)
        p.write_config()
        p.register(3)
        p.write_applications(
            [
                application(
                    "2022/07/01 9:00:00", supporter_id="BN-0001", email="user1@example.com"
                ),
                application(
                    "2022/07/01 9:05:00", supporter_id="BN-0002", email="user2@example.com"
                ),
            ]
        )
        made.append(p)
    return made[0], made[1]


def both(kept: Project, whole: Project, now: str) -> None:
    (whole.ledger_path.parent / CACHE).unlink(missing_ok=True)
    kept.once(now)
    whole.once(now)
    assert (kept.ledger_path.parent / CACHE).exists()


def outcome(p: Project) -> tuple[dict[str, bytes], list[str]]:
    tabs = {path.name: path.read_bytes() for path in sorted(p.status_dir.iterdir())}
    return tabs, sorted(path.name for path in p.eml_paths())


def test_cron_cycles_from_the_kept_export_read_end_as_whole_reads_do(tmp_path: Path) -> None:
    kept, whole = projects(tmp_path)
    both(kept, whole, "2022-07-02 12:00")

    both(kept, whole, "2022-07-02 13:00")  # nothing new: the kept read, not parsed
    for p in (kept, whole):  # the export grew: only the new rows are parsed
        p.add_applications(
            application("2022/07/02 13:10:00", supporter_id="BN-0003", email="user3@example.com"),
            application("2022/07/01 9:00:00", supporter_id="BN-0003", email="user3@example.com"),
        )
    both(kept, whole, "2022-07-02 14:00")
    for p in (kept, whole):  # a response edited (new timestamp, moved to the end): whole
        first, second, *rest = p.applications
        p.write_applications([first, *rest, {**second, "timestamp": "2022/07/02 14:30:00"}])
    both(kept, whole, "2022-07-02 15:00")

    assert outcome(kept) == outcome(whole)
    assert len(kept.tab("申請")) == 5  # the edited response is a new one (SPEC §4)
