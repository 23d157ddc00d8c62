"""Responses from a Google Forms CSV export (the embedded default source, SPEC §7).

A CSV export has no response ID and an edit rewrites the row's timestamp (SPEC §4), so
回答ID is the timestamp in canonical JST form plus its occurrence number among rows
with the same timestamp, in file order: ``2022-06-01 10:00:00#1``.

Timestamps are accepted as the export writes them (JST wall time, ``2022/06/01
10:00:00``), as the Forms UI download writes them (``2022/06/01 午後 3:04:05 GMT+9``:
12-hour clock, offset honoured) and as ISO 8601 (no offset means JST). Excel's re-save
without seconds (``2022/6/1 10:00``) is read too. A row whose timestamp cannot be read
is skipped and listed in ``problems`` (row number and why, never answer contents).

A damaged export is not judged as if it were true (issue 10 §3): the same file given for
both forms, or a header lacking a question the rules need, refuses the read; the last
row cut short (a quote left open at the end of the file, or no line break after it) is
held until a complete export arrives; a stray control character or a few
bytes that are not UTF-8 do not refuse the file (the answers are cleaned, the rows with
replaced bytes named).

Answers stay strings exactly as in the cell (checkbox cells too: the core splits
``", "``), except that CR LF inside a quoted multi-line answer becomes LF. The table →
responses part is shared with the linked responses Sheet (``form_rows``).

An export whose bytes are those of the last complete read is not parsed again, and one
that only grew is parsed from where that read ended (``export_cache``): either gives
exactly what a whole read gives.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from bansou_sync.adapters.atomic import digest
from bansou_sync.adapters.export_cache import ExportCache, ExportRead, mapping_key
from bansou_sync.adapters.form_fields import FORM_TITLES, TITLES_BY_FORM
from bansou_sync.adapters.form_rows import (
    TIMESTAMP_HEADERS,
    TOKYO,
    canonical,
    normalise_header,
    parse_timestamp,
    require_columns,
    responses_from_rows,
    timestamp_column,
)
from bansou_sync.adapters.textfile import decode_export
from bansou_sync.core.model import RawResponse
from bansou_sync.errors import SourceUnavailable
from bansou_sync.ports import ResponseSource

__all__ = [
    "TIMESTAMP_HEADERS",
    "TOKYO",
    "CsvSource",
    "canonical",
    "ends_inside_quotes",
    "export_rows",
    "normalise_header",
    "parse_timestamp",
]


class CsvSource(ResponseSource):
    """``ResponseSource`` over one Google Forms CSV export per form."""

    def __init__(
        self,
        paths: Mapping[str, Path],
        titles: Mapping[str, Mapping[str, str]] | None = None,
        cache_path: Path | None = None,
    ) -> None:
        self.paths = {form: Path(path) for form, path in paths.items()}
        self.titles = dict(titles) if titles is not None else dict(TITLES_BY_FORM)
        self._problems: dict[str, list[str]] = {}
        # the last complete read of each export: a read parses only what changed since
        self._kept = ExportCache(cache_path)

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
        self._refuse_shared_file(form, path)
        data = self._bytes(path)
        mapping = mapping_key(path, self.titles.get(form, {}))
        kept = self._kept.get(form, mapping)
        if kept is not None and kept.same_bytes(data):
            self._problems[form] = list(kept.problems)
            return list(kept.responses)
        if kept is not None and kept.grown_from(data):
            grown = self._read_grown(form, path, data, kept)
            if grown is not None:
                return grown
        return self._read_whole(form, path, data, mapping)

    def _read_whole(self, form: str, path: Path, data: bytes, mapping: str) -> list[RawResponse]:
        records, replaced, cut_short, utf8 = self._records(path, data)
        header = records[0]
        if timestamp_column(header) is None:
            raise SourceUnavailable(
                f"回答ファイル {path} の1行目に「タイムスタンプ」列がありません。"
                f"Google フォームの回答CSVを指定してください "
                f"({path.name} has no タイムスタンプ/Timestamp column)"
            )
        label = f"{FORM_TITLES.get(form, form)} ({path.name})"
        require_columns(form, header, self.titles, label)
        responses, problems = responses_from_rows(
            form,
            header,
            records[1:],
            self.titles.get(form, {}),
            label,
            cut_short=cut_short,
        )
        if replaced:
            rows = [str(n) for n, row in enumerate(records, start=1) if "\ufffd" in "".join(row)]
            problems.append(
                f"{label}: 文字コードの壊れた文字 {replaced} 個を「\ufffd」に置き換えました"
                f"({', '.join(rows[:10])}行目) / {replaced} undecodable bytes replaced in rows "
                f"{', '.join(rows[:10])}"
            )
        self._problems[form] = problems
        if utf8 and not replaced and cut_short is None and not data.endswith(b"\r"):
            self._kept.put(
                form,
                ExportRead(
                    path=str(path),
                    mapping=mapping,
                    size=len(data),
                    digest=digest(data),
                    header=header,
                    rows=len(records) - 1,
                    seen=_occurrences(responses),
                    responses=tuple(responses),
                    problems=tuple(problems),
                ),
            )
        return responses

    def _read_grown(
        self, form: str, path: Path, data: bytes, kept: ExportRead
    ) -> list[RawResponse] | None:
        """The kept read and the rows after its bytes, as a whole read would give them;
        None when the file is no longer plain UTF-8 (read whole then)."""
        try:
            _, replaced = decode_export(data, path, error=SourceUnavailable)
            tail = data[kept.size :].decode("utf-8")
            records = export_rows(tail)
        except (SourceUnavailable, UnicodeDecodeError, csv.Error):
            return None
        if replaced:
            return None
        cut_short = len(records) - 1 if records and _ends_mid_row(tail) else None
        label = f"{FORM_TITLES.get(form, form)} ({path.name})"
        seen = kept.seen_counter()
        new, problems = responses_from_rows(
            form,
            kept.header,
            records,
            self.titles.get(form, {}),
            label,
            cut_short=cut_short,
            first_row=kept.rows + 2,
            seen=seen,
        )
        responses = [*kept.responses, *new]
        problems = [*kept.problems, *problems]
        self._problems[form] = problems
        if cut_short is None and not data.endswith(b"\r"):
            self._kept.put(
                form,
                ExportRead(
                    path=kept.path,
                    mapping=kept.mapping,
                    size=len(data),
                    digest=digest(data),
                    header=kept.header,
                    rows=kept.rows + len(records),
                    seen=dict(seen),
                    responses=tuple(responses),
                    problems=tuple(problems),
                ),
            )
        return responses

    def _refuse_shared_file(self, form: str, path: Path) -> None:
        """The registration export given as the applications too (or the reverse)."""
        for other, other_path in self.paths.items():
            if other != form and _same_file(path, other_path):
                raise SourceUnavailable(
                    f"「{FORM_TITLES.get(form, form)}」と「{FORM_TITLES.get(other, other)}」に"
                    f"同じ回答ファイル {path.name} が指定されています。source.registrations と "
                    f"source.applications を確認してください。今回は何も判定・送信していません / "
                    f"the same file is configured for the {form} and {other} responses: "
                    f"nothing was judged or sent this cycle"
                )

    def _bytes(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise SourceUnavailable(
                f"回答ファイル {path} がありません (response file not found)"
            ) from exc
        except OSError as exc:
            raise SourceUnavailable(
                f"回答ファイル {path} を読めません (cannot read response file): {exc.strerror}"
            ) from exc

    def _records(self, path: Path, data: bytes) -> tuple[list[list[str]], int, int | None, bool]:
        """(rows, bytes replaced, index among the data rows of a last row cut short,
        whether the file is UTF-8)."""
        try:
            text, replaced = decode_export(data, path, error=SourceUnavailable)
            records = export_rows(text)
        except csv.Error as exc:
            raise SourceUnavailable(
                f"回答ファイル {path} は CSV として読めません (not a CSV file): {exc}"
            ) from exc
        if not records or not any(cell.strip() for cell in records[0]):
            raise SourceUnavailable(
                f"回答ファイル {path} に見出し行がありません (empty response file)"
            )
        return records, replaced, _cut_short(text, records), not replaced and _is_utf8(data)


FIELD_LIMIT = 2**30  # characters; the file is in memory already


def export_rows(text: str) -> list[list[str]]:
    """The rows of an export's text. One answer may be long (it is cut later, with a
    marker): the csv module's 131,072-character default would refuse the whole file."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    return list(csv.reader(io.StringIO(text, newline="")))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _occurrences(responses: list[RawResponse]) -> dict[str, int]:
    """How often each timestamp occurred among ``responses`` (回答ID ``stamp#n``)."""
    seen: dict[str, int] = {}
    for response in responses:
        stamp, _, number = response.response_id.rpartition("#")
        seen[stamp] = max(seen.get(stamp, 0), int(number))
    return seen


def _ends_mid_row(text: str) -> bool:
    return ends_inside_quotes(text) or not text.endswith(("\n", "\r"))


def _cut_short(text: str, records: list[list[str]]) -> int | None:
    """The index among the data rows of a last row the export cut off, if it did.

    Google ends every row of an export with a line break (so do Excel and LibreOffice),
    and a file cut mid-row does not: the last row is taken as cut when the file ends
    inside a quoted cell or without a line break — even with every cell there, its last
    answer may be cut mid-word, and judging it would email a volunteer about a fault
    that is not theirs. A cut exactly at a line break loses whole rows, which come with
    the next export. A short row elsewhere (Excel drops trailing blank cells) is read."""
    if len(records) < 2:
        return None
    if ends_inside_quotes(text) or not text.endswith(("\n", "\r")):
        return len(records) - 2
    return None


def ends_inside_quotes(text: str) -> bool:
    """Whether the file ends inside a quoted cell: the export was cut mid-answer.

    Read as the csv module reads (a quote opens a cell only at its start; ``""`` inside
    is a quote). A well-formed export holds an even number of quotes, so most files are
    answered without reading them character by character."""
    if text.count('"') % 2 == 0:
        return False
    quoted = closed = False
    start = True
    for ch in text:
        if quoted:
            if ch == '"':
                quoted, closed = False, True
            continue
        if ch == '"' and (start or closed):
            quoted = True
        closed = False
        start = ch in ",\r\n"
    return quoted
