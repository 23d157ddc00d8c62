"""The command line; the one place that turns errors into messages for people.

This module only builds the parser and dispatches: each command imports what it needs
when it runs (``cli_cycle`` for the cycle, ``cli_setup`` for the set-up tools, the other
``cli_*`` modules import their work inside their commands), so ``bansou-sync --help``
loads no payment files, reports, events, pandas or Google libraries.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bansou_sync import (
    __version__,
    cli_mail,
    cli_payments,
    cli_report,
    cli_selftest,
    cli_staff,
    logging_setup,
)
from bansou_sync.errors import BansouError, ConfigError
from bansou_sync.heap import tune_collector

if TYPE_CHECKING:
    from rich.console import Console

Command = Callable[[argparse.Namespace], int]

DESCRIPTION = """\
bansou-sync — 伴走支援事業の事務作業(フォーム回答の取り込み、ID発行、メール送信、申請の
判定、状況シートの更新、支払予定)を自動で行います。
Runs the paperwork of the 伴走支援事業: pulls form responses, assigns IDs, sends emails,
judges applications, writes the status sheet and schedules payments.
"""


def parse_now(text: str) -> datetime:
    """``2022-07-10T12:00:00+09:00``, ``2022-07-10 12:00`` (JST) or ``2022-07-10``, in a
    year the calendar supports (``core.calendar.SUPPORTED_YEARS``)."""
    from bansou_sync.core.calendar import JST, SUPPORTED_YEARS

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


# The cycle's and the set-up tools' commands: their modules are imported when they run.


def _cycle(name: str) -> Command:
    def command(args: argparse.Namespace) -> int:
        from bansou_sync import cli_cycle

        run: Command = getattr(cli_cycle, name)
        return run(args)

    return command


def _setup(name: str) -> Command:
    def command(args: argparse.Namespace) -> int:
        from bansou_sync import cli_setup

        run: Command = getattr(cli_setup, name)
        return run(args)

    return command


COMMANDS: dict[str, Command] = {
    "doctor": _setup("cmd_doctor"),
    "init-sheet": _setup("cmd_init_sheet"),
    "inspect-form": _setup("cmd_inspect_form"),
    "emulator": _setup("cmd_emulator"),
    "once": _cycle("cmd_once"),
    "run": _cycle("cmd_run"),
    "status": _cycle("cmd_status"),
    "recover": _cycle("cmd_recover"),
    "check-config": _cycle("cmd_check_config"),
    **cli_staff.COMMANDS,
    **cli_mail.COMMANDS,
    "payment-files": cli_payments.command,
    "report": cli_report.command,
    "google-selftest": cli_selftest.command,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    tune_collector()
    logging_setup.configure("WARNING")  # until a command has read its configuration
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        errors = _errors()
        errors.print("[red]設定エラー / configuration error:[/red]", markup=True)
        for problem in exc.problems:
            errors.print(f"  {problem}", markup=False)
        return 2
    except BansouError as exc:
        _errors().print(f"[red]エラー / error:[/red] {exc}", markup=True, highlight=False)
        return 1
    except KeyboardInterrupt:
        return 130


def _errors() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


if __name__ == "__main__":
    sys.exit(main())
