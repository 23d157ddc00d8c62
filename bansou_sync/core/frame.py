"""One application as the statistics count it (``core/stats``): its frame row, every
label read into its closed list (``core/categories``), never an answer's own text."""

from __future__ import annotations

import functools
import sys
from datetime import date
from typing import Any

from bansou_sync.core import categories as closed
from bansou_sync.core.categories import DEFAULT_NATIONALITIES, UNKNOWN, NationalityMap
from bansou_sync.core.model import APP_LABELS, Application, AppStatus
from bansou_sync.core.narrative import DEFAULT_KEYWORDS, KeywordMap, categories

COLUMNS = ["app_no", "month", "prefecture", "nationality", "status", "topics", "destinations"]
COLUMNS += ["outcomes", "narrative", "client", "supporter", "paid_yen"]
MULTIPLE = frozenset({"topics", "destinations", "outcomes", "narrative"})


def frame_row(
    a: Application,
    keywords: KeywordMap = DEFAULT_KEYWORDS,
    nationalities: NationalityMap = DEFAULT_NATIONALITIES,
) -> dict[str, Any]:
    """What one application adds to the frame: every label read into its closed list
    (``core/categories``), never an answer's own text."""
    values = frame_values(a, keywords, nationalities)
    return {c: list(v) if c in MULTIPLE else v for c, v in zip(COLUMNS, values, strict=True)}


def frame_values(
    a: Application,
    keywords: KeywordMap = DEFAULT_KEYWORDS,
    nationalities: NationalityMap = DEFAULT_NATIONALITIES,
) -> tuple[Any, ...]:
    """``frame_row``'s values in ``COLUMNS`` order, its lists as tuples, its texts shared
    (what a ``Tally`` counts; the service keeps these per application between cycles,
    ``app.projector``, so a cycle does not re-read every narrative)."""
    paid = a.status == AppStatus.PAID
    return (
        a.app_no,
        _month(a.support_date) if a.support_date else UNKNOWN,
        closed.prefecture(a.prefecture),
        closed.nationality(a.nationality, nationalities),
        APP_LABELS[a.status],
        _options("topics", a.topics),
        _options("destinations", a.destinations),
        _options("outcomes", a.outcomes),
        categories(a.narrative, keywords),
        sys.intern(a.client_code) if a.client_code else "",  # one text per person
        sys.intern(a.supporter_id) if a.supporter_id else "",
        (a.honorarium or 0) if paid else 0,
    )


@functools.lru_cache(maxsize=4096)
def _options(column: str, answers: tuple[str, ...]) -> tuple[str, ...]:
    """A checkbox answer's labels, read once per distinct answer (the same few choices
    recur across thousands of applications)."""
    return tuple(closed.options(column, answers))


@functools.lru_cache(maxsize=4096)
def _month(d: date) -> str:
    """A support date's month: one text per month, however many applications share it."""
    return sys.intern(d.strftime("%Y-%m"))
