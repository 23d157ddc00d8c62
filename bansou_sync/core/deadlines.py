"""The 7-day reply window of a deficient application: reminder and expiry (P9)."""

from __future__ import annotations

from datetime import datetime

from bansou_sync.core.book import Book
from bansou_sync.core.calendar import reminder_due, reply_deadline_passed
from bansou_sync.core.intake import reply_deadline_of
from bansou_sync.core.model import AppStatus, Notice, Reason
from bansou_sync.core.notices import application_notice
from bansou_sync.core.policy import Policy


def run_deadlines(book: Book, policy: Policy, now: datetime) -> list[Notice]:
    notices: list[Notice] = []
    for app in list(book.state.applications.values()):
        if app.status != AppStatus.DEFICIENT:
            continue
        deadline = reply_deadline_of(app, policy)
        if deadline is None:
            continue
        if reply_deadline_passed(deadline, now):
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
        elif not app.reminded and reminder_due(
            deadline, now, hour=policy.reminder_hour, days_before=policy.reminder_days_before
        ):
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
