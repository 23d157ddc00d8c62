"""The small interfaces between the app and the outside world.

Each port has a real adapter (``bansou_sync.adapters``) and the tests run the same
contract suite against it. The app only ever talks to these.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bansou_sync.core.model import RawResponse
from bansou_sync.core.staff import RepeatedKey

if TYPE_CHECKING:  # annotations only: importing the port loads no rule module
    from bansou_sync.core.emergency import EmergencyRequest
    from bansou_sync.core.event_model import Signup
    from bansou_sync.core.state import State


class ResponseSource(Protocol):
    """Where form responses come from (CSV export, Forms API, linked responses Sheet)."""

    incremental: bool
    """True when ``fetch(form, since)`` may return only responses changed since ``since``
    (Forms API); False when every fetch lists every response (CSV export, linked Sheet)."""

    def fetch(self, form: str, since: datetime | None = None) -> list[RawResponse]:
        """Responses of ``form`` ("registration" or "application") that exist now — all
        of them, or (``incremental`` sources, ``since`` given) at least every response
        submitted or edited at or after ``since``.

        Raises ``SourceUnavailable`` when the source cannot be read: an unreadable source is
        an operational error, never "no responses"."""

    def close_form(self, form: str) -> bool:
        """Stop ``form`` accepting responses; False when the backend cannot (staff are asked)."""

    @property
    def problems(self) -> list[str]:
        """Rows or responses the latest ``fetch`` of each form skipped, each with its row
        or response ID and why (never the answers), for the 同期 tab."""
        ...


@dataclass(frozen=True)
class StaffRow:
    """One row of a tab as read back: the key and every cell by header (strings)."""

    key: tuple[str, ...]
    cells: Mapping[str, str]


@dataclass(frozen=True)
class SheetSnapshot:
    """What a cycle read from the status sheet: rows by tab name (missing tab: no entry)."""

    tabs: Mapping[str, Sequence[StaffRow]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # e.g. a row whose key is not ours; shown in 同期
    # keys found in more than one row of a tab (``tabs`` holds the first row of each):
    # ``core.staff.settle_repeats`` decides whether their staff input may be applied
    repeats: tuple[RepeatedKey, ...] = ()
    # per tab, a name of its rows as read, the same in every process for the same rows
    # (a digest of the bytes or of the reply, and the layout); no entry: not known
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class TabRows:
    """The daemon's full projection of one tab: rows of cells in header order."""

    name: str
    rows: Sequence[Sequence[str | int]]
    label: str = ""  # names what the rows come from (``app.tabs.labels``); "": unknown


class StatusSheet(Protocol):
    """The staff-facing status spreadsheet (Google Sheet, or a folder of CSV files)."""

    last_problems: list[str]
    """What the latest ``write`` reports for 同期: rows it kept, could not place yet, or
    removed with staff input in them (never applied to another row)."""

    def read(self, full: bool = False) -> SheetSnapshot:
        """Every tab's rows, keyed by the tab's key columns: at least the key and staff
        columns; every column when ``full`` (a ledger rebuild needs the daemon's too)."""
        ...

    def write(self, tabs: Sequence[TabRows]) -> None:
        """Replace the daemon's columns of each tab with ``rows``, matched by key.

        Staff columns are never overwritten: each written row keeps the staff cells the
        sheet holds now for its key (re-read at write time, so rows sorted, inserted or
        deleted by staff since ``read`` do not misplace anything).
        """
        ...

    def clear_columns(self, columns: Mapping[str, Sequence[str]]) -> int:
        """Blank the named columns (by tab, found by header name) below the header row:
        the retention purge of staff columns that may hold personal data. A tab or column
        the sheet does not have is skipped. Returns a count for the purge report: the cells
        that held something (local files) or the columns cleared (Google)."""
        ...


class Mailer(Protocol):
    """Delivers one fully rendered message (Gmail API, SMTP, or a folder of .eml files)."""

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message``; raise ``TemporaryMailError`` or ``PermanentMailError``."""
        ...

    def delivered(self, message_id: str) -> bool | None:
        """After a crash mid-send: was ``message_id`` delivered? None when it cannot tell."""
        ...


# Why Google stopped accepting the credentials, if that is what an error (or one it was
# raised from) says: "invalid_grant", "unauthorized", "forbidden", or None for anything
# else. The Google adapters know the libraries' errors (adapters.retry.credential_trouble);
# the app only reads the answer.
CredentialTrouble = Callable[[BaseException], "str | None"]

# Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half
# of one (adapters.atomic.write_atomically); OSError when it cannot.
WriteFile = Callable[[Path, bytes], None]


# -- the ledger ----------------------------------------------------------------------

OUTBOX_STATUSES = frozenset({"pending", "sending", "sent", "failed", "review"})
# ``send_after`` of a message held until staff release it (the surge guard, issue 10 §5)
HELD_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class OutboxItem:
    """One queued email; ``message_id`` is derived from (kind, event_key), so it is unique."""

    message_id: str
    kind: str
    ref: str
    to: tuple[str, ...]
    event_key: str
    context: dict[str, Any]  # JSON-serialisable; read back as JSON (tuples become lists)
    created_at: datetime
    status: str = "pending"  # pending | sending | sent | failed | review
    sent_at: datetime | None = None
    attempts: int = 0
    error: str = ""
    send_after: datetime | None = None


@dataclass(eq=False)  # hashable by identity: a ledger keeps its watches in a WeakSet
class OutboxWatch:
    """Messages the ledger queued or moved since the last ``changed_mail``."""

    touched: set[str] = field(default_factory=set)
    version: Any = None  # the ledger's data version at the last read; None: read everything


@dataclass(frozen=True)
class MailEntry:
    """What the メール tab shows of one message, and where it sorts."""

    seq: int
    message_id: str
    kind: str
    ref: str
    to: tuple[str, ...]
    status: str
    created_at: datetime
    sent_at: datetime | None
    created_utc: str
    sent_utc: str | None


@dataclass(frozen=True)
class MailChanges:
    everything: bool  # entries are every message (else: only those asked for, found)
    entries: list[MailEntry]
    asked: set[str]


class Ledger(Protocol):
    """The source of truth for what was assigned and sent (SPEC §7): the SQLite file
    (``adapters.ledger``) or, in tests, ``adapters.memory_ledger``.

    A cycle runs in one ``transaction()``: ``save_state`` writes the records that changed
    and ``enqueue`` queues the cycle's emails in the same commit; a transaction that
    raises (or a dry run's) leaves nothing. Every other write outside a transaction is a
    small commit of its own, so the sender's marks survive a crash between two sends::

        pending ──mark_sending──▶ sending ──mark_sent──▶ sent
           ▲                        │ ├──mark_failed(permanent)──▶ failed
           └──mark_failed(temporary)┘ └──mark_review──▶ review   (sent or not? staff decide)

    Every failure is a ``LedgerError``.
    """

    # -- transactions and the file ------------------------------------------------------

    def transaction(self, commit: bool = True) -> AbstractContextManager[object]:
        """One transaction (they do not nest); ``commit=False`` (dry run) rolls back."""
        ...

    def check_room(self, min_free_bytes: int) -> None:
        """Refuse (``LedgerError``) to start a cycle the ledger could not record."""
        ...

    def vacuum(self) -> None:
        """After a purge: deleted personal data must not linger anywhere (issue 6 §4)."""
        ...

    def backup_to(self, path: Path) -> None:
        """A consistent copy of the committed ledger at ``path`` (mode 0600), atomically."""
        ...

    # -- state --------------------------------------------------------------------------

    @property
    def state_generation(self) -> int | None:
        """Equal between two ``load_state`` calls exactly when the state they return is the
        same; None when the ledger keeps no state between calls."""
        ...

    def load_state(self) -> State:
        """The state the ledger holds (a copy: callers may change its dicts)."""
        ...

    def save_state(self, old: State, new: State) -> None:
        """Inside ``transaction()``: write the records of ``new`` that differ from ``old``."""
        ...

    # -- outbox -------------------------------------------------------------------------

    def enqueue(self, items: Sequence[OutboxItem]) -> int:
        """Queue ``items``; one already queued (same message_id) is left as it is."""
        ...

    def pending(
        self,
        limit: int | None = None,
        *,
        due_at: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[OutboxItem]:
        """Pending messages, oldest first (by time, then by queueing); with ``due_at``,
        only those not deferred past it; with ``kinds``, only those of these kinds."""
        ...

    def pending_heads(
        self, due_at: datetime, *, except_kinds: Sequence[str] = ()
    ) -> Generator[tuple[str, tuple[str, ...]]]:
        """(Message-ID, recipients) of each pending message due at ``due_at`` whose kind is
        not one of ``except_kinds``, oldest first, without the contexts."""
        ...

    def items_by_id(self, message_ids: Sequence[str]) -> list[OutboxItem]:
        """The messages of ``message_ids``, in that order (those not found left out)."""
        ...

    def queued(self, message_ids: Iterable[str]) -> set[str]:
        """Which of ``message_ids`` the outbox holds, whatever their status."""
        ...

    def outbox_items(self) -> list[OutboxItem]:
        """Every message, newest first (the メール tab)."""
        ...

    def in_sending(self) -> list[OutboxItem]:
        """Messages marked sending whose outcome was never recorded (a crash mid-send)."""
        ...

    def pending_count(self) -> int: ...

    def has_mail(self, besides: Sequence[str] = ()) -> bool:
        """Has any email ever been queued, other than of the kinds ``besides``?"""
        ...

    def mark_sending(self, message_id: str) -> None: ...

    def mark_sent(self, message_id: str, sent_at: datetime) -> None: ...

    def mark_failed(
        self,
        message_id: str,
        error: str,
        permanent: bool,
        *,
        retry_after: datetime | None = None,
    ) -> None:
        """Permanent: ``failed`` for good. Temporary: back to ``pending`` to be tried again."""
        ...

    def mark_review(self, message_id: str, why: str) -> None: ...

    def sent_count_since(self, t: datetime) -> int: ...

    def sent_per_recipient_since(self, t: datetime) -> dict[str, int]:
        """How many messages each address (lower-cased) was sent since ``t``."""
        ...

    def sent_times(self, kind: str, event_keys: Sequence[str]) -> dict[str, datetime]:
        """When each message of ``kind`` queued for one of ``event_keys`` was sent."""
        ...

    def held_count(self) -> int:
        """Pending messages held until staff release them (``HELD_UNTIL``)."""
        ...

    def release_held(self) -> int:
        """Let every held message go (staff released the surge); returns how many."""
        ...

    def watch_outbox(self) -> OutboxWatch:
        """A new watch noting which messages change, for a projection kept in memory."""
        ...

    def changed_mail(self, watch: OutboxWatch) -> MailChanges:
        """Every message the first time (or when another writer changed the ledger since);
        else only the messages queued or moved since the last call with ``watch``."""
        ...

    # -- cycles log (the 同期 tab) ------------------------------------------------------

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
        ...

    def add_cycle_error(self, text: str) -> None:
        """Append ``text`` to the errors of the newest logged cycle."""
        ...

    def fail_cycle(self, started_at: datetime, errors: str) -> bool:
        """Mark the newest logged cycle failed when this ledger logged it at
        ``started_at``; False otherwise."""
        ...

    def cycles(self, limit: int = 500) -> list[dict[str, Any]]:
        """Logged cycles, newest first: started_at (datetime), result, counts, errors, idle."""
        ...

    # -- course and event sign-ups (issue 6 §1) -----------------------------------------

    def event_signups(self) -> dict[str, dict[str, Signup]]:
        """Every stored sign-up, by event ID then response ID."""
        ...

    def save_event_signups(self, signups: Sequence[Signup]) -> None: ...

    # -- retention and emergency requests (issue 6) -------------------------------------

    def tombstones(self) -> frozenset[str]:
        """``form|response_id`` of every purged response: never imported again."""
        ...

    def add_tombstones(self, keys: Iterable[str], at: datetime) -> None: ...

    def record_purge(
        self,
        at: datetime,
        scope: str,
        counts: Mapping[str, int],
        ids: Mapping[str, list[str]],
    ) -> None: ...

    def scrub_outbox(self) -> int:
        """Remove recipients and rendering context from every email; one not yet sent
        can no longer be, so it is marked failed. Returns how many were scrubbed."""
        ...

    def outbox_with_personal(self) -> int:
        """Emails whose recipients or context a purge would remove (for ``--dry-run``)."""
        ...

    def event_signups_with_personal(self, *, scrub: bool) -> list[str]:
        """``event_id/response_id`` of sign-ups that still hold a name or an email; with
        ``scrub`` those are blanked (the sign-up itself stays)."""
        ...

    def emergency_requests(self) -> dict[str, EmergencyRequest]: ...

    def save_emergency_requests(
        self, old: Mapping[str, EmergencyRequest], new: Mapping[str, EmergencyRequest]
    ) -> None: ...
