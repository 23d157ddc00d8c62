"""What a failed cycle leaves behind: a 同期 row, a failure count, and — after
``alerts.after_failures`` failures in a row — one ``sync_failure`` email to staff
(not one per cycle); a successful cycle resets the count."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from bansou_sync.app.backup import BackupPlan
from bansou_sync.app.outbox import deliver, to_items
from bansou_sync.app.run_once import CycleSummary, Services, run_cycle
from bansou_sync.core.calendar import stamp, to_jst
from bansou_sync.core.model import Notice
from bansou_sync.core.projection import sync_rows
from bansou_sync.core.tabs import SYNC
from bansou_sync.errors import BansouError
from bansou_sync.ports import TabRows

log = logging.getLogger(__name__)
COUNT, SINCE, ALERTED = "failures", "failing_since", "failure_alerted"


def run_cycle_reporting(
    services: Services,
    now: datetime,
    *,
    dry_run: bool = False,
    backup: BackupPlan | None = None,
) -> CycleSummary:
    """One cycle; a failure — expected or not — is recorded, then raised again. After a
    success, the daily ledger backup (whose failure is reported but fails nothing)."""
    try:
        summary = run_cycle(services, now, dry_run=dry_run)
    except Exception as exc:
        if not dry_run:
            _record_failure(services, to_jst(now), exc)
        raise
    if not dry_run:
        _reset(services)
        if backup is not None:
            problem = backup.take(services.ledger, now)
            if problem is not None:
                summary.problems.append(problem)
                _report(services, problem)
    return summary


def _report(services: Services, problem: str) -> None:
    """Add ``problem`` to the newest 同期 row, in the ledger and on the sheet."""
    with contextlib.suppress(BansouError):
        services.ledger.add_cycle_error(problem[:300])
        _write_sync_tab(services)


def _write_sync_tab(services: Services) -> None:
    cycles = [{**c, "started_at": stamp(c["started_at"])} for c in services.ledger.cycles()]
    services.sheet.write([TabRows(SYNC.name, sync_rows(cycles))])


def _set_flags(services: Services, values: dict[str, str]) -> None:
    ledger = services.ledger
    state = ledger.load_state()
    new = state.copy()
    new.flags.update(values)
    with ledger.transaction():
        ledger.save_state(state, new)


def _reset(services: Services) -> None:
    flags = services.ledger.load_state().flags
    if flags.get(COUNT, "0") != "0" or flags.get(ALERTED):
        _set_flags(services, {COUNT: "0", SINCE: "", ALERTED: ""})


def _record_failure(services: Services, now: datetime, exc: Exception) -> None:
    """Best effort: the ledger, mail or sheet may be what failed, so each step may fail."""
    message = f"{type(exc).__name__}: {exc}"[:300]
    log.debug("cycle failed: %s", message)
    ledger = services.ledger
    try:
        flags = ledger.load_state().flags
        failures = int(flags.get(COUNT, "0")) + 1
        since = flags.get(SINCE) or stamp(now)
        updates = {COUNT: str(failures), SINCE: since}
        alert = failures >= services.policy.after_failures and not flags.get(ALERTED)
        if alert:
            updates[ALERTED] = "1"
        _set_flags(services, updates)
        ledger.record_cycle(now, "失敗", 0, 0, 0, message, False)
        if alert:
            notice = Notice(
                kind="sync_failure",
                ref=now.strftime("%Y-%m-%dT%H:%M"),
                to=services.policy.staff_to,
                event_key=f"sync_failure:{since}",
                context={"failures": failures, "last_error": message, "since": since},
            )
            ledger.enqueue(to_items([notice], services.mail_domain, now))
            deliver(
                ledger,
                services.mailer,
                services.renderer,
                now,
                daily_limit=services.daily_limit,
                reply_days=services.policy.reply_days,
            )
    except BansouError as inner:
        log.error("could not record the failure: %s", inner)
        return
    with contextlib.suppress(BansouError):
        _write_sync_tab(services)
