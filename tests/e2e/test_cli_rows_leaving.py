"""Issue 11 §1 through the real CLI on the embedded default: the row of a key that leaves
a tab is removed, and a staff tick on it is reported in 同期, never applied elsewhere."""

from __future__ import annotations

from pathlib import Path

from .conftest import Project, application

USER1 = {"supporter_id": "BN-0001", "name": "伴走 1郎", "email": "user1@example.com"}


def test_a_released_payment_leaves_its_held_row_and_a_tick_on_that_row_is_only_reported(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.write_config()
    project.register(1)
    project.write_applications(
        [application("2022/07/05 9:00:00", **USER1, support_date="2022/07/01")]
    )
    project.once("2022-07-10 12:00")
    project.review("A-000001", "承認")
    project.once("2022-07-18 12:00")
    project.once("2022-07-21 12:00")  # the papers are not back: held
    (held,) = project.tab("支払")
    assert (held["締め日"], held["状態"]) == ("2022-07-20", "保留")

    project.edit("支払", "締め日", "2022-07-20", 支払済="TRUE")  # a tick on the held row
    project.tick("BN-0001", "○")
    project.once("2022-07-25 12:00")
    project.once("2022-07-25 12:05")  # 同期 shows what the previous write reported

    (batch,) = project.tab("支払")
    assert (batch["締め日"], batch["状態"], batch["支払済"]) == ("2022-08-20", "予定", "")
    assert project.app("A-000001")["状態コード"] == "accepted"  # not paid by that tick
    errors = " ".join(row["エラー"] for row in project.tab("同期"))
    assert "支払 2022-07-20 BN-0001: 支払予定の申請がないため支払済にできません" in errors
    assert "2022-07-20 BN-0001 は一覧から外れたため行を削除しました" in errors
    assert "「支払済」は反映していません" in errors
