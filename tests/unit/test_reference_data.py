"""The committed reference dataset is what the generator makes, and stays fictitious."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import sys
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reference"
FORMS = ("registration", "application")
CSV_NAMES = {"registration": "registrations.csv", "application": "applications.csv"}
ALLOWED_DOMAINS = {"example.com", "example.jp", "example.org"}


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "scripts/gen_reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def csv_rows(form: str) -> list[list[str]]:
    text = (REFERENCE / CSV_NAMES[form]).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def responses(form: str) -> list[dict[str, Any]]:
    path = REFERENCE / "responses" / f"{form}.responses.json"
    items: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["responses"]
    return items


def form(form: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        (REFERENCE / "forms" / f"{form}.form.json").read_text(encoding="utf-8")
    )
    return body


def test_the_generator_reproduces_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    assert load_generator().main(["--out", str(tmp_path)]) == 0
    generated, committed = files_under(tmp_path), files_under(REFERENCE)
    assert sorted(generated) == sorted(committed)
    for name, content in generated.items():
        assert content == committed[name], f"{name} differs: re-run scripts/gen_reference.py"


@pytest.mark.parametrize("name", FORMS)
def test_every_csv_row_is_one_json_response_at_the_same_instant(name: str) -> None:
    rows, items = csv_rows(name)[1:], responses(name)
    assert len(rows) == len(items)
    for row, item in zip(rows, items, strict=True):
        utc = datetime.strptime(item["createTime"][:19], "%Y-%m-%dT%H:%M:%S")
        assert datetime.strptime(row[0], "%Y/%m/%d %H:%M:%S") == utc + timedelta(hours=9)


@pytest.mark.parametrize("name", FORMS)
def test_csv_header_is_the_timestamp_then_the_question_titles_in_form_order(name: str) -> None:
    titles = [item["title"] for item in form(name)["items"]]
    assert csv_rows(name)[0] == ["タイムスタンプ", *titles]


@pytest.mark.parametrize("name", FORMS)
def test_question_ids_are_unique_eight_hex_digits_and_answers_use_them(name: str) -> None:
    questions = [item["questionItem"]["question"]["questionId"] for item in form(name)["items"]]
    assert all(re.fullmatch(r"[0-9a-f]{8}", q) for q in questions)
    assert len(set(questions)) == len(questions)
    for item in responses(name):
        assert set(item["answers"]) <= set(questions)
        assert all(a["questionId"] == q for q, a in item["answers"].items())


def test_csv_export_has_no_byte_order_mark() -> None:
    for name in CSV_NAMES.values():
        assert not (REFERENCE / name).read_bytes().startswith(b"\xef\xbb\xbf")


def test_no_email_address_outside_the_example_domains_appears() -> None:
    seen = 0
    for path in REFERENCE.rglob("*"):
        if not path.is_file():
            continue
        text = unicodedata.normalize("NFKC", path.read_text(encoding="utf-8"))
        for at in re.finditer("@", text):
            after = re.sub(r"\s+", "", text[at.end() : at.end() + 40])
            domain = re.match(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", after)
            assert domain, f"{path.name}: unreadable domain after @: {after!r}"
            assert domain.group(0).lower() in ALLOWED_DOMAINS, f"{path.name}: {after!r}"
            seen += 1
    assert seen > 300


def test_every_phone_is_a_fictitious_090_0000_number() -> None:
    column = csv_rows("registration")[0].index("電話番号")
    phones = [row[column] for row in csv_rows("registration")[1:]]
    assert phones
    for phone in phones:
        assert phone == "" or re.fullmatch(r"090-?0000-?\d{4}", phone), phone
