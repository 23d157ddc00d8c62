"""``bansou-sync payment-files``: its arguments, what it prints (errors go to ``cli``) and
the wiring of ``app.payment_files``: the ledger's rows, the payer, the bank details and
the bank master, all read from the configuration here."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bansou_sync.errors import ConfigError

if TYPE_CHECKING:  # imported when the command runs, not for every command's --help
    from rich.console import Console

    from bansou_sync.app.annual_file import YearWritten
    from bansou_sync.app.payment_files import DetailsSource, Written
    from bansou_sync.config import Settings
    from bansou_sync.config_payments import PayerSettings
    from bansou_sync.core.payment_batches import BankDirectory
    from bansou_sync.core.zengin import Payer


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"日付を読めません / cannot read {text!r} (例 e.g. 2022-07-08)"
        ) from exc


def _year(text: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit() and len(value) == 4):
        raise argparse.ArgumentTypeError(f"年を読めません / cannot read {text!r} (例 e.g. 2022)")
    return int(value)


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
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--batch",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="この支払予定日のバッチだけ(作成済みでも新しい番号で作成)/ only this pay date "
        "(written again under a new number if it exists); default: every batch not yet written",
    )
    which.add_argument(
        "--year",
        type=_year,
        default=None,
        metavar="YYYY",
        help="この年に支払った謝金の伴走者別一覧(会計担当用CSV)だけを作成 / only the year's paid "
        "honoraria per volunteer, for the accountant (no batch files)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="出力フォルダ / output folder (default: payments.files_dir, out/payments)",
    )


def command(args: argparse.Namespace) -> int:
    from rich.console import Console

    return run(args, Console(highlight=False, soft_wrap=True))


def run(args: argparse.Namespace, console: Console) -> int:
    from bansou_sync import logging_setup
    from bansou_sync.config import load_config

    settings = load_config(args.config)
    logging_setup.configure(settings.logging.level, settings.logging.format)
    if args.year is not None:
        _print_year(year_file(settings, args.year, args.out), console)
        return 0
    results = payment_files(settings, args.batch, args.out)
    if not results:
        console.print(
            "新しい支払バッチはありません(作成済み、または支払予定がありません) / "
            "no payment batch left to write"
        )
        return 0
    for result in results:
        _print(result, console)
    return 0


def payment_files(settings: Settings, wanted: date | None, out: Path | None) -> list[Written]:
    """The files of each batch still to write (or of ``wanted``), wired from ``settings``."""
    from bansou_sync.adapters.atomic import write_atomically
    from bansou_sync.adapters.bank_master import ZenginDirectory
    from bansou_sync.adapters.ledger import Ledger
    from bansou_sync.app.payment_files import rows_from, write_payment_files
    from bansou_sync.config_policy import policy_from

    payments = settings.payments
    if payments.payer is None:
        raise ConfigError(
            "payments.payer: payment-files には必須です(依頼人の口座) / is required for "
            "payment-files (the account the transfers are paid from)"
        )
    directory = ZenginDirectory()
    payer = payer_from(payments.payer, directory)
    source = details_source(settings)
    with Ledger.open_readonly(Path(settings.state.path)) as ledger:
        rows = rows_from(ledger.load_state())
    return write_payment_files(
        rows,
        Path(out or payments.files_dir),
        wanted,
        payer=payer,
        source=source,
        directory=directory,
        ids=policy_from(settings).supporter_ids,
        write=write_atomically,
    )


def year_file(settings: Settings, year: int, out: Path | None) -> YearWritten:
    """The year's paid honoraria (no payer or bank details needed: only the ledger)."""
    from bansou_sync.adapters.atomic import write_atomically
    from bansou_sync.adapters.ledger import Ledger
    from bansou_sync.app.annual_file import write_year_file

    with Ledger.open_readonly(Path(settings.state.path)) as ledger:
        state = ledger.load_state()
    folder = Path(out or settings.payments.files_dir)
    return write_year_file(state, year, folder, write_atomically)


def _print_year(result: YearWritten, console: Console) -> None:
    from bansou_sync.core.money import yen

    figures = result.year
    console.print(
        f"{figures.year}年に支払った謝金 / honoraria paid in {figures.year}: "
        f"{len(figures.lines)}人 / volunteers, {yen(figures.total)}",
        markup=False,
    )
    console.print(f"会計担当用CSV / accountant's CSV: {result.path}", markup=False)
    if figures.unpaid:
        console.print(
            f"[yellow]注意 / note:[/yellow] {figures.year}年に支払予定で、まだ「支払済」に"
            f"なっていない申請が {figures.unpaid}件あります(一覧には入っていません) / "
            f"{figures.unpaid} applications due in {figures.year} are not ticked 支払済 yet "
            "and are not in the list"
        )


def payer_from(settings: PayerSettings, directory: BankDirectory) -> Payer:
    """The header record's payer; unknown codes are configuration errors naming the key."""
    bank = directory.bank(settings.bank_code)
    branch = directory.branch(settings.bank_code, settings.branch_code) if bank else None
    problems = []
    if bank is None:
        problems.append(
            "payments.payer.bank_code: 全銀協の銀行コードにありません / is not a bank code in "
            f"the zengin-code master data (got {settings.bank_code})"
        )
    elif branch is None:
        problems.append(
            "payments.payer.branch_code: その銀行の支店コードにありません / is not a branch of "
            f"that bank in the zengin-code master data (got {settings.branch_code})"
        )
    if problems or bank is None or branch is None:
        raise ConfigError(problems)
    from bansou_sync.core.zengin import Payer, to_zengin_kana

    return Payer(
        client_code=settings.client_code,
        name=settings.name,
        bank_code=bank.code,
        bank_name=to_zengin_kana(bank.kana) or "",
        branch_code=branch.code,
        branch_name=to_zengin_kana(branch.kana) or "",
        account_type=settings.account_type,
        account_number=settings.account_number,
    )


def details_source(settings: Settings) -> DetailsSource:
    source = settings.payments.bank_details
    if source is None:
        raise ConfigError(
            "payments.bank_details: payment-files には必須です(口座情報の読み取り元) / "
            "is required for payment-files (where the bank details are kept)"
        )
    from bansou_sync.adapters.bank_details import CsvBankDetails, SheetBankDetails

    if source.kind == "csv" and source.path is not None:
        return CsvBankDetails(Path(source.path))
    from bansou_sync.google_wiring import google_access, retry_policy

    if settings.google.credentials_file is None:
        raise ConfigError(
            "google.credentials_file: payments.bank_details.kind が google のときは必須です / "
            "is required when payments.bank_details.kind is google"
        )
    return SheetBankDetails(
        google_access(settings),
        source.spreadsheet_id or "",
        source.worksheet,
        retry_policy(settings),
    )


def _print(result: Written, console: Console) -> None:
    from rich.table import Table

    from bansou_sync.core.money import yen
    from bansou_sync.core.payment_batches import HELD, PAID

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
