"""P8: the grant's budget — refusing past the total, the warning, closing intake."""

from __future__ import annotations

from builders import Office, app, codes, kinds, members

from bansou_sync.core.model import AppStatus
from bansou_sync.core.policy import Policy


def apply_on(office: Office, day: int, supporter: str = "BN-0001", end: str = "12:00") -> None:
    office.applications.append(
        app(
            f"2022-07-{day:02d} 18:00",
            supporter,
            f"2022-07-{day:02d}",
            end=end,
            initials=f"C{day}",
            birth_year="1990",
            nationality="ネパール",
        )
    )


def test_an_application_that_would_pass_the_total_is_refused() -> None:
    office = members(1, Policy(budget_total_yen=16000))
    for day in (1, 2, 3):
        apply_on(office, day)
    office.cycle("2022-07-04 07:00")
    assert [a.status for a in office.state.applications.values()] == [
        AppStatus.PENDING_REVIEW,
        AppStatus.PENDING_REVIEW,
        AppStatus.INELIGIBLE,
    ]
    assert codes(office.a("A-000003")) == ["budget_closed"]


def test_a_rejection_frees_the_money_again() -> None:
    office = members(1, Policy(budget_total_yen=12000))
    apply_on(office, 1)
    apply_on(office, 2)
    office.cycle("2022-07-03 07:00")
    office.decide("A-000001", "却下")
    office.cycle("2022-07-04 07:00")
    apply_on(office, 5)
    office.cycle("2022-07-06 07:00")
    assert office.a("A-000003").status == AppStatus.PENDING_REVIEW


def test_one_budget_warning_per_crossing() -> None:
    office = members(1, Policy(budget_total_yen=20000, staff_to=("staff@example.org",)))
    apply_on(office, 1)
    office.cycle("2022-07-02 07:00")
    apply_on(office, 2, end="13:00")  # 16,000 of 20,000: 80 %
    plan = office.cycle("2022-07-03 07:00")
    warnings = [n for n in plan.notices if n.kind == "budget_warning"]
    assert [(n.to, n.context["committed_yen"]) for n in warnings] == [
        (("staff@example.org",), 16000)
    ]
    assert "budget_warning" not in kinds(office.cycle("2022-07-03 07:30").notices)
    office.decide("A-000002", "却下")
    assert "budget_warning" not in kinds(office.cycle("2022-07-04 07:00").notices)
    apply_on(office, 4, end="13:00")
    again = [n for n in office.cycle("2022-07-05 07:00").notices if n.kind == "budget_warning"]
    assert len(again) == 1
    assert again[0].event_key != warnings[0].event_key


def test_intake_closes_below_the_smallest_honorarium_and_asks_to_close_the_form_once() -> None:
    office = members(1, Policy(budget_total_yen=17000, close_form=True))
    apply_on(office, 1, end="13:00")
    assert office.cycle("2022-07-02 07:00").close_form is False  # 7,000 left
    apply_on(office, 2, end="12:00")  # 16,000: 1,000 left, below 6,000
    assert office.cycle("2022-07-03 07:00").close_form is True
    assert office.cycle("2022-07-03 07:30").close_form is False
    apply_on(office, 4)
    office.cycle("2022-07-05 07:00")
    assert codes(office.a("A-000003")) == ["budget_closed"]


def test_without_close_form_intake_closes_but_the_form_is_left_open() -> None:
    office = members(1, Policy(budget_total_yen=10000))
    apply_on(office, 1, end="13:00")
    assert office.cycle("2022-07-02 07:00").close_form is False
    assert office.state.flags["intake_closed"] == "1"


def test_staff_may_approve_past_the_budget_and_the_digest_warns() -> None:
    office = members(1, Policy(budget_total_yen=10000))
    apply_on(office, 1, end="13:00")
    apply_on(office, 2)
    office.cycle("2022-07-03 07:00")
    assert codes(office.a("A-000002")) == ["budget_closed"]
    office.decide("A-000002", "承認")
    office.cycle("2022-07-04 07:00")
    assert office.a("A-000002").status == AppStatus.ACCEPTED
    digest = office.cycle("2022-07-04 09:00").notices[-1]
    assert digest.kind == "staff_digest"
    overrides = " ".join(map(str, digest.context["overrides"]))
    assert "budget_closed" in overrides and "予算総額を超えました" in overrides


def test_deficient_applications_do_not_commit_money() -> None:
    office = members(1, Policy(budget_total_yen=6000))
    office.applications.append(app("2022-07-01 18:00", "BN-0001", "2022-07-01", consent=""))
    apply_on(office, 2)
    office.cycle("2022-07-03 07:00")
    assert office.a("A-000002").status == AppStatus.PENDING_REVIEW
