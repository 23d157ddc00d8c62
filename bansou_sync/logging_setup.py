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
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from bansou_sync.core.masking import EMAIL_MASK, PHONE_MASK, mask

__all__ = ["EMAIL_MASK", "PHONE_MASK", "configure", "mask", "wants_json"]

Format = Literal["auto", "text", "json"]

_OURS = "_bansou_sync_handler"
# the attributes every LogRecord has; anything else came in through ``extra=``
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


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
