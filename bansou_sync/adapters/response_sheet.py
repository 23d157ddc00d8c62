"""Responses from a form's linked responses Sheet (``source: response_sheet``, SPEC §7).

The Sheet holds the same table as a CSV export: row 1 the question titles after a
タイムスタンプ/Timestamp column, one row per response, cells as the Sheet shows them
(``FORMATTED_VALUE``: ``2022/06/01 10:00:00``, ``2022/06/01``, ``10:00:00``; checkbox
answers joined with ``", "``). Rows become responses exactly as ``CsvSource`` makes them
(``form_rows``): 回答ID is the timestamp plus its occurrence number, never a row number,
so staff sorting or deleting rows changes nothing. A header lacking a question the rules
need (or holding one of their titles twice) refuses the read, as for a CSV export.

gspread with ``open_by_key`` semantics only (no Drive): the spreadsheet's metadata is
read once per process to learn the first tab's title when no worksheet is configured;
then each ``fetch`` is one ``values.get`` of the whole tab. Every call goes through
``retry.call`` with an explicit timeout; errors become ``SourceUnavailable``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import google.auth.exceptions
import gspread
import requests
from gspread.utils import absolute_range_name

from bansou_sync.adapters import retry
from bansou_sync.adapters.form_fields import FORM_TITLES, TITLES_BY_FORM
from bansou_sync.adapters.form_rows import (
    require_columns,
    responses_from_rows,
    timestamp_column,
)
from bansou_sync.adapters.google_auth import SHEETS, GoogleAccess, token_error_text
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.core.model import RawResponse
from bansou_sync.errors import SourceUnavailable
from bansou_sync.ports import ResponseSource

T = TypeVar("T")
DEFAULT_POLICY = RetryPolicy()
METADATA_FIELDS = "properties(title),sheets(properties(title,index))"


class ResponseSheetSource(ResponseSource):
    """``ResponseSource`` over one linked responses spreadsheet per form."""

    incremental = False  # the Sheet always holds every response

    def __init__(
        self,
        access: GoogleAccess,
        sheet_ids: Mapping[str, str],
        worksheets: Mapping[str, str | None] | None = None,
        titles: Mapping[str, Mapping[str, str]] | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.access = access
        self.sheet_ids = dict(sheet_ids)
        self.worksheets = dict(worksheets or {})
        self.titles = dict(titles) if titles is not None else dict(TITLES_BY_FORM)
        self.policy = policy
        self._client: gspread.Client | None = None
        self._tabs: dict[str, str] = {}  # form → the first tab's title, when none is set
        self._problems: dict[str, list[str]] = {}

    @property
    def problems(self) -> list[str]:
        """Rows skipped by the latest ``fetch`` of each form, for the 同期 tab."""
        return [p for form in self._problems for p in self._problems[form]]

    def close_form(self, form: str) -> bool:
        return False  # a Sheet cannot stop the form; staff are asked to close it

    def fetch(self, form: str, since: datetime | None = None) -> list[RawResponse]:
        sheet_id = self.sheet_ids.get(form)
        if not sheet_id:
            raise SourceUnavailable(
                f"source.{form}_sheet_id が設定されていません / source.{form}_sheet_id is not set"
            )
        values = self._values(form, sheet_id)
        if not values or not any(str(cell).strip() for cell in values[0]):
            raise SourceUnavailable(
                f"回答シート {sheet_id} に見出し行がありません / the responses sheet has no "
                f"header row (source.{form}_sheet_id, source.{form}_worksheet)"
            )
        header = [str(cell) for cell in values[0]]
        if timestamp_column(header) is None:
            raise SourceUnavailable(
                f"回答シート {sheet_id} の1行目に「タイムスタンプ」列がありません。フォームの"
                f"回答のリンク先シートを指定してください / the sheet has no タイムスタンプ/Timestamp "
                f"column: is it the form's linked responses sheet?"
            )
        rows = [[str(cell) for cell in row] for row in values[1:]]
        label = f"{FORM_TITLES.get(form, form)} (回答シート)"
        require_columns(form, header, self.titles, label)  # before anything is judged
        responses, problems = responses_from_rows(
            form, header, rows, self.titles.get(form, {}), label
        )
        self._problems[form] = problems
        return responses

    # -- internals ----------------------------------------------------------------------

    def _values(self, form: str, sheet_id: str) -> list[list[Any]]:
        configured = self.worksheets.get(form)
        tab = configured or self._first_tab(form, sheet_id)
        try:
            return self._get(form, sheet_id, tab)
        except _BadRange:
            if configured:
                raise
        # the first tab was renamed or deleted since we learnt its title: learn it again
        self._tabs.pop(form, None)
        return self._get(form, sheet_id, self._first_tab(form, sheet_id))

    def _get(self, form: str, sheet_id: str, tab: str) -> list[list[Any]]:
        http = self._gspread().http_client
        params: dict[str, Any] = {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
        reply = self._read(
            form, sheet_id, lambda: http.values_get(sheet_id, absolute_range_name(tab), params)
        )
        values: list[list[Any]] = reply.get("values") or []
        return values

    def _first_tab(self, form: str, sheet_id: str) -> str:
        if form not in self._tabs:
            http = self._gspread().http_client
            params: dict[str, Any] = {"includeGridData": "false", "fields": METADATA_FIELDS}
            meta = self._read(form, sheet_id, lambda: http.fetch_sheet_metadata(sheet_id, params))
            sheets = sorted(
                (s.get("properties") or {} for s in meta.get("sheets") or []),
                key=lambda p: int(p.get("index", 0)),
            )
            if not sheets:
                raise SourceUnavailable(f"回答シート {sheet_id} にタブがありません / no tabs")
            self._tabs[form] = str(sheets[0].get("title", ""))
        return self._tabs[form]

    def _gspread(self) -> gspread.Client:
        if self._client is None:
            credentials = self.access.credentials([SHEETS])
            timeout = self.policy.timeout_seconds
            self._client = gspread_client(credentials, self.access.api_base, timeout)
        return self._client

    def _read(self, form: str, sheet_id: str, fn: Callable[[], T]) -> T:
        try:
            return retry.call(fn, self.policy)
        except google.auth.exceptions.GoogleAuthError as exc:
            raise SourceUnavailable(
                f"Google の認証に失敗しました。google.credentials_file を確認してください / "
                f"Google sign-in failed, check google.credentials_file: {token_error_text(exc) or exc}"
            ) from exc
        except (gspread.exceptions.APIError, requests.RequestException, OSError) as exc:
            status = retry.status_and_reason(exc)[0]
            if status is None and not retry.is_transient(exc):
                raise
            error = _BadRange if status == 400 else SourceUnavailable
            raise error(_unavailable(form, sheet_id, status, exc)) from exc


class _BadRange(SourceUnavailable):
    """Google could not parse the range: the tab is not there (renamed, deleted)."""


def _unavailable(form: str, sheet_id: str, status: int | None, exc: BaseException) -> str:
    key = f"source.{form}_sheet_id"
    if status == 404:
        return (
            f"回答シート {sheet_id} が見つかりません。{key} を確認してください / responses "
            f"sheet not found: check {key} (the part between /d/ and /edit of its URL)"
        )
    if status == 403:
        return (
            f"回答シート {sheet_id} を読む権限がありません。シートをサービスアカウントと"
            f"共有してください / no access to the responses sheet: share it with the "
            f"service account"
        )
    if status == 400:
        return (
            f"回答シート {sheet_id} のタブを読めません。source.{form}_worksheet を確認して"
            f"ください / cannot read the tab: check source.{form}_worksheet ({_describe(exc)})"
        )
    if status == 401:
        return (
            "Google の認証が通りません。google.credentials_file を確認してください / "
            "credentials rejected: check google.credentials_file"
        )
    return (
        f"回答シート {sheet_id} を今は読めません(次の同期で再試行します) / cannot read "
        f"the responses sheet now: {_describe(exc)}"
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, gspread.exceptions.APIError):
        error = exc.error if isinstance(exc.error, dict) else {}
        return f"{exc.code} {error.get('status', '')} {error.get('message', '')}".strip()[:300]
    return (str(exc) or type(exc).__name__).replace("\n", " ")[:300]
