"""Issue 10 §6, through the real CLI on the embedded default: an outbox folder inside
the status folder, a ``--now`` the calendar cannot hold, and a sheet write that fails
part-way (a full disk)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from bansou_sync.adapters import local_sheet
from bansou_sync.cli import main

from .conftest import Project, application
from .test_cli_staff_mistakes import USER1, clean_project, same_outcome


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("outbox", ["out/status/outbox", "out/status", "out/status/a/b"])
def test_an_outbox_folder_inside_the_status_folder_is_refused_in_one_line(
    project: Project, outbox: str
) -> None:
    project.write_config(mail={"path": outbox})

    checked = project.cli("check-config", "--config", str(project.config_path), check=False)
    assert checked.returncode != 0
    assert "Traceback" not in checked.stderr
    (line,) = [line for line in _lines(checked.stderr) if "mail.path" in line]
    assert "sheet.path" in line

    ran = project.once("2022-07-05 12:00", check=False)
    assert ran.returncode != 0
    assert not (project.root / "out").exists()


def test_an_outbox_folder_beside_the_status_folder_is_accepted(project: Project) -> None:
    project.write_config(mail={"path": "out/outbox"}, sheet={"path": "out/status-tabs"})
    project.cli("check-config", "--config", str(project.config_path))


@pytest.mark.parametrize(
    "now", ["9999-12-31 23:00", "0001-01-01", "9999-12-31T23:00:00-05:00", "1000-01-01 12:00"]
)
def test_a_now_outside_the_calendars_years_is_one_line_naming_now_and_leaves_nothing(
    project: Project, now: str
) -> None:
    project.register(1)
    result = project.once(now, check=False)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = _lines(result.stderr)
    assert "--now" in line and now in line
    assert not (project.root / "out").exists()


def test_a_sheet_write_failing_part_way_shows_one_sync_row_and_no_excel_hint_on_a_full_disk(
    project: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BANSOU_CLIENT_KEY", "e2e-test-client-key-0123456789abcdef")
    project.register(1)
    project.once("2022-07-04 12:00")
    project.write_applications(
        [application("2022/07/02 9:00:00", **USER1, support_date="2022/07/01")]
    )
    real = local_sheet.write_atomically

    # 伴走者 (申請件数) is written, then the disk fills at 申請 (unchanged tabs are not
    # rewritten, so the failure must come at a tab the new application changes)
    def disk_fills_at_the_applications_tab(path: Path, data: bytes) -> None:
        if path.name == "申請.csv":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(local_sheet, "write_atomically", disk_fills_at_the_applications_tab)
    code = main(["once", "--config", str(project.config_path), "--now", "2022-07-05 12:00"])

    assert code != 0
    printed = capsys.readouterr().err
    assert "ディスクの空き" in printed and "Excel" not in printed
    rows = [r for r in project.tab("同期") if r["最終同期"] == "2022-07-05 12:00"]
    assert [(r["結果"], r["新規申請"]) for r in rows] == [("失敗", "1")]
    assert "ディスクの空き" in rows[0]["エラー"] and "Excel" not in rows[0]["エラー"]

    monkeypatch.setattr(local_sheet, "write_atomically", real)  # room again
    project.once("2022-07-05 12:10")
    assert project.app("A-000001")["状態コード"] == "pending_review"

    clean = clean_project(tmp_path)
    clean.register(1)
    clean.once("2022-07-04 12:00")
    clean.write_applications(project.applications)
    clean.once("2022-07-05 12:00")
    clean.once("2022-07-05 12:10")
    same_outcome(project, clean)
