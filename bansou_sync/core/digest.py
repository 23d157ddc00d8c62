"""The daily staff digest: sent at the first cycle after 08:00 when something waits (SPEC §6)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bansou_sync.core.book import Book
from bansou_sync.core.budget import figures
from bansou_sync.core.calendar import reply_deadline, stamp, to_jst
from bansou_sync.core.model import Application, AppStatus, Notice, RegistrationStatus
from bansou_sync.core.payments import documents_missing
from bansou_sync.core.policy import Policy
from bansou_sync.core.state import State

LAST_SENT = "digest_last_date"
QUEUE = "digest_queue"  # problems, overrides and duplicates noted since the last digest


def note(book: Book, section: str, item: object) -> None:
    """Remember something for the next digest."""
    queue: dict[str, list[object]] = json.loads(book.state.flags.get(QUEUE, "{}"))
    items = queue.setdefault(section, [])
    if item not in items:
        items.append(item)
    book.state.flags[QUEUE] = json.dumps(queue, ensure_ascii=False)


def noted(state: State, section: str, items: Sequence[object]) -> State:
    """A copy of ``state`` remembering ``items`` for the next digest (e.g. mail parked as
    failed after the cycle's plan was made)."""
    new = state.copy()
    queue: dict[str, list[object]] = json.loads(new.flags.get(QUEUE, "{}"))
    listed = queue.setdefault(section, [])
    listed += [item for item in items if item not in listed]
    new.flags[QUEUE] = json.dumps(queue, ensure_ascii=False)
    return new


SECTIONS = (
    "pending",
    "near_deadline",
    "held",
    "needs_review",
    "duplicates",
    "incomplete",
    "problems",
    "overrides",
    "unpaid",
    "events",
)
# "pay_batch" (the coming batch) is listed whenever a digest goes out but is never the
# reason to send one: it would otherwise mail staff every day


def waiting_items(book: Book, policy: Policy, now: datetime) -> dict[str, Any]:
    """What waits for staff now, by section (``SECTIONS``), plus the budget figures.

    The digest email and ``bansou-sync status`` both list exactly this."""
    local = to_jst(now)
    queue: dict[str, list[object]] = json.loads(book.state.flags.get(QUEUE, "{}"))
    apps = sorted(book.state.applications.values(), key=lambda a: a.seq)
    soon = local.date() + timedelta(days=policy.reminder_days_before)
    near = []
    for app in apps:
        if app.status == AppStatus.DEFICIENT:
            deadline = reply_deadline(app.reply_clock, policy.reply_days)
            if deadline is not None and deadline <= soon:
                near.append({"app_no": app.app_no, "reply_deadline": deadline.isoformat()})
    return {
        "pending": [
            {
                "app_no": a.app_no,
                "supporter_id": a.supporter_id or "",
                "submitted_at": stamp(a.submitted_at),
            }
            for a in apps
            if a.status == AppStatus.PENDING_REVIEW
        ],
        "near_deadline": near,
        "held": held_items(book, apps),
        "needs_review": [
            {"supporter_id": r.supporter_id}
            for r in sorted(book.state.registrations.values(), key=lambda r: r.seq)
            if r.status == RegistrationStatus.NEEDS_REVIEW
        ],
        "duplicates": queue.get("duplicates", []),
        # registered since the last digest with answers missing (SPEC §4); the 伴走者
        # tab's 未回答 column keeps showing them
        "incomplete": queue.get("incomplete", []),
        "problems": queue.get("problems", []),
        "overrides": queue.get("overrides", []),
        "events": queue.get("events", []),
        "pay_batch": coming_batch(apps, local.date()),
        "unpaid": unpaid_batches(apps, local.date()),
        "budget": {
            k: figures(book, policy)[k] for k in ("total_yen", "committed_yen", "ratio_percent")
        },
    }


def held_items(book: Book, apps: Sequence[Application]) -> list[dict[str, Any]]:
    """P12 holds by (締め日, 伴走ネットID), with the reason code and the documents missing."""
    held = sorted(
        {
            (a.cutoff.isoformat(), a.supporter_id or "")
            for a in apps
            if a.status == AppStatus.ACCEPTED and a.held and a.cutoff
        }
    )
    return [
        {
            "supporter_id": sid,
            "cutoff": cutoff,
            "reason": "payment_held",
            "missing": documents_missing(book, sid) if sid else [],
        }
        for cutoff, sid in held
    ]


def _scheduled(apps: Sequence[Application]) -> dict[date, list[Application]]:
    """Accepted applications with a pay date (not held, not yet paid), by pay date."""
    batches: dict[date, list[Application]] = defaultdict(list)
    for app in apps:
        if app.status == AppStatus.ACCEPTED and not app.held and app.pay_date:
            batches[app.pay_date].append(app)
    return batches


def _batch(pay_date: date, apps: Sequence[Application]) -> dict[str, Any]:
    return {
        "pay_date": pay_date.isoformat(),
        "payees": len({a.supporter_id for a in apps}),
        "rows": len({(a.cutoff, a.supporter_id) for a in apps}),
        "count": len(apps),
        "total_yen": sum(a.honorarium or 0 for a in apps),
    }


def coming_batch(apps: Sequence[Application], today: date) -> dict[str, Any] | None:
    """The next pay batch (today's included): date, payees, applications and total."""
    batches = _scheduled(apps)
    coming = [d for d in batches if d >= today]
    return _batch(min(coming), batches[min(coming)]) if coming else None


def unpaid_batches(apps: Sequence[Application], today: date) -> list[dict[str, Any]]:
    """Batches past their pay date whose 支払 rows are not ticked 支払済, with the IDs."""
    batches = _scheduled(apps)
    return [
        _batch(day, batches[day])
        | {"supporter_ids": sorted({a.supporter_id or "" for a in batches[day]})}
        for day in sorted(batches)
        if day < today
    ]


def due_digest(book: Book, policy: Policy, now: datetime) -> Notice | None:
    local = to_jst(now)
    today = local.date().isoformat()
    if local.hour < policy.digest_hour or book.state.flags.get(LAST_SENT) == today:
        return None
    context = {"date": today, **waiting_items(book, policy, local)}
    if not any(context[k] for k in SECTIONS):
        return None
    book.state.flags[LAST_SENT] = today
    book.state.flags[QUEUE] = "{}"
    return Notice(
        kind="staff_digest",
        ref=today,
        to=policy.staff_to,
        event_key=f"staff_digest:{today}",
        context=context,
    )
