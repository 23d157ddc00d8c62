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
