"""The treasurer's bank-details CSV as people save it, and the fictitious reference file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bansou_sync.adapters.bank_details import CsvBankDetails
from bansou_sync.core.payment_batches import BankDetails
from bansou_sync.errors import BankDetailsUnavailable

ROOT = Path(__file__).resolve().parents[2]
HEADER = "伴走ネットID,氏名,銀行コード,支店コード,口座番号,口座名義(カナ)\r\n"


def test_a_csv_saved_by_excel_in_cp932_is_read_with_extra_columns_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    text = HEADER + "BN-0001,伴走 太郎,5,1,4567,ﾊﾞﾝｿｳ ﾀﾛｳ\r\n,,,,,\r\n"
    path.write_bytes(text.encode("cp932"))
    assert CsvBankDetails(path).read() == [
        BankDetails("BN-0001", "5", "1", "", "4567", "ﾊﾞﾝｿｳ ﾀﾛｳ")  # 預金種目 absent: blank
    ]


def test_a_missing_column_is_named_without_showing_any_value(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text("伴走ネットID,銀行コード\r\nBN-0001,0005\r\n", encoding="utf-8-sig")
    with pytest.raises(BankDetailsUnavailable) as caught:
        CsvBankDetails(path).read()
    assert "支店コード" in str(caught.value) and "0005" not in str(caught.value)


def test_a_missing_file_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(BankDetailsUnavailable, match=r"payments\.bank_details\.path"):
        CsvBankDetails(tmp_path / "none.csv").read()


def test_the_reference_bank_details_are_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "bank_details.csv"
    script = ROOT / "scripts" / "gen_bank_details.py"
    subprocess.run([sys.executable, str(script), "--out", str(out)], check=True, timeout=120)
    assert out.read_bytes() == (ROOT / "reference" / "bank_details.csv").read_bytes()
