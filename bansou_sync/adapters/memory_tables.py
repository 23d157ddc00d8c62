"""The in-memory ledger's data, its cycles log and the tables of the staff tools and
events (``memory_ledger`` adds transactions, the state and the outbox)."""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bansou_sync.adapters.ledger.cycle_log import MAX_CYCLES
from bansou_sync.adapters.ledger_codec import dump_datetime, utc_key
from bansou_sync.core.emergency import EmergencyRequest
from bansou_sync.core.event_model import Signup
from bansou_sync.core.state import State
from bansou_sync.ports import OutboxItem, OutboxWatch

_ACTIVE = ("pending", "sending", "review")


@dataclass
class MemoryData:
    """Everything the ledger holds; a transaction keeps a copy to go back to."""

    state: State = field(default_factory=State)
    outbox: dict[str, tuple[int, OutboxItem]] = field(default_factory=dict)  # by message_id
    next_seq: int = 1
    cycles: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    tombstones: dict[str, datetime] = field(default_factory=dict)
    purges: list[dict[str, Any]] = field(default_factory=list)
    emergency: dict[str, EmergencyRequest] = field(default_factory=dict)
    signups: dict[tuple[str, str], Signup] = field(default_factory=dict)

    def copy(self) -> MemoryData:
        return MemoryData(
            self.state.copy(),
            dict(self.outbox),
            self.next_seq,
            [dict(c) for c in self.cycles],
            dict(self.tombstones),
            [dict(p) for p in self.purges],
            dict(self.emergency),
            dict(self.signups),
        )


class MemoryTables:
    def __init__(self) -> None:
        self._data = MemoryData()
        self._logged: datetime | None = None  # the cycle this ledger logged last
        self._watches: weakref.WeakSet[OutboxWatch] = weakref.WeakSet()

    # -- cycles log ---------------------------------------------------------------------

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
        utc_key(started_at)
        self._logged = started_at
        cycle = {
            "started_at": started_at,
            "result": result,
            "new_registrations": new_registrations,
            "new_applications": new_applications,
            "mails_sent": mails_sent,
            "errors": errors,
            "idle": idle,
        }
        cycles = self._data.cycles
        if idle and cycles and cycles[-1]["idle"]:
            cycles[-1] = cycle
            return
        cycles.append(cycle)
        del cycles[:-MAX_CYCLES]

    def add_cycle_error(self, text: str) -> None:
        if self._data.cycles:
            newest = self._data.cycles[-1]
            newest["errors"] = f"{newest['errors']} / {text}" if newest["errors"] else text
            newest["idle"] = False

    def fail_cycle(self, started_at: datetime, errors: str) -> bool:
        cycles = self._data.cycles
        if self._logged != started_at or not cycles or cycles[-1]["started_at"] != started_at:
            return False
        newest = cycles[-1]
        newest["errors"] = f"{errors} / {newest['errors']}" if newest["errors"] else errors
        newest["result"], newest["idle"] = "失敗", False
        return True

    def cycles(self, limit: int = MAX_CYCLES) -> list[dict[str, Any]]:
        return [dict(c) for c in reversed(self._data.cycles[-limit:] if limit > 0 else [])]

    # -- course and event sign-ups ------------------------------------------------------

    def event_signups(self) -> dict[str, dict[str, Signup]]:
        stored: dict[str, dict[str, Signup]] = {}
        for (event_id, response_id), signup in self._data.signups.items():
            stored.setdefault(event_id, {})[response_id] = signup
        return stored

    def save_event_signups(self, signups: Sequence[Signup]) -> None:
        for signup in signups:
            self._data.signups[(signup.event_id, signup.response_id)] = signup

    def event_signups_with_personal(self, *, scrub: bool) -> list[str]:
        keys = sorted(k for k, s in self._data.signups.items() if s.name != "" or s.email != "")
        if scrub:
            for key in keys:
                self._data.signups[key] = replace(self._data.signups[key], name="", email="")
        return [f"{event}/{response}" for event, response in keys]

    # -- retention and emergency requests -----------------------------------------------

    def tombstones(self) -> frozenset[str]:
        return frozenset(self._data.tombstones)

    def add_tombstones(self, keys: Iterable[str], at: datetime) -> None:
        utc_key(at)
        for key in keys:
            self._data.tombstones.setdefault(key, at)

    def record_purge(
        self,
        at: datetime,
        scope: str,
        counts: Mapping[str, int],
        ids: Mapping[str, list[str]],
    ) -> None:
        self._data.purges.append(
            {
                "run_at": dump_datetime(at),
                "scope": scope,
                "counts": json.loads(json.dumps(dict(counts))),
                "ids": json.loads(json.dumps(dict(ids))),
            }
        )

    def purges(self) -> list[dict[str, Any]]:
        return [dict(p) for p in self._data.purges]

    def scrub_outbox(self) -> int:
        count = 0
        for message_id, (seq, item) in list(self._data.outbox.items()):
            if item.to or item.context:
                count += 1
                item = replace(item, to=(), context={})
            if item.status in _ACTIVE:
                item = replace(item, status="failed", error="purged")
            self._data.outbox[message_id] = (seq, item)
        for watch in self._watches:  # the メール tab is rebuilt from every message
            watch.version = None
        return count

    def outbox_with_personal(self) -> int:
        return sum(bool(item.to or item.context) for _, item in self._data.outbox.values())

    def emergency_requests(self) -> dict[str, EmergencyRequest]:
        return dict(sorted(self._data.emergency.items()))

    def save_emergency_requests(
        self, old: Mapping[str, EmergencyRequest], new: Mapping[str, EmergencyRequest]
    ) -> None:
        self._data.emergency.update({no: r for no, r in new.items() if old.get(no) != r})
