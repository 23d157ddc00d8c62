"""What staff typed in the status sheet, read into plain data (SPEC §5 staff columns)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bansou_sync.core import normalize as n
from bansou_sync.core.model import Problem, SupporterDesk
from bansou_sync.core.tabs import APPLICATIONS, PAYMENTS, SUPPORTERS

Rows = Sequence[Mapping[str, str]]


@dataclass(frozen=True)
class StaffInput:
    desks: dict[str, SupporterDesk] = field(default_factory=dict)
    decisions: dict[str, tuple[str, str]] = field(default_factory=dict)  # 申請番号 → (審査, メモ)
    paid: dict[str, bool] = field(default_factory=dict)  # "締め日|ID" → 支払済
    problems: tuple[str, ...] = ()


def read_staff(tabs: Mapping[str, Rows]) -> StaffInput:
    problems: list[str] = []
    desks: dict[str, SupporterDesk] = {}
    for row in tabs.get(SUPPORTERS.name, ()):
        supporter_id = row.get("伴走ネットID", "").strip()
        if not supporter_id:
            continue
        correction_raw = row.get("連絡先訂正", "")
        correction = n.read_email(correction_raw)
        if isinstance(correction, Problem):
            if correction is Problem.UNREADABLE:
                problems.append(
                    f"伴走者 {supporter_id}: 連絡先訂正のメールアドレスを読み取れません"
                )
            correction_value = None
        else:
            correction_value = correction
        desks[supporter_id] = SupporterDesk(
            memo_sent_on=row.get("覚書発送日", "").strip(),
            memo_received=n.is_ticked(row.get("覚書受領")),
            account_received=n.is_ticked(row.get("口座届出受領")),
            course=row.get("講座受講", "").strip(),
            contact_correction=correction_value,
            release_duplicates=n.is_ticked(row.get("重複解除")),
            note=row.get("メモ", ""),
        )
    decisions = {
        row.get("申請番号", "").strip(): (row.get("審査", ""), row.get("審査メモ", ""))
        for row in tabs.get(APPLICATIONS.name, ())
        if row.get("申請番号", "").strip()
    }
    paid = {
        f"{row.get('締め日', '').strip()}|{row.get('伴走ネットID', '').strip()}": n.is_ticked(
            row.get("支払済")
        )
        for row in tabs.get(PAYMENTS.name, ())
        if row.get("締め日", "").strip()
    }
    return StaffInput(desks, decisions, paid, tuple(problems))
