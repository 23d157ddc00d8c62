"""``bansou-sync purge`` (issue 6 §4) and the tombstone filter every cycle applies.

The plan is pure (``core.retention``); here it is applied in one ledger transaction
(blanked records, tombstones, the outbox scrubbed, the purge recorded), then the status
sheet follows: staff columns that may hold personal data are blanked and the daemon's
columns are rewritten from the purged ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bansou_sync.app.services import Services
from bansou_sync.app.tabs import project
from bansou_sync.core.calendar import to_jst
from bansou_sync.core.model import RawResponse
from bansou_sync.core.retention import plan_purge, staff_columns_to_clear
from bansou_sync.ports import Ledger


def drop_purged(
    ledger: Ledger, fetched: Mapping[str, list[RawResponse]]
) -> dict[str, list[RawResponse]]:
    """The fetched responses without purged ones: they are never imported again."""
    dead = ledger.tombstones()
    return {
        form: [r for r in responses if f"{form}|{r.response_id}" not in dead]
        for form, responses in fetched.items()
    }


@dataclass
class PurgeReport:
    scope: str  # "" when nothing is due yet
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)
    mail_records: int = 0
    staff_cells: int = 0
    backups_removed: int = 0


def run_purge(
    services: Services,
    now: datetime,
    privacy_until: date | None,
    accounting_until: date | None,
    *,
    dry_run: bool = False,
    backup_dir: Path | None = None,
) -> PurgeReport:
    now = to_jst(now)
    ledger = services.ledger
    state = ledger.load_state()
    plan = plan_purge(state, now.date(), privacy_until, accounting_until)
    report = PurgeReport(plan.scope, dry_run, plan.counts, plan.ids)
    if not plan.scope:
        return report
    if dry_run:
        report.mail_records = ledger.outbox_with_personal()
        _add_ids(report, "event_signup", ledger.event_signups_with_personal(scrub=False))
        return report
    with ledger.transaction():
        ledger.save_state(state, plan.state)
        ledger.add_tombstones(plan.tombstones, now)
        report.mail_records = ledger.scrub_outbox()
        signups = ledger.event_signups_with_personal(scrub=True)
        _add_ids(report, "event_signup", signups)
        counts = {**report.counts, **({"mail": report.mail_records} if report.mail_records else {})}
        if set(counts) - {"accounts_name"}:  # something was removed
            ledger.record_purge(now, plan.scope, counts, plan.ids)
    ledger.vacuum()
    report.staff_cells = services.sheet.clear_columns(staff_columns_to_clear())
    services.sheet.write(project(services, ledger.load_state()))
    report.backups_removed = remove_backups(backup_dir) if backup_dir is not None else 0
    return report


def _add_ids(report: PurgeReport, kind: str, ids: list[str]) -> None:
    if ids:
        report.ids[kind] = ids
        report.counts[kind] = len(ids)


def remove_backups(folder: Path) -> int:
    """Daily ledger copies taken before the purge still hold everything: delete them, and
    any file beside one (a state snapshot or journal left by opening a copy), so nothing
    purged survives there (the next cycle takes a fresh, purged copy). The copies' count."""
    removed = 0
    for path in sorted(folder.glob("ledger-*.sqlite3*")) if folder.is_dir() else []:
        path.unlink()
        removed += path.name.endswith(".sqlite3")
    return removed
