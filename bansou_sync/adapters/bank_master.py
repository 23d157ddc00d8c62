"""The 全銀協 bank and branch codes, from the ``zengin-code`` package's master data.

The package loads its JSON master data when imported (about 0.2 s), so it is imported
here, on first use, and only by the commands that write payment files.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

from bansou_sync.core.payment_batches import BankDirectory, BankEntry


@cache
def _banks() -> dict[str, Any]:
    import zengin_code

    banks: dict[str, Any] = dict(zengin_code.Bank.all)
    return banks


def _shown(name: str) -> str:
    """The master data writes 三菱ＵＦＪ in full-width letters; staff read 三菱UFJ."""
    return unicodedata.normalize("NFKC", name)


class ZenginDirectory(BankDirectory):
    """``BankDirectory`` over zengin-code; its version names the data's date."""

    @property
    def version(self) -> str:
        import zengin_code

        return str(zengin_code.__version__)

    def bank(self, code: str) -> BankEntry | None:
        bank = _banks().get(code)
        return None if bank is None else BankEntry(bank.code, _shown(bank.name), bank.kana)

    def branch(self, bank_code: str, branch_code: str) -> BankEntry | None:
        bank = _banks().get(bank_code)
        branch = None if bank is None else bank.branches.get(branch_code)
        return None if branch is None else BankEntry(branch.code, _shown(branch.name), branch.kana)
