"""Each form's structure as ``forms.get`` last gave it, kept beside the ledger
(``form-layouts.json``) so that a new process per cycle (cron style, issue 14) does not
ask Google for every form again in every cycle.

An entry is labelled by the form's ID, the configured question mapping, the reference
titles and this file's format: an entry of another label is not used (a new form ID or
a new mapping is learnt at once). What is kept is the ``forms.get`` reply itself, so the
question mapping is worked out by the running code, and the IDs of answered questions
the form no longer has (``unknown``), so they are not asked about again.

When a kept entry is re-learnt anyway (``stale``): a running service learns each form
once for its life and again when a response answers a question it does not know (a
question added); it does not see a question renamed or re-typed until it restarts. A
process that starts from this file does the same, and in addition re-learns the form
whose entry is the oldest, once that entry is an hour old (``RELEARN_AFTER``): at most
one ``forms.get`` per process beyond what a running service makes, and every form
re-learnt about every hour when a cycle runs every few minutes — never later than a
daemon restarted daily would notice a form edited by staff.

A hint, never the truth: a missing, unreadable or foreign file is ignored (every form is
learnt again), and a file that cannot be written costs only the next process's
``forms.get``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bansou_sync.adapters.atomic import write_atomically

log = logging.getLogger(__name__)

LAYOUTS_FILE = "form-layouts.json"
FORMAT = 1
RELEARN_AFTER = 3600.0  # seconds: a kept form is re-learnt once it is an hour old


@dataclass(frozen=True)
class Learnt:
    """One form as last learnt: the ``forms.get`` reply, when (epoch seconds), and the
    question IDs answered in responses that the reply does not hold."""

    reply: Mapping[str, Any]
    learnt_at: float
    unknown: frozenset[str] = frozenset()


def label(form: str, form_id: str, mapping: Mapping[str, str], titles: Mapping[str, str]) -> str:
    text = json.dumps(
        [FORMAT, form, form_id, dict(mapping), dict(titles)],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def stale(kept: Mapping[str, Learnt], now: float) -> str | None:
    """The one kept form a new process re-learns: the oldest, once an hour old (or
    learnt "in the future": the clock was set back)."""
    due = [
        (entry.learnt_at, form)
        for form, entry in kept.items()
        if not 0 <= now - entry.learnt_at < RELEARN_AFTER
    ]
    return min(due)[1] if due else None


class LayoutFile:
    """The kept entries of one configuration's forms (``labels``: form → label)."""

    def __init__(self, path: Path, labels: Mapping[str, str]) -> None:
        self.path = path
        self.labels = dict(labels)
        self.entries: dict[str, Learnt] = {}

    def load(self) -> dict[str, Learnt]:
        """The entries whose label is this configuration's; nothing from a file that is
        missing, unreadable or not this format."""
        self.entries = {}
        try:
            data = json.loads(self.path.read_bytes())
            if data.get("format") != FORMAT:
                return {}
            for form, entry in data["forms"].items():
                if form in self.labels and entry.get("label") == self.labels[form]:
                    reply, unknown = entry["reply"], entry.get("unknown", [])
                    if not isinstance(reply, dict) or not isinstance(unknown, list):
                        continue
                    learnt_at = float(entry["learnt_at"])
                    self.entries[form] = Learnt(reply, learnt_at, frozenset(map(str, unknown)))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.info("form-layouts: unreadable, every form is learnt again")
            self.entries = {}
        return dict(self.entries)

    def put(self, form: str, entry: Learnt | None) -> None:
        """Keep ``entry`` for ``form`` (None: forget it) and write the file."""
        if entry is None:
            if self.entries.pop(form, None) is None:
                return
        else:
            self.entries[form] = entry
        body = {
            "format": FORMAT,
            "forms": {
                form: {
                    "label": self.labels[form],
                    "learnt_at": e.learnt_at,
                    "unknown": sorted(e.unknown),
                    "reply": e.reply,
                }
                for form, e in sorted(self.entries.items())
            },
        }
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        with contextlib.suppress(OSError):  # a lost hint: the next process asks Google
            write_atomically(self.path, data)
