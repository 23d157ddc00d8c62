"""緊急支援費 requests (issue 6 §5): matching a case, staff decisions, the budget (P8)."""

from __future__ import annotations

from datetime import datetime

from builders import JST, Office, app, at, members, ticked

from bansou_sync.core.book import Book
from bansou_sync.core.emergency import (
    GRANTED,
    GRANTED_FLAG,
    PENDING,
    REJECTED,
    UNMATCHED,
    EmergencyPlan,
    plan_emergency,
    read_yen,
    rows,
)
from bansou_sync.core.model import Problem, RawResponse
from bansou_sync.core.policy import Policy

NOW = "2022-07-10 12:00"


def request(
    supporter_id: str,
    client_code: str,
    amount: str = "30000",
    when: str = "2022-07-05 10:00",
    response_id: str = "e1",
    purposes: tuple[str, ...] = ("医療",),
) -> RawResponse:
    return RawResponse(
        form="emergency",
        response_id=response_id,
        submitted_at=at(when),
        last_submitted_at=at(when),
        answers={
            "supporter_id": supporter_id,
            "client_code": client_code,
            "amount": amount,
            "purposes": purposes,
            "narrative": "架空の事情(表には出ない)",
            "consent": "同意します",
        },
    )


def office_with_accepted_case() -> Office:
    """A-000001: BN-0001 for client C-0001, accepted; A-000002: BN-0002 for C-0002, pending."""
    office = members(2)
    office.applications += [
        app("2022-06-02 10:00", "BN-0001", "2022-06-01"),
        app(
            "2022-06-03 10:00",
            "BN-0002",
            "2022-06-02",
            initials="KM",
            birth_year="1980",
            nationality="ネパール",
        ),
    ]
    office.cycle("2022-06-03 12:00")
    office.decide("A-000001", "承認")
    office.desks["BN-0001"] = ticked()
    office.cycle("2022-06-04 12:00")
    return office


def plan(office: Office, *responses: RawResponse, **decisions: tuple[str, str]) -> EmergencyPlan:
    return plan_emergency(
        {}, list(responses), decisions, office.state.applications.values(), Policy(), at(NOW), 1
    )


def test_a_request_on_an_accepted_case_waits_for_staff_and_staff_are_emailed_ids_only() -> None:
    result = plan(
        office_with_accepted_case(), request("ＢＮ－０００１", "c-0001", "３０，０００円")
    )
    r = result.requests["E-0001"]
    assert (r.status, r.cases, r.requested_yen, r.reasons) == (PENDING, ("A-000001",), 30000, ())
    [notice] = result.notices
    assert (notice.kind, notice.ref, notice.to) == (
        "emergency_request",
        "E-0001",
        Policy().staff_to,
    )
    assert "架空の事情" not in repr(notice.context)  # the narrative never leaves the form


def test_a_request_that_matches_no_accepted_case_is_kept_with_a_clear_code_and_shown_to_staff() -> (
    None
):
    office = office_with_accepted_case()
    result = plan(
        office,
        request("BN-0002", "C-0002", response_id="e1"),  # a pending application only
        request("BN-0001", "C-0002", response_id="e2", when="2022-07-05 11:00"),  # wrong pair
        request("BN-xx", "", response_id="e3", when="2022-07-05 12:00"),
    )
    statuses = {no: (r.status, r.reasons) for no, r in result.requests.items()}
    assert statuses == {
        "E-0001": (UNMATCHED, ("no_matching_case",)),
        "E-0002": (UNMATCHED, ("no_matching_case",)),
        "E-0003": (UNMATCHED, ("unreadable:supporter_id", "missing:client_code")),
    }
    assert [n.ref for n in result.notices] == ["E-0001", "E-0002", "E-0003"]
    assert [row[9] for row in rows(result.requests)] == [UNMATCHED] * 3


def test_an_unmatched_request_is_matched_once_its_case_is_accepted() -> None:
    office = office_with_accepted_case()
    first = plan(office, request("BN-0002", "C-0002"))
    office.decide("A-000002", "承認")
    office.cycle("2022-07-11 12:00")
    later = plan_emergency(
        first.requests, [], {}, office.state.applications.values(), Policy(), at(NOW), 2
    )
    assert later.requests["E-0001"].status == PENDING
    assert later.requests["E-0001"].cases == ("A-000002",)


def test_staff_grant_with_an_amount_counts_against_the_budget_and_a_rejection_does_not() -> None:
    office = office_with_accepted_case()
    first = plan(
        office, request("BN-0001", "C-0001"), request("BN-0001", "C-0001", response_id="e2")
    )
    decided = plan_emergency(
        first.requests,
        [],
        {"E-0001": ("承認", "25,000"), "E-0002": ("却下", "")},
        office.state.applications.values(),
        Policy(),
        at(NOW),
        3,
    )
    assert decided.requests["E-0001"].status == GRANTED
    assert decided.requests["E-0002"].status == REJECTED
    assert decided.granted_yen == 25000
    state = office.state.copy()
    before = Book(state).committed_yen
    state.flags[GRANTED_FLAG] = str(decided.granted_yen)
    assert Book(state).committed_yen == before + 25000


def test_a_grant_without_a_readable_amount_is_not_applied_and_is_reported() -> None:
    office = office_with_accepted_case()
    first = plan(office, request("BN-0001", "C-0001"))
    decided = plan_emergency(
        first.requests,
        [],
        {"E-0001": ("承認", "たくさん")},
        office.state.applications.values(),
        Policy(),
        at(NOW),
        2,
    )
    assert decided.requests["E-0001"].status == PENDING
    assert decided.granted_yen == 0
    assert decided.problems == [
        "緊急支援 E-0001: 承認には金額(円)を入力してください / a grant needs an amount in yen"
    ]


def test_granted_money_closes_intake_for_applications_like_honoraria_do() -> None:
    office = office_with_accepted_case()
    office.policy = Policy(budget_total_yen=20000)
    office.state.flags[GRANTED_FLAG] = "8000"  # 6,000 + 6,000 + 8,000 = the whole budget
    office.applications.append(app("2022-07-12 10:00", "BN-0002", "2022-07-11"))
    office.cycle(datetime(2022, 7, 12, 12, 0, tzinfo=JST))
    assert [r.code for r in office.a("A-000003").reasons] == ["budget_closed"]


def test_amounts_are_read_in_the_ways_people_type_them() -> None:
    assert read_yen("50000") == 50000
    assert read_yen("５０，０００円") == 50000
    assert read_yen("¥50,000") == 50000
    assert read_yen("") is Problem.MISSING
    assert read_yen("五万円") is Problem.UNREADABLE
