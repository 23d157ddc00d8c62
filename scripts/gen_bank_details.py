#!/usr/bin/env python3
"""Generate the treasurer's fictitious bank details for the reference supporters.

    python scripts/gen_bank_details.py [--out reference/bank_details.csv]

Runs ``gen_reference``'s simulation to learn which registration gets which 伴走ネットID,
then writes one row per ID: a real bank and branch code from the zengin-code master
data (so validation passes), a fictitious account number from a seeded generator, and
the registration's ふりがな as the account name — typed the ways people type it
(full-width katakana, hiragana, half-width kana; Excel having dropped a code's leading
zeros). A few rows are wrong on purpose, so the reference run shows every kind of hold
in its first batch (2022-07-08); ``SPECIAL`` lists them. Same seed, same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from pathlib import Path

import jaconv
import zengin_code

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_reference as ref

ROOT = Path(__file__).resolve().parents[1]
HEADERS = (
    "伴走ネットID",
    "銀行コード",
    "支店コード",
    "預金種目",
    "口座番号",
    "口座名義(カナ)",
    "メモ",
)
BANKS = ("0001", "0005", "0009", "0033", "9900")  # みずほ, 三菱UFJ, 三井住友, PayPay, ゆうちょ
SPECIAL = {  # 伴走ネットID → (what is wrong, the hold it causes)
    "BN-0003": ("no row at all", "bank_details_missing"),
    "BN-0005": ("a branch code the bank does not have", "branch_code_unknown"),
    "BN-0008": ("「・」 between the words of the account name", "account_name_invalid"),
    "BN-0010": ("an 8-digit account number", "account_number_invalid"),
}


def supporters() -> list[tuple[str, str]]:
    """(伴走ネットID, ふりがな) of every registration that gets an ID."""
    b = ref.Builder(ref.SEED)
    regs = ref.build_registrations(b)
    ref.build_special_applications(b, regs)
    ref.build_ordinary_applications(b)
    ref.simulate(b)
    return sorted((r.bn, r.person.kana) for r in b.regs if r.bn)


def rows(seed: int = ref.SEED) -> list[list[str]]:
    rng = random.Random(seed + 6)
    out = []
    for n, (bn, kana) in enumerate(supporters(), start=1):
        if SPECIAL.get(bn, ("", ""))[1] == "bank_details_missing":
            continue
        bank = zengin_code.Bank.all[BANKS[n % len(BANKS)]]
        branch = rng.choice(sorted(bank.branches))
        number = f"{rng.randrange(1, 10**7):07d}"
        holder = jaconv.hira2kata(kana)  # full-width katakana, as most people type it
        if n % 3 == 0:
            holder = kana  # hiragana
        elif n % 5 == 0:
            holder = jaconv.z2h(holder, kana=True, ascii=True)  # half-width already
        bank_code = bank.code.lstrip("0") if n % 4 == 0 else bank.code  # as Excel shows it
        account_type = "" if n % 6 == 0 else "普通"
        special = SPECIAL.get(bn, ("", ""))[1]
        if special == "branch_code_unknown":
            branch = next(f"{c:03d}" for c in range(999, 0, -1) if f"{c:03d}" not in bank.branches)
        elif special == "account_name_invalid":
            holder = jaconv.hira2kata(kana).replace(" ", "・")  # a bank refuses ・
        elif special == "account_number_invalid":
            number = "1" + number
        memo = f"テスト用の架空データ ({special})" if special else "テスト用の架空データ"
        out.append([bn, bank_code, branch, account_type, number, holder, memo])
    return out


def render(seed: int = ref.SEED) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows(seed))
    return "\ufeff" + buffer.getvalue()  # UTF-8 with BOM, as Excel saves "CSV UTF-8"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reference" / "bank_details.csv")
    args = parser.parse_args(argv)
    args.out.write_text(render(), encoding="utf-8", newline="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
