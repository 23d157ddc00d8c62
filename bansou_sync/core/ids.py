"""The identifiers bansou-sync issues (SPEC §5): 伴走ネットID, 申請番号, 相談者コード.

Volunteers quote them back by hand — 「bn-0007」「ＢＮ－０００７」「BN7」 — so parsing
accepts any case, any dash-like separator or none, and optional leading zeros, and
returns the canonical form. Anything else around the number is refused, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bansou_sync.core.model import MISSING, UNREADABLE, Problem
from bansou_sync.core.normalize import DASHES, fold

# What people put between the letters and the number (NFKC has already turned the
# full-width hyphen into "-" and half-width ｰ into ー).
_SEPARATORS = "-_ " + DASHES
_NUMBER = re.compile(rf"[\s{re.escape(_SEPARATORS)}]*([0-9]{{1,18}})")


@dataclass(frozen=True)
class IdPattern:
    """``prefix`` + the number zero-padded to ``digits``; larger numbers simply grow."""

    prefix: str
    digits: int

    @property
    def letters(self) -> str:
        """The prefix without its trailing separator: "BN" for "BN-"."""
        return self.prefix.rstrip(_SEPARATORS)

    def format(self, n: int) -> str:
        return f"{self.prefix}{n:0{self.digits}d}"

    def parse_number(self, raw: str | None) -> int | Problem:
        text = fold(raw).upper()
        if not text:
            return MISSING
        letters = fold(self.letters).upper()
        if not text.startswith(letters):
            return UNREADABLE
        m = _NUMBER.fullmatch(text, len(letters))
        if m is None or int(m[1]) == 0:
            return UNREADABLE
        return int(m[1])

    def parse(self, raw: str | None) -> str | Problem:
        n = self.parse_number(raw)
        return n if isinstance(n, Problem) else self.format(n)


SUPPORTER = IdPattern("BN-", 4)  # 伴走ネットID
APPLICATION = IdPattern("A-", 6)  # 申請番号
CLIENT = IdPattern("C-", 4)  # 相談者コード
