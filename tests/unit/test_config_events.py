"""The ``events:`` list of the configuration: every problem one line naming its key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bansou_sync.config import load_config
from bansou_sync.errors import ConfigError

COURSE: dict[str, Any] = {
    "id": "course-2022-08",
    "kind": "course",
    "title": "第1回 伴走支援講座",
    "starts_at": "2022-08-20 13:30",
    "capacity": 20,
    "signup": {"csv": "course.csv"},
}


def write(tmp_path: Path, events: Any, source_kind: str = "csv") -> Path:
    source: dict[str, Any] = {"kind": source_kind}
    if source_kind == "csv":
        source |= {"registrations": "reg.csv", "applications": "app.csv"}
    config = {"source": source, "events": events}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def problems(tmp_path: Path, events: Any, source_kind: str = "csv") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, events, source_kind), env={})
    return list(caught.value.problems)


def test_an_event_loads_with_defaults_and_paths_relative_to_the_config(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, [COURSE]), env={})
    (event,) = settings.events
    assert event.needs_id is True  # a course needs a 伴走ネットID unless told otherwise
    assert event.signup.csv == tmp_path / "course.csv"
    assert event.starts_at.isoformat() == "2022-08-20T13:30:00+09:00"
    assert settings.warnings == []
    meeting = {**COURSE, "id": "meeting-1", "kind": "meeting"}
    assert load_config(write(tmp_path, [meeting]), env={}).events[0].needs_id is False


def test_each_bad_value_is_reported_with_its_key(tmp_path: Path) -> None:
    bad = {**COURSE, "id": "Course 1", "kind": "party", "capacity": 0, "starts_at": "soon"}
    found = problems(tmp_path, [bad])
    keys = sorted(p.split(":")[0] for p in found)
    assert keys == ["events[0].capacity", "events[0].id", "events[0].kind", "events[0].starts_at"]
    assert all(" / " in p for p in found)  # Japanese, then English


def test_the_form_key_the_backend_needs_and_unique_ids_are_required(tmp_path: Path) -> None:
    no_form = {**COURSE, "id": "b", "signup": {"form_id": "1abc"}}
    found = problems(tmp_path, [COURSE, {**COURSE}, no_form])
    assert any(p.startswith("events[1].id:") for p in found)
    assert any(p.startswith("events[2].signup.csv:") for p in found)
    google = problems(tmp_path, [COURSE], source_kind="forms_api")
    assert any(p.startswith("events[0].signup.form_id:") for p in google)


def test_events_must_be_a_list(tmp_path: Path) -> None:
    assert any(p.startswith("events:") for p in problems(tmp_path, {"id": "x"}))
