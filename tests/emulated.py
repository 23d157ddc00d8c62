"""The local Google emulator as tests start it: plain, or with the reference forms
loaded (without their responses), and the reference forms' IDs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.emulator.server import Emulator, start_emulator

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "reference" / "forms"
MAILBOX = "jimukyoku@example.org"
"""The secretariat's mailbox the tests' service account acts as (and mails staff at)."""


def reference_form(name: str) -> dict[str, Any]:
    """``forms.get`` JSON of a reference form (registration, application, …)."""
    form: dict[str, Any] = json.loads((FORMS / f"{name}.form.json").read_text("utf-8"))
    return form


def form_id(name: str) -> str:
    return str(reference_form(name)["formId"])


@contextmanager
def running_emulator(
    *forms: str,
    book: str | None = None,
    title: str = "状況",
    tabs: dict[str, list[list[str]]] | None = None,
) -> Iterator[Emulator]:
    """An emulator on 127.0.0.1, stopped afterwards, with the named reference forms and,
    given ``book``, a spreadsheet of that ID (``title``, holding ``tabs``, none by default)."""
    emu = start_emulator()
    try:
        for name in forms:
            emu.forms.load_form(reference_form(name))
        if book is not None:
            emu.sheets.load_fixture({"spreadsheetId": book, "title": title, "sheets": tabs or {}})
        yield emu
    finally:
        emu.stop()


def form_response(titles: dict[str, str], created: str, **answers: Any) -> dict[str, Any]:
    """A form response as ``forms.add_responses`` takes it: ``answers`` by field name
    (``titles`` maps each to its question title), submitted at ``created``."""
    return {"createTime": created, "answers": {titles[k]: v for k, v in answers.items()}}


def registration_response(n: int, created: str | None = None, **answers: Any) -> dict[str, Any]:
    """Fictitious member ``n``'s registration (伴走 n郎, user{n}@example.com), submitted at
    ``created`` (by default 2022-06-0n 10:00 JST); ``answers`` replace or add to these."""
    base: dict[str, Any] = {
        "name": f"伴走 {n}郎",
        "email": f"user{n}@example.com",
        "phone": f"090-0000-{n:04d}",
        "membership": "会員",
        "consent": ["同意します"],
    }
    return form_response(
        REGISTRATION_TITLES, created or f"2022-06-0{n}T01:00:00.000Z", **{**base, **answers}
    )


def addressed_registration(n: int) -> dict[str, Any]:
    """Member ``n`` (架空 n子) with a postal address in 東京都, for the 覚書 labels."""
    return registration_response(
        n,
        name=f"架空 {n}子",
        postal_code="100-0001",
        address=f"東京都千代田区架空町{n}-{n}",
        prefecture="東京都",
    )


def application_response(n: int, created: str, **answers: Any) -> dict[str, Any]:
    """Fictitious member ``n``'s application (BN-000n, 伴走 n郎, user{n}@example.com): two
    hours, 10:00–12:00 on 2022-06-08, with client T.N. (1985, ベトナム) for 医療, submitted
    at ``created``; ``answers`` replace any of these."""
    base: dict[str, Any] = {
        "supporter_id": f"BN-{n:04d}",
        "name": f"伴走 {n}郎",
        "email": f"user{n}@example.com",
        "support_date": "2022-06-08",
        "start_time": "10:00",
        "end_time": "12:00",
        "client_initials": "T.N.",
        "client_birth_year": "1985",
        "client_nationality": "ベトナム",
        "topics": ["医療"],
        "consent": ["同意します"],
    }
    return form_response(APPLICATION_TITLES, created, **{**base, **answers})


def key_file(emulator: Emulator, folder: Path) -> Path:
    """The emulator's service-account key, private as the product wants it (0600)."""
    key = emulator.write_service_account_file(folder / "key.json")
    key.chmod(0o600)
    return key


def forms_api_source() -> dict[str, Any]:
    """The ``source`` section reading the reference forms through the Forms API."""
    return {
        "kind": "forms_api",
        "registration_form_id": form_id("registration"),
        "application_form_id": form_id("application"),
    }


def google_backends(
    emulator: Emulator,
    folder: Path,
    book: str | None = None,
    *,
    per_minute: int | None = 600,
    retry: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Config sections (``Project.write_config`` overrides) putting a project on the Google
    backends of ``emulator``: the reference forms through the Forms API, the status sheet
    ``book`` (the local one when None), mail through Gmail as and to :data:`MAILBOX`, the
    service-account key written into ``folder``. ``per_minute`` None leaves the default
    rate; ``retry`` replaces ``google.retry``."""
    key = key_file(emulator, folder)
    config: dict[str, Any] = {"source": forms_api_source()}
    if book is not None:
        config["sheet"] = {"kind": "google", "spreadsheet_id": book}
    mail: dict[str, Any] = {"kind": "gmail"}
    if per_minute is not None:
        mail["per_minute"] = per_minute
    config["mail"] = {**mail, "staff_to": [MAILBOX]}
    google: dict[str, Any] = {
        "credentials_file": str(key),
        "api_base": emulator.base_url,
        "subject": MAILBOX,
    }
    if retry is not None:
        google["retry"] = retry
    config["google"] = google
    return config


def google_example_config(emulator: Emulator, key: Path, book: str) -> dict[str, Any]:
    """``config.example.yaml`` turned to the Google backends on ``emulator``: the
    reference forms through the Forms API, status sheet ``book``, mail through Gmail."""
    import yaml

    example: dict[str, Any] = yaml.safe_load((ROOT / "config.example.yaml").read_text("utf-8"))
    example["source"] = forms_api_source()
    example["sheet"] = {"kind": "google", "spreadsheet_id": book}
    example["mail"] = {**example["mail"], "kind": "gmail", "per_minute": 100000}
    example["mail"].pop("path", None)
    example["google"] = {
        "credentials_file": str(key),
        "subject": MAILBOX,
        "api_base": emulator.base_url,
    }
    return example
