"""The surge guard (issue 10 §5): a flood on the public form does not become a flood of mail.

When one cycle brings more new responses than ``intake.surge_limit``, everything is still
recorded and judged, but the volunteer mail that cycle queues is *held*: pending, with
``send_after`` at ``HELD_UNTIL``, so the sender passes it by (nothing is dropped, the
メール tab shows it 送信待ち). Staff get one ``surge_held`` email (not one per cycle while
held mail waits) and release the mail with the 同期 tab's 一斉送信を許可 tick or
``bansou-sync release-surge``; it then goes out in order, inside the daily limits.

Responses submitted before ``mail.notify_after`` are recorded without mail, so an
adoption backfill is not a surge: only responses that would be emailed are counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bansou_sync.app.outbox import to_items
from bansou_sync.app.render import STAFF_KINDS
from bansou_sync.core.calendar import stamp
from bansou_sync.core.cycle import pending
from bansou_sync.core.model import Notice, RawResponse
from bansou_sync.core.normalize import is_ticked
from bansou_sync.core.policy import Policy
from bansou_sync.core.state import State
from bansou_sync.core.tabs import SYNC
from bansou_sync.ports import HELD_UNTIL, Ledger, OutboxItem

RELEASE_COLUMN = SYNC.staff[0]  # 一斉送信を許可, the 同期 tab's staff tick


@dataclass(frozen=True)
class SurgeHold:
    items: list[OutboxItem]  # the cycle's mail, volunteer mail held, the alert added
    held: int
    problem: str  # what 同期 shows for the cycle


def new_responses(
    fetched: Mapping[str, Sequence[RawResponse]], state: State, now: datetime, policy: Policy
) -> int:
    """Responses this cycle sees for the first time that would be emailed (edits and
    responses before ``mail.notify_after`` are not counted)."""
    count = 0
    for form, responses in fetched.items():
        for r in pending(responses, state, now):
            if f"{form}|{r.response_id}" in state.seen:
                continue  # an edit of a response already recorded
            if policy.notify_after is None or r.submitted_at >= policy.notify_after:
                count += 1
    return count


def hold(
    items: Sequence[OutboxItem],
    count: int,
    *,
    limit: int,
    policy: Policy,
    ledger: Ledger,
    domain: str,
    now: datetime,
) -> SurgeHold:
    """Hold the volunteer mail of ``items``, and add the staff alert unless mail of an
    earlier surge is still held (staff were told already)."""
    already_told = ledger.held_count() > 0
    held = 0
    out: list[OutboxItem] = []
    for item in items:
        if item.status == "pending" and item.kind not in STAFF_KINDS:
            item = replace(item, send_after=HELD_UNTIL)
            held += 1
        out.append(item)
    since = stamp(now)
    if not already_told:
        alert = Notice(
            kind="surge_held",
            ref=now.strftime("%Y-%m-%dT%H:%M"),
            to=policy.staff_to,
            event_key=f"surge_held:{now.isoformat()}",
            context={"count": count, "limit": limit, "held": held, "since": since},
        )
        out += to_items([alert], domain, now)
    problem = (
        f"新規回答 {count} 件(上限 {limit} 件)のため、伴走者へのメール {held} 通を保留しました。"
        f"確認後「{RELEASE_COLUMN}」にチェックしてください / surge of {count} responses:"
        f" {held} volunteer emails held until staff release them"
    )
    return SurgeHold(out, held, problem)


def release_ticked(rows: Sequence[Mapping[str, str]]) -> bool:
    """Whether staff ticked 一斉送信を許可 on any row of the 同期 tab."""
    return any(is_ticked(row.get(RELEASE_COLUMN)) for row in rows)


def release(ledger: Ledger) -> str | None:
    """Let the held mail go; the line for 同期, or None when nothing was held."""
    released = ledger.release_held()
    if not released:
        return None
    return (
        f"保留していたメール {released} 通の送信を許可しました"
        f" / {released} held emails released by staff"
    )
