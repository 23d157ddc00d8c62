"""P10–P12 through plan_cycle: amounts, pay dates at acceptance, holds and 支払済."""

from __future__ import annotations

import pytest
from builders import Office, app, d, kinds, members

from bansou_sync.core.model import AppStatus
from bansou_sync.core.projection import application_rows, payment_rows
from bansou_sync.core.tabs import APPLICATIONS, PAYMENTS


def accepted_on(day: str, *, documents: bool = True, end: str = "12:00") -> Office:
    """BN-0001's one application (support the day before) accepted by the cycle of ``day``."""
    office = members(1)
    if documents:
        office.tick("BN-0001")
    support = (d(day).replace(day=1)).isoformat()
    office.applications.append(app(f"{support} 18:00", "BN-0001", support, end=end))
    office.cycle(f"{support} 19:00")
    office.decide("A-000001", "承認")
    office.cycle(f"{day} 07:00")
    return office


@pytest.mark.parametrize(
    ("accepted", "pay"),
    [
        ("2022-06-20", "2022-07-08"),
        ("2022-06-21", "2022-08-10"),
        ("2022-09-15", "2022-10-07"),
    ],
)
def test_the_pay_date_follows_the_acceptance_date(accepted: str, pay: str) -> None:
    office = accepted_on(accepted)
    assert office.a("A-000001").pay_date == d(pay)


def test_the_amounts_are_6000_under_three_hours_and_10000_from_three() -> None:
    assert accepted_on("2022-07-05", end="12:59").a("A-000001").honorarium == 6000
    assert accepted_on("2022-07-05", end="13:00").a("A-000001").honorarium == 10000


def test_held_vector_of_section_9() -> None:
    office = accepted_on("2022-07-18", documents=False)
    assert kinds(office.cycle("2022-07-20 23:00").notices) == []
    plan = office.cycle("2022-07-21 07:00")
    a = office.a("A-000001")
    assert (a.status, a.held) == (AppStatus.ACCEPTED, True)
    assert [(n.kind, n.event_key) for n in plan.notices] == [
        ("payment_held", "payment_held:2022-07-20:BN-0001")
    ]
    row = application_rows(office.state, office.policy)[0]
    assert row[APPLICATIONS.headers.index("状態コード")] == "accepted"
    assert str(row[APPLICATIONS.headers.index("理由")]).startswith("payment_held: ")
    assert row[APPLICATIONS.headers.index("支払予定日")] == ""
    (pay_row,) = payment_rows(office.state)
    assert (pay_row[0], pay_row[PAYMENTS.headers.index("状態")]) == ("", "保留")

    office.tick("BN-0001", memo=True, account=False)
    assert kinds(office.cycle("2022-07-24 07:00").notices) == []
    office.tick("BN-0001")
    plan = office.cycle("2022-07-25 07:00")
    a = office.a("A-000001")
    assert (a.held, a.cutoff, a.pay_date) == (False, d("2022-08-20"), d("2022-09-09"))
    (released,) = plan.notices
    assert (released.kind, released.context["pay_date"]) == ("payment_released", "2022-09-09")
    assert released.event_key == "payment_released:2022-08-20:BN-0001"
    assert office.cycle("2022-08-21 07:00").notices == []


def test_documents_ticked_before_the_cutoff_passes_mean_no_hold() -> None:
    office = accepted_on("2022-07-18", documents=False)
    office.tick("BN-0001")
    plan = office.cycle("2022-07-21 07:00")
    assert plan.notices == []
    assert office.a("A-000001").pay_date == d("2022-08-10")


def test_one_hold_notice_per_supporter_and_batch() -> None:
    office = members(2)
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01"),
        app("2022-07-02 18:00", "BN-0001", "2022-07-02"),
        app(
            "2022-07-02 18:00",
            "BN-0002",
            "2022-07-02",
            initials="AB",
            birth_year="1970",
            nationality="ネパール",
        ),
    ]
    office.cycle("2022-07-03 07:00")
    for no in ("A-000001", "A-000002", "A-000003"):
        office.decide(no, "承認")
    office.cycle("2022-07-04 07:00")
    plan = office.cycle("2022-07-21 07:00")
    assert sorted((n.kind, n.ref) for n in plan.notices) == [
        ("payment_held", "2022-07-20 BN-0001"),
        ("payment_held", "2022-07-20 BN-0002"),
    ]
    office.tick("BN-0001")
    plan = office.cycle("2022-07-22 07:00")
    (released,) = plan.notices
    assert (released.kind, released.context["count"], released.context["amount_text"]) == (
        "payment_released",
        2,
        "12,000円",
    )


def test_the_paid_tick_makes_the_batch_paid() -> None:
    office = accepted_on("2022-07-05")
    office.cycle("2022-07-21 07:00")
    office.paid["2022-07-20|BN-0001"] = True
    plan = office.cycle("2022-08-10 07:00")
    assert office.a("A-000001").status == AppStatus.PAID
    assert plan.problems == []
    (row,) = payment_rows(office.state)
    assert row[PAYMENTS.headers.index("状態")] == "支払済"
    assert office.cycle("2022-08-11 07:00").problems == []


def test_a_paid_tick_on_a_held_batch_is_refused() -> None:
    office = accepted_on("2022-07-05", documents=False)
    office.cycle("2022-07-21 07:00")
    office.paid["2022-07-20|BN-0001"] = True
    plan = office.cycle("2022-08-10 07:00")
    assert office.a("A-000001").status == AppStatus.ACCEPTED
    assert len(plan.problems) == 1
