"""The closed lists a published label comes from (SPEC §8; issue 10 §2).

A label in the 統計 tab or the report is never an answer's own text, however many
applications give it: one volunteer filing five applications would otherwise publish an
address typed as 活動地域, or a client's name typed in 「その他」. Each answer is read into
one label of a closed list, or the fallback:

* checkbox questions (相談内容, 同行先, つながった公的支援): the reference form's options
  (``FORM_OPTIONS``, checked against ``reference/forms/application.form.json`` by the
  tests); anything else — the text typed in the 「その他」 option — is ``OTHER``;
* 活動地域: the 47 prefectures (``prefecture``: the full name, the name without 都/府/県,
  its reading in kana or romaji, or an address that starts with one full name and names
  no other); anything else ``OTHER``;
* 国籍: the configured nationalities and regions (``privacy.nationalities``, default
  ``DEFAULT_NATIONALITIES``), each with its aliases (English names, official names);
  anything else ``OTHER``;
* blank answers: ``UNKNOWN`` (国籍, 活動地域, 相談内容) or ``NONE`` (同行先, 公的支援).

Matching is deliberately conservative: only what is unambiguous after width, case and
spacing are folded. A nationality written with a name beside it, or 「コンゴ」 (which one?)
is ``OTHER``: staff see the answer itself in the ledger, the public never does.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

OTHER, UNKNOWN, NONE = "その他", "不明", "なし"
FALLBACKS = frozenset({OTHER, UNKNOWN, NONE})

# --- the form's fixed options ---------------------------------------------------------

FORM_OPTIONS: dict[str, tuple[str, ...]] = {
    "topics": (
        "生活保護・生活困窮",
        "住まい",
        "医療",
        "仕事・労働",
        "在留資格",
        "教育・子ども",
        "行政手続き",
        "その他",
    ),
    "destinations": (
        "市区町村役所",
        "福祉事務所",
        "入管",
        "病院",
        "ハローワーク",
        "学校",
        "法律事務所",
        "その他",
    ),
    "outcomes": (
        "生活保護",
        "医療費助成",
        "住居確保給付金",
        "緊急小口資金",
        "在留資格の更新・変更",
        "就学援助",
        "なし",
    ),
}
# the registration form's fixed options (伴走ネット登録, SPEC §3; issue 15 §2)
FORM_OPTIONS["languages"] = (
    "日本語",
    "やさしい日本語",
    "英語",
    "中国語",
    "韓国語",
    "ベトナム語",
    "タガログ語",
    "ポルトガル語",
    "スペイン語",
    "ネパール語",
    "インドネシア語",
    "ミャンマー語",
    "その他",
)
FORM_OPTIONS["wants_course"] = ("はい", "いいえ")
BLANK_OPTION = {"topics": UNKNOWN, "destinations": NONE, "outcomes": NONE}
BLANK_OPTION |= {"languages": UNKNOWN, "wants_course": UNKNOWN}


def _nfkc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


@functools.lru_cache(maxsize=4096)
def _option(column: str, answer: str) -> str:
    text = _nfkc(answer)
    for option in FORM_OPTIONS[column]:
        if _nfkc(option) == text:
            return option
    return OTHER


def options(column: str, answers: Iterable[str]) -> list[str]:
    """A checkbox answer's labels: each chosen option, 「その他」 text as ``OTHER``."""
    labels = [_option(column, a) for a in answers if a and a.strip()]
    return list(dict.fromkeys(labels)) or [BLANK_OPTION[column]]


# --- the 47 prefectures ---------------------------------------------------------------

# (full name, reading of the name without its suffix, romaji of the same)
_PREFECTURES = (
    ("北海道", "ほっかいどう", "hokkaido"),
    ("青森県", "あおもり", "aomori"),
    ("岩手県", "いわて", "iwate"),
    ("宮城県", "みやぎ", "miyagi"),
    ("秋田県", "あきた", "akita"),
    ("山形県", "やまがた", "yamagata"),
    ("福島県", "ふくしま", "fukushima"),
    ("茨城県", "いばらき", "ibaraki"),
    ("栃木県", "とちぎ", "tochigi"),
    ("群馬県", "ぐんま", "gunma"),
    ("埼玉県", "さいたま", "saitama"),
    ("千葉県", "ちば", "chiba"),
    ("東京都", "とうきょう", "tokyo"),
    ("神奈川県", "かながわ", "kanagawa"),
    ("新潟県", "にいがた", "niigata"),
    ("富山県", "とやま", "toyama"),
    ("石川県", "いしかわ", "ishikawa"),
    ("福井県", "ふくい", "fukui"),
    ("山梨県", "やまなし", "yamanashi"),
    ("長野県", "ながの", "nagano"),
    ("岐阜県", "ぎふ", "gifu"),
    ("静岡県", "しずおか", "shizuoka"),
    ("愛知県", "あいち", "aichi"),
    ("三重県", "みえ", "mie"),
    ("滋賀県", "しが", "shiga"),
    ("京都府", "きょうと", "kyoto"),
    ("大阪府", "おおさか", "osaka"),
    ("兵庫県", "ひょうご", "hyogo"),
    ("奈良県", "なら", "nara"),
    ("和歌山県", "わかやま", "wakayama"),
    ("鳥取県", "とっとり", "tottori"),
    ("島根県", "しまね", "shimane"),
    ("岡山県", "おかやま", "okayama"),
    ("広島県", "ひろしま", "hiroshima"),
    ("山口県", "やまぐち", "yamaguchi"),
    ("徳島県", "とくしま", "tokushima"),
    ("香川県", "かがわ", "kagawa"),
    ("愛媛県", "えひめ", "ehime"),
    ("高知県", "こうち", "kochi"),
    ("福岡県", "ふくおか", "fukuoka"),
    ("佐賀県", "さが", "saga"),
    ("長崎県", "ながさき", "nagasaki"),
    ("熊本県", "くまもと", "kumamoto"),
    ("大分県", "おおいた", "oita"),
    ("宮崎県", "みやざき", "miyazaki"),
    ("鹿児島県", "かごしま", "kagoshima"),
    ("沖縄県", "おきなわ", "okinawa"),
)
PREFECTURES = tuple(name for name, _, _ in _PREFECTURES)
# long vowels as a Japanese keyboard spells them (とうきょう → toukyou) besides Hepburn
_WAPURO = {"tokyo": "toukyou", "kyoto": "kyouto", "osaka": "oosaka", "hyogo": "hyougo"}
_WAPURO |= {"kochi": "kouchi", "oita": "ooita"}
_SUFFIX = {"都": ("と", "to"), "府": ("ふ", "fu"), "県": ("けん", "ken"), "道": ("", "")}


def _fold(text: str) -> str:
    """NFKC, case-folded, katakana as hiragana, without spaces and ・-.'’ (for matching)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)
    return re.sub(r"[\s・･\-‐－.'’]+", "", text)


def _latin(text: str) -> str:
    """Latin letters without their accents (Tōkyō → tokyo); other text unchanged."""
    if not text.isascii() and all(unicodedata.category(c)[0] in "LMZP" for c in text):
        stripped = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
        if stripped.isascii():
            return stripped
    return text


def _prefecture_spellings() -> dict[str, str]:
    spellings: dict[str, str] = {}
    for name, kana, roman in _PREFECTURES:
        suffix = name[-1] if name != "北海道" else "道"
        short = name[:-1] if name != "北海道" else name
        kana_suffix, roman_suffix = _SUFFIX[suffix]
        romans = {roman, _WAPURO.get(roman, roman)}
        forms = {name, short, kana, kana + kana_suffix}
        for r in romans:
            forms |= {r, r + roman_suffix, r + "prefecture", r + "pref", r + roman_suffix + "pref"}
        if name == "東京都":
            forms |= {"tokyometropolis", "tokyometropolitan"}
        spellings.update({_fold(f): name for f in forms})
    return spellings


_PREF_SPELLINGS = _prefecture_spellings()


@functools.lru_cache(maxsize=4096)
def prefecture(answer: str) -> str:
    """One of the 47 prefectures, ``UNKNOWN`` when blank, else ``OTHER`` (module doc)."""
    text = _nfkc(answer or "")
    if not text or text == UNKNOWN:  # an application keeps its supporter's label: 不明 stays
        return UNKNOWN
    found = _PREF_SPELLINGS.get(_fold(_latin(text)))
    if found:
        return found
    # an address: it starts with one full name (東京都新宿区…) and names no other
    compact = "".join(text.split())
    starts = [name for name in PREFECTURES if compact.startswith(name)]
    if len(starts) == 1:
        rest = compact[len(starts[0]) :]
        if not any(name in rest for name in PREFECTURES):
            return starts[0]
    return OTHER


def prefecture_order(labels: Iterable[str]) -> list[str]:
    """Prefectures in JIS code order (北海道 … 沖縄県), then 不明, then その他 and
    anything else (issue 15 §2: every table lists them so)."""
    rank = {name: i for i, name in enumerate((*PREFECTURES, UNKNOWN, OTHER))}
    return sorted(labels, key=lambda label: (rank.get(label, len(rank)), label))


def option_order(column: str, labels: Iterable[str]) -> list[str]:
    """A question's labels in the form's order, the fallbacks after them."""
    rank = {name: i for i, name in enumerate((*FORM_OPTIONS[column], UNKNOWN, NONE))}
    return sorted(labels, key=lambda label: (rank.get(label, len(rank)), label))


# --- nationalities and regions --------------------------------------------------------

NationalityMap = tuple[tuple[str, tuple[str, ...]], ...]  # (label, aliases) in config order

DEFAULT_NATIONALITIES: NationalityMap = (
    ("中国", ("中華人民共和国", "中國", "China", "Chinese", "PRC")),
    ("台湾", ("臺灣", "Taiwan", "Taiwanese")),
    ("香港", ("Hong Kong",)),
    ("韓国", ("大韓民国", "South Korea", "Republic of Korea")),
    ("朝鮮", ("朝鮮籍",)),
    ("フィリピン", ("フィリピン共和国", "Philippines", "Filipino", "Filipina", "Pilipinas")),
    ("ベトナム", ("ヴェトナム", "越南", "Vietnam", "Viet Nam", "Vietnamese")),
    ("ネパール", ("Nepal", "Nepali", "Nepalese")),
    ("インドネシア", ("Indonesia", "Indonesian")),
    ("タイ", ("タイ王国", "Thailand", "Thai")),
    ("ミャンマー", ("ビルマ", "Myanmar", "Burma", "Burmese")),
    ("スリランカ", ("Sri Lanka", "Sri Lankan")),
    ("バングラデシュ", ("バングラディシュ", "Bangladesh", "Bangladeshi")),
    ("パキスタン", ("Pakistan", "Pakistani")),
    ("インド", ("India", "Indian")),
    ("カンボジア", ("Cambodia", "Cambodian")),
    ("ラオス", ("Laos", "Lao")),
    ("マレーシア", ("Malaysia", "Malaysian")),
    ("モンゴル", ("Mongolia", "Mongolian")),
    ("ウズベキスタン", ("Uzbekistan",)),
    ("アフガニスタン", ("Afghanistan", "Afghan")),
    ("イラン", ("Iran", "Iranian")),
    ("イラク", ("Iraq", "Iraqi")),
    ("シリア", ("Syria", "Syrian")),
    ("トルコ", ("Turkey", "Türkiye", "Turkish")),
    ("パレスチナ", ("Palestine", "Palestinian")),
    ("ブラジル", ("Brazil", "Brasil", "Brazilian")),
    ("ペルー", ("Peru", "Peruvian")),
    ("ボリビア", ("Bolivia", "Bolivian")),
    ("アルゼンチン", ("Argentina", "Argentinian")),
    ("コロンビア", ("Colombia", "Colombian")),
    ("メキシコ", ("Mexico", "Mexican")),
    ("アメリカ", ("アメリカ合衆国", "米国", "USA", "United States", "American")),
    ("カナダ", ("Canada", "Canadian")),
    ("イギリス", ("英国", "UK", "United Kingdom", "Britain", "British")),
    ("フランス", ("France", "French")),
    ("ドイツ", ("Germany", "German")),
    ("ロシア", ("ロシア連邦", "Russia", "Russian")),
    ("ウクライナ", ("Ukraine", "Ukrainian")),
    ("ナイジェリア", ("Nigeria", "Nigerian")),
    ("ガーナ", ("Ghana", "Ghanaian")),
    ("カメルーン", ("Cameroon", "Cameroonian")),
    ("コンゴ民主共和国", ("DR Congo", "DRC", "Democratic Republic of the Congo")),
    ("ウガンダ", ("Uganda", "Ugandan")),
    ("エチオピア", ("Ethiopia", "Ethiopian")),
    ("エジプト", ("Egypt", "Egyptian")),
    ("日本", ("日本国", "Japan", "Japanese")),
    ("無国籍", ("無国籍者", "Stateless")),
)
_SAID_UNKNOWN = frozenset({_fold(w) for w in ("不明", "わからない", "分からない", "unknown")})


def nationality_map(raw: Mapping[str, Sequence[str]]) -> NationalityMap:
    return tuple((label, tuple(aliases)) for label, aliases in raw.items())


@functools.lru_cache(maxsize=8)
def _nationality_spellings(known: NationalityMap) -> dict[str, str]:
    """Every spelling → its label; a spelling two labels claim belongs to neither."""
    claims: dict[str, set[str]] = {}
    for label, aliases in known:
        for spelling in (label, *aliases):
            claims.setdefault(_fold(_latin(spelling)), set()).add(label)
    return {k: next(iter(v)) for k, v in claims.items() if len(v) == 1 and k}


@functools.lru_cache(maxsize=4096)
def nationality(answer: str, known: NationalityMap = DEFAULT_NATIONALITIES) -> str:
    """A label of ``known``, ``UNKNOWN`` when blank or said unknown, else ``OTHER``.

    「ベトナム人」「韓国籍」 read as ベトナム and 韓国: a final 人 or 籍 is dropped when what
    is left is a known spelling.
    """
    folded = _fold(_latin(answer or ""))
    if not folded or folded in _SAID_UNKNOWN:
        return UNKNOWN
    spellings = _nationality_spellings(known)
    found = spellings.get(folded)
    if found is None and folded[-1:] in ("人", "籍"):
        found = spellings.get(folded[:-1])
    return OTHER if found is None else found


def nationality_labels(known: NationalityMap) -> frozenset[str]:
    return frozenset(label for label, _ in known) | FALLBACKS
