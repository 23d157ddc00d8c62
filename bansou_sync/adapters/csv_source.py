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
``", "``), except that CR LF inside a quoted multi-line answer becomes LF. The table →
responses part is shared with the linked responses Sheet (``form_rows``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from bansou_sync.adapters.form_fields import FORM_TITLES, TITLES_BY_FORM
from bansou_sync.adapters.form_rows import (
    TIMESTAMP_HEADERS,
    TOKYO,
    canonical,
    normalise_header,
    parse_timestamp,
    responses_from_rows,
    timestamp_column,
)
from bansou_sync.adapters.textfile import read_text
from bansou_sync.core.model import RawResponse
from bansou_sync.errors import SourceUnavailable
from bansou_sync.ports import ResponseSource

__all__ = [
    "TIMESTAMP_HEADERS",
    "TOKYO",
    "CsvSource",
    "canonical",
    "normalise_header",
    "parse_timestamp",
]


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
        header = records[0]
        if timestamp_column(header) is None:
            raise SourceUnavailable(
                f"回答ファイル {path} の1行目に「タイムスタンプ」列がありません。"
                f"Google フォームの回答CSVを指定してください "
                f"({path.name} has no タイムスタンプ/Timestamp column)"
            )
        label = f"{FORM_TITLES.get(form, form)} ({path.name})"
        responses, problems = responses_from_rows(
            form, header, records[1:], self.titles.get(form, {}), label
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
