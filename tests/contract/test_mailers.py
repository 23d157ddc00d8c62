"""Every Mailer delivers a rendered message whole; the real ones are run for real.

The SMTP adapter talks to an aiosmtpd server on 127.0.0.1, so smtplib, the wire format
and the error translation are all exercised without mocks.
"""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from smtp_server import LocalSmtp

from bansou_sync.adapters.outbox_dir import OutboxDir
from bansou_sync.adapters.smtp import SmtpMailer
from bansou_sync.app.render import Renderer, default_templates_dir
from bansou_sync.errors import PermanentMailError, TemporaryMailError

NOW = datetime(2022, 7, 1, 9, 30, tzinfo=ZoneInfo("Asia/Tokyo"))


def make_message(
    app_no: str = "A-000012", to: str | list[str] = "hanako@example.com", now: datetime = NOW
) -> EmailMessage:
    renderer = Renderer(default_templates_dir(), sender="jimukyoku@example.org")
    return renderer.build_message(
        kind="application_accepted",
        ref=app_no,
        to=[to] if isinstance(to, str) else to,
        event_key=f"{app_no}|r1",
        context={
            "name": "山田 花子",
            "app_no": app_no,
            "amount": 6000,
            "amount_text": "6,000円",
            "cutoff": "2022-07-20",
            "pay_date": "2022-08-10",
        },
        sent_on=now.date().isoformat(),
        now=now,
    )


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# --- OutboxDir ------------------------------------------------------------------


def test_outbox_writes_one_eml_per_message_that_reads_back_whole(tmp_path: Path) -> None:
    outbox = OutboxDir(tmp_path / "outbox")
    outbox.send(make_message("A-000012"))
    outbox.send(make_message("A-000013", now=NOW + timedelta(seconds=1)))

    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    assert files[0].name.startswith("20220701-093000-000001-application_accepted-")
    assert files[1].name.startswith("20220701-093001-000002-application_accepted-")
    parsed = parse(files[0].read_bytes())
    assert parsed["X-Bansou-Ref"] == "A-000012"
    assert "6,000円" in parsed.get_content()
    assert b"\r\n" in files[0].read_bytes()  # wire format, as an MTA would store it


def test_outbox_is_idempotent_per_message_id(tmp_path: Path) -> None:
    outbox = OutboxDir(tmp_path)
    outbox.send(make_message())
    outbox.send(make_message(now=NOW + timedelta(hours=1)))  # same event, sent again later
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_outbox_names_sort_in_send_order_within_one_second(tmp_path: Path) -> None:
    outbox = OutboxDir(tmp_path)
    numbers = [f"A-{n:06d}" for n in (30, 4, 17, 9, 11)]
    for app_no in numbers:
        outbox.send(make_message(app_no))
    read = [parse(f.read_bytes())["X-Bansou-Ref"] for f in sorted(tmp_path.glob("*.eml"))]
    assert read == numbers


def test_outbox_leaves_no_temporary_files(tmp_path: Path) -> None:
    OutboxDir(tmp_path).send(make_message())
    assert [p.suffix for p in tmp_path.iterdir()] == [".eml"]


def test_outbox_that_cannot_be_written_is_a_temporary_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(TemporaryMailError):
        OutboxDir(blocker / "outbox").send(make_message())


# --- SmtpMailer against a real SMTP server -----------------------------------------


@dataclass
class Recorder:
    """An aiosmtpd handler: keeps what it accepts, answers RCPT by the local part."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("gone"):
            return "550 5.1.1 <" + address + "> no such user"
        if address.startswith("busy"):
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if b"X-Bansou-Ref: A-999999" in envelope.original_content:
            return "554 5.6.0 message refused"
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"jimu", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535


@dataclass
class Server:
    port: int
    recorder: Recorder


def start(**kwargs: Any) -> Iterator[Server]:
    recorder = Recorder()
    controller = LocalSmtp(recorder, **kwargs)
    controller.start()
    try:
        yield Server(controller.port, recorder)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    yield from start()


@pytest.fixture
def seven_bit_server() -> Iterator[Server]:
    yield from start(decode_data=True)  # aiosmtpd then does not offer 8BITMIME


@pytest.fixture
def auth_server() -> Iterator[Server]:
    yield from start(authenticator=authenticate, auth_required=True, auth_require_tls=False)


# AUTH without TLS is fine on loopback; aiosmtpd warns about it on every connection.
no_tls_warning = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def plain(server: Server, **kwargs: Any) -> SmtpMailer:
    return SmtpMailer("127.0.0.1", server.port, security="none", timeout=5, **kwargs)


def test_smtp_delivers_the_message_with_its_headers_and_japanese_body(
    smtp_server: Server,
) -> None:
    plain(smtp_server).send(make_message())

    [(mail_from, rcpt_tos, data)] = smtp_server.recorder.received
    assert mail_from == "jimukyoku@example.org"
    assert rcpt_tos == ["hanako@example.com"]
    parsed = parse(data)
    assert parsed["X-Bansou-Kind"] == "application_accepted"
    assert parsed["X-Bansou-Ref"] == "A-000012"
    assert parsed["Message-ID"] == make_message()["Message-ID"]
    assert "山田 花子 様" in parsed.get_content()


def test_smtp_re_encodes_for_a_server_without_8bitmime(seven_bit_server: Server) -> None:
    plain(seven_bit_server).send(make_message())

    [(_, _, data)] = seven_bit_server.recorder.received
    assert max(data) < 128
    parsed = parse(data)
    assert parsed["Content-Transfer-Encoding"] == "base64"
    assert parsed["X-Bansou-Ref"] == "A-000012"
    assert "6,000円" in parsed.get_content()


@no_tls_warning
def test_smtp_logs_in_when_the_server_requires_it(auth_server: Server) -> None:
    plain(auth_server, username="jimu", password="s3cret").send(make_message())
    assert len(auth_server.recorder.received) == 1


@no_tls_warning
def test_smtp_with_a_wrong_password_waits_for_a_fix(auth_server: Server) -> None:
    with pytest.raises(TemporaryMailError, match="login"):
        plain(auth_server, username="jimu", password="wrong").send(make_message())
    assert auth_server.recorder.received == []


def test_a_recipient_rejected_with_550_is_permanent(smtp_server: Server) -> None:
    with pytest.raises(PermanentMailError) as caught:
        plain(smtp_server).send(make_message(to="gone@example.com"))
    assert "550" in str(caught.value)
    assert "gone@example.com" not in str(caught.value)  # logs never carry addresses


def test_a_partly_refused_message_is_not_retried_so_nobody_gets_it_twice(
    smtp_server: Server,
) -> None:
    with pytest.raises(PermanentMailError, match="delivered to 1 of 2"):
        plain(smtp_server).send(make_message(to=["hanako@example.com", "gone@example.com"]))
    [(_, rcpt_tos, _)] = smtp_server.recorder.received
    assert rcpt_tos == ["hanako@example.com"]


def test_a_recipient_deferred_with_450_is_temporary(smtp_server: Server) -> None:
    with pytest.raises(TemporaryMailError):
        plain(smtp_server).send(make_message(to="busy@example.com"))


def test_a_message_refused_after_data_with_554_is_permanent(smtp_server: Server) -> None:
    with pytest.raises(PermanentMailError, match="554"):
        plain(smtp_server).send(make_message("A-999999"))


def test_starttls_is_never_skipped_when_the_server_lacks_it(smtp_server: Server) -> None:
    mailer = SmtpMailer("127.0.0.1", smtp_server.port, security="starttls", timeout=5)
    with pytest.raises(TemporaryMailError):
        mailer.send(make_message())
    assert smtp_server.recorder.received == []


def test_an_unreachable_server_is_temporary() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port(), security="none", timeout=2)
    with pytest.raises(TemporaryMailError, match="cannot reach"):
        mailer.send(make_message())
