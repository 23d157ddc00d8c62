"""P4, P5 and P14 over live applications, in submission order (SPEC §2)."""

from __future__ import annotations

from builders import app, codes, members

from bansou_sync.core.model import AppStatus
from bansou_sync.core.policy import Policy


def statuses(office) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.status.value for a in sorted(office.state.applications.values(), key=lambda a: a.seq)]


def test_third_supporter_on_one_occasion_is_refused() -> None:
    office = members(3)
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01"),
        app("2022-07-01 18:05", "BN-0002", "2022-07-01", client_code="C-0001"),
        app("2022-07-01 18:10", "BN-0003", "2022-07-01", client_code="C-0001"),
    ]
    office.cycle("2022-07-02 12:00")
    assert statuses(office) == ["pending_review", "pending_review", "ineligible"]
    assert codes(office.a("A-000003")) == ["too_many_supporters"]


def test_submission_order_decides_who_is_third_not_file_order() -> None:
    office = members(3)
    office.applications += [
        app("2022-07-01 18:10", "BN-0003", "2022-07-01", response_id="late"),
        app("2022-07-01 18:00", "BN-0001", "2022-07-01", response_id="early"),
        app("2022-07-01 18:05", "BN-0002", "2022-07-01", response_id="middle"),
    ]
    office.cycle("2022-07-02 12:00")
    by_response = {a.response_id: a for a in office.state.applications.values()}
    assert by_response["late"].status == AppStatus.INELIGIBLE
    assert by_response["early"].app_no == "A-000001"


def test_ties_in_submission_time_are_broken_by_input_order() -> None:
    office = members(3)
    office.applications += [
        app("2022-07-01 18:00", sid, "2022-07-01", response_id=sid)
        for sid in ("BN-0003", "BN-0001", "BN-0002")
    ]
    office.cycle("2022-07-02 12:00")
    by_response = {a.response_id: a for a in office.state.applications.values()}
    assert [by_response[s].status.value for s in ("BN-0003", "BN-0001", "BN-0002")] == [
        "pending_review",
        "pending_review",
        "ineligible",
    ]


def test_a_refused_third_supporter_does_not_block_a_later_one_after_a_rejection() -> None:
    office = members(3)
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01"),
        app("2022-07-01 18:05", "BN-0002", "2022-07-01"),
    ]
    office.cycle("2022-07-02 12:00")
    office.decide("A-000002", "却下")
    office.applications.append(app("2022-07-03 09:00", "BN-0003", "2022-07-01"))
    office.cycle("2022-07-03 12:00")
    assert office.a("A-000003").status == AppStatus.PENDING_REVIEW


def test_same_supporter_twice_on_one_occasion_is_a_duplicate_application() -> None:
    office = members(1)
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01"),
        app("2022-07-01 19:00", "BN-0001", "2022-07-01", "13:00", "15:00"),
    ]
    office.cycle("2022-07-02 12:00")
    assert codes(office.a("A-000002")) == ["duplicate_application"]


def test_sixth_occasion_for_one_client_is_refused() -> None:
    office = members(1)
    office.applications += [
        app(f"2022-07-{day:02d} 18:00", "BN-0001", f"2022-07-{day:02d}") for day in range(1, 7)
    ]
    office.cycle("2022-07-07 12:00")
    assert statuses(office) == ["pending_review"] * 5 + ["ineligible"]
    assert codes(office.a("A-000006")) == ["client_cap"]


def test_both_supporters_of_one_occasion_count_once_towards_the_client_cap() -> None:
    office = members(2)
    office.applications += [
        app(f"2022-07-{day:02d} 18:00", "BN-0001", f"2022-07-{day:02d}") for day in range(1, 6)
    ]
    office.applications.append(app("2022-07-05 19:00", "BN-0002", "2022-07-05"))
    office.applications.append(app("2022-07-06 19:00", "BN-0002", "2022-07-06"))
    office.cycle("2022-07-07 12:00")
    assert statuses(office) == ["pending_review"] * 6 + ["ineligible"]


def test_in_applications_mode_every_application_counts_towards_the_client_cap() -> None:
    office = members(2, Policy(client_cap_counts="applications"))
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01"),
        app("2022-07-01 18:01", "BN-0002", "2022-07-01"),
        app("2022-07-02 18:00", "BN-0001", "2022-07-02"),
        app("2022-07-03 18:00", "BN-0001", "2022-07-03"),
        app("2022-07-04 18:00", "BN-0001", "2022-07-04"),
        app("2022-07-05 18:00", "BN-0002", "2022-07-05"),
    ]
    office.cycle("2022-07-07 12:00")
    assert statuses(office) == ["pending_review"] * 5 + ["ineligible"]
    assert codes(office.a("A-000006")) == ["client_cap"]


def test_ineligible_applications_do_not_count_towards_the_client_cap() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 18:00", "BN-0001", "2022-07-01", "10:00", "10:30"))
    office.applications += [
        app(f"2022-07-{day:02d} 18:00", "BN-0001", f"2022-07-{day:02d}") for day in range(2, 7)
    ]
    office.cycle("2022-07-07 12:00")
    assert statuses(office) == ["ineligible"] + ["pending_review"] * 5


def test_a_deficient_application_is_live_and_counts() -> None:
    office = members(3)
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01", consent=""),
        app("2022-07-01 18:05", "BN-0002", "2022-07-01"),
        app("2022-07-01 18:10", "BN-0003", "2022-07-01"),
    ]
    office.cycle("2022-07-02 12:00")
    assert statuses(office) == ["deficient", "pending_review", "ineligible"]


def test_a_different_client_is_a_different_occasion() -> None:
    office = members(3)
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01"),
        app("2022-07-01 18:05", "BN-0002", "2022-07-01"),
        app(
            "2022-07-01 18:10",
            "BN-0003",
            "2022-07-01",
            initials="AB",
            birth_year="1980",
            nationality="ネパール",
        ),
    ]
    office.cycle("2022-07-02 12:00")
    assert statuses(office) == ["pending_review"] * 3
