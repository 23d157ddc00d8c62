"""From decided notices to delivered mail: queue in the ledger, send after commit.

A notice becomes an ``OutboxItem`` whose Message-ID is derived from (kind, event key),
so queuing the same event twice is a no-op (INSERT OR IGNORE). Sending marks each item
``sending`` before and ``sent`` after delivery, one small transaction each, so a crash
between two sends loses nothing and repeats nothing that was recorded as sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bansou_sync.adapters.ledger import Ledger, OutboxItem
from bansou_sync.app.crashpoints import crash_point
from bansou_sync.app.render import Renderer, message_id
from bansou_sync.core.calendar import to_jst
from bansou_sync.core.model import Notice
from bansou_sync.errors import BansouError, PermanentMailError, TemporaryMailError
from bansou_sync.ports import Mailer

log = logging.getLogger(__name__)
PROGRESS_EVERY = 50  # a log line per this many sent: a long backlog in the journal

NO_ADDRESS = "宛先のメールアドレスがありません / no usable address"


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    waiting: int
    error: BaseException | None = None  # what made sending stop early (retried next cycle)


def to_items(notices: Sequence[Notice], domain: str, now: datetime) -> list[OutboxItem]:
    items = []
    for notice in notices:
        item = OutboxItem(
            message_id=message_id(notice.kind, notice.event_key, domain),
            kind=notice.kind,
            ref=notice.ref,
            to=notice.to,
            event_key=notice.event_key,
            context=dict(notice.context),
            created_at=now,
        )
        if not notice.to:
            item = replace(item, status="failed", error=NO_ADDRESS)
        items.append(item)
    return items


def _final_context(item: OutboxItem, sent_at: datetime, reply_days: int) -> dict[str, object]:
    context = dict(item.context)
    if "reply_deadline" in context and context["reply_deadline"] is None:
        # the reply window starts when the notice actually leaves (P9)
        deadline = to_jst(sent_at).date() + timedelta(days=reply_days)
        context["reply_deadline"] = deadline.isoformat()
    return context


def settle_interrupted(ledger: Ledger, mailer: Mailer) -> None:
    """A message left in ``sending`` by a crash is checked before anything is resent:
    delivered → sent; certainly not delivered → pending again; unknown → staff review."""
    for item in ledger.in_sending():
        answer = mailer.delivered(item.message_id)
        if answer is True:
            ledger.mark_sent(item.message_id, item.created_at)
        elif answer is False:
            ledger.mark_failed(item.message_id, "interrupted before delivery", permanent=False)
        else:
            ledger.mark_review(
                item.message_id,
                "送信中に中断されました。届いたか確認してください / interrupted mid-send: check by hand",
            )


def deliver(
    ledger: Ledger,
    mailer: Mailer,
    renderer: Renderer,
    now: datetime,
    *,
    daily_limit: int,
    reply_days: int,
    pace_seconds: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
) -> SendReport:
    """Send what is pending, oldest first, within the rolling 24-hour limit.
    ``progress(done, total)`` after each message (a long backlog shows how far it is)."""
    settle_interrupted(ledger, mailer)
    room = max(0, daily_limit - ledger.sent_count_since(now - timedelta(hours=24)))
    queue = ledger.pending(limit=room) if room else []  # not the whole backlog each cycle
    sent = failed = 0
    error: BaseException | None = None
    for item in queue[:room]:
        ledger.mark_sending(item.message_id)
        try:
            message = renderer.build_message(
                kind=item.kind,
                ref=item.ref,
                to=item.to,
                event_key=item.event_key,
                context=_final_context(item, now, reply_days),
                sent_on=to_jst(now).date().isoformat(),
                now=now,
            )
            mailer.send(message)
        except PermanentMailError as exc:
            ledger.mark_failed(item.message_id, str(exc), permanent=True)
            failed += 1
            continue
        except (TemporaryMailError, BansouError) as exc:
            ledger.mark_failed(item.message_id, str(exc), permanent=False)
            error = exc
            break  # the mail server is unwell: try again next cycle
        ledger.mark_sent(item.message_id, now)
        sent += 1
        if progress is not None:
            progress(sent + failed, len(queue))
        if sent % PROGRESS_EVERY == 0:
            log.info("sending: %d of %d sent", sent, len(queue))
        crash_point("between_sends")
        if pace_seconds:
            time.sleep(pace_seconds)
    return SendReport(sent=sent, failed=failed, waiting=ledger.pending_count(), error=error)
