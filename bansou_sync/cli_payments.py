"""``bansou-sync payment-files``: its arguments and what it prints (errors go to ``cli``)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bansou_sync import logging_setup
from bansou_sync.app.payment_files import Written, write_payment_files
from bansou_sync.config import load_config
from bansou_sync.core.money import yen
from bansou_sync.core.payment_batches import HELD, PAID


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"日付を読めません / cannot read {text!r} (例 e.g. 2022-07-08)"
        ) from exc


def add_parser(sub: Any, with_config: Any) -> None:
    """Register the subcommand on ``cli``'s subparsers."""
    parser = sub.add_parser(
        "payment-files",
        help="支払バッチの事務局用CSVと全銀協 総合振込ファイルを作成 / write payment files",
        description="支払タブの支払予定日ごとに、事務局用の一覧(CSV)とネットバンキングに"
        "アップロードする全銀協 総合振込ファイルを作ります。口座情報は payments.bank_details"
        " から読み、状況シートには書きません。 Writes, per payment batch, a staff CSV and a"
        " 全銀協 総合振込 transfer file; bank details come from payments.bank_details only.",
    )
    with_config(parser)
    parser.add_argument(
        "--batch",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="この支払予定日のバッチだけ(作成済みでも新しい番号で作成)/ only this pay date "
        "(written again under a new number if it exists); default: every batch not yet written",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="出力フォルダ / output folder (default: payments.files_dir, out/payments)",
    )


def command(args: argparse.Namespace) -> int:
    return run(args, Console(highlight=False, soft_wrap=True))


def run(args: argparse.Namespace, console: Console) -> int:
    settings = load_config(args.config)
    logging_setup.configure(settings.logging.level, settings.logging.format)
    results = write_payment_files(settings, args.batch, args.out)
    if not results:
        console.print(
            "新しい支払バッチはありません(作成済み、または支払予定がありません) / "
            "no payment batch left to write"
        )
        return 0
    for result in results:
        _print(result, console)
    return 0


def _print(result: Written, console: Console) -> None:
    batch = result.batch
    console.print(f"[bold]支払予定日 / pay date {batch.pay_date.isoformat()}[/bold]")
    table = Table(show_header=True, header_style="bold")
    table.add_column("項目 / item")
    table.add_column("件数 / rows", justify="right")
    table.add_column("金額 / amount", justify="right")
    held = batch.held
    paid = [line for line in batch.lines if line.state == PAID]
    table.add_row("振込 / transfers", str(len(batch.transfers)), yen(batch.total))
    table.add_row("保留 / held", str(len(held)), yen(sum(line.amount for line in held)))
    table.add_row("支払済 / already paid", str(len(paid)), yen(sum(line.amount for line in paid)))
    console.print(table)
    for line in batch.lines:
        if line.state == HELD:
            console.print(
                f"[yellow]{HELD}[/yellow] {line.supporter_id} (締め日 {line.cutoff.isoformat()}): "
                f"{line.reason_text}",
                markup=True,
                highlight=False,
            )
    console.print(f"事務局用CSV / staff CSV: {result.staff_csv}", markup=False)
    if result.transfer is not None:
        console.print(f"総合振込ファイル / transfer file: {result.transfer}", markup=False)
    else:
        console.print("振込対象がないため総合振込ファイルは作っていません / nothing to transfer")
    if result.again:
        console.print(
            "[yellow]注意 / note:[/yellow] この支払予定日のファイルは以前にも作成しています。"
            "前回アップロードした振込が「支払済」になっていないと、二重振込になります / files of "
            "this pay date were written before: rows uploaded then but not ticked 支払済 are in "
            "this file again"
        )
