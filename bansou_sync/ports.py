"""The small interfaces between the app and the outside world.

Each port has a real adapter (``bansou_sync.adapters``) and the tests run the same
contract suite against it. The app only ever talks to these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from bansou_sync.core.model import RawResponse
from bansou_sync.core.staff import RepeatedKey


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
        an operational error, never "no responses".
        """
        ...

    def close_form(self, form: str) -> bool:
        """Stop ``form`` accepting responses; False when the backend cannot (staff are asked)."""
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


@dataclass(frozen=True)
class TabRows:
    """The daemon's full projection of one tab: rows of cells in header order."""

    name: str
    rows: Sequence[Sequence[str | int]]


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


class Clock(Protocol):
    def now(self) -> datetime: ...
