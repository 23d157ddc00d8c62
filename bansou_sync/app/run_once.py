"""The one orchestrator: gather inputs, plan (pure core), record, send, project.

read ledger → fetch responses → read staff columns → plan_cycle
→ one transaction: new state + queued mail → send (after commit) → write the sheet
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bansou_sync.adapters.ledger import Ledger, OutboxItem
from bansou_sync.app import emergency_cycle
from bansou_sync.app.crashpoints import crash_point
from bansou_sync.app.credential_watch import TokenAge
from bansou_sync.app.events import EventServices, run_events
from bansou_sync.app.outbox import deliver, to_items
from bansou_sync.app.projector import Projector
from bansou_sync.app.render import Renderer
from bansou_sync.app.retention import drop_purged
from bansou_sync.core.book import Book
from bansou_sync.core.budget import form_close_request
from bansou_sync.core.calendar import stamp, to_jst
from bansou_sync.core.cycle import CycleInput, plan_cycle
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
from bansou_sync.core.staff import read_staff
from bansou_sync.core.state import State
from bansou_sync.core.stats import stats_rows
from bansou_sync.core.tabs import APPLICATIONS, MAILS, PAYMENTS, STATS, SUPPORTERS, SYNC
from bansou_sync.errors import GuardTripped
from bansou_sync.ports import Mailer, ResponseSource, StatusSheet, TabRows

log = logging.getLogger(__name__)

FORMS = ("registration", "application")
GUARD_MIN_SEEN = 5  # below this, an empty source is plausibly a young programme
OVERLAP = timedelta(minutes=10)


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
    pace_seconds: float = 0.0
    emergency: bool = False  # the 緊急支援費 form is configured (app.emergency_cycle)
    token_age: TokenAge | None = None  # an OAuth testing app's refresh token to watch
    min_free_bytes: int = 50 * 2**20  # state.min_free_mb: below it a cycle does nothing
    events: EventServices | None = None  # courses and events (app.events)
    # the sheet's rows kept between cycles, recomputed only where records changed (issue 5)
    projector: Projector = field(default_factory=Projector)


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
    prefix = f"{form}|"
    stamps = [v for k, v in state.seen.items() if k.startswith(prefix)]
    if not stamps:
        return None
    return max(datetime.fromisoformat(s) for s in stamps) - OVERLAP


def _fetch(source: ResponseSource, state: State) -> dict[str, list[RawResponse]]:
    fetched = {
        form: source.fetch(form, watermark(state, form) if source.incremental else None)
        for form in FORMS
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


def _record_deliveries(ledger: Ledger, state: State) -> State:
    """Copy the send time of each deficiency notice onto its application (P9 clock)."""
    waiting = {
        app.app_no: app.notice_event
        for app in state.applications.values()
        if app.notice_event and app.notice_sent_at is None
    }
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


def project(services: Services, state: State) -> list[TabRows]:
    """Every tab's rows. The service's ``projector`` gives the same rows as this full
    projection but recomputes only what changed; new tabs go in both (issue 5)."""
    projector = getattr(services, "projector", None)
    if isinstance(projector, Projector):
        tabs = projector.project(services.ledger, state, services.policy)
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
            stats_rows(state, services.policy.min_cell, services.policy.topic_keywords),
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
    state = _record_deliveries(ledger, ledger.load_state())
    fetched = drop_purged(ledger, _fetch(services.source, state))  # tombstones (purge)
    snapshot = services.sheet.read()
    crash_point("after_read")
    tab_rows = {tab: [row.cells for row in rows] for tab, rows in snapshot.tabs.items()}
    recovered: list[str] = []
    if needs_rebuild(state, tab_rows):
        full = services.sheet.read(full=True)
        tab_rows = {tab: [row.cells for row in rows] for tab, rows in full.tabs.items()}
        state, recovered = _rebuild(services, state, tab_rows, fetched, now, dry_run)
    staff = read_staff(tab_rows)
    extra = emergency_cycle.step(services, state, tab_rows, now)
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
    )
    skipped = list(getattr(services.source, "problems", []))  # rows a source could not read
    plan.problems[:0] = [*recovered, *skipped, *snapshot.problems, *extra.problems]
    items = to_items(plan.notices, services.mail_domain, now)
    with ledger.transaction(commit=not dry_run):
        ledger.save_state(state, plan.state)
        ledger.enqueue(items)
        emergency_cycle.save(services, extra)
    if not dry_run:
        crash_point("after_commit")
    summary.new_registrations = plan.new_registrations
    summary.new_applications = plan.new_applications
    summary.queued = Counter(i.kind for i in [*items, *extra.items])
    queued = len(items)
    # the responses and the queued mail are in the ledger now: let them go before the
    # sheet is projected and written (issue 5: a backfill's peak memory)
    del fetched, items
    plan.notices.clear()
    summary.problems = plan.problems
    summary.statuses = Counter(a.status.value for a in plan.state.applications.values())
    event_tabs = run_events(  # courses and events; their problems join the cycle's
        services.events,
        ledger,
        plan.state,
        tab_rows,
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

    report = deliver(
        ledger,
        services.mailer,
        services.renderer,
        now,
        daily_limit=services.daily_limit,
        reply_days=services.policy.reply_days,
        pace_seconds=services.pace_seconds,
    )
    summary.sent, summary.failed, summary.waiting = report.sent, report.failed, report.waiting
    summary.mail_error = report.error
    final = _record_deliveries(ledger, plan.state)
    if final is not plan.state:
        with ledger.transaction():
            ledger.save_state(plan.state, final)
    idle = not (plan.changed or queued or plan.problems)
    ledger.record_cycle(
        now,
        "成功",
        plan.new_registrations,
        plan.new_applications,
        report.sent,
        " / ".join(plan.problems)[:500],
        idle,
    )
    tabs = [*project(services, final), *event_tabs]
    crash_point("before_sheet")
    services.sheet.write(tabs)
    summary.tabs = {t.name: len(t.rows) for t in tabs}
    return summary
