"""GmailMailer against the local emulator: the message as sent, error translation, retries
that never send twice, and the crash-recovery check (``delivered``), with and without
drafts."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from emulated import key_file

from bansou_sync.adapters.gmail import GmailMailer, MemoryDraftBook
from bansou_sync.adapters.google_auth import GMAIL_CHECK, GMAIL_SEND, GoogleAccess
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.app.render import Renderer, default_templates_dir
from bansou_sync.emulator.server import Emulator
from bansou_sync.errors import PermanentMailError, TemporaryMailError

NOW = datetime(2022, 7, 1, 9, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
FAST = RetryPolicy(attempts=5, total_seconds=20, base_seconds=0.001, max_wait_seconds=0.01)
MAILBOX = "jimukyoku@example.org"


@pytest.fixture
def access(emulator: Emulator, tmp_path: Path) -> GoogleAccess:
    return GoogleAccess(key_file(emulator, tmp_path), MAILBOX, emulator.base_url)  # delegation


def message(app_no: str = "A-000012", to: str = "hanako@example.com") -> EmailMessage:
    renderer = Renderer(default_templates_dir(), sender=MAILBOX)
    return renderer.build_message(
        kind="application_accepted",
        ref=app_no,
        to=[to],
        event_key=f"{app_no}|r1",
        context={
            "name": "山田 花子",
            "app_no": app_no,
            "amount": 6000,
            "amount_text": "6,000円",
            "cutoff": "2022-07-20",
            "pay_date": "2022-08-10",
        },
        sent_on=NOW.date().isoformat(),
        now=NOW,
    )


def test_a_message_is_sent_whole_with_its_bansou_headers_and_message_id(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sent = message()
    GmailMailer(access, FAST).send(sent)
    [stored] = emulator.gmail.sent()
    assert stored.owner == MAILBOX  # sent as the delegated mailbox
    assert stored.header("X-Bansou-Kind") == "application_accepted"
    assert stored.header("X-Bansou-Ref") == "A-000012"
    assert stored.header("Message-ID") == sent["Message-ID"]
    assert stored.header("To") == "hanako@example.com"
    assert stored.header("Subject") == sent["Subject"]
    assert "山田 花子 様" in stored.text()
    assert "6,000円" in stored.text()
    [token] = emulator.oauth.issued
    assert set(token.scopes or ()) == {GMAIL_SEND}  # least privilege without the check
    assert [e.path for e in emulator.requests(api="gmail")] == [
        "/gmail/v1/users/me/messages/send"  # body={"raw": ...}, not an upload
    ]


def test_a_message_gmail_refuses_with_400_is_a_permanent_error(
    emulator: Emulator, access: GoogleAccess
) -> None:
    no_recipient = message()
    del no_recipient["To"]
    with pytest.raises(PermanentMailError, match="Recipient address required"):
        GmailMailer(access, FAST).send(no_recipient)
    assert emulator.gmail.sent() == []
    assert emulator.counters()["gmail.users.messages.send"] == 1  # never retried


def test_a_short_gmail_outage_is_retried_and_the_message_sent_once(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.add_fault(api="gmail", kind="429", count=1)
    emulator.add_fault(api="gmail", kind="503", count=2)
    GmailMailer(access, FAST).send(message())
    assert len(emulator.gmail.sent()) == 1
    assert emulator.counters()["gmail.users.messages.send"] == 4


@pytest.mark.parametrize("kind", ["429", "500", "503", "drop"])
def test_gmail_still_failing_after_the_retries_is_a_temporary_error(
    emulator: Emulator, access: GoogleAccess, kind: str
) -> None:
    emulator.add_fault(api="gmail", kind=kind)
    with pytest.raises(TemporaryMailError, match="next cycle"):
        GmailMailer(access, FAST).send(message())
    assert emulator.gmail.sent() == []


def test_a_refused_delegation_is_a_temporary_error_that_names_the_credentials(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.add_fault(api="gmail", kind="403")
    with pytest.raises(TemporaryMailError, match=r"google\.subject"):
        GmailMailer(access, FAST).send(message())
    assert emulator.counters()["gmail.users.messages.send"] == 1  # a 403 is not retried


def test_delivered_cannot_tell_without_the_sent_check(access: GoogleAccess) -> None:
    mailer = GmailMailer(access, FAST)
    mailer.send(message())
    assert mailer.delivered(str(message()["Message-ID"])) is None


def test_delivered_finds_a_sent_message_by_its_message_id(
    emulator: Emulator, access: GoogleAccess
) -> None:
    mailer = GmailMailer(access, FAST, check_sent=True)
    mailer.send(message("A-000012"))
    assert mailer.delivered(str(message("A-000012")["Message-ID"])) is True
    assert mailer.delivered(str(message("A-000013")["Message-ID"])) is False
    [token] = emulator.oauth.issued
    assert set(token.scopes or ()) == {GMAIL_SEND, *GMAIL_CHECK}


def test_delivered_finds_a_message_whose_message_id_gmail_replaced_by_its_subject_reference(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.gmail.replace_message_id = True
    sent = message()
    sent.replace_header("Subject", f"{sent['Subject']} [ref 7f3a9c]")
    references = {str(sent["Message-ID"]): "[ref 7f3a9c]"}
    mailer = GmailMailer(access, FAST, check_sent=True, subject_ref=references.get)
    mailer.send(sent)
    assert emulator.gmail.sent()[0].header("Message-ID") != sent["Message-ID"]
    assert mailer.delivered(str(sent["Message-ID"])) is True
    assert GmailMailer(access, FAST, check_sent=True).delivered(str(sent["Message-ID"])) is False


def test_a_reply_lost_after_gmail_sent_the_message_is_not_followed_by_a_second_send(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.add_fault(
        api="gmail", method="gmail.users.messages.send", kind="500", when="after", count=1
    )
    GmailMailer(access, FAST, check_sent=True).send(message())
    assert len(emulator.gmail.sent()) == 1


def test_a_message_sent_through_a_draft_goes_out_once_even_when_the_reply_is_lost(
    emulator: Emulator, access: GoogleAccess
) -> None:
    drafts = MemoryDraftBook()
    mailer = GmailMailer(access, FAST, drafts=drafts)
    emulator.add_fault(
        api="gmail", method="gmail.users.drafts.send", kind="503", when="after", count=1
    )
    sent = message()
    mailer.send(sent)
    [stored] = emulator.gmail.sent()
    assert stored.header("Message-ID") == sent["Message-ID"]
    assert stored.header("X-Bansou-Ref") == "A-000012"
    assert emulator.gmail.drafts() == {}
    assert drafts.draft_of(str(sent["Message-ID"])) is not None
    assert mailer.delivered(str(sent["Message-ID"])) is True  # its draft is gone


def test_a_draft_left_unsent_by_an_outage_is_reported_undelivered_and_sent_later(
    emulator: Emulator, access: GoogleAccess
) -> None:
    drafts = MemoryDraftBook()
    mailer = GmailMailer(access, FAST, drafts=drafts)
    emulator.add_fault(api="gmail", method="gmail.users.drafts.send", kind="503")
    sent = message()
    with pytest.raises(TemporaryMailError):
        mailer.send(sent)
    message_id = str(sent["Message-ID"])
    assert len(emulator.gmail.drafts()) == 1
    assert mailer.delivered(message_id) is False  # the draft is still there: not sent
    emulator.faults.clear()
    mailer.send(sent)  # the next cycle sends that very draft
    assert len(emulator.gmail.sent()) == 1
    assert emulator.gmail.drafts() == {}
    assert emulator.counters()["gmail.users.drafts.create"] == 1
