"""Where log lines go and what they look like.

On a terminal: readable lines (rich). Under systemd (``JOURNAL_STREAM`` is set), when
stderr is not a terminal (cron, a pipe) or with ``logging.format: json``: one JSON
object per line — ``ts``, ``level``, ``logger``, ``msg`` and any ``extra=`` fields —
which journald and log shippers read as they are.

Logs carry IDs and codes only (SPEC §8). ``PrivacyFilter`` is the last line of
defence: whatever slips through that looks like an email address or a phone number is
masked before it is written, in the message, in extra fields and in tracebacks.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

Format = Literal["auto", "text", "json"]

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
# A Message-ID is <32 hex digits@domain> (app.render.message_id): an ID, not an address
_MESSAGE_ID_LOCAL = re.compile(r"[0-9a-f]{32}")
_PHONE = re.compile(
    r"(?<![\w+-])(?:"
    r"\+\d{1,3}[ -]?\(?\d{1,4}\)?(?:[ -]?\d{2,4}){2,3}"  # +81 90-1234-5678, +819012345678
    r"|\(?0\d{1,4}\)?[ -]?\d{1,4}[ -]\d{4}"  # 090-1234-5678, 03 1234 5678, (03)1234-5678
    r"|0\d{9,10}"  # 09012345678
    r"|[０-９]{2,4}[‐－ー-][０-９]{2,4}[‐－ー-][０-９]{4}"  # full-width digits
    r")(?![\w-])"
)
_OURS = "_bansou_sync_handler"
# the attributes every LogRecord has; anything else came in through ``extra=``
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def mask(text: str) -> str:
    """``text`` with anything that looks like an email address or phone number masked."""

    def email(match: re.Match[str]) -> str:
        local = match.group().partition("@")[0]
        return match.group() if _MESSAGE_ID_LOCAL.fullmatch(local) else EMAIL_MASK

    return _PHONE.sub(PHONE_MASK, _EMAIL.sub(email, text))


class PrivacyFilter(logging.Filter):
    """Masks emails and phone numbers in a record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-arguments: let the handler report it
            message = str(record.msg)
        record.msg, record.args = mask(message), None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, mask(value))
        if record.exc_info and not record.exc_text:
            # formatters reuse exc_text when it is set, so the masked text is what is written
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ISO 8601), level, logger, msg, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def wants_json(fmt: Format, stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if fmt != "auto":
        return fmt == "json"
    return bool(env.get("JOURNAL_STREAM")) or not stream.isatty()


def configure(level: str, fmt: Format = "auto", stream: TextIO | None = None) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) at ``level``; replaces earlier set-up."""
    out = sys.stderr if stream is None else stream
    handler: logging.Handler
    if wants_json(fmt, out):
        handler = logging.StreamHandler(out)
        handler.setFormatter(JsonFormatter())
    else:
        from rich.console import Console
        from rich.highlighter import NullHighlighter
        from rich.logging import RichHandler

        handler = RichHandler(
            console=Console(file=out, highlight=False, soft_wrap=True),
            highlighter=NullHighlighter(),
            show_path=False,
            markup=False,
            rich_tracebacks=False,  # tracebacks go through PrivacyFilter as text
            log_time_format="%Y-%m-%d %H:%M:%S",
        )
    handler.addFilter(PrivacyFilter())
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)  # only ours: a test runner's capture handler stays
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    # APScheduler says "Running job …" at INFO every cycle: keep it for DEBUG
    logging.getLogger("apscheduler").setLevel(
        logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    )
    return handler
