"""``extra_form_source`` over the three backends gives the same sign-ups and survey answers
from the reference event data: the CSV export, the Forms API (emulator) and a linked
responses Sheet (emulator) holding the export's rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bansou_sync.adapters.extra_forms import ExtraForm, extra_form_source
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.app.events import SIGNUP_TITLES, SURVEY_TITLES
from bansou_sync.core.model import RawResponse
from bansou_sync.emulator.server import Emulator

TOKYO = ZoneInfo("Asia/Tokyo")
REFERENCE = Path(__file__).resolve().parents[2] / "reference"
FAST = RetryPolicy(attempts=5, total_seconds=30, base_seconds=0.001, max_wait_seconds=0.01)
FORMS = {  # form name → (reference form, CSV export, titles)
    "event:course-2022-08": ("event_course", "course-2022-08.csv", SIGNUP_TITLES),
    "survey:course-2022-08": ("survey_course", "course-2022-08-survey.csv", SURVEY_TITLES),
}


def reference_json(folder: str, name: str) -> Any:
    return json.loads((REFERENCE / folder / name).read_text(encoding="utf-8"))


def comparable(responses: list[RawResponse]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(submission instant, answers) — response IDs differ between backends by design."""
    return sorted(
        (
            r.submitted_at.astimezone(TOKYO).isoformat(timespec="seconds"),
            tuple(sorted((k, r.text(k)) for k in r.answers if r.text(k))),
        )
        for r in responses
    )


def test_the_three_backends_read_the_reference_event_forms_alike(
    emulator: Emulator, access: GoogleAccess
) -> None:
    csv_forms, api_forms, sheet_forms = [], [], []
    for name, (form, export, titles) in FORMS.items():
        path = REFERENCE / "events" / export
        csv_forms.append(ExtraForm(name, titles, csv=path))
        definition = reference_json("forms", f"{form}.form.json")
        responses = reference_json("responses", f"{form}.responses.json")["responses"]
        emulator.forms.load_form(definition, responses)
        api_forms.append(ExtraForm(name, titles, form_id=definition["formId"]))
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        sheet_id = emulator.sheets.load_fixture({"sheets": {"フォームの回答 1": rows}})
        sheet_forms.append(ExtraForm(name, titles, sheet_id=sheet_id))

    def read(kind: str, forms: list[ExtraForm]) -> dict[str, list[Any]]:
        source = extra_form_source(kind, forms, lambda: access, FAST)
        return {name: comparable(source.fetch(name)) for name in FORMS}

    from_csv = read("csv", csv_forms)
    assert len(from_csv["event:course-2022-08"]) == 25
    assert len(from_csv["survey:course-2022-08"]) == 17
    assert read("forms_api", api_forms) == from_csv
    assert read("response_sheet", sheet_forms) == from_csv
