"""``bansou-sync payment-files``: the staff CSV and the 全銀 transfer file of each batch.

Given the 支払 rows of the ledger (read read-only by the shell, safe beside a running
service), the treasurer's bank-details source for the accounts and zengin-code's bank
master (``cli_payments`` builds both from the configuration), it plans each batch in
the core and writes two files per batch into ``payments.files_dir``:

* ``支払_YYYY-MM-DD.csv`` — for staff: UTF-8 with BOM, CR LF, accounts masked;
* ``zengin_YYYY-MM-DD.txt`` — for online banking: Shift_JIS, 120-byte records, CR LF.

A batch whose files exist is "written" and skipped by default. ``--batch DATE`` writes
that batch again under the next free number (``_2``, ``_3``…) and never overwrites a
file that may already have been uploaded; rows ticked 支払済 since are not transferred
again. Bank details never reach the status sheet, the ledger or the logs; the log line
carries the pay date and counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from bansou_sync.core.excel import excel_csv
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
from bansou_sync.core.untrusted import formula_safe
from bansou_sync.core.zengin import Payer, transfer_file
from bansou_sync.errors import BansouError
from bansou_sync.ports import WriteFile

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


class DetailsSource(Protocol):
    def read(self) -> list[BankDetails]: ...


@dataclass(frozen=True)
class Written:
    batch: Batch
    staff_csv: Path
    transfer: Path | None  # None: nothing to transfer (every row held or paid)
    again: bool  # an earlier file of this pay date exists


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
    rows: list[Sequence[object]] = [STAFF_HEADERS]
    rows += (
        [
            line.pay_date.isoformat(),
            line.cutoff.isoformat(),
            line.supporter_id,
            formula_safe(line.name),
            line.count,
            line.amount,
            line.payee,
            line.state,
            line.reason_text,
        ]
        for line in batch.lines
    )
    return excel_csv(rows)


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
    rows: Sequence[PaymentRow],
    folder: Path,
    wanted: date | None,
    *,
    payer: Payer,
    source: DetailsSource,
    directory: BankDirectory,
    ids: IdPattern,
    write: WriteFile,
) -> list[Written]:
    """Plan and write the files of each batch still to write (or of ``wanted``): the
    shell gives the ledger's rows, the payer, where the bank details come from and how
    a file is written (atomically)."""
    dates = choose_dates(rows, folder, wanted)
    if not dates:
        return []
    details = index_details(source.read(), ids)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        results = []
        for pay_date in dates:
            batch = plan_batch(pay_date, rows, details, directory, ids)
            stem, again = _free_name(folder, pay_date)
            staff = folder / f"支払_{stem}.csv"
            write(staff, staff_csv(batch))
            transfer = None
            if batch.transfers:
                transfer = folder / f"zengin_{stem}.txt"
                write(transfer, transfer_file(payer, pay_date, batch.transfers))
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
