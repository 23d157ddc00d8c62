"""Reason codes of SPEC §2, whether each makes an application ineligible or deficient,
and the Japanese text shown after the code in 理由 and in the volunteer's email."""

from __future__ import annotations

from collections.abc import Iterable

from bansou_sync.core.model import Reason

INELIGIBLE = (
    "outside_period",
    "late_submission",
    "too_short",
    "too_many_supporters",
    "client_cap",
    "not_member_or_referred",
    "duplicate_application",
    "intake_closed",
    "budget_closed",
)

# Order in which deficiencies are listed; missing:/unreadable: sort by their field's place.
DEFICIENT = (
    "missing",
    "no_consent",
    "unreadable",
    "time_order",
    "unknown_supporter",
    "email_mismatch",
    "unknown_companion",
    "unknown_client",
    "future_date",
    "returned",
)

# Question titles of the reference 伴走支援申請 form, for "「…」が未回答です".
APPLICATION_QUESTIONS = {
    "supporter_id": "伴走ネットID",
    "name": "氏名",
    "email": "メールアドレス",
    "support_date": "支援実施日",
    "start_time": "開始時刻",
    "end_time": "終了時刻",
    "companion_id": "同行した伴走者の伴走ネットID",
    "client_code": "相談者コード",
    "client_initials": "相談者のイニシャル",
    "client_birth_year": "相談者の生まれ年",
    "client_nationality": "相談者の国籍",
    "topics": "相談内容",
    "destinations": "同行先",
    "outcomes": "つながった公的支援",
    "narrative": "支援の内容",
    "resubmission_of": "再提出の場合、元の申請番号",
    "consent": "個人情報の取扱いに同意します",
}
FIELD_ORDER = {name: i for i, name in enumerate(APPLICATION_QUESTIONS)}

_TEXTS = {
    "outside_period": "支援実施日が事業実施期間({detail})の外です",
    "late_submission": "申請期限({detail})を過ぎています",
    "too_short": "伴走支援の時間が1時間未満です",
    "too_many_supporters": "この支援(相談者・支援実施日)にはすでに伴走者2名の申請があります",
    "client_cap": "この相談者についての申請は上限({detail})に達しています",
    "not_member_or_referred": "移住連の会員または会員の紹介による登録ではありません",
    "duplicate_application": "同じ支援について同じ伴走者からの申請がすでにあります",
    "intake_closed": "申請の受付は{detail}で終了しました",
    "budget_closed": "助成金の予算上限に達したため、申請の受付を終了しました",
    "no_consent": "個人情報の取扱いへの同意がありません",
    "time_order": "終了時刻が開始時刻より後になっていません",
    "unknown_supporter": "伴走ネットIDが登録されていません",
    "email_mismatch": "メールアドレスが伴走ネット登録のものと一致しません",
    "unknown_companion": "同行した伴走者の伴走ネットIDが登録されていません",
    "unknown_client": "この相談者コードは発行されていません",
    "future_date": "支援実施日が申請日より後の日付になっています",
    "expired": "再回答期限({detail})までに再提出がありませんでした",
    "payment_held": "覚書・謝金受取口座届出書の受領待ちのため、支払を保留しています",
}


def is_ineligible(code: str) -> bool:
    return code in INELIGIBLE


def _rank(reason: Reason) -> tuple[int, int]:
    head, _, field = reason.code.partition(":")
    if head in INELIGIBLE:
        return (INELIGIBLE.index(head), 0)
    if head in DEFICIENT:
        return (100 + DEFICIENT.index(head), FIELD_ORDER.get(field, 99))
    return (200, 0)


def ordered(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    """Reasons in the fixed order of SPEC §2, without repeats."""
    unique = {r.code: r for r in reasons}
    return tuple(sorted(unique.values(), key=_rank))


def text(reason: Reason) -> str:
    """The Japanese explanation of one reason."""
    head, _, field = reason.code.partition(":")
    question = APPLICATION_QUESTIONS.get(field, field)
    if head == "missing":
        return f"「{question}」が未回答です"
    if head == "unreadable":
        return f"「{question}」の回答を読み取れません"
    if head == "returned":
        return reason.detail or "事務局から差戻しがありました"
    template = _TEXTS.get(head)
    if template is None:
        return reason.code
    return template.format(detail=reason.detail)


def cell(reasons: Iterable[Reason]) -> str:
    """The 理由 cell: ``code: text`` joined by ``, ``."""
    return ", ".join(f"{r.code}: {text(r)}" for r in reasons)
