"""The 伴走ネット in figures (issue 15 §2): who the network is and where it works.

These counts are over *registrations* (people), not applications, so they are sections
of their own, each named 伴走ネット … (人数):

* 伴走ネット 合計(人数): 有効な登録者 (active registrations with an ID) and 活動した伴走者
  (those of them with at least one application 受付完了 or 支払済);
* 伴走ネット 活動地域(人数): the active volunteers by prefecture — a partition of 有効な登録者;
* 伴走ネット 対応できる言語(人数): by language — a cover (several languages each; blank 不明);
* 伴走ネット 講座受講希望(人数): はい / いいえ / 不明 — a partition;
* 伴走ネット 活動した伴走者の活動地域(人数): the volunteers who worked, by prefecture — a
  partition of 活動した伴走者.

What is published, and why each figure is safe (SPEC §8):

* Every label comes from a closed list (``core/categories``): the 47 prefectures, the
  registration form's options, 不明 / その他 — never an answer's own text.
* A cell counts people, each once: below ``min_cell`` it shows ``<5``, and complementary
  suppression (``core/suppression``) hides as many others as the table's own relation
  needs, audited exactly. With fewer than ``min_cell`` active volunteers no breakdown is
  published; with fewer than ``min_cell`` who worked, not theirs.
* The volunteers who worked are a subset of the network, prefecture by prefecture: a
  reader knows that each prefecture's worked count is at most its network count. So the
  worked table names only the prefectures whose network count is published (each cell
  audited with that count as its cap, ``suppression.bounds``) and puts every prefecture
  whose network count is hidden into one row, ``HIDDEN_AREAS`` (capped by their sum, which
  the network table gives anyway): no worked figure tells anything about a hidden network
  cell, and each table is audited against its own partition.
* Prefectures are listed in JIS code order, 不明 and その他 last (``categories.prefecture_order``).

``volunteers_by_prefecture`` and ``worked_by_prefecture`` give the published cells per
prefecture (for a map: a ``<5`` or 秘匿 cell is drawn as hidden, never by a number).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bansou_sync.core import categories as closed
from bansou_sync.core.model import Application, AppStatus, Registration, RegistrationStatus
from bansou_sync.core.policy import Policy
from bansou_sync.core.state import State
from bansou_sync.core.stats import WITHHELD, Published, tab_rows
from bansou_sync.core.suppression import SECRET, Relation, small, suppress_table

NET_TOTAL = "伴走ネット 合計(人数)"
NET_PREFECTURE = "伴走ネット 活動地域(人数)"
NET_LANGUAGES = "伴走ネット 対応できる言語(人数)"
NET_COURSE = "伴走ネット 講座受講希望(人数)"
NET_WORKED = "伴走ネット 活動した伴走者の活動地域(人数)"
TITLES = (NET_TOTAL, NET_PREFECTURE, NET_LANGUAGES, NET_COURSE, NET_WORKED)
ACTIVE, WORKED = "有効な登録者", "活動した伴走者(受付完了の申請あり)"
HIDDEN_AREAS = "非公開の地域(合算)"  # the worked volunteers of prefectures hidden above
PAYS = frozenset({AppStatus.ACCEPTED, AppStatus.PAID})
Months = tuple[str, str]  # (YYYY-MM, YYYY-MM), both included


@dataclass(frozen=True)
class Volunteer:
    """One active registration, its answers already read into their closed lists."""

    supporter_id: str
    prefecture: str
    languages: tuple[str, ...]
    course: str


@dataclass(frozen=True)
class NetworkTables:
    """The true counts (never published as such)."""

    active: int
    worked: int
    prefecture: dict[str, int]
    languages: dict[str, int]
    course: dict[str, int]
    worked_prefecture: dict[str, int]


def volunteers(state: State, months: Months | None = None) -> list[Volunteer]:
    """The network: active registrations with an ID (registered by the end of ``months``)."""
    found = []
    for reg in state.registrations.values():
        if reg.status != RegistrationStatus.ACTIVE or not reg.supporter_id:
            continue
        if months is not None and reg.submitted_at.strftime("%Y-%m") > months[1]:
            continue
        found.append(_volunteer(reg))
    return found


def _volunteer(reg: Registration) -> Volunteer:
    return Volunteer(
        reg.supporter_id or "", *_labels(reg.prefecture, reg.languages, reg.wants_course)
    )


@functools.lru_cache(maxsize=4096)
def _labels(
    place: str, languages: tuple[str, ...], course: str
) -> tuple[str, tuple[str, ...], str]:
    """A registration's answers as their closed lists' labels (answers repeat: cached)."""
    return (
        closed.prefecture(place),
        tuple(closed.options("languages", languages)),
        closed.options("wants_course", (course,))[0],
    )


def counts_worked(app: Application, months: Months | None = None) -> bool:
    """Whether ``app`` makes its supporter one who worked (受付完了 or 支払済, in ``months``)."""
    if app.status not in PAYS or not app.supporter_id:
        return False
    if months is None:
        return True
    day = app.support_date
    return day is not None and months[0] <= day.strftime("%Y-%m") <= months[1]


def worked_ids(apps: Iterable[Application], months: Months | None = None) -> set[str]:
    return {a.supporter_id for a in apps if a.supporter_id and counts_worked(a, months)}


def _tally(labels: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return counts


def network_tables(people: Iterable[Volunteer], worked: Iterable[str]) -> NetworkTables:
    network = list(people)
    done = set(worked)
    who_worked = [v for v in network if v.supporter_id in done]
    by_prefecture = _tally(v.prefecture for v in network)
    return NetworkTables(
        active=len(network),
        worked=len(who_worked),
        prefecture={p: by_prefecture[p] for p in closed.prefecture_order(by_prefecture)},
        languages=_ordered("languages", _tally(lang for v in network for lang in v.languages)),
        course=_ordered("wants_course", _tally(v.course for v in network)),
        worked_prefecture=_tally(v.prefecture for v in who_worked),
    )


def _ordered(column: str, counts: dict[str, int]) -> dict[str, int]:
    return {label: counts[label] for label in closed.option_order(column, counts)}


def _withheld(title: str) -> list[Published]:
    return [Published(title, WITHHELD, SECRET)]


def _rows(title: str, shown: Mapping[str, int | str]) -> list[Published]:
    return [Published(title, item, value) for item, value in shown.items()]


def publish_network(t: NetworkTables, min_cell: int) -> list[Published]:
    """What may be published of ``t`` (module doc)."""
    rows = [
        Published(NET_TOTAL, ACTIVE, small(t.active, min_cell)),
        Published(NET_TOTAL, WORKED, small(t.worked, min_cell)),
    ]
    if t.active < min_cell:
        return rows + [row for title in TITLES[1:] for row in _withheld(title)]
    tables = (
        (NET_PREFECTURE, t.prefecture, Relation.PARTITION),
        (NET_LANGUAGES, t.languages, Relation.COVER),
        (NET_COURSE, t.course, Relation.PARTITION),
    )
    by_prefecture: dict[str, int | str] | None = None
    for title, counts, relation in tables:
        result = suppress_table(counts, min_cell, t.active, relation)
        rows += _withheld(title) if result.withheld else _rows(title, result.shown)
        if title == NET_PREFECTURE and not result.withheld:
            by_prefecture = result.shown
    return rows + _rows(NET_WORKED, _worked_shown(t, by_prefecture, min_cell))


def _worked_shown(
    t: NetworkTables, by_prefecture: Mapping[str, int | str] | None, min_cell: int
) -> dict[str, int | str]:
    """The worked table, per prefecture where the network count is published (module doc)."""
    if by_prefecture is None or t.worked < min_cell:
        return {WITHHELD: SECRET}
    open_counts = {p: v for p, v in by_prefecture.items() if isinstance(v, int)}
    hidden = [p for p in by_prefecture if p not in open_counts]
    counts = {p: t.worked_prefecture[p] for p in open_counts if t.worked_prefecture.get(p)}
    caps = dict(open_counts)
    if hidden:
        counts[HIDDEN_AREAS] = sum(t.worked_prefecture.get(p, 0) for p in hidden)
        caps[HIDDEN_AREAS] = t.active - sum(open_counts.values())
    result = suppress_table(counts, min_cell, t.worked, Relation.PARTITION, caps=caps)
    return {WITHHELD: SECRET} if result.withheld else result.shown


def network_rows(
    state: State, min_cell: int, months: Months | None = None, worked: Iterable[str] | None = None
) -> list[Published]:
    """The 伴走ネット sections of the 統計 tab (``months``: of a report's period).
    ``worked``: the IDs of those who worked, when the caller keeps them (``app.projector``)."""
    done = worked_ids(state.applications.values(), months) if worked is None else worked
    return publish_network(network_tables(volunteers(state, months), done), min_cell)


def _min_cell(policy: Policy | int) -> int:
    return policy if isinstance(policy, int) else policy.min_cell


def section_cells(rows: Iterable[Published], title: str) -> dict[str, int | str]:
    """One section's published cells, item → value (a map draws them; nothing else)."""
    return {row.item: row.value for row in rows if row.section == title}


def volunteers_by_prefecture(
    state: State, policy: Policy | int, months: Months | None = None
) -> dict[str, int | str]:
    """Per prefecture (JIS order, 不明 / その他 last), the published count of active
    volunteers: a number, ``<5`` or 秘匿; a prefecture not listed has none. A table that
    cannot be published at all is ``{WITHHELD: 秘匿}`` (every prefecture hidden)."""
    return section_cells(network_rows(state, _min_cell(policy), months), NET_PREFECTURE)


def worked_by_prefecture(
    state: State, policy: Policy | int, months: Months | None = None
) -> dict[str, int | str]:
    """As ``volunteers_by_prefecture``, for the volunteers who worked; the prefectures
    whose network count is hidden are one row, ``HIDDEN_AREAS``."""
    return section_cells(network_rows(state, _min_cell(policy), months), NET_WORKED)


class Seen(Protocol):
    """The records a ``Kept`` tally last counted (``app.projector``'s memo)."""

    @property
    def apps(self) -> Mapping[str, Application]: ...
    @property
    def regs(self) -> Mapping[str, Registration]: ...


@dataclass
class Kept:
    """``network_tables``' counts, kept up to date one changed record at a time, and the
    伴走ネット rows last made from them: ``app.projector`` keeps one between cycles, so a
    cycle costs O(changed records), not O(registrations + applications). The result is
    ``network_rows``' (the tests compare the kept and the full projection)."""

    accepted: dict[str, int] = field(default_factory=dict)  # ID → applications that count
    members: dict[str, Volunteer] = field(default_factory=dict)  # by response ID
    response_of: dict[str, str] = field(default_factory=dict)  # ID → response ID
    prefecture: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    course: dict[str, int] = field(default_factory=dict)
    worked_prefecture: dict[str, int] = field(default_factory=dict)
    rows: list[list[str | int]] = field(default_factory=list)

    def update(
        self, seen: Seen, state: State, apps: Iterable[str], regs: Iterable[str], policy: Policy
    ) -> None:
        """``apps`` and ``regs``: the keys whose records changed since ``seen``."""
        for key in regs:
            old = self.members.pop(key, None)
            if old is not None:
                self._count(old, -1)
                self.response_of.pop(old.supporter_id, None)
            reg = state.registrations.get(key)
            if reg is not None and reg.status == RegistrationStatus.ACTIVE and reg.supporter_id:
                new = _volunteer(reg)
                self.members[key], self.response_of[new.supporter_id] = new, key
                self._count(new, 1)
        for key in apps:
            for app, sign in ((seen.apps.get(key), -1), (state.applications.get(key), 1)):
                if app is None or not app.supporter_id or not counts_worked(app):
                    continue
                before = self.accepted.get(app.supporter_id, 0)
                _bump(self.accepted, app.supporter_id, sign)
                member = self.members.get(self.response_of.get(app.supporter_id, ""))
                if member is not None and (before == 0) != (before + sign == 0):
                    _bump(self.worked_prefecture, member.prefecture, sign)
        active = len(self.members)
        worked = sum(self.worked_prefecture.values())
        tables = NetworkTables(
            active=active,
            worked=worked,
            prefecture={p: self.prefecture[p] for p in closed.prefecture_order(self.prefecture)},
            languages=_ordered("languages", self.languages),
            course=_ordered("wants_course", self.course),
            worked_prefecture=dict(self.worked_prefecture),
        )
        self.rows = tab_rows(publish_network(tables, policy.min_cell))

    def _count(self, member: Volunteer, sign: int) -> None:
        _bump(self.prefecture, member.prefecture, sign)
        for language in member.languages:
            _bump(self.languages, language, sign)
        _bump(self.course, member.course, sign)
        if self.accepted.get(member.supporter_id, 0):
            _bump(self.worked_prefecture, member.prefecture, sign)


def _bump(counts: dict[str, int], key: str, sign: int) -> None:
    """Add ``sign``, dropping a key at zero (a label nobody gives is not counted)."""
    n = counts.get(key, 0) + sign
    if n:
        counts[key] = n
    else:
        del counts[key]
