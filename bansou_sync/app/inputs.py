"""A cycle's first step: read what it decides from — the ledger's state, the new form
responses, what staff typed in the status sheet, the 緊急支援費 requests.

A ledger that is empty while the sheet is not is rebuilt from the sheet here (nothing is
sent again: the emails the sheet lists are marked sent).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bansou_sync.app import emergency_cycle, staff_memo
from bansou_sync.app.retention import drop_purged
from bansou_sync.app.services import Services
from bansou_sync.app.warm import WarmCycle, waiting_notices
from bansou_sync.core.model import RawResponse
from bansou_sync.core.recovery import needs_rebuild, rebuild
from bansou_sync.core.staff import StaffInput, read_staff, settle_repeats
from bansou_sync.core.state import State
from bansou_sync.crashpoints import crash_point
from bansou_sync.errors import GuardTripped
from bansou_sync.ports import Ledger, OutboxItem, ResponseSource, SheetSnapshot

log = logging.getLogger(__name__)

FORMS = ("registration", "application")
GUARD_MIN_SEEN = 5  # below this, an empty source is plausibly a young programme
OVERLAP = timedelta(minutes=10)

TabCells = Mapping[str, list[Mapping[str, str]]]


class _Cells(Mapping[str, list[Mapping[str, str]]]):
    """Each tab's rows' cells, made when the tab is first looked up: a tab no one reads
    this cycle — its staff input kept (``staff_memo``) — is never materialised, nor are
    its rows when the sheet made them lazily (issue 14)."""

    def __init__(self, snapshot: SheetSnapshot) -> None:
        self._tabs = snapshot.tabs
        self._made: dict[str, list[Mapping[str, str]]] = {}

    def __getitem__(self, tab: str) -> list[Mapping[str, str]]:
        made = self._made.get(tab)
        if made is None:
            made = self._made[tab] = [row.cells for row in self._tabs[tab]]
        return made

    def __contains__(self, tab: object) -> bool:
        return tab in self._tabs

    def __iter__(self) -> Iterator[str]:
        return iter(self._tabs)

    def __len__(self) -> int:
        return len(self._tabs)


@dataclass
class Inputs:
    """What one cycle read."""

    loaded: State  # the state as the ledger holds it
    generation: int | None  # the ledger's state_generation for ``loaded``
    state: State  # ``loaded`` with the send times of notices sent since, or rebuilt
    fetched: dict[str, list[RawResponse]]  # per form: the responses listed (purged left out)
    snapshot: SheetSnapshot  # the status sheet as read
    tab_rows: TabCells  # its rows' cells per tab
    staff_rows: TabCells  # the rows staff input is read from (conflicting keys left out)
    staff: StaffInput
    recovered: list[str]  # a rebuild's notes for 同期 (empty when none)
    extra: emergency_cycle.Step  # 緊急支援費: the state the plan starts from, its mail
    label: str | None = None  # ``loaded``'s name across processes (Services.state_label)

    @property
    def on_loaded(self) -> bool:
        """The plan starts from the state the ledger holds, unchanged by this cycle."""
        return self.state is self.loaded and self.extra.state is self.state and not self.recovered


def read_inputs(services: Services, warm: WarmCycle, now: datetime, dry_run: bool) -> Inputs:
    ledger = services.ledger
    loaded = ledger.load_state()
    generation = ledger.state_generation  # the same while the loaded state is the same
    label = services.state_label() if services.state_label else None
    if generation is not None and warm.delivered == generation:
        state = loaded  # every send so far is in this state already (run_once)
    else:
        waiting = warm.per_state(generation, "waiting", lambda: waiting_notices(loaded))
        state = record_deliveries(ledger, loaded, waiting)
    latest = warm.latest_seen(generation, lambda: {f: latest_seen(loaded, f) for f in FORMS})
    marks = {form: None if t is None else t - OVERLAP for form, t in latest.items()}
    fetched = drop_purged(ledger, fetch(services.source, state, marks))  # tombstones (purge)
    snapshot = services.sheet.read()
    crash_point("after_read")
    tab_rows: TabCells = _Cells(snapshot)  # each tab's cells made when first looked at
    recovered: list[str] = []
    read = snapshot  # the read the staff input comes from
    if needs_rebuild(state, tab_rows):
        read = services.sheet.read(full=True)
        tab_rows = _Cells(read)
        state, recovered = _rebuild(services, state, tab_rows, fetched, now, dry_run)
    # a key in several rows whose staff input differs: none of it is read (SPEC §5)
    conflicts, repeated = settle_repeats(read.repeats)
    staff_rows = _without(read, conflicts, tab_rows) if conflicts else tab_rows
    if recovered or read.repeats:
        staff = read_staff(staff_rows)
    else:  # an unchanged read gives the same row objects: read once
        first = warm.staff_read is None  # a process's first read: perhaps kept (staff_memo)
        name = staff_memo.name_for(snapshot) if first else None
        staff = warm.staff_of(
            staff_memo.rows_of(snapshot),
            lambda: staff_memo.staff_input(
                services.staff_keep,
                name,
                lambda: warm.staff_reader.read(tab_rows),
                save=not dry_run,
            ),
        )
    if repeated:  # in 同期 and, through the plan, the digest
        staff = replace(staff, problems=(*repeated, *staff.problems))
    extra = emergency_cycle.step(services, state, staff_rows, now)
    return Inputs(
        loaded,
        generation,
        state,
        fetched,
        snapshot,
        tab_rows,
        staff_rows,
        staff,
        recovered,
        extra,
        label,
    )


def watermark(state: State, form: str) -> datetime | None:
    """Where an incremental fetch starts: the newest submission or edit seen, minus an
    overlap window (responses arrive unsorted and a clock may lag); None on first run."""
    latest = latest_seen(state, form)
    return None if latest is None else latest - OVERLAP


def latest_seen(state: State, form: str) -> datetime | None:
    """The newest submission or edit of ``form`` the state has seen."""
    prefix = f"{form}|"
    # ISO texts with the same UTC offset sort as their times do (with or without a
    # fraction of a second): only the latest text of each offset is parsed
    latest: dict[str, str] = {}
    for key, mark in state.seen.items():
        if key.startswith(prefix):
            stamp_text = mark.split(" ", 1)[0]  # a CSV row's mark adds its digest (cycle)
            offset = stamp_text[-6:] if stamp_text[-6:-5] in ("+", "-") else ""
            if stamp_text > latest.get(offset, ""):
                latest[offset] = stamp_text
    if not latest:
        return None
    return max(datetime.fromisoformat(s) for s in latest.values())


def fetch(
    source: ResponseSource, state: State, marks: Mapping[str, datetime | None] | None = None
) -> dict[str, list[RawResponse]]:
    """Each form's responses; a complete source that suddenly lists none trips the guard."""
    if marks is None:
        marks = {form: watermark(state, form) for form in FORMS}
    fetched = {
        form: source.fetch(form, marks[form] if source.incremental else None) for form in FORMS
    }
    if source.incremental:
        return fetched  # an empty page is normal there
    for form, responses in fetched.items():
        seen = sum(1 for key in state.seen if key.startswith(f"{form}|"))
        if not responses and seen >= GUARD_MIN_SEEN:
            raise GuardTripped(
                f"{form}: 回答が 0 件になりました(台帳には {seen} 件)。元データを確認してください"
                f" / the {form} source suddenly returned no responses; nothing was changed"
            )
    return fetched


def _without(
    snapshot: SheetSnapshot,
    conflicts: Mapping[str, set[tuple[str, ...]]],
    tab_rows: TabCells,
) -> TabCells:
    """The rows staff input is read from: those of conflicting keys left out."""
    return {
        tab: [row.cells for row in snapshot.tabs[tab] if row.key not in conflicts[tab]]
        if tab in conflicts
        else rows
        for tab, rows in tab_rows.items()
    }


def record_deliveries(
    ledger: Ledger, state: State, waiting: Mapping[str, str] | None = None
) -> State:
    """Copy the send time of each deficiency notice onto its application (P9 clock).
    ``waiting``: the state's notices without a send time, when already known."""
    if waiting is None:
        waiting = waiting_notices(state)
    if not waiting:
        return state
    # only the waiting notices are looked up: reading the whole outbox is O(history)
    sent = ledger.sent_times("application_deficient", list(waiting.values()))
    if not sent:
        return state
    new = state.copy()
    for no, event in waiting.items():
        if event in sent:
            new.applications[no] = replace(new.applications[no], notice_sent_at=sent[event])
    return new


def _rebuild(
    services: Services,
    state: State,
    tab_rows: Mapping[str, Sequence[Mapping[str, str]]],
    fetched: Mapping[str, list[RawResponse]],
    now: datetime,
    dry_run: bool,
) -> tuple[State, list[str]]:
    """The ledger is empty but the sheet is not: rebuild from the sheet, send nothing."""
    rebuilt = rebuild(
        tab_rows,
        fetched["registration"],
        fetched["application"],
        now,
        services.policy,
        services.client_key,
    )
    markers = [
        OutboxItem(
            message_id=m.message_id,
            kind=m.kind or "unknown",
            ref=m.ref,
            to=m.to_masked,  # already masked; masking again changes nothing
            event_key=f"recovered:{m.message_id}",
            context={},
            created_at=m.sent_at,
            status="sent",
            sent_at=m.sent_at,
        )
        for m in rebuilt.sent
    ]
    with services.ledger.transaction(commit=not dry_run):
        services.ledger.save_state(state, rebuilt.state)
        services.ledger.enqueue(markers)
    log.warning("ledger rebuilt from the status sheet: %d emails marked sent", len(markers))
    note = "台帳を状況シートから復旧しました / the ledger was rebuilt from the status sheet"
    return rebuilt.state, [note, *rebuilt.problems]
