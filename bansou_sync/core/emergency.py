"""Emergency support requests (緊急支援費, issue 6 §5), as pure functions.

request       A response of the 緊急支援費申請 form; it owns a 受付番号 (``E-0001``).
case          An application in ``accepted`` or ``paid``: a request must quote the
              伴走ネットID and the 相談者コード of one (the code, never the triple: only its
              keyed hash is stored, see ``core.intake``).
unmatched     A request that matches no case (or cannot be read): it still gets a
              受付番号, a row in 緊急支援 and a staff email, with a reason code, so
              nothing is dropped silently.
decision      What staff type in 緊急支援: 決定 (承認 / 却下) and 金額 (yen). Both are
              read back every cycle; the granted amounts count against the budget (P8)
              through ``State.flags[GRANTED_FLAG]``, which ``Book`` adds to committed
              (unless ``budget.emergency_in_total: false``: another fund).

The request's free text stays in the form (staff read it there); the ledger, the tab
and the email carry IDs, codes, amounts and categories only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bansou_sync.core import normalize as n
from bansou_sync.core.calendar import stamp, to_jst
from bansou_sync.core.ids import IdPattern
from bansou_sync.core.model import Application, AppStatus, Notice, Problem, RawResponse
from bansou_sync.core.policy import Policy
from bansou_sync.core.tabs import TabLayout

FORM = "emergency"
REQUEST_IDS = IdPattern("E-", 4)
GRANTED_FLAG = "emergency_granted_yen"
CASES = frozenset({AppStatus.ACCEPTED, AppStatus.PAID})

PENDING, UNMATCHED, GRANTED, REJECTED = "pending_review", "unmatched", "granted", "rejected"
LABELS = {PENDING: "審査待ち", UNMATCHED: "要確認(照合不可)", GRANTED: "承認", REJECTED: "却下"}
DECISIONS = {"承認": GRANTED, "却下": REJECTED}
PURPOSES = ("食費・生活費", "住まい", "医療", "交通費", "その他")  # "Other: …" text is not kept

EMERGENCY_TAB = TabLayout(
    name="緊急支援",
    headers=(
        "受付番号",
        "回答ID",
        "受信日時",
        "伴走ネットID",
        "相談者コード",
        "対象申請番号",
        "希望金額",
        "用途",
        "判定",
        "状態コード",
        "理由",
        "決定",
        "金額",
        "最終更新",
    ),
    key=("受付番号",),
    staff=("決定", "金額"),
)

REASON_TEXT = {
    "no_matching_case": "この伴走ネットIDと相談者コードの、受付完了・支払済の申請がありません",
    "missing:supporter_id": "伴走ネットIDが未回答です",
    "unreadable:supporter_id": "伴走ネットIDを読み取れません",
    "missing:client_code": "相談者コードが未回答です",
    "unreadable:client_code": "相談者コードを読み取れません",
    "unreadable:amount": "希望金額を読み取れません",
    "no_consent": "個人情報の取扱いへの同意がありません",
}


@dataclass(frozen=True)
class EmergencyRequest:
    request_no: str
    response_id: str
    submitted_at: datetime  # JST
    last_submitted_at: datetime  # JST
    supporter_id: str | None
    client_code: str | None
    cases: tuple[str, ...]  # 申請番号 of the matching accepted/paid applications
    requested_yen: int | None
    purposes: tuple[str, ...]
    status: str
    reasons: tuple[str, ...]
    granted_yen: int = 0
    decision_seen: str = ""  # 決定 as last read
    amount_seen: str = ""  # 金額 as last read
    updated_at: datetime | None = None


@dataclass
class EmergencyPlan:
    requests: dict[str, EmergencyRequest]  # by 受付番号
    notices: list[Notice] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    new: int = 0

    @property
    def granted_yen(self) -> int:
        return sum(r.granted_yen for r in self.requests.values() if r.status == GRANTED)


_YEN_NOISE = re.compile(r"[,\s円¥￥]")


def read_yen(raw: str | None) -> int | Problem:
    """``50000``, ``５０，０００円``, ``¥50,000`` → 50000; blank → MISSING; else UNREADABLE."""
    text = _YEN_NOISE.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not text:
        return Problem.MISSING
    if not text.isdigit() or len(text) > 9:
        return Problem.UNREADABLE
    return int(text)


def _read_id(pattern: IdPattern, raw: str, name: str, reasons: list[str]) -> str | None:
    value = pattern.parse(raw)
    if isinstance(value, Problem):
        reasons.append(f"{value.value}:{name}")
        return None
    return value


def cases_of(
    supporter_id: str | None, client_code: str | None, applications: Iterable[Application]
) -> tuple[str, ...]:
    if not supporter_id or not client_code:
        return ()
    return tuple(
        sorted(
            a.app_no
            for a in applications
            if a.status in CASES
            and a.client_code == client_code
            and supporter_id in (a.supporter_id, a.companion_id)
        )
    )


def read_request(
    raw: RawResponse,
    request_no: str,
    applications: Iterable[Application],
    policy: Policy,
    now: datetime,
) -> EmergencyRequest:
    reasons: list[str] = []
    supporter = _read_id(policy.supporter_ids, raw.text("supporter_id"), "supporter_id", reasons)
    client = _read_id(policy.client_ids, raw.text("client_code"), "client_code", reasons)
    amount = read_yen(raw.text("amount"))
    if amount is Problem.UNREADABLE:
        reasons.append("unreadable:amount")
    if not n.read_consent(raw.text("consent")):
        reasons.append("no_consent")
    cases = cases_of(supporter, client, applications)
    if supporter and client and not cases:
        reasons.append("no_matching_case")
    return EmergencyRequest(
        request_no=request_no,
        response_id=raw.response_id,
        submitted_at=to_jst(raw.submitted_at),
        last_submitted_at=to_jst(raw.last_submitted_at),
        supporter_id=supporter,
        client_code=client,
        cases=cases,
        requested_yen=amount if isinstance(amount, int) else None,
        purposes=tuple(
            dict.fromkeys(
                p if p in PURPOSES else "その他"
                for p in n.read_checkbox_list(raw.answers.get("purposes"))
            )
        ),
        status=UNMATCHED if reasons else PENDING,
        reasons=tuple(reasons),
        updated_at=now,
    )


def staff_notice(request: EmergencyRequest, policy: Policy) -> Notice:
    return Notice(
        kind="emergency_request",
        ref=request.request_no,
        to=policy.staff_to,
        event_key=f"emergency_request:{request.response_id}",
        context={
            "request_no": request.request_no,
            "supporter_id": request.supporter_id or "",
            "client_code": request.client_code or "",
            "cases": list(request.cases),
            "requested_yen": request.requested_yen,
            "status_label": LABELS[request.status],
            "reasons": [f"{code}: {REASON_TEXT.get(code, code)}" for code in request.reasons],
        },
    )


def _decide(
    request: EmergencyRequest, decision: str, amount: str, now: datetime, problems: list[str]
) -> EmergencyRequest:
    """Staff's 決定 and 金額 as read now; an unreadable pair changes nothing and is reported."""
    decision, amount = decision.strip(), amount.strip()
    if (decision, amount) == (request.decision_seen, request.amount_seen):
        return request
    seen = replace(request, decision_seen=decision, amount_seen=amount, updated_at=now)
    if not decision:  # cleared: back to what intake found
        status = UNMATCHED if request.reasons else PENDING
        return replace(seen, status=status, granted_yen=0)
    outcome = DECISIONS.get(decision)
    if outcome is None:
        problems.append(f"緊急支援 {request.request_no}: 決定「{decision}」は 承認 か 却下 です")
        return replace(request, decision_seen=decision, amount_seen=amount)
    if outcome == REJECTED:
        return replace(seen, status=REJECTED, granted_yen=0)
    yen = read_yen(amount)
    if not isinstance(yen, int) or yen <= 0:
        problems.append(
            f"緊急支援 {request.request_no}: 承認には金額(円)を入力してください"
            " / a grant needs an amount in yen"
        )
        return replace(request, decision_seen=decision, amount_seen=amount)
    return replace(seen, status=GRANTED, granted_yen=yen)


def plan_emergency(
    requests: Mapping[str, EmergencyRequest],
    responses: Sequence[RawResponse],
    decisions: Mapping[str, tuple[str, str]],
    applications: Iterable[Application],
    policy: Policy,
    now: datetime,
    next_number: int,
    tombstones: frozenset[str] = frozenset(),
) -> EmergencyPlan:
    """New requests in submission order, then staff's decisions; ``next_number`` is the
    number the next 受付番号 takes (numbers are never reused)."""
    now = to_jst(now)
    apps = list(applications)
    plan = EmergencyPlan(dict(requests))
    known = {r.response_id for r in requests.values()}
    fresh = sorted(
        (r for r in responses if r.response_id not in known and r.submitted_at <= now),
        key=lambda r: r.submitted_at,
    )
    for raw in fresh:
        if f"{FORM}|{raw.response_id}" in tombstones:
            continue
        request = read_request(raw, REQUEST_IDS.format(next_number), apps, policy, now)
        next_number += 1
        plan.requests[request.request_no] = request
        plan.notices.append(staff_notice(request, policy))
        plan.new += 1
    for request_no, request in list(plan.requests.items()):
        if request.reasons == ("no_matching_case",) and not request.decision_seen:
            cases = cases_of(request.supporter_id, request.client_code, apps)
            if cases:  # the case was accepted after the request came in
                plan.requests[request_no] = replace(
                    request, cases=cases, reasons=(), status=PENDING, updated_at=now
                )
    for request_no, (decision, amount) in sorted(decisions.items()):
        found = plan.requests.get(request_no)
        if found is None:
            if decision.strip() or amount.strip():
                plan.problems.append(f"緊急支援 {request_no}: 台帳にない受付番号の行があります")
            continue
        plan.requests[request_no] = _decide(found, decision, amount, now, plan.problems)
    return plan


def rows(requests: Mapping[str, EmergencyRequest]) -> list[list[str | int]]:
    """The 緊急支援 tab, newest 受付番号 last; staff columns are left blank (never written)."""
    out: list[list[str | int]] = []
    for r in sorted(requests.values(), key=lambda r: r.request_no):
        reasons = ", ".join(f"{c}: {REASON_TEXT.get(c, c)}" for c in r.reasons)
        out.append(
            [
                r.request_no,
                r.response_id,
                stamp(r.submitted_at),
                r.supporter_id or "",
                r.client_code or "",
                ", ".join(r.cases),
                "" if r.requested_yen is None else r.requested_yen,
                ", ".join(r.purposes),
                LABELS[r.status],
                r.status,
                reasons,
                "",
                "",
                stamp(r.updated_at),
            ]
        )
    return out
