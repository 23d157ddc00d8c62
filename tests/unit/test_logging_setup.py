"""Log output: JSON lines off a terminal, and the privacy filter as the last line of
defence against an email address or phone number reaching a log."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bansou_sync.logging_setup import EMAIL_MASK, PHONE_MASK, configure, mask, wants_json


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def log() -> Iterator[logging.Logger]:
    yield logging.getLogger("bansou_sync.test")
    configure("WARNING", "json")  # leave a quiet set-up behind


@pytest.mark.parametrize(
    "text",
    [
        "taro@example.com",
        "Taro.Yamada+forms@mail.example.co.jp",
        "090-1234-5678",
        "03-1234-5678",
        "(03)1234-5678",
        "090 1234 5678",
        "09012345678",
        "+81 90-1234-5678",
        "+819012345678",
        "０９０－１２３４－５６７８",
    ],
)
def test_emails_and_phone_numbers_are_masked_wherever_they_are(text: str) -> None:
    masked = mask(f"to={text}, then")

    assert text not in masked
    assert masked in (f"to={EMAIL_MASK}, then", f"to={PHONE_MASK}, then")


@pytest.mark.parametrize(
    "text",
    [
        "BN-0001",
        "A-000123",
        "C-0042",
        "2022-07-10",
        "2022-07-10 12:00",
        "2022-07-10T12:00:00+09:00",
        "20220710",
        "ledger-20220710.sqlite3",
        "60 new registrations, 300 new applications, 359 notices",
        "<0123456789abcdef0123456789abcdef@example.org>",  # a Message-ID is an ID
        "pid 12345",
    ],
)
def test_ids_dates_counts_and_message_ids_are_left_alone(text: str) -> None:
    assert mask(text) == text


def test_json_lines_carry_ts_level_logger_msg_and_extra_fields_all_masked(
    log: logging.Logger,
) -> None:
    out = io.StringIO()
    configure("INFO", "json", stream=out)

    log.info("sent to %s", "taro@example.com", extra={"cycles": 3, "to": "090-1234-5678"})
    log.debug("not at INFO")

    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "INFO" and entry["logger"] == "bansou_sync.test"
    assert entry["msg"] == f"sent to {EMAIL_MASK}"
    assert (entry["cycles"], entry["to"]) == (3, PHONE_MASK)
    assert entry["ts"].endswith("+00:00")


def test_a_traceback_is_masked_too(log: logging.Logger) -> None:
    out = io.StringIO()
    configure("INFO", "json", stream=out)

    try:
        raise ValueError("bad address hanako@example.jp")
    except ValueError:
        log.exception("cycle failed unexpectedly")

    entry = json.loads(out.getvalue())
    assert "Traceback" in entry["exc"] and "ValueError" in entry["exc"]
    assert "hanako@example.jp" not in out.getvalue()


def test_a_terminal_gets_readable_lines_and_journald_or_a_pipe_gets_json(
    log: logging.Logger,
) -> None:
    assert wants_json("auto", Tty(), {}) is False
    assert wants_json("auto", Tty(), {"JOURNAL_STREAM": "8:12345"}) is True
    assert wants_json("auto", io.StringIO(), {}) is True
    assert wants_json("text", io.StringIO(), {"JOURNAL_STREAM": "8:1"}) is False
    assert wants_json("json", Tty(), {}) is True

    out = Tty()
    configure("INFO", "text", stream=out)
    log.warning("phone 090-1234-5678 in a warning")
    text = out.getvalue()
    assert "phone [phone] in a warning" in text and not text.lstrip().startswith("{")


def test_configuring_again_replaces_our_handler_and_keeps_others(log: logging.Logger) -> None:
    root = logging.getLogger()
    before = len(root.handlers)

    configure("INFO", "json", stream=io.StringIO())
    configure("DEBUG", "json", stream=io.StringIO())

    assert len(root.handlers) in (before, before + 1)
    assert root.level == logging.DEBUG
