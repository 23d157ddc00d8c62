"""What staff typed in the status sheet, read into plain data (SPEC §5 staff columns)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bansou_sync.core import normalize as n
from bansou_sync.core.model import Problem, SupporterDesk
from bansou_sync.core.tabs import (
    APP_FIXES,
    APPLICATIONS,
    FIX_REASON,
    MEMBERSHIP_CHECK,
    PAYMENTS,
    SUPPORTERS,
    VOLUNTEER_REASON,
)
from bansou_sync.core.untrusted import one_line

Rows = Sequence[Mapping[str, str]]
STAFF_TABS = (SUPPORTERS.name, APPLICATIONS.name, PAYMENTS.name)  # the tabs read_staff reads


@dataclass(frozen=True)
class StaffInput:
    desks: dict[str, SupporterDesk] = field(default_factory=dict)
    decisions: dict[str, tuple[str, str]] = field(default_factory=dict)  # 申請番号 → (審査, メモ)
    paid: dict[str, bool] = field(default_factory=dict)  # "締め日|ID" → 支払済
    problems: tuple[str, ...] = ()
    # 伴走ネットID → the desk's tick fields whose cell was not understood: the ledger's
    # value stays for those (issue 10 §4)
    unread: dict[str, frozenset[str]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # 申請番号 → 却下理由(伴走者へ)
    # 申請番号 → (開始時刻(訂正), 終了時刻(訂正), 謝金額(訂正), 訂正理由), for rows with any
    fixes: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RepeatedKey:
    """A key a tab holds in more than one row (SPEC §5: rows are found by their key, so
    staff must resolve it): each row's number as the sheet shows it (the header is row
    1) and its staff cells, in sheet order. A sheet adapter reports these; the rows it
    gives for the tab hold the first row of each key."""

    tab: str
    key: tuple[str, ...]
    rows: tuple[tuple[int, Mapping[str, str]], ...]


Found = tuple[str, Any]  # what one row says: its key, and the value for that key
Key = tuple[str, ...]

# the desk's checkbox columns and the SupporterDesk field each fills
DESK_TICKS = (
    ("覚書受領", "memo_received"),
    ("口座届出受領", "account_received"),
    ("重複解除", "release_duplicates"),
)


def unread_tick(tab: str, key: str, column: str, raw: str | None) -> str:
    """The 同期 line for a checkbox cell that is neither ticked nor unticked."""
    shown = one_line(raw or "")[:12]
    return (
        f"{tab} {key}: {column}の「{shown}」はチェックとして読めません。反映していません"
        f"(チェックは TRUE/FALSE、または 1・はい・✓・○・済 / 空欄・0・いいえ)"
        f" / {tab} {key}: {column} {shown!r} is not understood as a tick; not applied"
    )


def desk_of(row: Mapping[str, str]) -> Found | None:
    """One 伴走者 row's staff columns: (ID, (desk, problems, unread tick fields)); None
    for a row without an ID."""
    supporter_id = row.get("伴走ネットID", "").strip()
    if not supporter_id:
        return None
    problems: list[str] = []
    correction = n.read_email(row.get("連絡先訂正", ""))
    if isinstance(correction, Problem):
        if correction is Problem.UNREADABLE:
            problems.append(f"伴走者 {supporter_id}: 連絡先訂正のメールアドレスを読み取れません")
        correction_value = None
    else:
        correction_value = correction
    ticks: dict[str, bool] = {}
    unread: list[str] = []
    for column, name in DESK_TICKS:
        tick = n.read_tick(row.get(column))
        if tick is None:
            problems.append(unread_tick(SUPPORTERS.name, supporter_id, column, row.get(column)))
            unread.append(name)
        ticks[name] = bool(tick)
    desk = SupporterDesk(
        memo_sent_on=row.get("覚書発送日", "").strip(),
        course=row.get("講座受講", "").strip(),
        contact_correction=correction_value,
        note=row.get("メモ", ""),
        membership_check=row.get(MEMBERSHIP_CHECK, "").strip(),
        memo_received=ticks["memo_received"],
        account_received=ticks["account_received"],
        release_duplicates=ticks["release_duplicates"],
    )
    return supporter_id, (desk, tuple(problems), frozenset(unread))


def decision_of(row: Mapping[str, str]) -> Found | None:
    """One 申請 row's 審査, 審査メモ and 却下理由(伴走者へ) by 申請番号; None without one."""
    app_no = row.get("申請番号", "").strip()
    if not app_no:
        return None
    fixes = tuple(row.get(h, "") for h in (*APP_FIXES, FIX_REASON))
    return app_no, (
        row.get("審査", ""),
        row.get("審査メモ", ""),
        row.get(VOLUNTEER_REASON, ""),
        fixes,
    )


def paid_of(row: Mapping[str, str]) -> Found | None:
    """One 支払 row's 支払済 by ``締め日|ID`` (None where the cell is not understood, with
    the 同期 line); None for a row without a 締め日."""
    cutoff = row.get("締め日", "").strip()
    if not cutoff:
        return None
    supporter_id = row.get("伴走ネットID", "").strip()
    tick = n.read_tick(row.get("支払済"))
    problem = (
        unread_tick(PAYMENTS.name, f"{cutoff} {supporter_id}", "支払済", row.get("支払済"))
        if tick is None
        else None
    )
    return f"{cutoff}|{supporter_id}", (tick, problem)


# what each staff tab's rows say (one row per key: the sheet adapters hand a repeated key
# on as a ``RepeatedKey``, and ``settle_repeats`` decides whether it is read at all)
READERS: dict[str, Callable[[Mapping[str, str]], Found | None]] = {
    SUPPORTERS.name: desk_of,
    APPLICATIONS.name: decision_of,
    PAYMENTS.name: paid_of,
}


def read_tab(rows: Rows, reader: Callable[[Mapping[str, str]], Found | None]) -> dict[str, Any]:
    return dict(found for row in rows if (found := reader(row)) is not None)


def assemble(by_tab: Mapping[str, Mapping[str, Any]]) -> StaffInput:
    """The staff input from what each tab's rows say (``read_tab``)."""
    desks = by_tab.get(SUPPORTERS.name, {})
    paid = by_tab.get(PAYMENTS.name, {})
    decisions: dict[str, tuple[str, str]] = {}
    reasons: dict[str, str] = {}
    fixes: dict[str, tuple[str, str, str, str]] = {}
    for app_no, (cell, memo, reason, fix) in by_tab.get(APPLICATIONS.name, {}).items():
        decisions[app_no] = (cell, memo)
        if reason.strip():
            reasons[app_no] = reason.strip()
        if any(c.strip() for c in fix):
            fixes[app_no] = fix
    return StaffInput(
        {supporter_id: desk for supporter_id, (desk, _, _) in desks.items()},
        decisions,
        {key: tick for key, (tick, _) in paid.items() if tick is not None},
        (
            *(problem for _, problems, _ in desks.values() for problem in problems),
            *(problem for _, problem in paid.values() if problem),
        ),
        {supporter_id: unread for supporter_id, (_, _, unread) in desks.items() if unread},
        reasons,
        fixes,
    )


def read_staff(tabs: Mapping[str, Rows]) -> StaffInput:
    return assemble(
        {name: read_tab(tabs.get(name, ()), reader) for name, reader in READERS.items()}
    )


# --- one key in several rows (SPEC §5, issue 10 §4) ----------------------------------


def settle_repeats(repeats: Sequence[RepeatedKey]) -> tuple[dict[str, set[Key]], list[str]]:
    """The keys whose rows disagree in what staff typed, per tab, and the 同期 lines.

    Rows that say the same are one row (a line asks staff to delete the copy); rows that
    say different things have none of it applied until staff leave one row: a copied row
    plus a sort must not turn 承認 into 却下 (issue 10 §4)."""
    conflicts: dict[str, set[Key]] = {}
    problems: list[str] = []
    for repeat in repeats:
        label = " ".join(repeat.key)
        where = "・".join(f"{row_no}行目" for row_no, _ in repeat.rows)
        if not any(_says_something(cells) for _, cells in repeat.rows):
            continue  # copies with nothing typed: the next write removes them (SPEC §5)
        typed = {_typed(cells) for _, cells in repeat.rows}
        if len(typed) == 1:
            problems.append(
                f"{repeat.tab}: {label} が複数の行({where})にあります。スタッフ記入欄が"
                f"同じなので1行として扱います。余分な行は削除してください"
                f" / {label} is in several rows with the same staff input; read as one"
            )
            continue
        conflicts.setdefault(repeat.tab, set()).add(repeat.key)
        problems.append(
            f"{repeat.tab}: {label} が複数の行({where})にあり、スタッフ記入欄の内容が"
            f"食い違っています。1行に直すまで {label} のスタッフ記入は反映しません"
            f" / {label} is in several rows with different staff input; none of it is"
            f" applied until one row is left"
        )
    return conflicts, problems


def _says_something(cells: Mapping[str, str]) -> bool:
    """Whether staff typed anything in a row's staff cells (an unticked box says nothing)."""
    return any(n.fold(v).upper() not in ("", "FALSE") for v in cells.values())


def _typed(cells: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((h, n.fold(v)) for h, v in cells.items()))
