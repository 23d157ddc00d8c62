"""The ``events:`` list of the configuration: courses, 相談会 and 報告会 (issue 6).

Each item names one event and where its sign-up form (and, optionally, its survey form)
is read: ``csv`` with ``source.kind: csv``, ``form_id`` with ``forms_api``, ``sheet_id``
(+ ``worksheet``) with ``response_sheet`` — the same backend as the main forms. Problems
are reported like every other key: ``events[0].capacity: …``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from bansou_sync import config_errors as check

EventKind = Literal["course", "consultation", "meeting"]
_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
# the key each source kind reads a form by
FORM_KEY = {"csv": "csv", "forms_api": "form_id", "response_sheet": "sheet_id"}


def _event_id(value: Any) -> str:
    text = check.text(value)
    if not _ID.fullmatch(text):
        check.fail(
            "半角の英小文字・数字・ハイフンで40文字まで(例: course-2022-08)",
            "use lower-case letters, digits and hyphens, at most 40 (e.g. course-2022-08)",
            value,
        )
    return text


Text = Annotated[str, BeforeValidator(check.text)]
FilePath = Annotated[Path, BeforeValidator(check.path)]
Moment = Annotated[datetime, BeforeValidator(check.moment)]
PosInt = Annotated[int, BeforeValidator(check.integer(1))]
Hour = Annotated[int, BeforeValidator(check.integer(0, 23))]
Flag = Annotated[bool, BeforeValidator(check.boolean)]


class _Item(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class FormRef(_Item):
    csv: FilePath | None = None  # source.kind: csv
    form_id: Annotated[str, BeforeValidator(check.form_id)] | None = None  # forms_api
    sheet_id: Text | None = None  # source.kind: response_sheet
    worksheet: Text | None = None  # None: the spreadsheet's first worksheet


class EventSettings(_Item):
    id: Annotated[str, BeforeValidator(_event_id)]
    kind: Annotated[EventKind, BeforeValidator(check.choice("course", "consultation", "meeting"))]
    title: Text
    starts_at: Moment  # aware, Asia/Tokyo
    place: Text = ""
    capacity: PosInt
    requires_id: Flag | None = None  # None: true for a course, false otherwise
    reminder_hour: Hour = 9
    signup: FormRef
    survey: FormRef | None = None

    @property
    def needs_id(self) -> bool:
        return self.kind == "course" if self.requires_id is None else self.requires_id


_EVENTS = TypeAdapter(tuple[EventSettings, ...])


def load_events(
    raw: Any, base_dir: Path, source_kind: str
) -> tuple[tuple[EventSettings, ...], list[str]]:
    """(events, problems) of the YAML ``events:`` value; a problem names its key. The
    keys the backend needs are checked on the raw items too, so that every problem is
    reported together."""
    if raw is None:
        return (), []
    problems = _needs(raw, source_kind) if isinstance(raw, list) else []
    try:
        events = _EVENTS.validate_python(raw, context={"base_dir": base_dir})
    except PydanticValidationError as exc:
        return (), check.problems_from(exc, ("events",)) + problems
    return events, problems


def _needs(items: Sequence[Any], source_kind: str) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    key = FORM_KEY.get(source_kind)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue  # reported by validation
        event_id = item.get("id")
        if isinstance(event_id, str) and event_id in seen:
            ja, en = "同じ id の行事がほかにもあります", "is used by another event"
            problems.append(check.line(f"events[{i}].id", ja, en, event_id))
        seen.add(str(event_id))
        for name in ("signup", "survey"):
            ref = item.get(name)
            if name == "survey" and ref is None:
                continue
            if key is not None and (not isinstance(ref, dict) or ref.get(key) in (None, "")):
                ja = f"source.kind が {source_kind} のときは必須です"
                en = f"is required when source.kind is {source_kind}"
                problems.append(check.line(f"events[{i}].{name}.{key}", ja, en))
    return problems
