"""``budget.emergency_in_total`` (issue 13 §6, a choice the secretariat confirms): whether
emergency grants count against the honoraria budget (P8), through the real CLI on the
embedded default. All data is fictitious."""

from __future__ import annotations

from bansou_sync.adapters.form_fields import EMERGENCY_TITLES

from .conftest import Project, _export, application
from .test_cli_staff_tools import accepted_case, emergency


def grant_then_apply(project: Project) -> str:
    """BN-0001 accepted (6,000), an emergency grant of 10,000, then BN-0002 applies for
    6,000 against a 20,000 budget; the new application's status code."""
    _export(project.root / "emr.csv", EMERGENCY_TITLES, [])
    accepted_case(project)
    _export(
        project.root / "emr.csv",
        EMERGENCY_TITLES,
        [emergency("2022/07/01 10:00:00", "BN-0001", "C-0001", "10000")],
    )
    project.once("2022-07-01 12:00")
    project.edit("緊急支援", "受付番号", "E-0001", 決定="承認", 金額="10000")
    project.add_applications(
        application(
            "2022/07/02 10:00:00",
            supporter_id="BN-0002",
            email="user2@example.com",
            support_date="2022/07/01",
        )
    )
    project.once("2022-07-02 12:00")
    assert project.tab("緊急支援")[0]["状態コード"] == "granted"
    return project.app("A-000002")["状態コード"]


def test_by_default_an_emergency_grant_uses_the_honoraria_budget(project: Project) -> None:
    project.write_config(source={"emergency": "emr.csv"}, budget={"total_yen": 20000})
    assert grant_then_apply(project) == "ineligible"  # 6,000 + 10,000 leave 4,000
    assert project.app("A-000002")["理由"].startswith("budget_closed")


def test_with_emergency_in_total_false_a_grant_leaves_the_honoraria_budget_alone(
    project: Project,
) -> None:
    project.write_config(
        source={"emergency": "emr.csv"},
        budget={"total_yen": 20000, "emergency_in_total": False},
    )
    assert grant_then_apply(project) == "pending_review"
