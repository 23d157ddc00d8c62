"""The 全銀協 総合振込 (zengin) transfer file: half-width kana and 120-byte records.

Vocabulary (全国銀行協会 規定の「総合振込」レコード・フォーマット):

* **record** — 120 bytes of Shift_JIS, followed by CR LF. The first byte (データ区分)
  says which: ``1`` header (依頼人 = the payer, 振込指定日), ``2`` data (one transfer),
  ``8`` trailer (合計件数・合計金額), ``9`` end.
* **N field** — digits, right-aligned, zero-filled. **C field** — half-width characters
  (digits, upper-case letters, half-width katakana and a few symbols), left-aligned,
  space-filled; text longer than the field is cut, as banks do with long names.
* **zengin kana** — what a C field may hold. Names arrive as full-width katakana,
  hiragana or mixed width; ``to_zengin_kana`` converts what is unambiguous and refuses
  the rest (kanji, ・, emoji): a name the bank would reject must never reach the file.

Pure functions only: the bank/branch master data and the payer's settings come in as
plain values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import jaconv

RECORD_BYTES = 120
CRLF = b"\r\n"
KIND_TRANSFER = "21"  # 種別コード 21: 総合振込
CODE_SJIS = "0"  # コード区分 0: JIS / Shift_JIS

# 預金種目: the codes the format defines, by the words people write
ACCOUNT_TYPES = {"普通": "1", "当座": "2", "貯蓄": "4", "1": "1", "2": "2", "4": "4"}
ACCOUNT_TYPE_LABELS = {"1": "普通", "2": "当座", "4": "貯蓄"}

_SMALL_TO_LARGE = str.maketrans("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ")  # banks record small kana large
_LONG_VOWEL = str.maketrans({"ｰ": "-", "‐": "-", "−": "-", "－": "-"})  # 長音 is written "-"
# The characters a zengin C field may hold (JIS X 0201 subset used by 全銀).
_ALLOWED = re.compile(r"[0-9A-Zｦｱ-ﾝﾞﾟ ()\-./,｢｣\\]*")


def to_zengin_kana(text: str) -> str | None:
    """``やまだ　たろう`` → ``ﾔﾏﾀﾞ ﾀﾛｳ``; ``None`` when a character cannot be written."""
    converted = jaconv.z2h(jaconv.hira2kata(text.strip()), kana=True, ascii=True, digit=True)
    converted = converted.upper().translate(_SMALL_TO_LARGE).translate(_LONG_VOWEL)
    converted = " ".join(converted.split())  # one space between words, as banks register
    if not converted or not _ALLOWED.fullmatch(converted):
        return None
    return converted


@dataclass(frozen=True)
class Payer:
    """The 依頼人 (the secretariat's own account) as the header record needs it."""

    client_code: str  # 依頼人コード, 10 digits, given by the bank
    name: str  # 依頼人名, zengin kana
    bank_code: str
    bank_name: str  # zengin kana
    branch_code: str
    branch_name: str  # zengin kana
    account_type: str  # "1" 普通, "2" 当座, "4" 貯蓄
    account_number: str  # 7 digits


@dataclass(frozen=True)
class Transfer:
    """One data record: who receives how much, and the reference we put on it."""

    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str
    holder: str  # 受取人名, zengin kana
    amount: int
    customer_code: str = ""  # 顧客コード1 (digits): the 伴走ネットID's number, for matching


def _n(value: str | int, width: int) -> bytes:
    text = str(value)
    if not text.isdigit() or len(text) > width:
        raise ValueError(f"numeric field of {width}: {text!r}")
    return text.rjust(width, "0").encode("ascii")


def _c(text: str, width: int) -> bytes:
    data = text.encode("shift_jis")  # zengin kana are all one byte each
    return data[:width].ljust(width, b" ")


def _blank(width: int) -> bytes:
    return b" " * width


def _record(*fields: bytes) -> bytes:
    record = b"".join(fields)
    if len(record) != RECORD_BYTES:  # a wrong width table is a bug, never a bank's problem
        raise AssertionError(f"zengin record of {len(record)} bytes")
    return record


def header_record(payer: Payer, pay_date: date) -> bytes:
    return _record(
        b"1",
        KIND_TRANSFER.encode(),
        CODE_SJIS.encode(),
        _n(payer.client_code, 10),
        _c(payer.name, 40),
        _n(pay_date.strftime("%m%d"), 4),  # 振込指定日 MMDD
        _n(payer.bank_code, 4),
        _c(payer.bank_name, 15),
        _n(payer.branch_code, 3),
        _c(payer.branch_name, 15),
        _n(payer.account_type, 1),
        _n(payer.account_number, 7),
        _blank(17),
    )


def data_record(transfer: Transfer) -> bytes:
    return _record(
        b"2",
        _n(transfer.bank_code, 4),
        _c(transfer.bank_name, 15),
        _n(transfer.branch_code, 3),
        _c(transfer.branch_name, 15),
        _blank(4),  # 手形交換所番号: not used for transfers
        _n(transfer.account_type, 1),
        _n(transfer.account_number, 7),
        _c(transfer.holder, 30),
        _n(transfer.amount, 10),
        b"0",  # 新規コード 0: no change reported to the bank
        _n(transfer.customer_code, 10) if transfer.customer_code else _blank(10),
        _blank(10),  # 顧客コード2
        _blank(1),  # 振込指定区分: the bank's default (telegraphic)
        _blank(1),  # 識別表示: blank, so 顧客コード are customer codes, not EDI
        _blank(7),
    )


def trailer_record(count: int, total: int) -> bytes:
    return _record(b"8", _n(count, 6), _n(total, 12), _blank(101))


def end_record() -> bytes:
    return _record(b"9", _blank(119))


def transfer_file(payer: Payer, pay_date: date, transfers: Sequence[Transfer]) -> bytes:
    """The whole file: header, one data record per transfer, trailer, end; CR LF each."""
    records = [
        header_record(payer, pay_date),
        *(data_record(t) for t in transfers),
        trailer_record(len(transfers), sum(t.amount for t in transfers)),
        end_record(),
    ]
    return b"".join(record + CRLF for record in records)
