"""Staff decisions in 審査 (承認 / 差戻し / 却下), each acted on once (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bansou_sync.core import normalize as n
from bansou_sync.core.book import Book
from bansou_sync.core.calendar import schedule_payment, to_jst
from bansou_sync.core.model import APP_LABELS, Application, AppStatus, Notice, Reason
from bansou_sync.core.money import accepted_amount
from bansou_sync.core.notices import application_notice
from bansou_sync.core.policy import Policy

APPROVE, RETURN, REJECT = "承認", "差戻し", "却下"
ALLOWED = {
    APPROVE: {AppStatus.PENDING_REVIEW, AppStatus.DEFICIENT, AppStatus.INELIGIBLE},
    REJECT: {AppStatus.PENDING_REVIEW, AppStatus.DEFICIENT, AppStatus.ACCEPTED},
    RETURN: {AppStatus.PENDING_REVIEW},
}


def accept(app: Application, book: Book, policy: Policy, now: datetime) -> Application:
    """→ accepted: the honorarium (the lower one without a duration) and its batch (P11)."""
    today = to_jst(now).date()
    cutoff, pay_date = schedule_payment(today, to_jst(app.effective_submitted_at).date(), policy)
    amount = accepted_amount(app.minutes, policy)
    return book.update(
        app,
        status=AppStatus.ACCEPTED,
        honorarium=amount,
        accepted_on=today,
        cutoff=cutoff,
        pay_date=pay_date,
        held=False,
        hold_checked=False,
        revision=app.revision + 1,
        updated_at=now,
        notice_event="",
    )


def accepted_notice(app: Application, book: Book, policy: Policy) -> Notice:
    return application_notice(
        "application_accepted", app, book, policy, f"accepted:{app.app_no}:{app.revision}"
    )


@dataclass(frozen=True)
class Outcome:
    """What one decision did: emails, decisions not applied (同期 and the digest), and
    rule overrides that were applied (digest warnings only)."""

    notices: list[Notice] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)


def decide(
    app: Application,
    cell: str,
    memo: str,
    book: Book,
    policy: Policy,
    now: datetime,
    *,
    reason: str = "",
) -> Outcome:
    """Apply a 審査 value read for the first time. ``reason``: 却下理由(伴走者へ), the only
    staff text a 却下 email carries (審査メモ is internal)."""
    decision = n.clean_text(cell)
    app = book.update(app, decision_seen=decision, memo=memo)
    if not decision:
        return Outcome()
    if decision not in ALLOWED:
        return Outcome(
            problems=[f"{app.app_no}: 審査の値が 承認・差戻し・却下 のいずれでもありません"]
        )
    if app.status not in ALLOWED[decision]:
        label = APP_LABELS[app.status]
        return Outcome(problems=[f"{app.app_no}: {label}の申請には「{decision}」を適用できません"])
    if decision == APPROVE:
        overrides: list[str] = []
        if app.status == AppStatus.INELIGIBLE:
            codes = ", ".join(r.code for r in app.reasons)
            overrides.append(f"{app.app_no}: 対象外({codes})を承認しました")
        app = accept(app, book, policy, now)
        if book.committed_yen > policy.budget_total_yen:
            overrides.append(f"{app.app_no}: 承認により予算総額を超えました")
        return Outcome([accepted_notice(app, book, policy)], overrides=overrides)
    if decision == REJECT:
        app = book.update(app, status=AppStatus.REJECTED, revision=app.revision + 1, updated_at=now)
        notice = application_notice(
            "application_rejected",
            app,
            book,
            policy,
            f"rejected:{app.app_no}:{app.revision}",
            reason=reason,
        )
        return Outcome([notice])
    event = f"returned:{app.app_no}:{app.revision + 1}"
    app = book.update(
        app,
        status=AppStatus.DEFICIENT,
        reasons=(Reason("returned", memo.strip()),),
        revision=app.revision + 1,
        updated_at=now,
        notice_event=event,
        notice_sent_at=None,
        clock_start=None,
        reminded=False,
    )
    return Outcome([application_notice("application_deficient", app, book, policy, event)])
