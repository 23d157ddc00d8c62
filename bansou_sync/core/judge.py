"""Judging one application against the programme's rules (SPEC §2, P1–P8, P13, P14).

Each rule is one function below, named after its reason code and quoting the
announcement (docs/interpretations.md lists where every rule P1–P14 lives). ``judge``
is pure: it reads the ``Book`` (registrations, live counts, committed budget) and
returns a ``Verdict``; the cycle applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bansou_sync.core.answers import ApplicationFacts
from bansou_sync.core.book import Book
from bansou_sync.core.calendar import submission_deadline, to_jst
from bansou_sync.core.model import MISSING, AppStatus, Problem, Reason
from bansou_sync.core.money import honorarium, minutes_between
from bansou_sync.core.policy import Policy
from bansou_sync.core.reasons import is_ineligible, ordered
from bansou_sync.core.registrations import may_apply


@dataclass(frozen=True)
class Verdict:
    status: AppStatus
    reasons: tuple[Reason, ...]
    minutes: int | None
    honorarium: int | None
    found: tuple[Reason, ...] = ()  # every reason found, deficiencies under ineligible ones


def _required(reasons: list[Reason], field: str, value: object) -> bool:
    """Add missing:/unreadable: for a problem answer; True when the value is usable."""
    if isinstance(value, Problem):
        reasons.append(Reason(f"{value.value}:{field}"))
        return False
    return True


def answer_reasons(facts: ApplicationFacts) -> list[Reason]:
    """Deficiencies visible in the answers alone (no lookups)."""
    reasons: list[Reason] = []
    required = {
        "supporter_id": facts.supporter_id,
        "email": facts.email,
        "support_date": facts.support_date,
        "start_time": facts.start,
        "end_time": facts.end,
    }
    for field, value in required.items():
        _required(reasons, field, value)
    if not facts.name:
        reasons.append(Reason("missing:name"))
    if not facts.topics:
        reasons.append(Reason("missing:topics"))
    if not facts.consent:
        reasons.append(Reason("no_consent"))
    if facts.companion_id is not MISSING and isinstance(facts.companion_id, Problem):
        reasons.append(Reason("unreadable:companion_id"))
    readable = not isinstance(facts.start, Problem) and not isinstance(facts.end, Problem)
    if readable and minutes_between(facts.start, facts.end) is None:  # type: ignore[arg-type]
        reasons.append(Reason("time_order"))
    return reasons


def supporter_reasons(facts: ApplicationFacts, book: Book) -> list[Reason]:
    """P6 「移住連の会員もしくはその紹介を受けた方で、伴走ネットに登録をした方」: the ID belongs
    to an active registration (else ``unknown_supporter``), of a member or of one referred
    with the referrer named (``registrations.may_apply``; else ``not_member_or_referred``),
    whose address — or the staff's 連絡先訂正 — is the one typed (else ``email_mismatch``)."""
    if isinstance(facts.supporter_id, Problem):
        return []
    reg = book.active_registration(facts.supporter_id)
    if reg is None:
        return [Reason("unknown_supporter")]
    reasons: list[Reason] = []
    if not may_apply(reg):
        reasons.append(Reason("not_member_or_referred"))
    if not isinstance(facts.email, Problem):
        desk = book.state.desks.get(facts.supporter_id)
        known = {e for e in (reg.email, desk.contact_correction if desk else None) if e}
        if facts.email not in known:
            reasons.append(Reason("email_mismatch"))
    return reasons


def outside_period(day: date, policy: Policy) -> list[Reason]:
    """P1 「事業実施期間 2022-05-25 ~ 2023-02-28」: the support date lies in
    ``period.start``..``period.end``, both days included."""
    if policy.period_start <= day <= policy.period_end:
        return []
    span = f"{policy.period_start.isoformat()}〜{policy.period_end.isoformat()}"
    return [Reason("outside_period", span)]


def late_submission(day: date, effective_at: datetime) -> list[Reason]:
    """P2 「支援実施後、1ヶ月以内に申請 (5/26 → 6/25 まで)」: the submission's JST date is at
    most ``calendar.submission_deadline`` of the support date. ``effective_at`` is the
    submission's time, or its original's for a resubmission in time (P9)."""
    deadline = submission_deadline(day)
    if to_jst(effective_at).date() <= deadline:
        return []
    return [Reason("late_submission", deadline.isoformat())]


def too_short(minutes: int | None, policy: Policy) -> list[Reason]:
    """P3 「伴走支援を最低1時間以上」: a readable duration of at least ``rules.min_minutes``
    (60); without a duration the times' own deficiency is reported instead."""
    if minutes is not None and minutes < policy.min_minutes:
        return [Reason("too_short")]
    return []


def future_date(day: date, submitted_at: datetime) -> list[Reason]:
    """P13 「未来の日付は不可」: a support date after the submission's own JST date (not the
    original's: a resubmission corrects the answers it sends) is a deficiency."""
    return [Reason("future_date")] if day > to_jst(submitted_at).date() else []


def duplicate_application(supporter_id: str, supporters: set[str]) -> list[Reason]:
    """P14 「同じ伴走者が同じ機会に二度申請」: the supporter already holds a live application
    for this occasion (client, support date); the other caps are then not counted."""
    return [Reason("duplicate_application")] if supporter_id in supporters else []


def too_many_supporters(supporters: set[str], policy: Policy) -> list[Reason]:
    """P4 「伴走支援1回につき、伴走者2名まで」: at most ``rules.max_supporters_per_occasion``
    distinct supporters hold live applications for one occasion; the next one, in
    submission order, is refused."""
    if len(supporters) >= policy.max_supporters_per_occasion:
        return [Reason("too_many_supporters")]
    return []


def client_cap(client_code: str, day: date, book: Book, policy: Policy) -> list[Reason]:
    """P5 「一支援対象者(相談者)につき、申請は5回まで」: a client has at most
    ``rules.max_occasions_per_client`` occasions with live applications (both supporters
    of one occasion count once); ``rules.client_cap_counts: applications`` counts
    applications instead."""
    if policy.client_cap_counts == "applications":
        over = book.client_apps[client_code] >= policy.max_occasions_per_client
        cap = f"{policy.max_occasions_per_client}件"
    else:
        dates = book.live_dates(client_code)
        over = day not in dates and len(dates) >= policy.max_occasions_per_client
        cap = f"{policy.max_occasions_per_client}回"
    return [Reason("client_cap", cap)] if over else []


def occasion_reasons(
    supporter_id: str, client_code: str, facts: ApplicationFacts, book: Book, policy: Policy
) -> list[Reason]:
    """P14, P4 and P5 over applications already live (in submission order)."""
    if isinstance(facts.support_date, Problem):
        return []
    day = facts.support_date
    supporters = book.live_supporters((client_code, day))
    duplicate = duplicate_application(supporter_id, supporters)
    if duplicate:
        return duplicate
    return too_many_supporters(supporters, policy) + client_cap(client_code, day, book, policy)


def intake_closed(effective_at: datetime, policy: Policy) -> list[Reason]:
    """P8's advance closing (「助成金に限りがあり…事前に締め切る」, ``intake.closes_on``): an
    application submitted after that day is refused."""
    closes = policy.intake_closes_on
    if closes is not None and to_jst(effective_at).date() > closes:
        return [Reason("intake_closed", closes.isoformat())]
    return []


def budget_closed(amount: int | None, book: Book, policy: Policy) -> bool:
    """P8 「助成金に限りがあり…事前に締め切る」, for one application: it would push the
    committed honoraria (``Book.committed_yen``: pending_review + accepted + paid, plus
    emergency grants) above ``budget.total_yen`` when it became pending_review. The
    warning at ``budget.warn_ratio`` and the closing of the form are ``budget.check_budget``.
    """
    return book.committed_yen + (amount or 0) > policy.budget_total_yen


def judge(
    facts: ApplicationFacts,
    *,
    client_code: str | None,
    client_reasons: list[Reason],
    submitted_at: datetime,
    effective_at: datetime,
    book: Book,
    policy: Policy,
) -> Verdict:
    """The outcome of SPEC §2: ineligible codes win, then deficiencies, then the budget."""
    reasons = answer_reasons(facts) + client_reasons
    if (
        not isinstance(facts.companion_id, Problem)
        and book.active_registration(facts.companion_id) is None
    ):
        reasons.append(Reason("unknown_companion"))
    reasons += supporter_reasons(facts, book)
    minutes: int | None = None
    if not isinstance(facts.start, Problem) and not isinstance(facts.end, Problem):
        minutes = minutes_between(facts.start, facts.end)
    reasons += too_short(minutes, policy)
    day = facts.support_date
    if not isinstance(day, Problem):
        reasons += outside_period(day, policy)
        reasons += late_submission(day, effective_at)
        reasons += future_date(day, submitted_at)
    reasons += intake_closed(effective_at, policy)
    if client_code and not isinstance(facts.supporter_id, Problem):
        reasons += occasion_reasons(facts.supporter_id, client_code, facts, book, policy)

    amount = honorarium(minutes, policy)
    return classify(reasons, minutes, amount, book, policy)


def classify(
    reasons: Sequence[Reason], minutes: int | None, amount: int | None, book: Book, policy: Policy
) -> Verdict:
    """SPEC §2's outcome from every reason found: ineligible codes win, then deficiencies,
    then the budget (P8). A staff correction re-judges through this too (core/corrections)."""
    found = ordered(reasons)
    ineligible = [r for r in found if is_ineligible(r.code.partition(":")[0])]
    if ineligible:
        return Verdict(AppStatus.INELIGIBLE, ordered(ineligible), minutes, amount, found)
    if found:
        return Verdict(AppStatus.DEFICIENT, found, minutes, amount, found)
    if budget_closed(amount, book, policy):
        return Verdict(AppStatus.INELIGIBLE, (Reason("budget_closed"),), minutes, amount, found)
    return Verdict(AppStatus.PENDING_REVIEW, (), minutes, amount, found)
