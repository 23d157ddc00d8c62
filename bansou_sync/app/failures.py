"""What a failed cycle leaves behind: a 同期 row, a failure count, and — after
``alerts.after_failures`` failures in a row — one ``sync_failure`` email to staff
(not one per cycle); a successful cycle resets the count."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Any

from bansou_sync.app.backup import BackupPlan
from bansou_sync.app.credential_watch import expiry_warning, trouble_text
from bansou_sync.app.failure_flags import ALERTED, COUNT, SINCE
from bansou_sync.app.outbox import deliver, to_items
from bansou_sync.app.run_once import CycleSummary, Services, run_cycle
from bansou_sync.app.warm import WarmCycle
from bansou_sync.core.calendar import JST, stamp, to_jst
from bansou_sync.core.model import Notice
from bansou_sync.core.projection import sync_rows
from bansou_sync.core.tabs import SYNC
from bansou_sync.errors import BansouError
from bansou_sync.ports import TabRows

log = logging.getLogger(__name__)


def run_cycle_reporting(
    services: Services,
    now: datetime,
    *,
    dry_run: bool = False,
    backup: BackupPlan | None = None,
    warm: WarmCycle | None = None,
) -> CycleSummary:
    """One cycle; a failure — expected or not — is recorded, then raised again. After a
    success, the daily ledger backup (whose failure is reported but fails nothing)."""
    try:
        summary = run_cycle(services, now, dry_run=dry_run, warm=warm)
    except Exception as exc:
        if not dry_run:
            _record_failure(services, to_jst(now), exc)
        raise
    if not dry_run:
        _reset(services)
        _watch_credentials(services, to_jst(now), summary)
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
        worked_before = any(c["result"] == "成功" for c in ledger.cycles())
        credential = trouble_text(exc, worked_before, services.credential_trouble)
        # credentials do not heal by waiting: they alert on the first failure
        due = failures >= services.policy.after_failures or credential is not None
        alert = due and not flags.get(ALERTED)
        if alert:
            updates[ALERTED] = "1"
        _set_flags(services, updates)
        if not ledger.fail_cycle(now, message):  # one 同期 row per cycle (issue 10 §6)
            ledger.record_cycle(now, "失敗", 0, 0, 0, message, False)
        if alert:
            context = {"failures": failures, "last_error": message, "since": since}
            _alert(services, now, f"sync_failure:{since}", {**context, "credential": credential})
    except BansouError as inner:
        log.error("could not record the failure: %s", inner)
        return
    with contextlib.suppress(BansouError):
        _write_sync_tab(services)


def _alert(services: Services, now: datetime, event_key: str, context: dict[str, Any]) -> None:
    """Queue and try to send one ``sync_failure`` email to staff."""
    notice = Notice(
        kind="sync_failure",
        ref=now.strftime("%Y-%m-%dT%H:%M"),
        to=services.policy.staff_to,
        event_key=event_key,
        context=context,
    )
    services.ledger.enqueue(to_items([notice], services.mail_domain, now))
    deliver(
        services.ledger,
        services.mailer,
        services.renderer,
        now,
        daily_limit=services.daily_limit,
        reply_days=services.policy.reply_days,
    )


def _watch_credentials(services: Services, now: datetime, summary: CycleSummary) -> None:
    """After a cycle that worked: Gmail refusing the credentials (mail is retried, so the
    cycle itself succeeds) and a testing app's refresh token nearing its seventh day."""
    try:
        if summary.mail_error is not None:
            classify = services.credential_trouble
            credential = trouble_text(summary.mail_error, True, classify)
            if credential is not None and classify is not None:
                # an alert through the mailer that refuses us would never arrive: the
                # 同期 tab, the log and `bansou-sync status` carry it instead
                log.error("Gmail refuses the credentials: %s", classify(summary.mail_error))
                _report(services, f"Gmail: {credential}")
        watch = services.token_age
        key = watch.refresh_token_key() if watch is not None else None
        if watch is None or key is None:
            return
        # a token ages in real time, whatever time --now makes the cycle act at
        clock = datetime.now(JST)
        seen_flag = f"token_seen:{key}"
        flags = services.ledger.load_state().flags
        if not flags.get(seen_flag):
            _set_flags(services, {seen_flag: clock.isoformat()})
        warning = expiry_warning(watch.issued_at(flags.get(seen_flag)), clock)
        if warning is not None:
            _alert_once(services, now, f"token:{key}", warning)
    except (BansouError, OSError) as exc:
        log.error("could not check the credentials: %s", exc)


def _alert_once(services: Services, now: datetime, what: str, warning: str) -> None:
    flag = f"credential_alerted:{what}"
    if services.ledger.load_state().flags.get(flag):
        return
    _set_flags(services, {flag: stamp(now)})
    context = {"failures": 0, "last_error": "", "since": stamp(now), "credential": warning}
    _alert(services, now, f"sync_failure:{what}", {**context, "soon": True})
