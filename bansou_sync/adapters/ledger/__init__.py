"""The SQLite ledger: the source of truth for what was assigned and sent (SPEC §7).

It implements ``bansou_sync.ports.Ledger``; each responsibility is a module of this
package, joined here into one class:

    schema        the file's tables, migrations (``PRAGMA user_version``), error messages
    connection    opening (``open``, ``open_readonly``), transactions, the error guard
    state_store   the ``State`` tables, written by difference, kept resident
    outbox_store  the outbox and its states (``outbox_rows``: how a message is stored)
    cycle_log     the cycles log (the 同期 tab)
    features      the tables of the staff tools and events (purges, emergency, sign-ups)
    backup        a consistent private copy of the file

Only the composition root (``bootstrap``) and the CLI open it; the app sees the port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bansou_sync.adapters.ledger.backup import Backup
from bansou_sync.adapters.ledger.cycle_log import MAX_CYCLES, CycleLog
from bansou_sync.adapters.ledger.features import FeatureTables
from bansou_sync.adapters.ledger.outbox_store import OutboxStore
from bansou_sync.adapters.ledger.schema import APPLICATION_ID, MIGRATIONS, RECOVER_HINT
from bansou_sync.adapters.ledger.state_store import StateStore
from bansou_sync.ports import (
    HELD_UNTIL,
    OUTBOX_STATUSES,
    MailChanges,
    MailEntry,
    OutboxItem,
    OutboxWatch,
)

__all__ = [
    "APPLICATION_ID",
    "HELD_UNTIL",
    "MAX_CYCLES",
    "MIGRATIONS",
    "OUTBOX_STATUSES",
    "RECOVER_HINT",
    "Ledger",
    "MailChanges",
    "MailEntry",
    "OutboxItem",
    "OutboxWatch",
]


class Ledger(StateStore, OutboxStore, CycleLog, FeatureTables, Backup):
    """The ledger file; open it with ``Ledger.open(path)`` or ``Ledger.open_readonly``."""


if TYPE_CHECKING:
    from bansou_sync.ports import Ledger as LedgerPort

    _PORT: type[LedgerPort] = Ledger  # mypy checks that it keeps the port's shape
