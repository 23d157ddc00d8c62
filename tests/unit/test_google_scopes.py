"""One list of OAuth scopes from the configuration (issue 11 §0): what each configured
adapter asks for, no more, and the mailer's own list inside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bansou_sync.adapters.forms_api import FormsApiSource
from bansou_sync.adapters.gmail import GmailMailer
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.config import Settings, load_config
from bansou_sync.setup_tools.google_scopes import delegation_line, scopes_for

AUTH = "https://www.googleapis.com/auth/"


def settings(tmp_path: Path, **sections: Any) -> Settings:
    base: dict[str, Any] = {
        "google": {"credentials_file": "key.json"},
        "source": {"kind": "csv", "registrations": "r.csv", "applications": "a.csv"},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**base, **sections}, allow_unicode=True), encoding="utf-8")
    return load_config(path)


FORMS = {"kind": "forms_api", "registration_form_id": "1R", "application_form_id": "1A"}


def short(scopes: tuple[str, ...]) -> list[str]:
    return [s.removeprefix(AUTH) for s in scopes]


def test_the_embedded_default_needs_no_scope(tmp_path: Path) -> None:
    assert scopes_for(settings(tmp_path)) == ()


def test_gmail_with_drafts_needs_compose_and_readonly_besides_send(tmp_path: Path) -> None:
    config = settings(
        tmp_path,
        source=FORMS,
        sheet={"kind": "google", "spreadsheet_id": "1S"},
        mail={"kind": "gmail"},
    )
    assert short(scopes_for(config)) == [
        "forms.body.readonly",
        "forms.responses.readonly",
        "spreadsheets",
        "gmail.send",
        "gmail.compose",
        "gmail.readonly",
    ]
    assert delegation_line(scopes_for(config)).count(",") == 5


def test_gmail_without_drafts_needs_send_only(tmp_path: Path) -> None:
    config = settings(tmp_path, mail={"kind": "gmail", "gmail_drafts": False})
    assert short(scopes_for(config)) == ["gmail.send"]


def test_closing_the_form_adds_forms_body_and_a_google_bank_sheet_adds_sheets(
    tmp_path: Path,
) -> None:
    config = settings(
        tmp_path,
        source=FORMS,
        budget={"close_form": True},
        payments={"bank_details": {"kind": "google", "spreadsheet_id": "1B"}},
    )
    assert short(scopes_for(config)) == [
        "forms.body.readonly",
        "forms.responses.readonly",
        "forms.body",
        "spreadsheets",
    ]


def test_the_adapters_ask_for_scopes_inside_the_configured_list(tmp_path: Path) -> None:
    config = settings(tmp_path, source=FORMS, budget={"close_form": True}, mail={"kind": "gmail"})
    access = GoogleAccess(tmp_path / "key.json")
    listed = set(scopes_for(config))
    mailer = GmailMailer(access, check_sent=config.mail.gmail_drafts)
    source = FormsApiSource(access, {"registration": "1R"}, can_close=config.budget.close_form)
    assert set(mailer.scopes) <= listed and set(source.scopes) <= listed
    assert set(mailer.scopes) | set(source.scopes) == listed


def test_the_operations_tabs_drive_folders_add_only_the_drive_file_scope(tmp_path: Path) -> None:
    sheet = {"kind": "google", "spreadsheet_id": "1S"}
    without = settings(tmp_path, sheet=sheet)
    assert short(scopes_for(without)) == ["spreadsheets"]
    with_folders = settings(tmp_path, sheet=sheet, drive={"treasurer_folder_id": "1T"})
    assert short(scopes_for(with_folders)) == ["spreadsheets", "drive.file"]
    local = settings(tmp_path, drive={"outputs_folder_id": "1O"})  # files stay on disk
    assert scopes_for(local) == ()
