"""The 全銀協 総合振込 file against a golden file annotated by hand from the format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bansou_sync.core.zengin import (
    RECORD_BYTES,
    Payer,
    Transfer,
    data_record,
    to_zengin_kana,
    transfer_file,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "zengin" / "sogo_furikomi.yaml"


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def written(golden: dict[str, Any]) -> bytes:
    given = golden["input"]
    payer = Payer(**given["payer"])
    transfers = [Transfer(**t) for t in given["transfers"]]
    return transfer_file(payer, given["pay_date"], transfers)


def test_the_golden_annotation_covers_every_byte_of_every_record_once(
    golden: dict[str, Any],
) -> None:
    # a check on the hand-written annotation itself, so a typo there cannot hide a bug
    for record in golden["records"]:
        position = 1
        for start, end, name, _kind, _value in record["fields"]:
            assert start == position, f"{record['record']}: {name} starts at {start}"
            position = end + 1
        assert position == RECORD_BYTES + 1, record["record"]


def test_every_record_is_120_bytes_followed_by_crlf(written: bytes) -> None:
    assert written.endswith(b"\r\n")
    records = written.split(b"\r\n")[:-1]
    assert [len(r) for r in records] == [RECORD_BYTES] * 5
    assert len(written) == 5 * (RECORD_BYTES + 2)


def test_every_field_holds_the_value_annotated_by_hand(
    golden: dict[str, Any], written: bytes
) -> None:
    records = written.split(b"\r\n")[:-1]
    assert len(records) == len(golden["records"])
    for record, annotated in zip(records, golden["records"], strict=True):
        for start, end, name, kind, value in annotated["fields"]:
            field = record[start - 1 : end]
            width = end - start + 1
            if kind == "N":
                assert len(value) == width, f"annotation of {name}"
                expected = value.encode("ascii")
            else:
                expected = value.encode("shift_jis").ljust(width, b" ")
            assert field == expected, f"{annotated['record']} {name} ({start}-{end})"


def test_the_trailer_totals_match_the_data_records(written: bytes) -> None:
    records = written.split(b"\r\n")[:-1]
    data = [r for r in records if r[:1] == b"2"]
    trailer = next(r for r in records if r[:1] == b"8")
    assert int(trailer[1:7]) == len(data)
    assert int(trailer[7:19]) == sum(int(r[80:90]) for r in data)


def test_the_file_is_shift_jis_with_half_width_kana_one_byte_each(written: bytes) -> None:
    text = written.decode("shift_jis")
    assert "ｶｸｳﾉ ﾄﾜ" in text
    assert all(0xA1 <= b <= 0xDF or b < 0x80 for b in written)  # no double-byte characters


@pytest.mark.parametrize(
    ("typed", "kana"),
    [
        ("カクウノ トワ", "ｶｸｳﾉ ﾄﾜ"),
        ("かくうの　とわ", "ｶｸｳﾉ ﾄﾜ"),  # hiragana and a full-width space
        ("ｶｸｳﾉ ﾄﾜ", "ｶｸｳﾉ ﾄﾜ"),
        ("ジョン スミス", "ｼﾞﾖﾝ ｽﾐｽ"),  # small kana are recorded large
        ("ドロール フェイカロヴァ", "ﾄﾞﾛ-ﾙ ﾌｴｲｶﾛｳﾞｱ"),  # ー is written -
        ("ｓｍｉｔｈ　ｊｏｈｎ", "SMITH JOHN"),
        ("  カクウノ   トワ ", "ｶｸｳﾉ ﾄﾜ"),
        ("ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"),
    ],
)
def test_account_names_become_half_width_katakana(typed: str, kana: str) -> None:
    assert to_zengin_kana(typed) == kana


@pytest.mark.parametrize(
    "typed", ["架空野 十和", "ドロール・フェイカロヴァ", "", "  ", "ﾄﾜ♪", "tw@x"]
)
def test_characters_a_transfer_cannot_carry_make_the_name_invalid(typed: str) -> None:
    assert to_zengin_kana(typed) is None


def test_a_holder_name_longer_than_its_30_bytes_is_cut_as_banks_do() -> None:
    transfer = Transfer(
        bank_code="0009",
        bank_name="ﾐﾂｲｽﾐﾄﾓ",
        branch_code="001",
        branch_name="ｼﾞﾝﾎﾞｳﾁﾖｳ",
        account_type="1",
        account_number="0000001",
        holder="ﾌｴｲｶﾛｳﾞｱ ﾄﾞﾛ-ﾙ ｱﾚｸｻﾝﾄﾞﾗ ﾌｵﾝ ﾃｽﾄ",
        amount=6000,
    )
    record = data_record(transfer)
    assert len(record) == RECORD_BYTES
    assert record[50:80] == "ﾌｴｲｶﾛｳﾞｱ ﾄﾞﾛ-ﾙ ｱﾚｸｻﾝﾄﾞﾗ ﾌｵﾝ ﾃｽ".encode("shift_jis")  # 30 bytes
    assert record[80:90] == b"0000006000"
    assert record[91:101] == b" " * 10  # no customer code given


def test_an_amount_wider_than_its_field_is_refused_not_cut() -> None:
    too_much = Transfer("0001", "ﾐｽﾞﾎ", "001", "ﾄｳｷﾖｳ", "1", "0000001", "ﾃｽﾄ", 10**10)
    with pytest.raises(ValueError):
        data_record(too_much)
