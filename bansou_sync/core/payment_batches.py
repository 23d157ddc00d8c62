"""Payment batches for the treasurer: which 支払 rows are transferred, which are held.

A **batch** is the 支払 tab's rows with one 支払予定日 (rows held by P12 have none and
belong to no batch yet). Each row is matched with the treasurer's **bank details**
(a separate source, never the status sheet) by 伴走ネットID and checked against the
bank master (zengin-code): a row whose details are missing or invalid is **held** —
left out of the transfer file and shown with its reason — so one bad row never stops
the others from being paid. Rows already ticked 支払済 are listed but never transferred
again.

Pure: the rows, the details and the bank directory come in as plain values.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bansou_sync.core.ids import SUPPORTER, IdPattern
from bansou_sync.core.model import Problem
from bansou_sync.core.zengin import ACCOUNT_TYPE_LABELS, ACCOUNT_TYPES, Transfer, to_zengin_kana

TRANSFER, HELD, PAID = "振込", "保留", "支払済"

HOLD_REASONS = {
    "bank_details_missing": "口座情報ファイルにこの伴走ネットIDの行がありません",
    "bank_details_duplicate": "口座情報ファイルにこの伴走ネットIDの行が複数あります",
    "bank_code_unknown": "銀行コードが全銀協の銀行コード一覧にありません",
    "branch_code_unknown": "支店コードがその銀行の支店コード一覧にありません",
    "account_type_invalid": "預金種目が 普通・当座・貯蓄 のいずれでもありません",
    "account_number_invalid": "口座番号が7桁以内の数字ではありません",
    "account_name_invalid": "口座名義(カナ)が空か、振込に使えない文字(漢字・記号など)を含みます",
}


@dataclass(frozen=True)
class BankEntry:
    code: str
    name: str  # as people write it: 三井住友, 東京営業部
    kana: str  # full-width katakana from the master data


class BankDirectory(Protocol):
    """The bank/branch master data (全銀協 codes)."""

    def bank(self, code: str) -> BankEntry | None: ...

    def branch(self, bank_code: str, branch_code: str) -> BankEntry | None: ...


@dataclass(frozen=True)
class BankDetails:
    """One row of the treasurer's bank-details source, as typed (untrusted text)."""

    supporter_id: str
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder: str


@dataclass(frozen=True)
class PaymentRow:
    """One 支払 row (締め日 + 伴走ネットID) that has a pay date."""

    pay_date: date
    cutoff: date
    supporter_id: str
    name: str
    count: int
    amount: int
    paid: bool


@dataclass(frozen=True)
class StaffLine:
    pay_date: date
    cutoff: date
    supporter_id: str
    name: str
    count: int
    amount: int
    payee: str  # masked: bank, branch, type and the account's last 3 digits
    state: str  # 振込 / 保留 / 支払済
    reason: str  # hold reason code, "" when none

    @property
    def reason_text(self) -> str:
        return f"{self.reason}: {HOLD_REASONS[self.reason]}" if self.reason else ""


@dataclass(frozen=True)
class Batch:
    pay_date: date
    lines: tuple[StaffLine, ...]
    transfers: tuple[Transfer, ...]

    @property
    def held(self) -> tuple[StaffLine, ...]:
        return tuple(line for line in self.lines if line.state == HELD)

    @property
    def total(self) -> int:
        return sum(t.amount for t in self.transfers)


def _digits(raw: str, width: int) -> str | None:
    """Up to ``width`` digits, zero-filled: Excel drops the leading zeros of codes."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > width:
        return None
    return text.zfill(width)


def check_details(
    details: BankDetails, amount: int, customer_code: str, directory: BankDirectory
) -> tuple[Transfer | None, str, str]:
    """(the transfer or None, the hold reason or "", the masked payee)."""
    bank_code = _digits(details.bank_code, 4)
    bank = directory.bank(bank_code) if bank_code else None
    if bank_code is None or bank is None:
        return None, "bank_code_unknown", ""
    branch_code = _digits(details.branch_code, 3)
    branch = directory.branch(bank_code, branch_code) if branch_code else None
    if branch_code is None or branch is None:
        return None, "branch_code_unknown", bank.name
    account_type = ACCOUNT_TYPES.get(unicodedata.normalize("NFKC", details.account_type).strip())
    if not details.account_type.strip():
        account_type = "1"  # a blank 預金種目 is 普通, the account nearly everyone has
    where = f"{bank.name} {branch.name}"
    if account_type is None:
        return None, "account_type_invalid", where
    where += f" {ACCOUNT_TYPE_LABELS[account_type]}"
    number = _digits(details.account_number, 7)
    if number is None:
        return None, "account_number_invalid", where
    payee = f"{where} ****{number[-3:]}"
    holder = to_zengin_kana(details.holder)
    bank_kana, branch_kana = to_zengin_kana(bank.kana), to_zengin_kana(branch.kana)
    if holder is None:
        return None, "account_name_invalid", payee
    transfer = Transfer(
        bank_code=bank_code,
        bank_name=bank_kana or "",
        branch_code=branch_code,
        branch_name=branch_kana or "",
        account_type=account_type,
        account_number=number,
        holder=holder,
        amount=amount,
        customer_code=customer_code,
    )
    return transfer, "", payee


def index_details(
    rows: Iterable[BankDetails], ids: IdPattern = SUPPORTER
) -> dict[str, list[BankDetails]]:
    """Rows by canonical 伴走ネットID (「bn-7」 is BN-0007); unreadable IDs match nothing."""
    found: dict[str, list[BankDetails]] = defaultdict(list)
    for row in rows:
        key = ids.parse(row.supporter_id)
        if not isinstance(key, Problem):
            found[key].append(row)
    return dict(found)


def plan_batch(
    pay_date: date,
    rows: Sequence[PaymentRow],
    details: Mapping[str, Sequence[BankDetails]],
    directory: BankDirectory,
    ids: IdPattern = SUPPORTER,
) -> Batch:
    lines: list[StaffLine] = []
    transfers: list[Transfer] = []
    for row in sorted(rows, key=lambda r: (r.supporter_id, r.cutoff)):
        if row.pay_date != pay_date:
            continue
        number = ids.parse_number(row.supporter_id)
        customer = "" if isinstance(number, Problem) or number >= 10**10 else str(number)
        found = details.get(row.supporter_id, ())
        transfer: Transfer | None = None
        payee = ""
        if not found:
            reason = "bank_details_missing"
        elif len(found) > 1:
            reason = "bank_details_duplicate"
        else:
            transfer, reason, payee = check_details(found[0], row.amount, customer, directory)
        if row.paid:
            state, reason = PAID, ""
        elif transfer is None:
            state = HELD
        else:
            state = TRANSFER
            transfers.append(transfer)
        lines.append(
            StaffLine(
                pay_date=row.pay_date,
                cutoff=row.cutoff,
                supporter_id=row.supporter_id,
                name=row.name,
                count=row.count,
                amount=row.amount,
                payee=payee,
                state=state,
                reason=reason,
            )
        )
    return Batch(pay_date, tuple(lines), tuple(transfers))


def batch_dates(rows: Iterable[PaymentRow]) -> list[date]:
    return sorted({row.pay_date for row in rows})
