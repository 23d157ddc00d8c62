"""The cycle's hook for 緊急支援費 requests (issue 6 §5): fetch, plan, record, project.

``run_once`` calls ``step`` before planning the cycle (so granted amounts count against
the budget in the same cycle), ``save`` inside the cycle's ledger transaction, and
``tabs`` when projecting. With no emergency form configured each is a no-op.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bansou_sync.app.outbox import to_items
from bansou_sync.app.services import Services
from bansou_sync.core import emergency
from bansou_sync.core.state import State
from bansou_sync.ports import OutboxItem, TabRows

OVERLAP = timedelta(minutes=10)  # as run_once's watermark: clocks lag, pages arrive unsorted


@dataclass
class Step:
    state: State  # the cycle's state with the granted total in its flags
    before: dict[str, emergency.EmergencyRequest] = field(default_factory=dict)
    after: dict[str, emergency.EmergencyRequest] = field(default_factory=dict)
    items: list[OutboxItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _decisions(rows: Sequence[Mapping[str, str]]) -> dict[str, tuple[str, str]]:
    return {
        row.get("受付番号", "").strip(): (row.get("決定", ""), row.get("金額", ""))
        for row in rows
        if row.get("受付番号", "").strip()
    }


def step(
    services: Services,
    state: State,
    tab_rows: Mapping[str, Sequence[Mapping[str, str]]],
    now: datetime,
) -> Step:
    if not services.emergency:
        return Step(state)
    known = services.ledger.emergency_requests()
    since = None
    if services.source.incremental and known:
        since = max(r.last_submitted_at for r in known.values()) - OVERLAP
    responses = services.source.fetch(emergency.FORM, since)
    numbers = [emergency.REQUEST_IDS.parse_number(no) for no in known]
    plan = emergency.plan_emergency(
        known,
        responses,
        _decisions(tab_rows.get(emergency.EMERGENCY_TAB.name, ())),
        state.applications.values(),
        services.policy,
        now,
        next_number=max([n for n in numbers if isinstance(n, int)], default=0) + 1,
    )
    granted = state.copy()
    # P8 counts the grants only when they share the honoraria budget (budget.emergency_in_total)
    shared = plan.granted_yen if services.policy.emergency_in_budget else 0
    granted.flags[emergency.GRANTED_FLAG] = str(shared)
    return Step(
        state=granted,
        before=known,
        after=plan.requests,
        items=to_items(plan.notices, services.mail_domain, now),
        problems=plan.problems,
    )


def save(services: Services, done: Step) -> None:
    if services.emergency:
        services.ledger.save_emergency_requests(done.before, done.after)
        services.ledger.enqueue(done.items)


def tabs(services: Services) -> list[TabRows]:
    if not services.emergency:
        return []
    requests = services.ledger.emergency_requests()
    return [TabRows(emergency.EMERGENCY_TAB.name, emergency.rows(requests))]
