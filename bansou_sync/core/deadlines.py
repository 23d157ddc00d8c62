"""The 7-day reply window of a deficient application: reminder and expiry (P9)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bansou_sync.core.book import Book
from bansou_sync.core.calendar import jst_date, reminder_due, reply_deadline, reply_deadline_passed
from bansou_sync.core.model import Application, AppStatus, Notice, Reason
from bansou_sync.core.notices import application_notice
from bansou_sync.core.policy import Policy


def expire_lapsed(book: Book, policy: Policy, as_of: datetime, now: datetime) -> list[Notice]:
    """Deficient applications whose reply deadline had passed by ``as_of`` become expired.

    The cycle calls this with each response's submission time before judging it, so a
    response sent after an original lapsed meets it expired (an ordinary new
    application, SPEC §2 P9) however late the cycle that reads it runs.
    """
    notices: list[Notice] = []
    last_day = jst_date(as_of) - timedelta(days=1)  # a deadline before today has passed

    def deadline_of(app: Application) -> date | None:
        return reply_deadline(app.reply_clock, policy.reply_days)

    for app in book.deficient_due_by(last_day, deadline_of, policy):
        deadline = deadline_of(app)
        if deadline is None or not reply_deadline_passed(deadline, as_of):
            continue
        expired = book.update(
            app,
            status=AppStatus.EXPIRED,
            reasons=(Reason("expired", deadline.isoformat()), *app.reasons),
            updated_at=now,
        )
        if app.notice_event:
            notices.append(
                application_notice(
                    "deficiency_expired",
                    expired,
                    book,
                    policy,
                    f"expired:{app.app_no}:{app.revision}",
                    reply_deadline=deadline,
                )
            )
    return notices


def run_deadlines(book: Book, policy: Policy, now: datetime) -> list[Notice]:
    notices = expire_lapsed(book, policy, now, now)
    for app in book.deficient_in_order():
        if app.reminded:
            continue
        deadline = reply_deadline(app.reply_clock, policy.reply_days)
        if deadline is None or not reminder_due(
            deadline, now, hour=policy.reminder_hour, days_before=policy.reminder_days_before
        ):
            continue
        reminded = book.update(app, reminded=True)
        if app.notice_event:
            notices.append(
                application_notice(
                    "deficiency_reminder",
                    reminded,
                    book,
                    policy,
                    f"reminder:{app.app_no}:{app.revision}",
                    reply_deadline=deadline,
                )
            )
    return notices
