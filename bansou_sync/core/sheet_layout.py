"""How staff see each tab (issue 13 §1): frozen key column, widths and wrapping that fit
Japanese text, technical columns grouped and collapsed, colours by status. Pure: the
wanted layout as plain data, and the ``batchUpdate`` requests that make a tab so, given
what ``spreadsheets.get`` showed (``sheet_setup.Tab``); nothing when it already is.

Choices:

* The key column (伴走ネットID, 申請番号) is frozen beside the frozen header row, so a row
  is known while staff scroll right. SPEC §5's column order stays; 審査 comes into view
  without scrolling because 回答ID and 状態コード are collapsed and the columns before
  it are narrow (about 1,400 pixels up to 審査 on 申請).
* 回答ID and 状態コード are for the daemon and for support: each is a group of its own,
  collapsed (the [+] above the column shows it again). A group is added only when none
  covers that column, and collapsed only when it is open, so staff who expand one see
  it collapsed again only after the next init-sheet.
* Widths are set where a column differs from the wanted size; long texts (理由, 支援の
  内容, memos, reasons) wrap instead of running over the next cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bansou_sync.core import sheet_style as style
from bansou_sync.core.tabs import APPLICATIONS, SUPPORTERS, TabLayout

if TYPE_CHECKING:
    from bansou_sync.core.sheet_setup import Tab

FROZEN_COLUMNS = {SUPPORTERS.name: 1, APPLICATIONS.name: 1}
TECHNICAL = ("回答ID", "状態コード")
NARROW, DEFAULT_WIDTH = 80, 100
WIDTHS: dict[str, int] = {
    "申請番号": 90,
    "伴走ネットID": 90,
    "登録日時": 120,
    "受信日時": 120,
    "最終更新": 120,
    "氏名": 110,
    "メールアドレス": 180,
    "入力されたメールアドレス": 180,
    "連絡先訂正": 180,
    "同行伴走者ID": 90,
    "相談者コード": NARROW,
    "支援実施日": 90,
    "実施時間(分)": 70,
    "判定": 110,
    "理由": 220,
    "再回答期限": 90,
    "謝金額": 70,
    "支払予定日": 90,
    "審査": NARROW,
    "審査メモ": 200,
    "却下理由(伴走者へ)": 200,
    "相談内容": 160,
    "同行先": 140,
    "つながった公的支援": 140,
    "支援の内容": 320,
    "訂正理由": 200,
    "要確認の理由": 260,
    "未回答": 140,
    "対応できる言語": 160,
    "メモ": 200,
}
WRAPPED = frozenset(
    {
        "理由",
        "審査メモ",
        "却下理由(伴走者へ)",
        "相談内容",
        "同行先",
        "つながった公的支援",
        "支援の内容",
        "訂正理由",
        "要確認の理由",
        "メモ",
    }
)


def width_of(header: str) -> int:
    return WIDTHS.get(header, DEFAULT_WIDTH)


def plan_layout(layout: TabLayout, tab: Tab) -> tuple[list[dict[str, Any]], list[str]]:
    """The requests that freeze, size, wrap and group one tab as above, and what they do."""
    sid, name = tab.sheet_id, layout.name
    requests: list[dict[str, Any]] = []
    lines: list[str] = []
    frozen = FROZEN_COLUMNS.get(name, 0)
    if tab.frozen_columns < frozen:
        requests.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sid, "gridProperties": {"frozenColumnCount": frozen}},
                    "fields": "gridProperties.frozenColumnCount",
                }
            }
        )
        lines.append(f"{name}: {layout.headers[0]} の列を固定しました / froze the key column")
    sized = [c for c, h in enumerate(layout.headers) if tab.widths.get(c) != width_of(h)]
    requests += [
        {
            "updateDimensionProperties": {
                "range": {
                    "sheetId": sid,
                    "dimension": "COLUMNS",
                    "startIndex": c,
                    "endIndex": c + 1,
                },
                "properties": {"pixelSize": width_of(layout.headers[c])},
                "fields": "pixelSize",
            }
        }
        for c in sized
    ]
    if sized:
        lines.append(f"{name}: 列の幅を整えました / set the column widths")
    wrap = [
        c
        for c, h in enumerate(layout.headers)
        if h in WRAPPED
        and tab.cells.get((1, c), {}).get("userEnteredFormat", {}).get("wrapStrategy") != "WRAP"
    ]
    requests += [
        {
            "repeatCell": {
                "range": style.Rect(1, None, c, c + 1).grid_range(sid),
                "cell": {"userEnteredFormat": {"wrapStrategy": "WRAP"}},
                "fields": "userEnteredFormat.wrapStrategy",
            }
        }
        for c in wrap
    ]
    if wrap:
        lines.append(f"{name}: 長い文の列を折り返し表示にしました / wrapped the long-text columns")
    grouped = _groups(layout, tab)
    requests += grouped
    if grouped:
        lines.append(
            f"{name}: {'・'.join(h for h in TECHNICAL if h in layout.headers)} の列を"
            f"グループにして折りたたみました / grouped and collapsed the technical columns"
        )
    return requests, lines


def _groups(layout: TabLayout, tab: Tab) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = []
    for header in TECHNICAL:
        if header not in layout.headers:
            continue
        c = layout.headers.index(header)
        span = {"sheetId": tab.sheet_id, "dimension": "COLUMNS", "startIndex": c, "endIndex": c + 1}
        found = next((g for g in tab.groups if g[:2] == (c, c + 1)), None)
        if found is None:
            requests.append({"addDimensionGroup": {"range": span}})
        if found is None or not found[3]:
            depth = 1 if found is None else found[2]
            group = {"range": span, "depth": depth, "collapsed": True}
            requests.append(
                {"updateDimensionGroup": {"dimensionGroup": group, "fields": "collapsed"}}
            )
    return requests


def range_key(grid_range: Mapping[str, Any]) -> tuple[int, int, Any, int, Any]:
    return (
        int(grid_range.get("sheetId", 0)),
        int(grid_range.get("startRowIndex", 0)),
        grid_range.get("endRowIndex"),
        int(grid_range.get("startColumnIndex", 0)),
        grid_range.get("endColumnIndex"),
    )


def _colour_key(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    boolean = rule.get("booleanRule") or {}
    values = (boolean.get("condition") or {}).get("values") or [{}]
    colour = (boolean.get("format") or {}).get("backgroundColor") or {}
    ranges = tuple(range_key(r)[:2] + range_key(r)[3:] for r in rule.get("ranges") or [])
    rgb = tuple(round(float(colour.get(c, 0)), 2) for c in ("red", "green", "blue"))
    return ranges, values[0].get("userEnteredValue"), rgb


def plan_colours(
    layout: TabLayout, tab: Tab, editors: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The conditional formats colouring rows by status (``sheet_style.colour_rules``)."""
    wanted = style.colour_rules(layout, tab.sheet_id)
    formulas = {_colour_key(rule)[1] for rule in wanted}
    ours = [
        (index, rule) for index, rule in enumerate(tab.formats) if _colour_key(rule)[1] in formulas
    ]
    if [_colour_key(r) for _, r in ours] == [_colour_key(r) for r in wanted]:
        return [], []
    requests: list[dict[str, Any]] = [
        {"deleteConditionalFormatRule": {"sheetId": tab.sheet_id, "index": index}}
        for index, _ in reversed(ours)
    ]
    requests += [
        {"addConditionalFormatRule": {"rule": rule, "index": index}}
        for index, rule in enumerate(wanted)
    ]
    return requests, [f"{layout.name}: 状態による色分けを設定しました / coloured rows by status"]
