"""Planning a payment batch from plain data: who is transferred, who is held and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bansou_sync.adapters.bank_master import ZenginDirectory
from bansou_sync.core.payment_batches import (
    HELD,
    HOLD_REASONS,
    PAID,
    TRANSFER,
    BankDetails,
    BankEntry,
    PaymentRow,
    check_details,
    index_details,
    plan_batch,
)

PAY, CUTOFF = date(2022, 7, 8), date(2022, 6, 20)


@dataclass
class FakeDirectory:
    """Two fictitious banks; the same interface as the zengin-code directory."""

    banks: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = field(
        default_factory=lambda: {
            "0001": ("見本", "ミホン", {"001": ("本店", "ホンテン")}),
            "0123": ("架空信用", "カクウシンヨウ", {"010": ("駅前", "エキマエ")}),
        }
    )

    def bank(self, code: str) -> BankEntry | None:
        found = self.banks.get(code)
        return BankEntry(code, found[0], found[1]) if found else None

    def branch(self, bank_code: str, branch_code: str) -> BankEntry | None:
        found = self.banks.get(bank_code)
        branch = found[2].get(branch_code) if found else None
        return BankEntry(branch_code, branch[0], branch[1]) if branch else None


def row(sid: str, amount: int = 6000, paid: bool = False, pay: date = PAY) -> PaymentRow:
    return PaymentRow(pay, CUTOFF, sid, f"伴走 {sid[-1]}郎", 1, amount, paid)


def details(sid: str, **changes: str) -> BankDetails:
    values = {
        "supporter_id": sid,
        "bank_code": "0001",
        "branch_code": "001",
        "account_type": "普通",
        "account_number": "1234567",
        "holder": "ばんそう たろう",
    }
    return BankDetails(**(values | changes))


def test_valid_details_become_a_transfer_in_half_width_kana_with_the_bank_names() -> None:
    transfer, reason, payee = check_details(details("BN-0001"), 6000, "1", FakeDirectory())
    assert reason == ""
    assert transfer is not None
    assert (transfer.bank_name, transfer.branch_name, transfer.holder) == (
        "ﾐﾎﾝ",
        "ﾎﾝﾃﾝ",
        "ﾊﾞﾝｿｳ ﾀﾛｳ",
    )
    assert (transfer.account_type, transfer.account_number, transfer.amount) == (
        "1",
        "1234567",
        6000,
    )
    assert payee == "見本 本店 普通 ****567"


def test_codes_that_excel_shortened_get_their_leading_zeros_back() -> None:
    typed = details("BN-0001", bank_code="123", branch_code="10", account_number="4567")
    transfer, reason, _ = check_details(typed, 6000, "1", FakeDirectory())
    assert reason == ""
    assert transfer is not None
    assert (transfer.bank_code, transfer.branch_code, transfer.account_number) == (
        "0123",
        "010",
        "0004567",
    )


def test_each_kind_of_bad_detail_holds_the_payment_with_its_own_reason() -> None:
    cases = {
        "bank_code_unknown": details("X", bank_code="0999"),
        "branch_code_unknown": details("X", branch_code="999"),
        "account_type_invalid": details("X", account_type="定期"),
        "account_number_invalid": details("X", account_number="12345678"),
        "account_name_invalid": details("X", holder="伴走 太郎"),
    }
    for expected, typed in cases.items():
        transfer, reason, _ = check_details(typed, 6000, "", FakeDirectory())
        assert (transfer, reason) == (None, expected)
        assert HOLD_REASONS[reason]  # every reason has its Japanese text


def test_a_blank_account_type_is_an_ordinary_account() -> None:
    transfer, _, payee = check_details(details("X", account_type=""), 6000, "", FakeDirectory())
    assert transfer is not None and transfer.account_type == "1"
    assert "普通" in payee


def test_a_batch_transfers_the_valid_rows_and_holds_the_rest_without_stopping() -> None:
    rows = [
        row("BN-0001", 6000),
        row("BN-0002", 10000),
        row("BN-0003", 16000),
        row("BN-0004", 6000, paid=True),
        row("BN-0005", 6000),
        row("BN-0006", 6000, pay=date(2022, 8, 10)),  # another batch
    ]
    found = index_details(
        [
            details("bn-1"),  # typed by hand: still BN-0001
            details("BN-0003", account_number="12-34"),
            details("BN-0004"),
            details("BN-0005"),
            details("BN-0005", holder="ほかの なまえ"),
            details("BN-0006"),
        ]
    )
    batch = plan_batch(PAY, rows, found, FakeDirectory())
    states = [(line.supporter_id, line.state, line.reason) for line in batch.lines]
    assert states == [
        ("BN-0001", TRANSFER, ""),
        ("BN-0002", HELD, "bank_details_missing"),
        ("BN-0003", HELD, "account_number_invalid"),
        ("BN-0004", PAID, ""),  # already paid: listed, never transferred again
        ("BN-0005", HELD, "bank_details_duplicate"),
    ]
    assert [(t.customer_code, t.amount) for t in batch.transfers] == [("1", 6000)]
    assert batch.total == 6000
    assert batch.lines[1].reason_text.startswith("bank_details_missing: 口座情報ファイル")


def test_the_zengin_code_master_data_knows_real_banks_and_branches() -> None:
    directory = ZenginDirectory()
    bank = directory.bank("0009")
    assert bank is not None and bank.kana == "ミツイスミトモ"
    assert directory.branch("0009", "001") is not None
    assert directory.bank("0008") is None  # no bank has this code
    assert directory.branch("0009", "999") is None
