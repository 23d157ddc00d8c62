"""The narrative (支援の内容) reduced to categories by a keyword map (SPEC §8).

Free text is never published: a narrative counts under every category one of whose
keywords it contains (after NFKC and case folding, so 「ﾊﾛｰﾜｰｸ」 and 「ハローワーク」 match
alike), under ``UNMATCHED`` when it matches none, and under ``EMPTY`` when it is blank.
Staff refine the map (``privacy.topic_keywords``) from the list of applications whose
narrative matched nothing — a list of 申請番号, never of texts.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence

KeywordMap = tuple[tuple[str, tuple[str, ...]], ...]  # (category, keywords) in config order

UNMATCHED, EMPTY = "分類なし", "記入なし"

# The default map, for the reference form's topics; config.example.yaml shows it.
DEFAULT_KEYWORDS: KeywordMap = (
    ("生活保護・生活困窮", ("生活保護", "福祉事務所", "生活困窮", "食料", "フードバンク")),
    ("住まい", ("家賃", "住まい", "住居", "アパート", "退去")),
    ("医療", ("病院", "受診", "医師", "診療", "薬")),
    ("仕事・労働", ("ハローワーク", "求職", "仕事", "労働", "解雇", "賃金")),
    ("在留資格", ("在留資格", "入管", "ビザ", "仮放免")),
    ("教育・子ども", ("学校", "就学", "子ども", "保育")),
    ("行政手続き", ("役所", "住民票", "国民健康保険", "年金", "区役所", "市役所")),
)


def keyword_map(raw: Mapping[str, Sequence[str]]) -> KeywordMap:
    return tuple((category, tuple(words)) for category, words in raw.items())


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@functools.lru_cache(maxsize=8)
def _folded(keywords: KeywordMap) -> KeywordMap:
    """The map's keywords folded once, not once per narrative (every narrative is read
    against the same map)."""
    return tuple((category, tuple(_fold(w) for w in words)) for category, words in keywords)


def categories(narrative: str, keywords: KeywordMap) -> tuple[str, ...]:
    """The categories of one narrative, in map order; ``(EMPTY,)`` / ``(UNMATCHED,)``."""
    text = _fold(narrative).strip()
    if not text:
        return (EMPTY,)
    found = tuple(
        category
        for category, words in _folded(keywords)
        if any(map(text.__contains__, words))  # a keyword anywhere in the text
    )
    return found or (UNMATCHED,)
