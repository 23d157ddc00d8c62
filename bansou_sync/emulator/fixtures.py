"""Loading a fixtures folder into a (not yet running or running) emulator.

Layout::

    DIR/forms/<name>.form.json            a forms.get reply (with its formId); optional
                                          "_emulator": {"legacy": true, "order": "submitted"}
    DIR/responses/<name>.responses.json   that form's responses: a JSON list of Forms API
                                          response objects, or {"responses": [...]}
    DIR/spreadsheets/<id>.json            optional; a spreadsheet (``StaffHooks.load_fixture``'s
                                          shape: {"title"?, "sheets": {"tab": [[row], ...]}})
                                          loaded under the ID <id> (the file name)
    DIR/oauth/clients.json                optional; OAuth user clients for the refresh-token
                                          grant: [{client_id, client_secret, refresh_token,
                                          email, scopes?}]

The project's ``reference/`` folder has this layout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the server imports this module to load its fixtures
    from .server import Emulator


class FixtureError(ValueError):
    pass


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise FixtureError(f"{path}: {exc}") from exc


def read_responses(path: Path) -> list[dict[str, Any]]:
    data = _read(path)
    if isinstance(data, dict):
        data = data.get("responses", [])
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise FixtureError(f"{path}: expected a list of responses or {{'responses': [...]}}")
    return data


def _spreadsheet_fixture(path: Path) -> dict[str, Any]:
    """A spreadsheet fixture whose ID is its file name (``<id>.json``)."""
    data = _read(path)
    if not isinstance(data, dict) or not isinstance(data.get("sheets", {}), dict):
        raise FixtureError(f"{path}: expected {{'title'?, 'sheets': {{'tab': [[row], ...]}}}}")
    written = data.get("spreadsheetId")
    if written is not None and written != path.stem:
        raise FixtureError(f"{path}: spreadsheetId {written!r} is not the file's name")
    return {**data, "spreadsheetId": path.stem}


def load_fixtures(emulator: Emulator, folder: Path) -> list[str]:
    """Load everything under ``folder``; returns the form IDs loaded."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FixtureError(f"{folder}: no such fixtures folder")
    loaded: list[str] = []
    for form_path in sorted((folder / "forms").glob("*.form.json")):
        name = form_path.name.removesuffix(".form.json")
        form = _read(form_path)
        if not isinstance(form, dict) or "formId" not in form:
            raise FixtureError(f"{form_path}: not a forms.get reply (no formId)")
        responses_path = folder / "responses" / f"{name}.responses.json"
        responses = read_responses(responses_path) if responses_path.exists() else []
        if emulator.forms is None:
            raise FixtureError("this emulator has no Forms API")
        try:
            emulator.forms.load_form(form, responses)
        except (KeyError, ValueError) as exc:
            raise FixtureError(f"{form_path} (+ {responses_path.name}): {exc}") from exc
        loaded.append(str(form["formId"]))
    sheets_dir = folder / "spreadsheets"
    if sheets_dir.is_dir():
        load = getattr(emulator.sheets, "load_fixture", None)
        for sheet_path in sorted(sheets_dir.glob("*.json")):
            if load is None:
                raise FixtureError(f"{sheet_path}: this emulator has no Sheets API to load it")
            load(_spreadsheet_fixture(sheet_path))
    clients = folder / "oauth" / "clients.json"
    if clients.exists():
        for client in _read(clients):
            emulator.oauth.register_user_client(
                client["client_id"],
                client["client_secret"],
                client["refresh_token"],
                client["email"],
                tuple(client.get("scopes", ())),
            )
    return loaded
