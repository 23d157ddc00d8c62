"""A labelled tab the local sheet already holds is not looked at again (issue 14): a
cold process then need not project it. Skipped only when writing the same rows again
would give the same bytes and report nothing — checked here against a real write."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from contract.test_local_sheet import file_records, save_as_excel, supporter

from bansou_sync.adapters.local_sheet import LocalSheet
from bansou_sync.adapters.written_labels import WrittenLabels
from bansou_sync.core.tabs import ALL_TABS, SUPPORTERS
from bansou_sync.ports import TabRows


class Untouchable(Sequence[list[str | int]]):
    """Rows a skipped write must never look at."""

    def __len__(self) -> int:
        raise AssertionError("the rows were looked at")

    def __getitem__(self, index: object) -> list[str | int]:  # type: ignore[override]
        raise AssertionError("the rows were looked at")

    def __iter__(self) -> Iterator[list[str | int]]:
        raise AssertionError("the rows were looked at")


def recording(folder: Path, record: Path | None = None) -> LocalSheet:
    """A local sheet that records its writes, as ``bootstrap`` makes it."""
    sheet = LocalSheet(folder)
    record = record or folder.parent / f"{folder.name}-written.json"
    sheet.written = WrittenLabels(record, ALL_TABS)
    return sheet


def labelled(label: str, *rows: list[str | int]) -> TabRows:
    return TabRows(SUPPORTERS.name, rows, label)


def test_a_tab_written_with_a_label_is_skipped_while_its_file_is_unchanged(tmp_path: Path) -> None:
    sheet = recording(tmp_path)
    sheet.write([labelled("L1", supporter(1), supporter(2))])
    before = sheet.path(SUPPORTERS.name).read_bytes()
    again = recording(tmp_path)  # a new process
    again.write([TabRows(SUPPORTERS.name, Untouchable(), "L1")])
    assert sheet.path(SUPPORTERS.name).read_bytes() == before
    assert again.last_problems == []


def test_another_label_or_no_label_is_written(tmp_path: Path) -> None:
    sheet = recording(tmp_path)
    sheet.write([labelled("L1", supporter(1))])
    recording(tmp_path).write([labelled("L2", supporter(1), supporter(2))])
    assert [r[0] for r in file_records(sheet, SUPPORTERS.name)[1:]] == ["BN-0001", "BN-0002"]
    recording(tmp_path).write([TabRows(SUPPORTERS.name, [supporter(3)])])
    recording(tmp_path).write([labelled("L2", supporter(1), supporter(2))])  # record gone
    assert [r[0] for r in file_records(sheet, SUPPORTERS.name)[1:]] == ["BN-0001", "BN-0002"]


def test_a_file_staff_edited_is_written_again_with_their_input_kept(tmp_path: Path) -> None:
    sheet = recording(tmp_path)
    sheet.write([labelled("L1", supporter(1), supporter(2))])
    records = file_records(sheet, SUPPORTERS.name)
    records[1][records[0].index("メモ")] = "電話済"
    records[2][records[0].index("氏名")] = "書き換え"  # a protected column typed over
    save_as_excel(sheet, SUPPORTERS.name, records, encoding="utf-8-sig")
    recording(tmp_path).write([labelled("L1", supporter(1), supporter(2))])
    after = file_records(sheet, SUPPORTERS.name)
    assert after[1][after[0].index("メモ")] == "電話済"
    assert after[2][after[0].index("氏名")] == "伴走 2"


def test_a_write_that_kept_a_staff_row_is_not_recorded(tmp_path: Path) -> None:
    sheet = recording(tmp_path)
    sheet.write([labelled("L1", supporter(1))])
    records = file_records(sheet, SUPPORTERS.name)
    orphan = [""] * len(records[0])
    orphan[records[0].index("メモ")] = "行の外のメモ"
    save_as_excel(sheet, SUPPORTERS.name, [*records, orphan], encoding="utf-8-sig")
    first = recording(tmp_path)
    first.write([labelled("L1", supporter(1))])
    assert first.last_problems  # the kept row is reported ...
    second = recording(tmp_path)
    second.write([labelled("L1", supporter(1))])
    assert second.last_problems == first.last_problems  # ... every time: never skipped


def _random_file(rng: random.Random, sheet: LocalSheet) -> None:
    """Staff at work: typing, sorting, deleting, adding rows, re-saving as CP932."""
    path = sheet.path(SUPPORTERS.name)
    if not path.exists():
        return
    records = file_records(sheet, SUPPORTERS.name)
    header, rows = records[0], records[1:]
    for _ in range(rng.randint(0, 3)):
        action = rng.randrange(5)
        if action == 0 and rows:
            row = rng.choice(rows)
            row[header.index(rng.choice(SUPPORTERS.staff))] = rng.choice(["TRUE", "済", "=1+1", ""])
        elif action == 1:
            rng.shuffle(rows)
        elif action == 2 and rows:
            rows.pop(rng.randrange(len(rows)))
        elif action == 3:
            extra = [""] * len(header)
            extra[header.index("メモ")] = rng.choice(["", "メモだけの行"])
            rows.append(extra)
        elif rows:
            rows.append(list(rng.choice(rows)))  # a row copied: a repeated key
    save_as_excel(sheet, SUPPORTERS.name, [header, *rows], rng.choice(["cp932", "utf-8-sig"]))


def test_randomised_a_skipped_write_is_exactly_what_the_write_would_have_done(
    tmp_path: Path,
) -> None:
    """Two folders, the same staff edits: one writes labelled rows (skipping when it
    may), the other always writes in full. Files and reports stay the same."""
    for seed in range(30):
        rng = random.Random(seed)
        skipping, full = tmp_path / f"s{seed}", tmp_path / f"f{seed}"
        skipping.mkdir()
        for step in range(12):
            label = f"L{rng.randrange(3)}"
            rows = [supporter(n, 申請件数=int(label[1])) for n in range(1, 4 + int(label[1]))]
            if step and rng.random() < 0.5:
                _random_file(rng, LocalSheet(skipping))  # the sheet only as a reader
            shutil.rmtree(full, ignore_errors=True)
            shutil.copytree(skipping, full)
            one = recording(skipping, tmp_path / f"written-{seed}.json")
            other = LocalSheet(full)  # records nothing, skips nothing
            one.write([labelled(label, *rows)])
            other.write([TabRows(SUPPORTERS.name, rows)])
            assert (
                one.path(SUPPORTERS.name).read_bytes() == other.path(SUPPORTERS.name).read_bytes()
            ), f"seed {seed} step {step}"
            assert one.last_problems == other.last_problems, f"seed {seed} step {step}"


def test_a_tab_written_under_another_layout_is_written_again(tmp_path: Path) -> None:
    sheet = recording(tmp_path, tmp_path / "w.json")
    sheet.write([labelled("L1", supporter(1))])
    before = sheet.path(SUPPORTERS.name).read_bytes()
    other = LocalSheet(tmp_path)
    other.written = WrittenLabels(tmp_path / "w.json", [*ALL_TABS[1:], replace(SUPPORTERS)])
    assert other.written.holds(sheet.path(SUPPORTERS.name), "L1")  # the same layout
    wider = replace(SUPPORTERS, headers=(*SUPPORTERS.headers, "追加の列"))
    other.written = WrittenLabels(tmp_path / "w.json", [wider])
    assert not other.written.holds(sheet.path(SUPPORTERS.name), "L1")
    assert sheet.path(SUPPORTERS.name).read_bytes() == before
