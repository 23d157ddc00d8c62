"""plan_cycle as a whole: idempotence, event keys, edits, notify_after, the projection."""

from __future__ import annotations

from datetime import datetime

from builders import Office, app, codes, edit_of, kinds, member, members

from bansou_sync.core.model import AppStatus, SupporterDesk
from bansou_sync.core.policy import Policy
from bansou_sync.core.projection import application_rows, payment_rows, supporter_rows
from bansou_sync.core.reasons import cell
from bansou_sync.core.tabs import APPLICATIONS, PAYMENTS, SUPPORTERS


def busy_office() -> Office:
    """Registrations, a duplicate, every first outcome, decisions, a hold and a payment."""
    office = Office(policy=Policy(staff_to=("staff@example.org",)))
    office.registrations += [member(1), member(2), member(1, ts="2022-05-21 10:00")]
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01"),
        app("2022-07-01 18:10", "BN-0002", "2022-07-01", consent=""),
        app("2022-07-01 18:20", "BN-0002", "2022-05-26"),
    ]
    office.cycle("2022-07-02 09:00")
    office.deliver("2022-07-02 09:01")
    office.decide("A-000001", "承認")
    office.tick("BN-0001", account=False)
    return office


def test_running_a_cycle_twice_with_the_same_input_changes_nothing() -> None:
    office = busy_office()
    first = office.cycle("2022-07-03 09:00")
    assert first.notices
    before = office.state
    again = office.cycle("2022-07-03 09:00")
    assert again.notices == []
    assert again.changed is False
    assert again.state == before
    assert (again.new_registrations, again.new_applications) == (0, 0)


def test_every_event_has_its_own_key() -> None:
    office = busy_office()
    notices = list(office.cycle("2022-07-03 09:00").notices)
    for day in ("2022-07-07 09:00", "2022-07-10 09:00", "2022-07-21 09:00"):
        notices += office.cycle(day).notices
    office.tick("BN-0001")
    notices += office.cycle("2022-07-22 09:00").notices
    office.decide("A-000001", "却下")
    notices += office.cycle("2022-07-23 09:00").notices
    keys = [(n.kind, n.event_key) for n in notices]
    assert len(keys) == len(set(keys))
    assert {
        "application_accepted",
        "deficiency_reminder",
        "deficiency_expired",
        "payment_held",
        "payment_released",
        "application_rejected",
        "staff_digest",
    } <= {k for k, _ in keys}


def test_first_emails_are_keyed_by_their_response() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 18:00", "BN-0001", "2022-07-01", response_id="R9"))
    plan = office.cycle("2022-07-02 07:00")
    assert plan.notices[0].event_key == "response:application:R9"


def test_responses_submitted_after_now_are_not_read_yet() -> None:
    office = members(1)
    office.applications.append(app("2022-07-03 18:00", "BN-0001", "2022-07-01"))
    assert office.cycle("2022-07-02 07:00").new_applications == 0
    assert office.cycle("2022-07-04 07:00").new_applications == 1


def test_applications_before_notify_after_are_judged_but_not_emailed() -> None:
    cutover = datetime.fromisoformat("2022-07-02T00:00:00+09:00")
    office = members(1, Policy(notify_after=cutover))
    office.applications += [
        app("2022-07-01 18:00", "BN-0001", "2022-07-01"),
        app(
            "2022-07-01 18:10",
            "BN-0001",
            "2022-06-01",
            initials="X",
            birth_year="1970",
            nationality="ネパール",
        ),
        app("2022-07-02 18:00", "BN-0001", "2022-07-02"),
    ]
    plan = office.cycle("2022-07-03 07:00")
    assert [a.status for a in office.state.applications.values()] == [
        AppStatus.PENDING_REVIEW,
        AppStatus.INELIGIBLE,
        AppStatus.PENDING_REVIEW,
    ]
    assert [n.ref for n in plan.notices] == ["A-000003"]
    office.decide("A-000001", "承認")
    assert kinds(office.cycle("2022-07-04 07:00").notices) == ["application_accepted"]


# --- edits (Forms API) -----------------------------------------------------------------


def test_an_edit_that_fixes_a_deficiency_keeps_the_number_and_emails_the_new_outcome() -> None:
    office = members(1)
    raw = app("2022-07-01 18:00", "BN-0001", "2022-07-01", end="")
    office.applications.append(raw)
    office.cycle("2022-07-01 19:00")
    office.applications[0] = edit_of(raw, "2022-07-02 06:00", end_time="12:00")
    plan = office.cycle("2022-07-02 07:00")
    a = office.a("A-000001")
    assert (len(office.state.applications), a.status, a.minutes) == (
        1,
        AppStatus.PENDING_REVIEW,
        120,
    )
    assert [(n.kind, n.event_key) for n in plan.notices] == [
        ("application_received", "edit:A-000001:1")
    ]
    assert plan.new_applications == 0


def test_an_edit_that_does_not_change_the_outcome_sends_nothing() -> None:
    office = members(1)
    raw = app("2022-07-01 18:00", "BN-0001", "2022-07-01")
    office.applications.append(raw)
    office.cycle("2022-07-01 19:00")
    office.applications[0] = edit_of(raw, "2022-07-02 06:00", end_time="13:30")
    plan = office.cycle("2022-07-02 07:00")
    a = office.a("A-000001")
    assert (a.status, a.minutes, a.honorarium) == (AppStatus.PENDING_REVIEW, 210, 10000)
    assert plan.notices == []


def test_an_edit_that_makes_it_ineligible_is_emailed() -> None:
    office = members(1)
    raw = app("2022-07-01 18:00", "BN-0001", "2022-07-01")
    office.applications.append(raw)
    office.cycle("2022-07-01 19:00")
    office.applications[0] = edit_of(raw, "2022-07-02 09:00", end_time="10:30")
    plan = office.cycle("2022-07-02 10:00")
    assert codes(office.a("A-000001")) == ["too_short"]
    assert kinds(plan.notices) == ["application_ineligible"]


def test_an_edit_is_judged_on_p2_by_the_first_submission_time() -> None:
    office = members(1)
    raw = app("2022-06-25 18:00", "BN-0001", "2022-05-26", end="")
    office.applications.append(raw)
    office.cycle("2022-06-25 19:00")
    office.applications[0] = edit_of(raw, "2022-06-27 09:00", end_time="12:00")
    office.cycle("2022-06-27 10:00")
    assert office.a("A-000001").status == AppStatus.PENDING_REVIEW


def test_an_edit_of_an_accepted_application_is_only_reported() -> None:
    office = members(1)
    raw = app("2022-07-01 18:00", "BN-0001", "2022-07-01")
    office.applications.append(raw)
    office.cycle("2022-07-01 19:00")
    office.decide("A-000001", "承認")
    office.cycle("2022-07-02 07:00")
    office.applications[0] = edit_of(raw, "2022-07-03 06:00", end_time="10:30")
    plan = office.cycle("2022-07-03 07:00")
    a = office.a("A-000001")
    assert (a.status, a.minutes) == (AppStatus.ACCEPTED, 120)
    assert plan.notices == []
    assert any("A-000001" in p for p in plan.problems)


def test_a_vanished_response_is_reported() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 18:00", "BN-0001", "2022-07-01", response_id="gone"))
    office.cycle("2022-07-01 19:00")
    office.applications.clear()
    plan = office.cycle("2022-07-02 07:00")
    assert any("gone" in p for p in plan.problems)


def test_a_desk_row_for_an_unknown_id_is_reported() -> None:
    office = members(1)
    office.desks["BN-0099"] = SupporterDesk(memo_received=True)
    assert any("BN-0099" in p for p in office.cycle("2022-07-02 07:00").problems)


# --- projection --------------------------------------------------------------------------


def test_projection_rows_have_exactly_the_headers_of_each_tab() -> None:
    office = busy_office()
    office.cycle("2022-07-21 09:00")
    for rows, layout in (
        (supporter_rows(office.state), SUPPORTERS),
        (application_rows(office.state, office.policy), APPLICATIONS),
        (payment_rows(office.state), PAYMENTS),
    ):
        assert rows
        assert all(len(row) == len(layout.headers) for row in rows)
    row = dict(
        zip(APPLICATIONS.headers, application_rows(office.state, office.policy)[2], strict=True)
    )
    assert row["申請番号"] == "A-000003"
    assert (row["判定"], row["状態コード"]) == ("対象外", "ineligible")
    assert row["理由"] == "late_submission: 申請期限(2022-06-25)を過ぎています"
    assert row["審査"] == "" and row["審査メモ"] == ""
    supporter = dict(zip(SUPPORTERS.headers, supporter_rows(office.state)[0], strict=True))
    assert (supporter["伴走ネットID"], supporter["申請件数"], supporter["謝金累計"]) == (
        "BN-0001",
        1,
        6000,
    )


def test_reasons_are_code_colon_text_joined_by_comma_space() -> None:
    office = members(1)
    office.applications.append(
        app("2022-07-01 18:00", "BN-0001", "2022-07-01", consent="", email="")
    )
    office.cycle("2022-07-02 07:00")
    row = dict(
        zip(APPLICATIONS.headers, application_rows(office.state, office.policy)[0], strict=True)
    )
    assert row["理由"] == (
        "missing:email: 「メールアドレス」が未回答です, "
        "no_consent: 個人情報の取扱いへの同意がありません"
    )
    assert row["理由"] == cell(office.a("A-000001").reasons)
