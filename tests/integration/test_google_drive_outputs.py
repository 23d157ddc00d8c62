"""``adapters.google_drive.DriveOutputs`` against the emulator (issue 13 §4): uploads
with the real client library — multipart, and resumable in chunks for a large file —
into the configured folder only, and never leaves its local copy behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulated import MAILBOX, key_file

from bansou_sync.adapters import google_drive
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.google_drive import DriveOutputs
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.emulator.server import Emulator, start_emulator
from bansou_sync.errors import BansouError

QUICK = RetryPolicy(attempts=2, total_seconds=5, base_seconds=0.01, max_wait_seconds=0.05)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = start_emulator()
    try:
        yield emu
    finally:
        emu.stop()


def outputs(emu: Emulator, tmp_path: Path, **folders: str | None) -> DriveOutputs:
    access = GoogleAccess(key_file(emu, tmp_path), MAILBOX, emu.base_url)
    return DriveOutputs(access, folders, QUICK)


def test_each_file_lands_in_its_areas_folder_and_the_local_copy_is_deleted(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(google_drive, "RESUMABLE_FROM", 300 * 1024)  # the PDF goes resumable
    monkeypatch.setattr(google_drive, "CHUNK", 256 * 1024)
    reports = emulator.drive.add_folder("出力", writers=[MAILBOX])
    small, large = tmp_path / "report.html", tmp_path / "report.pdf"
    small.write_bytes("<p>件数</p>".encode())
    large_data = bytes(i % 253 for i in range(700 * 1024))
    large.write_bytes(large_data)

    links = outputs(emulator, tmp_path, reports=reports).publish("reports", [small, large])

    stored = {f.name: f for f in emulator.drive.files_in(reports)}
    assert set(stored) == {"report.html", "report.pdf"}
    assert links == [
        f"https://drive.google.com/file/d/{stored[name].id}/view?usp=drivesdk"
        for name in ("report.html", "report.pdf")
    ]
    assert emulator.drive.content(stored["report.pdf"].id) == large_data
    assert stored["report.pdf"].mime_type == "application/pdf"
    assert not small.exists() and not large.exists()
    puts = [r for r in emulator.requests("drive") if r.http_method == "PUT"]
    assert len(puts) == 3  # 700 KiB in 256 KiB chunks


def test_payment_files_without_a_treasurer_folder_are_refused_and_not_uploaded(
    emulator: Emulator, tmp_path: Path
) -> None:
    store = outputs(emulator, tmp_path, payments=None, reports="1Whatever")
    refusal = store.refusal("payments")
    assert refusal is not None and "drive.treasurer_folder_id" in refusal
    assert store.refusal("reports") is None
    transfer = tmp_path / "zengin_2022-07-08.txt"
    transfer.write_bytes(b"1" * 120)
    with pytest.raises(BansouError):
        store.publish("payments", [transfer])
    assert not transfer.exists()  # bank details do not linger on the server
    assert emulator.drive.all_files() == []


def test_a_folder_that_is_not_there_is_a_clear_error_and_nothing_is_left_on_disk(
    emulator: Emulator, tmp_path: Path
) -> None:
    made = tmp_path / "memo-labels-2022-06-30.pdf"
    made.write_bytes(b"%PDF-1.4")
    with pytest.raises(BansouError) as refused:
        outputs(emulator, tmp_path, labels="1NoSuchFolder").publish("labels", [made])
    assert "File not found: 1NoSuchFolder." in str(refused.value)
    assert "drive.outputs_folder_id" in str(refused.value)
    assert not made.exists()
