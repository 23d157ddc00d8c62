"""``plan_indexed`` takes back the index (``Book``) it returned for the state a cycle
committed, so a running service does not rebuild it from the whole history; the plan
must be the one ``plan_cycle`` makes from the plain state."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from builders import JST, KEY, Office, app, member

from bansou_sync.core.book import Book
from bansou_sync.core.cycle import CycleInput, plan_cycle, plan_indexed
from bansou_sync.core.model import AppStatus
from bansou_sync.core.policy import Policy
from bansou_sync.core.staff import StaffInput


def _input(office: Office, now: datetime) -> CycleInput:
    return CycleInput(
        now=now,
        registrations=list(office.registrations),
        applications=list(office.applications),
        staff=StaffInput(dict(office.desks), dict(office.decisions), dict(office.paid)),
        client_key=KEY,
    )


def test_a_plan_on_the_kept_index_is_the_plan_on_the_plain_state() -> None:
    rnd = random.Random(7)
    office = Office(policy=Policy(staff_to=("jimukyoku@example.org",)))
    office.registrations += [member(n) for n in range(1, 7)]
    now = datetime(2022, 6, 1, 9, 0, tzinfo=JST)
    index: Book | None = None
    kept_plans = 0
    for _ in range(60):
        for _ in range(rnd.randint(0, 3)):
            submitted = now - timedelta(minutes=rnd.randint(1, 600))
            day = (submitted - timedelta(days=rnd.randint(0, 35))).date().isoformat()
            supporter = f"BN-{rnd.randint(1, 6):04d}"
            end = rnd.choice(("", "10:30", "12:00", "13:30"))
            office.applications.append(app(submitted, supporter, day, end=end))
        for no, a in sorted(office.state.applications.items()):
            if a.status == AppStatus.PENDING_REVIEW and rnd.random() < 0.4:
                office.decide(no, rnd.choice(("承認", "差戻し", "却下")))

        plain = plan_cycle(office.state, _input(office, now), office.policy)
        kept_plans += index is not None
        indexed, index = plan_indexed(office.state, _input(office, now), office.policy, index)

        assert indexed == plain
        office.state = indexed.state  # committed: the index's state has its content
        if any(
            a.notice_event and a.notice_sent_at is None for a in office.state.applications.values()
        ):
            # the send times change the state after the plan: the index no longer fits it,
            # and the shell drops it (app.run_once), as here
            office.state = office.state.copy()
            office.deliver(now + timedelta(minutes=5))
            index = None
        now += timedelta(hours=rnd.choice((3, 9, 24)))
    assert kept_plans > 20
