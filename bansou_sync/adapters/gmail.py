"""Mail through the Gmail API (``mail: gmail``, SPEC §6, issue 3 §2, issue 4 §2).

``messages.send`` with ``body={"raw": base64url(RFC 822)}`` — not ``media_body``, whose
upload URL ignores an ``api_endpoint`` override — as the mailbox of ``google.subject``
(a service account with domain-wide delegation) or of an OAuth user.

Exactly once. ``messages.send`` cannot be repeated safely: a 5xx or a dropped connection
may come *after* Gmail sent the message. So:

* with ``check_sent`` (scopes ``gmail.compose`` + ``gmail.readonly``), before retrying
  such an ambiguous failure, and in ``delivered`` after a crash, Sent is searched for the
  Message-ID (``rfc822msgid:``) and, when a caller passes ``subject_ref``, for a unique
  subject reference. The product's subjects carry no such token (issue 13 §2: the
  volunteer quotes 申請番号 / 伴走ネットID), so against Gmail replacing a Message-ID it
  relies on drafts, below;
* with a ``DraftBook`` (issue 4 §2) a message goes out as a draft: ``drafts.create``, the
  draft ID recorded, ``drafts.send``. Sending a recorded draft again is safe: a draft
  that no longer exists was sent (Gmail deletes a draft when it sends it), so a retry
  or a resend after a crash that gets 404 knows the message left.

Errors: 400/413 (bad recipient, rejected message) → ``PermanentMailError``; 401/403
(credentials, delegation) and 429/5xx/connection errors after the retry policy →
``TemporaryMailError``, each with a message a person can act on.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, Protocol, TypeVar

import google.auth.exceptions

from bansou_sync.adapters import retry
from bansou_sync.adapters.google_auth import GoogleAccess, gmail_scopes
from bansou_sync.adapters.google_discovery import error_message, http_status, service
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.errors import PermanentMailError, TemporaryMailError
from bansou_sync.ports import Mailer

log = logging.getLogger(__name__)
T = TypeVar("T")
DEFAULT_POLICY = RetryPolicy()
PERMANENT_STATUSES = (400, 413)


class DraftBook(Protocol):
    """Where the draft ID of each message is kept (the ledger, so that it survives a crash)."""

    def draft_of(self, message_id: str) -> str | None: ...

    def record_draft(self, message_id: str, draft_id: str) -> None: ...


class MemoryDraftBook(DraftBook):
    """A ``DraftBook`` for one process (tests; a real install keeps drafts in the ledger)."""

    def __init__(self) -> None:
        self.drafts: dict[str, str] = {}

    def draft_of(self, message_id: str) -> str | None:
        return self.drafts.get(message_id)

    def record_draft(self, message_id: str, draft_id: str) -> None:
        self.drafts[message_id] = draft_id


def raw_of(message: EmailMessage) -> str:
    return base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")


def _ambiguous(exc: BaseException) -> bool:
    """A failure after which the message may have been sent all the same."""
    status = http_status(exc)
    return retry.is_transient(exc) and (status is None or status >= 500)


class GmailMailer(Mailer):
    """``Mailer`` over the Gmail API."""

    def __init__(
        self,
        access: GoogleAccess,
        policy: RetryPolicy = DEFAULT_POLICY,
        check_sent: bool = False,
        *,
        drafts: DraftBook | None = None,
        subject_ref: Callable[[str], str | None] | None = None,
    ) -> None:
        self.access = access
        self.policy = policy
        self.drafts = drafts
        self.check_sent = check_sent or drafts is not None  # drafts need gmail.compose
        self.subject_ref = subject_ref
        self.scopes = list(gmail_scopes(self.check_sent))
        self._users: Any = None

    def send(self, message: EmailMessage) -> None:
        message_id = str(message.get("Message-ID", "")).strip()
        raw = raw_of(message)
        try:
            if self.drafts is not None and message_id:
                self._send_draft(message_id, raw, self.drafts)
            else:
                self._send_message(message_id, raw)
        except Exception as exc:
            auth = isinstance(exc, google.auth.exceptions.GoogleAuthError)
            if not auth and http_status(exc) is None and not retry.is_transient(exc):
                raise  # not Google's answer nor the network: a bug, shown as one
            raise _mail_error(exc) from exc

    def delivered(self, message_id: str) -> bool | None:
        """Was ``message_id`` sent? None without ``check_sent`` or when Gmail cannot say now."""
        if not self.check_sent:
            return None
        try:
            draft_id = self.drafts.draft_of(message_id) if self.drafts is not None else None
            if draft_id is not None and not self._draft_exists(draft_id):
                return True  # Gmail deletes a draft when it sends it
            # a draft still there was not sent: the next send() sends that very draft
            return self._in_sent(message_id)
        except Exception as exc:
            log.warning("cannot check Sent for an interrupted message: %s", _describe(exc))
            return None

    # -- sending ------------------------------------------------------------------------

    def _send_message(self, message_id: str, raw: str) -> None:
        maybe_sent = False

        def attempt() -> None:
            nonlocal maybe_sent
            if maybe_sent and self.check_sent and message_id and self._in_sent(message_id):
                return  # the failed attempt did send it: never twice
            try:
                self._api().messages().send(userId="me", body={"raw": raw}).execute()
            except Exception as exc:
                maybe_sent = maybe_sent or _ambiguous(exc)
                raise

        self._call(attempt)

    def _send_draft(self, message_id: str, raw: str, drafts: DraftBook) -> None:
        draft_id = drafts.draft_of(message_id)
        if draft_id is None:
            # a lost reply here leaves at most an unsent draft behind, never a second email
            body = {"message": {"raw": raw}}
            created = self._call(
                lambda: self._api().drafts().create(userId="me", body=body).execute()
            )
            draft_id = str(created["id"])
            drafts.record_draft(message_id, draft_id)
        send_body = {"id": draft_id}
        try:
            self._call(lambda: self._api().drafts().send(userId="me", body=send_body).execute())
        except Exception as exc:
            if http_status(exc) == 404:
                return  # the recorded draft is gone: an earlier attempt sent it
            raise

    # -- checking -----------------------------------------------------------------------

    def _in_sent(self, message_id: str) -> bool:
        queries = [f"in:sent rfc822msgid:{message_id.strip().strip('<>')}"]
        reference = self.subject_ref(message_id) if self.subject_ref is not None else None
        if reference:
            queries.append(f'in:sent subject:"{reference}"')
        for query in queries:
            request = self._api().messages().list(userId="me", q=query, maxResults=1)
            listed = self._call(request.execute)
            if listed.get("messages"):
                return True
        return False

    def _draft_exists(self, draft_id: str) -> bool:
        try:
            self._call(
                lambda: (
                    self._api().drafts().get(userId="me", id=draft_id, format="minimal").execute()
                )
            )
        except Exception as exc:
            if http_status(exc) == 404:
                return False
            raise
        return True

    # -- plumbing -----------------------------------------------------------------------

    def _api(self) -> Any:
        if self._users is None:
            timeout = self.policy.timeout_seconds
            self._users = service(self.access, "gmail", "v1", self.scopes, timeout).users()
        return self._users

    def _call(self, fn: Callable[[], T]) -> T:
        return retry.call(fn, self.policy)


def _mail_error(exc: BaseException) -> Exception:
    if isinstance(exc, google.auth.exceptions.GoogleAuthError):
        return TemporaryMailError(
            "Gmail にログインできません。google.credentials_file と google.subject"
            "(ドメイン全体の委任)を確認してください / cannot sign in to Gmail: check "
            f"google.credentials_file and google.subject (domain-wide delegation): {_describe(exc)}"
        )
    status = http_status(exc)
    if status in PERMANENT_STATUSES:
        return PermanentMailError(
            f"Gmail が拒否しました / Gmail refused the message: {_describe(exc)}"
        )
    if status in (401, 403) and not retry.is_transient(exc):
        return TemporaryMailError(
            "Gmail で送信する権限がありません。google.credentials_file、google.subject と"
            "ドメイン全体の委任のスコープ(gmail.send)を確認してください / not allowed to send "
            "with Gmail: check google.credentials_file, google.subject and the delegated "
            f"scopes (gmail.send): {_describe(exc)}"
        )
    return TemporaryMailError(
        f"Gmail に今は送れません。次の同期で再送します / Gmail is unavailable now, "
        f"will retry next cycle: {_describe(exc)}"
    )


def _describe(exc: BaseException) -> str:
    return error_message(exc).replace("\n", " ")[:300]
