"""Every tab of the status sheet, as the daemon projects it from the ledger."""

from __future__ import annotations

from bansou_sync.app import emergency_cycle
from bansou_sync.app.projector import Projector
from bansou_sync.app.services import Services
from bansou_sync.core.calendar import stamp
from bansou_sync.core.network import network_rows
from bansou_sync.core.projection import (
    application_rows,
    mail_rows,
    payment_rows,
    supporter_rows,
    sync_rows,
)
from bansou_sync.core.state import State
from bansou_sync.core.stats import stats_rows, tab_rows
from bansou_sync.core.tabs import APPLICATIONS, MAILS, PAYMENTS, STATS, SUPPORTERS, SYNC
from bansou_sync.ports import TabRows


def project(
    services: Services,
    state: State,
    projector: Projector | None = None,
    generation: int | None = None,
    since: tuple[int, set[str], set[str]] | None = None,
) -> list[TabRows]:
    """Every tab's rows for ``state``. A ``projector`` (kept by a running service) gives
    the same rows as the full projection below but recomputes only what changed; a new
    tab goes in both. ``generation``: the ledger's, when ``state`` is the state the
    ledger holds; ``since``: see ``Projector.project``."""
    if projector is not None:
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
