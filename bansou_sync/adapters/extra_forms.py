"""A ``ResponseSource`` for extra form kinds (event sign-ups, surveys, …).

The programme's later forms are read exactly like the two main ones — the same backend
(``source.kind``), the same adapters (``CsvSource``, ``FormsApiSource``,
``ResponseSheetSource``) and the same answer handling — each under its own form name
(e.g. ``event:course-2022-08``) with its own question titles. This module only builds
that source from a list of ``ExtraForm``; it reads nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bansou_sync.adapters.csv_source import CsvSource
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.ports import ResponseSource


@dataclass(frozen=True)
class ExtraForm:
    name: str  # the form name the responses carry, unique among the extra forms
    titles: Mapping[str, str]  # field → question title (a questionId works for forms_api)
    csv: Path | None = None
    form_id: str | None = None
    sheet_id: str | None = None
    worksheet: str | None = None


def extra_form_source(
    kind: str,
    forms: Sequence[ExtraForm],
    access: Callable[[], GoogleAccess],
    policy: RetryPolicy,
) -> ResponseSource:
    """One source over ``forms`` on the backend ``kind`` (csv | forms_api | response_sheet);
    config validation has made sure each form has the key its backend needs."""
    titles = {f.name: dict(f.titles) for f in forms}
    if kind == "csv":
        return CsvSource({f.name: f.csv for f in forms if f.csv is not None}, titles)
    if kind == "forms_api":
        from bansou_sync.adapters.forms_api import FormsApiSource

        ids = {f.name: f.form_id for f in forms if f.form_id}
        # a mapping value is matched by questionId or by exact title: the titles serve
        return FormsApiSource(access(), ids, titles, policy=policy)
    if kind == "response_sheet":
        from bansou_sync.adapters.response_sheet import ResponseSheetSource

        sheets = {f.name: f.sheet_id for f in forms if f.sheet_id}
        tabs = {f.name: f.worksheet for f in forms}
        return ResponseSheetSource(access(), sheets, tabs, titles, policy=policy)
    raise ValueError(f"unknown source kind {kind!r}")
