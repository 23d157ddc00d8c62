"""The cycle's working copy of the ledger state, with the indexes the rules need.

Caps (P4, P5, P14) and the budget (P8) look at live applications only; keeping these
counts up to date as statuses change makes each check O(1) however long the history.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from bansou_sync.core.ids import IdPattern
from bansou_sync.core.model import (
    COMMITTED,
    LIVE,
    Application,
    Registration,
    RegistrationStatus,
)
from bansou_sync.core.state import State

Occasion = tuple[str, date]  # (相談者コード, 支援実施日)


def identities(reg: Registration) -> list[str]:
    """P7's two identities: the normalised email, and the name without spaces + phone digits."""
    keys = [f"email:{reg.email}"] if reg.email else []
    compact = "".join(reg.name.split())
    if compact and reg.phone_digits:
        keys.append(f"person:{compact}|{reg.phone_digits}")
    return keys


class Book:
    """Mutable working copy of a ``State`` for one cycle; ``state`` is the result."""

    def __init__(self, state: State, pins: Mapping[str, str] | None = None) -> None:
        self.state = state.copy()
        # "registration|<response id>" / "application|<response id>" → the ID or 申請番号
        # it already had; only a ledger rebuild (recovery) pins numbers
        self.pins: Mapping[str, str] = pins or {}
        self.by_id: dict[str, Registration] = {}
        self.first_by_identity: dict[str, Registration] = {}  # P7: email or name+phone
        self.occasion_supporters: dict[Occasion, Counter[str]] = defaultdict(Counter)
        self.client_dates: dict[str, Counter[date]] = defaultdict(Counter)
        self.client_apps: Counter[str] = Counter()
        self.committed_yen = 0
        self.by_response: dict[str, str] = {}
        for reg in sorted(self.state.registrations.values(), key=lambda r: r.seq):
            self._index_registration(reg)
        for app in self.state.applications.values():
            self._index(app, +1)
            self.by_response[app.response_id] = app.app_no

    def take_id(self, counter: str, pattern: IdPattern, pin: str) -> str:
        """The pinned number when the response had one, else the next, never reused."""
        pinned = self.pins.get(pin)
        if pinned:
            number = pattern.parse_number(pinned)
            if isinstance(number, int):
                return pattern.format(number)
        return pattern.format(self.state.next_number(counter))

    # -- registrations -------------------------------------------------------
    def put_registration(self, reg: Registration) -> None:
        self.state.registrations[reg.response_id] = reg
        self._index_registration(reg)

    def _index_registration(self, reg: Registration) -> None:
        if reg.supporter_id:
            self.by_id[reg.supporter_id] = reg
        for identity in identities(reg):
            first = self.first_by_identity.get(identity)
            if first is None or first.seq >= reg.seq:
                self.first_by_identity[identity] = reg

    def active_registration(self, supporter_id: str) -> Registration | None:
        reg = self.by_id.get(supporter_id)
        if reg is None or reg.status == RegistrationStatus.DUPLICATE:
            return None
        return reg

    def contact_email(self, supporter_id: str | None) -> str | None:
        """The address a supporter is written to: 連絡先訂正 first, then the registration's."""
        if not supporter_id:
            return None
        desk = self.state.desks.get(supporter_id)
        if desk and desk.contact_correction:
            return desk.contact_correction
        reg = self.by_id.get(supporter_id)
        return reg.email if reg else None

    # -- applications --------------------------------------------------------
    def put_application(self, app: Application) -> None:
        old = self.state.applications.get(app.app_no)
        if old is not None:
            self._index(old, -1)
        self.state.applications[app.app_no] = app
        self.by_response[app.response_id] = app.app_no
        self._index(app, +1)

    def update(self, app: Application, **changes: object) -> Application:
        new = replace(app, **changes)  # type: ignore[arg-type]
        self.put_application(new)
        return new

    def withdraw(self, app: Application) -> None:
        """Take ``app`` out of the live counts while a replacement is judged."""
        self._index(app, -1)

    def restore(self, app: Application) -> None:
        self._index(app, +1)

    def _index(self, app: Application, sign: int) -> None:
        if app.status in COMMITTED and app.honorarium:
            self.committed_yen += sign * app.honorarium
        if app.status not in LIVE or not app.client_code:
            return
        self.client_apps[app.client_code] += sign
        if app.support_date is None or not app.supporter_id:
            return
        occasion = (app.client_code, app.support_date)
        self.occasion_supporters[occasion][app.supporter_id] += sign
        self.client_dates[app.client_code][app.support_date] += sign
        if self.occasion_supporters[occasion][app.supporter_id] <= 0:
            del self.occasion_supporters[occasion][app.supporter_id]
        if self.client_dates[app.client_code][app.support_date] <= 0:
            del self.client_dates[app.client_code][app.support_date]

    def live_supporters(self, occasion: Occasion) -> set[str]:
        return set(self.occasion_supporters.get(occasion, ()))

    def live_dates(self, client: str) -> set[date]:
        return set(self.client_dates.get(client, ()))
