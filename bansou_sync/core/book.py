"""The cycle's working copy of the ledger state, with the indexes the rules need.

Caps (P4, P5, P14) and the budget (P8) look at live applications only; keeping these
counts up to date as statuses change makes each check O(1) however long the history.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date

from bansou_sync.core.ids import IdPattern
from bansou_sync.core.model import (
    COMMITTED,
    LIVE,
    Application,
    AppStatus,
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
        # P8: emergency amounts granted by staff count as committed (core.emergency)
        self.committed_yen = int(self.state.flags.get("emergency_granted_yen", "0") or 0)
        self.by_response: dict[str, str] = {}
        # deficient applications by 申請番号, and by (ID, 相談者コード, 支援実施日): the reply
        # window (P9) looks only at these, not at the whole history, for each response
        self.deficient: dict[str, Application] = {}
        # accepted applications by 申請番号: payment holds and 支払済 ticks look only at these
        self.accepted: dict[str, Application] = {}
        self.statuses: Counter[str] = Counter()  # applications by status code
        # (applications, registrations) put since the book was made or resumed: what a
        # cycle changed of the two big tables, for the shell's projection
        self.touched: tuple[set[str], set[str]] = (set(), set())
        self.deficient_at: dict[tuple[str, str, date], dict[str, Application]] = {}
        self._deadline_of: Callable[[Application], date | None] | None = None
        self._deadline_key: object = None
        self._by_deadline: list[tuple[date, int, str]] = []  # heap (deadline, seq, 申請番号)
        for reg in sorted(self.state.registrations.values(), key=lambda r: r.seq):
            self._index_registration(reg)
        for app in self.state.applications.values():
            self._index(app, +1)
            self.by_response[app.response_id] = app.app_no
            self._index_deficient(None, app)

    def resume(self, state: State) -> Book:
        """This book again for the next cycle, on ``state``: a state with the content of
        ``self.state`` (the one committed at the end of the cycle that used this book), so
        the indexes still hold and are not rebuilt from the whole history."""
        self.state = state.copy()
        self.pins = {}
        self.touched = (set(), set())
        return self

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
        self.touched[1].add(reg.response_id)
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
        self.touched[0].add(app.app_no)
        self.by_response[app.response_id] = app.app_no
        self._index(app, +1)
        self._index_deficient(old, app)

    def _index_deficient(self, old: Application | None, app: Application) -> None:
        if old is not None:
            self.statuses[old.status.value] -= 1
        self.statuses[app.status.value] += 1
        if old is not None and old.status == AppStatus.ACCEPTED:
            self.accepted.pop(old.app_no, None)
        if app.status == AppStatus.ACCEPTED:
            self.accepted[app.app_no] = app
        if old is not None and old.status == AppStatus.DEFICIENT:
            self.deficient.pop(old.app_no, None)
            same = self.deficient_at.get(_occasion_of(old), {})
            same.pop(old.app_no, None)
        if app.status == AppStatus.DEFICIENT:
            self.deficient[app.app_no] = app
            self.deficient_at.setdefault(_occasion_of(app), {})[app.app_no] = app
            if self._deadline_of is not None:  # stale entries are skipped when popped
                self._push_deadline(app)

    def accepted_in_order(self) -> list[Application]:
        """The accepted applications in the state's order (first sight: ``seq``)."""
        return sorted(self.accepted.values(), key=lambda a: a.seq)

    def deficient_in_order(self) -> list[Application]:
        """The deficient applications in the state's order (first sight: ``seq``)."""
        return sorted(self.deficient.values(), key=lambda a: a.seq)

    def deficient_due_by(
        self, last_day: date, deadline_of: Callable[[Application], date | None], key: object
    ) -> list[Application]:
        """Deficient applications whose reply deadline (``deadline_of``; ``key`` names the
        rule, e.g. the policy) is ``last_day`` or earlier, in the state's order. A heap by
        deadline keeps this O(found) per call: the cycle asks for each response it reads."""
        if self._deadline_key is not key:
            self._deadline_key, self._deadline_of = key, deadline_of
            self._by_deadline = []
            for app in self.deficient.values():
                self._push_deadline(app, heap=False)
            heapq.heapify(self._by_deadline)
        found: dict[str, Application] = {}
        later: list[Application] = []
        while self._by_deadline and self._by_deadline[0][0] <= last_day:
            _, _, app_no = heapq.heappop(self._by_deadline)
            current = self.deficient.get(app_no)
            if current is None:
                continue  # no longer deficient: a stale entry
            deadline = deadline_of(current)
            if deadline is not None and deadline <= last_day:
                found[app_no] = current
            elif deadline is not None:
                later.append(current)  # its clock moved since it was pushed
        due = sorted(found.values(), key=lambda a: a.seq)
        for app in [*later, *due]:  # whatever stays deficient is asked about again
            self._push_deadline(app)
        return due

    def _push_deadline(self, app: Application, heap: bool = True) -> None:
        deadline = self._deadline_of(app) if self._deadline_of is not None else None
        if deadline is None:
            return
        entry = (deadline, app.seq, app.app_no)
        if heap:
            heapq.heappush(self._by_deadline, entry)
        else:
            self._by_deadline.append(entry)

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

    def deficient_for(self, supporter_id: str, client: str, day: date) -> list[Application]:
        """Deficient applications of one supporter for one client and day, oldest first."""
        found = self.deficient_at.get((supporter_id, client, day), {})
        return sorted(found.values(), key=lambda a: a.seq)

    def live_supporters(self, occasion: Occasion) -> set[str]:
        return set(self.occasion_supporters.get(occasion, ()))

    def live_dates(self, client: str) -> set[date]:
        return set(self.client_dates.get(client, ()))


def _occasion_of(app: Application) -> tuple[str, str, date]:
    return (app.supporter_id or "", app.client_code or "", app.support_date or date.min)
