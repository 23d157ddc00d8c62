"""One poisoned message never blocks the others (issue 10 §1), for every mailer.

The outbox (a real SQLite ledger) holds good messages with a poisoned one between them:
one that cannot be built (an encoded-word address an older version let in, a context the
template cannot render) or that the server refuses for good (SMTP 550 at RCPT, Gmail
400). ``deliver`` parks it as failed, delivers each good one exactly once, and a second
``deliver`` sends nothing twice. The real mailers are used: the outbox folder, SMTP
against aiosmtpd on 127.0.0.1, Gmail against the local emulator.
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from emulated import key_file
from smtp_server import LocalSmtp

from bansou_sync.adapters.gmail import GmailMailer
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.ledger import HELD_UNTIL, Ledger, OutboxItem
from bansou_sync.adapters.outbox_dir import OutboxDir
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.adapters.smtp import SmtpMailer
from bansou_sync.app.outbox import MAX_INTERRUPTED, deliver, settle_interrupted, staff_reserve
from bansou_sync.app.render import Renderer, default_templates_dir, message_id
from bansou_sync.emulator.server import Emulator
from bansou_sync.errors import PermanentMailError
from bansou_sync.ports import Mailer

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2022, 7, 1, 9, 30, tzinfo=JST)
SENDER = "jimukyoku@example.org"
ENCODED_WORD = "=?utf-8?q?x=0d=0abcc=3a_x=40evil.example?=@example.com"
COMMA_WORD = "=?utf-8?q?victim=40evil.example=2c?=@example.com"
FAST = RetryPolicy(attempts=3, total_seconds=10, base_seconds=0.001, max_wait_seconds=0.01)


def accepted(app_no: str, to: str = "hanako@example.com", **context: Any) -> OutboxItem:
    values: dict[str, Any] = {
        "name": "山田 花子",
        "app_no": app_no,
        "amount": 6000,
        "amount_text": "6,000円",
        "cutoff": "2022-07-20",
        "pay_date": "2022-08-10",
        **context,
    }
    return item("application_accepted", app_no, to, values)


def item(kind: str, ref: str, to: str, context: dict[str, Any], minutes: int = 0) -> OutboxItem:
    event_key = f"{ref}|r1"
    return OutboxItem(
        message_id=message_id(kind, event_key, "example.org"),
        kind=kind,
        ref=ref,
        to=(to,),
        event_key=event_key,
        context=context,
        created_at=NOW + timedelta(minutes=minutes),
    )


def digest_item(minutes: int) -> OutboxItem:
    sections = ("pending", "near_deadline", "held", "needs_review", "duplicates", "problems")
    context: dict[str, Any] = {
        "date": "2022-07-01",
        **{section: [] for section in sections},
        "overrides": [],
        "budget": {"total_yen": 20_000_000, "committed_yen": 6000, "ratio_percent": 0.0},
    }
    return item("staff_digest", "2022-07-01", SENDER, context, minutes)


def queue(ledger: Ledger, *items: OutboxItem) -> None:
    with ledger.transaction():
        ledger.enqueue(items)


def send(ledger: Ledger, mailer: Mailer, **kwargs: Any) -> Any:
    renderer = Renderer(default_templates_dir(), sender=SENDER)
    return deliver(ledger, mailer, renderer, NOW, daily_limit=500, reply_days=7, **kwargs)


def statuses(ledger: Ledger) -> dict[str, str]:
    return {i.ref: i.status for i in ledger.outbox_items()}


POISONS = {
    "an encoded-word address": accepted("A-000002", ENCODED_WORD),
    "an encoded word hiding a comma": accepted("A-000002", COMMA_WORD),
    "a context the template cannot render": item(
        "application_accepted", "A-000002", "jiro@example.com", {"name": "山田 次郎"}
    ),
}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
        yield opened


def refs_in(folder: Path) -> list[str]:
    parsed = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]
    return [str(m["X-Bansou-Ref"]) for m in parsed]


# --- the outbox folder ------------------------------------------------------------------


@pytest.mark.parametrize("poison", list(POISONS))
def test_a_poisoned_message_in_the_outbox_folder_is_parked_and_the_others_go_once(
    ledger: Ledger, tmp_path: Path, poison: str
) -> None:
    queue(ledger, accepted("A-000001"), POISONS[poison], accepted("A-000003"))
    outbox = OutboxDir(tmp_path / "outbox")

    first = send(ledger, outbox)
    again = send(ledger, outbox)

    assert refs_in(tmp_path / "outbox") == ["A-000001", "A-000003"]
    assert (first.sent, first.failed, again.sent, again.failed) == (2, 1, 0, 0)
    assert statuses(ledger) == {"A-000001": "sent", "A-000002": "failed", "A-000003": "sent"}
    [line] = first.parked
    assert "application_accepted A-000002" in line
    assert "evil" not in line and "@" not in line  # IDs and codes only, as in the logs


def test_a_message_a_crash_left_in_sending_never_holds_back_the_others(
    ledger: Ledger, tmp_path: Path
) -> None:
    """An older version crashed building the message each time: it stays in ``sending``."""
    queue(ledger, POISONS["an encoded-word address"], accepted("A-000003"))
    ledger.mark_sending(POISONS["an encoded-word address"].message_id)
    outbox = OutboxDir(tmp_path / "outbox")

    report = send(ledger, outbox)

    assert refs_in(tmp_path / "outbox") == ["A-000003"]
    assert statuses(ledger)["A-000002"] == "failed"
    assert report.sent == 1


def test_a_message_interrupted_again_and_again_is_parked_after_its_attempts(
    ledger: Ledger, tmp_path: Path
) -> None:
    poisoned = accepted("A-000002")
    queue(ledger, poisoned)
    outbox = OutboxDir(tmp_path / "outbox")
    parked: list[str] = []
    for _ in range(MAX_INTERRUPTED):  # the process dies mid-send, cycle after cycle
        assert statuses(ledger)["A-000002"] == "pending"
        ledger.mark_sending(poisoned.message_id)
        parked = settle_interrupted(ledger, outbox, NOW)

    assert statuses(ledger)["A-000002"] == "failed"
    assert len(parked) == 1 and "A-000002" in parked[0]
    assert send(ledger, outbox).sent == 0


# --- SMTP against aiosmtpd ----------------------------------------------------------------


@dataclass
class Recorder:
    """Accepts every recipient but ``gone…`` (550 at RCPT: a permanent refusal)."""

    received: list[bytes] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("gone"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpMailer, Recorder]]:
    recorder = Recorder()
    controller = LocalSmtp(recorder)
    controller.start()
    try:
        yield SmtpMailer("127.0.0.1", controller.port, security="none", timeout=5), recorder
    finally:
        controller.stop()


SMTP_POISONS = {
    **POISONS,
    "a recipient the server refuses with 550": accepted("A-000002", "gone@example.com"),
}


@pytest.mark.parametrize("poison", list(SMTP_POISONS))
def test_a_poisoned_message_over_smtp_is_parked_and_the_others_go_once(
    ledger: Ledger, smtp: tuple[SmtpMailer, Recorder], poison: str
) -> None:
    mailer, recorder = smtp
    queue(ledger, accepted("A-000001"), SMTP_POISONS[poison], accepted("A-000003"))

    first = send(ledger, mailer)
    again = send(ledger, mailer)

    refs = [
        str(email.message_from_bytes(data, policy=policy.default)["X-Bansou-Ref"])
        for data in recorder.received
    ]
    assert refs == ["A-000001", "A-000003"]
    assert (first.sent, first.failed, again.sent, again.failed) == (2, 1, 0, 0)
    assert statuses(ledger) == {"A-000001": "sent", "A-000002": "failed", "A-000003": "sent"}


# --- Gmail against the emulator -------------------------------------------------------------


@pytest.fixture
def gmail(emulator: Emulator, tmp_path: Path) -> GmailMailer:
    access = GoogleAccess(key_file(emulator, tmp_path), SENDER, emulator.base_url)
    return GmailMailer(access, FAST)


def gmail_refs(emulator: Emulator) -> list[str]:
    return [str(m.header("X-Bansou-Ref")) for m in emulator.gmail.sent()]


@pytest.mark.parametrize("poison", list(POISONS))
def test_a_poisoned_message_through_gmail_is_parked_and_the_others_go_once(
    ledger: Ledger, emulator: Emulator, gmail: GmailMailer, poison: str
) -> None:
    queue(ledger, accepted("A-000001"), POISONS[poison], accepted("A-000003"))

    first = send(ledger, gmail)
    again = send(ledger, gmail)

    assert gmail_refs(emulator) == ["A-000001", "A-000003"]
    assert (first.sent, first.failed, again.sent, again.failed) == (2, 1, 0, 0)
    assert statuses(ledger) == {"A-000001": "sent", "A-000002": "failed", "A-000003": "sent"}


def test_a_message_gmail_refuses_for_good_is_parked_and_the_next_one_goes_once(
    ledger: Ledger, emulator: Emulator, gmail: GmailMailer
) -> None:
    queue(ledger, accepted("A-000001"), accepted("A-000002"), accepted("A-000003"))
    renderer = Renderer(default_templates_dir(), sender=SENDER)
    deliver(ledger, gmail, renderer, NOW, daily_limit=1, reply_days=7)  # A-000001 only
    emulator.add_fault(api="gmail", kind="400", count=1)  # Gmail refuses the next one

    first = send(ledger, gmail)
    again = send(ledger, gmail)

    assert gmail_refs(emulator) == ["A-000001", "A-000003"]
    assert (first.sent, first.failed, again.sent) == (1, 1, 0)
    assert statuses(ledger)["A-000002"] == "failed"


# --- order and limits (issue 10 §5) ----------------------------------------------------------


def test_staff_mail_goes_before_older_volunteer_mail(ledger: Ledger, tmp_path: Path) -> None:
    queue(ledger, *(accepted(f"A-{n:06d}", minutes=n) for n in range(1, 6)), digest_item(9))
    outbox = OutboxDir(tmp_path / "outbox")
    renderer = Renderer(default_templates_dir(), sender=SENDER)

    deliver(ledger, outbox, renderer, NOW, daily_limit=2, reply_days=7)

    assert refs_in(tmp_path / "outbox") == ["2022-07-01", "A-000001"]


def test_volunteer_mail_leaves_the_staff_reserve_of_the_daily_limit_unused(
    ledger: Ledger, tmp_path: Path
) -> None:
    queue(ledger, *(accepted(f"A-{n:06d}", minutes=n) for n in range(1, 40)))
    outbox = OutboxDir(tmp_path / "outbox")
    renderer = Renderer(default_templates_dir(), sender=SENDER)

    report = deliver(ledger, outbox, renderer, NOW, daily_limit=40, reply_days=7)
    queue(ledger, digest_item(60))
    later = deliver(
        ledger, outbox, renderer, NOW + timedelta(hours=1), daily_limit=40, reply_days=7
    )

    assert report.sent == 40 - staff_reserve(40)
    assert later.sent == 1  # the digest still fits the rolling day
    assert refs_in(tmp_path / "outbox")[-1] == "2022-07-01"


def test_one_address_gets_at_most_its_daily_share_and_the_rest_wait_in_order(
    ledger: Ledger, tmp_path: Path
) -> None:
    busy = [accepted(f"A-{n:06d}", "busy@example.com", minutes=n) for n in range(1, 5)]
    queue(ledger, *busy, accepted("A-000009", "other@example.com", minutes=9))
    outbox = OutboxDir(tmp_path / "outbox")

    send(ledger, outbox, per_recipient_limit=2)
    renderer = Renderer(default_templates_dir(), sender=SENDER)
    same_day = deliver(
        ledger,
        outbox,
        renderer,
        NOW + timedelta(hours=23),
        daily_limit=500,
        reply_days=7,
        per_recipient_limit=2,
    )
    next_day = deliver(
        ledger,
        outbox,
        renderer,
        NOW + timedelta(hours=25),
        daily_limit=500,
        reply_days=7,
        per_recipient_limit=2,
    )

    assert same_day.sent == 0
    assert next_day.sent == 2
    assert refs_in(tmp_path / "outbox") == [
        "A-000001",
        "A-000002",
        "A-000009",
        "A-000003",
        "A-000004",
    ]


def test_held_mail_waits_until_released_and_then_goes_in_order(
    ledger: Ledger, tmp_path: Path
) -> None:
    held = [replace(accepted(f"A-{n:06d}", minutes=n), send_after=HELD_UNTIL) for n in (1, 2)]
    queue(ledger, *held, digest_item(5))
    outbox = OutboxDir(tmp_path / "outbox")

    before = send(ledger, outbox)
    released = ledger.release_held()
    after = send(ledger, outbox)

    assert (before.sent, before.waiting, ledger.held_count()) == (1, 2, 0)
    assert released == 2 and after.sent == 2
    assert refs_in(tmp_path / "outbox") == ["2022-07-01", "A-000001", "A-000002"]


def test_the_smtp_mailer_refuses_an_envelope_recipient_that_is_not_a_plain_address(
    smtp: tuple[SmtpMailer, Recorder],
) -> None:
    """A message built elsewhere than the renderer meets the same definition."""
    mailer, recorder = smtp
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = 'hanako@example.com, "ta ro"@example.com'  # a quoted local part
    message.set_content("テスト")

    with pytest.raises(PermanentMailError, match="plain email address"):
        mailer.send(message)
    assert recorder.received == []


class DeliveredEverything:
    """A mailer that, asked after a crash, finds every message delivered."""

    def send(self, message: EmailMessage) -> None:
        raise AssertionError("nothing is sent again")

    def delivered(self, message_id: str) -> bool | None:
        return True


def test_a_message_delivered_before_a_crash_is_recorded_sent_when_settled_not_when_queued(
    ledger: Ledger,
) -> None:
    # P9 counts the reply window from the recorded send: a notice queued days before its
    # interrupted send must not be dated back to its queueing (it would expire early)
    item = accepted("A-000003")
    queue(ledger, item)
    ledger.mark_sending(item.message_id)
    later = item.created_at + timedelta(days=3)
    assert settle_interrupted(ledger, DeliveredEverything(), later) == []
    [settled] = ledger.outbox_items()
    assert (settled.status, settled.sent_at) == ("sent", later)
