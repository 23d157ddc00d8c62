"""A running service does not plan again a cycle with nothing new in the same JST hour
(``app.warm``): it takes the last quiet plan as this one. That is sound only while every
rule that reads the clock turns at a whole hour or a date — the reply deadline and the
payment holds by JST date, the reminder at ``reminder_hour``, the digest at
``digest_hour``. These tests hold every rule to it: one generated history is planned at
moments spread over each hour, and every moment of an hour must decide the same.
A rule that turned at a finer time (a minute, a second) makes them fail, as the last
test shows with one."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from builders import JST, KEY, Office, app, member

from bansou_sync.core import cycle
from bansou_sync.core.cycle import CycleInput, CyclePlan, plan_cycle
from bansou_sync.core.model import AppStatus, SupporterDesk
from bansou_sync.core.policy import Policy
from bansou_sync.core.staff import StaffInput

# from the hour's first microsecond to its last
MOMENTS = (
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(minutes=1),
    timedelta(minutes=29, seconds=59),
    timedelta(minutes=30),
    timedelta(minutes=59, seconds=59, microseconds=999_999),
)
SUPPORTERS = 8


@dataclass
class Decisions:
    """What a cycle's plan decides, without the moment it was made at."""

    quiet: bool
    changed: bool
    notices: list[tuple[str, str]]
    problems: list[str]
    statuses: dict[str, str] = field(default_factory=dict)


def decisions(plan: CyclePlan) -> Decisions:
    quiet = not (plan.changed or plan.notices or plan.close_form or plan.new_applications)
    return Decisions(
        quiet=quiet,
        changed=plan.changed,
        notices=sorted((n.kind, n.ref) for n in plan.notices),
        problems=list(plan.problems),
        statuses={no: a.status.value for no, a in plan.state.applications.items()},
    )


def _new_applications(rnd: random.Random, hour: datetime) -> list[Any]:
    """0–2 applications submitted in the hour before ``hour``: on time or late, long or
    short, some with an answer missing or a wrong address (deficient)."""
    made = []
    for _ in range(rnd.choice((0, 0, 1, 2))):
        submitted = hour - timedelta(minutes=rnd.randint(1, 59), seconds=rnd.randint(0, 59))
        supporter = f"BN-{rnd.randint(1, SUPPORTERS):04d}"
        day = (submitted - timedelta(days=rnd.randint(0, 40))).date()
        kind = rnd.random()
        made.append(
            app(
                submitted,
                supporter,
                day.isoformat(),
                start="10:00",
                end="" if kind < 0.15 else rnd.choice(("10:30", "12:00", "13:30")),
                email="wrong@example.com" if 0.15 <= kind < 0.3 else None,
                initials=rnd.choice(("AB", "CD", "EF", "GH")),
                birth_year="1980",
                nationality="ネパール",
            )
        )
    return made


def _staff_acts(rnd: random.Random, office: Office) -> None:
    """Staff decide some applications waiting for review and tick some 覚書/口座届出."""
    waiting = [
        no
        for no, a in sorted(office.state.applications.items())
        if a.status == AppStatus.PENDING_REVIEW and no not in office.decisions
    ]
    for no in waiting:
        if rnd.random() < 0.3:
            office.decide(no, rnd.choice(("承認", "承認", "差戻し")), "確認してください")
    if rnd.random() < 0.1:
        supporter = f"BN-{rnd.randint(1, SUPPORTERS):04d}"
        office.desks[supporter] = SupporterDesk(
            memo_received=rnd.random() < 0.7, account_received=rnd.random() < 0.7
        )


def _plan_at(office: Office, now: datetime) -> CyclePlan:
    inputs = CycleInput(
        now=now,
        registrations=list(office.registrations),
        applications=list(office.applications),
        staff=StaffInput(dict(office.desks), dict(office.decisions), dict(office.paid)),
        client_key=KEY,
    )
    return plan_cycle(office.state, inputs, office.policy)


@dataclass
class History:
    differ: list[tuple[datetime, timedelta]]  # (hour, moment) planned otherwise than at :00
    kinds: set[str]  # the kinds of notice the history gave rise to


def history(seed: int, hours: int) -> History:
    """Run a generated history hour by hour (the service's first cycle of each hour at a
    random moment of it, its notices sent some minutes later); per hour, plan it at
    every moment of ``MOMENTS`` too, and note where the plan differs from the plan at
    the hour's start."""
    rnd = random.Random(seed)
    policy = Policy(staff_to=("jimukyoku@example.org",), budget_total_yen=200_000)
    office = Office(policy=policy)
    office.registrations += [member(n) for n in range(1, SUPPORTERS + 1)]
    office.cycle("2022-05-20 10:00")
    hour = datetime(2022, 6, 1, 0, 0, tzinfo=JST)
    found = History([], set())
    for _ in range(hours):
        office.applications += _new_applications(rnd, hour)
        _staff_acts(rnd, office)
        first = decisions(_plan_at(office, hour))
        found.differ += [
            (hour, moment)
            for moment in MOMENTS[1:]
            if decisions(_plan_at(office, hour + moment)) != first
        ]
        plan = office.cycle(hour + rnd.choice(MOMENTS))  # what the service commits
        found.kinds.update(n.kind for n in plan.notices)
        office.deliver(hour + timedelta(minutes=rnd.randint(1, 59)))
        hour += timedelta(hours=rnd.choice((1, 2, 3, 7)))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_rule_decides_the_same_at_every_moment_of_an_hour(seed: int) -> None:
    assert history(seed, hours=220).differ == []


def test_the_generated_history_reaches_the_rules_that_read_the_clock() -> None:
    kinds = history(1, hours=220).kinds

    # the digest (digest_hour), deficiency reminders and expiries (reply deadline by date,
    # reminder_hour), payment holds (cutoff date) and the budget are all exercised
    assert {
        "staff_digest",
        "application_deficient",
        "deficiency_reminder",
        "deficiency_expired",
        "application_accepted",
        "payment_held",
    } <= kinds


def test_a_rule_that_turned_at_half_past_the_hour_would_be_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    due_digest = cycle.due_digest

    def digest_from_half_past(book: Any, policy: Policy, now: datetime) -> Any:
        return None if now.minute < 30 else due_digest(book, policy, now)

    monkeypatch.setattr(cycle, "due_digest", digest_from_half_past)

    assert history(1, hours=220).differ != []


def test_a_deadline_counted_to_the_minute_from_the_send_would_be_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bansou_sync.core import deadlines

    reminder_due = deadlines.reminder_due

    def to_the_minute(deadline: date, now: datetime, **kw: Any) -> bool:
        return reminder_due(deadline, now, **kw) and now.minute >= 15

    monkeypatch.setattr(deadlines, "reminder_due", to_the_minute)

    assert history(2, hours=220).differ != []
