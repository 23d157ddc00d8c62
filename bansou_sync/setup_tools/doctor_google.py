"""``doctor``'s checks that talk to Google: a token, forms.get, spreadsheets.get and the
header rows, response sheets, Gmail getProfile. Each failure names its fix."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2
from google.auth.exceptions import RefreshError

from bansou_sync.adapters import retry
from bansou_sync.adapters.csv_source import normalise_header
from bansou_sync.adapters.form_fields import FORM_TITLES
from bansou_sync.adapters.google_auth import (
    FORMS_READ,
    GMAIL_CHECK,
    GMAIL_SEND,
    SHEETS,
    GoogleAccess,
    gmail_scopes,
    unreadable_key_message,
)
from bansou_sync.adapters.google_discovery import error_message, http_status, service
from bansou_sync.config import Settings
from bansou_sync.core.form_questions import Question, questions_of
from bansou_sync.core.sheet_setup import layout_problems, quote
from bansou_sync.core.tabs import ALL_TABS
from bansou_sync.errors import BansouError
from bansou_sync.setup_tools.doctor_checks import Check, questions_check
from bansou_sync.setup_tools.google_scopes import delegation_line
from bansou_sync.setup_tools.init_sheet import service_account_email

FORMS = ("registration", "application")
GMAIL_READ = GMAIL_CHECK[1]  # gmail.readonly: enough for getProfile


def delegation_check(access: GoogleAccess, scopes: Sequence[str]) -> Check:
    """The scopes this configuration asks for, for the admin to paste into domain-wide
    delegation (printed whether or not delegation is used: it is the list the token
    check below requests)."""
    line = delegation_line(tuple(scopes))
    if access.subject:
        where = (
            f"ドメイン全体の委任 ({access.subject} として) に次のスコープをそのまま貼り付けて"
            "ください / paste into domain-wide delegation"
        )
    else:
        where = "このトークンで要求するスコープ / the scopes requested"
    return Check("スコープ / OAuth scopes", True, f"{where}:\n    {line}")


def credential_checks(access: GoogleAccess, scopes: Sequence[str]) -> list[Check]:
    path = access.credentials_file
    fix_key = (
        "Google Cloud コンソール → IAM と管理 → サービスアカウント → 鍵 → 鍵を追加 (JSON) で"
        f"鍵を作り、{path} に置いてください / create a JSON key for the service account and "
        "save it as google.credentials_file"
    )
    if path.exists() and not os.access(path, os.R_OK):
        message = unreadable_key_message(path)
        fix = (
            f"chown <サービスのユーザー> {path} && chmod 600 {path} / chown the key to the "
            "service user and chmod 600 it"
        )
        return [Check("鍵ファイル / key file", False, message, fix)]
    try:
        creds = access.credentials(scopes)
        email = service_account_email(access)
    except BansouError as exc:
        return [Check("鍵ファイル / key file", False, str(exc), fix_key)]
    who = email or "OAuth user"
    checks = [Check("鍵ファイル / key file", True, f"{path} ({who})")]
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        checks.append(
            Check(
                "鍵ファイルの権限 / key file permissions",
                False,
                f"{mode:o}: 他のユーザーも読めます / readable by others",
                f"chmod 600 {path} を実行してください / run chmod 600 {path}",
            )
        )
    else:
        checks.append(Check("鍵ファイルの権限 / key file permissions", True, f"{mode:o}"))
    try:
        request = google_auth_httplib2.Request(httplib2.Http(timeout=30))
        retry.call(lambda: creds.refresh(request))  # type: ignore[no-untyped-call]
    except Exception as exc:
        checks.append(
            Check(
                "アクセストークン / access token",
                False,
                error_message(exc),
                _token_fix(str(exc), access, scopes),
            )
        )
    else:
        subject = f" (as {access.subject})" if access.subject else ""
        checks.append(
            Check("アクセストークン / access token", True, f"取得できました / obtained{subject}")
        )
    return checks


def _token_fix(message: str, access: GoogleAccess, scopes: Sequence[str]) -> str:
    if "unauthorized_client" in message:
        return (
            "Google Workspace 管理コンソール → セキュリティ → API の制御 → ドメイン全体の委任 で、"
            "サービスアカウントのクライアント ID に次のスコープを許可してください / authorise the "
            f"service account's client ID for domain-wide delegation with: {','.join(scopes)}"
        )
    if "invalid_grant" in message:
        return (
            "鍵が削除・無効化されたか、PC の時計がずれています。新しい鍵を作るか時計を合わせて"
            "ください / the key was deleted or disabled, or the clock is wrong: create a new "
            "key or fix the clock"
        )
    return (
        "ネットワークと google.credentials_file を確認してください / check the network and the key"
    )


def _api_check(
    name: str, call: Callable[[], Any], on_404: str, on_403: str, other: str = ""
) -> tuple[Check | None, Any]:
    """(a failed Check, None) or (None, the reply)."""
    try:
        return None, retry.call(call)
    except Exception as exc:
        status = http_status(exc)
        if status is None and not retry.is_transient(exc):
            raise
        later = other or "時間をおいて再実行してください / try again later"
        fix = {404: on_404, 403: on_403}.get(status or 0, later)
        return Check(name, False, error_message(exc), fix), None


def form_checks(settings: Settings, access: GoogleAccess) -> list[Check]:
    forms = service(access, "forms", "v1", FORMS_READ).forms()
    sa = service_account_email(access) or "the OAuth user"
    checks = []
    for form in FORMS:
        key = f"source.{form}_form_id"
        form_id = getattr(settings.source, f"{form}_form_id") or ""
        name = f"フォーム / form {FORM_TITLES[form]}"
        failed, reply = _api_check(
            name,
            forms.get(formId=form_id).execute,
            f"{key} ({form_id}) を確認してください (編集画面 URL の /d/ と /edit の間) / "
            f"check {key}: the part between /d/ and /edit of the form's edit URL",
            f"フォームの「共同編集者を追加」で {sa} を追加してください / add {sa} as a "
            "collaborator (editor) of the form",
        )
        if failed is not None:
            checks.append(failed)
            continue
        title = (reply.get("info") or {}).get("title", "")
        checks.append(Check(name, True, f"「{title}」({form_id}) を読めます / readable"))
        checks.append(questions_check(settings, form, questions_of(reply), form_id))
    return checks


def response_sheet_checks(settings: Settings, access: GoogleAccess) -> list[Check]:
    sheets = service(access, "sheets", "v4", [SHEETS]).spreadsheets()
    sa = service_account_email(access) or "the OAuth user"
    checks = []
    for form in FORMS:
        key = f"source.{form}_sheet_id"
        sheet_id = getattr(settings.source, f"{form}_sheet_id") or ""
        name = f"回答シート / responses sheet ({FORM_TITLES[form]})"
        failed, book = _api_check(
            name,
            sheets.get(spreadsheetId=sheet_id, fields="sheets(properties(title))").execute,
            f"{key} を確認してください / check {key}",
            f"回答スプレッドシートを {sa} と共有してください / share it with {sa}",
        )
        if failed is not None:
            checks.append(failed)
            continue
        tabs = [str(s["properties"].get("title", "")) for s in book.get("sheets") or []]
        tab = getattr(settings.source, f"{form}_worksheet") or (tabs[0] if tabs else "")
        if tab not in tabs:
            fix = f"source.{form}_worksheet を確認してください / check source.{form}_worksheet"
            checks.append(Check(name, False, f"シート「{tab}」がありません / no tab {tab}", fix))
            continue
        failed, reply = _api_check(
            name,
            sheets.values().get(spreadsheetId=sheet_id, range=f"{quote(tab)}!1:1").execute,
            "",
            "",
        )
        if failed is not None:
            checks.append(failed)
            continue
        header = [normalise_header(h) for h in (reply.get("values") or [[]])[0]]
        checks.append(Check(name, True, f"「{tab}」を読めます / readable"))
        checks.append(
            questions_check(settings, form, [Question(h, h, "column") for h in header], tab)
        )
    return checks


def status_sheet_checks(
    access: GoogleAccess, spreadsheet_id: str, config_path: Path | None = None
) -> list[Check]:
    sheets = service(access, "sheets", "v4", [SHEETS]).spreadsheets()
    sa = service_account_email(access) or "the OAuth user"
    name = "状況シート / status sheet"
    failed, book = _api_check(
        name,
        lambda: sheets.get(
            spreadsheetId=spreadsheet_id, fields="properties(title),sheets(properties(title))"
        ).execute(),
        "sheet.spreadsheet_id を確認してください (URL の /d/ と /edit の間) / check "
        "sheet.spreadsheet_id: the part between /d/ and /edit of the URL",
        f"スプレッドシートの「共有」で {sa} を編集者として追加してください / share the "
        f"spreadsheet with {sa} as an editor",
    )
    if failed is not None:
        return [failed]
    title = (book.get("properties") or {}).get("title", "")
    checks = [Check(name, True, f"「{title}」({spreadsheet_id}) を読めます / readable")]
    titles = [str((s.get("properties") or {}).get("title", "")) for s in book.get("sheets") or []]
    present = [layout.name for layout in ALL_TABS if layout.name in titles]
    headers: dict[str, list[Any]] = {}
    if present:
        ranges = [f"{quote(tab)}!1:1" for tab in present]
        failed, reply = _api_check(
            "見出し行 / header rows",
            lambda: sheets.values().batchGet(spreadsheetId=spreadsheet_id, ranges=ranges).execute(),
            "",
            "",
        )
        if failed is not None:
            return [*checks, failed]
        for tab, value_range in zip(present, reply.get("valueRanges") or [], strict=False):
            headers[tab] = (value_range.get("values") or [[]])[0]
    problems = layout_problems(titles, headers)
    if problems:
        command = f"bansou-sync init-sheet --config {config_path or 'config.yaml'}"
        fix = f"{command} を実行してください / run {command}"
        checks.append(Check("シートの形 / sheet layout", False, "; ".join(problems), fix))
    else:
        checks.append(
            Check("シートの形 / sheet layout", True, "6 タブと見出し行は仕様どおり / as SPEC §5")
        )
    return checks


def gmail_check(settings: Settings, access: GoogleAccess) -> Check:
    """getProfile needs more than gmail.send: it is tried with gmail.readonly (which the
    duplicate-send check uses) and skipped when delegation grants only gmail.send — the
    token check has then already proved that sending is delegated."""
    fix = (
        "google.subject に送信に使うメールボックスを書き、Workspace 管理コンソールでドメイン全体の"
        f"委任に {GMAIL_SEND} を許可してください (または mail.kind: smtp) / set google.subject "
        "to the sending mailbox and allow domain-wide delegation for gmail.send (or use smtp)"
    )
    if service_account_email(access) and not access.subject:
        detail = (
            "google.subject が未設定: サービスアカウントにはメールボックスがありません / no mailbox"
        )
        return Check("Gmail", False, detail, fix)
    # the mailer's own scopes when it uses drafts (they include gmail.readonly); without
    # drafts it asks for gmail.send only, which cannot read the profile
    scopes = gmail_scopes(True) if settings.mail.gmail_drafts else (GMAIL_SEND, GMAIL_READ)
    gmail = service(access, "gmail", "v1", scopes)
    try:
        failed, profile = _api_check(
            "Gmail", gmail.users().getProfile(userId="me").execute, fix, fix, fix
        )
    except RefreshError as exc:
        if "unauthorized_client" not in str(exc) or settings.mail.gmail_drafts:
            return Check("Gmail", False, error_message(exc), fix)
        detail = "gmail.send は委任済み (gmail.readonly がないため送信元は未確認) / send delegated"
        return Check("Gmail", True, detail)
    if failed is not None:
        return failed
    address = str(profile.get("emailAddress", ""))
    detail = f"{address} として送信します / sends as {address}"
    if address.casefold() != settings.mail.from_address.casefold():
        detail += (
            f" (mail.from {settings.mail.from_address} はこのアドレスの別名である必要があります"
            " / must be an alias of it)"
        )
    return Check("Gmail", True, detail)
