"""What the local sheet last wrote to each tab file, so that a new process need not
project rows only to find that they change nothing (issue 14).

A tab written with a label (``TabRows.label``: the state's token, the policy and the
version the rows come from — the same label always gives the same rows) is recorded
with the digest of the bytes written, but only when that write is a fixed point: it
reported nothing for the tab (no row kept for staff, none removed with staff input)
and its rows' keys are unique, so the file holds exactly the given rows with the staff
cells the file had for their keys — and writing the same rows onto it again gives the
same bytes and reports nothing. A later write of a tab with the same label, onto a file
whose bytes still have that digest, is then skipped without looking at the rows (which
the app projects only when looked at). Anything else — another label, a file staff
edited, no record — is written as usual. The record is a small JSON file beside the
ledger (``bootstrap``: not among the tabs staff open); an unreadable one is no record.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path

from bansou_sync.adapters.atomic import digest, write_atomically
from bansou_sync.core.tabs import TabLayout


def unique_keys(layout: TabLayout, rows: Sequence[Sequence[str | int]]) -> bool:
    if not layout.key:
        return True
    positions = [layout.headers.index(k) for k in layout.key]
    return len({tuple(str(row[i]) for i in positions) for row in rows}) == len(rows)


class WrittenLabels:
    def __init__(self, path: Path | None, layouts: Sequence[TabLayout] = ()) -> None:
        self.path = path  # None: nothing recorded, nothing skipped
        # the sheet's own layout of each tab joins the label: the same rows are written
        # differently under another layout (a configuration that changed)
        self._layouts = {t.name: digest(repr(t).encode()).hex() for t in layouts}
        self._record: dict[str, list[str]] | None = None  # tab file name → [label, digest]
        self._dirty = False

    def _load(self) -> dict[str, list[str]]:
        if self._record is None:
            self._record = {}
            if self.path is None:
                return self._record
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(self.path.read_text("utf-8"))
                if isinstance(data, dict):
                    self._record = {
                        k: v
                        for k, v in data.items()
                        if isinstance(v, list)
                        and len(v) == 2
                        and all(isinstance(x, str) for x in v)
                    }
        return self._record

    def holds(self, file: Path, label: str) -> bool:
        """``file`` still has the bytes of a fixed-point write of rows labelled ``label``."""
        if not label:
            return False
        known = self._load().get(file.name)
        if known is None or known[0] != self._key(file, label):
            return False
        try:
            return digest(file.read_bytes()).hex() == known[1]
        except OSError:
            return False

    def record(self, file: Path, label: str, data: bytes | None) -> None:
        """After a write of ``file`` (``data``: its bytes now): ``label`` when the write was
        a fixed point (see the module docstring), else "" — the record goes."""
        record = self._load()
        if label and data is not None:
            entry = [self._key(file, label), digest(data).hex()]
            if record.get(file.name) != entry:
                record[file.name], self._dirty = entry, True
        elif record.pop(file.name, None) is not None:
            self._dirty = True

    def _key(self, file: Path, label: str) -> str:
        return f"{label}|{self._layouts.get(file.stem, '')}"

    def save(self) -> None:
        if not self._dirty or self._record is None or self.path is None:
            return
        self._dirty = False
        text = json.dumps(self._record, ensure_ascii=False, sort_keys=True)
        # a record not saved is an older one: its digests no longer match, nothing skipped
        with contextlib.suppress(OSError):
            write_atomically(self.path, text.encode("utf-8"))
