"""One tab's rows kept by record key in the tab's order (``app.projector``'s memo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bansou_sync.core.projection import Cell

Row = list[Cell]


@dataclass
class KeyedRows:
    """One tab's rows by record key, and the keys in the tab's order. The rows in order
    (``listed``) are kept and patched while the order holds: a cycle that changes ten
    rows of 60,000 does not list them all again (issue 5)."""

    rows: dict[Any, Row] = field(default_factory=dict)
    order: list[Any] = field(default_factory=list)
    kept: list[Row] | None = None
    at: dict[Any, int] = field(default_factory=dict)  # key → place in ``kept``

    def put(self, key: Any, row: Row) -> bool:
        """Set a key's row; True when the key is new (the caller then places it)."""
        new = key not in self.rows
        self.rows[key] = row
        if not new and self.kept is not None:
            self.kept[self.at[key]] = row
        return new

    def drop(self, key: Any) -> bool:
        if self.rows.pop(key, None) is None:
            return False
        self.kept = None
        return True

    def reorder(self, order: list[Any]) -> None:
        self.order, self.kept = order, None

    def extend(self, keys: list[Any]) -> None:
        """Place new keys after the others (they sort after the last)."""
        self.order.extend(keys)
        if self.kept is not None:
            for key in keys:
                self.at[key] = len(self.kept)
                self.kept.append(self.rows[key])

    def listed(self) -> list[Row]:
        if self.kept is None:
            self.kept = [self.rows[k] for k in self.order]
            self.at = {k: i for i, k in enumerate(self.order)}
        return self.kept
