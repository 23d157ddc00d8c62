"""The projector's memo carried from one process to the next (issue 14: a cold ``once``
per cycle under cron).

A running service's ``Projector`` keeps each tab's rows by record and recomputes only
the rows of records a cycle changed. A new process has no such memo: it projected every
row of 申請, 伴走者, 支払 and 統計 again, though the cycle changed a hundred records. So a
cold process that projected the state's tabs leaves its memo in a file beside the
ledger (``KeptProjection``), named by the state it projected (``Services.state_label``:
the ledger's state token and the version), the policy and the memo's own layout; the next
process that loads exactly that state resumes it — the memo's records are the loaded
state's own — and projects as the warm service would: only what its cycle touched.

It is a cache, never a truth: a file of another state, policy or layout, a damaged one,
or one that names anything but the memo's own types is no memo (the projection is made
whole, as before). The メール tab is not kept (its rows follow the outbox, not the
state). The pickle holds what the ledger holds: the store keeps it mode 0600, and a
purge's ``vacuum`` deletes it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any, BinaryIO

from bansou_sync.app.inputs import Inputs
from bansou_sync.app.keyed_rows import KeyedRows
from bansou_sync.app.projector import Projector, _Memo
from bansou_sync.app.services import ProjectionKeep
from bansou_sync.core.model import AppStatus
from bansou_sync.core.network import Kept, Volunteer
from bansou_sync.core.policy import Policy
from bansou_sync.core.state import State
from bansou_sync.core.stats import Tally
from bansou_sync.core.tabs import APPLICATIONS, PAYMENTS, STATS, SUPPORTERS

_PROTOCOL = 5
# the parts of ``_Memo`` that follow the state alone (メール follows the outbox, and the
# records themselves are the loaded state's: neither is kept)
_NOT_KEPT = {"primed", "generation", "apps", "regs", "mails", "mail_rows", "mail_list"}
_NOT_KEPT.add("mail_order")
_KEPT = tuple(f.name for f in dataclasses.fields(_Memo) if f.name not in _NOT_KEPT)

_ALLOWED: dict[tuple[str, str], Any] = {
    ("bansou_sync.app.keyed_rows", "KeyedRows"): KeyedRows,
    ("bansou_sync.core.stats", "Tally"): Tally,
    ("bansou_sync.core.network", "Kept"): Kept,
    ("bansou_sync.core.network", "Volunteer"): Volunteer,
    ("bansou_sync.core.model", "AppStatus"): AppStatus,
    ("collections", "Counter"): Counter,
    ("datetime", "date"): date,
}


def _layout() -> str:
    parts = [f"memo {_KEPT}"]
    for cls in (_Memo, KeyedRows, Tally, Kept, Volunteer):
        parts.append(f"{cls.__name__} {[(f.name, str(f.type)) for f in dataclasses.fields(cls)]}")
    parts.append(f"AppStatus {[(m.name, m.value) for m in AppStatus]}")
    parts += [repr((t.name, t.headers)) for t in (SUPPORTERS, APPLICATIONS, PAYMENTS, STATS)]
    return "\n".join(parts)


_LAYOUT = hashlib.blake2b(_layout().encode(), digest_size=8).hexdigest()


def name_for(label: str, policy: Policy) -> str:
    """What a memo of the state ``label`` names is kept under: rows depend on the state,
    the version (both in ``label``), the policy and the memo's layout."""
    rules = hashlib.blake2b(repr(policy).encode(), digest_size=16).hexdigest()
    return f"{label}:{rules}:{_LAYOUT}"


def writer(projector: Projector) -> Callable[[BinaryIO], None] | None:
    """What streams the projector's memo into a file (None: it projected nothing)."""
    memo = projector.memo
    if not memo.primed:
        return None
    parts = {name: getattr(memo, name) for name in _KEPT}
    # a supporter's row is kept with its registration: by key here, relinked on resume
    parts["supporter_rows"] = {k: (k, *v[1:]) for k, v in memo.supporter_rows.items()}
    kept = [parts[name] for name in _KEPT]

    def write(file: BinaryIO) -> None:
        # one pickle per part, the pickler's memo of every object dropped in between: a
        # 30k memo's peak is its largest part's, not the whole memo's (a backfill's peak)
        pickler = pickle.Pickler(file, protocol=_PROTOCOL)
        for part in kept:
            pickler.dump(part)
            pickler.clear_memo()

    return write


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a projection memo")
        return found


def resume(
    projector: Projector, data: bytes | None, state: State, generation: int, policy: Policy
) -> bool:
    """Give ``projector`` (which has projected nothing) the memo ``data`` holds, as if it
    had projected ``state`` — the state the memo was made from, loaded as ledger
    generation ``generation`` — under ``policy``. False (the projector untouched) when
    ``data`` is no sound memo of this layout for these records."""
    if data is None or projector.primed:
        return False
    stream = io.BytesIO(data)
    try:
        parts = [_Unpickler(stream).load() for _ in _KEPT]
    except Exception:  # a memo that cannot be read is no memo: project whole instead
        return False
    if stream.read(1):  # more than the parts: not a memo of this layout
        return False
    memo = _Memo(**dict(zip(_KEPT, parts, strict=True)))
    if not _sound(memo, state):
        return False
    regs = state.registrations
    memo.supporter_rows = {k: (regs[k], *v[1:]) for k, v in memo.supporter_rows.items()}
    memo.apps, memo.regs = dict(state.applications), dict(regs)
    memo.primed, memo.generation = True, generation
    projector.resume(memo, policy)
    return True


def resume_from(keep: ProjectionKeep, projector: Projector, read: Inputs, policy: Policy) -> bool:
    """``resume`` from what ``keep`` holds for the state a cycle loaded (``read``)."""
    if not read.label or read.generation is None:
        return False
    data = keep.load(name_for(read.label, policy))
    return resume(projector, data, read.loaded, read.generation, policy)


def _sound(memo: _Memo, state: State) -> bool:
    """The memo's parts have their types and its keys are the state's records (a check
    against a file that is not what its name says; its name already says the state)."""
    types: dict[str, type | tuple[type, ...]] = {
        "applications": KeyedRows,
        "payments": KeyedRows,
        "tally": Tally,
        "network": Kept,
    }
    for name in _KEPT:
        want = types.get(name, (dict, list))
        if not isinstance(getattr(memo, name), want):
            return False
    rows = memo.supporter_rows
    return (
        memo.applications.rows.keys() <= state.applications.keys()
        and memo.frame_rows.keys() <= state.applications.keys()
        and rows.keys() <= state.registrations.keys()
        and all(isinstance(v, tuple) and len(v) == 5 for v in rows.values())
    )
