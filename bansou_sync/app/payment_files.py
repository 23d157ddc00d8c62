"""``bansou-sync payment-files``: the staff CSV and the 全銀 transfer file of each batch.

Reads the ledger (read-only, safe beside a running service) for the 支払 rows, the
treasurer's bank-details source for the accounts, and zengin-code for the bank master;
plans each batch in the core and writes two files per batch into ``payments.files_dir``:

* ``支払_YYYY-MM-DD.csv`` — for staff: UTF-8 with BOM, CR LF, accounts masked;
* ``zengin_YYYY-MM-DD.txt`` — for online banking: Shift_JIS, 120-byte records, CR LF.

A batch whose files exist is "written" and skipped by default. ``--batch DATE`` writes
that batch again under the next free number (``_2``, ``_3``…) and never overwrites a
file that may already have been uploaded; rows ticked 支払済 since are not transferred
again. Bank details never reach the status sheet, the ledger or the logs; the log line
carries the pay date and counts only.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from bansou_sync.adapters.atomic import write_atomically
from bansou_sync.adapters.bank_details import CsvBankDetails, SheetBankDetails
from bansou_sync.adapters.bank_master import ZenginDirectory
from bansou_sync.adapters.ledger import Ledger as SqliteLedger
from bansou_sync.config import Settings
from bansou_sync.config_payments import PayerSettings
from bansou_sync.core.ids import IdPattern
from bansou_sync.core.payment_batches import (
    PAID,
    BankDetails,
    BankDirectory,
    Batch,
    PaymentRow,
    batch_dates,
    index_details,
    plan_batch,
)
from bansou_sync.core.projection import payment_rows
from bansou_sync.core.state import State
from bansou_sync.core.tabs import PAYMENTS
from bansou_sync.core.zengin import Payer, to_zengin_kana, transfer_file
from bansou_sync.errors import BansouError, ConfigError

log = logging.getLogger(__name__)

STAFF_HEADERS = (
    "支払予定日",
    "締め日",
    "伴走ネットID",
    "氏名",
    "件数",
    "金額",
    "振込先",
    "状態",
    "保留理由",
)
GUARDED = ("=", "+", "-", "@")  # what Excel would read as a formula


class DetailsSource(Protocol):
    def read(self) -> list[BankDetails]: ...


@dataclass(frozen=True)
class Written:
    batch: Batch
    staff_csv: Path
    transfer: Path | None  # None: nothing to transfer (every row held or paid)
    again: bool  # an earlier file of this pay date exists


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
    if source.kind == "csv" and source.path is not None:
        return CsvBankDetails(Path(source.path))
    from bansou_sync.bootstrap import google_access, retry_policy

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


def rows_from(state: State) -> list[PaymentRow]:
    """The 支払 tab's rows that have a pay date, from the ledger's projection."""
    rows = []
    for cells in payment_rows(state):
        row = dict(zip(PAYMENTS.headers, cells, strict=True))
        if not row["支払予定日"]:
            continue  # held by P12: no batch yet
        rows.append(
            PaymentRow(
                pay_date=date.fromisoformat(str(row["支払予定日"])),
                cutoff=date.fromisoformat(str(row["締め日"])),
                supporter_id=str(row["伴走ネットID"]),
                name=str(row["氏名"]),
                count=int(row["件数"]),
                amount=int(row["金額"]),
                paid=row["状態"] == PAID,
            )
        )
    return rows


def staff_csv(batch: Batch) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(STAFF_HEADERS)
    for line in batch.lines:
        name = "'" + line.name if line.name.startswith(GUARDED) else line.name
        writer.writerow(
            [
                line.pay_date.isoformat(),
                line.cutoff.isoformat(),
                line.supporter_id,
                name,
                line.count,
                line.amount,
                line.payee,
                line.state,
                line.reason_text,
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _free_name(folder: Path, pay_date: date) -> tuple[str, bool]:
    """``2022-07-08``, or ``2022-07-08_2``… when files of that pay date already exist."""
    stem, n = pay_date.isoformat(), 1
    while (folder / f"支払_{stem}.csv").exists() or (folder / f"zengin_{stem}.txt").exists():
        n += 1
        stem = f"{pay_date.isoformat()}_{n}"
    return stem, n > 1


def written_dates(folder: Path) -> set[date]:
    found = set()
    for path in folder.glob("支払_*.csv") if folder.is_dir() else ():
        try:
            found.add(date.fromisoformat(path.stem.removeprefix("支払_")[:10]))
        except ValueError:
            continue  # a file staff named themselves
    return found


def choose_dates(rows: Sequence[PaymentRow], folder: Path, wanted: date | None) -> list[date]:
    dates = batch_dates(rows)
    if wanted is not None:
        if wanted not in dates:
            known = ", ".join(d.isoformat() for d in dates) or "なし / none"
            raise BansouError(
                f"--batch {wanted.isoformat()}: その支払予定日の支払はありません / no payments "
                f"are due on that date (支払予定日 in the ledger: {known})"
            )
        return [wanted]
    done = written_dates(folder)
    unpaid = {row.pay_date for row in rows if not row.paid}
    return [d for d in dates if d not in done and d in unpaid]


def write_payment_files(
    settings: Settings,
    wanted: date | None = None,
    out: Path | None = None,
    *,
    source: DetailsSource | None = None,
    directory: BankDirectory | None = None,
) -> list[Written]:
    payments = settings.payments
    if payments.payer is None:
        raise ConfigError(
            "payments.payer: payment-files には必須です(依頼人の口座) / is required for "
            "payment-files (the account the transfers are paid from)"
        )
    directory = directory or ZenginDirectory()
    payer = payer_from(payments.payer, directory)
    source = source or details_source(settings)
    folder = Path(out or payments.files_dir)
    with SqliteLedger.open_readonly(Path(settings.state.path)) as ledger:
        rows = rows_from(ledger.load_state())
    dates = choose_dates(rows, folder, wanted)
    if not dates:
        return []
    details = index_details(source.read(), _policy_ids(settings))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        results = []
        for pay_date in dates:
            batch = plan_batch(pay_date, rows, details, directory, _policy_ids(settings))
            stem, again = _free_name(folder, pay_date)
            staff = folder / f"支払_{stem}.csv"
            write_atomically(staff, staff_csv(batch))
            transfer = None
            if batch.transfers:
                transfer = folder / f"zengin_{stem}.txt"
                write_atomically(transfer, transfer_file(payer, pay_date, batch.transfers))
            log.info(
                "payment files written: pay_date=%s transfers=%d held=%d paid=%d",
                pay_date.isoformat(),
                len(batch.transfers),
                len(batch.held),
                sum(1 for line in batch.lines if line.state == PAID),
            )
            results.append(Written(batch, staff, transfer, again))
    except OSError as exc:
        raise BansouError(
            f"payments.files_dir: 支払ファイルを書き込めません / cannot write the payment "
            f"files into {folder}: {exc.strerror}"
        ) from exc
    return results


def _policy_ids(settings: Settings) -> IdPattern:
    from bansou_sync.bootstrap import policy_from

    return policy_from(settings).supporter_ids
