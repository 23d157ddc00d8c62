#!/usr/bin/env python3
"""Generate the reference forms and a deterministic, wholly fictitious dataset.

    python scripts/gen_reference.py [--out DIR] [--seed N]

Writes, under DIR (default: the repository's ``reference/``):

    forms/registration.form.json        forms.get of 「伴走ネット登録」
    forms/application.form.json         forms.get of 「伴走支援申請」
    registrations.csv, applications.csv Google Forms CSV exports of the responses
    responses/*.responses.json          the same responses as forms.responses.list
    README.md                           what each fictitious case is there to exercise

Standard library and the product's pure core only (the application form's checkbox
options are ``bansou_sync.core.categories.FORM_OPTIONS``, so form and rules never part);
the same seed gives byte-identical files. The script keeps a small simulation of the
programme (ID, 申請番号 and 相談者コード assignment, and a simplified judge of SPEC §2)
so that applications quote IDs and codes that will exist, and so that README.md can
state the expected outcome of every special case. The simulation is a check on the
*data*, not a second implementation of the product: it knows each answer's intended
meaning instead of parsing the messy text.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import hashlib
import io
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bansou_sync.core.categories import FORM_OPTIONS

SEED = 20220525
PERIOD_START = date(2022, 5, 25)
PERIOD_END = date(2023, 2, 28)
LAST_SUBMISSION = date(2023, 3, 31)
N_REGISTRATIONS = 60
N_APPLICATIONS = 300
JST = timedelta(hours=9)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "reference"

# --- the two reference forms (SPEC §3) ------------------------------------------------

TOPICS = FORM_OPTIONS["topics"]  # the application form's checkbox options are the core's
DESTINATIONS = FORM_OPTIONS["destinations"]
OUTCOMES = FORM_OPTIONS["outcomes"]
LANGUAGES = (
    "日本語", "やさしい日本語", "英語", "中国語", "韓国語", "ベトナム語", "タガログ語",
    "ポルトガル語", "スペイン語", "ネパール語", "インドネシア語", "ミャンマー語", "その他",
)  # fmt: skip
MEMBERSHIP = ("会員", "会員の紹介", "どちらでもない")
CONSENT = "同意します"


@dataclass(frozen=True)
class Q:
    field: str
    title: str
    kind: str  # text | paragraph | radio | checkbox | date | time
    required: bool = False
    options: tuple[str, ...] = ()


REGISTRATION_FORM = (
    Q("name", "氏名", "text", True),
    Q("kana", "ふりがな", "text"),
    Q("email", "メールアドレス", "text", True),
    Q("phone", "電話番号", "text", True),
    Q("postal_code", "郵便番号", "text"),
    Q("address", "住所", "text"),
    Q("membership", "移住連との関係", "radio", True, MEMBERSHIP),
    Q("referrer", "紹介者のお名前", "text"),
    Q("prefecture", "活動地域(都道府県)", "text"),
    Q("languages", "対応できる言語", "checkbox", False, LANGUAGES),
    Q("wants_course", "伴走支援講座の受講を希望しますか", "radio", False, ("はい", "いいえ")),
    Q("consent", "個人情報の取扱いに同意します", "checkbox", True, (CONSENT,)),
)
APPLICATION_FORM = (
    Q("supporter_id", "伴走ネットID", "text", True),
    Q("name", "氏名", "text", True),
    Q("email", "メールアドレス", "text", True),
    Q("support_date", "支援実施日", "date", True),
    Q("start_time", "開始時刻", "time", True),
    Q("end_time", "終了時刻", "time", True),
    Q("companion_id", "同行した伴走者の伴走ネットID", "text"),
    Q("client_code", "相談者コード", "text"),
    Q("client_initials", "相談者のイニシャル", "text"),
    Q("client_birth_year", "相談者の生まれ年", "text"),
    Q("client_nationality", "相談者の国籍", "text"),
    Q("topics", "相談内容", "checkbox", True, TOPICS),
    Q("destinations", "同行先", "checkbox", False, DESTINATIONS),
    Q("outcomes", "つながった公的支援", "checkbox", False, OUTCOMES),
    Q("narrative", "支援の内容", "paragraph"),
    Q("resubmission_of", "再提出の場合、元の申請番号", "text"),
    Q("consent", "個人情報の取扱いに同意します", "checkbox", True, (CONSENT,)),
)
FORMS = {
    "registration": (
        REGISTRATION_FORM,
        "伴走ネット登録",
        "伴走ネット登録（新型コロナ 移民・難民緊急伴走支援事業）",
        "伴走者として登録してください。登録はお一人につき1回のみです。"
        "登録後、伴走ネットIDをメールでお知らせします。（参照用の架空フォーム）",
    ),
    "application": (
        APPLICATION_FORM,
        "伴走支援申請",
        "伴走支援申請（新型コロナ 移民・難民緊急伴走支援事業）",
        "伴走支援の実施後、1ヶ月以内に申請してください。"
        "不備があった場合は、1週間以内に再回答してください。（参照用の架空フォーム）",
    ),
}


# Courses and events (issue 6 §1): one course with a survey, one 相談会.
SIGNUP_ACTIONS = ("申し込む", "キャンセルする")
SATISFACTION = ("とても満足", "満足", "ふつう", "不満")
WILL_ACCOMPANY = ("はい", "いいえ", "わからない")


def signup_form(id_required: bool) -> tuple[Q, ...]:
    return (
        Q("action", "申込区分", "radio", True, SIGNUP_ACTIONS),
        Q("supporter_id", "伴走ネットID", "text", id_required),
        Q("name", "氏名", "text", True),
        Q("email", "メールアドレス", "text", True),
        Q("consent", "個人情報の取扱いに同意します", "checkbox", True, (CONSENT,)),
    )


SURVEY_FORM = (
    Q("supporter_id", "伴走ネットID", "text", True),
    Q("satisfaction", "講座の満足度", "radio", True, SATISFACTION),
    Q("will_accompany", "今後、伴走支援をしてみたいですか", "radio", False, WILL_ACCOMPANY),
    Q("comments", "ご意見・ご感想", "paragraph"),
)
EVENT_FORMS = {
    "event_course": (
        signup_form(True),
        "伴走支援講座 申込",
        "第1回 伴走支援講座 申込(2022年8月20日)",
        "伴走支援講座のお申し込みフォームです。伴走ネットIDが必要です。"
        "取り消すときは「キャンセルする」を選んでお送りください。(参照用の架空フォーム)",
    ),
    "event_soudan": (
        signup_form(False),
        "相談会 申込",
        "課題別相談会(在留資格)申込(2022年9月10日)",
        "どなたでもお申し込みいただけます。(参照用の架空フォーム)",
    ),
    "survey_course": (
        SURVEY_FORM,
        "伴走支援講座 アンケート",
        "第1回 伴走支援講座 アンケート",
        "講座の感想をお聞かせください。回答は件数としてのみ集計します。(参照用の架空フォーム)",
    ),
}


def stable_hex(*parts: str) -> str:
    """An 8-hex-digit id that depends only on its name, so it never moves."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:8]


def form_id(form: str) -> str:
    return "1" + hashlib.sha256(f"bansou-reference-form:{form}".encode()).hexdigest()[:43]


def form_json(form: str) -> dict[str, object]:
    questions, title, doc_title, description = {**FORMS, **EVENT_FORMS}[form]
    items = []
    for q in questions:
        question: dict[str, object] = {"questionId": stable_hex(form, q.field, "question")}
        if q.required:
            question["required"] = True
        if q.kind in ("text", "paragraph"):
            question["textQuestion"] = {"paragraph": True} if q.kind == "paragraph" else {}
        elif q.kind in ("radio", "checkbox"):
            question["choiceQuestion"] = {
                "type": q.kind.upper(),
                "options": [{"value": o} for o in q.options],
            }
        elif q.kind == "date":
            question["dateQuestion"] = {"includeYear": True}
        else:
            question["timeQuestion"] = {}
        items.append(
            {
                "itemId": stable_hex(form, q.field, "item"),
                "title": q.title,
                "questionItem": {"question": question},
            }
        )
    fid = form_id(form)
    public = "1FAIpQLS" + hashlib.sha256(f"bansou-responder:{form}".encode()).hexdigest()[:48]
    return {
        "formId": fid,
        "info": {"title": title, "documentTitle": doc_title, "description": description},
        "settings": {"emailCollectionType": "DO_NOT_COLLECT"},
        "revisionId": "00000012",
        "responderUri": f"https://docs.google.com/forms/d/e/{public}/viewform",
        "items": items,
    }


# --- fictitious people ----------------------------------------------------------------

SURNAMES = (
    ("例田", "れいだ", "reida"), ("仮山", "かりやま", "kariyama"), ("試川", "ためしがわ", "tameshigawa"),
    ("見本原", "みほんばら", "mihonbara"), ("架空野", "かくうの", "kakuuno"), ("模擬谷", "もぎたに", "mogitani"),
    ("想定寺", "そうていじ", "souteiji"), ("仮野", "かりの", "karino"), ("試野", "ためしの", "tameshino"),
    ("例島", "れいじま", "reijima"), ("見本川", "みほんがわ", "mihongawa"), ("標本木", "ひょうほんぎ", "hyouhongi"),
    ("雛形沢", "ひながたざわ", "hinagatazawa"), ("下書山", "したがきやま", "shitagakiyama"),
    ("試作田", "しさくだ", "shisakuda"), ("仮置原", "かりおきはら", "kariokihara"),
)  # fmt: skip
GIVEN = (
    ("一郎", "いちろう", "ichiro"), ("次郎", "じろう", "jiro"), ("三咲", "みさき", "misaki"),
    ("四葉", "よつば", "yotsuba"), ("五月", "さつき", "satsuki"), ("六花", "りっか", "rikka"),
    ("七海", "ななみ", "nanami"), ("八雲", "やくも", "yakumo"), ("九重", "ここのえ", "kokonoe"),
    ("十和", "とわ", "towa"), ("例子", "れいこ", "reiko"), ("仮名", "かな", "kana"),
)  # fmt: skip
FOREIGN_GIVEN = (
    ("Ficta", "フィクタ", "ficta"), ("Nomen", "ノーメン", "nomen"), ("Lorem", "ロレム", "lorem"),
    ("Dolor", "ドロール", "dolor"), ("Mocka", "モッカ", "mocka"), ("Samplo", "サンプロ", "samplo"),
    ("Testa", "テスタ", "testa"), ("Exempla", "エグゼンプラ", "exempla"), ("Ipsa", "イプサ", "ipsa"),
    ("Vacua", "ヴァクア", "vacua"), ("Quidam", "クイダム", "quidam"), ("Placido", "プラシド", "placido"),
)  # fmt: skip
FOREIGN_FAMILY = (
    ("Placeholder", "プレースホルダー", "placeholder"), ("Exemplar", "エグゼンプラー", "exemplar"),
    ("Ipsumova", "イプスモヴァ", "ipsumova"), ("Sitametto", "シタメット", "sitametto"),
    ("Dummyson", "ダミソン", "dummyson"), ("Fictivo", "フィクティーボ", "fictivo"),
    ("Nulldottir", "ヌルドッティル", "nulldottir"), ("Mockwell", "モックウェル", "mockwell"),
    ("Loremaki", "ロレマキ", "loremaki"), ("Fakerova", "フェイカロヴァ", "fakerova"),
)  # fmt: skip
DOMAINS = ("example.com", "example.jp", "example.org")
PREFECTURES = (  # (prefecture, postal prefix, city, weight)
    ("東京都", "100", "千代田区", 10), ("神奈川県", "231", "横浜市中区", 6),
    ("埼玉県", "330", "さいたま市浦和区", 5), ("千葉県", "260", "千葉市中央区", 3),
    ("群馬県", "370", "高崎市", 4), ("愛知県", "460", "名古屋市中区", 5),
    ("大阪府", "530", "大阪市北区", 5), ("兵庫県", "650", "神戸市中央区", 3),
    ("福岡県", "810", "福岡市中央区", 3), ("北海道", "060", "札幌市中央区", 1),
    ("静岡県", "420", "静岡市葵区", 2), ("広島県", "730", "広島市中区", 1),
)  # fmt: skip
TOWNS = ("架空町", "仮想町", "見本町", "例示町", "試作町")
NATIONALITIES = (
    ("ベトナム", 10), ("フィリピン", 8), ("ネパール", 6), ("中国", 5), ("ブラジル", 5),
    ("ペルー", 4), ("ミャンマー", 4), ("スリランカ", 3), ("インドネシア", 3), ("トルコ", 2),
    ("カメルーン", 1), ("アフガニスタン", 1),
)  # fmt: skip
SENTENCES = {
    "生活保護・生活困窮": "福祉事務所での生活保護の申請に同行し、必要な書類の確認を手伝った。",
    "住まい": "家賃の支払いが難しいとの相談を受け、住まいの窓口に同行した。",
    "医療": "病院の受診に同行し、問診票の記入と医師とのやりとりを補助した。",
    "仕事・労働": "ハローワークでの求職登録に同行し、窓口での説明を補助した。",
    "在留資格": "在留資格の更新手続きのため入管に同行し、書類をそろえた。",
    "教育・子ども": "子どもの就学手続きのため学校に同行し、面談でのやりとりを補助した。",
    "行政手続き": "役所での住民票と国民健康保険の手続きに同行した。",
    "その他": "生活全般の相談を聞き、次の相談先を一緒に確認した。",
}
PLACES = {
    "生活保護・生活困窮": "福祉事務所", "住まい": "市区町村役所", "医療": "病院",
    "仕事・労働": "ハローワーク", "在留資格": "入管", "教育・子ども": "学校",
    "行政手続き": "市区町村役所", "その他": "その他",
}  # fmt: skip
CLOSINGS = (
    "",
    "",
    "次回は来月に再度同行する予定。",
    "やさしい日本語で説明し、本人も内容を理解できた。",
    "手続きは当日中に終わった。",
)


@dataclass
class Person:
    name: str
    kana: str
    email: str
    phone: str
    prefecture: str
    postal_code: str
    address: str


@dataclass
class Reg:
    """A registration response: the raw answers, and what the programme will make of it."""

    tag: str
    at: datetime  # JST wall time with microseconds
    person: Person
    email_raw: str
    phone_raw: str
    membership: str
    referrer: str
    languages: tuple[str, ...]
    wants_course: str
    consent: bool = True
    email_ok: bool = True  # has a usable email
    dup_of: str | None = None  # tag of the registration it duplicates
    note: str = ""
    order: int = 0
    bn: str | None = None
    response_id: str = ""

    @property
    def status(self) -> str:
        if self.dup_of:
            return "duplicate"
        return "active" if self.email_ok else "needs_review"

    @property
    def eligible(self) -> bool:
        return self.membership == "会員" or (
            self.membership == "会員の紹介" and bool(self.referrer)
        )


@dataclass
class Client:
    initials: str
    birth_year: int
    nationality: str
    code: str | None = None

    @property
    def key(self) -> tuple[str, int, str]:
        return (
            "".join(c for c in self.initials.upper() if c.isalnum()),
            self.birth_year,
            self.nationality,
        )


@dataclass
class App:
    """An application response: intended meaning plus the raw text where it is messy."""

    tag: str
    at: datetime  # JST
    sup: Reg | None  # the person filing (name, email)
    sid: str | None  # the ID the simulation reads (None: unreadable or missing)
    support_date: date | None
    start: tuple[int, int] | None
    end: tuple[int, int] | None
    client: Client | None
    client_mode: str = "auto"  # auto | code | triple | raw
    companion: str | None = None
    topics: tuple[str, ...] = ("その他",)
    destinations: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    narrative: str = ""
    resub: App | None = None  # quoted original
    consent: bool = True
    raw: dict[str, str] = field(default_factory=dict)  # raw overrides by field
    defects: tuple[str, ...] = ()  # answer-level deficiencies the raw text causes
    email_override: str | None = None  # an email that is not the registered one
    note: str = ""
    prefer_code: bool = False
    fullwidth_year: bool = False  # 生まれ年 typed in full-width digits
    order: int = 0
    number: str = ""
    response_id: str = ""
    answers: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    # filled by the simulation
    status: str = ""  # current status in the simulation
    first_status: str = ""  # the outcome of its first judgement
    codes: tuple[str, ...] = ()
    client_code: str | None = None
    superseded_by: App | None = None
    effective_at: datetime | None = None


def deadline(d: date) -> date:
    """P2: the day before the same day number next month, or that month's last day."""
    y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    last = calendar.monthrange(y, m)[1]
    return date(y, m, d.day) - timedelta(days=1) if d.day <= last else date(y, m, last)


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.phones: set[str] = set()
        self.triples: set[tuple[str, int, str]] = set()
        self.names: set[str] = set()
        self.regs: list[Reg] = []
        self.apps: list[App] = []

    # -- helpers -----------------------------------------------------------------------

    def instant(self, y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> datetime:
        return datetime(y, mo, d, h, mi, s, self.rng.randrange(1000) * 1000)

    def phone(self, fixed: int | None = None) -> str:
        while True:
            n = fixed if fixed is not None else self.rng.randrange(1000, 10000)
            p = f"090-0000-{n:04d}"
            if p not in self.phones:
                self.phones.add(p)
                return p
            if fixed is not None:
                raise ValueError(f"phone {p} already used")

    def person(self, foreign: bool, given: tuple[str, str, str] | None = None) -> Person:
        rng = self.rng
        while True:
            if foreign:
                g, f = rng.choice(FOREIGN_GIVEN), rng.choice(FOREIGN_FAMILY)
                name, kana, local = f"{g[0]} {f[0]}", f"{g[1]} {f[1]}", f"{g[2]}.{f[2]}"
            else:
                sur = rng.choice(SURNAMES)
                g = given or rng.choice(GIVEN)
                name, kana, local = f"{sur[0]} {g[0]}", f"{sur[1]} {g[1]}", f"{g[2]}.{sur[2]}"
            if name not in self.names:
                self.names.add(name)
                break
        pref, postal, city, _ = rng.choices(PREFECTURES, weights=[p[3] for p in PREFECTURES])[0]
        return Person(
            name=name,
            kana=kana,
            email=f"{local}@{rng.choice(DOMAINS)}",
            phone=self.phone(),
            prefecture=pref,
            postal_code=f"{postal}-00{rng.randrange(1, 100):02d}",
            address=f"{pref}{city}{rng.choice(TOWNS)}{rng.randrange(1, 10)}-"
            f"{rng.randrange(1, 30)}-{rng.randrange(1, 20)}",
        )

    def reg(self, tag: str, at: datetime, person: Person | None = None, **kw: object) -> Reg:
        rng = self.rng
        p = person or self.person(foreign=rng.random() < 0.25)
        membership = str(kw.pop("membership", "会員" if rng.random() < 0.6 else "会員の紹介"))
        referrer = "" if membership != "会員の紹介" else f"{rng.choice(SURNAMES)[0]} 様"
        langs = ["日本語", *rng.sample(LANGUAGES[1:-1], rng.randrange(0, 3))]
        r = Reg(
            tag=tag,
            at=at,
            person=p,
            email_raw=p.email,
            phone_raw=p.phone,
            membership=membership,
            referrer=referrer,
            languages=tuple(x for x in LANGUAGES if x in langs),
            wants_course="はい" if rng.random() < 0.7 else "いいえ",
        )
        for k, v in kw.items():
            setattr(r, k, v)
        self.regs.append(r)
        return r

    def client(self, initials: str | None = None, year: int | None = None, nat: str = "") -> Client:
        rng = self.rng
        while True:
            c = Client(
                initials=initials or ".".join(rng.sample("ABDEFGHKLMNPRSTVY", 2)) + ".",
                birth_year=year or rng.randrange(1955, 2005),
                nationality=nat or weighted(rng, NATIONALITIES),
            )
            if c.key not in self.triples:
                self.triples.add(c.key)
                return c
            if initials:
                raise ValueError(f"client {c.key} already used")

    def narrative(self, topics: tuple[str, ...]) -> str:
        text = "".join(SENTENCES[t] for t in topics[:2])
        closing = self.rng.choice(CLOSINGS)
        if closing:
            text += ("\n" if self.rng.random() < 0.2 else "") + closing
        return text

    def app(self, tag: str, at: datetime, sup: Reg | None, d: date | None, **kw: object) -> App:
        rng = self.rng
        topics = tuple(sorted(rng.sample(TOPICS, rng.randrange(1, 3)), key=TOPICS.index))
        outs = rng.sample(OUTCOMES[:-1], rng.randrange(0, 2)) or [OUTCOMES[-1]]
        a = App(
            tag=tag,
            at=at,
            sup=sup,
            sid=sup.bn if sup else None,
            support_date=d,
            start=(10, 0),
            end=(12, 0),
            client=None,
            topics=topics,
            destinations=tuple(
                sorted(rng.sample(DESTINATIONS, rng.randrange(1, 3)), key=DESTINATIONS.index)
            ),
            outcomes=tuple(sorted(outs, key=OUTCOMES.index)),
        )
        for k, v in kw.items():
            setattr(a, k, v)
        if a.client is None and "client" not in kw:
            a.client = self.client()
        if "destinations" not in kw and a.topics:
            places = {PLACES[t] for t in a.topics[:2]}
            if rng.random() < 0.15:
                places.add("法律事務所")
            a.destinations = tuple(x for x in DESTINATIONS if x in places)
        if "narrative" not in kw:
            a.narrative = self.narrative(a.topics)
        self.apps.append(a)
        return a


# --- registrations ----------------------------------------------------------------------


def build_registrations(b: Builder) -> dict[str, Reg]:
    rng = b.rng
    special: dict[str, Reg] = {}
    # BN-0001 … BN-0014: members who register on the first two days (§9 uses BN-0001..3).
    for i in range(14):
        day, minute = (25, 9 * 60 + 10 + 25 * i) if i < 10 else (26, 10 * 60 + 40 * (i - 10))
        special[f"early{i + 1}"] = b.reg(
            f"early{i + 1}", b.instant(2022, 5, day, minute // 60, minute % 60, rng.randrange(60))
        )
    taro = Person(
        "例田 太郎", "れいだ たろう", "taro@example.com", b.phone(1234), "東京都",
        "100-0001", "東京都千代田区架空町1-2-3",
    )  # fmt: skip
    special["taro"] = b.reg("taro", b.instant(2022, 5, 27, 20, 15, 42), taro, membership="会員")
    special["taro_dup"] = b.reg(
        "taro_dup", b.instant(2022, 6, 10, 21, 3, 9), taro, membership="会員",
        email_raw="Taro@Example.com ", dup_of="taro",
        note="P7 / §9: same email after NFKC, trim and case folding",
    )  # fmt: skip
    hanako = Person(
        "仮山 花子", "かりやま はなこ", "hanako.kariyama@example.jp", b.phone(2222), "神奈川県",
        "231-0001", "神奈川県横浜市中区仮想町2-3-4",
    )  # fmt: skip
    special["hanako"] = b.reg(
        "hanako", b.instant(2022, 5, 28, 11, 20, 5), hanako, membership="会員"
    )
    special["hanako_dup"] = b.reg(
        "hanako_dup", b.instant(2022, 6, 20, 8, 45, 30), hanako, membership="会員",
        email_raw="kariyama.h@example.org", phone_raw="09000002222", dup_of="hanako",
        note="P7: same name and phone digits, different email",
    )  # fmt: skip
    special["no_email"] = b.reg(
        "no_email", b.instant(2022, 6, 2, 19, 0, 13), email_raw="", email_ok=False,
        note="§4 needs_review: email left blank → ID, no email, staff digest",
    )  # fmt: skip
    special["bad_email"] = b.reg(
        "bad_email", b.instant(2022, 6, 4, 13, 27, 51), email_ok=False,
        note="§4 needs_review: unreadable email (its at-sign is missing) → ID, no email, staff digest",
    )  # fmt: skip
    special["bad_email"].email_raw = special["bad_email"].person.email.replace("@", ".")
    special["neither"] = b.reg(
        "neither", b.instant(2022, 6, 5, 10, 2, 44), membership="どちらでもない",
        note="P6: どちらでもない → active, but its applications are not_member_or_referred",
    )  # fmt: skip
    special["no_referrer"] = b.reg(
        "no_referrer", b.instant(2022, 6, 8, 22, 41, 7), membership="会員の紹介",
        note="P6: 会員の紹介 with a blank 紹介者 → applications are not_member_or_referred",
    )  # fmt: skip
    special["no_referrer"].referrer = ""
    special["no_phone"] = b.reg(
        "no_phone", b.instant(2022, 6, 12, 16, 30, 0), phone_raw="",
        note="§4: 電話番号 blank → still active; listed in the staff digest",
    )  # fmt: skip
    fw = b.reg(
        "fullwidth_email", b.instant(2022, 6, 15, 9, 12, 26), b.person(foreign=True),
        note="messy email: full-width letters and at-sign, padded with spaces → readable",
    )  # fmt: skip
    fw.email_raw = " " + fw.person.email.translate(FULLWIDTH) + "\u3000"
    special["fullwidth_email"] = fw
    while len(b.regs) < N_REGISTRATIONS:
        month = rng.choices((5, 6, 7, 8, 9, 10, 11, 12), weights=(2, 6, 5, 3, 2, 2, 1, 1))[0]
        first = 27 if month == 5 else 1
        last = calendar.monthrange(2022, month)[1]
        at = b.instant(
            2022, month, rng.randrange(first, last + 1), rng.randrange(7, 24),
            rng.randrange(60), rng.randrange(60),
        )  # fmt: skip
        b.reg(f"reg{len(b.regs) + 1}", at)
    order = sorted(b.regs, key=lambda r: r.at)
    n = 0
    by_tag = {r.tag: r for r in b.regs}
    for i, r in enumerate(order):
        r.order = i
        if r.dup_of is None:
            n += 1
            r.bn = f"BN-{n:04d}"
    for r in order:
        if r.dup_of:
            r.note += f" → duplicate of {by_tag[r.dup_of].bn}"
    b.regs = order
    return special


FULLWIDTH = str.maketrans(
    {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}  # ASCII → full-width forms
)


# --- applications -------------------------------------------------------------------------


def build_special_applications(b: Builder, regs: dict[str, Reg]) -> None:
    """Every rule, code and path of SPEC §2–§4 that the dataset must exercise."""
    e = [regs[f"early{i}"] for i in range(1, 15)]  # e[0] is BN-0001
    at = b.instant
    b.app("p1_start_c0001", at(2022, 5, 25, 18, 20, 11), e[0], date(2022, 5, 25),
          client=b.client("A.K.", 1979, "ベトナム"), companion=e[1].bn,
          note="P1 boundary: 2022-05-25 is inside; the first triple → C-0001")  # fmt: skip
    b.app("p1_before", at(2022, 5, 26, 12, 5, 40), e[1], date(2022, 5, 24),
          note="P1 / §9: support 2022-05-24 → outside_period (a code is still issued)")  # fmt: skip
    b.app("p2_ontime_0526", at(2022, 6, 25, 23, 59, 0), e[3], date(2022, 5, 26),
          note="P2 / §9: support 5/26, submitted 6/25 23:59 JST → on time")  # fmt: skip
    b.app("p2_late_0526", at(2022, 6, 26, 0, 30, 0), e[4], date(2022, 5, 26),
          note="P2 / §9: submitted 2022-06-25T15:30:00Z = 6/26 00:30 JST → late_submission")  # fmt: skip
    b.app("p2_late_0531_utc", at(2022, 7, 1, 8, 59, 59), e[5], date(2022, 5, 31),
          note="P2 JST/UTC: deadline(5/31)=6/30; 7/1 08:59:59 JST is still 6/30 in UTC → late")  # fmt: skip
    b.app("p13_not_future_utc", at(2022, 6, 15, 8, 40, 12), e[7], date(2022, 6, 15),
          start=(6, 0), end=(7, 30),
          note="P13 JST/UTC: submitted 6/15 08:40 JST (6/14 in UTC) for 6/15 → not future")  # fmt: skip
    b.app("p2_monthend_ontime", at(2023, 2, 28, 21, 10, 0), e[8], date(2023, 1, 31),
          note="P2 / §9: support 1/31, submitted 2/28 → on time")  # fmt: skip
    b.app("p2_monthend_late", at(2023, 3, 1, 7, 45, 0), e[9], date(2023, 1, 31),
          note="P2 / §9: support 1/31, submitted 3/1 07:45 JST (2/28 in UTC) → late")  # fmt: skip
    b.app("p2_dec15_ontime", at(2023, 1, 14, 22, 0, 5), e[10], date(2022, 12, 15),
          note="P2: 12/15 → deadline 1/14 of the next year; submitted 1/14 → on time")  # fmt: skip
    b.app("p2_dec15_late", at(2023, 1, 15, 9, 30, 0), e[11], date(2022, 12, 15),
          note="P2: 12/15 submitted 1/15 → late_submission")  # fmt: skip
    b.app("p3_too_short", at(2022, 8, 3, 20, 14, 2), e[2], date(2022, 8, 2),
          start=(10, 0), end=(10, 59), note="P3 / §9: 10:00–10:59 → too_short")  # fmt: skip
    b.app("p10_179min", at(2022, 8, 4, 19, 0, 31), e[3], date(2022, 8, 3),
          start=(10, 0), end=(12, 59), note="P10 / §9: 179 minutes → 6,000 yen once accepted")  # fmt: skip
    b.app("p10_180min", at(2022, 8, 4, 19, 2, 50), e[4], date(2022, 8, 3),
          start=(10, 0), end=(13, 0), note="P10 / §9: 180 minutes → 10,000 yen once accepted")  # fmt: skip
    c1 = b.apps[0].client
    for i, (sup, comp, when) in enumerate(
        [(e[0], e[1], (2, 10, 0, 4)), (e[1], e[0], (2, 21, 3, 17)), (e[2], None, (3, 9, 12, 0))]
    ):
        b.app(f"p4_{i + 1}", at(2022, 7, when[0], when[1], when[2], when[3]), sup,
              date(2022, 7, 1), client=c1, client_mode="code", companion=comp.bn if comp else None,
              note=["P4 / §9: BN-0001 for C-0001 on 7/1", "P4: BN-0002, the second supporter",
                    "P4 / §9: BN-0003, the third supporter → too_many_supporters"][i])  # fmt: skip
    # P5: six occasions (seven applications: the 3rd occasion has two supporters).
    c5 = b.client("M.R.", 1990, "ネパール")
    p5 = [(6, 6, e[4], None), (6, 20, e[5], None), (7, 11, e[6], e[7]), (7, 11, e[7], e[6]),
          (8, 8, e[4], None), (9, 5, e[5], None), (10, 3, e[6], None)]  # fmt: skip
    for i, (mo, d, sup, comp) in enumerate(p5):
        nth = (1, 2, 3, 3, 4, 5, 6)[i]
        b.app(f"p5_{i + 1}", at(2022, mo, d + 1, 19, 10 + i, 5), sup, date(2022, mo, d), client=c5,
              client_mode="triple" if i == 0 else "code", companion=comp.bn if comp else None,
              note="P5 / §9: the sixth occasion → client_cap" if nth == 6 else
              f"P5: occasion {nth} of client M.R." +
              (" (two supporters, counts once)" if nth == 3 else ""))  # fmt: skip
    unknown = b.app("p6_unknown_supporter", at(2022, 7, 20, 21, 0, 45), e[12], date(2022, 7, 19),
                    sid=None, raw={"supporter_id": "BN-0999"}, defects=("unknown_supporter",),
                    note="P6: BN-0999 was never issued → unknown_supporter (deficient)")  # fmt: skip
    b.app("p9_fix_unknown_supporter", at(2022, 7, 22, 8, 15, 3), e[12], date(2022, 7, 19),
          client=unknown.client, client_mode="triple", resub=unknown,
          note="P9 (1): quotes the original filed under an unregistered ID → supersedes it")  # fmt: skip
    b.app("p6_neither", at(2022, 7, 8, 20, 30, 0), regs["neither"], date(2022, 7, 7),
          note="P6: registered as どちらでもない → not_member_or_referred")  # fmt: skip
    b.app("p6_no_referrer", at(2022, 7, 9, 11, 45, 29), regs["no_referrer"], date(2022, 7, 9),
          start=(8, 30), end=(10, 0),
          note="P6: 会員の紹介 without 紹介者 → not_member_or_referred")  # fmt: skip
    b.app("p6_email_mismatch", at(2022, 7, 12, 18, 7, 33), e[11], date(2022, 7, 12),
          start=(13, 0), end=(15, 0), email_override="someone.else@example.org",
          note="P6: the typed email is not the registered one → email_mismatch")  # fmt: skip
    b.app("p13_future", at(2022, 9, 10, 12, 0, 0), e[10], date(2022, 9, 12),
          note="P13: support 9/12 submitted 9/10 → future_date")  # fmt: skip
    p14 = b.app("p14_first", at(2022, 9, 16, 20, 0, 0), e[12], date(2022, 9, 15),
                note="P14: first application for the occasion")  # fmt: skip
    b.app("p14_second", at(2022, 9, 17, 9, 31, 8), e[12], date(2022, 9, 15), client=p14.client,
          client_mode="code", note="P14: same supporter, same occasion → duplicate_application")  # fmt: skip
    messy_dates = ("2022年6月3日", "R4.6.3", "令和4年6月3日", "2022/6/3")
    for i, raw in enumerate(messy_dates):
        b.app(f"messy_date_{i + 1}", at(2022, 6, 4 + i, 20, 11 * i, 9), e[i + 4], date(2022, 6, 3),
              raw={"support_date": raw}, note=f"messy date 「{raw}」 → 2022-06-03")  # fmt: skip
    b.app("messy_time_kanji", at(2022, 6, 9, 21, 0, 9), e[8], date(2022, 6, 8),
          start=(10, 30), end=(12, 0), raw={"start_time": "10時半"},
          note="messy time 「10時半」 → 10:30 (90 minutes)")  # fmt: skip
    b.app("messy_time_fullwidth", at(2022, 6, 9, 22, 4, 19), e[9], date(2022, 6, 8),
          start=(10, 30), end=(12, 30), raw={"start_time": "１０：３０", "end_time": "１２：３０"},
          note="messy time 「１０：３０」 → 10:30")  # fmt: skip
    bn7 = e[6]
    for i, raw in enumerate(("bn-0007", "ＢＮ－０００７", "BN7")):
        b.app(f"messy_id_{i + 1}", at(2022, 8, 10 + 3 * i, 18, 0, 10 + i), bn7,
              date(2022, 8, 9 + 3 * i), raw={"supporter_id": raw},
              note=f"messy ID 「{raw}」 → BN-0007")  # fmt: skip
    b.app("messy_email_fullwidth", at(2022, 8, 18, 20, 0, 0), regs["taro"], date(2022, 8, 17),
          raw={"email": "TARO＠EXAMPLE.COM "},
          note="messy email 「TARO＠EXAMPLE.COM 」 → taro@example.com (matches)")  # fmt: skip
    b.app("messy_email_spaces", at(2022, 8, 19, 10, 0, 0), regs["hanako"], date(2022, 8, 18),
          raw={"email": "hanako.kariyama @ example.jp"},
          note="messy email with inner spaces → hanako.kariyama@example.jp (matches)")  # fmt: skip
    tn = b.client("T.N.", 1980, "フィリピン")
    for i, (raw, sup, mo, d) in enumerate(
        [("T.N.", e[0], 9, 1), ("Ｔ．Ｎ．", e[1], 9, 22), ("tn", e[2], 10, 13)]
    ):
        b.app(f"initials_{i + 1}", at(2022, mo, d + 1, 20, 20, 0), sup, date(2022, mo, d),
              client=tn, client_mode="triple", raw={"client_initials": raw},
              note=f"client initials 「{raw}」: one client, one code")  # fmt: skip
    b.app("unreadable_date", at(2022, 6, 10, 21, 0, 0), e[5], None, raw={"support_date": "6/3"},
          defects=("unreadable:support_date",),
          note="「6/3」 has no year → unreadable:support_date")  # fmt: skip
    b.app("unreadable_time", at(2022, 8, 22, 20, 0, 0), e[8], date(2022, 8, 20), start=None,
          raw={"start_time": "10ji"}, defects=("unreadable:start_time",),
          note="「10ji」 → unreadable:start_time; never fixed → expired after its week")  # fmt: skip
    b.app("unreadable_id", at(2022, 8, 23, 19, 30, 0), bn7, date(2022, 8, 22), sid=None,
          raw={"supporter_id": "BN-00x7"}, defects=("unreadable:supporter_id",),
          note="「BN-00x7」 → unreadable:supporter_id")  # fmt: skip
    orig = b.app("missing_end_time", at(2022, 8, 30, 22, 10, 0), e[9], date(2022, 8, 1), end=None,
                 defects=("missing:end_time",),
                 note="終了時刻 blank → missing:end_time; fixed by the next row")  # fmt: skip
    b.app("p9_fix_with_number", at(2022, 9, 2, 19, 45, 0), e[9], date(2022, 8, 1),
          client=orig.client, client_mode="code", resub=orig,
          note="P9 (1): quotes its own original; submitted after deadline(8/1)=8/31 but "
          "judged on the original's time → not late")  # fmt: skip
    nc = b.app("no_consent", at(2022, 9, 6, 21, 0, 0), e[13], date(2022, 9, 5), consent=False,
               defects=("no_consent",), note="consent blank → no_consent; fixed by the next row")  # fmt: skip
    b.app("p9_fix_without_number", at(2022, 9, 7, 8, 2, 0), e[13], date(2022, 9, 5),
          client=nc.client, client_mode="code",
          note="P9 (2): no number, same supporter and occasion as a deficient one → supersedes")  # fmt: skip
    b.app("missing_client_parts", at(2022, 9, 8, 20, 0, 0), e[0], date(2022, 9, 8),
          start=(14, 0), end=(15, 30), client=None, client_mode="raw",
          raw={"client_nationality": "ブラジル"},
          defects=("missing:client_initials", "missing:client_birth_year"),
          note="no code and only the nationality → missing:client_initials, "
          "missing:client_birth_year; no code issued")  # fmt: skip
    to = b.app("time_order", at(2022, 9, 13, 21, 30, 0), e[1], date(2022, 9, 13),
               start=(14, 0), end=(13, 0), defects=("time_order",),
               note="end 13:00 before start 14:00 → time_order")  # fmt: skip
    b.app("unknown_companion", at(2022, 9, 14, 18, 0, 0), e[2], date(2022, 9, 14),
          companion="BN-0998", note="companion BN-0998 never issued → unknown_companion")  # fmt: skip
    b.app("unknown_client", at(2022, 9, 20, 20, 0, 0), e[3], date(2022, 9, 20), client=None,
          client_mode="raw", raw={"client_code": "C-9999"}, defects=("unknown_client",),
          note="C-9999 is well formed but never issued → unknown_client")  # fmt: skip
    b.app("unreadable_client_code", at(2022, 9, 21, 20, 0, 0), e[4], date(2022, 9, 21),
          client=None, client_mode="raw", raw={"client_code": "C-00x3"},
          defects=("unreadable:client_code",),
          note="「C-00x3」 → unreadable:client_code")  # fmt: skip
    b.app("resub_other_supporter", at(2022, 9, 16, 11, 0, 0), e[5], date(2022, 9, 15), resub=to,
          defects=("unreadable:resubmission_of",),
          note="quotes the time_order row, filed by another registered supporter → "
          "unreadable:resubmission_of")  # fmt: skip
    own = b.app("own_pending", at(2022, 10, 4, 20, 0, 0), e[6], date(2022, 10, 3),
                note="an ordinary application (quoted by the next row)")  # fmt: skip
    b.app("resub_non_deficient", at(2022, 10, 18, 20, 0, 0), e[6], date(2022, 10, 17),
          client=own.client, client_mode="code", resub=own,
          note="quotes a non-deficient application of its own → an ordinary new one")  # fmt: skip
    b.app("resub_unknown_number", at(2022, 10, 20, 20, 0, 0), e[7], date(2022, 10, 19),
          raw={"resubmission_of": "A-999999"}, defects=("unreadable:resubmission_of",),
          note="quotes A-999999, never issued → unreadable:resubmission_of")  # fmt: skip
    b.app("never_fixed", at(2022, 10, 25, 21, 0, 0), e[8], date(2022, 10, 24), topics=(),
          narrative="区役所に同行した。", defects=("missing:topics",),
          note="相談内容 blank → missing:topics; never fixed → expired after its week")  # fmt: skip
    b.app("both_kinds", at(2022, 11, 30, 20, 0, 0), e[9], date(2022, 10, 28), end=None,
          defects=("missing:end_time",),
          note="§9 both kinds: late and no 終了時刻 → ineligible, 理由 late_submission only")  # fmt: skip
    ct = b.client("Y.S.", 1968, "ペルー")
    b.app("tie_first", at(2022, 11, 8, 19, 0, 0), e[10], date(2022, 11, 7), client=ct,
          companion=e[11].bn, note="tie: the first supporter of the occasion")  # fmt: skip
    same = b.instant(2022, 11, 9, 21, 15, 30)
    b.app("tie_a", same, e[11], date(2022, 11, 7), client=ct, client_mode="code",
          companion=e[10].bn, note="tie: same timestamp as the next row, earlier in the file "
          "→ second supporter, accepted for review")  # fmt: skip
    b.app("tie_b", same, e[12], date(2022, 11, 7), client=ct, client_mode="code",
          note="tie: same timestamp, later in the file → too_many_supporters")  # fmt: skip
    b.app("p1_after", at(2023, 3, 3, 10, 0, 0), e[13], date(2023, 3, 1),
          note="P1: support 2023-03-01 is after the period → outside_period")  # fmt: skip
    b.app("p1_end", at(2023, 3, 10, 20, 0, 0), e[0], date(2023, 2, 28),
          note="P1 boundary: 2023-02-28 is inside the period")  # fmt: skip


def eligible_supporters(b: Builder) -> list[Reg]:
    return [r for r in b.regs if r.bn and r.email_ok and r.eligible]


def build_ordinary_applications(b: Builder) -> None:
    rng = b.rng
    sups = eligible_supporters(b)
    clients: list[tuple[Client, set[date], int]] = []
    n_special = len(b.apps)
    span = (PERIOD_END - PERIOD_START).days
    while len(b.apps) < N_APPLICATIONS:
        d = PERIOD_START + timedelta(days=rng.randrange(span + 1))
        pool = [s for s in sups if s.at.date() < d]
        two = rng.random() < 0.3 and N_APPLICATIONS - len(b.apps) >= 2
        if len(pool) < 2:
            continue
        open_ = [c for c in clients if len(c[1]) < c[2] and d not in c[1]]
        if open_ and rng.random() < 0.45:
            client, dates, _ = rng.choice(open_)
        else:
            client, dates = b.client(), set()
            clients.append((client, dates, rng.choice((1, 1, 2, 2, 3, 4))))
        dates.add(d)
        chosen = rng.sample(pool, 2 if two else 1)
        sh = rng.randrange(8, 16)
        start = (sh, rng.choice((0, 0, 15, 30)))
        minutes = rng.choice((60, 75, 90, 90, 120, 120, 150, 180, 210, 240, 300))
        end_min = start[0] * 60 + start[1] + minutes
        end = (end_min // 60, end_min % 60)
        topics = tuple(sorted(rng.sample(TOPICS, rng.randrange(1, 4)), key=TOPICS.index))
        for i, s in enumerate(chosen):
            latest = min((deadline(d) - d).days, (LAST_SUBMISSION - d).days)
            off = min(rng.choice((0, 1, 1, 2, 3, 5, 7, 10, 14, 20)), latest)
            hour = rng.randrange(max(7, end[0] + 1) if off == 0 else 7, 24) if end[0] < 23 else 23
            sub = b.instant(
                (d + timedelta(days=off)).year, (d + timedelta(days=off)).month,
                (d + timedelta(days=off)).day, hour, rng.randrange(60), rng.randrange(60),
            )  # fmt: skip
            other = chosen[1 - i].bn if two else None
            a = b.app(f"ordinary{len(b.apps) - n_special + 1}", sub, s, d, client=client,
                      start=start, end=end, topics=topics, prefer_code=rng.random() < 0.7,
                      companion=other if two and rng.random() < 0.9 else None)  # fmt: skip
            if rng.random() < 0.08:
                a.raw["email"] = (
                    s.person.email.upper() if rng.random() < 0.5 else f" {s.person.email}"
                )
            a.fullwidth_year = rng.random() < 0.1


# --- simulation: numbers, codes and a simplified judge ------------------------------------

INELIGIBLE = (
    "outside_period", "late_submission", "too_short", "not_member_or_referred",
    "too_many_supporters", "client_cap", "duplicate_application",
)  # fmt: skip


def simulate(b: Builder) -> None:
    b.apps.sort(key=lambda a: a.at)  # stable: ties keep the order they were built in
    regs = {r.bn: r for r in b.regs if r.bn}
    codes = 0
    by_key: dict[tuple[str, int, str], str] = {}
    issued: set[str] = set()
    live: list[App] = []
    for i, a in enumerate(b.apps):
        a.order = i
        a.number = f"A-{i + 1:06d}"
        # client: a code quoted, or the triple (which issues a code on first sight)
        if a.client is not None:
            use_code = a.client_mode == "code" or (
                a.client_mode == "auto" and a.prefer_code and a.client.code is not None
            )
            if use_code:
                if a.client.code is None:
                    raise AssertionError(f"{a.tag}: quotes a code before it exists")
                a.client_code = a.client.code
            else:
                if a.client.key not in by_key:
                    codes += 1
                    by_key[a.client.key] = f"C-{codes:04d}"
                    issued.add(by_key[a.client.key])
                a.client.code = a.client_code = by_key[a.client.key]
                a.client_mode = "triple"
        reasons = [d for d in a.defects if d != "unknown_supporter"]
        reg = regs.get(a.sid) if a.sid else None
        if a.sid and reg is None:
            raise AssertionError(f"{a.tag}: unknown ID without the defect flag")
        if "unknown_supporter" in a.defects:
            reasons.append("unknown_supporter")
        if reg is not None:
            if not reg.eligible:
                reasons.append("not_member_or_referred")
            if a.email_override is not None:
                reasons.append("email_mismatch")
        if a.companion and a.companion not in regs:
            reasons.append("unknown_companion")
        # P9: which deficient original, if any, this supersedes
        target: App | None = None
        q = a.resub
        if q is not None and "unreadable:resubmission_of" not in a.defects:
            if q.status == "deficient" and (q.sid == a.sid or q.sid not in regs):
                target = q
            elif q.status == "deficient" or (q.sid != a.sid and q.sid in regs):
                raise AssertionError(f"{a.tag}: this quote would be unreadable")
        if target is None and a.resub is None and a.sid and a.client_code and a.support_date:
            for o in live:
                if (o.status == "deficient" and o.sid == a.sid and o.client_code == a.client_code
                        and o.support_date == a.support_date):  # fmt: skip
                    target = o
        a.effective_at = target.effective_at if target and target.effective_at else a.at
        others = [o for o in live if o is not target]
        d = a.support_date
        if d is not None:
            if not PERIOD_START <= d <= PERIOD_END:
                reasons.append("outside_period")
            if a.effective_at.date() > deadline(d):
                reasons.append("late_submission")
            if d > a.at.date():
                reasons.append("future_date")
        if a.start and a.end:
            minutes = (a.end[0] * 60 + a.end[1]) - (a.start[0] * 60 + a.start[1])
            if minutes <= 0:
                if "time_order" not in reasons:
                    raise AssertionError(f"{a.tag}: time_order not flagged")
            elif minutes < 60:
                reasons.append("too_short")
        if a.sid and a.client_code and d is not None:
            same = [o for o in others if o.client_code == a.client_code and o.support_date == d]
            if any(o.sid == a.sid for o in same):
                reasons.append("duplicate_application")
            elif len({o.sid for o in same}) >= 2:
                reasons.append("too_many_supporters")
            occasions = {o.support_date for o in others if o.client_code == a.client_code}
            if d not in occasions and len(occasions) >= 5:
                reasons.append("client_cap")
        inel = tuple(c for c in INELIGIBLE if c in reasons)
        if inel:
            a.status, a.codes = "ineligible", inel
        elif reasons:
            a.status, a.codes = "deficient", tuple(reasons)
        else:
            a.status, a.codes = "pending_review", ()
        a.first_status = a.status
        if target is not None:
            target.status, target.superseded_by = "resubmitted", a
            live.remove(target)
        if a.status in ("pending_review", "deficient"):
            live.append(a)
    for a in b.apps:
        if a.tag.startswith("ordinary") and a.status != "pending_review":
            raise AssertionError(f"{a.tag} {a.number}: {a.status} {a.codes}")


# --- rendering --------------------------------------------------------------------------


Answers = dict[str, str | tuple[str, ...]]


def response_id(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "ACYDBN" + "".join(rng.choice(alphabet) for _ in range(67))


def reg_answers(r: Reg) -> dict[str, str | tuple[str, ...]]:
    p = r.person
    return {
        "name": p.name,
        "kana": p.kana,
        "email": r.email_raw,
        "phone": r.phone_raw,
        "postal_code": p.postal_code,
        "address": p.address,
        "membership": r.membership,
        "referrer": r.referrer,
        "prefecture": p.prefecture,
        "languages": r.languages,
        "wants_course": r.wants_course,
        "consent": (CONSENT,) if r.consent else (),
    }


def app_answers(a: App) -> dict[str, str | tuple[str, ...]]:
    p = a.sup.person if a.sup else None
    ans: dict[str, str | tuple[str, ...]] = {
        "supporter_id": a.sid or "",
        "name": p.name if p else "",
        "email": a.email_override or (p.email if p else ""),
        "support_date": a.support_date.isoformat() if a.support_date else "",
        "start_time": f"{a.start[0]:02d}:{a.start[1]:02d}" if a.start else "",
        "end_time": f"{a.end[0]:02d}:{a.end[1]:02d}" if a.end else "",
        "companion_id": a.companion or "",
        "topics": a.topics,
        "destinations": a.destinations,
        "outcomes": a.outcomes,
        "narrative": a.narrative,
        "resubmission_of": a.resub.number if a.resub else "",
        "consent": (CONSENT,) if a.consent else (),
    }
    if a.client is not None and a.client_mode in ("code", "auto"):
        ans["client_code"] = a.client_code or ""
    elif a.client is not None:
        year = str(a.client.birth_year)
        ans["client_initials"] = a.client.initials
        ans["client_birth_year"] = year.translate(FULLWIDTH) if a.fullwidth_year else year
        ans["client_nationality"] = a.client.nationality
    ans.update(a.raw)
    return ans


def csv_value(q: Q, v: str | tuple[str, ...]) -> str:
    if isinstance(v, tuple):
        return ", ".join(v)
    if q.kind == "date" and len(v) == 10 and v[4] == "-":
        return v.replace("-", "/")
    if q.kind == "time" and len(v) == 5 and v[2] == ":":
        return v + ":00"
    return v


def csv_timestamp(t: datetime) -> str:
    return f"{t.year}/{t.month:02d}/{t.day:02d} {t.hour}:{t.minute:02d}:{t.second:02d}"


def utc_times(t: datetime) -> tuple[str, str]:
    u = t - JST
    create = u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"
    last = u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}"
    return create, last + f"{(u.microsecond * 7 + 311) % 1000:03d}Z"  # Forms: µs precision


def render_csv(questions: tuple[Q, ...], rows: list[tuple[datetime, Answers]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["タイムスタンプ"] + [q.title for q in questions])
    for at, ans in rows:
        w.writerow([csv_timestamp(at)] + [csv_value(q, ans.get(q.field, "")) for q in questions])
    return buf.getvalue()


def render_json(
    form: str, questions: tuple[Q, ...], rows: list[tuple[str, datetime, Answers]]
) -> str:
    out = []
    for rid, at, ans in rows:
        create, last = utc_times(at)
        answers = {}
        for q in questions:
            v = ans.get(q.field, "")
            values = list(v) if isinstance(v, tuple) else ([v] if v.strip() else [])
            if values:
                qid = stable_hex(form, q.field, "question")
                answers[qid] = {
                    "questionId": qid,
                    "textAnswers": {"answers": [{"value": x} for x in values]},
                }
        out.append(
            {"responseId": rid, "createTime": create, "lastSubmittedTime": last, "answers": answers}
        )
    return json.dumps({"responses": out}, ensure_ascii=False, indent=2) + "\n"


def dump_json(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


# --- README --------------------------------------------------------------------------------


README_HEAD = """\
# Reference forms and fictitious dataset

Generated by `scripts/gen_reference.py` (seed {seed}); do not edit by hand — change the
generator and re-run it. `tests/unit/test_reference_data.py` checks that the committed
files are exactly what the generator produces.

**Everything here is invented.** Names are made-up (例田 太郎, Ficta Placeholder …),
emails use only `example.com` / `example.jp` / `example.org`, phones are `090-0000-xxxx`,
postal codes `NNN-00NN`, addresses are in 架空町 / 仮想町 / 見本町 … . Client triples are
random initials, a birth year and a nationality; narratives are stock sentences.

| file | what |
|---|---|
| `forms/registration.form.json`, `forms/application.form.json` | Forms API `forms.get` of the two reference forms (SPEC §3); question IDs are 8 hex digits derived from the field name, so they never move |
| `registrations.csv`, `applications.csv` | the responses as a Google Forms CSV export: UTF-8 without BOM, CRLF, `タイムスタンプ` in JST `YYYY/MM/DD H:MM:SS`, dates `YYYY/MM/DD`, times `HH:MM:SS`, checkboxes joined with `, ` |
| `responses/registration.responses.json`, `responses/application.responses.json` | the same responses as `forms.responses.list` bodies: `createTime` UTC with milliseconds, `lastSubmittedTime` with microseconds (same instant to the millisecond — no response was edited), dates `YYYY-MM-DD`, times `HH:MM`, one `textAnswers` value per checkbox, unanswered questions absent |
| `forms/event_course.form.json`, `forms/event_soudan.form.json`, `forms/survey_course.form.json`, `events/*.csv`, `responses/event_*.responses.json`, `responses/survey_course.responses.json` | courses and events (issue 6, `docs/events.md`): sign-ups for one 伴走支援講座 (`course-2022-08`, 24 sign-ups and 1 cancellation: one unknown ID, one without an ID, one ID typed in full width) and its survey (16 linked answers, 1 without an ID), and for one open 相談会 (`soudan-2022-09`, 12 sign-ups); same formats as above |

Both sources list responses in submission order; the two applications that share a
timestamp (`tie_a`, `tie_b`) are in the same order in both, and "ties keep file order".

Counts: {n_regs} registrations ({n_ids} IDs BN-0001…BN-{last_bn:04d}, {n_dup} duplicates,
{n_review} needs_review); {n_apps} applications (A-000001…A-{n_apps:06d}) about {n_clients}
clients (C-0001…C-{n_clients:04d}); {n_ordinary} of the applications are ordinary valid ones
(`pending_review`) spread over {n_sup_used} supporters, {n_prefs} prefectures, every topic and
{n_nats} nationalities. Submissions run from {first_sub} to {last_sub} (JST); support
dates are inside 2022-05-25…2023-02-28 except the P1 cases.

### Notes on realism

* The forms mark SPEC's required answers `required: true`, and 支援実施日/開始時刻/終了時刻
  are date/time questions. Real Google Forms would then refuse blanks and could only
  produce clean dates and times; the dataset nevertheless contains blanks and messy text
  in them (as if the form had been edited, or the secretariat used short-text questions),
  because SPEC §3 says answers arrive messy. bansou-sync must not rely on the form's
  `required` flags or question types.
* A Google CSV export has no response ID; the JSON has realistic ~73-character
  `responseId`s starting `ACYDBN`.

## Expected outcomes

The "expected" columns are the outcome of the **first judgement** of each response,
judged in submission order with the default configuration (`rules.client_cap_counts:
occasions`, budget never reached: the whole dataset is worth well under 3,000,000 yen).
Reason codes are listed as a set; their order in 理由 is the product's choice. Later
lifecycle steps (resubmitted / expired) are noted. Every deficient application that is
not superseded becomes `expired` once a cycle runs after the end of the 7th day after
its deficiency notice was sent. Every application not listed below is an ordinary one
and is `pending_review` (honorarium 6,000 below 180 minutes, 10,000 from 180).

### Registrations
"""


def readme(b: Builder, seed: int) -> str:
    regs_ids = [r for r in b.regs if r.bn]
    ordinary = [a for a in b.apps if a.tag.startswith("ordinary")]
    sup_used = {a.sid for a in ordinary}
    prefs = {r.person.prefecture for r in b.regs if r.bn in sup_used}
    nats = {a.client.nationality for a in b.apps if a.client}
    all_codes = {a.client_code for a in b.apps if a.client_code}
    times = [r.at for r in b.regs] + [a.at for a in b.apps]
    text = README_HEAD.format(
        seed=seed,
        n_regs=len(b.regs),
        n_ids=len(regs_ids),
        last_bn=len(regs_ids),
        n_dup=sum(1 for r in b.regs if r.dup_of),
        n_review=sum(1 for r in b.regs if r.status == "needs_review"),
        n_apps=len(b.apps),
        n_clients=len(all_codes),
        n_ordinary=len(ordinary),
        n_sup_used=len(sup_used),
        n_prefs=len(prefs),
        n_nats=len(nats),
        first_sub=min(times).strftime("%Y-%m-%d %H:%M"),
        last_sub=max(times).strftime("%Y-%m-%d %H:%M"),
    )
    lines = [
        "",
        "Registrations BN-0001…BN-0014 are ordinary members who registered on 5/25–5/26; the",
        "special applications below are filed by them unless the row says otherwise.",
        "",
        "| # | タイムスタンプ (JST) | tag | ID | expected | what it exercises |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(b.regs, 1):
        if not r.note and not r.tag.startswith(("taro", "hanako")):
            continue
        ident = r.bn or "—"
        lines.append(
            f"| {i} | {csv_timestamp(r.at)} | `{r.tag}` | {ident} | {r.status} | "
            f"{r.note or 'original of a duplicate below'} "
            f"(email {'`' + md(r.email_raw) + '`' if r.email_raw else 'blank'}) |"
        )
    lines += [
        "",
        "### Applications",
        "",
        "| 申請番号 | タイムスタンプ (JST) | tag | ID as typed | client | support date | "
        "expected | 理由 codes | what it exercises |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for a in b.apps:
        if a.tag.startswith("ordinary"):
            continue
        status = a.first_status
        if a.superseded_by is not None:
            status += f" → resubmitted (by {a.superseded_by.number})"
        elif a.status == "deficient":
            status += " → expired if never fixed"
        typed = str(a.answers.get("supporter_id", ""))
        client = a.client_code or md(str(a.answers.get("client_code", ""))) or "—"
        quoted = a.answers.get("resubmission_of", "")
        what = a.note + (f" (quotes {quoted})" if quoted else "")
        lines.append(
            f"| {a.number} | {csv_timestamp(a.at)} | `{a.tag}` | {md(typed) or '(blank)'} | "
            f"{client} | {md(str(a.answers.get('support_date', ''))) or '(blank)'} | {status} | "
            f"{', '.join(a.codes) or '—'} | {what} |"
        )
    lines += [
        "",
        "### Alternative settings",
        "",
        "* `rules.client_cap_counts: applications`: client M.R. (`p5_*`) has seven "
        "applications over six occasions; counting applications, `p5_6` (its sixth "
        "application, fifth occasion) and `p5_7` are both `client_cap`.",
        "* No application is filed by a needs_review or duplicate registration (what that "
        "should give is not fixed by SPEC).",
        "",
    ]
    return text + "\n".join(lines)


def md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


# --- main ----------------------------------------------------------------------------------


def generate(seed: int) -> dict[str, str]:
    b = Builder(seed)
    regs = build_registrations(b)
    build_special_applications(b, regs)
    build_ordinary_applications(b)
    simulate(b)
    id_rng = random.Random(seed + 1)
    reg_rows = []
    for r in b.regs:
        r.response_id = response_id(id_rng)
        reg_rows.append((r.response_id, r.at, reg_answers(r)))
    app_rows = []
    for a in b.apps:
        a.response_id = response_id(id_rng)
        a.answers = app_answers(a)
        app_rows.append((a.response_id, a.at, a.answers))
    return {
        "forms/registration.form.json": dump_json(form_json("registration")),
        "forms/application.form.json": dump_json(form_json("application")),
        "registrations.csv": render_csv(REGISTRATION_FORM, [(t, x) for _, t, x in reg_rows]),
        "applications.csv": render_csv(APPLICATION_FORM, [(t, x) for _, t, x in app_rows]),
        "responses/registration.responses.json": render_json(
            "registration", REGISTRATION_FORM, reg_rows
        ),
        "responses/application.responses.json": render_json(
            "application", APPLICATION_FORM, app_rows
        ),
        "README.md": readme(b, seed),
        "bank_details.csv": bank_details(seed),
        **event_files(b, seed),
    }


def bank_details(seed: int) -> str:
    """The treasurer's fictitious bank details (scripts/gen_bank_details.py), so one
    command regenerates every reference file."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import gen_bank_details

    return str(gen_bank_details.render(seed))


def event_files(b: Builder, seed: int) -> dict[str, str]:
    """Sign-ups for one course (capacity 20 in config.example.yaml: 2 wait, 1 cancels) with
    its survey, and one open 相談会 (capacity 10). Their own random stream: the main
    dataset does not move."""
    rng = random.Random(seed + 60)
    # registered before sign-ups open: an ID is quoted only after it was issued
    members = [r for r in b.regs if r.bn and r.status == "active" and r.at < datetime(2022, 7, 15)]
    course: list[tuple[datetime, Answers]] = []
    takers = sorted(rng.sample(members, 22), key=lambda r: r.bn or "")
    for n, r in enumerate(takers):
        at = datetime(2022, 7, 15, 9, 0) + timedelta(hours=17 * n, minutes=rng.randrange(60))
        typed = r.bn or ""
        if n == 5:  # typed by hand: full width, lower case, no zeros (read as the same ID)
            typed = typed.replace("-000", "").replace("-00", "").lower().translate(FULLWIDTH)
        course.append((at, _signup(typed, r.person.name, r.person.email)))
    stranger = b.regs[0].person
    course.insert(3, (datetime(2022, 7, 17, 21, 5), _signup("BN-0999", stranger.name, "")))
    course.append(
        (datetime(2022, 8, 12, 8, 30), _signup("", "例田 未登録", "mitouroku@example.jp"))
    )
    quitter = takers[2]
    course.append(
        (datetime(2022, 8, 13, 19, 40), _signup(quitter.bn or "", quitter.person.name, "", True))
    )
    course.sort(key=lambda row: row[0])
    stayed = [r for r in takers[:21] if r is not quitter]  # the seated ones after the move-up
    survey: list[tuple[datetime, Answers]] = []
    for n, r in enumerate(sorted(rng.sample(stayed, 16), key=lambda r: r.bn or "")):
        answers: Answers = {
            "supporter_id": r.bn or "",
            "satisfaction": rng.choices(SATISFACTION, (6, 8, 2, 1))[0],
            "will_accompany": rng.choices(WILL_ACCOMPANY, (8, 2, 3))[0],
            "comments": "具体的な事例が参考になりました。",
        }
        survey.append((datetime(2022, 8, 20, 16, 0) + timedelta(minutes=7 * n), answers))
    survey.append((datetime(2022, 8, 21, 9, 12), {"supporter_id": "", "satisfaction": "満足"}))
    soudan: list[tuple[datetime, Answers]] = []
    for n in range(12):
        at = datetime(2022, 8, 20, 10, 0) + timedelta(hours=31 * n, minutes=rng.randrange(60))
        if n % 3 == 0:
            r = members[rng.randrange(len(members))]
            soudan.append((at, _signup(r.bn or "", r.person.name, r.person.email)))
            continue
        family, _, roman = SURNAMES[rng.randrange(len(SURNAMES))]
        given, _, g_roman = GIVEN[rng.randrange(len(GIVEN))]
        mail = f"{g_roman}.{roman}{n}@{DOMAINS[n % 3]}"
        soudan.append((at, _signup("", f"{family} {given}", mail)))
    id_rng = random.Random(seed + 61)
    files: dict[str, str] = {}
    for form, folder_name, rows in (
        ("event_course", "course-2022-08", course),
        ("event_soudan", "soudan-2022-09", soudan),
        ("survey_course", "course-2022-08-survey", survey),
    ):
        questions = EVENT_FORMS[form][0]
        files[f"forms/{form}.form.json"] = dump_json(form_json(form))
        files[f"events/{folder_name}.csv"] = render_csv(questions, rows)
        with_ids = [(response_id(id_rng), at, ans) for at, ans in rows]
        files[f"responses/{form}.responses.json"] = render_json(form, questions, with_ids)
    return files


def _signup(supporter_id: str, name: str, mail: str, cancel: bool = False) -> Answers:
    return {
        "action": SIGNUP_ACTIONS[1] if cancel else SIGNUP_ACTIONS[0],
        "supporter_id": supporter_id,
        "name": name,
        "email": mail,
        "consent": (CONSENT,),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    for rel, content in generate(args.seed).items():
        path = args.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as f:
            f.write(content)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
