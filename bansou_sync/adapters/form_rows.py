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

A damaged table is never judged as if it were true (issue 10 §3): a header that lacks a
question the rules need, or holds one of their titles twice, refuses the whole read
(``require_columns``); a row cut short (an export interrupted mid-row) is held — not
judged, not recorded, reported — until a complete one arrives; every answer is made
safe with ``core.untrusted.clean_answer`` (controls removed, an oversized answer cut
with a visible marker and the response flagged); and each response carries a digest of
its answers, so the same 回答ID with other answers is an edit.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from operator import itemgetter
from typing import cast
from zoneinfo import ZoneInfo

from bansou_sync.adapters.form_fields import FORM_TITLES
from bansou_sync.core.form_questions import Question, check_columns, column_problem
from bansou_sync.core.model import Answer, RawResponse
from bansou_sync.core.untrusted import MAX_ANSWER_CHARS, clean_answer
from bansou_sync.errors import SourceUnavailable

log = logging.getLogger(__name__)

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


def require_columns(
    form: str,
    header: Sequence[str],
    titles_by_form: Mapping[str, Mapping[str, str]],
    where: str,
) -> None:
    """Refuse (``SourceUnavailable``, one line) a header the rules cannot be judged on:
    a needed question missing, a title read by a field (or the timestamp) held twice."""
    cleaned = [normalise_header(cell) for cell in header]
    check = check_columns(form, [Question(h, h, "column") for h in cleaned], titles_by_form)
    stamps = [h for h in cleaned if h.casefold() in TIMESTAMP_HEADERS]
    if len(stamps) > 1:
        check = replace(check, duplicated=(stamps[0], *check.duplicated))
    if not check.ok:
        titles = titles_by_form.get(form, {})
        raise SourceUnavailable(column_problem(check, titles, where, FORM_TITLES))


def clean_answers(answers: Mapping[str, Answer]) -> tuple[dict[str, Answer], tuple[str, ...]]:
    """Every answer through the one sanitiser; the fields whose answer had to be cut.

    Most responses hold nothing to clean: one test for all their texts (C-speed joins)
    gives the same answers back without a call per answer (a backfill reads 60,000)."""
    texts = [
        v for value in answers.values() for v in (value if isinstance(value, tuple) else (value,))
    ]
    if _clean_already(texts):
        return dict(answers), ()
    cleaned: dict[str, Answer] = {}
    cut: list[str] = []
    for name, value in answers.items():
        if isinstance(value, tuple):
            parts = [clean_answer(v) for v in value]
            cleaned[name] = tuple(text for text, _ in parts)
            if any(was_cut for _, was_cut in parts):
                cut.append(name)
        else:
            cleaned[name], was_cut = clean_answer(value)
            if was_cut:
                cut.append(name)
    return cleaned, tuple(cut)


def _clean_already(texts: Collection[str]) -> bool:
    """``clean_answer`` would give each of ``texts`` back unchanged and uncut: nothing
    in them but printable characters, line feeds and tabs (which ``cell_text`` keeps),
    none longer than the limit."""
    joined = "".join(texts).replace("\n", "").replace("\t", "")
    return joined.isprintable() and max(map(len, texts), default=0) <= MAX_ANSWER_CHARS


def _row_answers(
    row: Sequence[str], columns: Sequence[tuple[str, int]]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """A row's answers, cleaned. Most rows hold nothing to clean: one test for the row
    instead of one call per answer (a 60,000-row export is read every cycle)."""
    answers = {name: _cell(row, col) for name, col in columns}
    if _clean_already(answers.values()):
        return answers, ()
    cleaned, cut = clean_answers(answers)
    return {name: str(text) for name, text in cleaned.items()}, cut


def fingerprint(answers: Mapping[str, str]) -> str:
    """A short digest of a row's answers: the same response with other answers is an
    edit. Blank answers are left out, so a question mapped later (blank in earlier rows)
    changes no earlier response's digest. (C-level joins: 60,000 rows every cycle.)"""
    pairs = filter(itemgetter(1), sorted(answers.items()))
    text = "\x1d".join(map("\x1e".join, pairs))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def responses_from_rows(
    form: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    titles: Mapping[str, str],
    label: str,
    *,
    cut_short: int | None = None,
    first_row: int = 2,
    seen: Counter[str] | None = None,
) -> tuple[list[RawResponse], list[str]]:
    """(responses, problems) of the data ``rows`` under ``header`` (row 1 of the table).

    ``cut_short``: the index in ``rows`` of a row known to be cut (an export that ends
    mid-row); it is held: left out and reported, to be read when a whole one arrives.
    The caller has checked that ``header`` has a timestamp column. ``first_row`` and
    ``seen`` continue an earlier read of the rows above (``rows`` are the ones that
    follow): the row number of ``rows[0]``, and how often each timestamp occurred so far
    (updated here), so that 回答ID and row numbers are those of a read of the whole table."""
    stamp_col = timestamp_column(header)
    assert stamp_col is not None
    columns = field_columns(header, titles)
    by_column = sorted(columns.items())
    problems: list[str] = []
    seen = Counter() if seen is None else seen
    responses: list[RawResponse] = []
    for index, row in enumerate(rows):
        row_no = index + first_row
        if not any(str(cell).strip() for cell in row):
            continue
        raw_stamp = str(row[stamp_col]) if stamp_col < len(row) else ""
        moment = parse_timestamp(raw_stamp)
        if index == cut_short:
            when = canonical(moment) if moment is not None else "不明 / unknown"
            log.warning("%s: row %d (timestamp %s) is cut short: held", form, row_no, when)
            problems.append(
                f"{label}: {row_no}行目 (タイムスタンプ {when}) は途中で切れているため判定せず"
                f"保留しました。完全な回答が届いたら判定します / row {row_no} is cut short: "
                f"held, not judged; it is judged when a complete export arrives"
            )
            continue
        if moment is None:
            why = "読めません" if raw_stamp.strip() else "空です"
            problems.append(
                f"{label}: {row_no}行目のタイムスタンプが{why}。この行は読み飛ばしました"
                f" / row {row_no}: unreadable timestamp, row skipped"
            )
            continue
        stamp = canonical(moment)
        seen[stamp] += 1
        answers, cut = _row_answers(row, by_column)
        response_id = f"{stamp}#{seen[stamp]}"
        if cut:
            log.warning("%s: row %d (回答ID %s): answers cut: %s", form, row_no, response_id, cut)
        responses.append(
            RawResponse(
                form=form,
                response_id=response_id,
                submitted_at=moment,
                last_submitted_at=moment,
                answers=cast("dict[str, Answer]", answers),  # text only: no copy
                fingerprint=fingerprint(answers),
                cut=cut,
            )
        )
    return responses, problems


def _cell(row: Sequence[str], index: int) -> str:
    return str(row[index]).replace("\r\n", "\n") if index < len(row) else ""
