"""Atomic file replacement and the sweep of what a killed writer leaves behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bansou_sync.adapters.atomic import STALE_AFTER, sweep_stale, write_atomically


def test_a_replaced_file_has_the_new_bytes_owner_only_and_no_temporary_left(
    tmp_path: Path,
) -> None:
    target = tmp_path / "sub" / "申請.csv"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["申請.csv"]


def test_the_sweep_removes_only_old_temporaries(tmp_path: Path) -> None:
    old = tmp_path / ".申請.csv.abc123.tmp"
    fresh = tmp_path / ".申請.csv.def456.tmp"
    kept = [tmp_path / "申請.csv", tmp_path / "notes.tmp"]  # not ours: no leading dot
    for path in [old, fresh, *kept]:
        path.write_bytes(b"x")
    then = time.time() - STALE_AFTER - 5
    os.utime(old, (then, then))

    assert sweep_stale(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, *(p.name for p in kept)]
    )
    assert sweep_stale(tmp_path / "missing") == 0  # never raises
