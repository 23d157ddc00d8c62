"""Rows of a form's responses table → ``RawResponse``: shared by the CSV export and the
linked responses Sheet, which hold the same table (SPEC §4, §7).

Neither has a response ID and an edit rewrites the row's timestamp, so 回答ID is the
timestamp in canonical JST form plus its occurrence number among rows with the same
timestamp, in table order: ``2022-06-01 10:00:00#1``. Row numbers are never part of it,
so staff sorting or deleting rows of a linked Sheet changes no ID (except between rows
sharing one timestamp). A row whose timestamp cannot be read is skipped and reported
(row number and why, never answer contents).

Timestamps are read as the export writes them (JST wall time ``2022/06/01 10:00:00``), as
a Sheet formats them, as the Forms UI download writes them (``2022/06/01 午後 3:04:05
GMT+9``: offset honoured), as ISO 8601 (no offset: JST) and as Excel re-saves them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from bansou_sync.core.model import Answer, RawResponse

TIMESTAMP_HEADERS = ("タイムスタンプ", "timestamp")
TOKYO = ZoneInfo("Asia/Tokyo")

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


def timestamp_column(header: Sequence[str]) -> int | None:
    """The index of the タイムスタンプ/Timestamp column of a header row, or None."""
    cleaned = [normalise_header(cell).casefold() for cell in header]
    return next((i for i, h in enumerate(cleaned) if h in TIMESTAMP_HEADERS), None)


def field_columns(header: Sequence[str], titles: Mapping[str, str]) -> dict[str, int]:
    """Field name → column index, by exact title (NFKC, trimmed); absent questions left out."""
    first: dict[str, int] = {}
    for index, title in enumerate(header):
        first.setdefault(normalise_header(title), index)
    columns: dict[str, int] = {}
    for name, title in titles.items():
        column = first.get(normalise_header(title))
        if column is not None:
            columns[name] = column
    return columns


def responses_from_rows(
    form: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    titles: Mapping[str, str],
    label: str,
) -> tuple[list[RawResponse], list[str]]:
    """(responses, problems) of the data ``rows`` under ``header`` (row 1 of the table).

    The caller has checked that ``header`` has a timestamp column."""
    stamp_col = timestamp_column(header)
    assert stamp_col is not None
    columns = field_columns(header, titles)
    problems: list[str] = []
    seen: Counter[str] = Counter()
    responses: list[RawResponse] = []
    for row_no, row in enumerate(rows, start=2):
        if not any(str(cell).strip() for cell in row):
            continue
        raw_stamp = str(row[stamp_col]) if stamp_col < len(row) else ""
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
    return responses, problems


def _cell(row: Sequence[str], index: int) -> str:
    return str(row[index]).replace("\r\n", "\n") if index < len(row) else ""
