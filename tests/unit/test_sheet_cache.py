"""The sheet row cache: a hint kept in SQLite, saved by the entries that changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bansou_sync.adapters.sheet_cache import RowCache


def _rows(path: Path) -> dict[tuple[str, str], tuple[int | None, str]]:
    with sqlite3.connect(path) as conn:
        found = conn.execute("SELECT tab, label, metadata_id, digest FROM rows").fetchall()
    return {(tab, label): (tag, written) for tab, label, tag, written in found}


def test_what_is_saved_is_what_a_new_process_loads(tmp_path: Path) -> None:
    path = tmp_path / "sheet-cache.sqlite3"
    cache = RowCache("sheet-1")
    cache.put("申請", "A-00001", (11, "d1"))
    cache.put("申請", "A-00002", (None, "d2"))
    cache.in_place["同期"] = ["x", "y"]
    cache.checked_at = 123.5
    cache.save(path)

    again = RowCache.load(path, "sheet-1")

    assert again.loaded
    assert again.keyed == {"申請": {"A-00001": (11, "d1"), "A-00002": (None, "d2")}}
    assert again.in_place == {"同期": ["x", "y"]}
    assert again.checked_at == 123.5


def test_a_save_writes_only_the_entries_changed_since_the_last(tmp_path: Path) -> None:
    path = tmp_path / "sheet-cache.sqlite3"
    cache = RowCache("sheet-1")
    for n in range(100):
        cache.put("申請", f"A-{n:05d}", (n, "old"))
    cache.save(path)
    assert cache.touched == {}
    cache.put("申請", "A-00007", (7, "new"))
    cache.drop("申請", "A-00008")
    cache.put("申請", "A-00009", (9, "old"))  # the same entry: nothing to save

    assert cache.touched == {"申請": {"A-00007", "A-00008"}}
    cache.save(path)

    rows = _rows(path)
    assert rows[("申請", "A-00007")] == (7, "new")
    assert ("申請", "A-00008") not in rows
    assert len(rows) == 99
    assert RowCache.load(path, "sheet-1").keyed == cache.keyed


def test_replacing_a_tab_notes_only_its_differences(tmp_path: Path) -> None:
    cache = RowCache("sheet-1", touched={})
    cache.keyed["メール"] = {"<a>": (1, "x"), "<b>": (2, "y")}
    cache.replace_tab("メール", {"<a>": (1, "x"), "<c>": (None, "")})
    assert cache.touched == {"メール": {"<b>", "<c>"}}


def test_a_cache_of_another_spreadsheet_or_an_old_json_file_is_a_lost_hint(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sheet-cache.json"
    path.write_text('{"version": 1, "keyed": {}}', encoding="utf-8")  # an earlier version's
    assert not RowCache.load(path, "sheet-1").loaded
    cache = RowCache("sheet-1")
    cache.put("申請", "A-00001", (1, "d"))
    cache.save(path)  # replaces the old file
    assert RowCache.load(path, "sheet-1").keyed == {"申請": {"A-00001": (1, "d")}}
    assert not RowCache.load(path, "sheet-2").loaded


def test_an_idle_save_does_not_touch_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sheet-cache.sqlite3"
    cache = RowCache("sheet-1")
    cache.put("申請", "A-00001", (1, "d"))
    cache.save(path)
    before = path.stat().st_mtime_ns
    cache.save(path)
    assert path.stat().st_mtime_ns == before
