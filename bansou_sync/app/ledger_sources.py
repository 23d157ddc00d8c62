"""A ledger belongs to the sources it was made from (issue 11 §0).

The demo writes its ledger at the default ``state.path``; a real configuration reusing
that path would silently merge the demo's fictitious supporters into the real
programme. So the ledger records, in its flags, the kind of source and the form IDs /
sheet IDs / CSV paths of the two forms, and a cycle on other sources is refused before
it reads anything. A ledger that has no record yet (new, or made by an older version)
takes the configured sources as its own. ``--accept-sources`` re-records them when the
same forms' source really moved (a CSV export saved elsewhere).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from bansou_sync.errors import GuardTripped
from bansou_sync.ports import Ledger

SOURCES_FLAG = "sources"


def fingerprint(kind: str, where: Mapping[str, object]) -> str:
    """The source kind and, per form, the form ID, sheet ID or file path (as text)."""
    shown = {form: v.as_posix() if isinstance(v, Path) else str(v) for form, v in where.items()}
    return json.dumps({"kind": kind, **dict(sorted(shown.items()))}, ensure_ascii=False)


def describe(recorded: str) -> str:
    try:
        data = json.loads(recorded)
    except ValueError:
        return recorded
    if not isinstance(data, dict):
        return recorded
    kind = data.pop("kind", "?")
    return f"{kind}: " + ", ".join(f"{form} {where}" for form, where in data.items())


def claim_sources(ledger: Ledger, mine: str, *, record: bool, accept: bool, path: Path) -> None:
    """Refuse a ledger made from other sources; record ours where none is recorded."""
    state = ledger.load_state()
    recorded = state.flags.get(SOURCES_FLAG)
    if recorded == mine:
        return
    if recorded is not None and not accept:
        raise GuardTripped(
            f"台帳 {path} は別の回答元から作られています (台帳: {describe(recorded)} / 設定: "
            f"{describe(mine)})。何も変更していません。デモや試しの台帳を使わないよう、この設定の "
            "state.path を新しいファイルにしてください。同じフォームの回答元を移しただけなら、"
            "一度だけ bansou-sync once --accept-sources で実行してください / this ledger was made "
            "from other sources; nothing was changed. Point state.path at a new file for this "
            "configuration (a demo or trial ledger must not be reused), or, if the same forms' "
            "source only moved, run bansou-sync once --accept-sources once"
        )
    if not record:
        return
    new = state.copy()
    new.flags[SOURCES_FLAG] = mine
    with ledger.transaction():
        ledger.save_state(state, new)
