"""Every tab of the status sheet, as the daemon projects it from the ledger."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import overload

from bansou_sync.app import emergency_cycle
from bansou_sync.app.projector import Projector
from bansou_sync.app.services import Services
from bansou_sync.core.calendar import stamp
from bansou_sync.core.network import network_rows
from bansou_sync.core.projection import (
    application_rows,
    mail_row,
    mail_rows,
    payment_rows,
    supporter_rows,
    sync_rows,
)
from bansou_sync.core.state import State
from bansou_sync.core.stats import stats_rows, tab_rows
from bansou_sync.core.tabs import (
    APPLICATIONS,
    MAILS,
    PAYMENTS,
    STATS,
    SUPPORTERS,
    SYNC,
    TabLayout,
)
from bansou_sync.ports import TabRows

Row = Sequence[str | int]
STATE_TABS = (SUPPORTERS, APPLICATIONS, PAYMENTS, STATS)  # projected from the state alone


def project(
    services: Services,
    state: State,
    projector: Projector | None = None,
    generation: int | None = None,
    since: tuple[int, set[str], set[str]] | None = None,
    label: str | None = None,
    resume: Callable[[], object] | None = None,
) -> list[TabRows]:
    """Every tab's rows for ``state``. A ``projector`` (kept by a running service) gives
    the same rows as the full projection below but recomputes only what changed; a new
    tab goes in both. ``generation``: the ledger's, when ``state`` is the state the
    ledger holds; ``since``: see ``Projector.project``. ``label``: names the content of
    ``state`` across processes (``Services.state_label``), when it is the ledger's: in a
    cold start the tabs projected from the state alone are then labelled and projected
    only if the sheet looks at them (``TabRows.label``). ``resume``: gives a projector that
    has projected nothing the memo an earlier process left (``app.projection_memo``),
    called just before it first projects."""
    if label and projector is not None and not projector.primed:
        return _cold(services, state, projector, generation, since, label, resume)
    if projector is not None:
        if resume is not None and not projector.primed:
            resume()
        tabs = projector.project(services.ledger, state, services.policy, generation, since)
        return [*tabs, *emergency_cycle.tabs(services)]
    ledger = services.ledger
    cycles = [{**c, "started_at": stamp(c["started_at"])} for c in ledger.cycles()]
    return [
        TabRows(SUPPORTERS.name, supporter_rows(state)),
        TabRows(APPLICATIONS.name, application_rows(state, services.policy)),
        TabRows(PAYMENTS.name, payment_rows(state)),
        TabRows(MAILS.name, mail_rows(ledger.outbox_items())),
        TabRows(
            STATS.name,
            stats_rows(
                state,
                services.policy.min_cell,
                services.policy.topic_keywords,
                services.policy.nationalities,
            )
            + tab_rows(network_rows(state, services.policy.min_cell)),
        ),
        TabRows(SYNC.name, sync_rows(cycles)),
        *emergency_cycle.tabs(services),
    ]


def tab_labels(services: Services, label: str) -> dict[str, str]:
    """Per tab projected from the state alone, a label the same exactly when its rows
    are: the state's content and the version (``label``), the policy, the layout."""
    policy = hashlib.blake2b(repr(services.policy).encode(), digest_size=16).hexdigest()
    return {tab.name: f"{label}:{policy}:{_layout(tab)}" for tab in STATE_TABS}


def mail_tab_label(services: Services) -> str:
    """メール's label: the outbox's content and the version (``Services.mail_label``) and
    the layout — its rows are made from the outbox alone; "" when not known."""
    label = services.mail_label() if services.mail_label else None
    return f"mail:{label}:{_layout(MAILS)}" if label else ""


def _layout(tab: TabLayout) -> str:
    return hashlib.blake2b(repr((tab.name, tab.headers)).encode(), digest_size=8).hexdigest()


def _cold(
    services: Services,
    state: State,
    projector: Projector,
    generation: int | None,
    since: tuple[int, set[str], set[str]] | None,
    label: str,
    resume: Callable[[], object] | None,
) -> list[TabRows]:
    """A start whose projector has projected nothing yet: the state's four tabs are
    labelled and projected — by the projector, all at once, as any other start would —
    only when the sheet first looks at one of them (a local sheet whose files hold what
    rows of these labels give does not: ``adapters.written_labels``). メール is labelled
    with the outbox's content (read here, before its rows are) and, when looked at, is
    the projector's too, or, when the state's tabs were not looked at, made alone."""
    made: dict[str, Sequence[Row]] = {}

    def make() -> None:
        if resume is not None and not projector.primed:
            resume()
        tabs = projector.project(services.ledger, state, services.policy, generation, since)
        made.update((t.name, t.rows) for t in tabs)

    def mails() -> None:
        made[MAILS.name] = _mails(services)

    labels = tab_labels(services, label)
    deferred = {
        t.name: TabRows(t.name, Deferred(made, make, t.name), labels[t.name]) for t in STATE_TABS
    }
    cycles = [{**c, "started_at": stamp(c["started_at"])} for c in services.ledger.cycles()]
    return [
        deferred[SUPPORTERS.name],
        deferred[APPLICATIONS.name],
        deferred[PAYMENTS.name],
        TabRows(MAILS.name, Deferred(made, mails, MAILS.name), mail_tab_label(services)),
        deferred[STATS.name],
        TabRows(SYNC.name, sync_rows(cycles)),
        *emergency_cycle.tabs(services),
    ]


def _mails(services: Services) -> list[list[str | int]]:
    """メール as ``mail_rows`` gives it, from what the tab shows of each message (not
    every message's context decoded), in ``Projector``'s order: newest first."""
    ledger = services.ledger
    entries = ledger.changed_mail(ledger.watch_outbox()).entries
    key = lambda m: (m.sent_utc or m.created_utc, m.created_utc, m.seq)  # noqa: E731
    return [mail_row(m) for m in sorted(entries, key=key, reverse=True)]


def projected(rows: Sequence[Row]) -> bool:
    """Whether a tab's rows were made this cycle (a cold start's ``Deferred`` tab that
    the sheet never looked at was not: the sheet held its rows already)."""
    return not isinstance(rows, Deferred) or rows.made


class Deferred(Sequence[Row]):
    """A tab's rows, ``made[name]`` once ``make()`` has run: when first looked at."""

    def __init__(self, made: dict[str, Sequence[Row]], make: Callable[[], None], name: str) -> None:
        self._made, self._make, self._name = made, make, name

    @property
    def made(self) -> bool:
        return self._name in self._made

    def _list(self) -> Sequence[Row]:
        if not self.made:
            self._make()
        return self._made[self._name]

    def __len__(self) -> int:
        return len(self._list())

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        return self._list()[index]

    def __iter__(self) -> Iterator[Row]:
        return iter(self._list())
