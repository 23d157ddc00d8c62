"""``bansou-sync report``: its arguments and what it prints (errors go to ``cli``)."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when the command runs, not for every command's --help
    from rich.console import Console

FORMATS = ("html", "xlsx", "pdf")  # app.report.FORMATS, without importing it for --help


def _month(option: str) -> Any:
    def parse(text: str) -> str:
        from bansou_sync.app import report as rep

        try:
            return rep.month(text, option)
        except rep.ReportError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    return parse


def add_parser(sub: Any, with_config: Any) -> None:
    """Register the subcommand on ``cli``'s subparsers."""
    parser = sub.add_parser(
        "report",
        help="報告会・政策提言用の匿名統計(HTML/XLSX/PDF)を作成 / write the anonymised report",
        description="台帳から、件数だけの匿名統計(5件未満は「<5」、逆算できる数は「秘匿」)を"
        "作ります。氏名・連絡先・支援の内容の文章は出力しません。 Writes the anonymised"
        " counts from the ledger; small counts are suppressed, free text is never written.",
    )
    with_config(parser)
    parser.add_argument(
        "--from",
        dest="start",
        type=_month("--from"),
        default=None,
        help="最初の支援実施月 / first support month, YYYY-MM (default: period.start)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=_month("--to"),
        default=None,
        help="最後の支援実施月 / last support month, YYYY-MM (default: period.end)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="html",
        help="出力形式 / output format (default: html)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="出力ファイル / output file (default: out/reports/report_FROM_TO.EXT"
        " beside the config)",
    )
    parser.add_argument(
        "--unmatched",
        type=Path,
        default=None,
        help="事務局用: 支援の内容がどの分類にも当たらなかった申請番号のCSV / "
        "staff only: CSV of the 申請番号 whose narrative matched no keyword",
    )


def run(args: argparse.Namespace, console: Console) -> int:
    from bansou_sync.adapters.atomic import write_atomically
    from bansou_sync.adapters.ledger import Ledger
    from bansou_sync.app import report as rep
    from bansou_sync.config import load_config
    from bansou_sync.config_policy import policy_from
    from bansou_sync.core.calendar import JST

    settings = load_config(args.config)
    policy = policy_from(settings)
    start = args.start or settings.period.start.strftime("%Y-%m")
    end = args.end or settings.period.end.strftime("%Y-%m")
    span = rep.period(start, end)
    with Ledger.open_readonly(Path(settings.state.path)) as ledger:
        state = ledger.load_state()
    made_on: date = datetime.now(JST).date()
    report = rep.build(
        state, policy.topic_keywords, policy.min_cell, span, made_on, policy.nationalities
    )
    out = args.out or settings.base_dir / "out" / "reports" / f"report_{start}_{end}.{args.format}"
    rep.write(report, args.format, out, write_atomically)
    console.print(f"報告書を作成しました / report written: {out}")
    console.print(
        f"支援の内容がどの分類にも当たらなかった申請 / narratives matching no keyword:"
        f" {len(report.unmatched)}"
    )
    if args.unmatched is not None:
        rep.write_unmatched(report, args.unmatched, write_atomically)
        console.print(f"事務局用の一覧 / staff-only list: {args.unmatched}")
    return 0


def command(args: argparse.Namespace) -> int:
    """The entry ``cli`` calls (it prints on the standard output)."""
    from rich.console import Console

    return run(args, Console(highlight=False, soft_wrap=True))
