"""From decided notices to delivered mail: queue in the ledger, send after commit.

A notice becomes an ``OutboxItem`` whose Message-ID is derived from (kind, event key),
so queuing the same event twice is a no-op (INSERT OR IGNORE). Sending marks each item
``sending`` before and ``sent`` after delivery, one small transaction each, so a crash
between two sends loses nothing and repeats nothing that was recorded as sent.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage

from bansou_sync.app.render import STAFF_KINDS, Renderer, message_id
from bansou_sync.core.calendar import reply_deadline, to_jst
from bansou_sync.core.model import Notice
from bansou_sync.crashpoints import crash_point
from bansou_sync.errors import BansouError, PermanentMailError, TemporaryMailError
from bansou_sync.ports import Ledger, Mailer, OutboxItem

log = logging.getLogger(__name__)
PROGRESS_EVERY = 50  # a log line per this many sent: a long backlog in the journal

NO_ADDRESS = "宛先のメールアドレスがありません / no usable address"


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    waiting: int
    error: BaseException | None = None  # what made sending stop early (retried next cycle)
    parked: tuple[str, ...] = ()  # one line per message parked as failed this time (IDs only)


# Staff mail (render.STAFF_KINDS) goes first, and this share of the rolling daily limit is
# kept for it: volunteer mail may use the rest, so a flood of notices never leaves an
# alert waiting for tomorrow (issue 10 §5).
STAFF_RESERVE_SHARE = 20  # 1/20 of mail.daily_limit: 25 of the default 500
STAFF_RESERVE_MAX = 25
# a message found left in ``sending`` this many times (a crash while sending it, each
# time) is parked as failed rather than tried again and again (issue 10 §1)
MAX_INTERRUPTED = 3


def staff_reserve(daily_limit: int) -> int:
    """How many of the daily limit volunteer mail leaves to staff mail."""
    if daily_limit <= 1:
        return 0
    return max(1, min(STAFF_RESERVE_MAX, daily_limit // STAFF_RESERVE_SHARE))


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
        # the reply window opens when the notice actually leaves (P9): ``deliver`` records
        # this same ``sent_at`` in the ledger (mark_sent), whence the application's
        # notice_sent_at, so the date printed is the date the rule enforces
        context["reply_deadline"] = reply_deadline(sent_at, reply_days).isoformat()
    return context


def settle_interrupted(ledger: Ledger, mailer: Mailer, now: datetime) -> list[str]:
    """A message left in ``sending`` by a crash is checked before anything is resent:
    delivered → sent; certainly not delivered → pending again, or failed once it has
    been interrupted ``MAX_INTERRUPTED`` times; unknown → staff review. Returns what was
    parked. A message in ``sending`` never holds back the others: it is not pending.

    A delivered one is recorded as sent ``now``: its send attempt came after it was
    queued, and P9's reply window counts from the recorded send, so a deficiency notice
    must not be recorded earlier than the send that printed its deadline — counting from
    the queueing would expire the application before the date the volunteer was told."""
    parked = []
    for item in ledger.in_sending():
        answer = mailer.delivered(item.message_id)
        if answer is True:
            ledger.mark_sent(item.message_id, now)
        elif answer is False:
            final = item.attempts + 1 >= MAX_INTERRUPTED
            why = (
                f"送信中の中断が{MAX_INTERRUPTED}回続きました / interrupted {MAX_INTERRUPTED} times"
                if final
                else "interrupted before delivery"
            )
            ledger.mark_failed(item.message_id, why, permanent=final)
            if final:
                parked.append(parked_line(item, why))
        else:
            ledger.mark_review(
                item.message_id,
                "送信中に中断されました。届いたか確認してください / interrupted mid-send: check by hand",
            )
    return parked


def parked_line(item: OutboxItem, why: str) -> str:
    """What 同期 and the digest say of a parked message: kind, record key, why (no address)."""
    return f"メール送信失敗 / mail failed: {item.kind} {item.ref} — {why}"


def _queue(
    ledger: Ledger,
    now: datetime,
    daily_limit: int,
    per_recipient_limit: int | None,
) -> list[OutboxItem]:
    """What to send now: staff mail first, then volunteer mail, oldest first, inside the
    rolling daily limit (less the staff reserve) and the per-recipient cap."""
    day_ago = now - timedelta(hours=24)
    used = ledger.sent_count_since(day_ago)
    room = max(0, daily_limit - used)
    if not room:
        return []
    staff = ledger.pending(limit=room, due_at=now, kinds=STAFF_KINDS)
    room = max(0, min(room - len(staff), daily_limit - staff_reserve(daily_limit) - used))
    if not room:
        return staff
    counts = ledger.sent_per_recipient_since(day_ago) if per_recipient_limit else {}
    chosen: list[str] = []
    with contextlib.closing(ledger.pending_heads(now, except_kinds=STAFF_KINDS)) as heads:
        for message_id, to in heads:
            addresses = {a.lower() for a in to}
            if per_recipient_limit and any(
                counts.get(a, 0) >= per_recipient_limit for a in addresses
            ):
                continue  # waits, in order, for the address's day to roll on
            for a in addresses:
                counts[a] = counts.get(a, 0) + 1
            chosen.append(message_id)
            if len(chosen) >= room:
                break
    return [*staff, *ledger.items_by_id(chosen)]


def _build(renderer: Renderer, item: OutboxItem, now: datetime, reply_days: int) -> EmailMessage:
    """The message of ``item``; anything that stops it being built is permanent (the same
    item would fail the same way at every try), so it is a ``PermanentMailError``."""
    try:
        return renderer.build_message(
            kind=item.kind,
            ref=item.ref,
            to=item.to,
            event_key=item.event_key,
            context=_final_context(item, now, reply_days),
            sent_on=to_jst(now).date().isoformat(),
            now=now,
        )
    except PermanentMailError:
        raise
    except Exception as exc:
        from jinja2 import TemplateError  # loaded: the renderer rendered with it

        if not isinstance(exc, (ValueError, TypeError, LookupError, TemplateError)):
            raise
        # the exception's text may quote an address or an answer: name only its type
        raise PermanentMailError(
            f"メールを作成できません / the message cannot be built ({type(exc).__name__})"
        ) from exc


def deliver(
    ledger: Ledger,
    mailer: Mailer,
    renderer: Renderer,
    now: datetime,
    *,
    daily_limit: int,
    reply_days: int,
    pace_seconds: float = 0.0,
    per_recipient_limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SendReport:
    """Send what is due: staff mail first, then volunteer mail oldest first, within the
    rolling 24-hour limit. A message that can never go (it cannot be built, or the server
    refuses it for good) is parked as failed and the next one is sent; a temporary
    failure stops sending until the next cycle. ``progress(done, total)`` after each
    message (a long backlog shows how far it is)."""
    parked = settle_interrupted(ledger, mailer, now)
    sent = 0
    failed = len(parked)
    error: BaseException | None = None
    queue = _queue(ledger, now, daily_limit, per_recipient_limit)
    for item in queue:
        try:
            # built before it is marked sending: the window a crash can interrupt (and
            # MAX_INTERRUPTED counts) is the hand-over to the mailer, not the rendering
            # (the first render of a process also loads the templates)
            message = _build(renderer, item, now, reply_days)
            ledger.mark_sending(item.message_id)
            mailer.send(message)
        except (PermanentMailError, ValueError) as exc:  # ValueError: building/serialising
            why = str(exc) if isinstance(exc, PermanentMailError) else type(exc).__name__
            ledger.mark_failed(item.message_id, why, permanent=True)
            log.warning("mail %s %s parked as failed: %s", item.kind, item.ref, why)
            parked.append(parked_line(item, why))
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
    return SendReport(
        sent=sent,
        failed=failed,
        waiting=ledger.pending_count(),
        error=error,
        parked=tuple(parked),
    )
