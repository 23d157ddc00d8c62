"""Staff decisions in 審査 (SPEC §4): each acted on once, on allowed statuses only."""

from __future__ import annotations

from builders import Office, app, codes, d, kinds, members

from bansou_sync.core.model import AppStatus
from bansou_sync.core.policy import Policy
from bansou_sync.core.projection import application_rows
from bansou_sync.core.tabs import APPLICATIONS

REASON_COL = APPLICATIONS.headers.index("理由")


def one_pending(policy: Policy | None = None) -> Office:
    office = members(1, policy)
    office.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-06-30", "10:00", "13:00"))
    office.cycle("2022-07-01 10:05")
    return office


def test_approval_accepts_once_with_the_amount_and_pay_date() -> None:
    office = one_pending()
    office.decide("A-000001", "承認")
    plan = office.cycle("2022-07-04 07:00")
    a = office.a("A-000001")
    assert (a.status, a.honorarium, a.accepted_on) == (AppStatus.ACCEPTED, 10000, d("2022-07-04"))
    assert (a.cutoff, a.pay_date) == (d("2022-07-20"), d("2022-08-10"))
    (notice,) = plan.notices
    assert (notice.kind, notice.context["amount"], notice.context["pay_date"]) == (
        "application_accepted",
        10000,
        "2022-08-10",
    )
    again = office.cycle("2022-07-04 07:30")
    assert again.notices == [] and again.problems == []


def test_changing_the_decision_is_a_new_decision() -> None:
    office = one_pending()
    office.decide("A-000001", "承認")
    office.cycle("2022-07-04 07:00")
    office.decide("A-000001", "却下")
    plan = office.cycle("2022-07-05 07:00")
    assert office.a("A-000001").status == AppStatus.REJECTED
    assert kinds(plan.notices) == ["application_rejected"]


def test_rejection_acts_on_a_deficient_application() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-06-30", consent=""))
    office.cycle("2022-07-01 10:05")
    office.decide("A-000001", "却下")
    office.cycle("2022-07-02 07:00")
    assert office.a("A-000001").status == AppStatus.REJECTED


def test_returning_makes_it_deficient_with_the_memo_as_reason() -> None:
    office = one_pending()
    office.decide("A-000001", "差戻し", "同行先を書いてください")
    plan = office.cycle("2022-07-02 07:00")
    a = office.a("A-000001")
    assert (a.status, codes(a)) == (AppStatus.DEFICIENT, ["returned"])
    row = application_rows(office.state, office.policy)[0]
    assert row[REASON_COL] == "returned: 同行先を書いてください"
    (notice,) = plan.notices
    assert notice.kind == "application_deficient" and notice.context["returned"] is True


def test_returning_a_deficient_application_is_not_applied_and_is_reported() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-06-30", consent=""))
    office.cycle("2022-07-01 10:05")
    office.decide("A-000001", "差戻し")
    plan = office.cycle("2022-07-02 07:00")
    assert office.a("A-000001").status == AppStatus.DEFICIENT
    assert plan.notices == []
    assert any("A-000001" in p for p in plan.problems)


def test_approving_a_rejected_application_is_not_applied_and_is_reported_in_sync() -> None:
    office = one_pending()
    office.decide("A-000001", "却下")
    office.cycle("2022-07-02 07:00")
    office.decide("A-000001", "承認")
    plan = office.cycle("2022-07-03 07:00")
    assert office.a("A-000001").status == AppStatus.REJECTED
    assert plan.notices == []
    assert any("A-000001" in p and "承認" in p for p in plan.problems)


def test_a_value_that_is_not_a_decision_is_reported_in_sync() -> None:
    office = one_pending()
    office.decide("A-000001", "承認する?")
    plan = office.cycle("2022-07-02 07:00")
    assert office.a("A-000001").status == AppStatus.PENDING_REVIEW
    assert any("A-000001" in p for p in plan.problems)


def test_a_decision_for_an_unknown_number_is_reported() -> None:
    office = one_pending()
    office.decide("A-000099", "承認")
    plan = office.cycle("2022-07-02 07:00")
    assert any("A-000099" in p for p in plan.problems)


def test_approving_an_ineligible_application_without_a_duration_pays_the_lower_amount() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-05-26", end=""))
    office.cycle("2022-07-01 10:05")
    assert office.a("A-000001").status == AppStatus.INELIGIBLE
    office.decide("A-000001", "承認")
    plan = office.cycle("2022-07-02 07:00")
    a = office.a("A-000001")
    assert (a.status, a.honorarium) == (AppStatus.ACCEPTED, 6000)
    assert plan.problems == []  # an override is a digest warning, not a sync error
    digest = office.cycle("2022-07-02 08:00").notices[-1]
    assert digest.kind == "staff_digest"
    assert any("A-000001" in str(o) for o in digest.context["overrides"])


def test_approving_a_too_short_one_pays_the_lower_amount() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-06-30", "10:00", "10:30"))
    office.cycle("2022-07-01 10:05")
    office.decide("A-000001", "承認")
    office.cycle("2022-07-02 07:00")
    assert office.a("A-000001").honorarium == 6000


def test_auto_accept_sends_received_then_accepted_in_the_same_cycle() -> None:
    office = one_pending(Policy(auto_accept=True))
    a = office.a("A-000001")
    assert (a.status, a.accepted_on) == (AppStatus.ACCEPTED, d("2022-07-01"))
    office2 = members(1, Policy(auto_accept=True))
    office2.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-06-30"))
    plan = office2.cycle("2022-07-01 10:05")
    assert [n.kind for n in plan.notices if n.ref == "A-000001"] == [
        "application_received",
        "application_accepted",
    ]


def test_auto_accept_leaves_deficient_ones_alone() -> None:
    office = members(1, Policy(auto_accept=True))
    office.applications.append(app("2022-07-01 10:00", "BN-0001", "2022-06-30", consent=""))
    office.cycle("2022-07-01 10:05")
    assert office.a("A-000001").status == AppStatus.DEFICIENT
