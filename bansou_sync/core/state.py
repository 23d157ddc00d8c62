"""Everything the ledger remembers between cycles, as plain data.

The core takes a ``State`` and the cycle's inputs and returns a new ``State`` plus the
notices to send; the ledger persists it. Records are frozen; the containers are plain
dicts that the core copies before changing (``State.copy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bansou_sync.core.model import Application, Registration, SupporterDesk


@dataclass(frozen=True)
class BatchMark:
    """What the ledger remembers of one 支払 row (締め日 + 伴走ネットID)."""

    paid: bool = False  # 支払済 was read ticked and applied
    paid_on: str = ""  # ISO date of the cycle that applied it


@dataclass
class State:
    registrations: dict[str, Registration] = field(default_factory=dict)  # by response_id
    applications: dict[str, Application] = field(default_factory=dict)  # by 申請番号
    clients: dict[str, str] = field(default_factory=dict)  # keyed hash of triple -> 相談者コード
    desks: dict[str, SupporterDesk] = field(default_factory=dict)  # by 伴走ネットID
    batches: dict[str, BatchMark] = field(default_factory=dict)  # "YYYY-MM-DD|BN-0001"
    counters: dict[str, int] = field(default_factory=dict)  # supporter/application/client/seq
    seen: dict[str, str] = field(default_factory=dict)  # "form|response_id" -> last_submitted ISO
    flags: dict[str, str] = field(default_factory=dict)  # small facts: budget_warned, …

    def copy(self) -> State:
        return State(
            registrations=dict(self.registrations),
            applications=dict(self.applications),
            clients=dict(self.clients),
            desks=dict(self.desks),
            batches=dict(self.batches),
            counters=dict(self.counters),
            seen=dict(self.seen),
            flags=dict(self.flags),
        )

    def next_number(self, counter: str) -> int:
        """Take the next number of ``counter``; numbers are never reused."""
        n = self.counters.get(counter, 0) + 1
        self.counters[counter] = n
        return n
