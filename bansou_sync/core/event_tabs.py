"""The status tab of each event (``講座_<id>``, ``相談会_<id>``, ``報告会_<id>``) and the
anonymous アンケート tab: layouts, rows, and what staff tick (docs/events.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bansou_sync.core.calendar import stamp
from bansou_sync.core.event_model import STATUS_LABELS, EventSpec, Signup, reason_text
from bansou_sync.core.event_survey import SURVEY_HEADERS, SURVEY_TAB
from bansou_sync.core.events import waiting_positions
from bansou_sync.core.normalize import read_tick
from bansou_sync.core.staff import unread_tick
from bansou_sync.core.tabs import TabLayout

EVENT_HEADERS = (
    "受付番号",
    "回答ID",
    "受信日時",
    "伴走ネットID",
    "氏名",
    "状態",
    "状態コード",
    "理由",
    "待ち順",
    "最終更新",
    "キャンセル",
    "出席",
    "メモ",
)
EVENT_STAFF = ("キャンセル", "出席", "メモ")

SURVEY_LAYOUT = TabLayout(name=SURVEY_TAB, headers=SURVEY_HEADERS, key=("講座ID", "区分", "項目"))


def event_layout(spec: EventSpec) -> TabLayout:
    return TabLayout(
        name=spec.tab_name,
        headers=EVENT_HEADERS,
        key=("受付番号",),
        staff=EVENT_STAFF,
        checkboxes=("キャンセル", "出席"),
    )


def event_rows(signups: Mapping[str, Signup]) -> list[list[str | int]]:
    positions = waiting_positions(signups)
    rows: list[list[str | int]] = []
    for signup in sorted(signups.values(), key=lambda s: s.number):
        rows.append(
            [
                signup.receipt,
                signup.response_id,
                stamp(signup.submitted_at),
                signup.supporter_id,
                signup.name,
                STATUS_LABELS[signup.status],
                signup.status.value,
                ", ".join(reason_text(code) for code in signup.reasons),
                positions.get(signup.response_id, ""),
                stamp(signup.updated_at),
                "",  # staff columns: the sheet keeps what staff typed
                "",
                "",
            ]
        )
    return rows


@dataclass(frozen=True)
class EventTicks:
    cancelled: frozenset[str]  # 受付番号 whose キャンセル is ticked
    attended: frozenset[str]  # 受付番号 whose 出席 is ticked
    problems: tuple[str, ...] = ()  # cells neither ticked nor unticked: not applied


def read_ticks(rows: Sequence[Mapping[str, str]], tab: str = "") -> EventTicks:
    cancelled: set[str] = set()
    attended: set[str] = set()
    problems: list[str] = []
    for row in rows:
        receipt = row.get("受付番号", "").strip()
        if not receipt:
            continue
        for column, ticked in (("キャンセル", cancelled), ("出席", attended)):
            tick = read_tick(row.get(column))
            if tick is None:
                problems.append(unread_tick(tab, receipt, column, row.get(column)))
            elif tick:
                ticked.add(receipt)
    return EventTicks(frozenset(cancelled), frozenset(attended), tuple(problems))
