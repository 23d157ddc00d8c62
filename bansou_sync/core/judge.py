"""Judging one application against the programme's rules (SPEC §2, P1–P8, P13, P14).

``judge`` is pure: it reads the ``Book`` (registrations, live counts, committed budget)
and returns a ``Verdict``; the cycle applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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
    for field in ("supporter_id", "email", "support_date", "start_time", "end_time"):
        value = {
            "supporter_id": facts.supporter_id,
            "email": facts.email,
            "support_date": facts.support_date,
            "start_time": facts.start,
            "end_time": facts.end,
        }[field]
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
    """P6: a registered, active member (or referred) whose email matches."""
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


def occasion_reasons(
    supporter_id: str, client_code: str, facts: ApplicationFacts, book: Book, policy: Policy
) -> list[Reason]:
    """P14, P4 and P5 over applications already live (in submission order)."""
    if isinstance(facts.support_date, Problem):
        return []
    occasion = (client_code, facts.support_date)
    supporters = book.live_supporters(occasion)
    if supporter_id in supporters:
        return [Reason("duplicate_application")]
    reasons: list[Reason] = []
    if len(supporters) >= policy.max_supporters_per_occasion:
        reasons.append(Reason("too_many_supporters"))
    if policy.client_cap_counts == "applications":
        over = book.client_apps[client_code] >= policy.max_occasions_per_client
        cap = f"{policy.max_occasions_per_client}件"
    else:
        dates = book.live_dates(client_code)
        over = facts.support_date not in dates and len(dates) >= policy.max_occasions_per_client
        cap = f"{policy.max_occasions_per_client}回"
    if over:
        reasons.append(Reason("client_cap", cap))
    return reasons


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
    if minutes is not None and minutes < policy.min_minutes:
        reasons.append(Reason("too_short"))
    day = facts.support_date
    if not isinstance(day, Problem):
        if not policy.period_start <= day <= policy.period_end:
            span = f"{policy.period_start.isoformat()}〜{policy.period_end.isoformat()}"
            reasons.append(Reason("outside_period", span))
        deadline = submission_deadline(day)
        if to_jst(effective_at).date() > deadline:
            reasons.append(Reason("late_submission", deadline.isoformat()))
        if day > to_jst(submitted_at).date():
            reasons.append(Reason("future_date"))
    closes = policy.intake_closes_on
    if closes is not None and to_jst(effective_at).date() > closes:
        reasons.append(Reason("intake_closed", closes.isoformat()))
    if client_code and not isinstance(facts.supporter_id, Problem):
        reasons += occasion_reasons(facts.supporter_id, client_code, facts, book, policy)

    amount = honorarium(
        minutes,
        short_yen=policy.short_yen,
        long_yen=policy.long_yen,
        min_minutes=policy.min_minutes,
        long_from=policy.long_from_minutes,
    )
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
    if book.committed_yen + (amount or 0) > policy.budget_total_yen:
        return Verdict(AppStatus.INELIGIBLE, (Reason("budget_closed"),), minutes, amount, found)
    return Verdict(AppStatus.PENDING_REVIEW, (), minutes, amount, found)
