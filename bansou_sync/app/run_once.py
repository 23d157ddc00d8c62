"""The one orchestrator: gather inputs, plan (pure core), record, send, project.

read ledger → fetch responses → read staff columns → plan_cycle
→ one transaction: new state + queued mail → send (after commit) → write the sheet
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bansou_sync.adapters.ledger import Ledger, OutboxItem
from bansou_sync.app import emergency_cycle, surge
from bansou_sync.app.credential_watch import TokenAge
from bansou_sync.app.events import EventServices, run_events
from bansou_sync.app.first_run import check_first_cycle
from bansou_sync.app.outbox import deliver, to_items
from bansou_sync.app.projector import Projector
from bansou_sync.app.quiet import Quiet, hour_of, status_counts, waiting_notices
from bansou_sync.app.render import STAFF_KINDS, Renderer
from bansou_sync.app.retention import drop_purged
from bansou_sync.core.book import Book
from bansou_sync.core.budget import form_close_request
from bansou_sync.core.calendar import stamp, to_jst
from bansou_sync.core.cycle import CycleInput, CyclePlan, pending, plan_cycle
from bansou_sync.core.digest import noted
from bansou_sync.core.model import RawResponse
from bansou_sync.core.policy import Policy
from bansou_sync.core.projection import (
    application_rows,
    mail_rows,
    payment_rows,
    supporter_rows,
    sync_rows,
)
from bansou_sync.core.recovery import needs_rebuild, rebuild
from bansou_sync.core.staff import STAFF_TABS, read_staff, settle_repeats
from bansou_sync.core.state import State
from bansou_sync.core.stats import stats_rows
from bansou_sync.core.tabs import APPLICATIONS, MAILS, PAYMENTS, STATS, SUPPORTERS, SYNC
from bansou_sync.crashpoints import crash_point
from bansou_sync.errors import GuardTripped
from bansou_sync.ports import (
    CredentialTrouble,
    FeatureTables,
    Mailer,
    ResponseSource,
    SheetSnapshot,
    StatusSheet,
    TabRows,
)

log = logging.getLogger(__name__)

FORMS = ("registration", "application")
GUARD_MIN_SEEN = 5  # below this, an empty source is plausibly a young programme
OVERLAP = timedelta(minutes=10)
# sending that takes longer than this at the mailer's pace: the sheet is written first
SHEET_FIRST_SECONDS = 10.0


@dataclass
class Services:
    """Everything a cycle talks to, wired by ``bootstrap``."""

    source: ResponseSource
    sheet: StatusSheet
    mailer: Mailer
    ledger: Ledger
    renderer: Renderer
    policy: Policy
    client_key: bytes
    mail_domain: str
    daily_limit: int = 500
    per_recipient_limit: int | None = 50  # mail.per_recipient_daily_limit
    surge_limit: int = 1000  # intake.surge_limit
    pace_seconds: float = 0.0
    emergency: bool = False  # the 緊急支援費 form is configured (app.emergency_cycle)
    token_age: TokenAge | None = None  # an OAuth testing app's refresh token to watch
    min_free_bytes: int = 50 * 2**20  # state.min_free_mb: below it a cycle does nothing
    events: EventServices | None = None  # courses and events (app.events)
    # the sheet's rows kept between cycles, recomputed only where records changed (issue 5)
    projector: Projector = field(default_factory=Projector)
    # what the last cycles found, so that one with nothing new is not planned again
    quiet: Quiet = field(default_factory=Quiet)
    # a real mailer's first cycle queuing more than this stops and asks (app.first_run)
    first_cycle_limit: int | None = None
    progress: Callable[[int, int], None] | None = None  # (sent so far, to send) while sending
    # the ledger's purge and 緊急支援費 tables (adapters.feature_tables); None: none kept
    tables: FeatureTables | None = None
    # which errors mean Google refuses the credentials (adapters.retry.credential_trouble)
    credential_trouble: CredentialTrouble | None = None


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


def watermark(state: State, form: str) -> datetime | None:
    """Where an incremental fetch starts: the newest submission or edit seen, minus an
    overlap window (responses arrive unsorted and a clock may lag); None on first run."""
    latest = latest_seen(state, form)
    return None if latest is None else latest - OVERLAP


def latest_seen(state: State, form: str) -> datetime | None:
    """The newest submission or edit of ``form`` the state has seen."""
    prefix = f"{form}|"
    # ISO texts with the same UTC offset sort as their times do (with or without a
    # fraction of a second): only the latest text of each offset is parsed, not 70,000
    latest: dict[str, str] = {}
    for key, mark in state.seen.items():
        if key.startswith(prefix):
            stamp_text = mark.split(" ", 1)[0]  # a CSV row's mark adds its digest (cycle)
            offset = stamp_text[-6:] if stamp_text[-6:-5] in ("+", "-") else ""
            if stamp_text > latest.get(offset, ""):
                latest[offset] = stamp_text
    if not latest:
        return None
    return max(datetime.fromisoformat(s) for s in latest.values())


def _fetch(
    source: ResponseSource, state: State, marks: Mapping[str, datetime | None] | None = None
) -> dict[str, list[RawResponse]]:
    if marks is None:
        marks = {form: watermark(state, form) for form in FORMS}
    fetched = {
        form: source.fetch(form, marks[form] if source.incremental else None) for form in FORMS
    }
    if source.incremental:
        return fetched  # an empty page is normal there
    for form, responses in fetched.items():
        seen = sum(1 for key in state.seen if key.startswith(f"{form}|"))
        if not responses and seen >= GUARD_MIN_SEEN:
            raise GuardTripped(
                f"{form}: 回答が 0 件になりました(台帳には {seen} 件)。元データを確認してください"
                f" / the {form} source suddenly returned no responses; nothing was changed"
            )
    return fetched


def _without(
    snapshot: SheetSnapshot,
    conflicts: Mapping[str, set[tuple[str, ...]]],
    tab_rows: Mapping[str, list[Mapping[str, str]]],
) -> dict[str, list[Mapping[str, str]]]:
    """The rows staff input is read from: those of conflicting keys left out."""
    return {
        tab: [row.cells for row in snapshot.tabs[tab] if row.key not in conflicts[tab]]
        if tab in conflicts
        else rows
        for tab, rows in tab_rows.items()
    }


def _record_deliveries(
    ledger: Ledger, state: State, waiting: Mapping[str, str] | None = None
) -> State:
    """Copy the send time of each deficiency notice onto its application (P9 clock).
    ``waiting``: the state's notices without a send time, when already known."""
    if waiting is None:
        waiting = waiting_notices(state)
    if not waiting:
        return state
    # only the waiting notices are looked up: reading the whole outbox is O(history)
    sent = ledger.sent_times("application_deficient", list(waiting.values()))
    if not sent:
        return state
    new = state.copy()
    for no, event in waiting.items():
        if event in sent:
            new.applications[no] = replace(new.applications[no], notice_sent_at=sent[event])
    return new


def _rebuild(
    services: Services,
    state: State,
    tab_rows: Mapping[str, Sequence[Mapping[str, str]]],
    fetched: Mapping[str, list[RawResponse]],
    now: datetime,
    dry_run: bool,
) -> tuple[State, list[str]]:
    """The ledger is empty but the sheet is not: rebuild from the sheet, send nothing."""
    rebuilt = rebuild(
        tab_rows,
        fetched["registration"],
        fetched["application"],
        now,
        services.policy,
        services.client_key,
    )
    markers = [
        OutboxItem(
            message_id=m.message_id,
            kind=m.kind or "unknown",
            ref=m.ref,
            to=m.to_masked,  # already masked; masking again changes nothing
            event_key=f"recovered:{m.message_id}",
            context={},
            created_at=m.sent_at,
            status="sent",
            sent_at=m.sent_at,
        )
        for m in rebuilt.sent
    ]
    with services.ledger.transaction(commit=not dry_run):
        services.ledger.save_state(state, rebuilt.state)
        services.ledger.enqueue(markers)
    log.warning("ledger rebuilt from the status sheet: %d emails marked sent", len(markers))
    note = "台帳を状況シートから復旧しました / the ledger was rebuilt from the status sheet"
    return rebuilt.state, [note, *rebuilt.problems]


def project(
    services: Services,
    state: State,
    generation: int | None = None,
    since: tuple[int, set[str], set[str]] | None = None,
) -> list[TabRows]:
    """Every tab's rows. The service's ``projector`` gives the same rows as this full
    projection but recomputes only what changed; new tabs go in both (issue 5).
    ``generation``: the ledger's, when ``state`` is the state the ledger holds."""
    projector = getattr(services, "projector", None)
    if isinstance(projector, Projector):
        tabs = projector.project(services.ledger, state, services.policy, generation, since)
        return [*tabs, *emergency_cycle.tabs(services)]
    ledger = services.ledger
    cycles = [{**c, "started_at": stamp(c["started_at"])} for c in ledger.cycles()]
    return [
        TabRows(SUPPORTERS.name, supporter_rows(state)),
        TabRows(APPLICATIONS.name, application_rows(state, services.policy)),
        TabRows(PAYMENTS.name, payment_rows(state)),
        TabRows(MAILS.name, mail_rows(ledger.outbox_items())),
        TabRows(
            STATS.name,
            stats_rows(
                state,
                services.policy.min_cell,
                services.policy.topic_keywords,
                services.policy.nationalities,
            ),
        ),
        TabRows(SYNC.name, sync_rows(cycles)),
        *emergency_cycle.tabs(services),
    ]


def run_cycle(services: Services, now: datetime, *, dry_run: bool = False) -> CycleSummary:
    now = to_jst(now)
    ledger = services.ledger
    summary = CycleSummary(now=now, dry_run=dry_run)
    if not dry_run:  # before anything it could not record: no read, no send, no write
        ledger.check_room(services.min_free_bytes)
    quiet: Quiet = getattr(services, "quiet", None) or Quiet()
    loaded = ledger.load_state()
    generation = ledger.state_generation  # the same while the loaded state is the same
    if generation is not None and quiet.delivered == generation:
        state = loaded  # every send so far is in this state already (see below)
    else:
        state = _record_deliveries(
            ledger, loaded, quiet.per_state(generation, "waiting", lambda: waiting_notices(loaded))
        )
    latest = quiet.latest_seen(generation, lambda: {f: latest_seen(loaded, f) for f in FORMS})
    marks = {form: None if t is None else t - OVERLAP for form, t in latest.items()}
    # without the responses a purge tombstoned
    fetched = drop_purged(services.tables, _fetch(services.source, state, marks))
    snapshot = services.sheet.read()
    crash_point("after_read")
    tab_rows = {tab: [row.cells for row in rows] for tab, rows in snapshot.tabs.items()}
    recovered: list[str] = []
    read = snapshot  # the read the staff input comes from
    if needs_rebuild(state, tab_rows):
        read = services.sheet.read(full=True)
        tab_rows = {tab: [row.cells for row in rows] for tab, rows in read.tabs.items()}
        state, recovered = _rebuild(services, state, tab_rows, fetched, now, dry_run)
    # a key in several rows whose staff input differs: none of it is read (SPEC §5)
    conflicts, repeated = settle_repeats(read.repeats)
    staff_rows = _without(read, conflicts, tab_rows) if conflicts else tab_rows
    if recovered or read.repeats:
        staff = read_staff(staff_rows)
    else:  # an unchanged read gives the same row objects: read once
        staff = quiet.staff_of(
            {name: rows for name, rows in snapshot.tabs.items() if name in STAFF_TABS},
            lambda: quiet.staff_reader.read(tab_rows),
        )
    if repeated:  # in 同期 and, through the plan, the digest
        staff = replace(staff, problems=(*repeated, *staff.problems))
    extra = emergency_cycle.step(services, state, staff_rows, now)
    hour = hour_of(now)
    # a plan can be taken as unchanged only for a state the ledger holds (not one this
    # cycle changed) and a source that lists only what is new (see app.quiet)
    steady = (
        services.source.incremental
        and not dry_run
        and not recovered
        and state is loaded
        and extra.state is state
    )
    if (
        steady
        and quiet.unchanged(generation, hour, staff)
        and not pending(fetched["registration"], state, now)
        and not pending(fetched["application"], state, now)
    ):
        plan = CyclePlan(state=state, problems=list(quiet.problems))
        planned = False
    else:
        # the last plan's book, when its state is the one loaded: indexes not rebuilt
        resident = (
            quiet.take_book(generation)
            if state is loaded and extra.state is state and not recovered
            else quiet.take_book(None)
        )
        plan = plan_cycle(
            extra.state,
            CycleInput(
                now=now,
                registrations=fetched["registration"],
                applications=fetched["application"],
                staff=staff,
                client_key=services.client_key,
                complete=not services.source.incremental,
            ),
            services.policy,
            resident,
        )
        planned = True
    quiet_now = steady and not (
        plan.changed or plan.notices or plan.close_form or plan.new_applications
    )
    plan_problems = list(plan.problems)
    skipped = list(getattr(services.source, "problems", []))  # rows a source could not read
    plan.problems[:0] = [*recovered, *skipped, *snapshot.problems, *extra.problems]
    items = to_items(plan.notices, services.mail_domain, now)
    if not dry_run and surge.release_ticked(tab_rows.get(SYNC.name, ())):
        released = surge.release(ledger)  # staff ticked 一斉送信を許可 in 同期
        if released:
            plan.problems.append(released)
    surge_size = (  # counted only when the plan's own count could be one (issue 5: cost)
        surge.new_responses(fetched, state, now, services.policy)
        if planned and plan.new_registrations + plan.new_applications > services.surge_limit
        else 0
    )
    if surge_size > services.surge_limit:  # issue 10 §5: hold the flood's volunteer mail
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
    if not dry_run:  # before anything is recorded: stopping here changes nothing
        limit = services.first_cycle_limit
        if limit is not None:
            # staff alerts (a sync_failure after refused first cycles) do not end the first
            first = not ledger.has_mail(besides=STAFF_KINDS)
            check_first_cycle(limit, len(items), first=first)
    quiet.forget_plan()  # until this cycle's plan is recorded
    with ledger.transaction(commit=not dry_run):
        # a plan not made again changed nothing; one that found nothing to change, on the
        # state loaded, has nothing to save either (and is not compared record by record)
        if plan.state is not state and (plan.changed or extra.state is not state):
            ledger.save_state(state, plan.state)
        ledger.enqueue(items)
        emergency_cycle.save(services, extra)
    if not dry_run:
        crash_point("after_commit")
    if planned and not dry_run and not recovered:
        # the plan marked seen exactly the pending responses: the newest seen moves to
        # theirs, and need not be found again among 70,000 (a cache: see app.quiet)
        quiet.advance_seen(
            ledger.state_generation,
            {f: [r.last_submitted_at for r in pending(fetched[f], state, now)] for f in FORMS},
        )
    if planned and not dry_run and not recovered and not services.emergency:
        quiet.keep_book(ledger.state_generation, plan.book)  # dropped below if not final
    if quiet_now and planned:
        quiet.remember_plan(ledger.state_generation, hour, staff, plan_problems)
    elif quiet_now:  # still the same plan (the save above changed nothing)
        quiet.remember_plan(generation, hour, staff, plan_problems)
    summary.new_registrations = plan.new_registrations
    summary.new_applications = plan.new_applications
    summary.queued = Counter(i.kind for i in [*items, *extra.items])
    queued = len(items)
    # the responses and the queued mail are in the ledger now: let them go before the
    # sheet is projected and written (issue 5: a backfill's peak memory)
    del fetched, items
    plan.notices.clear()
    summary.problems = plan.problems
    book = plan.book or quiet.take_book(generation)  # the book counts statuses as it goes
    summary.statuses = +book.statuses if book is not None else status_counts(plan.state)
    if plan.book is None:
        quiet.keep_book(generation, book)  # taken only to count: still this state's
    event_tabs = run_events(  # courses and events; their problems join the cycle's
        services.events,
        ledger,
        plan.state,
        staff_rows,
        services.mail_domain,
        now,
        dry_run=dry_run,
        problems=plan.problems,
    )
    log.info(
        "cycle planned: %d new registrations, %d new applications, %d notices",
        plan.new_registrations,
        plan.new_applications,
        queued,
    )
    if dry_run:
        summary.tabs = {t.name: len(t.rows) for t in project(services, plan.state)}
        return summary

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
        services.sheet.write([*project(services, plan.state, ledger.state_generation), *event_tabs])
    quiet.delivered = None  # until the sends of this cycle are looked up
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
    summary.problems = [*summary.problems, *report.parked]  # 同期's エラー (issue 10 §1)
    summary.mail_error = report.error
    # nothing sent since the sends were looked up at the start: nothing to look up now
    final = (
        plan.state
        if report.sent == 0
        else _record_deliveries(
            ledger,
            plan.state,
            quiet.per_state(generation, "waiting", lambda: waiting_notices(loaded))
            if plan.state is loaded
            else None,
        )
    )
    if report.parked:  # the next staff digest lists what was parked as failed
        final = noted(final, "problems", report.parked)
    if final is not plan.state:
        quiet.take_book(None)  # its state is not the one committed now
        before = ledger.state_generation
        with ledger.transaction():
            ledger.save_state(plan.state, final)
        quiet.seen_unchanged(before, ledger.state_generation)  # send times only
    # the state the ledger holds now has the send time of every notice sent so far: the
    # next cycle need not look them up while no one else writes the ledger (generation)
    quiet.delivered = ledger.state_generation
    idle = not (plan.changed or queued or plan.problems)
    ledger.record_cycle(
        now,
        "成功",
        plan.new_registrations,
        plan.new_applications,
        report.sent,
        " / ".join(summary.problems)[:500],
        idle,
    )
    # ``final`` is the state the ledger holds now (every change is committed); what this
    # cycle's book put is all that can differ from the state loaded at its start
    held = ledger.state_generation
    since = None
    book_started_on_loaded = state is loaded and extra.state is state and not recovered
    if plan.book is not None and generation is not None and final is plan.state:
        since = (generation, *plan.book.touched) if book_started_on_loaded else None
    tabs = [*project(services, final, held, since), *event_tabs]
    crash_point("before_sheet")
    services.sheet.write(tabs)
    if services.sheet.last_problems:  # shown in 同期 from the next write on
        ledger.add_cycle_error(" / ".join(services.sheet.last_problems)[:500])
    summary.tabs = {t.name: len(t.rows) for t in tabs}
    del tabs
    quiet.settle()
    return summary
