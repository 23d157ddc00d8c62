"""The one orchestrator: a cycle reads, plans, records, sends and writes.

read (``app.inputs``) → plan (``core.cycle``, pure) → one ledger transaction: the new
state and the mail it queues → send, after commit (``app.outbox``) → write the sheet

``warm`` (``app.warm``) is what a running service keeps between cycles: each step asks
it what it may reuse and tells it what it did. A fresh one is a cold start.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from bansou_sync.app import emergency_cycle, projection_memo, staff_memo, surge
from bansou_sync.app.events import run_events
from bansou_sync.app.first_run import check_first_cycle
from bansou_sync.app.inputs import FORMS, Inputs, read_inputs, record_deliveries
from bansou_sync.app.operations import run_operations
from bansou_sync.app.outbox import deliver, to_items
from bansou_sync.app.render import STAFF_KINDS

# ``Services`` is imported from here by callers older than ``app.services``
from bansou_sync.app.services import Services as Services
from bansou_sync.app.tabs import project, projected
from bansou_sync.app.warm import WarmCycle, hour_of, status_counts, waiting_notices
from bansou_sync.core.book import Book
from bansou_sync.core.budget import form_close_request
from bansou_sync.core.calendar import to_jst
from bansou_sync.core.cycle import CycleInput, CyclePlan, pending, plan_indexed
from bansou_sync.core.digest import noted
from bansou_sync.core.staff import STAFF_TABS
from bansou_sync.core.state import State
from bansou_sync.core.tabs import SYNC
from bansou_sync.crashpoints import crash_point
from bansou_sync.ports import OutboxItem, TabRows

log = logging.getLogger(__name__)

# sending that takes longer than this at the mailer's pace: the sheet is written first
SHEET_FIRST_SECONDS = 10.0


@dataclass
class CycleSummary:
    now: datetime
    dry_run: bool
    new_registrations: int = 0
    new_applications: int = 0
    queued: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    problems: list[str] = field(default_factory=list)
    mail_error: BaseException | None = None  # why sending stopped early, if it did
    statuses: Counter[str] = field(default_factory=Counter)
    tabs: dict[str, int] = field(default_factory=dict)


@dataclass
class Planned:
    plan: CyclePlan
    index: Book | None  # the plan's index, for the next cycle; None: not planned again
    quiet: bool  # changed, queued and closed nothing, on a state the ledger holds
    own_problems: list[str]  # the plan's problems, before the cycle's own join them


def run_cycle(
    services: Services, now: datetime, *, dry_run: bool = False, warm: WarmCycle | None = None
) -> CycleSummary:
    """One cycle at ``now``. ``warm``: what the service kept from earlier cycles (a fresh
    one when None: a cold start). ``dry_run``: planned, and nothing recorded or sent."""
    now = to_jst(now)
    cold = warm is None  # a process of its own (``once``): it leaves its projection
    warm = WarmCycle() if warm is None else warm
    ledger = services.ledger
    if not dry_run:  # before anything it could not record: no read, no send, no write
        ledger.check_room(services.min_free_bytes)
    read = read_inputs(services, warm, now, dry_run)  # ledger, forms, sheet
    planned = _plan(services, warm, read, now, dry_run)
    plan = planned.plan
    items = _mail_to_queue(services, read, planned, now, dry_run)
    warm.forget_plan()  # until this cycle's plan is recorded
    with ledger.transaction(commit=not dry_run):
        # a plan not made again changed nothing; one that found nothing to change, on the
        # state loaded, has nothing to save either (and is not compared record by record)
        if plan.state is not read.state and (plan.changed or read.extra.state is not read.state):
            ledger.save_state(read.state, plan.state)
        ledger.enqueue(items)
        emergency_cycle.save(services, read.extra)
    if not dry_run:
        crash_point("after_commit")
        _remember(services, warm, read, planned, now)
    summary = _summary(now, dry_run, warm, read, planned, items)
    queued = len(items)
    # the responses and the queued mail are in the ledger now: let them go before the
    # sheet is projected and written (a backfill's peak memory)
    del items
    read.fetched.clear()
    plan.notices.clear()
    closed: list[str] = []  # sign-ups read after their event began: in the next digest
    event_tabs = run_events(  # courses and events; their problems join the cycle's
        services.events,
        ledger,
        plan.state,
        read.staff_rows,
        services.mail_domain,
        now,
        dry_run=dry_run,
        problems=plan.problems,
        closed=closed,
    )
    event_tabs += run_operations(  # the 操作 tab: what staff asked for, made once
        services.operations,
        ledger,
        plan.state,
        read.tab_rows,
        services.policy,
        now,
        settled=read.staff_rows,
        dry_run=dry_run,
        problems=plan.problems,
    )
    if dry_run:
        summary.tabs = {t.name: len(t.rows) for t in project(services, plan.state, warm.projector)}
        return summary
    # after commit: send, then write the sheet from the state the ledger holds
    final = _send(services, warm, read, plan, now, summary, event_tabs, closed)
    idle = not (plan.changed or queued or plan.problems)
    ledger.record_cycle(
        now,
        "成功",
        summary.new_registrations,
        summary.new_applications,
        summary.sent,
        " / ".join(summary.problems)[:500],
        idle,
    )
    _write(services, warm, read, planned, final, event_tabs, summary, cold)
    return summary


def _plan(
    services: Services, warm: WarmCycle, read: Inputs, now: datetime, dry_run: bool
) -> Planned:
    """The cycle's plan: made by the core, or — a quiet plan remembered for this state,
    this staff input and this hour, and no response pending — taken as made (app.warm)."""
    state, hour = read.state, hour_of(now)
    # a plan can be taken as unchanged only for a state the ledger holds (not one this
    # cycle changed) and a source that lists only what is new
    steady = services.source.incremental and not dry_run and read.on_loaded
    if (
        steady
        and warm.unchanged(read.generation, hour, read.staff)
        and not pending(read.fetched["registration"], state, now)
        and not pending(read.fetched["application"], state, now)
    ):
        plan, index = CyclePlan(state=state, problems=list(warm.problems)), None
    else:
        # the last plan's index, when its state is the one loaded: not rebuilt
        kept = warm.take_book(read.generation if read.on_loaded else None)
        cycle_input = CycleInput(
            now=now,
            registrations=read.fetched["registration"],
            applications=read.fetched["application"],
            staff=read.staff,
            client_key=services.client_key,
            complete=not services.source.incremental,
        )
        plan, index = plan_indexed(read.extra.state, cycle_input, services.policy, kept)
    quiet = steady and not (
        plan.changed or plan.notices or plan.close_form or plan.new_applications
    )
    own_problems = list(plan.problems)
    skipped = list(services.source.problems)  # rows a source could not read
    plan.problems[:0] = [*read.recovered, *skipped, *read.snapshot.problems, *read.extra.problems]
    return Planned(plan, index, quiet, own_problems)


def _mail_to_queue(
    services: Services, read: Inputs, planned: Planned, now: datetime, dry_run: bool
) -> list[OutboxItem]:
    """The plan's notices as outbox items, a flood's volunteer mail held (app.surge); a
    real mailer's first cycle queuing too much stops here, before anything is recorded."""
    plan, ledger = planned.plan, services.ledger
    items = to_items(plan.notices, services.mail_domain, now)
    if not dry_run and surge.release_ticked(read.tab_rows.get(SYNC.name, ())):
        released = surge.release(ledger)  # staff ticked 一斉送信を許可 in 同期
        if released:
            plan.problems.append(released)
    new = plan.new_registrations + plan.new_applications
    # the plan's own count bounds the surge's: only then is the surge counted
    surge_size = (
        surge.new_responses(read.fetched, read.state, now, services.policy)
        if planned.index is not None and new > services.surge_limit
        else 0
    )
    if surge_size > services.surge_limit:  # hold the flood's volunteer mail
        hold = surge.hold(
            items,
            surge_size,
            limit=services.surge_limit,
            policy=services.policy,
            ledger=ledger,
            domain=services.mail_domain,
            now=now,
        )
        items = hold.items
        plan.problems.append(hold.problem)
    if not dry_run and services.first_cycle_limit is not None:
        # staff alerts (a sync_failure after refused first cycles) do not end the first
        first = not ledger.has_mail(besides=STAFF_KINDS)
        check_first_cycle(services.first_cycle_limit, len(items), first=first)
    return items


def _remember(
    services: Services, warm: WarmCycle, read: Inputs, planned: Planned, now: datetime
) -> None:
    """After commit: what the warm service may reuse from this cycle's plan."""
    generation = services.ledger.state_generation
    if planned.index is not None and not read.recovered:
        # the plan marked seen exactly the pending responses: the newest seen moves to
        # theirs, and need not be found again among every seen response. A plan from the
        # state read that changed nothing marked none (a pending one changes its mark)
        quiet = not planned.plan.changed and read.extra.state is read.state
        marked = {
            f: [r.last_submitted_at for r in pending(read.fetched[f], read.state, now)]
            for f in FORMS
            if not quiet
        }
        warm.advance_seen(generation, marked)
        if not services.emergency:
            warm.keep_book(generation, planned.index)  # dropped in _send if not final
    if planned.quiet:  # a plan not made again: still the state it was remembered for
        kept = generation if planned.index is not None else read.generation
        warm.remember_plan(kept, hour_of(now), read.staff, planned.own_problems)


def _summary(
    now: datetime,
    dry_run: bool,
    warm: WarmCycle,
    read: Inputs,
    planned: Planned,
    items: list[OutboxItem],
) -> CycleSummary:
    plan = planned.plan
    log.info(
        "cycle planned: %d new registrations, %d new applications, %d notices",
        plan.new_registrations,
        plan.new_applications,
        len(items),
    )
    summary = CycleSummary(now, dry_run, plan.new_registrations, plan.new_applications)
    summary.queued = Counter(i.kind for i in [*items, *read.extra.items])
    summary.problems = plan.problems  # the same list: the events' problems join it
    # applications by status code: the plan's index counts them as it goes
    index = planned.index or warm.take_book(read.generation)
    if planned.index is None:
        warm.keep_book(read.generation, index)  # taken only to count: still this state's
    summary.statuses = +index.statuses if index is not None else status_counts(plan.state)
    return summary


def _send(
    services: Services,
    warm: WarmCycle,
    read: Inputs,
    plan: CyclePlan,
    now: datetime,
    summary: CycleSummary,
    event_tabs: list[TabRows],
    closed: list[str],
) -> State:
    """Send what is queued (the plan's mail and any left over), then record the send
    times of deficiency notices (P9's clock): the state the ledger holds at the end."""
    ledger = services.ledger
    if plan.close_form and not services.source.close_form("application"):
        notice = form_close_request(
            Book(plan.state),
            services.policy,
            now.date().isoformat(),
            "フォームを自動で締め切れませんでした / the form could not be closed automatically",
        )
        ledger.enqueue(to_items([notice], services.mail_domain, now))
    to_send = min(ledger.pending_count(), services.daily_limit) if services.pace_seconds else 0
    if to_send * services.pace_seconds > SHEET_FIRST_SECONDS:
        # a backlog takes minutes to send at the mailer's pace: staff see the sheet (and
        # the mail waiting in メール) now, and again once it is sent
        tabs = project(services, plan.state, warm.projector, ledger.state_generation)
        services.sheet.write([*tabs, *event_tabs])
    warm.delivered = None  # until the sends of this cycle are looked up
    report = deliver(
        ledger,
        services.mailer,
        services.renderer,
        now,
        daily_limit=services.daily_limit,
        reply_days=services.policy.reply_days,
        pace_seconds=services.pace_seconds,
        per_recipient_limit=services.per_recipient_limit,
        progress=services.progress,
    )
    summary.sent, summary.failed, summary.waiting = report.sent, report.failed, report.waiting
    summary.problems = [*summary.problems, *report.parked]  # in 同期's エラー
    summary.mail_error = report.error
    final = plan.state
    if report.sent:  # nothing sent: nothing to look up since the start of the cycle
        waiting = None
        if plan.state is read.loaded:
            waiting = warm.per_state(
                read.generation, "waiting", lambda: waiting_notices(read.loaded)
            )
        final = record_deliveries(ledger, plan.state, waiting)
    if report.parked:  # the next staff digest lists what was parked as failed
        final = noted(final, "problems", report.parked)
    if closed:
        final = noted(final, "events", closed)
    if final is not plan.state:
        warm.take_book(None)  # its state is not the one committed now
        before = ledger.state_generation
        with ledger.transaction():
            ledger.save_state(plan.state, final)
        warm.seen_unchanged(before, ledger.state_generation)  # send times only
    # the state the ledger holds now has the send time of every notice sent so far: the
    # next cycle need not look them up while no one else writes the ledger (generation)
    warm.delivered = ledger.state_generation
    return final


def _write(
    services: Services,
    warm: WarmCycle,
    read: Inputs,
    planned: Planned,
    final: State,
    event_tabs: list[TabRows],
    summary: CycleSummary,
    cold: bool,
) -> None:
    """Write every tab of the status sheet from the state the ledger holds now. A cold
    process resumes the projection an earlier one left for the state it loaded, and
    leaves its own for the state it wrote (``app.projection_memo``)."""
    ledger = services.ledger
    # what this cycle's index put is all that can differ from the state loaded at its
    # start, when the plan started from that state and nothing changed it since
    since = None
    index, generation = planned.index, read.generation
    if index is not None and generation is not None and final is planned.plan.state:
        since = (generation, *index.touched) if read.on_loaded else None
    if cold:  # no next cycle in this process: its plan's index goes before the sheet's peak
        warm.take_book(None)
        planned.index = index = None
    # the state's name across processes, when ``final`` is what the ledger holds (on_loaded:
    # no send time recorded at the read that the ledger lacks, nothing rebuilt)
    label = services.state_label() if services.state_label and read.on_loaded else None
    now_held = ledger.state_generation
    keep, projector = services.projection_keep, warm.projector
    resume, resumed = None, list[bool]()
    fresh = not projector.primed  # this cycle's projection is the process's first
    if keep is not None and fresh and read.label and read.generation is not None:
        take = partial(projection_memo.resume_from, keep, projector, read, services.policy)
        resume = partial(_call_into, take, resumed)
    tabs = [*project(services, final, projector, now_held, since, label, resume), *event_tabs]
    crash_point("before_sheet")
    services.sheet.write(tabs)
    # the memo is of the state ``label`` names when it projected ``now_held``; one resumed
    # for that very state (nothing changed it) is kept already
    held = projector.primed and projector.memo.generation == now_held
    kept = any(resumed) and label == read.label
    # rows a cold start did not project (the sheet held them already) are not counted
    summary.tabs = {t.name: len(t.rows) for t in tabs if projected(t.rows)}
    if keep is not None and cold and fresh and label and held and not kept:
        del tabs  # メール's rows are not kept: they go before the memo is written
        projector.forget_mail()
        write = projection_memo.writer(projector)
        if write is not None:
            keep.save(projection_memo.name_for(label, services.policy), write)
    # last: a backfill's peak (its write, its memo) is over by now
    if cold and services.staff_after_write and any(t in summary.tabs for t in STAFF_TABS):
        staff_memo.keep_written(services.staff_keep, services.sheet)  # for the next process
    if services.sheet.last_problems:  # shown in 同期 from the next write on
        ledger.add_cycle_error(" / ".join(services.sheet.last_problems)[:500])


def _call_into(call: Callable[[], bool], results: list[bool]) -> None:
    results.append(call())
