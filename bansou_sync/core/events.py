"""Courses and events (伴走支援講座 B, 相談会 C, 報告会 D): one form kind, pure rules.

event        One configured course, consultation day or meeting (``EventSpec``): a date
             and time, a capacity, and whether sign-ups must quote a 伴走ネットID.
sign-up      One response of the event's sign-up form (``Signup``); it owns a 受付番号
             (``<event id>/001``) in submission order.
seat         A confirmed place. Seats go in submission order; a sign-up that finds the
             event full waits (キャンセル待ち). When a seat frees up, the earliest waiting
             sign-up moves up. A confirmed seat is never taken back (not even when staff
             lower the capacity): only a cancellation frees it.
cancellation Staff tick キャンセル on the event's tab, or the volunteer answers the form
             again choosing 「キャンセルする」 with the same ID or email.
reminder     One email to each confirmed sign-up, at the first cycle at or after
             ``reminder_hour`` on the day before the event.

``plan_event`` decides; the app records its result in the ledger and queues its notices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bansou_sync.core.calendar import stamp
from bansou_sync.core.event_model import (
    HOLDING,
    KIND_LABELS,
    REASON_TEXTS,
    Answers,
    EventPlan,
    EventSpec,
    Signup,
    SignupStatus,
    Supporter,
)
from bansou_sync.core.model import Notice


def read_signup(
    spec: EventSpec, answers: Answers, number: int, supporters: Mapping[str, Supporter]
) -> Signup:
    """A new response becomes a sign-up: refused (with reasons) or still to be seated."""
    reasons: list[str] = []
    known = supporters.get(answers.supporter_id) if answers.supporter_id else None
    if spec.requires_id and answers.id_problem == "unreadable":
        reasons.append("unreadable:supporter_id")  # an open event ignores a garbled ID
    elif spec.requires_id and answers.id_problem == "missing":
        reasons.append("missing:supporter_id")
    elif answers.supporter_id and known is None and spec.requires_id:
        reasons.append("unknown_supporter")
    elif known is not None and not known.active and spec.requires_id:
        reasons.append("inactive_supporter")
    email = (known.contact_email if known is not None else "") or answers.email
    if not email and not answers.cancel:
        reasons.append(f"{answers.email_problem or 'missing'}:email")
    if not answers.consent and not answers.cancel:
        reasons.append("no_consent")
    if answers.submitted_at >= spec.starts_at and not answers.cancel:
        reasons.append("event_closed")
    status = SignupStatus.REFUSED if reasons else SignupStatus.WAITLISTED
    if reasons == ["event_closed"]:  # nothing else wrong: told the period was over
        status = SignupStatus.CLOSED
    if answers.cancel:
        status = SignupStatus.CANCEL_REQUEST
        reasons = []
    return Signup(
        event_id=spec.event_id,
        response_id=answers.response_id,
        number=number,
        submitted_at=answers.submitted_at,
        supporter_id=answers.supporter_id if known is not None or not spec.requires_id else "",
        name=answers.name or (known.name if known is not None else ""),
        email=email,
        status=status,
        reasons=tuple(reasons),
    )


def plan_event(
    spec: EventSpec,
    signups: Mapping[str, Signup],
    new: Sequence[Answers],
    supporters: Mapping[str, Supporter],
    staff_cancelled: frozenset[str],
    now: datetime,
    sent: Mapping[str, tuple[str, ...]] | None = None,
) -> EventPlan:
    """The event's sign-ups after this cycle, and the emails that follow.

    ``signups`` holds what the ledger knows (by response ID), ``new`` the responses not
    seen before, ``staff_cancelled`` the 受付番号 whose キャンセル box staff ticked, and
    ``sent`` the email kinds the outbox already holds for a new response (only after the
    ledger's sign-ups were lost: then nothing is sent twice, SPEC §7)."""
    result = dict(signups)
    next_number = max((s.number for s in result.values()), default=0) + 1
    arrived: list[Signup] = []
    for answers in sorted(new, key=lambda a: (a.submitted_at, a.response_id)):
        if answers.response_id in result:
            continue
        signup = read_signup(spec, answers, next_number, supporters)
        next_number += 1
        notified = (sent or {}).get(signup.response_id, ())
        result[signup.response_id] = replace(signup, updated_at=now, notified=notified)
        arrived.append(signup)
    ordered = sorted(result.values(), key=lambda s: (s.submitted_at, s.number))
    _cancel(result, ordered, staff_cancelled, now)
    _mark_duplicates(result, [s.response_id for s in arrived], now)
    if now < spec.starts_at:  # once it has begun, nobody is seated or moved up any more
        _seat(spec, result, now)
    else:
        _close(result, [s.response_id for s in arrived], now)
    return EventPlan(result, _notices(spec, result, now))


def _cancel(
    result: dict[str, Signup], ordered: list[Signup], staff: frozenset[str], now: datetime
) -> None:
    for signup in ordered:
        current = result[signup.response_id]
        if current.receipt in staff and current.status in HOLDING:
            result[signup.response_id] = replace(
                current,
                status=SignupStatus.CANCELLED,
                reasons=("cancelled_by_staff",),
                updated_at=now,
            )
    for signup in ordered:
        current = result[signup.response_id]
        if current.status is not SignupStatus.CANCEL_REQUEST or current.reasons:
            continue  # a request acts once: its reasons record what it did
        target = next(
            (
                result[s.response_id]
                for s in ordered
                if s.submitted_at <= current.submitted_at
                and result[s.response_id].status in HOLDING
                and _same_person(result[s.response_id], current)
            ),
            None,
        )
        if target is None:
            result[current.response_id] = replace(current, reasons=("cancel_unmatched",))
            continue
        result[target.response_id] = replace(
            target,
            status=SignupStatus.CANCELLED,
            reasons=(f"cancelled_by_form {current.receipt}",),
            updated_at=now,
        )
        result[current.response_id] = replace(current, reasons=(f"cancels {target.receipt}",))


def _same_person(held: Signup, request: Signup) -> bool:
    if request.supporter_id and request.supporter_id == held.supporter_id:
        return True
    return bool(request.email) and request.email == held.email


def _mark_duplicates(result: dict[str, Signup], arrived: list[str], now: datetime) -> None:
    """A second sign-up by a person who already holds a seat or a place in line."""
    for response_id in arrived:
        current = result[response_id]
        if current.status is not SignupStatus.WAITLISTED:
            continue
        earlier = [
            s
            for s in result.values()
            if s.number < current.number and s.status in HOLDING and s.person == current.person
        ]
        if earlier:
            result[current.response_id] = replace(
                current,
                status=SignupStatus.DUPLICATE,
                reasons=(f"already_signed_up {earlier[0].receipt}",),
                updated_at=now,
            )


def _seat(spec: EventSpec, result: dict[str, Signup], now: datetime) -> None:
    """Fill free seats from the waiting list, in submission order."""
    taken = sum(1 for s in result.values() if s.status is SignupStatus.CONFIRMED)
    waiting = sorted(
        (s for s in result.values() if s.status is SignupStatus.WAITLISTED),
        key=lambda s: (s.submitted_at, s.number),
    )
    for signup in waiting:
        if taken >= spec.capacity:
            break
        result[signup.response_id] = replace(signup, status=SignupStatus.CONFIRMED, updated_at=now)
        taken += 1


def _close(result: dict[str, Signup], arrived: list[str], now: datetime) -> None:
    """Sign-ups sent before the start but first read after it (the daemon was stopped,
    or the form was answered minutes before): the sign-up period is over, so they are
    told so — not put on a waiting list that will never move (issue 13 §5). A sign-up
    the outbox already wrote to (the ledger was lost and rebuilt) keeps what it was told."""
    for response_id in arrived:
        current = result[response_id]
        if current.status is not SignupStatus.WAITLISTED:
            continue
        told = set(current.notified)
        if told & {"event_confirmed", "event_moved_up"}:
            result[response_id] = replace(current, status=SignupStatus.CONFIRMED, updated_at=now)
        elif not told:
            result[response_id] = replace(
                current,
                status=SignupStatus.CLOSED,
                reasons=("read_after_start",),
                updated_at=now,
            )


def late_signups(signups: Mapping[str, Signup], before: Mapping[str, Signup]) -> list[Signup]:
    """The sign-ups this cycle closed because the event had begun (for staff: the tab
    and the digest)."""
    return [
        s
        for rid, s in sorted(signups.items(), key=lambda kv: kv[1].number)
        if s.status is SignupStatus.CLOSED and rid not in before
    ]


def waiting_positions(signups: Mapping[str, Signup]) -> dict[str, int]:
    waiting = sorted(
        (s for s in signups.values() if s.status is SignupStatus.WAITLISTED),
        key=lambda s: (s.submitted_at, s.number),
    )
    return {s.response_id: i for i, s in enumerate(waiting, start=1)}


def _notices(spec: EventSpec, result: dict[str, Signup], now: datetime) -> list[Notice]:
    """Emails due for each sign-up; ``notified`` records what was already queued."""
    positions = waiting_positions(result)
    notices: list[Notice] = []
    for response_id, signup in sorted(result.items(), key=lambda kv: kv[1].number):
        due: list[str] = []
        silent: list[str] = []  # recorded as done without an email
        sent = set(signup.notified)
        if signup.status is SignupStatus.REFUSED and "event_refused" not in sent:
            due.append("event_refused")
        elif signup.status is SignupStatus.CLOSED and "event_closed" not in sent:
            due.append("event_closed")
        elif signup.status is SignupStatus.WAITLISTED and "event_waitlisted" not in sent:
            due.append("event_waitlisted")
        elif signup.status is SignupStatus.CONFIRMED:
            if "event_confirmed" not in sent and "event_moved_up" not in sent:
                due.append("event_moved_up" if "event_waitlisted" in sent else "event_confirmed")
            if "event_reminder" not in sent and spec.reminder_at <= now < spec.starts_at:
                # a seat given on the day before: the confirmation says all a reminder would
                (silent if due else due).append("event_reminder")
        elif signup.status is SignupStatus.CANCELLED and sent and "event_cancelled" not in sent:
            # told only when they had heard from us: a sign-up cancelled before its first
            # email held a seat nobody knew of
            due.append("event_cancelled")
        if due or silent:
            result[response_id] = replace(signup, notified=(*signup.notified, *due, *silent))
        notices += [_notice(kind, spec, signup, positions.get(response_id, 0)) for kind in due]
    return notices


def event_key(event_id: str, response_id: str) -> str:
    """One key per sign-up: with the kind, it makes each email's Message-ID."""
    return f"event:{event_id}:{response_id}"


def _notice(kind: str, spec: EventSpec, signup: Signup, position: int) -> Notice:
    context: dict[str, Any] = {
        "name": signup.name or "参加者",
        "receipt": signup.receipt,
        "event_title": spec.title,
        "event_kind": KIND_LABELS[spec.kind],
        "starts_at": stamp(spec.starts_at),
        "place": spec.place,
        "supporter_id": signup.supporter_id,
        "position": position,
        "reasons": [REASON_TEXTS.get(code.split(" ")[0], code) for code in signup.reasons],
        "requires_id": spec.requires_id,
    }
    return Notice(
        kind=kind,
        ref=signup.receipt,
        to=(signup.email,) if signup.email else (),
        event_key=event_key(spec.event_id, signup.response_id),
        context=context,
    )
