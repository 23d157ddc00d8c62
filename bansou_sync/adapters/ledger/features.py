"""The ledger tables of the staff tools and events (migrations 3 and 4 in ``schema``).

purged              tombstones: ``form|response_id`` of every purged response, so the
                    daemon never imports it again (``bansou_sync.app.retention``)
purges              the record of each purge: when, which scope, counts and IDs
emergency_requests  緊急支援費 requests (``core.emergency``), one JSON payload each
event_signups       course and event sign-ups (``core.events``), one JSON payload each

Each method joins an open ``transaction()`` or runs a small one of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bansou_sync.adapters import ledger_codec as codec
from bansou_sync.adapters.ledger.connection import LedgerConnection
from bansou_sync.core.emergency import EmergencyRequest
from bansou_sync.core.event_model import Signup
from bansou_sync.errors import LedgerError

_PERSONAL_SIGNUP = "json_extract(payload, '$.name') != '' OR json_extract(payload, '$.email') != ''"


class FeatureTables(LedgerConnection):
    # -- course and event sign-ups ------------------------------------------------------

    def event_signups(self) -> dict[str, dict[str, Signup]]:
        stored: dict[str, dict[str, Signup]] = {}
        with self._writing("read the event sign-ups") as conn:
            rows = conn.execute("SELECT event_id, response_id, payload FROM event_signups")
            for event_id, response_id, payload in rows.fetchall():
                signup = codec.loads(Signup, payload)
                stored.setdefault(str(event_id), {})[str(response_id)] = signup
        return stored

    def save_event_signups(self, signups: Sequence[Signup]) -> None:
        with self._writing("save the event sign-ups") as conn:
            conn.executemany(
                "INSERT INTO event_signups (event_id, response_id, payload) VALUES (?, ?, ?)"
                " ON CONFLICT (event_id, response_id) DO UPDATE SET payload = excluded.payload",
                [(s.event_id, s.response_id, codec.dumps(s)) for s in signups],
            )

    def event_signups_with_personal(self, *, scrub: bool) -> list[str]:
        """Receipts (``event_id/response_id``) of course and event sign-ups that still hold
        a name or an email; with ``scrub`` those are blanked (the sign-up itself stays)."""
        with self._writing("remove personal data from the event sign-ups") as conn:
            exists = conn.execute(  # a read-only ledger may predate migration 4
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_signups'"
            ).fetchone()
            if not exists:
                return []
            found = [
                f"{event}/{response}"
                for event, response in conn.execute(
                    f"SELECT event_id, response_id FROM event_signups WHERE {_PERSONAL_SIGNUP}"
                    " ORDER BY event_id, response_id"
                )
            ]
            if scrub:
                conn.execute(
                    "UPDATE event_signups SET payload = json_set(payload, '$.name', '',"
                    f" '$.email', '') WHERE {_PERSONAL_SIGNUP}"
                )
        return found

    # -- retention (issue 6 §4) ---------------------------------------------------------

    def tombstones(self) -> frozenset[str]:
        with self._writing("read the purged responses") as conn:
            return frozenset(str(row[0]) for row in conn.execute("SELECT key FROM purged"))

    def add_tombstones(self, keys: Iterable[str], at: datetime) -> None:
        stamp = codec.dump_datetime(at)
        with self._writing("record the purged responses") as conn:
            conn.executemany(
                "INSERT INTO purged (key, purged_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                [(key, stamp) for key in keys],
            )

    def record_purge(
        self,
        at: datetime,
        scope: str,
        counts: Mapping[str, int],
        ids: Mapping[str, list[str]],
    ) -> None:
        with self._writing("record the purge") as conn:
            conn.execute(
                "INSERT INTO purges (run_at, scope, counts, ids) VALUES (?, ?, ?, ?)",
                (
                    codec.dump_datetime(at),
                    scope,
                    json.dumps(dict(counts), ensure_ascii=False, sort_keys=True),
                    json.dumps(dict(ids), ensure_ascii=False, sort_keys=True),
                ),
            )

    def purges(self) -> list[dict[str, Any]]:
        """Every purge, oldest first: run_at, scope, counts (kind → n), ids (kind → IDs)."""
        with self._writing("read the purge record") as conn:
            rows = conn.execute(
                "SELECT run_at, scope, counts, ids FROM purges ORDER BY id"
            ).fetchall()
        return [
            {"run_at": r[0], "scope": r[1], "counts": json.loads(r[2]), "ids": json.loads(r[3])}
            for r in rows
        ]

    def scrub_outbox(self) -> int:
        """Remove recipients and rendering context (names, amounts) from every queued or
        sent email; a message not yet sent can no longer be, so it is marked failed."""
        with self._writing("remove personal data from the outbox") as conn:
            count = conn.execute(
                "UPDATE outbox SET recipients = '[]', context = '{}'"
                " WHERE recipients != '[]' OR context != '{}'"
            ).rowcount
            conn.execute(
                "UPDATE outbox SET status = 'failed', error = 'purged'"
                " WHERE status IN ('pending', 'sending', 'review')"
            )
        self.outbox_rewritten()  # a service's メール tab is rebuilt from every message
        return int(count)

    def outbox_with_personal(self) -> int:
        """Emails whose recipients or context a purge would remove (for ``--dry-run``)."""
        with self._writing("count the outbox") as conn:
            row = conn.execute(
                "SELECT count(*) FROM outbox WHERE recipients != '[]' OR context != '{}'"
            ).fetchone()
        return int(row[0])

    # -- emergency requests (issue 6 §2) ------------------------------------------------

    def emergency_requests(self) -> dict[str, EmergencyRequest]:
        with self._writing("read the emergency requests") as conn:
            rows = conn.execute(
                "SELECT request_no, payload FROM emergency_requests ORDER BY request_no"
            ).fetchall()
        try:
            return {str(no): codec.loads(EmergencyRequest, payload) for no, payload in rows}
        except (LedgerError, ValueError) as exc:
            raise LedgerError(
                f"ledger {self.path}: an emergency request cannot be read: {exc}"
            ) from exc

    def save_emergency_requests(
        self, old: Mapping[str, EmergencyRequest], new: Mapping[str, EmergencyRequest]
    ) -> None:
        changed = [(no, r.response_id, codec.dumps(r)) for no, r in new.items() if old.get(no) != r]
        with self._writing("save the emergency requests") as conn:
            conn.executemany(
                "INSERT INTO emergency_requests (request_no, response_id, payload)"
                " VALUES (?, ?, ?) ON CONFLICT (request_no) DO UPDATE SET payload ="
                " excluded.payload",
                changed,
            )
