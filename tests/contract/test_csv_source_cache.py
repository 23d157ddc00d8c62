"""A CSV export read again from the kept read (same bytes) or from where the kept read
ended (an export that only grew) gives exactly what a whole read of the file gives:
the same responses (回答ID, answers, times) and the same problems, row numbers included
(issue 14). Every case compares with a fresh source reading the file whole."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from bansou_sync.adapters.csv_source import CsvSource
from bansou_sync.adapters.export_cache import ExportCache, mapping_key
from bansou_sync.adapters.form_fields import APPLICATION_TITLES
from bansou_sync.core.model import RawResponse

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "applications.csv"


def records() -> list[list[str]]:
    text = REFERENCE.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def encode(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def whole(path: Path) -> tuple[list[RawResponse], list[str]]:
    source = CsvSource({"application": path})
    return source.fetch("application"), source.problems


def kept_source(path: Path, cache: Path) -> CsvSource:
    return CsvSource({"application": path}, cache_path=cache)


def no_whole_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on a kept source must not read an export whole (``whole`` still may)."""

    real = CsvSource._read_whole

    def guarded(self: CsvSource, *args: Any) -> list[RawResponse]:
        if self._kept.path is not None:
            raise AssertionError("the export was read whole")
        return real(self, *args)

    monkeypatch.setattr(CsvSource, "_read_whole", guarded)


def assert_as_whole(source: CsvSource, path: Path) -> None:
    expected, problems = whole(path)
    assert source.fetch("application") == expected
    assert source.problems == problems


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "applications.csv"
    rows = records()
    path.write_bytes(encode(rows[:200]))
    return path


def test_an_unchanged_export_gives_the_whole_reads_responses_in_this_and_a_new_process(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "source-cache.bin"
    source = kept_source(export, cache)
    assert_as_whole(source, export)
    assert cache.exists()
    no_whole_read(monkeypatch)

    assert_as_whole(source, export)
    assert_as_whole(kept_source(export, cache), export)  # a cron-style new process


def test_an_export_that_grew_is_read_from_the_kept_rows_as_a_whole_read_would(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "source-cache.bin"
    assert_as_whole(kept_source(export, cache), export)
    rows = records()
    # a timestamp already seen above, so the occurrence number (回答ID #n) must go on
    again = [rows[150][0], *rows[201][1:]]
    export.write_bytes(encode([*rows[:200], *rows[200:260], again]))
    no_whole_read(monkeypatch)

    assert_as_whole(kept_source(export, cache), export)
    assert len(kept_source(export, cache).fetch("application")) > 200


def test_a_cut_off_last_row_is_held_and_read_once_the_export_completes_it(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "source-cache.bin"
    assert_as_whole(kept_source(export, cache), export)
    rows = records()
    complete = encode([*rows[:200], *rows[200:230]])
    cut = complete[: complete.rindex(b"\r\n", 0, len(complete) - 2) + 20]  # mid last row

    export.write_bytes(cut)
    no_whole_read(monkeypatch)  # the rows after the kept ones, the cut one held
    source = kept_source(export, cache)
    assert_as_whole(source, export)
    assert any("途中で切れている" in p for p in source.problems)

    export.write_bytes(complete)
    assert_as_whole(kept_source(export, cache), export)


def test_an_edited_middle_row_makes_a_whole_read(export: Path, tmp_path: Path) -> None:
    cache = tmp_path / "source-cache.bin"
    assert_as_whole(kept_source(export, cache), export)
    rows = records()[:230]
    rows[100] = [rows[100][0], rows[100][1], "別の 名前", *rows[100][3:]]

    export.write_bytes(encode(rows))

    assert_as_whole(kept_source(export, cache), export)


def test_an_export_replaced_by_a_shorter_one_is_read_whole(export: Path, tmp_path: Path) -> None:
    cache = tmp_path / "source-cache.bin"
    assert_as_whole(kept_source(export, cache), export)

    export.write_bytes(encode(records()[:50]))

    assert_as_whole(kept_source(export, cache), export)


def test_a_grown_export_with_undecodable_bytes_is_read_whole_with_the_replacements_named(
    export: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "source-cache.bin"
    assert_as_whole(kept_source(export, cache), export)
    rows = records()
    grown = encode([*rows[:200], *rows[200:210]])
    at = grown.rindex("伴走".encode())  # a multi-byte character in the new rows
    export.write_bytes(grown[:at] + b"\xff" + grown[at + 1 :])

    source = kept_source(export, cache)
    assert_as_whole(source, export)
    assert any("\ufffd" in p for p in source.problems)


def test_a_damaged_or_foreign_cache_file_is_ignored(export: Path, tmp_path: Path) -> None:
    cache = tmp_path / "source-cache.bin"
    cache.write_bytes(b"not a cache")
    assert_as_whole(kept_source(export, cache), export)

    other = tmp_path / "other.csv"
    shutil.copy(export, other)
    other.write_bytes(encode(records()[:20]))
    assert_as_whole(kept_source(other, cache), other)  # kept for another path: not used


def test_a_changed_question_mapping_reads_the_export_again(export: Path, tmp_path: Path) -> None:
    cache = tmp_path / "source-cache.bin"
    assert_as_whole(kept_source(export, cache), export)
    titles = {"application": {**APPLICATION_TITLES, "narrative": "氏名"}}  # another field

    mapped = CsvSource({"application": export}, titles, cache_path=cache)

    expected = CsvSource({"application": export}, titles).fetch("application")
    assert mapped.fetch("application") == expected


def test_the_cache_file_round_trips_every_field_of_a_response(export: Path, tmp_path: Path) -> None:
    cache_path = tmp_path / "source-cache.bin"
    kept_source(export, cache_path).fetch("application")

    loaded = ExportCache(cache_path).get("application", mapping_key(export, APPLICATION_TITLES))
    assert loaded is not None

    expected, problems = whole(export)
    assert list(loaded.responses) == expected
    assert [r.submitted_at.tzinfo for r in loaded.responses] == [
        r.submitted_at.tzinfo for r in expected
    ]
    assert list(loaded.problems) == problems
