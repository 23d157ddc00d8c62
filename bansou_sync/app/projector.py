"""The status sheet's projection, kept in memory by the service between cycles (issue 5).

``run_once.project`` rebuilds every row of every tab from the whole state: O(history)
each cycle. A ``Projector`` gives the same rows (the tests compare the two) but
recomputes only the rows whose records changed since its previous call: records are
frozen, so "changed" is "not the same object", found with one dict lookup per record.
Rows it did not recompute are the *same list objects* as last time, which lets the
Google sheet adapter skip digesting them (``google_sheet_plan.RowMemo``).

It is a cache, never a truth: it holds nothing the ledger does not, any error drops it
(the next call rebuilds from the state), and the メール tab asks the ledger which
messages changed (``Ledger.changed_mail``: all of them again whenever another process
wrote the ledger). New per-cycle work that adds a tab keyed by records should add a
memo here the same way (rows by key, recomputed when the record object changes).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import pandas as pd

from bansou_sync.adapters.ledger import Ledger, MailEntry, OutboxWatch
from bansou_sync.core.calendar import stamp
from bansou_sync.core.model import Application, AppStatus, Registration
from bansou_sync.core.policy import Policy
from bansou_sync.core.projection import (
    Cell,
    application_row,
    id_order,
    mail_row,
    payment_row,
    supporter_contribution,
    supporter_row,
    sync_rows,
)
from bansou_sync.core.state import State
from bansou_sync.core.stats import COLUMNS, frame_row, publish, tables_of
from bansou_sync.core.tabs import APPLICATIONS, MAILS, PAYMENTS, STATS, SUPPORTERS, SYNC
from bansou_sync.ports import TabRows

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Row = list[Cell]
_ABSENT = object()
PayItem = tuple[int, bool, AppStatus, date | None]


def changes(old: Mapping[K, V], new: Mapping[K, V]) -> tuple[list[K], set[K]]:
    """Keys whose value is new or another object, and keys gone."""
    fresh = [k for k, v in new.items() if old.get(k, _ABSENT) is not v]
    gone = old.keys() - new.keys() if len(old) + len(fresh) != len(new) else set()
    return fresh, gone


@dataclass
class _Keyed:
    """One tab's rows by record key, and the keys in the tab's order."""

    rows: dict[Any, Row] = field(default_factory=dict)
    order: list[Any] = field(default_factory=list)

    def listed(self) -> list[Row]:
        return [self.rows[k] for k in self.order]


@dataclass
class _Memo:
    primed: bool = False  # False until the first projection
    apps: dict[str, Application] = field(default_factory=dict)
    regs: dict[str, Registration] = field(default_factory=dict)
    applications: _Keyed = field(default_factory=_Keyed)
    # 伴走者: per supporter ID, 申請件数 and 謝金累計; per registration, what its row shows
    counts: dict[str, int] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=dict)
    supporter_rows: dict[str, tuple[Registration, int, int, Row]] = field(default_factory=dict)
    supporters: list[Row] = field(default_factory=list)
    # 支払: each application's group (締め日, ID) and what it adds to the group
    groups: dict[tuple[date, str], dict[str, PayItem]] = field(default_factory=dict)
    group_of: dict[str, tuple[date, str]] = field(default_factory=dict)
    payments: _Keyed = field(default_factory=_Keyed)
    stats: list[Row] = field(default_factory=list)
    frame_rows: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # 統計, by 申請番号
    mails: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # sort keys
    mail_rows: dict[str, Row] = field(default_factory=dict)
    mail_list: list[Row] = field(default_factory=list)


class Projector:
    def __init__(self) -> None:
        self._memo = _Memo()
        self._policy: Policy | None = None
        self._watch: OutboxWatch | None = None
        self._watch_of: Ledger | None = None

    def reset(self) -> None:
        self._memo = _Memo()
        self._watch = self._watch_of = None

    def project(self, ledger: Ledger, state: State, policy: Policy) -> list[TabRows]:
        if policy is not self._policy:  # rows depend on the policy (reply deadlines)
            self.reset()
            self._policy = policy
        try:
            return self._project(ledger, state, policy)
        except BaseException:
            self.reset()  # half-updated memos must not survive: rebuild next time
            raise

    def _project(self, ledger: Ledger, state: State, policy: Policy) -> list[TabRows]:
        memo = self._memo
        apps, gone_apps = changes(memo.apps, state.applications)
        regs, gone_regs = changes(memo.regs, state.registrations)
        if apps or gone_apps or not memo.primed:
            self._applications(state, apps, gone_apps, policy)
            memo.stats = self._stats(state, apps, gone_apps, policy)
        if apps or gone_apps or regs or gone_regs:
            self._supporters(state, apps, gone_apps)
            self._payments(state, apps, gone_apps, bool(regs or gone_regs))
        memo.primed = True
        memo.apps, memo.regs = dict(state.applications), dict(state.registrations)
        cycles = [{**c, "started_at": stamp(c["started_at"])} for c in ledger.cycles()]
        return [
            TabRows(SUPPORTERS.name, memo.supporters),
            TabRows(APPLICATIONS.name, memo.applications.listed()),
            TabRows(PAYMENTS.name, memo.payments.listed()),
            TabRows(MAILS.name, self._mails(ledger)),
            TabRows(STATS.name, memo.stats),
            TabRows(SYNC.name, sync_rows(cycles)),
        ]

    def _applications(self, state: State, fresh: list[str], gone: set[str], policy: Policy) -> None:
        tab = self._memo.applications
        added = bool(gone)
        for key in gone:
            tab.rows.pop(key, None)
        for key in fresh:
            added = added or key not in tab.rows
            tab.rows[key] = application_row(state.applications[key], policy)
        if added:
            tab.order = sorted(tab.rows, key=id_order)

    def _stats(self, state: State, fresh: list[str], gone: set[str], policy: Policy) -> list[Row]:
        """統計 from each application's frame row, kept per application (reading the
        narratives' categories is what costs), then the core's tables and suppression."""
        rows = self._memo.frame_rows
        for key in gone:
            rows.pop(key, None)
        for key in fresh:
            app = state.applications[key]
            if app.status == AppStatus.RESUBMITTED:
                rows.pop(key, None)
            else:
                row = frame_row(app, policy.topic_keywords)
                rows[key] = tuple(row[c] for c in COLUMNS)  # a tuple: a third of a dict
        ordered = [rows[k] for k in state.applications if k in rows]
        data = pd.DataFrame(ordered, columns=COLUMNS)
        published = publish(tables_of(data, policy.min_cell), policy.min_cell)
        return [[p.section, p.item, p.value] for p in published]

    def _supporters(self, state: State, fresh: list[str], gone: set[str]) -> None:
        memo = self._memo
        for key in [*fresh, *gone]:
            for app, sign in ((memo.apps.get(key), -1), (state.applications.get(key), +1)):
                if app is None:
                    continue
                sid, count, yen = supporter_contribution(app)
                memo.counts[sid] = memo.counts.get(sid, 0) + sign * count
                memo.paid[sid] = memo.paid.get(sid, 0) + sign * yen
        rows: dict[str, tuple[Registration, int, int, Row]] = {}
        for key, reg in state.registrations.items():
            if not reg.supporter_id:
                continue
            count = memo.counts.get(reg.supporter_id, 0)
            paid = memo.paid.get(reg.supporter_id, 0)
            known = memo.supporter_rows.get(key)
            if known is not None and known[0] is reg and known[1:3] == (count, paid):
                rows[key] = known
            else:
                rows[key] = (reg, count, paid, supporter_row(reg, count, paid))
        memo.supporter_rows = rows
        ordered = sorted(rows.values(), key=lambda r: id_order(r[0].supporter_id or ""))
        memo.supporters = [r[3] for r in ordered]

    def _payments(self, state: State, fresh: list[str], gone: set[str], names: bool) -> None:
        memo = self._memo
        dirty: set[tuple[date, str]] = set()
        for key in [*fresh, *gone]:
            app = state.applications.get(key)
            group = _group(app)
            before = memo.group_of.get(key)
            if before is not None and before != group:
                memo.groups[before].pop(key, None)
                dirty.add(before)
                del memo.group_of[key]
            if app is not None and group is not None:
                # assigning an existing key keeps its place, as the state's dict does
                memo.groups.setdefault(group, {})[key] = (
                    app.honorarium or 0,
                    app.held,
                    app.status,
                    app.pay_date,
                )
                memo.group_of[key] = group
                dirty.add(group)
        tab = memo.payments
        if names:
            dirty = set(memo.groups)
        lookup = _names(state) if dirty else {}
        added = False
        for group in dirty:
            members = memo.groups.get(group)
            if not members:
                memo.groups.pop(group, None)
                added = added or tab.rows.pop(group, None) is not None
                continue
            added = added or group not in tab.rows
            cutoff, sid = group
            tab.rows[group] = payment_row(cutoff, sid, lookup.get(sid, ""), list(members.values()))
        if added:
            tab.order = sorted(tab.rows)

    def _mails(self, ledger: Ledger) -> list[Row]:
        memo = self._memo
        if self._watch is None or self._watch_of is not ledger:
            self._watch, self._watch_of = ledger.watch_outbox(), ledger
            memo.mails, memo.mail_rows = {}, {}
        changed = ledger.changed_mail(self._watch)
        entries = changed.entries
        if not (changed.everything or changed.asked):
            return memo.mail_list
        if changed.everything:
            memo.mails, memo.mail_rows = {}, {}
        else:  # asked for but not found: its queueing was rolled back
            for message_id in changed.asked - {e.message_id for e in entries}:
                memo.mails.pop(message_id, None)
                memo.mail_rows.pop(message_id, None)
        for entry in entries:
            memo.mails[entry.message_id] = _newest_first(entry)
            memo.mail_rows[entry.message_id] = mail_row(entry)
        ordered = sorted(memo.mails, key=memo.mails.__getitem__, reverse=True)
        memo.mail_list = [memo.mail_rows[m] for m in ordered]
        return memo.mail_list


def _newest_first(m: MailEntry) -> tuple[str, str, int]:
    """Sent (else queued) time; ties in the ledger's order, newest queued first — the
    order of ``projection.mail_rows`` (UTC keys sort as the times they stand for)."""
    return (m.sent_utc or m.created_utc, m.created_utc, m.seq)


def _group(app: Application | None) -> tuple[date, str] | None:
    if app is None or app.status not in (AppStatus.ACCEPTED, AppStatus.PAID):
        return None
    if not app.cutoff or not app.supporter_id:
        return None
    return (app.cutoff, app.supporter_id)


def _names(state: State) -> dict[str, str]:
    return {r.supporter_id: r.name for r in state.registrations.values() if r.supporter_id}
