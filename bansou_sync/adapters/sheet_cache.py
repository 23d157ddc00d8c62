"""What the Google status sheet holds as far as bansou-sync last wrote it.

Per keyed tab: for each key, the developer-metadata id that tags its row (None while the
row is untagged: it was only read back, never written) and a digest of the daemon
values last written; per in-place tab (統計, 同期): one digest per row position. A cycle
writes only rows whose digest changed. The cache is a hint, never the truth: losing it
costs one full read and some rewrites, nothing else.

Kept in a small SQLite file beside the ledger, one row per key, so that a cycle saves
only the entries it changed (``put``/``drop`` note them): at 60,000 applications the
whole cache is 130,000 entries, and writing it all again after each cycle that changed
a row cost more than the rest of the cycle (issue 5). A file that is not such a
database (e.g. the JSON of earlier versions) is a lost hint: it is replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bansou_sync.errors import SheetError

VERSION = 2
Entry = tuple[int | None, str]  # (metadata id, digest of the daemon values written)


def digest(values: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(values).encode(), digest_size=8).hexdigest()


def key_text(key: Sequence[str]) -> str:
    return "\t".join(key)


@dataclass
class RowCache:
    spreadsheet_id: str
    keyed: dict[str, dict[str, Entry]] = field(default_factory=dict)
    in_place: dict[str, list[str]] = field(default_factory=dict)
    loaded: bool = False  # False: nothing known yet (read the whole sheet once)
    checked_at: float = 0.0  # epoch seconds of the last whole-sheet read
    # not saved: the keys changed since the last save, by tab (``None``: save them all)
    touched: dict[str, set[str]] | None = None
    # not saved: per tab, id(row) → (row, key, key text, digest) of the rows last
    # planned, so a row given again as the same object is not digested again
    memo: dict[str, dict[int, tuple[Any, tuple[str, ...], str, str]]] = field(default_factory=dict)
    saved_meta: str = ""
    # per tab: (label, digest of the narrow read) of the last write that left the tab as
    # it was — given rows of that label on a read of that digest, a write is a no-op
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    def put(self, tab: str, label: str, entry: Entry) -> None:
        known = self.keyed.setdefault(tab, {})
        if known.get(label) != entry:
            known[label] = entry
            self._touch(tab, (label,))

    def drop(self, tab: str, label: str) -> None:
        known = self.keyed.get(tab)
        if known is not None and known.pop(label, None) is not None:
            self._touch(tab, (label,))

    def replace_tab(self, tab: str, entries: dict[str, Entry]) -> None:
        """The tab's entries are now ``entries``: only the differences are noted."""
        known = self.keyed.get(tab, {})
        changed = [label for label, entry in entries.items() if known.get(label) != entry]
        if len(known) + len(changed) != len(entries):
            changed += [label for label in known if label not in entries]
        self.keyed[tab] = entries
        self._touch(tab, changed)

    def _touch(self, tab: str, labels: Iterable[str]) -> None:
        if self.touched is not None:
            self.touched.setdefault(tab, set()).update(labels)

    @classmethod
    def load(cls, path: Path | None, spreadsheet_id: str) -> RowCache:
        if path is None or not path.exists():
            return cls(spreadsheet_id)
        try:
            with contextlib.closing(sqlite3.connect(path)) as conn:
                meta = dict(conn.execute("SELECT name, value FROM meta"))
                if meta.get("version") != str(VERSION) or meta.get("spreadsheet") != spreadsheet_id:
                    return cls(spreadsheet_id)
                keyed: dict[str, dict[str, Entry]] = {}
                for tab, label, metadata_id, written in conn.execute(
                    "SELECT tab, label, metadata_id, digest FROM rows"
                ):
                    keyed.setdefault(tab, {})[label] = (metadata_id, written)
            in_place = {
                t: [str(d) for d in rows] for t, rows in json.loads(meta["in_place"]).items()
            }
            checked_at = float(meta.get("checked_at", 0.0))
            labels = {
                t: (str(a), str(b)) for t, (a, b) in json.loads(meta.get("labels", "{}")).items()
            }
        except (sqlite3.Error, ValueError, KeyError, TypeError, AttributeError):
            return cls(spreadsheet_id)  # a damaged or old-format cache is only a lost hint
        return cls(
            spreadsheet_id,
            keyed,
            in_place,
            loaded=True,
            checked_at=checked_at,
            touched={},
            labels=labels,
        )

    def save(self, path: Path | None) -> None:
        self.loaded = True
        if path is None:
            return
        meta = json.dumps(
            [self.in_place, self.checked_at, self.labels], ensure_ascii=False, separators=(",", ":")
        )
        if self.touched is not None and not any(self.touched.values()) and meta == self.saved_meta:
            return  # an idle cycle: nothing changed
        try:
            self._write(path, self.touched)
        except sqlite3.DatabaseError:  # not a database (an earlier JSON cache): start over
            with contextlib.suppress(OSError):
                path.unlink()
            try:
                self._write(path, None)
            except sqlite3.Error as exc:
                raise _unwritable(path, exc) from exc
        except sqlite3.Error as exc:
            raise _unwritable(path, exc) from exc
        self.touched, self.saved_meta = {}, meta

    def _write(self, path: Path, touched: Mapping[str, set[str]] | None) -> None:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS rows (tab TEXT, label TEXT, metadata_id INTEGER,"
                " digest TEXT, PRIMARY KEY (tab, label)) WITHOUT ROWID"
            )
            conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            if touched is None:  # everything: the first save of this cache
                conn.execute("DELETE FROM rows")
                touched = {tab: set(entries) for tab, entries in self.keyed.items()}
            for tab, labels in touched.items():
                known = self.keyed.get(tab, {})
                conn.executemany(
                    "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?)",
                    ((tab, label, *known[label]) for label in labels if label in known),
                )
                conn.executemany(
                    "DELETE FROM rows WHERE tab = ? AND label = ?",
                    ((tab, label) for label in labels if label not in known),
                )
            conn.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [
                    ("version", str(VERSION)),
                    ("spreadsheet", self.spreadsheet_id),
                    ("in_place", json.dumps(self.in_place, ensure_ascii=False)),
                    ("checked_at", repr(self.checked_at)),
                    ("labels", json.dumps(self.labels, ensure_ascii=False)),
                ],
            )
            conn.execute("COMMIT")


def _unwritable(path: Path, exc: sqlite3.Error) -> SheetError:
    return SheetError(f"{path} に書き込めません / cannot write the sheet cache: {exc}")
