"""The daily ledger backup: one consistent copy per JST day, the newest ``keep`` kept.

Taken after a successful cycle through the SQLite backup API (``Ledger.backup_to``), so
a copy is never caught half-written. Files are ``ledger-YYYYMMDD.sqlite3``, mode 0600,
in a 0700 folder; each opens with ``Ledger.open`` as it is. A backup that fails is
reported (the 同期 tab, the log) and tried again next cycle; it never fails the cycle.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bansou_sync.core.calendar import to_jst
from bansou_sync.errors import BansouError
from bansou_sync.ports import Ledger

log = logging.getLogger(__name__)
_NAME = re.compile(r"ledger-(\d{8})\.sqlite3")


def backup_name(day: date) -> str:
    return f"ledger-{day:%Y%m%d}.sqlite3"


def daily_backup(ledger: Ledger, backup_dir: Path, keep: int, today: date) -> Path | None:
    """Back up the ledger unless today's copy exists; the new file, or None if none was
    taken. ``keep`` 0 turns backups off (and leaves old copies alone)."""
    if keep <= 0:
        return None
    backup_dir = Path(backup_dir)
    target = backup_dir / backup_name(today)
    taken = None
    if not target.exists():
        try:
            backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise BansouError(f"cannot create the backup folder {backup_dir}: {exc}") from exc
        ledger.backup_to(target)
        taken = target
    try:
        _prune(backup_dir, keep)
    except OSError as exc:
        raise BansouError(f"cannot remove old backups in {backup_dir}: {exc}") from exc
    return taken


def _prune(backup_dir: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` daily copies (by the date in their names)."""
    copies = sorted(
        (p for p in backup_dir.iterdir() if _NAME.fullmatch(p.name)),
        key=lambda p: p.name,
        reverse=True,
    )
    for old in copies[keep:]:
        old.unlink()


@dataclass(frozen=True)
class BackupPlan:
    """Where and how many: ``state.backup_dir`` and ``state.backups``."""

    folder: Path
    keep: int

    def take(self, ledger: Ledger, now: datetime) -> str | None:
        """Run the daily backup; a problem line for the 同期 tab, or None when all is well."""
        try:
            taken = daily_backup(ledger, self.folder, self.keep, to_jst(now).date())
        except BansouError as exc:
            log.error("ledger backup failed: %s", exc)
            return f"台帳のバックアップに失敗しました / ledger backup failed: {exc}"
        if taken is not None:
            log.info("ledger backed up", extra={"backup": taken.name})
        return None
