"""Fictitious datasets of any size, as Forms API responses (``responses.list`` items).

The reference generator (``scripts/gen_reference.py``) builds a small, hand-crafted set
of special cases; here the point is volume, so responses are made directly: every
registration a member with a unique name, email and phone; every application by a
registered supporter, within the programme period, submitted within a month of the
support day, for a client seen at most three times (well under the caps), so that the
rules — not ``budget_closed`` — decide. One in 25 is too short and one in 40 lacks its
topics, so ineligible and deficiency paths run too. Question IDs come from the reference
forms (``reference/forms/*.form.json``). Deterministic: same size, same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORMS_DIR = ROOT / "reference" / "forms"
JST = timedelta(hours=9)
REG_START = datetime(2022, 5, 25, 10, 0)  # JST, naive
APP_FIRST_DAY = date(2022, 6, 1)
HISTORY_DAYS = 200  # support days 2022-06-01 … 2022-12-17
NATIONALITIES = ("ベトナム", "フィリピン", "ネパール", "ブラジル", "中国", "ペルー", "ミャンマー")
TOPICS = ("医療", "住まい", "行政手続き", "仕事・労働", "在留資格")
# the cycle clock of the benchmark (JST): history ends before it
BACKFILL_AT = datetime(2023, 1, 10, 9, 0)


def form_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FORMS_DIR / f"{name}.form.json").read_text("utf-8"))
    return data


def question_ids(form: dict[str, Any]) -> dict[str, str]:
    """Question title → questionId."""
    return {
        item["title"]: item["questionItem"]["question"]["questionId"]
        for item in form["items"]
        if "questionItem" in item
    }


def utc(moment: datetime) -> str:
    """A naive JST time as the Forms API's UTC ``createTime``."""
    return (moment - JST).replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _answers(ids: dict[str, str], values: dict[str, str | tuple[str, ...]]) -> dict[str, Any]:
    out = {}
    for title, value in values.items():
        given = list(value) if isinstance(value, tuple) else [value] if value else []
        if given:
            qid = ids[title]
            out[qid] = {
                "questionId": qid,
                "textAnswers": {"answers": [{"value": v} for v in given]},
            }
    return out


def _response(prefix: str, n: int, at: datetime, answers: dict[str, Any]) -> dict[str, Any]:
    stamp = utc(at)
    return {
        "responseId": f"ACYDBN{prefix}{n:09d}",
        "createTime": stamp,
        "lastSubmittedTime": stamp[:-1] + "000Z",
        "answers": answers,
    }


@dataclass(frozen=True)
class Size:
    label: str
    registrations: int
    applications: int


SIZES = (Size("1k", 1_000, 1_000), Size("6k", 3_000, 6_000), Size("60k", 10_000, 60_000))


def person(i: int) -> dict[str, str | tuple[str, ...]]:
    return {
        "氏名": f"伴走 {i}",
        "ふりがな": "ばんそう",
        "メールアドレス": f"v{i}@example.com",
        "電話番号": f"090-{i // 10000:04d}-{i % 10000:04d}",
        "郵便番号": "100-0001",
        "住所": "東京都千代田区架空町1-1",
        "移住連との関係": "会員",
        "活動地域(都道府県)": "東京都",
        "対応できる言語": ("英語", "ベトナム語"),
        "伴走支援講座の受講を希望しますか": "いいえ",
        "個人情報の取扱いに同意します": ("同意します",),
    }


def registrations(count: int) -> list[dict[str, Any]]:
    """Registration ``i`` (1-based) gets 伴走ネットID BN-{i:04d}: they arrive in order."""
    ids = question_ids(form_json("registration"))
    step = timedelta(days=5) / max(count, 1)
    return [
        _response("R", i, REG_START + step * (i - 1), _answers(ids, person(i)))
        for i in range(1, count + 1)
    ]


def application_values(k: int, supporters: int, day: date) -> dict[str, str | tuple[str, ...]]:
    supporter = k % supporters + 1
    client = k // 3  # three occasions per client, on different days
    initials = f"{chr(65 + client % 26)}.{chr(65 + client // 26 % 26)}."
    long = k % 7 == 0
    return {
        "伴走ネットID": f"BN-{supporter:04d}",
        "氏名": f"伴走 {supporter}",
        "メールアドレス": f"v{supporter}@example.com",
        "支援実施日": day.isoformat(),
        "開始時刻": "10:00",
        "終了時刻": "10:30" if k % 25 == 3 else ("13:30" if long else "12:00"),
        "相談者のイニシャル": initials,
        "相談者の生まれ年": str(1950 + client // 676 % 50),
        "相談者の国籍": NATIONALITIES[client // 33800 % len(NATIONALITIES)],
        "相談内容": () if k % 40 == 5 else (TOPICS[k % 5], TOPICS[(k + 2) % 5]),
        "同行先": ("病院",),
        "支援の内容": "病院での受診に同行しました。",
        "個人情報の取扱いに同意します": ("同意します",),
    }


def applications(count: int, supporters: int) -> list[dict[str, Any]]:
    """The history: support days spread over 200 days, each submitted 1–20 days later."""
    ids = question_ids(form_json("application"))
    out = []
    for k in range(count):
        day = APP_FIRST_DAY + timedelta(days=k * HISTORY_DAYS // count)
        at = datetime.combine(day, datetime.min.time()) + timedelta(
            days=1 + k % 20, hours=8, seconds=k % 36000
        )
        out.append(_response("A", k, at, _answers(ids, application_values(k, supporters, day))))
    return out


def new_applications(count: int, supporters: int, first: int, at: datetime) -> list[dict[str, Any]]:
    """``count`` applications submitted just before ``at`` (JST), for support days a week
    earlier, by clients never seen before (their numbers follow the history's)."""
    ids = question_ids(form_json("application"))
    day = (at - timedelta(days=7)).date()
    out = []
    for j in range(count):
        k = first + j
        submitted = at - timedelta(minutes=4) + timedelta(milliseconds=10 * j)
        values = application_values(k, supporters, day)
        out.append(_response("N", k, submitted, _answers(ids, values)))
    return out


def sheet_rows(form: dict[str, Any], responses: list[dict[str, Any]]) -> list[list[str]]:
    """The responses as a form's linked responses Sheet shows them (タイムスタンプ first)."""
    titles = [i["title"] for i in form["items"] if "questionItem" in i]
    ids = [
        i["questionItem"]["question"]["questionId"] for i in form["items"] if "questionItem" in i
    ]
    rows = [["タイムスタンプ", *titles]]
    for r in responses:
        created = datetime.strptime(r["createTime"], "%Y-%m-%dT%H:%M:%S.%fZ") + JST
        stamp = f"{created.year}/{created.month:02d}/{created.day:02d} {created:%H:%M:%S}"
        answers = r.get("answers", {})
        cells = [
            ", ".join(a["value"] for a in answers[q]["textAnswers"]["answers"])
            if q in answers
            else ""
            for q in ids
        ]
        rows.append([stamp, *cells])
    return rows
