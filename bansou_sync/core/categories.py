"""Which answer labels may be published by name (SPEC §8: free text is never published).

Checkbox questions accept an 「その他」 answer typed freely, and 国籍 is typed freely: a
label given by fewer than ``min_cell`` applications could be anything — even a name — so
``pool`` publishes it under ``RARE`` unless it is a known category: the reference form's
options, the 47 prefectures, the placeholders for blank answers. A label given by at
least ``min_cell`` applications is a category in use and keeps its name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

RARE = "その他(少数の回答)"

PREFECTURES = frozenset(
    [
        "北海道",
        "青森県",
        "岩手県",
        "宮城県",
        "秋田県",
        "山形県",
        "福島県",
        "茨城県",
        "栃木県",
        "群馬県",
        "埼玉県",
        "千葉県",
        "東京都",
        "神奈川県",
        "新潟県",
        "富山県",
        "石川県",
        "福井県",
        "山梨県",
        "長野県",
        "岐阜県",
        "静岡県",
        "愛知県",
        "三重県",
        "滋賀県",
        "京都府",
        "大阪府",
        "兵庫県",
        "奈良県",
        "和歌山県",
        "鳥取県",
        "島根県",
        "岡山県",
        "広島県",
        "山口県",
        "徳島県",
        "香川県",
        "愛媛県",
        "高知県",
        "福岡県",
        "佐賀県",
        "長崎県",
        "熊本県",
        "大分県",
        "宮崎県",
        "鹿児島県",
        "沖縄県",
    ]
)
TOPICS = frozenset(
    [
        "生活保護・生活困窮",
        "住まい",
        "医療",
        "仕事・労働",
        "在留資格",
        "教育・子ども",
        "行政手続き",
        "その他",
    ]
)
DESTINATIONS = frozenset(
    ["市区町村役所", "福祉事務所", "入管", "病院", "ハローワーク", "学校", "法律事務所", "その他"]
)
OUTCOMES = frozenset(
    [
        "生活保護",
        "医療費助成",
        "住居確保給付金",
        "緊急小口資金",
        "在留資格の更新・変更",
        "就学援助",
        "なし",
    ]
)
PLACEHOLDERS = frozenset({"不明", "なし"})
KNOWN: dict[str, frozenset[str]] = {
    "prefecture": PREFECTURES | PLACEHOLDERS,
    "nationality": PLACEHOLDERS,
    "topics": TOPICS | PLACEHOLDERS,
    "destinations": DESTINATIONS | PLACEHOLDERS,
    "outcomes": OUTCOMES | PLACEHOLDERS,
}


def rare_labels(column: str, labels: Iterable[str], min_cell: int) -> frozenset[str]:
    """The labels of ``column`` to publish as ``RARE``: unknown and given fewer times."""
    return rare_among(column, Counter(labels), min_cell)


def rare_among(column: str, counts: Mapping[str, int], min_cell: int) -> frozenset[str]:
    """``rare_labels`` from the labels already counted (``stats.Tally`` keeps counts)."""
    known = KNOWN.get(column)
    if known is None:  # months, verdicts, keyword categories: never free text
        return frozenset()
    return frozenset(k for k, n in counts.items() if n < min_cell and k not in known)
