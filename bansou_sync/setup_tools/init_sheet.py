"""``bansou-sync init-sheet``: set up or repair the status spreadsheet (SPEC §5).

One ``spreadsheets.get`` (with ``fields``), one ``spreadsheets.batchUpdate`` and one
``values.batchUpdate`` for header rows — none at all when nothing differs. What to
change is decided by ``core.sheet_setup`` from the get's reply; this module only talks
to Google. Service accounts cannot own Drive files any more, so staff create the
spreadsheet and share it with the service account; only OAuth user credentials may
create one (``create_spreadsheet``, via Sheets ``spreadsheets.create``, not Drive).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bansou_sync.adapters import retry
from bansou_sync.adapters.google_auth import SHEETS, GoogleAccess, unreadable_key_message
from bansou_sync.adapters.google_discovery import error_message, http_status, service
from bansou_sync.core.sheet_setup import GET_FIELDS, plan_setup
from bansou_sync.core.tabs import ALL_TABS, TabLayout
from bansou_sync.errors import ConfigError, SheetError


def init_sheet(
    access: GoogleAccess,
    spreadsheet_id: str,
    admins: Sequence[str],
    service_account_email: str,
    layouts: Sequence[TabLayout] = ALL_TABS,
) -> list[str]:
    """Make the spreadsheet look as SPEC §5 says (and the configured feature tabs, e.g. one
    per course or event); the lines say what was done."""
    sheets = service(access, "sheets", "v4", [SHEETS]).spreadsheets()
    who = service_account_email or "the signed-in user"
    book = _call(
        lambda: sheets.get(spreadsheetId=spreadsheet_id, fields=GET_FIELDS).execute(),
        spreadsheet_id,
        who,
    )
    plan = plan_setup(book, [service_account_email, *admins], layouts)
    title = (book.get("properties") or {}).get("title", "")
    lines = [f"スプレッドシート / spreadsheet: {title} ({spreadsheet_id})"]
    if plan.requests:
        body = {"requests": list(plan.requests)}
        _call(
            lambda: sheets.batchUpdate(spreadsheetId=spreadsheet_id, body=body).execute(),
            spreadsheet_id,
            who,
        )
    if plan.header_writes:
        data = [{"range": a1, "values": [list(row)]} for a1, row in plan.header_writes]
        values = {"valueInputOption": "RAW", "data": data}
        _call(
            lambda: (
                sheets.values().batchUpdate(spreadsheetId=spreadsheet_id, body=values).execute()
            ),
            spreadsheet_id,
            who,
        )
    if plan.refused:
        raise SheetSetupRefused([*lines, *plan.lines], list(plan.refused))
    if plan.changes_nothing and not plan.lines:
        return [*lines, "変更はありません / nothing to change: already set up"]
    return lines + list(plan.lines)


class SheetSetupRefused(SheetError):
    """Some tabs were left alone: staff must fix them by hand, then run init-sheet again.
    ``done``: what was set up all the same; ``refused``: what staff must do."""

    def __init__(self, done: list[str], refused: list[str]) -> None:
        self.done, self.refused = done, refused
        super().__init__("\n".join(refused))


def service_account_email(access: GoogleAccess) -> str:
    """The ``client_email`` of a service-account key; "" for OAuth user credentials."""
    try:
        info = json.loads(access.credentials_file.read_text(encoding="utf-8"))
    except PermissionError as exc:
        raise ConfigError(unreadable_key_message(access.credentials_file)) from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"google.credentials_file: JSON として読めません / cannot read "
            f"{access.credentials_file}: {exc}"
        ) from exc
    if isinstance(info, dict) and info.get("type") == "service_account":
        return str(info.get("client_email", ""))
    return ""


def create_spreadsheet(access: GoogleAccess, title: str) -> str:
    """A new spreadsheet owned by the OAuth user (Tokyo time zone); its ID."""
    if service_account_email(access):
        raise ConfigError(
            "google.credentials_file: サービスアカウントはファイルを作成・所有できません。"
            "スプレッドシートを作ってサービスアカウントと共有し、sheet.spreadsheet_id に"
            "ID を書いてください / a service account cannot own Drive files: create the "
            "spreadsheet yourself, share it with the service account and set sheet.spreadsheet_id"
        )
    sheets = service(access, "sheets", "v4", [SHEETS]).spreadsheets()
    body = {"properties": {"title": title, "locale": "ja_JP", "timeZone": "Asia/Tokyo"}}
    created = _call(lambda: sheets.create(body=body).execute(), "(new)", "the signed-in user")
    return str(created["spreadsheetId"])


def _call(fn: Any, spreadsheet_id: str, who: str) -> Any:
    try:
        return retry.call(fn)
    except Exception as exc:
        status = http_status(exc)
        if status == 404:
            raise SheetError(
                f"スプレッドシート {spreadsheet_id} が見つかりません。sheet.spreadsheet_id "
                f"(URL の /d/ と /edit の間) を確認してください / spreadsheet not found: "
                f"check sheet.spreadsheet_id"
            ) from exc
        if status == 403:
            raise SheetError(
                f"スプレッドシート {spreadsheet_id} を編集できません。「共有」で {who} を"
                f"編集者として追加してください / no edit access: share the spreadsheet with "
                f"{who} as an editor ({error_message(exc)})"
            ) from exc
        if status is not None or retry.is_transient(exc):
            raise SheetError(f"Google Sheets: {error_message(exc)}") from exc
        raise
