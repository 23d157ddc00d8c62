"""The 統計 tab: anonymised counts only, small cells suppressed (SPEC §8).

Any count below ``min_cell`` shows as ``<5``. Within a section whose items add up to a
published total, suppression is *complementary*: while the hidden cells' sum would pin
any of them down (a lone hidden cell; ``<5`` cells all 1 or all 4; ``<5`` + 秘匿 at their
smallest), the next smallest cells are hidden too (shown as ``秘匿``), so no hidden cell
can be worked out from the total.
"""

from __future__ import annotations

import pandas as pd

from bansou_sync.core.model import APP_LABELS, AppStatus
from bansou_sync.core.state import State

SMALL, SECRET = "<{n}", "秘匿"
# sections whose items partition the applications (their sum is the published total)
PARTITIONS = ("月別", "活動地域", "国籍", "判定")


def _frame(state: State) -> pd.DataFrame:
    rows = [
        {
            "month": a.support_date.strftime("%Y-%m") if a.support_date else "不明",
            "prefecture": a.prefecture or "不明",
            "nationality": a.nationality or "不明",
            "status": APP_LABELS[a.status],
            "topics": list(a.topics) or ["不明"],
            "outcomes": list(a.outcomes) or ["なし"],
            "client": a.client_code or "",
            "supporter": a.supporter_id or "",
        }
        for a in state.applications.values()
        if a.status != AppStatus.RESUBMITTED
    ]
    columns = [
        "month",
        "prefecture",
        "nationality",
        "status",
        "topics",
        "outcomes",
        "client",
        "supporter",
    ]
    return pd.DataFrame(rows, columns=columns)


def _pinned(counts: dict[str, int], hidden: set[str], min_cell: int) -> bool:
    """Whether some hidden cell has only one value consistent with what is published.

    A reader knows the hidden cells' sum (the total minus the shown cells), that a ``<5``
    cell is 1 … min_cell−1 and that a 秘匿 cell is at least min_cell; a cell is pinned
    when the others' bounds leave it a single value (e.g. ``<5`` + 秘匿 summing to 6).
    """
    total = sum(counts[k] for k in hidden)
    bounds = {k: (1, min_cell - 1) if counts[k] < min_cell else (min_cell, total) for k in hidden}
    for key, (low, high) in bounds.items():
        others = [b for k, b in bounds.items() if k != key]
        least = max(low, total - sum(h for _, h in others))
        most = min(high, total - sum(lo for lo, _ in others))
        if least == most:
            return True
    return False


def suppress(counts: dict[str, int], min_cell: int, complementary: bool) -> dict[str, int | str]:
    """Hide small counts, then (for partitions) enough others that none can be recovered."""
    hidden = {k for k, v in counts.items() if 0 < v < min_cell}
    if complementary and hidden:
        others = sorted((v, k) for k, v in counts.items() if k not in hidden)
        while others and _pinned(counts, hidden, min_cell):
            hidden.add(others.pop(0)[1])
    shown: dict[str, int | str] = {}
    for key, value in counts.items():
        if key not in hidden:
            shown[key] = value
        else:
            shown[key] = SMALL.format(n=min_cell) if value < min_cell else SECRET
    return shown


def stats_rows(state: State, min_cell: int = 5) -> list[list[str | int]]:
    frame = _frame(state)
    accepted = frame["status"].isin([APP_LABELS[AppStatus.ACCEPTED], APP_LABELS[AppStatus.PAID]])
    totals = {
        "申請件数": len(frame),
        "受付完了・支払済": int(accepted.sum()),
        "活動した伴走者": int(frame.loc[frame["supporter"] != "", "supporter"].nunique()),
        "相談者(実人数)": int(frame.loc[frame["client"] != "", "client"].nunique()),
    }
    sections: list[tuple[str, dict[str, int]]] = [("合計", totals)]
    for title, column in (
        ("月別", "month"),
        ("活動地域", "prefecture"),
        ("相談内容", "topics"),
        ("つながった公的支援", "outcomes"),
        ("国籍", "nationality"),
        ("判定", "status"),
    ):
        series = frame[column].explode() if column in ("topics", "outcomes") else frame[column]
        tally = series.value_counts().sort_index()
        sections.append((title, {str(k): int(v) for k, v in tally.items()}))
    rows: list[list[str | int]] = []
    for title, counts in sections:
        shown = suppress(counts, min_cell, complementary=title in PARTITIONS)
        if title == "合計":
            shown = {
                k: (v if v == 0 or v >= min_cell else SMALL.format(n=min_cell))
                for k, v in counts.items()
            }
        rows += [[title, key, value] for key, value in shown.items()]
    return rows
