"""``bansou-sync google-selftest``: its arguments and what it prints (errors go to ``cli``)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any


def add_parser(sub: Any, with_config: Any) -> None:
    """Register the subcommand on ``cli``'s subparsers."""
    parser = sub.add_parser(
        "google-selftest",
        help="製品が前提とする Google の動作を実アカウントで確認 / check Google's behaviour"
        " on the real account",
        description="設定の状況スプレッドシートに一時タブを作って(最後に削除)行メタデータ・タグ経由の"
        "読み書き・行の追加を、フォームでは読み取りだけで回答一覧のページ分けと timestamp フィルタを、"
        "Gmail では送信しない下書きで rfc822msgid: 検索を確認します。結果は台帳の隣に保存され、"
        "受け入れられない相違があれば once / run は起動しません。 Checks, on the real account,"
        " each Google behaviour the product relies on; the verdict is kept beside the ledger"
        " and once/run refuse to start on a behaviour the product cannot live with.",
    )
    with_config(parser)
    parser.add_argument(
        "--send-test-message",
        action="store_true",
        help="事務局自身のアドレスにテストメールを1通送り、送信済みの検索も確認します"
        " / also send one test message to the secretariat's own address and find it in Sent",
    )


def command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bansou_sync.config import load_config
    from bansou_sync.core.calendar import JST
    from bansou_sync.setup_tools.selftest import run_selftest, save_verdict
    from bansou_sync.setup_tools.selftest_model import format_report

    settings = load_config(args.config)
    verdict = run_selftest(settings, datetime.now(JST), send_test_message=args.send_test_message)
    path = save_verdict(settings, verdict)
    console = Console(highlight=False, soft_wrap=True)
    console.print(format_report(verdict), markup=False)
    console.print(f"結果 / verdict: {path}", markup=False)
    return 1 if verdict.refusals else 0
