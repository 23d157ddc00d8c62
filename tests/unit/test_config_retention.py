"""The retention dates and the emergency form in the configuration (issue 6 §4–5)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bansou_sync.bootstrap import sheet_layouts
from bansou_sync.config import load_config
from bansou_sync.errors import ConfigError

BASE = "source: {kind: csv, registrations: r.csv, applications: a.csv}\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(BASE + text, encoding="utf-8")
    return path


def test_retention_dates_are_read_and_the_accounting_one_may_not_come_first(tmp_path: Path) -> None:
    ok = load_config(
        write(
            tmp_path,
            "privacy: {retain_until: 2023-08-31}\naccounting: {retain_until: 2030-03-31}\n",
        )
    )
    assert (ok.privacy.retain_until, ok.accounting.retain_until) == (
        date(2023, 8, 31),
        date(2030, 3, 31),
    )
    with pytest.raises(ConfigError) as bad:
        load_config(
            write(
                tmp_path,
                "privacy: {retain_until: 2023-08-31}\naccounting: {retain_until: 2023-01-01}\n",
            )
        )
    assert bad.value.problems == [
        "accounting.retain_until: privacy.retain_until (2023-08-31) より前です"
        " / is before privacy.retain_until (2023-08-31) (got 2023-01-01)"
    ]
    with pytest.raises(ConfigError) as unreadable:
        load_config(write(tmp_path, "privacy: {retain_until: someday}\n"))
    assert unreadable.value.problems[0].startswith("privacy.retain_until: ")


def test_the_emergency_tab_exists_only_where_the_emergency_form_is_configured(
    tmp_path: Path,
) -> None:
    plain = load_config(write(tmp_path, ""))
    assert "緊急支援" not in [t.name for t in sheet_layouts(plain)]
    emergency = tmp_path / "e.yaml"
    emergency.write_text(
        "source: {kind: csv, registrations: r.csv, applications: a.csv, emergency: e.csv}\n",
        encoding="utf-8",
    )
    with_form = load_config(emergency)
    assert [t.name for t in sheet_layouts(with_form)][-1] == "緊急支援"
