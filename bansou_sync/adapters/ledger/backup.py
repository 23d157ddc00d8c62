"""A consistent, private copy of the committed ledger (``app.backup`` keeps them daily).

SQLite-only by nature: it uses SQLite's online backup API, so the copy is a ledger file
``Ledger.open`` opens as it is.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bansou_sync.adapters.ledger.connection import LedgerConnection
from bansou_sync.adapters.ledger.schema import create_private, translate
from bansou_sync.errors import LedgerError


class Backup(LedgerConnection):
    def backup_to(self, path: Path) -> None:
        """A consistent copy of the committed ledger at ``path`` (mode 0600), atomically."""
        path = Path(path)
        if self._in_transaction:
            raise LedgerError("cannot back up the ledger inside a transaction")
        if path.resolve() == self.path.resolve():
            raise LedgerError(f"cannot back up the ledger onto itself ({path})")
        partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)
            create_private(partial)
            copy = sqlite3.connect(partial, isolation_level=None)
            try:
                self._conn.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
            os.replace(partial, path)
        except sqlite3.Error as exc:
            partial.unlink(missing_ok=True)
            raise translate(exc, self.path, f"back it up to {path}") from exc
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise LedgerError(f"cannot back up the ledger to {path}: {exc}") from exc
