"""The status sheet's projection, kept in memory by the service between cycles
(``app.warm.WarmCycle``).

``app.tabs.project`` without a projector rebuilds every row of every tab from the whole
state. A ``Projector`` gives the same rows (the tests compare the two) but recomputes
only the rows whose records changed since its previous call: records are frozen, so
"changed" is "not the same object", found with one dict lookup per record.
Rows it did not recompute are the *same list objects* as last time, which lets the
Google sheet adapter skip digesting them (``google_sheet_plan.RowMemo``).

It is a cache, never a truth: it holds nothing the ledger does not, any error drops it
(the next call rebuilds from the state), and the メール tab asks the ledger which
messages changed (``Ledger.changed_mail``: all of them again whenever another process
wrote the ledger). A new tab keyed by records gets a memo here the same way.
"""

from __future__ import annotations

import sys
from bisect import bisect_left, insort
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from bansou_sync.app.keyed_rows import KeyedRows, Row
from bansou_sync.core.calendar import stamp
from bansou_sync.core.frame import frame_values
from bansou_sync.core.model import Application, AppStatus, Registration
from bansou_sync.core.network import Kept
from bansou_sync.core.policy import Policy
from bansou_sync.core.projection import (
    application_row,
    duplicates_by_original,
    id_order,
    mail_row,
    payment_row,
    supporter_contribution,
    supporter_row,
    sync_rows,
)
from bansou_sync.core.state import State
from bansou_sync.core.stats import Tally, publish
from bansou_sync.core.tabs import (
    APPLICATIONS,
    MAILS,
    PAYMENTS,
    STATS,
    SUPPORTERS,
    SYNC,
    TabLayout,
)
from bansou_sync.ports import Ledger, MailEntry, OutboxWatch, TabRows

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_ABSENT = object()
PayItem = tuple[int, bool, AppStatus, date | None]


def changes(old: Mapping[K, V], new: Mapping[K, V]) -> tuple[list[K], set[K]]:
    """Keys whose value is new or another object, and keys gone."""
    fresh = [k for k, v in new.items() if old.get(k, _ABSENT) is not v]
    gone = old.keys() - new.keys() if len(old) + len(fresh) != len(new) else set()
    return fresh, gone


def changes_among(keys: set[K], old: Mapping[K, V], new: Mapping[K, V]) -> tuple[list[K], set[K]]:
    """``changes`` looked at only for ``keys`` (the others are known to be the same)."""
    fresh = [k for k in keys if k in new and old.get(k, _ABSENT) is not new[k]]
    return fresh, {k for k in keys if k not in new and k in old}


@dataclass
class _Memo:
    primed: bool = False  # False until the first projection
    generation: int | None = None  # the ledger's state generation projected last
    apps: dict[str, Application] = field(default_factory=dict)
    regs: dict[str, Registration] = field(default_factory=dict)
    applications: KeyedRows = field(default_factory=KeyedRows)
    # 伴走者: per supporter ID, 申請件数 and 謝金累計; per registration, what its row shows
    counts: dict[str, int] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=dict)
    supporter_rows: dict[str, tuple[Registration, int, int, str, Row]] = field(default_factory=dict)
    repeats: dict[str, str] = field(default_factory=dict)  # ID → its 重複登録 cell
    supporters: list[Row] = field(default_factory=list)
    supporter_at: dict[str, int] = field(default_factory=dict)  # registration → place
    regs_of: dict[str, list[str]] = field(default_factory=dict)  # supporter ID → registrations
    # 支払: each application's group (締め日, ID) and what it adds to the group
    groups: dict[tuple[date, str], dict[str, PayItem]] = field(default_factory=dict)
    group_of: dict[str, tuple[date, str]] = field(default_factory=dict)
    payments: KeyedRows = field(default_factory=KeyedRows)
    stats: list[Row] = field(default_factory=list)
    frame_rows: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # 統計, by 申請番号
    tally: Tally = field(default_factory=Tally)  # 統計: the counts of frame_rows
    network: Kept = field(default_factory=Kept)  # 統計: the 伴走ネット (issue 15 §2)
    mails: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # sort keys
    mail_rows: dict[str, Row] = field(default_factory=dict)
    mail_list: list[Row] = field(default_factory=list)
    mail_order: list[tuple[tuple[str, str, int], str]] = field(default_factory=list)


class Projector:
    def __init__(self) -> None:
        self._memo = _Memo()
        self._policy: Policy | None = None
        self._watch: OutboxWatch | None = None
        self._watch_of: Ledger | None = None

    def reset(self) -> None:
        self._memo = _Memo()
        self._watch = self._watch_of = None

    def forget_mail(self) -> None:
        """Drop メール's rows (a process about to end keeps the state's tabs only)."""
        memo = self._memo
        memo.mails, memo.mail_rows, memo.mail_list, memo.mail_order = {}, {}, [], []
        self._watch = self._watch_of = None

    @property
    def memo(self) -> _Memo:
        return self._memo

    def resume(self, memo: _Memo, policy: Policy) -> None:
        """Go on from ``memo``, made by another projector under ``policy``
        (``app.projection_memo``): as if this one had made it."""
        self._memo, self._policy = memo, policy
        self._watch = self._watch_of = None

    @property
    def primed(self) -> bool:  # it has projected a state (False: a cold start)
        return self._memo.primed

    def project(
        self,
        ledger: Ledger,
        state: State,
        policy: Policy,
        generation: int | None = None,
        since: tuple[int, set[str], set[str]] | None = None,
    ) -> list[TabRows]:
        """``generation``: the ledger's ``state_generation`` when ``state`` is the state it
        holds (not one changed since); the same as last time, the records are not compared
        again (an idle cycle at 60,000 applications). ``since``: (a generation, the
        applications and the registrations that may differ from that generation's
        state) — when this projector last projected that generation, only those are
        compared (a cycle's ``Book.touched``)."""
        if policy is not self._policy:  # rows depend on the policy (reply deadlines)
            self.reset()
            self._policy = policy
        try:
            return self._project(ledger, state, policy, generation, since)
        except BaseException:
            self.reset()  # half-updated memos must not survive: rebuild next time
            raise

    def _project(
        self,
        ledger: Ledger,
        state: State,
        policy: Policy,
        generation: int | None,
        since: tuple[int, set[str], set[str]] | None,
    ) -> list[TabRows]:
        memo = self._memo
        apps: list[str] = []
        regs: list[str] = []
        gone_apps: set[str] = set()
        gone_regs: set[str] = set()
        hinted = since is not None and memo.primed and since[0] == memo.generation
        if hinted and since is not None:  # only what the cycle put can differ
            apps, gone_apps = changes_among(since[1], memo.apps, state.applications)
            regs, gone_regs = changes_among(since[2], memo.regs, state.registrations)
        elif generation is None or not memo.primed or generation != memo.generation:
            apps, gone_apps = changes(memo.apps, state.applications)
            regs, gone_regs = changes(memo.regs, state.registrations)
        if apps or gone_apps or not memo.primed:
            self._applications(state, apps, gone_apps, policy)
            memo.stats = self._stats(state, apps, gone_apps, policy)
        if apps or gone_apps or regs or gone_regs:
            self._supporters(state, apps, gone_apps, bool(regs or gone_regs))
            self._payments(state, apps, gone_apps, bool(regs or gone_regs))
        if apps or gone_apps or regs or gone_regs or not memo.primed:
            memo.network.update(memo, state, {*apps, *gone_apps}, {*regs, *gone_regs}, policy)
        if hinted:  # the kept records follow the ones that changed
            memo.apps.update((k, state.applications[k]) for k in apps)
            memo.regs.update((k, state.registrations[k]) for k in regs)
            for key in gone_apps:
                memo.apps.pop(key, None)
            for key in gone_regs:
                memo.regs.pop(key, None)
        elif not (memo.primed and generation is not None and generation == memo.generation):
            memo.apps, memo.regs = dict(state.applications), dict(state.registrations)
        memo.primed, memo.generation = True, generation
        cycles = [{**c, "started_at": stamp(c["started_at"])} for c in ledger.cycles()]
        return [
            TabRows(SUPPORTERS.name, memo.supporters),
            TabRows(APPLICATIONS.name, memo.applications.listed()),
            TabRows(PAYMENTS.name, memo.payments.listed()),
            TabRows(MAILS.name, self._mails(ledger)),
            TabRows(STATS.name, memo.stats + memo.network.rows),
            TabRows(SYNC.name, sync_rows(cycles)),
        ]

    def _applications(self, state: State, fresh: list[str], gone: set[str], policy: Policy) -> None:
        tab = self._memo.applications
        removed = False
        for key in gone:
            removed = tab.drop(key) or removed
        new = [
            key
            for key in fresh
            if tab.put(key, _shared(application_row(state.applications[key], policy), _APP_MADE))
        ]
        new.sort(key=id_order)
        if removed or (new and tab.order and id_order(new[0]) <= id_order(tab.order[-1])):
            tab.reorder(sorted(tab.rows, key=id_order))
        elif new:  # numbers only grow: the new ones go after the others
            tab.extend(new)

    def _stats(self, state: State, fresh: list[str], gone: set[str], policy: Policy) -> list[Row]:
        """統計 from each application's frame row, kept per application (reading the
        narratives' categories is what costs) and counted into a ``Tally`` as it
        changes, so a cycle costs O(changed applications), not O(history) (issue 5);
        then the core's suppression, on the same tables ``tables_of`` gives."""
        rows, tally = self._memo.frame_rows, self._memo.tally
        counted = []
        for key in [*gone, *fresh]:  # the rows out first, then the new ones in at once
            before = rows.pop(key, None)
            if before is not None:
                tally.remove(before)
            app = state.applications.get(key)
            if app is not None and app.status != AppStatus.RESUBMITTED:
                row = rows[key] = frame_values(app, policy.topic_keywords, policy.nationalities)
                counted.append(row)
        tally.add_all(counted)
        published = publish(tally.tables(), policy.min_cell)
        return [[p.section, p.item, p.value] for p in published]

    def _supporters(self, state: State, fresh: list[str], gone: set[str], regs: bool) -> None:
        memo = self._memo
        touched: set[str] = set()
        count_of, paid_of = memo.counts, memo.paid
        keys = [*fresh, *gone]
        for apps, sign in ((memo.apps, -1), (state.applications, +1)):  # out, then in
            for key in keys if apps else ():
                app = apps.get(key)
                if app is None:
                    continue
                sid, count, yen = supporter_contribution(app)
                count_of[sid] = count_of.get(sid, 0) + sign * count
                paid_of[sid] = paid_of.get(sid, 0) + sign * yen
                touched.add(sid)
        if not regs and memo.supporter_at:  # only counts moved: those rows, in place
            for sid in touched:
                for key in memo.regs_of.get(sid, ()):
                    reg = state.registrations[key]
                    count, paid = memo.counts.get(sid, 0), memo.paid.get(sid, 0)
                    repeats = memo.repeats.get(sid, "")
                    row = supporter_row(reg, count, paid, repeats)
                    memo.supporter_rows[key] = (reg, count, paid, repeats, row)
                    memo.supporters[memo.supporter_at[key]] = row
            return
        memo.repeats = duplicates_by_original(state.registrations.values())
        rows: dict[str, tuple[Registration, int, int, str, Row]] = {}
        for key, reg in state.registrations.items():
            if not reg.supporter_id:  # a duplicate has no row (SPEC §4)
                continue
            count = memo.counts.get(reg.supporter_id, 0)
            paid = memo.paid.get(reg.supporter_id, 0)
            repeats = memo.repeats.get(reg.supporter_id, "")
            known = memo.supporter_rows.get(key)
            if known is not None and known[0] is reg and known[1:4] == (count, paid, repeats):
                rows[key] = known
            else:
                rows[key] = (reg, count, paid, repeats, supporter_row(reg, count, paid, repeats))
        memo.supporter_rows = rows
        ordered = sorted(rows.items(), key=lambda r: id_order(r[1][0].supporter_id or ""))
        memo.supporters = [r[1][4] for r in ordered]
        memo.supporter_at = {key: i for i, (key, _) in enumerate(ordered)}
        memo.regs_of = {}
        for key, (reg, *_) in rows.items():
            memo.regs_of.setdefault(reg.supporter_id or "", []).append(key)

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
                added = tab.drop(group) or added
                continue
            cutoff, sid = group
            row = payment_row(cutoff, sid, lookup.get(sid, ""), list(members.values()))
            added = tab.put(group, row) or added
        if added:
            tab.reorder(sorted(tab.rows))

    def _mails(self, ledger: Ledger) -> list[Row]:
        memo = self._memo
        if self._watch is None or self._watch_of is not ledger:
            self._watch, self._watch_of = ledger.watch_outbox(), ledger
            memo.mails, memo.mail_rows, memo.mail_order = {}, {}, []
        changed = ledger.changed_mail(self._watch)
        entries = changed.entries
        if not (changed.everything or changed.asked):
            return memo.mail_list
        if changed.everything:
            memo.mails, memo.mail_rows, memo.mail_order = {}, {}, []
        else:  # asked for but not found: its queueing was rolled back
            for message_id in changed.asked - {e.message_id for e in entries}:
                old = memo.mails.pop(message_id, None)
                memo.mail_rows.pop(message_id, None)
                if old is not None:
                    del memo.mail_order[bisect_left(memo.mail_order, (old, message_id))]
        # the order kept as (sort key, id) ascending: a few changed messages are moved
        # in it by bisection; many (a backfill, another process) sort it again
        few = not changed.everything and len(entries) * 8 < len(memo.mails)
        for entry in entries:
            key = _newest_first(entry)
            old = memo.mails.get(entry.message_id)
            if few and old != key:
                if old is not None:
                    del memo.mail_order[bisect_left(memo.mail_order, (old, entry.message_id))]
                insort(memo.mail_order, (key, entry.message_id))
            memo.mails[entry.message_id] = key
            memo.mail_rows[entry.message_id] = _shared(mail_row(entry), _MAIL_MADE)
        if not few:
            memo.mail_order = sorted((key, m) for m, key in memo.mails.items())
        memo.mail_list = [memo.mail_rows[m] for _, m in reversed(memo.mail_order)]
        return memo.mail_list


def _shared(row: Row, made: tuple[int, ...]) -> Row:
    """The row with one object per distinct text in its columns ``made``: dates, times,
    labels and reasons repeat across tens of thousands of rows the projector keeps
    (issue 5: a backfill's peak)."""
    for i in made:
        cell = row[i]
        if type(cell) is str:
            row[i] = sys.intern(cell)
    return row


def _made(tab: TabLayout, *one_of_each: str) -> tuple[int, ...]:
    """Where ``tab``'s rows may repeat a text as another object: every column but the
    staff's (projected blank) and ``one_of_each`` (a key, an ID, a label of a fixed
    list: sharing those would share nothing)."""
    skip = {*tab.staff, *one_of_each}
    return tuple(i for i, h in enumerate(tab.headers) if h not in skip)


_APP_MADE = _made(APPLICATIONS, "申請番号", "回答ID", "判定", "状態コード")
_MAIL_MADE = _made(MAILS, "Message-ID")


def _newest_first(m: MailEntry) -> tuple[str, str, int]:
    """Sent (else queued) time; ties in the ledger's order, newest queued first — the
    order of ``projection.mail_rows`` (UTC keys sort as the times they stand for)."""
    created = sys.intern(m.created_utc)  # a cycle queues thousands at one time
    return (sys.intern(m.sent_utc) if m.sent_utc else created, created, m.seq)


def _group(app: Application | None) -> tuple[date, str] | None:
    if app is None or app.status not in (AppStatus.ACCEPTED, AppStatus.PAID):
        return None
    if not app.cutoff or not app.supporter_id:
        return None
    return (app.cutoff, app.supporter_id)


def _names(state: State) -> dict[str, str]:
    return {r.supporter_id: r.name for r in state.registrations.values() if r.supporter_id}
