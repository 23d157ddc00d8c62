"""The local Google emulator as tests start it: plain, or with the reference forms
loaded (without their responses), and the reference forms' IDs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bansou_sync.emulator.server import Emulator, start_emulator

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "reference" / "forms"


def reference_form(name: str) -> dict[str, Any]:
    """``forms.get`` JSON of a reference form (registration, application, …)."""
    form: dict[str, Any] = json.loads((FORMS / f"{name}.form.json").read_text("utf-8"))
    return form


def form_id(name: str) -> str:
    return str(reference_form(name)["formId"])


@contextmanager
def running_emulator(*forms: str) -> Iterator[Emulator]:
    """An emulator on 127.0.0.1, stopped afterwards, with the named reference forms."""
    emu = start_emulator()
    try:
        for name in forms:
            emu.forms.load_form(reference_form(name))
        yield emu
    finally:
        emu.stop()


def key_file(emulator: Emulator, folder: Path) -> Path:
    """The emulator's service-account key, private as the product wants it (0600)."""
    key = emulator.write_service_account_file(folder / "key.json")
    key.chmod(0o600)
    return key


def google_example_config(emulator: Emulator, key: Path, book: str) -> dict[str, Any]:
    """``config.example.yaml`` turned to the Google backends on ``emulator``: the
    reference forms through the Forms API, status sheet ``book``, mail through Gmail."""
    import yaml

    example: dict[str, Any] = yaml.safe_load((ROOT / "config.example.yaml").read_text("utf-8"))
    example["source"] = {
        "kind": "forms_api",
        "registration_form_id": form_id("registration"),
        "application_form_id": form_id("application"),
    }
    example["sheet"] = {"kind": "google", "spreadsheet_id": book}
    example["mail"] = {**example["mail"], "kind": "gmail", "per_minute": 100000}
    example["mail"].pop("path", None)
    example["google"] = {
        "credentials_file": str(key),
        "subject": "jimukyoku@example.org",
        "api_base": emulator.base_url,
    }
    return example
