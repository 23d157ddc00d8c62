"""A local sheet that keeps its parses (``adapters.parsed_tabs``) reads exactly what a
full parse reads: whatever staff do to a tab file between processes — nothing, a touch,
typing of the same or another length, an Excel re-save, a BOM removed, rows deleted or
sorted — a new process reads the same rows, problems and repeated keys, and writes the
same bytes, as one that parses every file; and an unchanged file is not parsed again."""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from contract.test_local_sheet import file_records, save_as_excel, supporter

from bansou_sync.adapters import local_sheet
from bansou_sync.adapters.atomic import digest
from bansou_sync.adapters.local_sheet import LocalSheet
from bansou_sync.adapters.parsed_tabs import MIN_ROWS, ParsedTabs
from bansou_sync.core.tabs import ALL_TABS, SUPPORTERS
from bansou_sync.ports import TabRows

H = SUPPORTERS.headers
# cells the daemon writes that a read must clean back: guards, spaces, quotes, newlines
ODD = ["=1+1", "-3", "@x", " 伴走 ", 'say "hi"', "two\nlines", "a,b", "", "2022-06-25 10:00"]


def keeping(folder: Path, kept: Path) -> LocalSheet:
    sheet = LocalSheet(folder)
    sheet.parsed = ParsedTabs(kept, ALL_TABS)
    return sheet


def rows(rng: random.Random, count: int) -> TabRows:
    made = []
    for n in range(1, count + 1):
        cells: dict[str, str | int] = {"氏名": rng.choice(ODD) or f"伴走 {n}"}
        if rng.random() < 0.3:
            cells["メールアドレス"] = rng.choice(ODD)
        made.append(supporter(n, **cells))
    return TabRows(SUPPORTERS.name, made)


def staff_edit(rng: random.Random, sheet: LocalSheet, step: int) -> str:
    path = sheet.path(SUPPORTERS.name)
    records = file_records(sheet, SUPPORTERS.name)
    what = ["none", "touch", "same", "longer", "excel", "bom", "delete", "sort", "extra"][step % 9]
    header = records[0]
    memo = header.index("メモ") if "メモ" in header else None
    if what == "touch":
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
        return what
    if what == "none":
        return what
    body = records[1:]
    pick = rng.randrange(len(body))
    if what == "same":  # one character for another: the same size
        column = header.index("覚書受領")
        body[pick][column] = "TRUE" if body[pick][column] != "TRUE" else "FALS"
    elif what == "longer":
        body[pick][header.index("メモ" if memo is not None else "覚書受領")] = "確認済み 2022/6/1"
    elif what == "delete":
        del body[pick]
    elif what == "sort":
        rng.shuffle(body)
    elif what == "extra":
        header.append("担当")
        for record in body:
            record.append(rng.choice(["", "山田"]))
    if what == "excel":
        save_as_excel(sheet, SUPPORTERS.name, [header, *body])  # CP932, no BOM
    elif what == "bom":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows([header, *body])
        path.write_bytes(buffer.getvalue().encode("utf-8"))
    else:
        save_as_excel(sheet, SUPPORTERS.name, [header, *body], encoding="utf-8-sig")
    return what


def test_a_sheet_keeping_its_parses_reads_and_writes_as_one_parsing_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(14)
    folders = {name: tmp_path / name for name in ("kept", "full")}
    parses = []
    parsing = local_sheet.parse

    def counted(*args: object) -> object:
        parses.append(1)
        return parsing(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(local_sheet, "parse", counted)
    count = MIN_ROWS + 50
    written = rows(rng, count)
    what = ""
    for step in range(27):
        kept = keeping(folders["kept"], tmp_path / "parsed")  # a new process each step
        full = LocalSheet(folders["full"])
        before = len(parses)
        read_kept = kept.read()
        reused = len(parses) == before
        assert read_kept == full.read(), step
        if step:
            # bytes this program wrote and staff left alone are not parsed again
            assert reused == (what in ("none", "touch")), (step, what)
        if step % 4 == 3:
            written = rows(rng, count + rng.randrange(-20, 20))
        kept.write([written])
        full.write([written])
        assert kept.last_problems == full.last_problems, step
        assert kept.path(SUPPORTERS.name).read_bytes() == full.path(SUPPORTERS.name).read_bytes()
        for name in folders:  # staff edit both folders alike
            rng_copy = random.Random(step)
            what = staff_edit(rng_copy, LocalSheet(folders[name]), step)


def test_a_damaged_or_foreign_kept_parse_is_not_used(tmp_path: Path) -> None:
    rng = random.Random(7)
    sheet = keeping(tmp_path / "status", tmp_path / "parsed")
    sheet.write([rows(rng, MIN_ROWS + 1)])
    expected = LocalSheet(tmp_path / "status").read()
    (kept_file,) = (tmp_path / "parsed").iterdir()
    whole = kept_file.read_bytes()
    for damaged in (whole[: len(whole) // 2], b"", b"\x00" * 64, whole[:-1] + b"\x01"):
        kept_file.write_bytes(damaged)
        assert keeping(tmp_path / "status", tmp_path / "parsed").read() == expected
    kept_file.write_bytes(whole)
    at = digest(LocalSheet(tmp_path / "status").path(SUPPORTERS.name).read_bytes())
    assert ParsedTabs(tmp_path / "parsed", ALL_TABS).get(SUPPORTERS, at) is not None
    # another version of bansou-sync, or another layout of the tab: parsed afresh
    assert ParsedTabs(tmp_path / "parsed", ALL_TABS, "9.9.9").get(SUPPORTERS, at) is None
    moved = replace(SUPPORTERS, staff=SUPPORTERS.staff[1:])
    assert ParsedTabs(tmp_path / "parsed", [moved]).get(moved, at) is None
    other = tmp_path / "other"
    shutil.copytree(tmp_path / "status", other)
    assert keeping(other, tmp_path / "parsed").read() == expected  # the same bytes elsewhere
    save_as_excel(LocalSheet(other), SUPPORTERS.name, file_records(LocalSheet(other), "伴走者"))
    assert keeping(other, tmp_path / "parsed").read() == LocalSheet(other).read()


def test_a_tab_whose_kept_parse_is_missing_or_of_another_version_keeps_the_parse_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade (another version's or format's parse) or a lost folder, the read
    that parses a tab keeps its parse: the next process loads it instead of parsing the
    file again until the sheet next writes it. A file staff changed is not kept."""
    rng = random.Random(21)
    folder, kept = tmp_path / "status", tmp_path / "parsed"
    old = LocalSheet(folder)
    old.parsed = ParsedTabs(kept, ALL_TABS, "0.9")  # what the previous version kept
    old.write([rows(rng, MIN_ROWS + 10)])
    expected = LocalSheet(folder).read()
    parses: list[int] = []
    parsing = local_sheet.parse

    def counted(*args: object) -> object:
        parses.append(1)
        return parsing(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(local_sheet, "parse", counted)

    def process() -> LocalSheet:
        sheet = LocalSheet(folder)
        sheet.parsed = ParsedTabs(kept, ALL_TABS, "1.0")
        return sheet

    assert process().read() == expected and len(parses) == 1  # another version's: parsed
    assert process().read() == expected and len(parses) == 1  # and kept by that read
    shutil.rmtree(kept)
    assert process().read() == expected and len(parses) == 2
    assert process().read() == expected and len(parses) == 2
    staff_edit(random.Random(1), LocalSheet(folder), 3)  # staff type: parsed each time
    edited = LocalSheet(folder).read()
    before = len(parses)
    assert process().read() == edited and process().read() == edited
    assert len(parses) == before + 2
