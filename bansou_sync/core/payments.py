"""Holding and releasing payments (P12) and applying 支払済 ticks on 支払 rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

from bansou_sync.core.book import Book
from bansou_sync.core.calendar import cutoff_for, pay_date_for_cutoff, to_jst
from bansou_sync.core.model import Application, AppStatus, Notice
from bansou_sync.core.money import yen
from bansou_sync.core.policy import Policy
from bansou_sync.core.state import BatchMark

MEMO, ACCOUNT = "覚書", "謝金受取口座届出書"


def batch_key(cutoff: date, supporter_id: str) -> str:
    return f"{cutoff.isoformat()}|{supporter_id}"


def documents_missing(book: Book, supporter_id: str) -> list[str]:
    """The documents (覚書, 謝金受取口座届出書) whose receipt staff have not ticked."""
    desk = book.state.desks.get(supporter_id)
    missing = []
    if not (desk and desk.memo_received):
        missing.append(MEMO)
    if not (desk and desk.account_received):
        missing.append(ACCOUNT)
    return missing


def _supporter_notice(
    kind: str, supporter_id: str, cutoff: date, book: Book, context: dict[str, object]
) -> Notice:
    to = book.contact_email(supporter_id)
    reg = book.by_id.get(supporter_id)
    return Notice(
        kind=kind,
        ref=f"{cutoff.isoformat()} {supporter_id}",
        to=(to,) if to else (),
        event_key=f"{kind}:{cutoff.isoformat()}:{supporter_id}",
        context={
            "name": reg.name if reg and reg.name else "伴走者",
            "supporter_id": supporter_id,
            "cutoff": cutoff.isoformat(),
            **context,
        },
    )


def batch_items(apps: list[Application]) -> dict[str, object]:
    """What the volunteer reads about one batch: each application and the total."""
    items = [
        {
            "app_no": a.app_no,
            "support_date": a.support_date.isoformat() if a.support_date else "",
            "amount_text": yen(a.honorarium or 0),
        }
        for a in sorted(apps, key=lambda a: a.app_no)
    ]
    return {"items": items, "total_text": yen(sum(a.honorarium or 0 for a in apps))}


def run_holds(book: Book, policy: Policy, now: datetime) -> list[Notice]:
    """P12 「覚書・謝金受取口座届出書の返送」: the first cycle after its cutoff holds an accepted
    application whose supporter's 覚書受領 and 口座届出受領 are not both ticked (one
    ``payment_held`` per supporter and batch); once both are read it joins the first batch
    whose cutoff is on or after that day (``calendar.cutoff_for``; one ``payment_released``)."""
    today = to_jst(now).date()
    held: dict[tuple[date, str], list[Application]] = defaultdict(list)
    released: dict[tuple[date, str], list[Application]] = defaultdict(list)
    for app in book.accepted_in_order():  # the others are never held nor released
        supporter_id, cutoff_before = app.supporter_id, app.cutoff
        if app.status != AppStatus.ACCEPTED or not supporter_id or cutoff_before is None:
            continue
        missing = documents_missing(book, supporter_id)
        if app.held and not missing:
            cutoff = cutoff_for(today, policy.cutoff_day)
            pay = pay_date_for_cutoff(cutoff, policy.pay_day, policy.last_pay_date)
            app = book.update(
                app, held=False, hold_checked=True, cutoff=cutoff, pay_date=pay, updated_at=now
            )
            released[(cutoff, supporter_id)].append(app)
        elif not app.hold_checked and today > cutoff_before:
            if missing:
                app = book.update(app, held=True, hold_checked=True, updated_at=now)
                held[(cutoff_before, supporter_id)].append(app)
            else:
                book.update(app, hold_checked=True)
    notices = []
    for (cutoff, supporter_id), apps in sorted(held.items()):
        missing = documents_missing(book, supporter_id)
        planned = apps[0].pay_date  # the batch's date, had the documents come
        context = {"missing": missing, "pay_date": planned.isoformat() if planned else ""}
        notices.append(
            _supporter_notice(
                "payment_held", supporter_id, cutoff, book, context | batch_items(apps)
            )
        )
    for (cutoff, supporter_id), apps in sorted(released.items()):
        amount = sum(a.honorarium or 0 for a in apps)
        when: date | None = apps[0].pay_date
        notices.append(
            _supporter_notice(
                "payment_released",
                supporter_id,
                cutoff,
                book,
                {
                    "pay_date": when.isoformat() if when else "",
                    "count": len(apps),
                    "amount_text": yen(amount),
                    "items": batch_items(apps)["items"],
                },
            )
        )
    return notices


def apply_paid_ticks(ticked: Mapping[str, bool], book: Book, now: datetime) -> list[str]:
    """支払済 ticked on a 支払 row (key ``cutoff|ID``) makes that batch's applications paid."""
    problems: list[str] = []
    today = to_jst(now).date().isoformat()
    by_batch: dict[str, list[Application]] = defaultdict(list)
    for app in book.accepted_in_order():
        if app.status == AppStatus.ACCEPTED and app.cutoff and app.supporter_id and not app.held:
            by_batch[batch_key(app.cutoff, app.supporter_id)].append(app)
    for key, is_ticked in sorted(ticked.items()):
        mark = book.state.batches.get(key, BatchMark())
        if not is_ticked or mark.paid:
            continue
        apps = by_batch.get(key, [])
        if not apps:
            problems.append(
                f"支払 {key.replace('|', ' ')}: 支払予定の申請がないため支払済にできません"
            )
            continue
        for app in apps:
            book.update(app, status=AppStatus.PAID, updated_at=now)
        book.state.batches[key] = replace(mark, paid=True, paid_on=today)
    return problems
