"""The 操作 tab (issue 13 §4): staff ask for the monthly outputs without a terminal.

request   One row of 操作: 種類 (振込ファイル / 宛名ラベル / 報告書), its parameters
          (対象日; 開始月, 終了月, 形式) and the 依頼 tick. The row's key is what it asks
          for — every column staff type except the tick — so a sort never moves an
          outcome onto another request, and a changed row is a new request.
record    What the ledger remembers of one key (``State.flags``, ``operation|…``): whether
          its tick was last read ticked, and the outcome shown in 状態・結果・処理日時.
acting    A request acts once: in the first cycle that reads its tick ticked while the
          record says it was not (no record yet, or the tick was read unticked since).
          Leaving the tick does nothing more; unticking it, then ticking it again in a
          later cycle, asks again.
rebuilt   A ledger that remembers no request at all beside rows that show an outcome
          was lost (SPEC §7: rebuilt from the sheet, nothing done twice): those rows'
          outcomes are taken as the records, and nothing is made for them again.

Everything here is pure: rows in, requests and rows out. Making the files is the app's
(``app.operations``), where the outputs go the shell's.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bansou_sync.core import normalize as n
from bansou_sync.core.calendar import stamp
from bansou_sync.core.model import Problem
from bansou_sync.core.staff import unread_tick
from bansou_sync.core.tabs import OPERATION_KINDS, OPERATION_TICK, OPERATIONS
from bansou_sync.core.untrusted import one_line

PAYMENT_FILES, LABELS, REPORT = OPERATION_KINDS
DONE, FAILED = "処理済", "エラー"
FORMATS = ("html", "xlsx", "pdf")
FLAG_PREFIX = "operation|"

Key = tuple[str, ...]
_MONTH = re.compile(r"(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?")


@dataclass(frozen=True)
class Record:
    ticked: bool  # the 依頼 tick as last read
    state: str = ""  # DONE, FAILED, or "" (never acted on)
    result: str = ""  # where the files are, or why not (staff language)
    at: str = ""  # when it acted, YYYY-MM-DD HH:MM (JST)
    batch: str = ""  # 振込ファイル made: the pay date of its batch (a second one is warned of)


@dataclass(frozen=True)
class Request:
    key: Key
    kind: str  # one of OPERATION_KINDS, or "" when 種類 is not one of them
    day: date | None = None  # 振込ファイル: 締め日 or 支払予定日; 宛名ラベル: the files' date
    start: str = ""  # 報告書: first support month, YYYY-MM ("": period.start)
    end: str = ""  # last support month ("": period.end)
    fmt: str = "html"
    problem: str = ""  # why it cannot be made as asked ("": it can)


@dataclass(frozen=True)
class Row:
    request: Request
    tick: bool | None  # None: the 依頼 cell is not understood as a tick
    shown: tuple[str, str, str] = ("", "", "")  # 状態, 結果, 処理日時 as read (full reads)


@dataclass
class OperationsPlan:
    to_make: list[Request] = field(default_factory=list)
    records: dict[Key, Record] = field(default_factory=dict)  # changed records (ticks)
    problems: list[str] = field(default_factory=list)


def flag_name(key: Key) -> str:
    digest = hashlib.sha256("\x1f".join(key).encode("utf-8")).hexdigest()[:24]
    return f"{FLAG_PREFIX}{digest}"


def flag_value(key: Key, record: Record) -> str:
    return json.dumps(
        {
            "key": list(key),
            "ticked": record.ticked,
            "state": record.state,
            "result": record.result,
            "at": record.at,
            "batch": record.batch,
        },
        ensure_ascii=False,
    )


def records(flags: Mapping[str, str]) -> dict[Key, Record]:
    """Every request the ledger remembers, by key."""
    found: dict[Key, Record] = {}
    for name, value in flags.items():
        if not name.startswith(FLAG_PREFIX):
            continue
        try:
            data = json.loads(value)
            key = tuple(str(cell) for cell in data["key"])
            found[key] = Record(
                bool(data["ticked"]),
                str(data.get("state", "")),
                str(data.get("result", "")),
                str(data.get("at", "")),
                str(data.get("batch", "")),
            )
        except (ValueError, KeyError, TypeError):
            continue  # not one of ours: left alone
    return found


def _shown(raw: str) -> str:
    return one_line(raw)[:20]


def month(raw: str) -> str | None:
    """``2022-06``, ``2022/6``, ``2022年6月`` → ``2022-06``; None when not a month."""
    text = unicodedata.normalize("NFKC", raw).strip()
    found = _MONTH.fullmatch(text)
    if found is None or not 1 <= int(found[2]) <= 12:
        return None
    return f"{found[1]}-{int(found[2]):02d}"


def report_format(raw: str) -> str | None:
    text = n.fold(raw).casefold()
    if not text:
        return "html"
    text = {"excel": "xlsx", "エクセル": "xlsx", "xls": "xlsx"}.get(text, text)
    return text if text in FORMATS else None


def read_request(cells: Mapping[str, str]) -> Request:
    """One 操作 row as a request (its parameters read, or why they cannot be)."""
    key = tuple(str(cells.get(h, "")).strip() for h in OPERATIONS.key)
    raw_kind, raw_day, raw_start, raw_end, raw_fmt = key
    kind = unicodedata.normalize("NFKC", raw_kind).strip()
    if kind not in OPERATION_KINDS:
        return Request(
            key,
            "",
            problem=f"種類「{_shown(raw_kind)}」は {'・'.join(OPERATION_KINDS)} のどれかを選んで"
            f"ください / 種類 must be one of {', '.join(OPERATION_KINDS)}",
        )
    day = n.read_date(raw_day) if raw_day else None
    if isinstance(day, Problem):
        return Request(
            key,
            kind,
            problem=f"対象日「{_shown(raw_day)}」を日付として読めません(例 2022-07-20)"
            f" / 対象日 is not a date (e.g. 2022-07-20)",
        )
    if kind == PAYMENT_FILES and day is None:
        return Request(
            key,
            kind,
            problem="振込ファイルには対象日(締め日か支払予定日。例 2022-07-20)を入力してください"
            " / 振込ファイル needs 対象日: the batch's 締め日 or 支払予定日",
        )
    if kind != REPORT:
        return Request(key, kind, day=day)
    start, end = (month(raw) if raw else "" for raw in (raw_start, raw_end))
    fmt = report_format(raw_fmt)
    for value, raw, column in ((start, raw_start, "開始月"), (end, raw_end, "終了月")):
        if value is None:
            return Request(
                key,
                kind,
                problem=f"{column}「{_shown(raw)}」を年月として読めません(例 2022-06)"
                f" / {column} is not a month (e.g. 2022-06)",
            )
    if fmt is None:
        return Request(
            key,
            kind,
            problem=f"形式「{_shown(raw_fmt)}」は html・xlsx・pdf のどれかです(空欄は html)"
            f" / 形式 must be html, xlsx or pdf (blank: html)",
        )
    if start and end and start > end:
        return Request(
            key,
            kind,
            problem=f"開始月 {start} が終了月 {end} より後です / 開始月 is after 終了月",
        )
    return Request(key, kind, day=day, start=start or "", end=end or "", fmt=fmt)


def read_rows(rows: Iterable[Mapping[str, str]]) -> tuple[list[Row], list[str]]:
    """The keyed rows of 操作 (the sheet adapters give one row per key), and the 同期
    lines for ticks that cannot be read."""
    found: list[Row] = []
    problems: list[str] = []
    seen: set[Key] = set()
    for cells in rows:
        request = read_request(cells)
        if not OPERATIONS.keyed(request.key) or request.key in seen:
            continue
        seen.add(request.key)
        raw_tick = cells.get(OPERATION_TICK)
        tick = n.read_tick(raw_tick)
        if tick is None:
            label = " ".join(c for c in request.key if c)
            problems.append(unread_tick(OPERATIONS.name, label, OPERATION_TICK, raw_tick))
        shown = (cells.get("状態", ""), cells.get("結果", ""), cells.get("処理日時", ""))
        found.append(Row(request, tick, (shown[0].strip(), shown[1], shown[2].strip())))
    return found, problems


def plan_operations(rows: Sequence[Row], known: Mapping[Key, Record]) -> OperationsPlan:
    """Which requests act this cycle, and the records whose tick changed."""
    plan = OperationsPlan()
    lost = not known  # no record at all: outcomes the sheet shows are taken, not redone
    for row in rows:
        key = row.request.key
        record = known.get(key)
        state, result, at = row.shown
        if lost and state in (DONE, FAILED):
            plan.records[key] = Record(bool(row.tick), state, result, at)
            continue
        if row.tick is None:
            continue  # not understood: nothing changes (the 同期 line says why)
        if row.tick and (record is None or not record.ticked):
            plan.to_make.append(row.request)
        elif not row.tick and record is not None and record.ticked:
            plan.records[key] = replace(record, ticked=False)  # a new tick asks again
    return plan


def outcome(ok: bool, result: str, now: datetime, batch: str = "") -> Record:
    state = DONE if ok else FAILED
    return Record(ticked=True, state=state, result=result, at=stamp(now), batch=batch)


def made_before(known: Mapping[Key, Record], pay_date: date) -> bool:
    """Were the payment files of this pay date made before, by another request? (On
    Drive a second copy is a new file: the row must warn of paying twice.)"""
    return any(r.state == DONE and r.batch == pay_date.isoformat() for r in known.values())


def tab_rows(rows: Sequence[Row], known: Mapping[Key, Record]) -> list[list[str | int]]:
    """The 操作 tab: each row read, with its outcome (staff columns are never written)."""
    out: list[list[str | int]] = []
    for row in rows:
        record = known.get(row.request.key)
        daemon = [record.state, record.result, record.at] if record else ["", "", ""]
        out.append([*row.request.key, "", *daemon])
    return out


def pay_date_for(day: date, batches: Iterable[tuple[date, date]]) -> date | str:
    """The pay date of the batch ``day`` names — its 支払予定日 or its 締め日 — among
    ``batches`` (支払予定日, 締め日); else the reason, in staff language."""
    pairs = sorted(set(batches))
    if any(pay == day for pay, _ in pairs):
        return day
    by_cutoff = sorted(pay for pay, cutoff in pairs if cutoff == day)
    if by_cutoff:
        return by_cutoff[0]
    known = ", ".join(sorted({f"{c.isoformat()}→{p.isoformat()}" for p, c in pairs})) or "なし"
    return (
        f"対象日 {day.isoformat()} の支払はありません。支払タブの締め日か支払予定日を入力して"
        f"ください(締め日→支払予定日: {known}) / no payment batch has that 締め日 or 支払予定日"
    )
