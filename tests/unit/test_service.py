"""The scheduled service's loop (``service.run_scheduler``), in this process, with a
fake cycle: cycles repeat, never overlap, a backlog after a suspend runs once, a failing
cycle does not stop the service, and SIGTERM lets the running cycle finish."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler

from bansou_sync.config import ScheduleSettings
from bansou_sync.core.calendar import JST
from bansou_sync.errors import SourceUnavailable
from bansou_sync.service import CycleRunner, add_cycle_job, make_trigger, run_scheduler

pytestmark = pytest.mark.timeout(60)
TICK = timedelta(seconds=0.3)


class Recorder:
    """A fake cycle: records when it ran and how many ran at once; ``then`` acts per call."""

    def __init__(self, then: Callable[[int], None]) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.running = self.most_at_once = 0
        self._lock = threading.Lock()
        self._then = then

    def __call__(self, now: datetime) -> None:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.starts.append(time.monotonic())
        try:
            self._then(len(self.starts))
        finally:
            with self._lock:
                self.running -= 1
                self.ends.append(time.monotonic())


def terminate() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def serve_fake(
    recorder: Recorder, every: timedelta = TICK, **kw: datetime
) -> tuple[int, CycleRunner]:
    runner = CycleRunner(recorder)
    trigger = make_trigger(ScheduleSettings(), every)
    return run_scheduler(runner, trigger, **kw), runner


def test_cycles_repeat_on_the_interval_until_sigterm_and_the_exit_code_is_0() -> None:
    recorder = Recorder(lambda n: terminate() if n == 3 else None)

    code, runner = serve_fake(recorder)

    assert code == 0
    assert runner.cycles == 3 and len(recorder.ends) == 3
    gaps = [b - a for a, b in zip(recorder.starts, recorder.starts[1:], strict=False)]
    assert all(gap >= 0.2 for gap in gaps), gaps
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers given back


def test_a_slow_cycle_is_never_overlapped_and_the_runs_due_meanwhile_are_skipped() -> None:
    def slow(n: int) -> None:
        time.sleep(1.0)  # three ticks fall due meanwhile
        if n == 2:
            terminate()

    recorder = Recorder(slow)

    code, runner = serve_fake(recorder)

    assert code == 0
    assert recorder.most_at_once == 1
    assert runner.cycles == 2  # the ticks due during the first cycle did not queue up
    assert recorder.starts[1] >= recorder.ends[0]


def test_runs_missed_while_the_machine_slept_are_folded_into_one() -> None:
    def stop_after_two_ticks(n: int) -> None:
        if time.monotonic() - recorder.starts[0] >= 2 * TICK.total_seconds():
            terminate()

    recorder = Recorder(stop_after_two_ticks)
    an_hour_ago = datetime.now(JST) - timedelta(hours=1)  # 12,000 missed ticks

    code, runner = serve_fake(recorder, first_run=an_hour_ago)

    # the missed ticks ran as one: two ticks later the service had run a few cycles, not
    # thousands (a slow machine runs fewer, never more: the ticks it misses fold too)
    assert code == 0 and 2 <= runner.cycles <= 4, runner.cycles


def test_sigterm_mid_cycle_lets_the_cycle_finish_and_starts_no_other() -> None:
    finished = threading.Event()

    def slow(n: int) -> None:
        terminate()
        time.sleep(0.8)  # the signal arrives here, half-way through
        finished.set()

    code, runner = serve_fake(Recorder(slow))

    assert code == 0 and finished.is_set()
    assert runner.cycles == 1


def test_a_failed_or_crashing_cycle_is_logged_and_the_service_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def flaky(n: int) -> None:
        if n == 1:
            raise SourceUnavailable("reg.csv: not found")
        if n == 2:
            raise RuntimeError("a bug")
        terminate()

    with caplog.at_level(logging.INFO, logger="bansou_sync.service"):
        code, runner = serve_fake(Recorder(flaky))

    assert code == 0
    assert (runner.cycles, runner.failures) == (3, 2)
    failed = [r for r in caplog.records if r.getMessage().startswith("cycle failed")]
    assert [getattr(r, "error", None) for r in failed] == ["SourceUnavailable", "RuntimeError"]
    assert failed[0].exc_info is None  # an expected failure: one line, no traceback
    assert failed[1].exc_info is not None  # a bug: its traceback is logged


def test_the_cycle_job_never_overlaps_coalesces_and_runs_late_runs_however_late() -> None:
    scheduler = BlockingScheduler(timezone=JST)
    job = add_cycle_job(scheduler, CycleRunner(lambda now: None), make_trigger(ScheduleSettings()))

    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, None)
    assert job.next_run_time <= datetime.now(JST)  # the first cycle runs at once


def test_a_crontab_wins_over_the_interval_and_runs_in_tokyo_time() -> None:
    cron = make_trigger(ScheduleSettings(interval_minutes=5, cron="0 8 * * *"))
    interval = make_trigger(ScheduleSettings(interval_minutes=7))

    after = datetime(2022, 7, 1, 8, 0, 1, tzinfo=JST)
    assert cron.get_next_fire_time(None, after) == datetime(2022, 7, 2, 8, 0, tzinfo=JST)
    assert interval.interval == timedelta(minutes=7)
