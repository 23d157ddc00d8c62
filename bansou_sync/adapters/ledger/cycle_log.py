"""The cycles log: one row per cycle, newest 500 kept (the 同期 tab shows them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bansou_sync.adapters import ledger_codec as codec
from bansou_sync.adapters.ledger.connection import LedgerConnection

MAX_CYCLES = 500  # rows kept in the cycles log (the 同期 tab shows at most 500)
_CYCLE_COLUMNS = "started_at, result, new_registrations, new_applications, mails_sent, errors, idle"


class CycleLog(LedgerConnection):
    def record_cycle(
        self,
        started_at: datetime,
        result: str,
        new_registrations: int,
        new_applications: int,
        mails_sent: int,
        errors: str,
        idle: bool,
    ) -> None:
        """Log a cycle; an idle one replaces the newest row when that row is idle too."""
        values = (
            codec.dump_datetime(started_at),
            result,
            new_registrations,
            new_applications,
            mails_sent,
            errors,
            int(idle),
        )
        self._logged = started_at
        with self._writing("record the cycle") as conn:
            newest = conn.execute("SELECT id, idle FROM cycles ORDER BY id DESC LIMIT 1").fetchone()
            if idle and newest is not None and newest[1]:
                sets = ", ".join(f"{c.strip()} = ?" for c in _CYCLE_COLUMNS.split(","))
                conn.execute(f"UPDATE cycles SET {sets} WHERE id = ?", (*values, newest[0]))
                return
            conn.execute(
                f"INSERT INTO cycles ({_CYCLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", values
            )
            conn.execute(
                "DELETE FROM cycles WHERE id NOT IN"
                " (SELECT id FROM cycles ORDER BY id DESC LIMIT ?)",
                (MAX_CYCLES,),
            )

    def add_cycle_error(self, text: str) -> None:
        """Append ``text`` to the errors of the newest logged cycle (e.g. a failed backup)."""
        with self._writing("record the cycle") as conn:
            conn.execute(
                "UPDATE cycles SET errors = CASE WHEN errors = '' THEN ? ELSE errors || ' / ' || ?"
                " END, idle = 0 WHERE id = (SELECT max(id) FROM cycles)",
                (text, text),
            )

    def fail_cycle(self, started_at: datetime, errors: str) -> bool:
        """Mark the newest logged cycle failed, with ``errors`` first, when it is the one
        started at ``started_at``: a cycle logs itself before it writes the sheet (the 同期
        tab shows it), so a sheet write that then fails is that cycle's failure, not a
        second row. False when this connection did not log that cycle."""
        if self._logged != started_at:
            return False
        with self._writing("record the cycle") as conn:
            changed = conn.execute(
                "UPDATE cycles SET result = '失敗', idle = 0, errors = CASE WHEN errors = ''"
                " THEN ? ELSE ? || ' / ' || errors END"
                " WHERE id = (SELECT max(id) FROM cycles) AND started_at = ?",
                (errors, errors, codec.dump_datetime(started_at)),
            ).rowcount
        return bool(changed)

    def cycles(self, limit: int = MAX_CYCLES) -> list[dict[str, Any]]:
        """Logged cycles, newest first: started_at (datetime), result, counts, errors, idle."""
        with self._guard("read the cycles log"):
            rows = self._conn.execute(
                f"SELECT {_CYCLE_COLUMNS} FROM cycles ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        names = [c.strip() for c in _CYCLE_COLUMNS.split(",")]
        found = [dict(zip(names, row, strict=True)) for row in rows]
        for cycle in found:
            cycle["started_at"] = codec.load_datetime(cycle["started_at"])
            cycle["idle"] = bool(cycle["idle"])
        return found
