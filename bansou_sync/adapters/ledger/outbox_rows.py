"""How an outbox message is stored: its columns, and the rows read back as ``OutboxItem``
and ``MailEntry`` (``ports``). Times are stored twice: as written (``codec``) and as a
UTC key whose text order is time order (the ``*_utc`` columns)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bansou_sync.adapters import ledger_codec as codec
from bansou_sync.errors import LedgerError
from bansou_sync.ports import OUTBOX_STATUSES, MailEntry, OutboxItem

MAIL_COLUMNS = (
    "seq, message_id, kind, ref, recipients, status, created_at, sent_at, created_utc, sent_utc"
)
OUTBOX_COLUMNS = (
    "message_id, kind, ref, recipients, event_key, context, created_at, status,"
    " sent_at, attempts, error, send_after"
)
INSERT_OUTBOX = (
    "INSERT INTO outbox (message_id, kind, ref, recipients, event_key, context,"
    " created_at, created_utc, status, sent_at, sent_utc, attempts, error,"
    " send_after, send_after_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?) ON CONFLICT (message_id) DO NOTHING"
)
# the statuses each mark_* may move a message from; a sent message never moves again
MOVES_FROM = {
    "sending": {"pending"},
    "sent": {"pending", "sending", "review"},
    "failed": {"pending", "sending", "review"},
    "pending": {"pending", "sending"},
    "review": {"pending", "sending"},
}


def mail_entry(row: Sequence[Any]) -> MailEntry:
    seq, message_id, kind, ref, to, status, created, sent, created_utc, sent_utc = row
    return MailEntry(
        seq=seq,
        message_id=message_id,
        kind=kind,
        ref=ref,
        to=tuple(json.loads(to)),
        status=status,
        created_at=codec.load_datetime(created),
        sent_at=None if sent is None else codec.load_datetime(sent),
        created_utc=created_utc,
        sent_utc=sent_utc,
    )


# ``json.dumps`` with these options, each made once (with non-default options it builds
# a new ``JSONEncoder`` per call, and a backfill queues tens of thousands of messages)
_CONTEXT_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False)
_RECIPIENTS_JSON = json.JSONEncoder(ensure_ascii=False)
# a cycle's messages share its ``now`` (one object): its texts are worked out once
_CREATED_TEXT = codec.RecentTexts(codec.dump_datetime)
_CREATED_KEY = codec.RecentTexts(codec.utc_key)


def outbox_row(item: OutboxItem) -> tuple[Any, ...]:
    if item.status not in OUTBOX_STATUSES:
        raise LedgerError(f"outbox message {item.message_id}: unknown status {item.status!r}")
    try:
        context = _CONTEXT_JSON.encode(item.context)
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"outbox message {item.message_id}: context is not JSON: {exc}") from exc
    sent, after = item.sent_at, item.send_after
    return (
        item.message_id,
        item.kind,
        item.ref,
        _RECIPIENTS_JSON.encode(list(item.to)),
        item.event_key,
        context,
        _CREATED_TEXT(item.created_at),
        _CREATED_KEY(item.created_at),
        item.status,
        None if sent is None else codec.dump_datetime(sent),
        None if sent is None else codec.utc_key(sent),
        item.attempts,
        item.error,
        None if after is None else codec.dump_datetime(after),
        None if after is None else codec.utc_key(after),
    )


def outbox_item(row: Sequence[Any]) -> OutboxItem:
    (message_id, kind, ref, to, event_key, context, created, status, sent, attempts, error,
     after) = row  # fmt: skip
    return OutboxItem(
        message_id=message_id,
        kind=kind,
        ref=ref,
        to=tuple(json.loads(to)),
        event_key=event_key,
        context=json.loads(context),
        created_at=codec.load_datetime(created),
        status=status,
        sent_at=None if sent is None else codec.load_datetime(sent),
        attempts=attempts,
        error=error,
        send_after=None if after is None else codec.load_datetime(after),
    )
