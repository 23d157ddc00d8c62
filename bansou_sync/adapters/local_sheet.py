"""The status spreadsheet as a folder of CSV files, one per tab (SPEC §5, §7 ``local``).

Files are ``<folder>/<tab>.csv``, written as UTF-8 with BOM and CR LF line endings (what
Excel itself writes, so a double-click opens them correctly), header row = the layout's
headers. Staff may open them in Excel, type in the staff columns, sort, insert and
delete rows, and save — also as CP932 CSV, which turns ``2022-06-25`` into
``2022/6/25``; both are read back.

Rows are matched by the tab's key, never by position. A key in several rows is read
once, with every row's staff cells (``SheetSnapshot.repeats``) for
``core.staff.settle_repeats``. Writing re-reads the file first, so each row written
carries the staff cells the file holds *now* for its key. Nothing staff typed is
dropped: a row whose key is no longer written (or a repeated or keyless row) is kept at
the end when it has staff content; unknown columns are kept at the right.

Formula guard: a text cell beginning with ``=``, ``+``, ``-`` or ``@`` is written with a
``'`` in front (Excel shows text), which reading strips; integers are written bare.
"""

from __future__ import annotations

import csv
import errno
import io
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from bansou_sync.adapters.atomic import digest, sweep_stale, write_atomically
from bansou_sync.adapters.parsed_tabs import KeptTabFile, ParsedTabs
from bansou_sync.adapters.sheet_value import sheet_value
from bansou_sync.adapters.tab_parse import FileRow, LazyRows, TabFile, cleaner, parse, read_rows
from bansou_sync.adapters.textfile import decode_text
from bansou_sync.adapters.written_labels import WrittenLabels, unique_keys
from bansou_sync.core.excel import excel_csv
from bansou_sync.core.staff import RepeatedKey
from bansou_sync.core.tabs import ALL_TABS, TabLayout, removed_row_message
from bansou_sync.core.untrusted import formula_safe
from bansou_sync.crashpoints import crash_point
from bansou_sync.errors import SheetError, SheetFormatError
from bansou_sync.ports import SheetSnapshot, StaffRow, StatusSheet, TabRows


class LocalSheet(StatusSheet):
    """``StatusSheet`` over a folder of CSV files."""

    def __init__(self, folder: Path, layouts: Sequence[TabLayout] = ALL_TABS) -> None:
        self.folder = Path(folder)
        self.layouts = {layout.name: layout for layout in layouts}
        self.last_problems: list[str] = []  # what the latest write() kept or could not place
        # per tab file, a digest of the bytes last read and what they parsed to: a cycle
        # parses each file once (its write re-uses the read's parse while the bytes are
        # unchanged), and a tab whose rows give the bytes already there is not rewritten
        self._files: dict[Path, tuple[bytes, TabFile]] = {}
        self.written = WrittenLabels(None)  # where it records its writes: set by bootstrap
        self.parsed = ParsedTabs(None)  # where it keeps its parses: set by bootstrap
        self._kept: dict[Path, bytes] = {}  # per tab file, the digest whose parse is kept
        sweep_stale(self.folder)  # half-written tabs of a process killed mid-write

    def path(self, tab: str) -> Path:
        return self.folder / f"{tab}.csv"

    def read(self, full: bool = False) -> SheetSnapshot:  # always full: files are local
        tabs: dict[str, Sequence[StaffRow]] = {}
        problems: list[str] = []
        repeats: list[RepeatedKey] = []  # a key in several rows: core.staff settles them
        labels: dict[str, str] = {}  # what each file's bytes read as, named (parsed_tabs)
        for layout in self.layouts.values():
            loaded = self._load(layout)
            if loaded is None:
                continue
            label = self.parsed.label(layout, self._files[self.path(layout.name)][0])
            if label is not None:
                labels[layout.name] = label
            problems += loaded.problems
            if isinstance(loaded, KeptTabFile):  # rows made only if someone looks at them
                tabs[layout.name] = LazyRows(partial(_first_rows, layout, loaded))
                problems += loaded.summary[0]
                repeats += loaded.summary[1]
                continue
            rows, found, again = read_rows(layout, loaded)
            tabs[layout.name] = rows
            problems += found
            repeats += again
        return SheetSnapshot(tabs, tuple(problems), tuple(repeats), labels)

    def write(self, tabs: Sequence[TabRows]) -> None:
        self.last_problems = []
        for tab in tabs:
            layout = self.layouts.get(tab.name)
            if layout is None:
                raise SheetError(f"タブ「{tab.name}」はこのシートの構成にありません")
            if self.written.holds(path := self.path(layout.name), tab.label):
                continue  # these rows would give these very bytes (written_labels)
            for row in tab.rows:
                if len(row) != len(layout.headers):
                    raise SheetError(
                        f"{tab.name}: 行の列数 {len(row)} が見出しの数"
                        f" {len(layout.headers)} と合いません"
                    )
            reported = len(self.last_problems)
            records = self._merge(layout, tab.rows, self._load(layout))
            fixed = len(self.last_problems) == reported and unique_keys(layout, tab.rows)
            data = self._replace(path, records)
            self.written.record(path, tab.label if fixed else "", data)
            at = digest(data)  # its parse kept, the next read (of these bytes) need not parse
            if self._kept.get(path) != at and self.parsed.keep_written(
                layout, path, records, data, at
            ):
                self._kept[path] = at
            crash_point("mid_sheet_write")  # some tabs new, the others still old
        self.written.save()

    def clear_columns(self, columns: Mapping[str, Sequence[str]]) -> int:
        """Blank the named columns of every row (a purge: staff columns that may hold
        personal data); the rest of each file stays as it is. Returns cells cleared."""
        cleared = 0
        for tab, names in columns.items():
            layout = self.layouts.get(tab)
            loaded = self._load(layout) if layout is not None else None
            if layout is None or loaded is None:
                continue
            records = [[*layout.headers, *loaded.extra_headers]]
            for row in loaded.rows:
                cleared += sum(1 for c in names if row.cells.get(c))
                cells = {**row.cells, **{c: "" for c in names if c in row.cells}}
                records.append(
                    [_render(cells[h]) for h in layout.headers]
                    + [_render(row.extra.get(h, "")) for h in loaded.extra_headers]
                )
            self._replace(self.path(tab), records)
        return cleared

    def _merge(
        self,
        layout: TabLayout,
        given: Sequence[Sequence[str | int]],
        current: TabFile | None,
    ) -> list[list[str]]:
        """The file's new records: the header, the given rows, then kept staff rows."""
        current = current or TabFile()
        if not layout.key:
            return [list(layout.headers), *([_render(v) for v in row] for row in given)]
        if current.key_missing and any(r.has_staff_content(layout) for r in current.rows):
            raise SheetFormatError(
                f"{self.path(layout.name)} に列「{_names(layout.key)}」がないため、"
                f"スタッフ記入欄を行に対応づけられません。列名を元に戻してください"
            )
        positions = [layout.headers.index(k) for k in layout.key]
        by_key: dict[tuple[str, ...], FileRow] = {}
        for row in [] if current.key_missing else current.rows:
            if layout.keyed(row.key):
                by_key.setdefault(row.key, row)
        extras = current.extra_headers
        out: list[list[str]] = [[*layout.headers, *extras]]
        written: set[tuple[str, ...]] = set()
        render = _renderer()
        cleaners = [(i, cleaner(layout.headers[i])) for i in positions]
        staff = [h in layout.staff for h in layout.headers]
        for values in given:
            key = tuple(clean(str(values[i])) for i, clean in cleaners)
            found = by_key.get(key)
            cells = [
                (found.cells[h] if found else "") if is_staff else value
                for h, value, is_staff in zip(layout.headers, values, staff, strict=True)
            ]
            kept = [found.extra.get(h, "") if found else "" for h in extras]
            out.append([render(v) for v in [*cells, *kept]])
            written.add(key)
        for row in current.rows:
            if by_key.get(row.key) is row and row.key in written:
                continue
            if by_key.get(row.key) is row and row.has_daemon_content(layout):
                # SPEC §5: the row of a key that left the projection goes, as on Google;
                # what staff typed in it is reported, never applied to another row
                typed = layout.staff_filled(row.cells)
                if typed:
                    self.last_problems.append(removed_row_message(layout.name, row.key, typed))
                continue
            if not row.has_staff_content(layout):
                continue  # an old projection of ours: nothing of staff's to keep
            out.append(
                [_render(row.cells[h]) for h in layout.headers]
                + [_render(row.extra.get(h, "")) for h in extras]
            )
            self.last_problems.append(_kept_message(layout, row, by_key))
        return out

    def _load(self, layout: TabLayout) -> TabFile | None:
        path = self.path(layout.name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SheetError(f"{path} を読めません (cannot read): {exc.strerror}") from exc
        known, at = self._files.get(path), digest(data)
        if known is not None and known[0] == at:
            return known[1]
        kept = self.parsed.get(layout, at)  # these very bytes parsed before (parsed_tabs)
        if kept is not None:
            self._files[path], self._kept[path] = (at, kept), at
            return kept
        try:
            records = list(csv.reader(io.StringIO(decode_text(data, path), newline="")))
        except csv.Error as exc:
            raise SheetFormatError(
                f"{path} は CSV として読めません (not a CSV file): {exc}"
            ) from exc
        loaded = parse(layout, records)
        self._files[path] = (at, loaded)
        if layout.name in self.parsed.stale and self.parsed.keep(layout, at, loaded):
            self.parsed.stale.discard(layout.name)  # none was usable: kept, as a write does
            self._kept[path] = at
        return loaded

    def _replace(self, path: Path, records: list[list[str]]) -> bytes:
        """Write ``records`` to ``path`` atomically: a reader sees the old file or the new.
        Bytes the file holds already (as the write's read found it) are not written
        again. The parse is dropped either way: the next cycle reads the file afresh
        (staff may edit it), and a cycle's memory does not keep every tab's rows."""
        data = excel_csv(records)
        known = self._files.pop(path, None)
        if known is not None and known[0] == digest(data) and _holds(path, data):
            return data
        try:
            write_atomically(path, data)
        except OSError as exc:
            raise SheetError(_cannot_write(path, exc)) from exc
        return data


_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_HELD_OPEN = {errno.EACCES, errno.EPERM, errno.EBUSY}  # how Windows refuses a file Excel has open


def _cannot_write(path: Path, exc: OSError) -> str:
    """What staff can do about a tab file that cannot be written: the hint fits the cause."""
    if exc.errno in _DISK_FULL:
        return (
            f"{path} に書き込めません。ディスクの空きが足りません。不要なファイルを削除して"
            f"空きを作ってください (cannot write: the disk is full)"
        )
    if exc.errno in _HELD_OPEN:
        return (
            f"{path} に書き込めません。Excel で開いている場合は閉じてください "
            f"(cannot write): {exc.strerror}"
        )
    return f"{path} に書き込めません (cannot write): {exc.strerror}"


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def _renderer() -> Callable[[str | int], str]:
    """``_render``, remembered per text: a tab repeats the same dates, labels and names."""
    memo: dict[str, str] = {}

    def render(value: str | int) -> str:
        if type(value) is not str:
            return _render(value)
        out = memo.get(value)
        if out is None:
            out = memo[value] = _render(value)
        return out

    return render


def _render(value: str | int) -> str:
    value = sheet_value(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return formula_safe(value)


def _first_rows(layout: TabLayout, loaded: TabFile) -> list[StaffRow]:
    return read_rows(layout, loaded)[0]


def _names(headers: Sequence[str]) -> str:
    return "・".join(headers)


def _kept_message(layout: TabLayout, row: FileRow, by_key: dict[tuple[str, ...], FileRow]) -> str:
    where = f"{layout.name}: {row.row_no}行目"
    if not layout.keyed(row.key):
        return f"{where}({_names(layout.key)}なし)はスタッフ記入欄があるため末尾に残しました"
    label = " ".join(row.key)
    if by_key.get(row.key) is not row:
        return f"{where}は {label} の2つ目の行です。スタッフ記入欄があるため末尾に残しました"
    return (
        f"{where}の {label} は bansou-sync の記録にありません。"
        f"スタッフ記入欄があるため末尾に残しました"
    )
