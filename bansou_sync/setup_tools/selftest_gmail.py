"""``google-selftest``: the Gmail search the exactly-once check uses (``rfc822msgid:``).

By default nothing is sent: a draft addressed to the secretariat's own mailbox is
created, found by ``rfc822msgid:``, checked to be absent from ``in:sent`` (a draft must
never pass for a sent message), and deleted. With ``--send-test-message`` one message is
sent to that same mailbox and looked for with the daemon's own query,
``in:sent rfc822msgid:<id>``. Gmail's search index can lag a few seconds behind a
change: each search is repeated for up to ``wait_seconds``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, TypeVar

from bansou_sync.adapters import retry
from bansou_sync.adapters.google_auth import GMAIL_CHECK, GMAIL_SEND, GoogleAccess
from bansou_sync.adapters.google_discovery import error_message, http_status, service
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.setup_tools.selftest_model import Check, confirmed, could_not_run, differs

T = TypeVar("T")
DRAFT_TITLE = "下書きの rfc822msgid: 検索(送信なし) / rfc822msgid: search on a draft (nothing sent)"
SENT_TITLE = (
    "送信済みの rfc822msgid: 検索(自分宛てに1通) / rfc822msgid: search in Sent (one message to"
    " the secretariat's own address)"
)


class GmailProbe:
    def __init__(
        self, access: GoogleAccess, mailbox: str, policy: RetryPolicy, wait_seconds: float
    ) -> None:
        scopes = [GMAIL_SEND, *GMAIL_CHECK]
        self.users = service(access, "gmail", "v1", scopes, policy.timeout_seconds).users()
        self.mailbox = mailbox
        self.policy = policy
        self.wait_seconds = wait_seconds

    def call(self, fn: Callable[[], T]) -> T:
        return retry.call(fn, self.policy)

    def message(self, subject: str) -> tuple[str, str]:
        """(Message-ID without <>, raw) of a test message to the secretariat itself."""
        message = EmailMessage()
        message["From"] = self.mailbox
        message["To"] = self.mailbox
        message["Subject"] = subject
        message_id = make_msgid(domain=self.mailbox.rpartition("@")[2] or "bansou.invalid")
        message["Message-ID"] = message_id
        message.set_content(
            "bansou-sync google-selftest が作成したテストです。返信は不要です。\n"
            "A test made by bansou-sync google-selftest. No reply is needed.\n"
        )
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")
        return message_id.strip("<>"), raw

    def search(self, query: str, want: bool) -> list[str]:
        """Message IDs found by ``query``, waiting up to ``wait_seconds`` for ``want``."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            request = self.users.messages().list(userId="me", q=query, maxResults=5)
            found = [str(m["id"]) for m in self.call(request.execute).get("messages") or []]
            if bool(found) == want or time.monotonic() >= deadline:
                return found
            time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))


def run_gmail_checks(
    access: GoogleAccess,
    mailbox: str,
    policy: RetryPolicy,
    send_test_message: bool,
    wait_seconds: float = 30.0,
) -> list[Check]:
    try:
        probe = GmailProbe(access, mailbox, policy, wait_seconds)
    except Exception as exc:
        why = _why(exc)
        return [
            could_not_run("gmail.draft", "gmail", DRAFT_TITLE, why),
            could_not_run("gmail.sent", "gmail", SENT_TITLE, why),
        ]
    try:
        checks = [_draft_check(probe)]
    except Exception as exc:
        checks = [could_not_run("gmail.draft", "gmail", DRAFT_TITLE, _why(exc))]
    if not send_test_message:
        why = (
            "送信しない設定です(--send-test-message で自分宛てに1通送って確認します)"
            " / not asked to send: --send-test-message sends one message to the"
            " secretariat's own address"
        )
        return [*checks, could_not_run("gmail.sent", "gmail", SENT_TITLE, why)]
    try:
        return [*checks, _sent_check(probe)]
    except Exception as exc:
        return [*checks, could_not_run("gmail.sent", "gmail", SENT_TITLE, _why(exc))]


def _why(exc: BaseException) -> str:
    status = http_status(exc)
    hint = ""
    if status in (401, 403) or "unauthorized_client" in str(exc):
        hint = (
            " — ドメイン全体の委任に gmail.compose と gmail.readonly があるか確認 / check that"
            " domain-wide delegation allows gmail.compose and gmail.readonly"
        )
    return f"Google の応答 / Google answered: {error_message(exc)}{hint}"


def _draft_check(probe: GmailProbe) -> Check:
    message_id, raw = probe.message("bansou-sync google-selftest(送信されません / not sent)")
    drafts = probe.users.drafts()

    def create() -> None:
        # a reply lost on the way back must not leave a second draft behind
        if not _drafts_of(probe, message_id):
            drafts.create(userId="me", body={"message": {"raw": raw}}).execute()

    probe.call(create)
    try:
        found = probe.search(f"rfc822msgid:{message_id}", want=True)
        in_sent = probe.search(f"in:sent rfc822msgid:{message_id}", want=False)
    finally:
        for draft_id in _drafts_of(probe, message_id):
            _delete_draft(probe, draft_id)
    seen = (
        f"rfc822msgid: → {len(found)} 件 / found {len(found)};"
        f" in:sent → {len(in_sent)} 件 / {len(in_sent)} in Sent"
    )
    if found and not in_sent:
        return confirmed("gmail.draft", "gmail", DRAFT_TITLE, seen)
    if in_sent:
        consequence = (
            "下書きが送信済みに見えると、送信されていないメールを送信済みと誤認します"
            " / a draft seen as sent would make the daemon skip an unsent email"
        )
        return differs("gmail.draft", "gmail", DRAFT_TITLE, seen, consequence, True)
    consequence = (
        "検索の反映が遅い可能性があります。--send-test-message で送信済みの検索を確認してください"
        " / Gmail's index may be slow: confirm the Sent search with --send-test-message"
    )
    return differs("gmail.draft", "gmail", DRAFT_TITLE, seen, consequence, False)


def _drafts_of(probe: GmailProbe, message_id: str) -> list[str]:
    request = probe.users.drafts().list(userId="me", q=f"rfc822msgid:{message_id}")
    return [str(d["id"]) for d in probe.call(request.execute).get("drafts") or []]


def _delete_draft(probe: GmailProbe, draft_id: str) -> None:
    def delete() -> None:
        try:
            probe.users.drafts().delete(userId="me", id=draft_id).execute()
        except Exception as exc:
            if http_status(exc) != 404:  # 404: an earlier attempt deleted it
                raise

    probe.call(delete)


def _sent_check(probe: GmailProbe) -> Check:
    message_id, raw = probe.message("bansou-sync google-selftest(テスト送信 / test message)")
    body: dict[str, Any] = {"raw": raw}

    def send() -> None:
        # a reply lost on the way back must not send a second test message
        if probe.search(f"in:sent rfc822msgid:{message_id}", want=False):
            return
        probe.users.messages().send(userId="me", body=body).execute()

    retry.call(send, probe.policy)
    found = probe.search(f"in:sent rfc822msgid:{message_id}", want=True)
    seen = f"in:sent rfc822msgid: → {len(found)} 件 / found {len(found)}"
    if len(found) == 1:
        return confirmed("gmail.sent", "gmail", SENT_TITLE, seen)
    consequence = (
        "送信の途中で止まったメールが送信済みか確かめられず、二重送信のおそれがあるため起動しません"
        " / an email interrupted mid-send could be sent twice: the daemon will not start"
    )
    return differs("gmail.sent", "gmail", SENT_TITLE, seen, consequence, True)
