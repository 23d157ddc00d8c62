"""`bansou-sync run`: the scheduled service.

One process per ledger (``app.lock``, held for the whole life of the service). Cycles
run on an APScheduler ``BlockingScheduler`` in Japan time, every
``schedule.interval_minutes`` or on ``schedule.cron`` (which wins when set), the first
one at once. Never two cycles at a time (``max_instances=1``); runs missed while the
machine slept are folded into one (``coalesce``) and run however late they are
(``misfire_grace_time=None``: a late cycle is better than a skipped one).

SIGTERM or SIGINT: no new cycle starts; the running one completes (it is one ledger
transaction plus sends that are each recorded, so "the current step" is the cycle);
then the ledger is closed and the process exits 0. A failed cycle — a ``BansouError``
or anything unexpected — is recorded (``app.failures``), logged, and the service goes
on to the next one.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from bansou_sync.adapters.ledger import Ledger
from bansou_sync.app.backup import BackupPlan
from bansou_sync.app.failures import run_cycle_reporting
from bansou_sync.app.lock import ledger_lock
from bansou_sync.app.services import Services
from bansou_sync.app.warm import WarmCycle
from bansou_sync.bootstrap import build_services
from bansou_sync.config import ScheduleSettings, Settings
from bansou_sync.core.calendar import JST
from bansou_sync.errors import BansouError
from bansou_sync.heap import settle_heap

log = logging.getLogger(__name__)

# Tests only: cycles every N seconds instead of schedule.interval_minutes.
INTERVAL_ENV = "BANSOU_INTERVAL_SECONDS"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def make_trigger(schedule: ScheduleSettings, interval: timedelta | None = None) -> Any:
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if schedule.cron and interval is None:
        return CronTrigger.from_crontab(schedule.cron, timezone=JST)
    every = interval or timedelta(minutes=schedule.interval_minutes)
    return IntervalTrigger(seconds=every.total_seconds(), timezone=JST)


class CycleRunner:
    """The scheduled job: one cycle at a time, none after a stop was asked for."""

    def __init__(self, cycle: Callable[[datetime], None]) -> None:
        self._cycle = cycle
        self._running = threading.Lock()
        self.stopping = threading.Event()
        self.cycles = self.failures = 0

    def __call__(self) -> None:
        with self._running:  # a second guard besides max_instances=1
            if self.stopping.is_set():
                return
            self.cycles += 1
            try:
                self._cycle(datetime.now(JST))
            except BansouError as exc:
                self.failures += 1
                log.error(
                    "cycle failed: %s: %s",
                    type(exc).__name__,
                    exc,
                    extra={"error": type(exc).__name__},
                )
            except Exception as exc:  # a bug must not kill a service left alone for months
                self.failures += 1
                log.exception("cycle failed unexpectedly", extra={"error": type(exc).__name__})

    def wait_idle(self) -> None:
        """Return once no cycle is running (and, with ``stopping`` set, none will start)."""
        with self._running:
            pass


def add_cycle_job(
    scheduler: Any, runner: CycleRunner, trigger: Any, first_run: datetime | None = None
) -> Any:
    """The one job: never overlapping, missed runs folded into one and run however late."""
    return scheduler.add_job(
        runner,
        trigger,
        id="cycle",
        name="cycle",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=first_run or datetime.now(JST),
    )


def run_scheduler(runner: CycleRunner, trigger: Any, first_run: datetime | None = None) -> int:
    """Run ``runner`` on ``trigger`` until SIGTERM/SIGINT; 0 once the last cycle is done.
    The first cycle runs at ``first_run`` (default: now)."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        timezone=JST, executors={"default": ThreadPoolExecutor(max_workers=1)}
    )
    add_cycle_job(scheduler, runner, trigger, first_run)

    def stop(signum: int, frame: FrameType | None) -> None:
        if runner.stopping.is_set():
            return
        runner.stopping.set()
        log.info("%s: finishing the current cycle, then stopping", signal.Signals(signum).name)
        # not from inside the handler: the interrupted main thread may hold the
        # scheduler's locks half-way through its own work
        threading.Thread(target=_shut_down, args=(scheduler, finished), daemon=True).start()

    finished = threading.Event()
    with _signals(stop):
        scheduler.start()
        finished.set()
        runner.wait_idle()
    log.info("service stopped", extra={"cycles": runner.cycles, "failed_cycles": runner.failures})
    return 0


def _shut_down(scheduler: Any, finished: threading.Event) -> None:
    """Stop the scheduler's loop; a signal that came just before it started waits for it."""
    from apscheduler.schedulers import SchedulerNotRunningError

    while not finished.is_set():
        try:
            scheduler.shutdown(wait=False)
            return
        except SchedulerNotRunningError:
            finished.wait(0.05)


@contextmanager
def _signals(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _interval_override() -> timedelta | None:
    seconds = os.environ.get(INTERVAL_ENV, "").strip()
    return timedelta(seconds=float(seconds)) if seconds else None


def _cycle(services: Services, backup: BackupPlan) -> Callable[[datetime], None]:
    warm = WarmCycle()  # the caches kept from one cycle to the next, for the service's life

    def cycle(now: datetime) -> None:
        summary = run_cycle_reporting(services, now, backup=backup, warm=warm)
        settle_heap()
        log.info(
            "cycle done",
            extra={
                "new_registrations": summary.new_registrations,
                "new_applications": summary.new_applications,
                "mails_sent": summary.sent,
                "mails_failed": summary.failed,
                "mails_waiting": summary.waiting,
                "problems": len(summary.problems),
            },
        )

    return cycle


def serve(settings: Settings, *, interval: timedelta | None = None) -> int:
    """The service's whole life: lock, open the ledger, run cycles until told to stop."""
    ledger_path = Path(settings.state.path)
    backup_dir = settings.state.backup_dir or ledger_path.parent / "backups"
    with ledger_lock(ledger_path), Ledger.open(ledger_path) as ledger:
        services = build_services(settings, ledger)
        runner = CycleRunner(_cycle(services, BackupPlan(backup_dir, settings.state.backups)))
        trigger = make_trigger(settings.schedule, interval or _interval_override())
        log.info(
            "service started",
            extra={"pid": os.getpid(), "schedule": settings.schedule.cron or str(trigger)},
        )
        return run_scheduler(runner, trigger)
