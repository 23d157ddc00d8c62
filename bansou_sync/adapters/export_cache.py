"""What the last complete read of a form's CSV export gave, kept so that the next read
parses only what changed (``csv_source``; issue 14).

An export only grows while a form is open: Google appends each new response as a row.
A read keeps, per form, the bytes it read (their length and a digest), the responses
and problems they gave, and what the rows that follow need (the row count, and how
often each timestamp occurred so far, for 回答ID). The next read of the same file:

* the same bytes (length and digest): the kept result, nothing parsed;
* the same bytes and more after them (an export that only grew): only the rows after
  them are parsed, continuing the row numbers and the occurrence counts;
* anything else (an edited row, a shorter file, another encoding): a whole read.

A digest rather than the modification time decides "the same bytes": hashing the file
costs milliseconds, and an edit that keeps the size and lands within the clock's
resolution is still seen. Only a read that ended on a complete row of a strictly UTF-8
file with nothing replaced is kept: a last row cut short (issue 10 §3) is read again
with what follows it, from the kept bytes before it.

The cache file beside the ledger lets a new process (``bansou-sync once`` from cron)
start from the last read; it is a cache only: unreadable, from another version, for
another path or question mapping, it is ignored and the export is read whole.
"""

from __future__ import annotations

import logging
import marshal
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bansou_sync.adapters.atomic import digest, write_atomically
from bansou_sync.adapters.form_rows import TOKYO
from bansou_sync.core.model import RawResponse

log = logging.getLogger(__name__)

FORMAT = 1


@dataclass(frozen=True)
class ExportRead:
    """One form's last complete read: of ``data[:size]`` of the file at ``path``."""

    path: str
    mapping: str  # the question mapping it was read with (``mapping_key``)
    size: int
    digest: bytes
    header: list[str]
    rows: int  # data rows below the header (blank ones included): row numbers go on
    seen: dict[str, int]  # canonical timestamp → occurrences so far (回答ID numbers)
    responses: tuple[RawResponse, ...]
    problems: tuple[str, ...]

    def same_bytes(self, data: bytes) -> bool:
        return len(data) == self.size and digest(data) == self.digest

    def grown_from(self, data: bytes) -> bool:
        return len(data) > self.size and digest(data[: self.size]) == self.digest

    def seen_counter(self) -> Counter[str]:
        return Counter(self.seen)


def mapping_key(path: Path, titles: Mapping[str, str]) -> str:
    return repr((str(path), sorted(titles.items())))


class ExportCache:
    """The kept reads by form, in memory and (``path`` given) in one file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._reads: dict[str, ExportRead] | None = None

    def get(self, form: str, mapping: str) -> ExportRead | None:
        if self._reads is None:
            self._reads = self._load()
        kept = self._reads.get(form)
        return kept if kept is not None and kept.mapping == mapping else None

    def put(self, form: str, read: ExportRead) -> None:
        if self._reads is None:
            self._reads = self._load()
        self._reads[form] = read
        if self.path is None:
            return
        try:
            write_atomically(self.path, marshal.dumps(_encode(self._reads)))
        except OSError as exc:  # a cache: the next process reads the export whole
            log.warning("export cache %s not written: %s", self.path.name, exc.strerror)
            return
        # kept on disk, not in memory: the cycle holds the responses only while it needs
        # them (a new process, or this one's next read, loads them again: cheaper than a
        # parse, and a cron-style cycle's peak memory does not carry a second copy)
        self._reads = None

    def _load(self) -> dict[str, ExportRead]:
        if self.path is None:
            return {}
        try:
            return _decode(marshal.loads(self.path.read_bytes()))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, EOFError, TypeError, KeyError, IndexError) as exc:
            log.warning("export cache %s ignored: %s", self.path.name, type(exc).__name__)
            return {}


def _encode(reads: Mapping[str, ExportRead]) -> dict[str, Any]:
    forms = {}
    for form, read in reads.items():
        responses = [
            (r.response_id, _wall(r.submitted_at), r.answers, r.fingerprint, r.cut)
            for r in read.responses
        ]
        forms[form] = {
            "path": read.path,
            "mapping": read.mapping,
            "size": read.size,
            "digest": read.digest,
            "header": read.header,
            "rows": read.rows,
            "seen": read.seen,
            "responses": responses,
            "problems": list(read.problems),
        }
    return {"format": FORMAT, "forms": forms}


def _wall(moment: datetime) -> str:
    return moment.astimezone(TOKYO).replace(tzinfo=None).isoformat()


def _decode(stored: Any) -> dict[str, ExportRead]:
    if not isinstance(stored, dict) or stored.get("format") != FORMAT:
        return {}
    out = {}
    for form, kept in stored["forms"].items():
        responses = []
        for response_id, wall, answers, fingerprint, cut in kept["responses"]:
            moment = datetime.fromisoformat(wall).replace(tzinfo=TOKYO)  # JST: no DST
            responses.append(
                RawResponse(
                    form=form,
                    response_id=response_id,
                    submitted_at=moment,
                    last_submitted_at=moment,
                    answers=answers,
                    fingerprint=fingerprint,
                    cut=tuple(cut),
                )
            )
        out[form] = ExportRead(
            path=kept["path"],
            mapping=kept["mapping"],
            size=int(kept["size"]),
            digest=bytes(kept["digest"]),
            header=list(kept["header"]),
            rows=int(kept["rows"]),
            seen=dict(kept["seen"]),
            responses=tuple(responses),
            problems=tuple(kept["problems"]),
        )
    return out
