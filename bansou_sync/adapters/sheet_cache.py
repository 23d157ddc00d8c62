"""What the Google status sheet holds as far as bansou-sync last wrote it.

Per keyed tab: for each key, the developer-metadata id that tags its row (None while the
row is untagged: it was only read back, never written) and a digest of the daemon
values last written; per in-place tab (統計, 同期): one digest per row position. A cycle
writes only rows whose digest changed. The cache is a hint, never the truth: losing it
costs one full read and some rewrites, nothing else. Saved as JSON beside the ledger.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bansou_sync.adapters.atomic import write_atomically
from bansou_sync.errors import SheetError

VERSION = 1


def digest(values: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(values).encode(), digest_size=8).hexdigest()


def key_text(key: Sequence[str]) -> str:
    return "\t".join(key)


@dataclass
class RowCache:
    spreadsheet_id: str
    keyed: dict[str, dict[str, tuple[int | None, str]]] = field(default_factory=dict)
    in_place: dict[str, list[str]] = field(default_factory=dict)
    loaded: bool = False  # False: nothing known yet (read the whole sheet once)
    checked_at: float = 0.0  # epoch seconds of the last whole-sheet read
    # not saved: whether anything changed since the file was written (an idle cycle
    # changes nothing, and serialising 130,000 rows' entries costs a second at 60k)
    dirty: bool = True
    keyed_text: str | None = None
    saved_text: str = ""
    # not saved: per tab, id(row) → (row, key, key text, digest) of the rows last
    # planned, so a row given again as the same object is not digested again
    memo: dict[str, dict[int, tuple[Any, tuple[str, ...], str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None, spreadsheet_id: str) -> RowCache:
        if path is None or not path.exists():
            return cls(spreadsheet_id)
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION or data.get("spreadsheet_id") != spreadsheet_id:
                return cls(spreadsheet_id)
            keyed = {
                tab: {k: (v[0], str(v[1])) for k, v in rows.items()}
                for tab, rows in data["keyed"].items()
            }
            in_place = {tab: [str(d) for d in rows] for tab, rows in data["in_place"].items()}
            checked_at = float(data.get("checked_at", 0.0))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return cls(spreadsheet_id)  # a damaged cache is only a lost hint
        return cls(spreadsheet_id, keyed, in_place, loaded=True, checked_at=checked_at)

    def save(self, path: Path | None) -> None:
        self.loaded = True
        if path is None:
            return
        # The keyed part (an entry per row: 130,000 at 60k) is serialised again only when
        # it changed; an idle cycle changes only the small in-place digests (同期).
        if self.dirty or self.keyed_text is None:
            self.keyed_text = json.dumps(self.keyed, ensure_ascii=False, separators=(",", ":"))
            self.dirty = False
        rest = [("in_place", self.in_place), ("checked_at", self.checked_at)]
        text = (
            f'{{"version":{VERSION},"spreadsheet_id":{json.dumps(self.spreadsheet_id)},'
            f'"keyed":{self.keyed_text},'
            + ",".join(
                f"{json.dumps(k)}:{json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
                for k, v in rest
            )
            + "}"
        )
        if text == self.saved_text:
            return
        try:
            write_atomically(path, text.encode("utf-8"))
            self.saved_text = text
        except OSError as exc:
            raise SheetError(
                f"{path} に書き込めません / cannot write the sheet cache: {exc.strerror}"
            ) from exc
