"""Deliver messages through an SMTP server (``mail.kind: smtp``).

One connection per message, with an explicit timeout. smtplib's exceptions are
translated here: a 5xx reply about the message (recipient, sender, data) is
``PermanentMailError``; 4xx replies, network and TLS failures are
``TemporaryMailError``. A refused login or a missing STARTTLS is temporary too: it is
the configuration, not the message, that is wrong, and the message must wait for the
fix rather than be marked failed. With ``security="starttls"`` a server that does not
offer STARTTLS is refused, never used in clear text.
"""

from __future__ import annotations

import contextlib
import copy
import re
import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Literal

from bansou_sync.core.normalize import usable_address
from bansou_sync.errors import (
    ConfigError,
    MailError,
    PermanentMailError,
    TemporaryMailError,
)
from bansou_sync.ports import Mailer

Security = Literal["starttls", "ssl", "none"]
_SECURITY = ("starttls", "ssl", "none")
_ADDRESSY = re.compile(r"\S+@\S+")  # server replies often quote the address: never log it


class SmtpMailer(Mailer):
    def __init__(
        self,
        host: str,
        port: int,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in _SECURITY:
            raise ConfigError(f"mail.security: must be one of {', '.join(_SECURITY)}")
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context

    def send(self, message: EmailMessage) -> None:
        sender = parseaddr(str(message.get("From", "")))[1]
        recipients = [a for _, a in getaddresses([str(v) for v in message.get_all("To", [])])]
        recipients = [a for a in recipients if a]
        if not sender or not recipients:
            raise PermanentMailError("the message has no sender or no recipient")
        if not all(map(usable_address, recipients)):  # the envelope: one definition (issue 10)
            raise PermanentMailError("a recipient is not a plain email address")
        try:
            refused = self._deliver(message, sender, recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _by_code(min(codes, default=550), "recipient refused") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryMailError(
                f"SMTP login refused ({exc.smtp_code}): check mail.username/password"
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise _by_code(exc.smtp_code, "sender refused", exc.smtp_error) from exc
        except smtplib.SMTPDataError as exc:
            raise _by_code(exc.smtp_code, "message refused", exc.smtp_error) from exc
        except smtplib.SMTPResponseException as exc:  # connect, HELO, other replies
            raise TemporaryMailError(f"SMTP error {exc.smtp_code}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise TemporaryMailError(f"SMTP server lacks a required feature: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, timeout, TLS, disconnect
            raise TemporaryMailError(f"cannot reach SMTP server {self.host}:{self.port}") from exc
        if refused:
            # Some recipients got it: a retry would send it to them twice.
            codes = sorted({code for code, _ in refused.values()})
            raise PermanentMailError(
                f"delivered to {len(recipients) - len(refused)} of {len(recipients)} "
                f"recipients; refused with {codes}"
            )

    def delivered(self, message_id: str) -> bool | None:
        """SMTP keeps no record we can ask: a crash mid-send needs a person to check."""
        return None

    def _deliver(
        self, message: EmailMessage, sender: str, recipients: list[str]
    ) -> dict[str, tuple[int, bytes]]:
        context = self.ssl_context or ssl.create_default_context()
        server: smtplib.SMTP
        if self.security == "ssl":
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            server.ehlo()
            if self.security == "starttls":
                server.starttls(context=context)
                server.ehlo()
            if self.username:
                server.login(self.username, self.password or "")
            data, options = _wire_form(message, eight_bit=server.has_extn("8bitmime"))
            return server.sendmail(sender, recipients, data, mail_options=options)
        finally:
            # After the DATA reply the message is delivered; a failing QUIT changes nothing.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                server.quit()
            server.close()


def _wire_form(message: EmailMessage, *, eight_bit: bool) -> tuple[bytes, list[str]]:
    """The bytes to send, re-encoded to base64 when the server cannot take 8bit."""
    cte = str(message.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte != "8bit":
        return message.as_bytes(policy=policy.SMTP), []
    if eight_bit:
        return message.as_bytes(policy=policy.SMTP), ["BODY=8BITMIME"]
    if message.is_multipart() or message.get_content_maintype() != "text":
        raise PermanentMailError("the server accepts only 7bit and the message is not plain text")
    seven_bit = copy.deepcopy(message)
    seven_bit.set_content(
        message.get_content(),
        subtype=message.get_content_subtype(),
        charset=message.get_content_charset() or "utf-8",
        cte="base64",
    )
    return seven_bit.as_bytes(policy=policy.SMTP), []


def _by_code(code: int, what: str, reply: bytes | str = b"") -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    text = _ADDRESSY.sub("<address>", " ".join(text.split()))[:200]
    detail = f"SMTP {what} ({code}{': ' + text if text else ''})"
    return PermanentMailError(detail) if 500 <= code < 600 else TemporaryMailError(detail)
