"""A tab file of the local sheet parsed against the tab's layout (``adapters.local_sheet``):
columns found by header wherever staff moved them, cells cleaned as bansou-sync wrote
them — trimmed, the formula guard removed, Excel's re-saved dates written back."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from bansou_sync.core.staff import RepeatedKey
from bansou_sync.core.tabs import TabLayout
from bansou_sync.core.untrusted import FORMULA_START
from bansou_sync.ports import StaffRow

# Columns holding a date or a JST time, which Excel re-saves as 2022/6/25 (10:00).
DATE_COLUMNS = frozenset(
    {"覚書発送日", "支援実施日", "再回答期限", "支払予定日", "締め日", "対象日"}
    | {"登録日時", "受信日時", "最終更新", "送信日時", "最終同期"}
)

_SLASH_DATE = re.compile(
    r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)


@dataclass(slots=True)  # one per row of every tab, kept from a cycle's read to its write
class FileRow:
    row_no: int  # as Excel numbers it: the header is row 1
    key: tuple[str, ...]
    cells: dict[str, str]  # every layout header
    extra: dict[str, str]  # columns the layout does not have

    def has_staff_content(self, layout: TabLayout) -> bool:
        return any(self.cells[h] for h in layout.staff) or any(self.extra.values())

    def has_daemon_content(self, layout: TabLayout) -> bool:
        """bansou-sync wrote this row: a column of its own, besides the key, is filled."""
        return layout.keyed(self.key) and any(
            self.cells[h] for h in layout.daemon if h not in layout.key
        )


@dataclass
class TabFile:
    rows: list[FileRow] = field(default_factory=list)
    extra_headers: list[str] = field(default_factory=list)
    key_missing: bool = False
    problems: list[str] = field(default_factory=list)


def parse(layout: TabLayout, records: list[list[str]]) -> TabFile:
    """A tab file's records (header first) read by the layout's headers, wherever they
    are; cells cleaned as bansou-sync wrote them."""
    loaded = TabFile()
    if not records:
        return loaded
    index: dict[str, int] = {}
    extra_index: dict[str, int] = {}
    for position, raw in enumerate(records[0]):
        name = unicodedata.normalize("NFKC", raw).strip()
        if name in layout.headers and name not in index:
            index[name] = position
        elif name in index:
            loaded.problems.append(f"{layout.name}: 列「{name}」が2つあります。左の列を使います")
        elif name and name not in extra_index:
            extra_index[name] = position
            loaded.problems.append(
                f"{layout.name}: 列「{name}」は bansou-sync の列ではありません"
                f"(読み込まず、書き込み時は右端に残します)"
            )
    loaded.extra_headers = list(extra_index)
    for name in layout.headers:
        if name not in index:
            loaded.problems.append(f"{layout.name}: 列「{name}」がありません")
    loaded.key_missing = any(k not in index for k in layout.key)
    # worked out once per file, not per cell: a 30,000-row tab is read every cycle
    where = [(h, index.get(h), cleaner(h)) for h in layout.headers]
    extra_where = [(h, p, clean_text) for h, p in extra_index.items()]
    for row_no, record in enumerate(records[1:], start=2):
        width = len(record)
        cells = {
            h: clean(record[p]) if p is not None and p < width else "" for h, p, clean in where
        }
        extra = {h: clean(record[p]) if p < width else "" for h, p, clean in extra_where}
        if not any(cells.values()) and not any(extra.values()):
            continue
        key = tuple(cells[k] for k in layout.key)
        loaded.rows.append(FileRow(row_no, key, cells, extra))
    return loaded


def cleaner(header: str) -> Callable[[str], str]:
    return clean_date if header in DATE_COLUMNS else clean_text


def clean_text(value: str) -> str:
    """A cell as bansou-sync wrote it: trimmed, guard removed."""
    value = value.strip()
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def clean_date(value: str) -> str:
    """A date or time cell as bansou-sync wrote it: also Excel's dates undone."""
    value = clean_text(value)
    if "/" in value and (match := _SLASH_DATE.fullmatch(value)):
        day = f"{match['y']}-{int(match['m']):02d}-{int(match['d']):02d}"
        if match["H"] is None:
            return day
        seconds = f":{match['S']}" if match["S"] else ""
        return f"{day} {int(match['H']):02d}:{match['M']}{seconds}"
    return value


class LazyRows(Sequence[StaffRow]):
    """A tab's rows as read, made when first looked at: a tab whose parse was kept and
    whose rows no one reads this cycle (its staff input kept too, its write skipped) is
    never materialised (issue 14). Equal to the list it stands for."""

    def __init__(self, make: Callable[[], list[StaffRow]]) -> None:
        self._make: Callable[[], list[StaffRow]] | None = make
        self._rows: list[StaffRow] = []

    @property
    def made(self) -> bool:
        """Whether the rows were made (looked at)."""
        return self._make is None

    def _made(self) -> list[StaffRow]:
        if self._make is not None:
            self._rows, self._make = self._make(), None
        return self._rows

    @overload
    def __getitem__(self, index: int) -> StaffRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[StaffRow]: ...
    def __getitem__(self, index: int | slice) -> StaffRow | list[StaffRow]:
        return self._made()[index]

    def __len__(self) -> int:
        return len(self._made())

    def __iter__(self) -> Iterator[StaffRow]:
        return iter(self._made())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyRows):
            other = other._made()
        return isinstance(other, list) and self._made() == other

    __hash__ = None  # type: ignore[assignment]  # as a list's


def read_rows(
    layout: TabLayout, loaded: TabFile
) -> tuple[list[StaffRow], list[str], list[RepeatedKey]]:
    """A parsed tab as the sheet reads it: the first row of each key, the rows without
    a key that hold staff input (a 同期 line each), and the keys in several rows."""
    rows: list[StaffRow] = []
    problems: list[str] = []
    first_row: dict[tuple[str, ...], FileRow] = {}
    again: dict[tuple[str, ...], list[FileRow]] = {}
    for row in [] if loaded.key_missing else loaded.rows:
        if layout.key and not layout.keyed(row.key):
            if row.has_staff_content(layout):
                problems.append(
                    f"{layout.name}: {row.row_no}行目に{'・'.join(layout.key)}がありません"
                )
            continue
        if layout.key and row.key in first_row:
            again.setdefault(row.key, [first_row[row.key]]).append(row)
            continue
        first_row[row.key] = row
        rows.append(StaffRow(key=row.key, cells=row.cells))
    repeats = [
        RepeatedKey(
            layout.name,
            key,
            tuple((r.row_no, {h: r.cells[h] for h in layout.staff}) for r in found),
        )
        for key, found in again.items()
    ]
    return rows, problems, repeats
