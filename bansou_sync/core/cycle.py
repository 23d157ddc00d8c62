"""One cycle's decisions, as a pure function: ``plan_cycle(state, inputs, policy)``.

The shell gathers the inputs (responses, what staff typed, the time), calls this, then
records the returned state and notices in one ledger transaction and sends after commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bansou_sync.core import corrections, intake, registrations
from bansou_sync.core.answers import Readings
from bansou_sync.core.book import Book
from bansou_sync.core.budget import check_budget
from bansou_sync.core.calendar import stamp, to_jst
from bansou_sync.core.deadlines import expire_lapsed, run_deadlines
from bansou_sync.core.digest import due_digest, note
from bansou_sync.core.model import (
    AppStatus,
    Notice,
    RawResponse,
    RegistrationStatus,
    SupporterDesk,
)
from bansou_sync.core.payments import apply_paid_ticks, run_holds
from bansou_sync.core.policy import Policy
from bansou_sync.core.projection import incomplete_item
from bansou_sync.core.review import accept, accepted_notice, decide
from bansou_sync.core.staff import StaffInput
from bansou_sync.core.state import State


@dataclass(frozen=True)
class CycleInput:
    now: datetime
    registrations: Sequence[RawResponse]
    applications: Sequence[RawResponse]
    staff: StaffInput
    client_key: bytes
    complete: bool = True  # the responses are every response (not an incremental page)
    pins: Mapping[str, str] = field(default_factory=dict)  # recovery only: numbers to keep


@dataclass
class CyclePlan:
    state: State
    notices: list[Notice] = field(default_factory=list)
    new_registrations: int = 0
    new_applications: int = 0
    problems: list[str] = field(default_factory=list)
    close_form: bool = False
    changed: bool = False


def seen_mark(raw: RawResponse) -> str:
    """What ``state.seen`` keeps of a response: its last edit time and, from a source
    without edit times (CSV, linked Sheet), the digest of its answers, so that the same
    回答ID with other answers is an edit (issue 10 §3)."""
    moment = raw.last_submitted_at.isoformat()
    return f"{moment} {raw.fingerprint}" if raw.fingerprint else moment


def _legacy(known: str | None, raw: RawResponse) -> bool:
    """A mark kept before digests were: the time alone, taken as the same answers."""
    return (
        known is not None
        and bool(raw.fingerprint)
        and " " not in known
        and known == raw.last_submitted_at.isoformat()
    )


def pending(responses: Sequence[RawResponse], state: State, now: datetime) -> list[RawResponse]:
    """Responses new or edited since last seen, in submission order (file order breaks ties);
    responses from after ``now`` are not there yet (replays with --now)."""
    seen = state.seen
    fresh = [
        (r.submitted_at, i, r)
        for i, r in enumerate(responses)
        if r.submitted_at <= now
        and (known := seen.get(f"{r.form}|{r.response_id}")) != seen_mark(r)
        and not _legacy(known, r)
    ]
    return [r for _, _, r in sorted(fresh, key=lambda t: (t[0], t[1]))]


def _adopt_digests(responses: Sequence[RawResponse], book: Book) -> None:
    """Legacy marks (time only) get their response's digest, without judging again."""
    seen = book.state.seen
    for raw in responses:
        key = f"{raw.form}|{raw.response_id}"
        if _legacy(seen.get(key), raw):
            seen[key] = seen_mark(raw)


def _cut_problem(raw: RawResponse, record: str | None) -> str:
    """A response whose answer was cut to the length limit, for 同期 and the digest."""
    who = f"{record} " if record else ""
    fields = ", ".join(raw.cut)
    return (
        f"{who}(回答ID {raw.response_id}, {stamp(raw.submitted_at)}): 長すぎる回答 ({fields}) "
        f"を切り詰めて記録しました。全文はフォームの回答で確認してください / an answer too long "
        f"was cut ({fields}): read the whole answer in the form"
    )


BLANK_DESK = SupporterDesk()  # what every reader of desks takes a missing one for


def _apply_desks(
    staff: StaffInput, book: Book, policy: Policy, plan: CyclePlan, now: datetime
) -> None:
    for supporter_id, desk in staff.desks.items():
        reg = book.by_id.get(supporter_id)
        if reg is None:
            plan.problems.append(f"伴走者 {supporter_id}: 登録にない伴走ネットIDの行があります")
            continue
        old = book.state.desks.get(supporter_id)
        if old is None and desk == BLANK_DESK:
            # nothing typed for one without a desk is the same as no desk (every reader
            # takes a missing desk for a blank one): a blank desk is not stored
            continue
        old = old or BLANK_DESK
        unread = staff.unread.get(supporter_id)
        if unread:  # a tick cell not understood: what the ledger had stays (issue 10 §4)
            desk = replace(desk, **{name: getattr(old, name) for name in unread})
        book.state.desks[supporter_id] = desk
        if desk.release_duplicates and not old.release_duplicates:
            plan.notices += registrations.release_duplicates(supporter_id, book, policy)
        if desk.contact_correction and desk.contact_correction != old.contact_correction:
            plan.notices += registrations.activate_if_ready(
                reg, book, f"correction:{supporter_id}:{desk.contact_correction}"
            )
        if desk.membership_check and desk.membership_check != old.membership_check:
            confirmed = corrections.read_membership_check(desk.membership_check)
            if confirmed is None:
                plan.problems.append(
                    corrections.membership_unread(supporter_id, desk.membership_check)
                )
            else:
                current = book.by_id.get(supporter_id, reg)
                plan.notices += corrections.confirm_membership(
                    current, confirmed, book, policy, now
                )


def _apply_fixes(
    staff: StaffInput, book: Book, policy: Policy, plan: CyclePlan, now: datetime
) -> None:
    """Corrections typed on 申請 rows (issue 13 §1), each acted on once."""
    apps = book.state.applications
    # rows read this cycle only (``staff.decisions`` has one entry per 申請 row read): a
    # row not read, or held back as a conflict, is not an emptied correction
    read = [no for no in staff.decisions if no in apps]
    for app_no in sorted(no for no in read if no in staff.fixes or apps[no].correction_seen):
        cells = staff.fixes.get(app_no, ("", "", "", ""))
        app = apps[app_no]
        if corrections.seen_of(cells) == app.correction_seen:
            continue
        notices, problems = corrections.correct_application(app, cells, book, policy, now)
        plan.notices += notices
        plan.problems += problems


def _apply_decisions(
    staff: StaffInput, book: Book, policy: Policy, plan: CyclePlan, now: datetime
) -> None:
    apps = book.state.applications
    # only rows that say something the ledger does not know yet are sorted and decided:
    # most rows of 申請 hold decisions already taken
    news = [
        (app_no, value)
        for app_no, value in staff.decisions.items()
        if (known := apps.get(app_no)) is None
        or value[0].strip() != known.decision_seen
        or value[1] != known.memo
    ]
    for app_no, (cell, memo) in sorted(news):
        app = book.state.applications.get(app_no)
        if app is None:
            plan.problems.append(f"申請 {app_no}: 台帳にない申請番号の行があります")
            continue
        if cell.strip() == app.decision_seen:
            if memo != app.memo:
                book.put_application(replace(app, memo=memo))
            continue
        reason = staff.reasons.get(app_no, "")
        outcome = decide(app, cell, memo, book, policy, now, reason=reason)
        plan.notices += outcome.notices
        # A decision not applied goes to 同期 and the digest; an applied override
        # (承認 of an ineligible one, or past the budget) is a digest warning only.
        plan.problems += outcome.problems
        for override in outcome.overrides:
            note(book, "overrides", override)


def _auto_accept(response_id: str, book: Book, policy: Policy, now: datetime) -> list[Notice]:
    """rules.auto_accept: pending_review becomes accepted in the same cycle (SPEC §4)."""
    app = book.state.applications[book.by_response[response_id]]
    if app.status != AppStatus.PENDING_REVIEW:
        return []
    accepted = accept(app, book, policy, now)
    return [accepted_notice(accepted, book, policy)] if app.notify else []


def _mention_late_resubmission(
    raw: RawResponse, book: Book, policy: Policy, plan: CyclePlan
) -> None:
    """A new application quoting an original that expired in this very cycle (its
    resubmission came too late, P9): the expiry notice, not yet sent, names it and says
    it is judged as a new application."""
    quoted = policy.application_ids.parse(raw.text("resubmission_of"))
    if not isinstance(quoted, str):
        return
    late = book.state.applications[book.by_response[raw.response_id]]
    original = book.state.applications.get(quoted)
    if original is None or original.supporter_id != late.supporter_id:
        return  # another's number: their notice names nothing of this one
    for i, notice in enumerate(plan.notices):
        if notice.kind == "deficiency_expired" and notice.ref == quoted:
            context = {**notice.context, "late_resubmission": late.app_no}
            plan.notices[i] = replace(notice, context=context)


def _vanished(responses: Sequence[RawResponse], form: str, state: State) -> list[str]:
    present = {r.response_id for r in responses}
    prefix = f"{form}|"
    gone = [
        k[len(prefix) :]
        for k in state.seen
        if k.startswith(prefix) and k[len(prefix) :] not in present
    ]
    if not gone:
        return []
    sample = ", ".join(sorted(gone)[:3])
    return [f"{form}: 以前の回答 {len(gone)} 件が見つかりません(回答ID {sample} …)"]


def plan_cycle(state: State, inputs: CycleInput, policy: Policy) -> CyclePlan:
    """Everything one cycle decides, from ``state``, the responses and staff input in
    ``inputs`` and ``policy``: the new state, the notices to send, the problems."""
    return plan_indexed(state, inputs, policy, None)[0]


def plan_indexed(
    state: State, inputs: CycleInput, policy: Policy, index: Book | None
) -> tuple[CyclePlan, Book]:
    """``plan_cycle``, also taking and returning the index the rules look things up in
    (a ``Book``), so that a caller who keeps it need not have it rebuilt from the whole
    history. ``index``: one returned by this function, whose book state has the content
    of ``state`` (the caller vouches for that: here it is only used); None builds one.
    The plan is the same either way."""
    now = to_jst(inputs.now)
    book = (
        index.resume(state) if index is not None and not inputs.pins else Book(state, inputs.pins)
    )
    plan = CyclePlan(state=book.state)
    plan.problems += inputs.staff.problems
    _apply_desks(inputs.staff, book, policy, plan, now)

    for raw in pending(inputs.registrations, state, now):
        key = f"registration|{raw.response_id}"
        existing = book.state.registrations.get(raw.response_id)
        if existing is None:
            plan.new_registrations += 1
            plan.notices += registrations.admit(raw, book, policy)
            reg = book.state.registrations[raw.response_id]
            if reg.status == RegistrationStatus.DUPLICATE:
                note(
                    book,
                    "duplicates",
                    {
                        "response_id": raw.response_id,
                        "submitted": stamp(reg.submitted_at),
                        "existing_id": reg.duplicate_of,
                    },
                )
            elif reg.missing and reg.supporter_id:
                note(book, "incomplete", incomplete_item(reg))
        else:
            plan.notices += registrations.edit(raw, existing, book)
        book.state.seen[key] = seen_mark(raw)
        if raw.cut:
            kept = book.state.registrations.get(raw.response_id)
            plan.problems.append(_cut_problem(raw, kept.supporter_id if kept else None))

    _apply_decisions(inputs.staff, book, policy, plan, now)
    _apply_fixes(inputs.staff, book, policy, plan, now)

    readings = Readings(policy)  # the answers read, for this plan only
    for raw in pending(inputs.applications, state, now):
        key = f"application|{raw.response_id}"
        plan.notices += expire_lapsed(book, policy, to_jst(raw.last_submitted_at), now)
        app_no = book.by_response.get(raw.response_id)
        if app_no is None:
            plan.new_applications += 1
            plan.notices += intake.admit(raw, book, policy, inputs.client_key, now, readings)
            _mention_late_resubmission(raw, book, policy, plan)
            if policy.auto_accept:
                plan.notices += _auto_accept(raw.response_id, book, policy, now)
        else:
            app = book.state.applications[app_no]
            notices, problem = intake.edit(raw, app, book, policy, inputs.client_key, now, readings)
            plan.notices += notices
            if problem:
                plan.problems.append(problem)
        book.state.seen[key] = seen_mark(raw)
        if raw.cut:
            plan.problems.append(_cut_problem(raw, book.by_response.get(raw.response_id)))

    plan.notices += run_deadlines(book, policy, now)
    plan.notices += run_holds(book, policy, now)
    plan.problems += apply_paid_ticks(inputs.staff.paid, book, now)
    budget = check_budget(book, policy, now.date().isoformat())
    plan.notices += budget.notices
    plan.close_form = budget.close_form
    if inputs.complete:
        _adopt_digests(inputs.registrations, book)
        _adopt_digests(inputs.applications, book)
        plan.problems += _vanished(inputs.registrations, "registration", book.state)
        plan.problems += _vanished(inputs.applications, "application", book.state)
    for problem in plan.problems:
        note(book, "problems", problem)
    digest = due_digest(book, policy, now)
    if digest is not None:
        plan.notices.append(digest)
    plan.changed = book.state != state
    return plan, book
