"""The ONE list of OAuth scopes a configuration needs (issue 11 §0).

Each Google adapter asks for its own scopes in its own token request (``forms_scopes``,
``gmail_scopes``, ``SHEETS``); with domain-wide delegation Google answers
``unauthorized_client`` to a request for any scope the Workspace admin did not allow.
So the admin must allow the union of what the configured adapters ask for — exactly
the list below, which ``doctor`` requests a token for and prints for pasting, and which
``docs/google-setup.md`` shows (a test keeps the guide equal to it).
"""

from __future__ import annotations

from bansou_sync.adapters.google_auth import DRIVE_FILE, SHEETS, forms_scopes, gmail_scopes
from bansou_sync.config import Settings


def scopes_for(settings: Settings) -> tuple[str, ...]:
    """Every scope the configured Google adapters request, in a stable order."""
    scopes: list[str] = []
    if settings.source.kind == "forms_api":
        scopes += forms_scopes(settings.budget.close_form)
    bank = settings.payments.bank_details
    sheets_needed = (
        settings.source.kind == "response_sheet"
        or settings.sheet.kind == "google"
        or (bank is not None and bank.kind == "google")
    )
    if sheets_needed:
        scopes.append(SHEETS)
    if settings.mail.kind == "gmail":
        scopes += gmail_scopes(settings.mail.gmail_drafts)
    if drive_needed(settings):
        scopes.append(DRIVE_FILE)
    return tuple(dict.fromkeys(scopes))


def drive_needed(settings: Settings) -> bool:
    """The 操作 tab's files go to Drive: the sheet is on Google and a folder is set."""
    drive = settings.drive
    folders = (drive.outputs_folder_id, drive.treasurer_folder_id)
    return settings.sheet.kind == "google" and any(folders)


def delegation_line(scopes: tuple[str, ...]) -> str:
    """The scopes as the admin console's 'OAuth scopes (comma-delimited)' field wants them."""
    return ",".join(scopes)
