"""Responses from a Google Forms CSV export (the embedded default source, SPEC §7).

A CSV export has no response ID and an edit rewrites the row's timestamp (SPEC §4), so
回答ID is the timestamp in canonical JST form plus its occurrence number among rows
with the same timestamp, in file order: ``2022-06-01 10:00:00#1``.

Timestamps are accepted as the export writes them (JST wall time, ``2022/06/01
10:00:00``), as the Forms UI download writes them (``2022/06/01 午後 3:04:05 GMT+9``:
12-hour clock, offset honoured) and as ISO 8601 (no offset means JST). Excel's re-save
without seconds (``2022/6/1 10:00``) is read too. A row whose timestamp cannot be read
is skipped and listed in ``problems`` (row number and why, never answer contents).

Answers stay strings exactly as in the cell (checkbox cells too: the core splits
``", "``), except that CR LF inside a quoted multi-line answer becomes LF.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from bansou_sync.adapters.form_fields import FORM_TITLES, TITLES_BY_FORM
from bansou_sync.adapters.textfile import read_text
from bansou_sync.core.model import Answer, RawResponse
from bansou_sync.errors import SourceUnavailable
from bansou_sync.ports import ResponseSource

TOKYO = ZoneInfo("Asia/Tokyo")
TIMESTAMP_HEADERS = ("タイムスタンプ", "timestamp")

_WALL_TIME = re.compile(
    r"(?P<y>\d{4})[/-](?P<mo>\d{1,2})[/-](?P<d>\d{1,2})[ T]+"
    r"(?P<ampm1>午前|午後|AM|PM)?\s*"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<frac>\d{1,6}))?)?\s*"
    r"(?P<ampm2>午前|午後|AM|PM)?\s*"
    r"(?:(?P<gmt>GMT|UTC)(?P<gmt_offset>[+-]\d{1,2}(?::?\d{2})?)?|(?P<offset>Z|[+-]\d{2}:?\d{2}))?",
    re.IGNORECASE,
)


def normalise_header(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_timestamp(text: str) -> datetime | None:
    """A form timestamp as an aware Asia/Tokyo datetime, or None when unreadable."""
    text = normalise_header(text)
    match = _WALL_TIME.fullmatch(text)
    try:
        if match is None:
            parsed = datetime.fromisoformat(text)
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=TOKYO)).astimezone(TOKYO)
        wall = datetime(
            int(match.group("y")),
            int(match.group("mo")),
            int(match.group("d")),
            _hour(match),
            int(match.group("mi")),
            int(match.group("s") or 0),
            int((match.group("frac") or "0").ljust(6, "0")),
            tzinfo=_zone(match),
        )
    except ValueError:
        return None
    return wall.astimezone(TOKYO)


def canonical(moment: datetime) -> str:
    return moment.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")


def _hour(match: re.Match[str]) -> int:
    hour = int(match.group("h"))
    marks = [m.upper() for m in (match.group("ampm1"), match.group("ampm2")) if m]
    if not marks:
        return hour
    if len(marks) > 1 or not 1 <= hour <= 12:
        raise ValueError("12-hour clock out of range")
    return hour % 12 + (12 if marks[0] in ("午後", "PM") else 0)


def _zone(match: re.Match[str]) -> tzinfo:
    """The offset written after the time (``GMT+9``, ``+09:00``, ``Z``); JST when none."""
    text = match.group("gmt_offset") or match.group("offset")
    if text is None:
        return UTC if match.group("gmt") else TOKYO
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = (digits, "0") if len(digits) <= 2 else (digits[:-2], digits[-2:])
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


class CsvSource(ResponseSource):
    """``ResponseSource`` over one Google Forms CSV export per form."""

    def __init__(
        self,
        paths: Mapping[str, Path],
        titles: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.paths = {form: Path(path) for form, path in paths.items()}
        self.titles = dict(titles) if titles is not None else dict(TITLES_BY_FORM)
        self._problems: dict[str, list[str]] = {}

    @property
    def problems(self) -> list[str]:
        """Rows skipped by the latest ``fetch`` of each form, for the 同期 tab."""
        return [p for form in self._problems for p in self._problems[form]]

    def close_form(self, form: str) -> bool:
        return False  # an export cannot stop the form; staff are asked to close it

    incremental = False  # an export always holds every response

    def fetch(self, form: str, since: datetime | None = None) -> list[RawResponse]:
        path = self.paths.get(form)
        if path is None:
            raise SourceUnavailable(f"フォーム {form} の回答CSVファイルが設定されていません")
        records = self._records(path)
        header = [normalise_header(cell) for cell in records[0]]
        stamp_col = next(
            (i for i, h in enumerate(header) if h.casefold() in TIMESTAMP_HEADERS), None
        )
        if stamp_col is None:
            raise SourceUnavailable(
                f"回答ファイル {path} の1行目に「タイムスタンプ」列がありません。"
                f"Google フォームの回答CSVを指定してください "
                f"({path.name} has no タイムスタンプ/Timestamp column)"
            )
        columns = self._columns(form, header)
        label = f"{FORM_TITLES.get(form, form)} ({path.name})"
        problems: list[str] = []
        seen: Counter[str] = Counter()
        responses: list[RawResponse] = []
        for row_no, row in enumerate(records[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            raw_stamp = row[stamp_col] if stamp_col < len(row) else ""
            moment = parse_timestamp(raw_stamp)
            if moment is None:
                why = "読めません" if raw_stamp.strip() else "空です"
                problems.append(
                    f"{label}: {row_no}行目のタイムスタンプが{why}。この行は読み飛ばしました"
                )
                continue
            stamp = canonical(moment)
            seen[stamp] += 1
            answers: dict[str, Answer] = {name: _cell(row, col) for name, col in columns.items()}
            responses.append(
                RawResponse(
                    form=form,
                    response_id=f"{stamp}#{seen[stamp]}",
                    submitted_at=moment,
                    last_submitted_at=moment,
                    answers=answers,
                )
            )
        self._problems[form] = problems
        return responses

    def _records(self, path: Path) -> list[list[str]]:
        try:
            text = read_text(path, error=SourceUnavailable)
            records = list(csv.reader(io.StringIO(text, newline="")))
        except FileNotFoundError as exc:
            raise SourceUnavailable(
                f"回答ファイル {path} がありません (response file not found)"
            ) from exc
        except OSError as exc:
            raise SourceUnavailable(
                f"回答ファイル {path} を読めません (cannot read response file): {exc.strerror}"
            ) from exc
        except csv.Error as exc:
            raise SourceUnavailable(
                f"回答ファイル {path} は CSV として読めません (not a CSV file): {exc}"
            ) from exc
        if not records or not any(cell.strip() for cell in records[0]):
            raise SourceUnavailable(
                f"回答ファイル {path} に見出し行がありません (empty response file)"
            )
        return records

    def _columns(self, form: str, header: list[str]) -> dict[str, int]:
        """Field name → column index, by exact title; absent questions are left out."""
        first: dict[str, int] = {}
        for index, title in enumerate(header):
            first.setdefault(title, index)
        columns: dict[str, int] = {}
        for name, title in self.titles.get(form, {}).items():
            column = first.get(normalise_header(title))
            if column is not None:
                columns[name] = column
        return columns


def _cell(row: list[str], index: int) -> str:
    return row[index].replace("\r\n", "\n") if index < len(row) else ""
