"""The real Forms API replies (``<recordings>/forms/``) as exact-shape samples: the
emulator's ``responses.list`` and ``responses.get`` replies must have the same keys and
nesting, the same value types and the same value formats (``responseId``, question IDs,
millisecond ``createTime``, microsecond ``lastSubmittedTime``) — for a small form and
for the project's whole reference dataset (``reference/``). The recordings themselves
are checked against the ``forms.v1`` discovery schema, to show the schema checker agrees
with what Google really sends."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from google.auth.transport.requests import Request
from schema_check import check_schema

from bansou_sync.emulator.fixtures import load_fixtures
from bansou_sync.emulator.server import Emulator

from .forms_fixture import FORM, FORM_ID, RESPONSES
from .replay import Replay

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
FORMS_SCOPES = ["https://www.googleapis.com/auth/forms.responses.readonly"]
LIST = "responses_list__soramimi_jstream.json"
ONE = "response_get__pipedream_test_event.json"
QUESTION_ID = re.compile(r"[0-9a-f]{8}")
FORMATS = {
    # "~70 characters": the recordings have 71 (72 with a hand-edited tail)
    "responseId": re.compile(r"ACYDBN[A-Za-z0-9_-]{60,70}"),
    "createTime": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"),
    "lastSubmittedTime": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"),
}


def shape(value: Any) -> Any:
    """Keys, nesting and value types; answer maps keyed by question ID become one
    ``<questionId>`` entry, lists one item (all items must share it)."""
    if isinstance(value, dict):
        if value and all(QUESTION_ID.fullmatch(k) for k in value):
            shapes = {json.dumps(shape(v), sort_keys=True) for v in value.values()}
            assert len(shapes) == 1, f"answers of different shapes: {shapes}"
            return {"<questionId>": shape(next(iter(value.values())))}
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        shapes = {json.dumps(shape(v), sort_keys=True) for v in value}
        assert len(shapes) <= 1, f"list items of different shapes: {shapes}"
        return [shape(value[0])] if value else []
    return type(value).__name__


def formats(response: dict[str, Any]) -> list[str]:
    wrong = [
        f"{key}={response[key]!r}"
        for key, pattern in FORMATS.items()
        if not pattern.fullmatch(response[key])
    ]
    for key, answer in response["answers"].items():
        if not QUESTION_ID.fullmatch(key) or answer["questionId"] != key:
            wrong.append(f"answer {key!r} with questionId {answer['questionId']!r}")
    return wrong


def _replay(emulator: Emulator) -> Replay:
    emulator.forms.load_form(FORM, RESPONSES)
    credentials = emulator.credentials(FORMS_SCOPES)
    credentials.refresh(Request())
    return Replay(emulator, str(credentials.token))


def test_the_recorded_forms_replies_fit_the_discovery_schema(recordings: Path) -> None:
    check_schema("forms.v1", "ListFormResponsesResponse", _load(recordings, LIST))
    check_schema("forms.v1", "FormResponse", _load(recordings, ONE))


def test_responses_list_has_the_recorded_shape_and_formats(
    recordings: Path, emulator: Emulator
) -> None:
    real = _load(recordings, LIST)
    reply = _replay(emulator).request("GET", f"/v1/forms/{FORM_ID}/responses", None)
    assert reply.status == 200
    ours = reply.json()
    assert shape(ours) == shape(real)
    assert [formats(r) for r in real["responses"]] == [[] for _ in real["responses"]]
    assert [formats(r) for r in ours["responses"]] == [[], []]
    recorded_length = len(real["responses"][0]["responseId"])
    assert {len(r["responseId"]) for r in ours["responses"]} == {recorded_length}


def test_responses_get_has_the_recorded_shape_and_formats(
    recordings: Path, emulator: Emulator
) -> None:
    real = _load(recordings, ONE)
    replay = _replay(emulator)
    listed = replay.request("GET", f"/v1/forms/{FORM_ID}/responses", None).json()
    response_id = listed["responses"][0]["responseId"]
    reply = replay.request("GET", f"/v1/forms/{FORM_ID}/responses/{response_id}", None)
    assert reply.status == 200
    assert shape(reply.json()) == shape(real)
    assert formats(reply.json()) == []
    # the Pipedream sample's ID tail was hand-edited ("_12312"): its format is not checked


def test_the_reference_dataset_served_by_the_emulator_has_the_recorded_shape(
    recordings: Path, emulator: Emulator
) -> None:
    real = shape(_load(recordings, LIST)["responses"][0])
    form_ids = load_fixtures(emulator, REFERENCE)
    assert form_ids, f"no forms under {REFERENCE}"
    credentials = emulator.credentials(FORMS_SCOPES)
    credentials.refresh(Request())
    replay = Replay(emulator, str(credentials.token))
    for form_id in form_ids:
        reply = replay.request("GET", f"/v1/forms/{form_id}/responses", None).json()
        assert reply["responses"], form_id
        for response in reply["responses"]:
            assert shape(response) == real, response["responseId"]
            assert formats(response) == [], response["responseId"]


def _load(recordings: Path, name: str) -> Any:
    return json.loads((recordings / "forms" / name).read_text(encoding="utf-8"))
