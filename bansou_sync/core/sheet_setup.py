"""Plan the set-up or repair of the status spreadsheet (SPEC §5): pure, over plain data.

``plan_setup`` reads one ``spreadsheets.get`` reply (``GET_FIELDS``) and returns the
``batchUpdate`` requests and header writes that make every tab look as ``sheet_style``
says, and lines saying what that does or what a person must do. It compares with what
is there, so a second run plans nothing: protected ranges are ours when their
description starts with ``bansou-sync``, colour rules when their formula is one of ours.

Staff data is never moved: a header row that differs is rewritten only when nothing is
below it; otherwise the tab is reported and left alone (its columns may be elsewhere).
Editors are added to our protected ranges, never removed (Google lists the owner too).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bansou_sync.core import sheet_style as style
from bansou_sync.core.sheet_layout import plan_colours, plan_layout, range_key
from bansou_sync.core.sheet_style import row_rules as row_rules  # where it was
from bansou_sync.core.tabs import ALL_TABS, TabLayout

GET_FIELDS = (
    "properties(title),sheets(properties(sheetId,title,index,gridProperties(rowCount,"
    "columnCount,frozenRowCount,frozenColumnCount)),"
    "protectedRanges(protectedRangeId,range,description,warningOnly,editors),"
    "conditionalFormats(ranges,booleanRule),columnGroups(range,depth,collapsed),"
    "data(startRow,startColumn,columnMetadata(pixelSize),rowData(values(formattedValue,"
    "dataValidation,userEnteredFormat/textFormat/bold,userEnteredFormat/wrapStrategy))))"
)
SPARE_TITLES = ("Sheet1", "シート1")  # a new spreadsheet's first tab, reused when empty
SET_UP = "見出し・固定・太字・保護・入力規則・色分けを設定しました / set the tab up"
NEW_ROWS, MIN_COLUMNS = 1000, 26  # Google's size of a new tab


def clean(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def header_status(layout: TabLayout, row: Sequence[Any]) -> str:
    """``ok`` (exactly the layout's headers), ``blank`` or ``differs``."""
    names = [clean(cell) for cell in row]
    if names[: len(layout.headers)] == list(layout.headers) and not any(
        names[len(layout.headers) :]
    ):
        return "ok"
    return "differs" if any(names) else "blank"


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class Tab:
    """One tab as ``spreadsheets.get`` showed it."""

    sheet_id: int
    title: str
    rows: int = NEW_ROWS
    columns: int = MIN_COLUMNS
    frozen: int = 0
    cells: Mapping[tuple[int, int], Mapping[str, Any]] = field(default_factory=dict)
    protected: tuple[Mapping[str, Any], ...] = ()
    formats: tuple[Mapping[str, Any], ...] = ()
    frozen_columns: int = 0
    widths: Mapping[int, int] = field(default_factory=dict)  # column → pixelSize
    groups: tuple[
        tuple[int, int, int, bool], ...
    ] = ()  # column groups: start, end, depth, collapsed

    @classmethod
    def from_json(cls, sheet: Mapping[str, Any]) -> Tab:
        props = sheet.get("properties") or {}
        grid = props.get("gridProperties") or {}
        cells: dict[tuple[int, int], Mapping[str, Any]] = {}
        widths: dict[int, int] = {}
        for data in sheet.get("data") or []:
            top, left = int(data.get("startRow", 0)), int(data.get("startColumn", 0))
            for c, meta in enumerate(data.get("columnMetadata") or []):
                if "pixelSize" in (meta or {}):
                    widths[left + c] = int(meta["pixelSize"])
            for r, row in enumerate(data.get("rowData") or []):
                for c, cell in enumerate(row.get("values") or []):
                    if cell:
                        cells[(top + r, left + c)] = cell
        return cls(
            sheet_id=int(props.get("sheetId", 0)),
            title=str(props.get("title", "")),
            rows=int(grid.get("rowCount", NEW_ROWS)),
            columns=int(grid.get("columnCount", MIN_COLUMNS)),
            frozen=int(grid.get("frozenRowCount", 0)),
            cells=cells,
            protected=tuple(sheet.get("protectedRanges") or ()),
            formats=tuple(sheet.get("conditionalFormats") or ()),
            frozen_columns=int(grid.get("frozenColumnCount", 0)),
            widths=widths,
            groups=tuple(
                (
                    int(g["range"].get("startIndex", 0)),
                    int(g["range"].get("endIndex", 0)),
                    int(g.get("depth", 1)),
                    bool(g.get("collapsed")),
                )
                for g in sheet.get("columnGroups") or ()
                if (g.get("range") or {}).get("dimension") == "COLUMNS"
            ),
        )

    def text(self, row: int, col: int) -> str:
        return clean(self.cells.get((row, col), {}).get("formattedValue"))

    def header_row(self) -> list[str]:
        width = max((c + 1 for r, c in self.cells if r == 0), default=0)
        return [self.text(0, c) for c in range(width)]

    def has_data_below_header(self) -> bool:
        return any(r > 0 and self.text(r, c) for r, c in self.cells)

    def is_empty(self) -> bool:
        return not any(self.text(r, c) for r, c in self.cells)


@dataclass(frozen=True)
class SetupPlan:
    requests: tuple[dict[str, Any], ...]  # one spreadsheets.batchUpdate, in this order
    header_writes: tuple[tuple[str, tuple[str, ...]], ...]  # (A1 range, row) after it
    lines: tuple[str, ...]  # what this does, and what it leaves to a person
    refused: tuple[str, ...] = ()  # tabs left alone: what staff must do by hand first

    @property
    def changes_nothing(self) -> bool:
        return not self.requests and not self.header_writes


def plan_setup(
    book: Mapping[str, Any],
    editors: Sequence[str],
    layouts: Sequence[TabLayout] = ALL_TABS,
) -> SetupPlan:
    tabs = [Tab.from_json(s) for s in book.get("sheets") or []]
    order = [t.title for t in tabs]
    by_title = {t.title: t for t in tabs}
    names = {layout.name for layout in layouts}
    spare = [t for t in tabs if t.title in SPARE_TITLES and t.title not in names and t.is_empty()]
    next_id = max((t.sheet_id for t in tabs), default=0) + 1
    structure: list[dict[str, Any]] = []
    formatting: list[dict[str, Any]] = []
    writes: list[tuple[str, tuple[str, ...]]] = []
    lines: list[str] = []
    refused: list[str] = []
    for index, layout in enumerate(layouts):
        tab = by_title.get(layout.name)
        new = tab is None
        if tab is None and spare:
            old = spare.pop(0)
            tab = replace(old, title=layout.name)
            structure.append(_properties(tab.sheet_id, {"title": layout.name, "index": index}))
            order.remove(old.title)
            order.insert(index, layout.name)
            lines.append(f"{layout.name}: 空の「{old.title}」を使って{SET_UP}")
        elif tab is None:
            tab = Tab(sheet_id=next_id, title=layout.name)
            next_id += 1
            width = max(MIN_COLUMNS, len(layout.headers))
            grid = {"rowCount": NEW_ROWS, "columnCount": width, "frozenRowCount": 1}
            props = {"sheetId": tab.sheet_id, "title": layout.name, "index": index}
            structure.append({"addSheet": {"properties": props | {"gridProperties": grid}}})
            tab = replace(tab, columns=width, frozen=1)
            order.insert(index, layout.name)
            lines.append(f"{layout.name}: タブを作って{SET_UP}")
        elif order.index(layout.name) != index:
            structure.append(_properties(tab.sheet_id, {"index": index}))
            order.remove(layout.name)
            order.insert(index, layout.name)
            lines.append(
                f"{layout.name}: {index + 1}番目に移しました / moved to position {index + 1}"
            )
        requests, write, tab_lines = _plan_tab(layout, tab, editors, new)
        formatting += requests
        writes += [write] if write else []
        if not requests and write is None and _refused(layout, tab):
            refused += tab_lines
            continue
        lines += [] if new else tab_lines  # a new tab: the one line above says it all
    return SetupPlan(tuple(structure + formatting), tuple(writes), tuple(lines), tuple(refused))


def _refused(layout: TabLayout, tab: Tab) -> bool:
    return header_status(layout, tab.header_row()) != "ok" and tab.has_data_below_header()


def _properties(sheet_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, **changes},
            "fields": ",".join(changes),
        }
    }


def _plan_tab(
    layout: TabLayout, tab: Tab, editors: Sequence[str], new: bool
) -> tuple[list[dict[str, Any]], tuple[str, tuple[str, ...]] | None, list[str]]:
    name, width, sid = layout.name, len(layout.headers), tab.sheet_id
    found = tab.header_row()
    status = header_status(layout, found)
    if status != "ok" and tab.has_data_below_header():
        return [], None, [_conflict(layout, found)]
    requests: list[dict[str, Any]] = []
    lines: list[str] = []
    write = None
    if status != "ok":
        row = tuple(layout.headers) + ("",) * max(0, len(found) - width)
        write = (f"{quote(name)}!A1", row)
        if status == "differs":
            lines.append(f"{name}: 見出し行を直しました / repaired the header row")
        elif not new:
            lines.append(f"{name}: 見出し行を書きました / wrote the header row")
    grid: dict[str, int] = {}
    if tab.columns < width:
        grid["columnCount"] = width
    if tab.frozen < 1:
        grid["frozenRowCount"] = 1
    if grid:
        requests.append(_properties(sid, {"gridProperties": grid}))
        requests[-1]["updateSheetProperties"]["fields"] = ",".join(
            f"gridProperties.{key}" for key in grid
        )
        if "frozenRowCount" in grid and not new:
            lines.append(f"{name}: 見出し行を固定しました / froze the header row")
    if not all(_bold(tab.cells.get((0, c))) for c in range(width)):
        requests.append(
            {
                "repeatCell": {
                    "range": style.Rect(0, 1, 0, width).grid_range(sid),
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold",
                }
            }
        )
        lines.append(f"{name}: 見出し行を太字にしました / made the header row bold")
    for plan in (_protections, _validations, plan_colours):
        more, said = plan(layout, tab, editors)
        requests += more
        lines += said
    more, said = plan_layout(layout, tab)
    requests += more
    lines += [] if new else said
    return requests, write, lines


def _conflict(layout: TabLayout, found: Sequence[str]) -> str:
    expected = " · ".join(layout.headers)
    return (
        f"{layout.name}: 見出し行が仕様と違い、下にデータがあるため直していません (データの列が"
        f"ずれないように)。事務局の方が手で、「{layout.name}」タブの列を切り取り・貼り付けで並べ替え、"
        f"1 行目の見出しを次の順にしてから、もう一度 init-sheet を実行してください: {expected} "
        f"(今: {' · '.join(found)}) / the header row differs from SPEC §5 and the tab has data, "
        f"so it was left alone: by hand, cut and paste the columns of {layout.name} until row 1 "
        f"reads as above, then run init-sheet again"
    )


def _bold(cell: Mapping[str, Any] | None) -> bool:
    fmt = (cell or {}).get("userEnteredFormat") or {}
    return bool((fmt.get("textFormat") or {}).get("bold"))


def _protections(
    layout: TabLayout, tab: Tab, editors: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    wanted_users = list(dict.fromkeys(e.strip() for e in editors if e.strip()))
    ours = [p for p in tab.protected if str(p.get("description", "")).startswith(style.MARK)]
    requests: list[dict[str, Any]] = []
    kept: set[int] = set()
    added = updated = 0
    for rect in style.protected_rects(layout):
        grid_range = rect.grid_range(tab.sheet_id)
        match = next(
            (
                p
                for p in ours
                if id(p) not in kept and range_key(p.get("range") or {}) == range_key(grid_range)
            ),
            None,
        )
        if match is None:
            protected = {
                "range": grid_range,
                "description": style.PROTECTION_NOTE,
                "warningOnly": False,
                "editors": {"users": wanted_users},
            }
            requests.append({"addProtectedRange": {"protectedRange": protected}})
            added += 1
            continue
        kept.add(id(match))
        users = list((match.get("editors") or {}).get("users") or [])
        have = {u.casefold() for u in users}
        missing = [u for u in wanted_users if u.casefold() not in have]
        if missing or match.get("warningOnly"):
            change = {
                "protectedRangeId": match["protectedRangeId"],
                "warningOnly": False,
                "editors": {"users": users + missing},
            }
            requests.append(
                {
                    "updateProtectedRange": {
                        "protectedRange": change,
                        "fields": "warningOnly,editors",
                    }
                }
            )
            updated += 1
    stale = [p for p in ours if id(p) not in kept]
    requests += [
        {"deleteProtectedRange": {"protectedRangeId": p["protectedRangeId"]}} for p in stale
    ]
    lines = []
    if added or updated or stale:
        lines.append(
            f"{layout.name}: 自動更新列の保護 追加{added}・更新{updated}・削除{len(stale)} / "
            f"protected daemon columns: {added} added, {updated} updated, {len(stale)} removed"
        )
    return requests, lines


def _same_rule(found: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    def key(rule: Mapping[str, Any]) -> tuple[Any, ...]:
        condition = rule.get("condition") or {}
        values = tuple(clean(v.get("userEnteredValue")) for v in condition.get("values") or [])
        return (
            condition.get("type"),
            values,
            bool(rule.get("strict")),
            bool(rule.get("showCustomUi")),
            rule.get("inputMessage", ""),
        )

    return found is not None and key(found) == key(wanted)


def _validations(
    layout: TabLayout, tab: Tab, editors: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    requests: list[dict[str, Any]] = []
    lines: list[str] = []
    for column, rule in style.validations(layout).items():
        if all(
            _same_rule(tab.cells.get((row, column), {}).get("dataValidation"), rule)
            for row in range(1, tab.rows)
        ):
            continue
        grid_range = style.Rect(1, None, column, column + 1).grid_range(tab.sheet_id)
        requests.append({"setDataValidation": {"range": grid_range, "rule": rule}})
        what = {"BOOLEAN": "チェックボックス / checkbox", "ONE_OF_LIST": "選択肢 / drop-down"}
        kind = what.get(rule["condition"]["type"], "日付 / date")
        lines.append(f"{layout.name}: {layout.headers[column]} に入力規則 ({kind}) を設定しました")
    return requests, lines


def layout_problems(titles: Sequence[str], headers: Mapping[str, Sequence[Any]]) -> list[str]:
    """What differs from SPEC §5, given the tab titles and the header row of each tab."""
    problems = []
    for layout in ALL_TABS:
        if layout.name not in titles:
            problems.append(f"タブ「{layout.name}」がありません / tab {layout.name} is missing")
            continue
        status = header_status(layout, headers.get(layout.name, ()))
        if status != "ok":
            problems.append(
                f"「{layout.name}」の見出し行が{'空' if status == 'blank' else '仕様と違います'}"
                f" / the header row of {layout.name} "
                f"{'is blank' if status == 'blank' else 'differs from SPEC §5'}"
            )
    return problems
