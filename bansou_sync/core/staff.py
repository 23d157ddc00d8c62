"""What staff typed in the status sheet, read into plain data (SPEC §5 staff columns)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bansou_sync.core import normalize as n
from bansou_sync.core.model import Problem, SupporterDesk
from bansou_sync.core.tabs import APPLICATIONS, PAYMENTS, SUPPORTERS, VOLUNTEER_REASON

Rows = Sequence[Mapping[str, str]]
STAFF_TABS = (SUPPORTERS.name, APPLICATIONS.name, PAYMENTS.name)  # the tabs read_staff reads


@dataclass(frozen=True)
class StaffInput:
    desks: dict[str, SupporterDesk] = field(default_factory=dict)
    decisions: dict[str, tuple[str, str]] = field(default_factory=dict)  # 申請番号 → (審査, メモ)
    paid: dict[str, bool] = field(default_factory=dict)  # "締め日|ID" → 支払済
    problems: tuple[str, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)  # 申請番号 → 却下理由(伴走者へ)


Found = tuple[str, Any]  # what one row says: its key, and the value for that key


def desk_of(row: Mapping[str, str]) -> Found | None:
    """One 伴走者 row's staff columns: (ID, (desk, problem)); None for a row without an ID."""
    supporter_id = row.get("伴走ネットID", "").strip()
    if not supporter_id:
        return None
    problem = None
    correction = n.read_email(row.get("連絡先訂正", ""))
    if isinstance(correction, Problem):
        if correction is Problem.UNREADABLE:
            problem = f"伴走者 {supporter_id}: 連絡先訂正のメールアドレスを読み取れません"
        correction_value = None
    else:
        correction_value = correction
    desk = SupporterDesk(
        memo_sent_on=row.get("覚書発送日", "").strip(),
        memo_received=n.is_ticked(row.get("覚書受領")),
        account_received=n.is_ticked(row.get("口座届出受領")),
        course=row.get("講座受講", "").strip(),
        contact_correction=correction_value,
        release_duplicates=n.is_ticked(row.get("重複解除")),
        note=row.get("メモ", ""),
    )
    return supporter_id, (desk, problem)


def decision_of(row: Mapping[str, str]) -> Found | None:
    """One 申請 row's 審査, 審査メモ and 却下理由(伴走者へ) by 申請番号; None without one."""
    app_no = row.get("申請番号", "").strip()
    if not app_no:
        return None
    return app_no, (row.get("審査", ""), row.get("審査メモ", ""), row.get(VOLUNTEER_REASON, ""))


def paid_of(row: Mapping[str, str]) -> Found | None:
    """One 支払 row's 支払済 by ``締め日|ID``; None for a row without a 締め日."""
    cutoff = row.get("締め日", "").strip()
    if not cutoff:
        return None
    return f"{cutoff}|{row.get('伴走ネットID', '').strip()}", n.is_ticked(row.get("支払済"))


# what each staff tab's rows say; a later row with the same key wins, in the first's place
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
    decisions: dict[str, tuple[str, str]] = {}
    reasons: dict[str, str] = {}
    for app_no, (cell, memo, reason) in by_tab.get(APPLICATIONS.name, {}).items():
        decisions[app_no] = (cell, memo)
        if reason.strip():
            reasons[app_no] = reason.strip()
    return StaffInput(
        {supporter_id: desk for supporter_id, (desk, _) in desks.items()},
        decisions,
        dict(by_tab.get(PAYMENTS.name, {})),
        tuple(problem for _, problem in desks.values() if problem),
        reasons,
    )


def read_staff(tabs: Mapping[str, Rows]) -> StaffInput:
    return assemble(
        {name: read_tab(tabs.get(name, ()), reader) for name, reader in READERS.items()}
    )
