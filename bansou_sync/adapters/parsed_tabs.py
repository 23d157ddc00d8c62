"""What the local sheet parsed from each large tab file, kept beside the ledger, so that a
new process (``once`` under cron) need not parse again a file whose bytes were parsed
before (issue 14: every tab is read every cycle for what staff typed).

A parse depends on nothing but the file's bytes, the tab's layout and the code, so a kept
parse is used only for a file whose bytes have the same digest (BLAKE2b, 128 bits) under
the same layout, bansou-sync version and format; any byte changed — a staff edit of any
length, an Excel re-save, a BOM added or removed — gives another digest and the file is
parsed in full as before. A touch that changes no byte keeps the parse usable.

A parse is kept when the sheet writes a file: the bytes written are ``csv.writer``'s
rendering of the records it wrote, which ``csv.reader`` reads back as exactly those
records (checked here: the bytes decode as a read decodes them, and no cell reaches the
csv module's field limit), so parsing the records gives what parsing the file will. A
file staff edited is parsed in full each cycle until the sheet writes it again. One file
per tab (``marshal`` after its own digest; unreadable, torn, damaged, of another layout,
version or format: not used) in ``sheet-parsed/`` beside the ledger; it holds what the
tab holds, so ``purge`` deletes the folder. Tabs of fewer than ``MIN_ROWS`` rows parse
as cheaply as a kept parse loads, and are not kept.
"""

from __future__ import annotations

import csv
import itertools
import marshal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bansou_sync.adapters.atomic import digest, write_atomically
from bansou_sync.adapters.tab_parse import FileRow, TabFile, parse, read_rows
from bansou_sync.adapters.textfile import decode_text
from bansou_sync.core.staff import RepeatedKey
from bansou_sync.core.tabs import TabLayout
from bansou_sync.errors import BansouError

FORMAT = 3  # what is kept; another value is not read
MIN_ROWS = 200


def folder_for(ledger: Path) -> Path:
    """Where the parses are kept: beside the ledger (they hold what the tabs hold, so
    ``purge`` deletes them)."""
    return ledger.parent / "sheet-parsed"


class ParsedTabs:
    def __init__(
        self, folder: Path | None, layouts: Sequence[TabLayout] = (), version: str = ""
    ) -> None:
        self.folder = folder  # None: nothing kept, nothing found
        # a parse is this version's parse of the bytes under this layout
        self._layouts = {t.name: digest(repr((t, version)).encode()) for t in layouts}
        # tabs whose kept parse is missing, damaged or of another format, layout or
        # version (an upgrade): the read that parses them keeps its parse (``local_sheet``)
        self.stale: set[str] = set()

    def label(self, layout: TabLayout, data_digest: bytes) -> str | None:
        """A name of what bytes of ``data_digest`` read as under ``layout`` by this
        version, the same in every process (``SheetSnapshot.labels``); None: unknown."""
        known = self._layouts.get(layout.name)
        return None if known is None else (known + data_digest).hex()

    def _path(self, layout: TabLayout) -> Path | None:
        if self.folder is None or layout.name not in self._layouts:
            return None
        return self.folder / f"{digest(layout.name.encode()).hex()}.parsed"

    def get(self, layout: TabLayout, data_digest: bytes) -> TabFile | None:
        """The parse of a file whose bytes have ``data_digest``, if one was kept (its rows
        unpacked when first looked at: ``KeptTabFile``)."""
        path = self._path(layout)
        if path is None:
            return None
        try:
            stored = path.read_bytes()
            payload = stored[16:]
            if stored[:16] != digest(payload):  # torn or damaged
                return None
            size = int.from_bytes(payload[:4], "big")
            head = marshal.loads(payload[4 : 4 + size])
            if head[:2] != (FORMAT, self._layouts[layout.name]):
                self.stale.add(layout.name)
                return None
            if head[2] != data_digest:  # bytes staff changed: parsed until written again
                return None
            extra_headers, key_missing, problems, read_problems, repeats = head[3:]
            found = [RepeatedKey(layout.name, tuple(k), tuple(r)) for k, r in repeats]
            summary = (list(read_problems), found)
            kept = KeptTabFile(payload[4 + size :], summary)
            kept.extra_headers, kept.key_missing = list(extra_headers), bool(key_missing)
            kept.problems = list(problems)
            return kept
        except (OSError, EOFError, ValueError, TypeError, IndexError):
            self.stale.add(layout.name)
            return None  # none kept, or torn or foreign: parsed in full instead

    def keep(self, layout: TabLayout, data_digest: bytes, loaded: TabFile) -> bool:
        """Keep ``loaded``, the parse of the bytes of ``data_digest``: whether it was."""
        path = self._path(layout)
        if path is None or len(loaded.rows) < MIN_ROWS:
            return False
        # what a read makes of the rows besides the rows themselves, so that a read whose
        # rows no one looks at need not unpack them (tab_parse.LazyRows)
        _, read_problems, found = read_rows(layout, loaded)
        repeats = [(r.key, r.rows) for r in found]
        head: tuple[Any, ...] = (FORMAT, self._layouts[layout.name], data_digest)
        head += (loaded.extra_headers, loaded.key_missing, loaded.problems, read_problems, repeats)
        # each row's cells as their dict: marshal builds them back at C speed, in order
        rows = [(r.row_no, r.key, r.cells, r.extra) for r in loaded.rows]
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            packed = marshal.dumps(head)
            payload = len(packed).to_bytes(4, "big") + packed + marshal.dumps(rows)
            write_atomically(path, digest(payload) + payload)
        except (OSError, ValueError):
            return False  # not kept: the next process parses the file
        return True

    def keep_written(
        self, layout: TabLayout, path: Path, records: list[list[str]], data: bytes, at: bytes
    ) -> bool:
        """After the sheet wrote ``records`` as ``data`` (digest ``at``) to ``path``: keep
        their parse, when a read of ``data`` gives back exactly ``records``."""
        if self._path(layout) is None or len(records) <= MIN_ROWS:
            return False
        try:  # what a read does first: it must give the text that was written
            if decode_text(data, path) != data.decode("utf-8-sig"):
                return False
        except (BansouError, UnicodeDecodeError):
            return False
        # a cell longer than the csv module's limit makes a read fail, not parse
        if max(map(len, itertools.chain.from_iterable(records))) >= csv.field_size_limit() // 2:
            return False
        return self.keep(layout, at, parse(layout, records))


class KeptTabFile(TabFile):
    """A kept parse: its rows unpacked when first looked at; ``summary``: what a read
    makes of them besides the rows (``tab_parse.read_rows``'s problems and repeats)."""

    def __init__(self, packed: bytes, summary: tuple[list[str], list[RepeatedKey]]) -> None:
        super().__init__()
        self._packed: bytes | None = packed
        self.summary = summary

    @property
    def rows(self) -> list[FileRow]:
        if self._packed is not None:
            packed, self._packed = self._packed, None
            self._rows = [
                FileRow(n, key, cells, extra) for n, key, cells, extra in marshal.loads(packed)
            ]
        return self._rows

    @rows.setter
    def rows(self, rows: list[FileRow]) -> None:
        self._packed, self._rows = None, rows
