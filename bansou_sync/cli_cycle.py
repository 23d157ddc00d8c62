"""The commands that run or read the daemon's cycle: ``once``, ``run``, ``status``,
``recover``, ``check-config``. ``cli`` imports this module only when one of them runs,
so ``--help`` and the other commands do not pay for the cycle's imports."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from bansou_sync import logging_setup
from bansou_sync.errors import BansouError

if TYPE_CHECKING:  # each command imports what it uses when it runs (status: little)
    from bansou_sync.app.backup import BackupPlan
    from bansou_sync.app.run_once import CycleSummary
    from bansou_sync.config import Settings

console = Console(stderr=False, highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def setup_logging(settings: Settings, *, quiet_on_terminal: bool = False) -> None:
    """Logging as configured; ``quiet_on_terminal``: only warnings when a person watches."""
    log_format = settings.logging.format
    level = settings.logging.level
    if quiet_on_terminal and not logging_setup.wants_json(log_format, sys.stderr):
        level = max(level, "WARNING", key=logging.getLevelName)
    logging_setup.configure(level, log_format)


def print_summary(summary: CycleSummary, settings: Settings) -> None:
    from rich.table import Table

    head = (
        "ドライラン(変更なし) / dry run, nothing changed"
        if summary.dry_run
        else "同期完了 / cycle done"
    )
    console.print(f"[bold]{head}[/bold]  {summary.now.strftime('%Y-%m-%d %H:%M')} JST")
    table = Table(show_header=True, header_style="bold")
    table.add_column("項目 / item")
    table.add_column("件数 / count", justify="right")
    table.add_row("新規登録 / new registrations", str(summary.new_registrations))
    table.add_row("新規申請 / new applications", str(summary.new_applications))
    for kind, count in sorted(summary.queued.items()):
        verb = "送信予定" if summary.dry_run else "作成"
        table.add_row(f"メール{verb} / mail {kind}", str(count))
    if not summary.dry_run:
        table.add_row("送信済 / sent", str(summary.sent))
        table.add_row("送信待ち / waiting", str(summary.waiting))
        table.add_row("失敗 / failed", str(summary.failed))
    for status, count in sorted(summary.statuses.items()):
        table.add_row(f"申請の状態 / applications {status}", str(count))
    console.print(table)
    for problem in summary.problems[:20]:
        console.print(f"[yellow]要確認 / attention:[/yellow] {problem}")
    if not summary.dry_run:
        print_destinations(settings)


def print_destinations(settings: Settings) -> None:
    """Where the cycle's results are: the sheet (its URL on Google), the mail (the Gmail
    account it sends as), the ledger."""
    sheet, mail = settings.sheet, settings.mail
    if sheet.kind == "google":
        where = f"https://docs.google.com/spreadsheets/d/{sheet.spreadsheet_id}/edit"
    else:
        where = str(sheet.path)
    console.print(f"状況シート / status sheet: {where}", markup=False)
    if mail.kind == "outbox":
        console.print(f"メール / outbox: {mail.path}", markup=False)
    elif mail.kind == "gmail":
        account = settings.google.subject or mail.from_address
        console.print(f"メール / mail: Gmail {account}", markup=False)
    else:
        console.print(f"メール / mail: SMTP {mail.smtp.host}:{mail.smtp.port}", markup=False)
    console.print(f"台帳 / ledger: {settings.state.path}", markup=False)


@contextmanager
def send_progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar while a long backlog is sent, on a terminal only (the journal gets
    a log line every few dozen messages instead)."""
    if not errors.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import Progress

    with Progress(console=errors, transient=True) as bar:
        task = bar.add_task("メール送信中 / sending", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def backup_plan(settings: Settings) -> BackupPlan:
    from bansou_sync.app.backup import BackupPlan

    state = settings.state
    folder = state.backup_dir or Path(state.path).parent / "backups"
    return BackupPlan(Path(folder), state.backups)


def cmd_once(args: argparse.Namespace) -> int:
    from bansou_sync.adapters.ledger import Ledger
    from bansou_sync.app.failures import run_cycle_reporting
    from bansou_sync.app.lock import ledger_lock
    from bansou_sync.bootstrap import build_services
    from bansou_sync.config import load_config
    from bansou_sync.core.calendar import JST
    from bansou_sync.setup_tools.selftest import check_verdict

    settings = load_config(args.config)
    check_verdict(settings)  # a google-selftest that found Google unusable stops it here
    setup_logging(settings, quiet_on_terminal=True)
    for warning in settings.warnings + settings.secret_file_warnings():
        errors.print(f"[yellow]警告 / warning:[/yellow] {warning}")
    ledger_path = Path(settings.state.path)
    with ExitStack() as stack:
        stack.enter_context(ledger_lock(ledger_path))
        if args.dry_run and not ledger_path.exists():
            # a dry run on a fresh installation must not leave an empty ledger behind
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            ledger_path = scratch / ledger_path.name
        ledger = stack.enter_context(Ledger.open(ledger_path))
        services = build_services(
            settings,
            ledger,
            confirm_send=args.confirm_send,
            record_sources=not args.dry_run,
            accept_sources=args.accept_sources,
        )
        if not args.dry_run:
            services.progress = stack.enter_context(send_progress())
        now = args.now or datetime.now(JST)
        summary = run_cycle_reporting(
            services, now, dry_run=args.dry_run, backup=backup_plan(settings)
        )
    print_summary(summary, settings)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bansou_sync.config import load_config
    from bansou_sync.service import serve
    from bansou_sync.setup_tools.selftest import check_verdict

    settings = load_config(args.config)
    check_verdict(settings)  # a google-selftest that found Google unusable stops it here
    setup_logging(settings)
    for warning in settings.warnings + settings.secret_file_warnings():
        logging.getLogger("bansou_sync.service").warning("configuration: %s", warning)
    return serve(settings)


def cmd_status(args: argparse.Namespace) -> int:
    from bansou_sync.adapters.ledger import Ledger
    from bansou_sync.app.status import print_status, read_status
    from bansou_sync.config import load_config
    from bansou_sync.config_policy import policy_from
    from bansou_sync.core.calendar import JST

    settings = load_config(args.config)
    setup_logging(settings, quiet_on_terminal=True)
    with Ledger.open_readonly(Path(settings.state.path)) as ledger:
        status = read_status(ledger, policy_from(settings), args.now or datetime.now(JST))
    print_status(status, console)
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    from bansou_sync.config import load_config
    from bansou_sync.setup_tools.doctor import source_problems

    settings = load_config(args.config)
    for warning in settings.warnings + settings.secret_file_warnings():
        errors.print(f"[yellow]警告 / warning:[/yellow] {warning}")
    problems = source_problems(settings)  # the exports' headers, as a cycle checks them
    for problem in problems:
        errors.print(f"[red]エラー / error:[/red] {problem}", markup=True, highlight=False)
    if problems:
        return 1
    console.print(f"設定は有効です / configuration is valid: {settings.config_path}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from bansou_sync.adapters.ledger import Ledger
    from bansou_sync.app.failures import run_cycle_reporting
    from bansou_sync.app.lock import ledger_lock
    from bansou_sync.bootstrap import build_services
    from bansou_sync.config import load_config
    from bansou_sync.core.calendar import JST

    settings = load_config(args.config)
    setup_logging(settings, quiet_on_terminal=True)
    ledger_path = Path(settings.state.path)
    with ledger_lock(ledger_path):
        if ledger_path.exists():
            try:
                with Ledger.open(ledger_path) as ledger:
                    healthy = bool(ledger.load_state().seen)
            except BansouError:
                healthy = False
            if healthy:
                console.print("台帳は正常です。復旧の必要はありません / the ledger is healthy")
                return 0
            stamp = datetime.now(JST).strftime("%Y%m%d-%H%M%S")
            for suffix in ("", "-wal", "-shm"):
                damaged = ledger_path.with_name(ledger_path.name + suffix)
                if damaged.exists():
                    damaged.rename(damaged.with_name(f"{damaged.name}.corrupt-{stamp}"))
            errors.print(
                f"壊れた台帳を退避しました / kept the damaged ledger aside: *.corrupt-{stamp}"
            )
        with Ledger.open(ledger_path) as ledger:
            services = build_services(settings, ledger)
            summary = run_cycle_reporting(services, args.now or datetime.now(JST))
    print_summary(summary, settings)
    return 0
