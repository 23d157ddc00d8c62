"""What a cycle talks to, wired by ``bootstrap``: the ports, the policy and the limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from bansou_sync.app.credential_watch import TokenAge
from bansou_sync.app.events import EventServices
from bansou_sync.app.operations import OperationServices
from bansou_sync.app.render import Renderer
from bansou_sync.core.policy import Policy
from bansou_sync.ports import CredentialTrouble, Ledger, Mailer, ResponseSource, StatusSheet


class ProjectionKeep(Protocol):
    """Where a cold process leaves its projector's memo for the next
    (``app.projection_memo``, ``adapters.kept_projection``)."""

    def load(self, name: str) -> bytes | None:
        """The bytes kept under ``name``; None when there are none (or they are damaged)."""
        ...

    def save(self, name: str, write: Callable[[BinaryIO], object]) -> None:
        """Keep under ``name`` (replacing what was kept) the bytes ``write`` streams into
        the file it is given; never raises (what ``write`` raises: nothing is kept)."""
        ...


@dataclass
class Services:
    """Everything a cycle talks to, wired by ``bootstrap``."""

    source: ResponseSource
    sheet: StatusSheet
    mailer: Mailer
    ledger: Ledger
    renderer: Renderer
    policy: Policy
    client_key: bytes
    mail_domain: str
    daily_limit: int = 500
    per_recipient_limit: int | None = 50  # mail.per_recipient_daily_limit
    surge_limit: int = 1000  # intake.surge_limit
    pace_seconds: float = 0.0
    emergency: bool = False  # the 緊急支援費 form is configured (app.emergency_cycle)
    token_age: TokenAge | None = None  # an OAuth testing app's refresh token to watch
    min_free_bytes: int = 50 * 2**20  # state.min_free_mb: below it a cycle does nothing
    events: EventServices | None = None  # courses and events (app.events)
    operations: OperationServices | None = None  # the 操作 tab (app.operations)
    # a real mailer's first cycle queuing more than this stops and asks (app.first_run)
    first_cycle_limit: int | None = None
    progress: Callable[[int, int], None] | None = None  # (sent so far, to send) while sending
    # which errors mean Google refuses the credentials (adapters.retry.credential_trouble)
    credential_trouble: CredentialTrouble | None = None
    # names the content of the ledger's state (``state_generation``'s) and the version, the
    # same in every process; None when unknown (app.tabs: a cold start skips unchanged tabs)
    state_label: Callable[[], str | None] | None = None
    # names the content of the ledger's outbox (what メール shows) and the version, the
    # same in every process; None when unknown (app.tabs: a cold start skips メール then)
    mail_label: Callable[[], str | None] | None = None
    # where a cold process leaves its projector's memo for the next (app.projection_memo)
    projection_keep: ProjectionKeep | None = None
    # where a process leaves its first read's staff input for the next (app.staff_memo)
    staff_keep: ProjectionKeep | None = None
    # a cold process that wrote a staff tab keeps the staff input of what it wrote (the
    # next read's), when reading the sheet again costs no request (the local sheet)
    staff_after_write: bool = False
