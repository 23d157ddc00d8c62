"""Courses and events (issue 6 §1): seats, waiting list, move-ups, cancellations,
reminders and the survey counts, decided by the pure core from plain data."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bansou_sync.core.event_model import (
    Answers,
    EventPlan,
    EventSpec,
    Signup,
    SignupStatus,
    Supporter,
)
from bansou_sync.core.event_survey import SurveyAnswer, survey_rows
from bansou_sync.core.event_tabs import event_rows, read_ticks
from bansou_sync.core.events import late_signups, plan_event

JST = ZoneInfo("Asia/Tokyo")
COURSE = EventSpec(
    event_id="course-2022-08",
    kind="course",
    title="第1回 伴走支援講座",
    starts_at=datetime(2022, 8, 20, 13, 30, tzinfo=JST),
    place="オンライン",
    capacity=2,
    requires_id=True,
)
MEETING = EventSpec(
    event_id="soudan-2022-09",
    kind="consultation",
    title="相談会",
    starts_at=datetime(2022, 9, 10, 10, 0, tzinfo=JST),
    place="",
    capacity=1,
    requires_id=False,
)
SUPPORTERS = {
    f"BN-{i:04d}": Supporter(active=True, contact_email=f"user{i}@example.com", name=f"伴走 {i}郎")
    for i in range(1, 6)
} | {"BN-0009": Supporter(active=False, contact_email="", name="未確認 九郎")}
DAY = datetime(2022, 8, 1, 12, 0, tzinfo=JST)


def answers(n: int, supporter: str = "", *, cancel: bool = False, **kw: object) -> Answers:
    fields: dict[str, object] = {
        "response_id": f"r{n}",
        "submitted_at": datetime(2022, 7, 1, 10, 0, tzinfo=JST) + timedelta(minutes=n),
        "supporter_id": supporter,
        "id_problem": "" if supporter else "missing",
        "name": f"参加 {n}",
        "email": f"guest{n}@example.com",
        "email_problem": "",
        "consent": True,
        "cancel": cancel,
    }
    fields.update(kw)
    return Answers(**fields)  # type: ignore[arg-type]


def run(
    spec: EventSpec,
    before: Mapping[str, Signup],
    new: Sequence[Answers],
    now: datetime = DAY,
    cancelled: frozenset[str] = frozenset(),
) -> EventPlan:
    return plan_event(spec, before, new, SUPPORTERS, cancelled, now)


def statuses(plan: EventPlan) -> dict[str, str]:
    return {s.receipt: s.status.value for s in plan.signups.values()}


def mails(plan: EventPlan) -> list[tuple[str, str]]:
    return [(n.kind, n.ref) for n in plan.notices]


def test_seats_go_in_submission_order_and_the_rest_wait_in_line() -> None:
    # delivered out of order, as the Forms API does
    plan = run(COURSE, {}, [answers(3, "BN-0003"), answers(1, "BN-0001"), answers(2, "BN-0002")])
    assert statuses(plan) == {
        "course-2022-08/001": "confirmed",
        "course-2022-08/002": "confirmed",
        "course-2022-08/003": "waitlisted",
    }
    assert [s.supporter_id for s in sorted(plan.signups.values(), key=lambda s: s.number)] == [
        "BN-0001",
        "BN-0002",
        "BN-0003",
    ]
    assert mails(plan) == [
        ("event_confirmed", "course-2022-08/001"),
        ("event_confirmed", "course-2022-08/002"),
        ("event_waitlisted", "course-2022-08/003"),
    ]
    assert plan.notices[2].context["position"] == 1
    assert plan.notices[0].to == ("user1@example.com",)  # the registered address


def test_a_course_refuses_sign_ups_without_a_valid_active_id_with_a_reason_each() -> None:
    plan = run(
        COURSE,
        {},
        [
            answers(1),  # no ID
            answers(2, "", id_problem="unreadable"),
            answers(3, "BN-0077"),  # never issued
            answers(4, "BN-0009"),  # needs_review: not active
        ],
    )
    reasons = {s.receipt: s.reasons for s in plan.signups.values()}
    assert reasons == {
        "course-2022-08/001": ("missing:supporter_id",),
        "course-2022-08/002": ("unreadable:supporter_id",),
        "course-2022-08/003": ("unknown_supporter",),
        "course-2022-08/004": ("inactive_supporter",),
    }
    assert set(statuses(plan).values()) == {"refused"}
    assert {k for k, _ in mails(plan)} == {"event_refused"}
    # refused sign-ups hold no seat
    later = run(COURSE, plan.signups, [answers(5, "BN-0001")])
    assert statuses(later)["course-2022-08/005"] == "confirmed"


def test_an_open_event_seats_people_without_an_id_and_writes_to_the_typed_address() -> None:
    plan = run(MEETING, {}, [answers(1), answers(2, "", id_problem="unreadable")])
    assert statuses(plan) == {"soudan-2022-09/001": "confirmed", "soudan-2022-09/002": "waitlisted"}
    assert plan.notices[0].to == ("guest1@example.com",)


def test_a_staff_cancellation_moves_the_first_in_line_up_with_its_own_email() -> None:
    first = run(COURSE, {}, [answers(n, f"BN-{n:04d}") for n in (1, 2, 3, 4)])
    second = run(COURSE, first.signups, [], cancelled=frozenset({"course-2022-08/001"}))
    assert statuses(second) == {
        "course-2022-08/001": "cancelled",
        "course-2022-08/002": "confirmed",
        "course-2022-08/003": "confirmed",
        "course-2022-08/004": "waitlisted",
    }
    assert mails(second) == [
        ("event_cancelled", "course-2022-08/001"),
        ("event_moved_up", "course-2022-08/003"),
    ]
    # the tick stays in the sheet: reading it again does nothing more
    third = run(COURSE, second.signups, [], cancelled=frozenset({"course-2022-08/001"}))
    assert third.notices == []
    assert third.signups == second.signups


def test_a_cancel_answer_on_the_form_cancels_the_same_persons_sign_up() -> None:
    first = run(MEETING, {}, [answers(1), answers(2)])
    request = answers(3, cancel=True, email="guest1@example.com", consent=False)
    second = run(MEETING, first.signups, [request])
    assert statuses(second) == {
        "soudan-2022-09/001": "cancelled",
        "soudan-2022-09/002": "confirmed",
        "soudan-2022-09/003": "cancel_request",
    }
    assert second.signups["r3"].reasons == ("cancels soudan-2022-09/001",)
    assert mails(second) == [
        ("event_cancelled", "soudan-2022-09/001"),
        ("event_moved_up", "soudan-2022-09/002"),
    ]


def test_a_cancel_answer_that_matches_nobody_is_shown_to_staff_and_emails_nobody() -> None:
    plan = run(MEETING, {}, [answers(1, cancel=True, email="nobody@example.com")])
    assert plan.signups["r1"].reasons == ("cancel_unmatched",)
    assert plan.notices == []


def test_a_second_sign_up_by_the_same_person_is_a_duplicate_without_a_seat() -> None:
    plan = run(COURSE, {}, [answers(1, "BN-0001"), answers(2, "BN-0001"), answers(3, "BN-0002")])
    assert statuses(plan) == {
        "course-2022-08/001": "confirmed",
        "course-2022-08/002": "duplicate",
        "course-2022-08/003": "confirmed",
    }
    assert ("event_confirmed", "course-2022-08/002") not in mails(plan)


def test_the_reminder_goes_once_from_nine_on_the_day_before_to_confirmed_people_only() -> None:
    first = run(COURSE, {}, [answers(n, f"BN-{n:04d}") for n in (1, 2, 3)])
    early = run(COURSE, first.signups, [], now=datetime(2022, 8, 19, 8, 59, tzinfo=JST))
    assert early.notices == []
    due = run(COURSE, early.signups, [], now=datetime(2022, 8, 19, 9, 0, tzinfo=JST))
    assert mails(due) == [
        ("event_reminder", "course-2022-08/001"),
        ("event_reminder", "course-2022-08/002"),
    ]
    again = run(COURSE, due.signups, [], now=datetime(2022, 8, 19, 12, 0, tzinfo=JST))
    assert again.notices == []


def test_a_seat_given_the_day_before_gets_its_confirmation_and_no_separate_reminder() -> None:
    late = run(COURSE, {}, [answers(1, "BN-0001")], now=datetime(2022, 8, 19, 20, 0, tzinfo=JST))
    assert mails(late) == [("event_confirmed", "course-2022-08/001")]
    after = run(COURSE, late.signups, [], now=datetime(2022, 8, 19, 21, 0, tzinfo=JST))
    assert after.notices == []


def test_once_the_event_has_begun_nobody_is_seated_or_moved_up() -> None:
    first = run(MEETING, {}, [answers(1), answers(2)])
    start = MEETING.starts_at
    after = run(
        MEETING, first.signups, [answers(3)], now=start, cancelled=frozenset({"soudan-2022-09/001"})
    )
    assert statuses(after)["soudan-2022-09/002"] == "waitlisted"
    assert statuses(after)["soudan-2022-09/003"] == "closed"  # read after the start
    assert after.signups["r1"].status is SignupStatus.CANCELLED  # cancelling still works
    assert ("event_moved_up", "soudan-2022-09/002") not in mails(after)


def test_a_sign_up_sent_after_the_start_is_told_the_sign_up_period_was_over() -> None:
    plan = run(MEETING, {}, [answers(1, submitted_at=MEETING.starts_at)], now=MEETING.starts_at)
    assert plan.signups["r1"].reasons == ("event_closed",)
    assert statuses(plan) == {"soudan-2022-09/001": "closed"}
    assert mails(plan) == [("event_closed", "soudan-2022-09/001")]


def test_a_sign_up_sent_before_the_start_but_read_after_it_gets_no_waiting_list_message() -> None:
    """The daemon was stopped over the start: a free seat is not given any more, and the
    volunteer is told the period was over — never 「定員に達しているためキャンセル待ち」."""
    later = COURSE.starts_at + timedelta(hours=2)
    plan = run(COURSE, {}, [answers(1, "BN-0001"), answers(2, "BN-0002")], now=later)
    assert statuses(plan) == {"course-2022-08/001": "closed", "course-2022-08/002": "closed"}
    assert {s.reasons for s in plan.signups.values()} == {("read_after_start",)}
    assert mails(plan) == [
        ("event_closed", "course-2022-08/001"),
        ("event_closed", "course-2022-08/002"),
    ]
    assert all(n.kind != "event_waitlisted" for n in plan.notices)
    again = run(COURSE, plan.signups, [], now=later + timedelta(hours=1))
    assert again.notices == []


def test_after_a_lost_ledger_a_sign_up_already_told_keeps_its_seat_and_hears_nothing() -> None:
    later = COURSE.starts_at + timedelta(hours=2)
    sent = {"r1": ("event_confirmed",), "r3": ("event_waitlisted",)}
    new = [answers(n, f"BN-{n:04d}") for n in (1, 3, 4)]
    plan = plan_event(COURSE, {}, new, SUPPORTERS, frozenset(), later, sent)
    assert statuses(plan) == {
        "course-2022-08/001": "confirmed",
        "course-2022-08/002": "waitlisted",
        "course-2022-08/003": "closed",  # never heard from us: the period was over
    }
    assert mails(plan) == [("event_closed", "course-2022-08/003")]


def test_staff_see_the_closed_sign_ups_of_this_cycle_and_their_tab_row() -> None:
    first = run(COURSE, {}, [answers(1, "BN-0001")])
    later = COURSE.starts_at + timedelta(minutes=5)
    plan = run(COURSE, first.signups, [answers(2, "BN-0002")], now=later)
    assert [s.receipt for s in late_signups(plan.signups, first.signups)] == ["course-2022-08/002"]
    row = event_rows(plan.signups)[1]
    assert row[5:8] == [
        "受付終了",
        "closed",
        "read_after_start: 開始時刻より前に送信されましたが、受付処理が開始時刻の後になりました",
    ]
    assert statuses(plan)["course-2022-08/001"] == "confirmed"  # a seat given before stays


def test_lowering_the_capacity_takes_no_confirmed_seat_back() -> None:
    first = run(COURSE, {}, [answers(1, "BN-0001"), answers(2, "BN-0002")])
    smaller = EventSpec(**{**COURSE.__dict__, "capacity": 1})
    plan = run(smaller, first.signups, [answers(3, "BN-0003")])
    assert statuses(plan)["course-2022-08/002"] == "confirmed"
    assert statuses(plan)["course-2022-08/003"] == "waitlisted"


def test_the_event_tab_shows_labels_positions_and_leaves_staff_columns_blank() -> None:
    plan = run(COURSE, {}, [answers(n, f"BN-{n:04d}") for n in (1, 2, 3)])
    rows = event_rows(plan.signups)
    assert [r[0] for r in rows] == [
        "course-2022-08/001",
        "course-2022-08/002",
        "course-2022-08/003",
    ]
    assert rows[2][5:9] == ["キャンセル待ち", "waitlisted", "", 1]
    assert rows[0][-3:] == ["", "", ""]
    ticks = read_ticks([{"受付番号": "course-2022-08/001", "キャンセル": "FALSE", "出席": "○"}])
    assert ticks.attended == frozenset({"course-2022-08/001"})
    assert ticks.cancelled == frozenset()


def survey(n: int, supporter: str, satisfaction: str) -> SurveyAnswer:
    return SurveyAnswer(
        response_id=f"s{n}",
        submitted_at=datetime(2022, 8, 21, 10, n, tzinfo=JST),
        supporter_id=supporter,
        choices={"satisfaction": satisfaction, "will_accompany": "はい"},
    )


def test_the_survey_counts_only_answers_linked_to_a_seat_once_per_id() -> None:
    big = EventSpec(**{**COURSE.__dict__, "capacity": 10})
    plan = run(big, {}, [answers(n, f"BN-{n:04d}") for n in range(1, 6)])
    given = [survey(n, f"BN-{n:04d}", "満足") for n in range(1, 6)]
    given += [survey(6, "BN-0001", "満足"), survey(7, "", "不満"), survey(8, "BN-0009", "不満")]
    rows = survey_rows("course-2022-08", plan.signups.values(), frozenset(), given, 5)
    table = {(r[1], r[2]): r[3] for r in rows}
    assert table[("概要", "回答数")] == 5  # BN-0001 answered twice: counted once
    assert table[("概要", "紐付けできない回答")] == 2
    assert table[("講座の満足度", "満足")] == 5
    assert table[("講座の満足度", "不満")] == 0  # unlinked answers are not counted


def test_no_suppressed_survey_count_can_be_worked_out_from_what_is_published() -> None:
    big = EventSpec(**{**COURSE.__dict__, "capacity": 20})
    people = {f"BN-{i:04d}": Supporter(True, f"u{i}@example.com", "x") for i in range(1, 14)}
    plan = plan_event(
        big, {}, [answers(n, f"BN-{n:04d}") for n in range(1, 14)], people, frozenset(), DAY
    )
    given = [survey(n, f"BN-{n:04d}", "満足") for n in range(1, 10)]
    given += [survey(n, f"BN-{n:04d}", "不満") for n in range(10, 13)]  # 3: small
    rows = survey_rows("course-2022-08", plan.signups.values(), frozenset(), given, 5)
    shown = {r[2]: r[3] for r in rows if r[1] == "講座の満足度"}
    total = next(r[3] for r in rows if r[2] == "回答数")
    assert total == 12
    assert shown["不満"] == "<5"
    hidden = [k for k, v in shown.items() if not isinstance(v, int)]
    assert len(hidden) >= 2  # a lone hidden cell would be total minus the rest
    rest = int(total) - sum(v for v in shown.values() if isinstance(v, int))
    ranges = [range(1, 5) if shown[k] == "<5" else range(5, rest + 1) for k in hidden]
    solutions = [c for c in itertools.product(*ranges) if sum(c) == rest]
    assert all(len({s[i] for s in solutions}) >= 2 for i in range(len(hidden)))


def test_emails_the_outbox_already_holds_are_not_decided_again_after_a_ledger_loss() -> None:
    # the ledger lost its sign-ups; the outbox says r3 was told it waits, then moved up
    sent = {"r1": ("event_confirmed",), "r3": ("event_waitlisted", "event_moved_up")}
    plan = plan_event(
        COURSE,
        {},
        [answers(n, f"BN-{n:04d}") for n in (1, 3)],
        SUPPORTERS,
        frozenset(),
        DAY,
        sent,
    )
    assert statuses(plan) == {"course-2022-08/001": "confirmed", "course-2022-08/002": "confirmed"}
    assert plan.notices == []
