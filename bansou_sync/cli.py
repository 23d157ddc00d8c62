"""The command line; the one place that turns errors into messages for people."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.table import Table

from bansou_sync import (
    __version__,
    cli_mail,
    cli_payments,
    cli_report,
    cli_selftest,
    cli_staff,
    logging_setup,
)
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.ledger import Ledger
from bansou_sync.app.backup import BackupPlan
from bansou_sync.app.failures import run_cycle_reporting
from bansou_sync.app.lock import ledger_lock
from bansou_sync.app.run_once import CycleSummary
from bansou_sync.bootstrap import build_services, policy_from
from bansou_sync.config import Settings, load_config
from bansou_sync.core.calendar import JST, SUPPORTED_YEARS
from bansou_sync.errors import BansouError, ConfigError

console = Console(stderr=False, highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

DESCRIPTION = """\
bansou-sync — 伴走支援事業の事務作業(フォーム回答の取り込み、ID発行、メール送信、申請の
判定、状況シートの更新、支払予定)を自動で行います。
Runs the paperwork of the 伴走支援事業: pulls form responses, assigns IDs, sends emails,
judges applications, writes the status sheet and schedules payments.
"""


def parse_now(text: str) -> datetime:
    """``2022-07-10T12:00:00+09:00``, ``2022-07-10 12:00`` (JST) or ``2022-07-10``, in a
    year the calendar supports (``core.calendar.SUPPORTED_YEARS``)."""
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"--now: 日時を読めません / cannot read {text!r} "
            "(例 e.g. 2022-07-10T12:00:00+09:00 or '2022-07-10 12:00')"
        ) from exc
    if parsed.year not in SUPPORTED_YEARS:  # before any date arithmetic can overflow
        first, last = SUPPORTED_YEARS[0], SUPPORTED_YEARS[-1]
        raise argparse.ArgumentTypeError(
            f"--now: {first}年から{last}年までの日時を指定してください / must be a time in"
            f" the years {first}–{last} the calendar supports (got {text!r})"
        )
    return parsed.replace(tzinfo=JST) if parsed.tzinfo is None else parsed.astimezone(JST)


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose --now mistakes are one line (no usage block above)."""

    def error(self, message: str) -> NoReturn:
        if "--now:" in message:
            self.exit(2, f"{self.prog}: エラー / error: {message.split('--now: ', 1)[-1]}\n")
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bansou-sync",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bansou-sync {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config",
            "-c",
            type=Path,
            default=Path("config.yaml"),
            help="設定ファイル / configuration file (default: config.yaml)",
        )

    once = sub.add_parser(
        "once",
        help="1回同期して終了 / run one cycle and exit",
        description="フォームの回答を取り込み、判定・メール送信・シート更新を1回行います。"
        " Runs one cycle: exit 0 when it completed, non-zero on an operational error.",
    )
    with_config(once)
    once.add_argument(
        "--now",
        type=parse_now,
        default=None,
        help="この日時(JST)に実行したものとして動く / behave as if run at this time, "
        "e.g. 2022-07-10T12:00:00+09:00 or '2022-07-10 12:00'",
    )
    once.add_argument(
        "--dry-run",
        action="store_true",
        help="何も書き込まず送信もせず、行う予定の内容を表示 / show what would happen, change nothing",
    )
    once.add_argument(
        "--confirm-send",
        action="store_true",
        help="初回の同期で mail.first_cycle_limit を超える数のメールを送ることを承知する / agree "
        "that the first cycle sends more emails than mail.first_cycle_limit",
    )
    once.add_argument(
        "--accept-sources",
        action="store_true",
        help="台帳に記録された回答元と設定が違っても、設定の回答元を台帳の回答元として記録し直す "
        "(同じフォームの回答元を移したときだけ) / re-record the configured sources as the "
        "ledger's own (only when the same forms' source moved)",
    )
    run = sub.add_parser(
        "run",
        help="定期実行サービス / the scheduled service",
        description="設定の間隔で同期を繰り返します。SIGTERM/SIGINT で現在の処理を終えてから終了します。"
        " Runs cycles on the configured schedule until SIGTERM/SIGINT.",
    )
    with_config(run)
    status = sub.add_parser(
        "status",
        help="最終同期と事務局の対応待ちを表示 / show the last cycle and what waits for staff",
        description="最終同期の結果、連続失敗の回数、日次まとめに載る対応待ち(審査待ち・期限間近の不備・"
        "支払保留・要確認の登録・予算)と送信待ち・失敗メールを表示します。台帳は読むだけです。"
        " Shows the last cycle, consecutive failures and what the staff digest would list"
        " now; read-only, safe beside a running service.",
    )
    with_config(status)
    status.add_argument("--now", type=parse_now, default=None, help="as for once")
    recover = sub.add_parser(
        "recover",
        help="台帳を状況シートから復旧 / rebuild a lost or damaged ledger from the status sheet",
        description="台帳(SQLite)が失われたり壊れたりしたとき、状況シートから作り直します。"
        "壊れた台帳は .corrupt-<日時> として残します。メールは二重に送りません。"
        " Rebuilds the ledger from the status sheet (a damaged file is kept aside);"
        " nothing is emailed twice and no number is reused.",
    )
    with_config(recover)
    recover.add_argument("--now", type=parse_now, default=None, help="as for once")
    emulator = sub.add_parser(
        "emulator",
        help="ローカルの Google エミュレータを起動 / run the local Google API emulator",
        description="Forms・Sheets・Gmail API のローカルエミュレータ(テスト・お試し用)を"
        "127.0.0.1 で起動し、サービスアカウント鍵と設定例を表示します。"
        " Serves a local emulator of the Google APIs bansou-sync uses, on 127.0.0.1.",
    )
    emulator.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any)")
    emulator.add_argument(
        "--fixtures",
        type=Path,
        default=None,
        help="forms/<name>.form.json + responses/<name>.responses.json (e.g. reference/)",
    )
    emulator.add_argument(
        "--out",
        type=Path,
        default=Path("out/emulator"),
        help="where to write the key file and emulator.json (default out/emulator)",
    )
    emulator.add_argument(
        "--row-metadata-on-sort",
        choices=("move", "stay"),
        default="move",
        help="並べ替えで行のメタデータが行と一緒に動くか、位置に残るか(Google は未公表)"
        " / what a sort does to row developer metadata: move with the row (default) or stay",
    )
    doctor = sub.add_parser(
        "doctor",
        help="設定と接続を点検 / check credentials, API access, the sheet and the forms",
        description="認証情報、各 API へのアクセス、状況シートの形、フォームの質問を1行ずつ点検し、"
        "問題があれば直し方を表示します。 One line per check, with a fix for each failure.",
    )
    with_config(doctor)
    init_sheet = sub.add_parser(
        "init-sheet",
        help="状況スプレッドシートを準備・修復 / set up or repair the status spreadsheet",
        description="事務局が作成しサービスアカウントと共有したスプレッドシートに、タブ・見出し・保護・"
        "入力規則・色分けを設定します(何度実行しても同じ結果)。 Idempotent.",
    )
    with_config(init_sheet)
    inspect = sub.add_parser(
        "inspect-form",
        help="フォームの質問とIDを表示 / list a form's questions and a suggested mapping",
    )
    inspect.add_argument("form_id", help="フォーム ID / the form's ID")
    with_config(inspect)
    cli_payments.add_parser(sub, with_config)
    cli_report.add_parser(sub, with_config)
    cli_selftest.add_parser(sub, with_config)
    check = sub.add_parser(
        "check-config",
        help="設定ファイルを検査 / validate the configuration file",
    )
    with_config(check)
    cli_staff.add_parsers(sub, with_config, parse_now)  # purge, labels (issue 6)
    cli_mail.add_parser(sub, with_config)  # release-surge (issue 10 §5)
    return parser


def setup_logging(settings: Settings, *, quiet_on_terminal: bool = False) -> None:
    """Logging as configured; ``quiet_on_terminal``: only warnings when a person watches."""
    log_format = settings.logging.format
    level = settings.logging.level
    if quiet_on_terminal and not logging_setup.wants_json(log_format, sys.stderr):
        level = max(level, "WARNING", key=logging.getLevelName)
    logging_setup.configure(level, log_format)


def print_summary(summary: CycleSummary, settings: Settings) -> None:
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
    state = settings.state
    folder = state.backup_dir or Path(state.path).parent / "backups"
    return BackupPlan(Path(folder), state.backups)


def cmd_once(args: argparse.Namespace) -> int:
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
    from bansou_sync.service import serve
    from bansou_sync.setup_tools.selftest import check_verdict

    settings = load_config(args.config)
    check_verdict(settings)  # a google-selftest that found Google unusable stops it here
    setup_logging(settings)
    for warning in settings.warnings + settings.secret_file_warnings():
        logging.getLogger("bansou_sync.service").warning("configuration: %s", warning)
    return serve(settings)


def cmd_status(args: argparse.Namespace) -> int:
    from bansou_sync.app.status import print_status, read_status

    settings = load_config(args.config)
    setup_logging(settings, quiet_on_terminal=True)
    with Ledger.open_readonly(Path(settings.state.path)) as ledger:
        status = read_status(ledger, policy_from(settings), args.now or datetime.now(JST))
    print_status(status, console)
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    from bansou_sync.app.doctor import source_problems

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


def _google_access(settings: Settings) -> GoogleAccess:
    from bansou_sync.app.doctor import access_from

    access = access_from(settings)
    if access is None:
        raise ConfigError(
            "google.credentials_file: 設定してください / is required for this command"
        )
    return access


def cmd_doctor(args: argparse.Namespace) -> int:
    from bansou_sync.app.doctor import doctor, format_checks

    checks = doctor(load_config(args.config))
    console.print(format_checks(checks), markup=False)
    return 0 if all(c.ok for c in checks) else 1


def cmd_init_sheet(args: argparse.Namespace) -> int:
    from bansou_sync.app.init_sheet import SheetSetupRefused, init_sheet, service_account_email

    settings = load_config(args.config)
    if settings.sheet.kind != "google" or not settings.sheet.spreadsheet_id:
        raise ConfigError(
            "sheet.kind: google と sheet.spreadsheet_id を設定してください / "
            "init-sheet needs sheet.kind: google and sheet.spreadsheet_id"
        )
    access = _google_access(settings)
    admins = [
        *settings.mail.staff_to,
        *([settings.google.subject] if settings.google.subject else []),
    ]
    from bansou_sync.bootstrap import status_layouts

    try:
        lines = init_sheet(
            access,
            settings.sheet.spreadsheet_id,
            admins,
            service_account_email(access),
            status_layouts(settings),  # the event tabs get their checkboxes and protection too
        )
    except SheetSetupRefused as refused:
        for line in refused.done:
            console.print(line, markup=False)
        for line in refused.refused:
            errors.print(f"NG  {line}", markup=False)
        errors.print(
            "一部のタブは直していません。上の手順を手で行ってから再実行してください / some tabs "
            "were left alone: do the above by hand, then run init-sheet again",
            markup=False,
        )
        return 1
    for line in lines:
        console.print(line, markup=False)
    return 0


def cmd_inspect_form(args: argparse.Namespace) -> int:
    from bansou_sync.app.inspect_form import inspect_form
    from bansou_sync.config_errors import RESPONDER_PREFIX, form_id

    settings = load_config(args.config)
    if str(args.form_id).startswith(RESPONDER_PREFIX):
        try:
            form_id(args.form_id)
        except ValueError as exc:  # PydanticCustomError is a ValueError
            raise ConfigError(f"FORM_ID: {exc}") from exc
    _questions, text = inspect_form(_google_access(settings), args.form_id)
    console.print(text, markup=False)
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    from bansou_sync.emulator.main import run_emulator

    return run_emulator(args.port, args.fixtures, args.out, args.row_metadata_on_sort)


COMMANDS = {
    "doctor": cmd_doctor,
    "init-sheet": cmd_init_sheet,
    "inspect-form": cmd_inspect_form,
    "emulator": cmd_emulator,
    "once": cmd_once,
    "run": cmd_run,
    "status": cmd_status,
    "recover": cmd_recover,
    "check-config": cmd_check_config,
    **cli_staff.COMMANDS,
    **cli_mail.COMMANDS,
    "payment-files": cli_payments.command,
    "report": cli_report.command,
    "google-selftest": cli_selftest.command,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging_setup.configure("WARNING")  # until a command has read its configuration
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        errors.print("[red]設定エラー / configuration error:[/red]", markup=True)
        for problem in exc.problems:
            errors.print(f"  {problem}", markup=False)
        return 2
    except BansouError as exc:
        errors.print(f"[red]エラー / error:[/red] {exc}", markup=True, highlight=False)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
