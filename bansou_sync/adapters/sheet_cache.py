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
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
        data = {
            "version": VERSION,
            "spreadsheet_id": self.spreadsheet_id,
            "keyed": {
                tab: {k: list(v) for k, v in rows.items()} for tab, rows in self.keyed.items()
            },
            "in_place": self.in_place,
            "checked_at": self.checked_at,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with open(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise SheetError(
                f"{path} に書き込めません / cannot write the sheet cache: {exc.strerror}"
            ) from exc
