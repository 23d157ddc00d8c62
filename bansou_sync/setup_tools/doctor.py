"""``bansou-sync doctor``: is everything in the configuration reachable and as expected?

One ``Check`` per line: credentials (key file, its permissions, a token), each
configured API (forms.get, spreadsheets.get, Gmail getProfile, an SMTP login), the
status sheet's layout (SPEC §5), every question the config relies on in the live form,
and for the embedded default the CSV files and the output folders. Every failure
carries a fix, Japanese first then English. Nothing is written anywhere.
"""

from __future__ import annotations

import csv
import io
import os
import smtplib
import ssl
from pathlib import Path

from bansou_sync.adapters.csv_source import TIMESTAMP_HEADERS, export_rows, normalise_header
from bansou_sync.adapters.form_fields import FORM_TITLES
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.textfile import read_export_text, read_text
from bansou_sync.app.first_run import placeholder_problem, reaches_people
from bansou_sync.config import Settings
from bansou_sync.core.form_questions import Question
from bansou_sync.core.sheet_setup import layout_problems
from bansou_sync.core.tabs import ALL_TABS
from bansou_sync.errors import BansouError
from bansou_sync.setup_tools.doctor_checks import Check, format_checks, questions_check
from bansou_sync.setup_tools.doctor_google import (
    credential_checks,
    delegation_check,
    form_checks,
    gmail_check,
    response_sheet_checks,
    status_sheet_checks,
)
from bansou_sync.setup_tools.google_scopes import scopes_for

FORMS = ("registration", "application")
__all__ = ["Check", "doctor", "format_checks"]


def access_from(settings: Settings) -> GoogleAccess | None:
    google = settings.google
    if google.credentials_file is None:
        return None
    return GoogleAccess(google.credentials_file, google.subject, google.api_base)


def doctor(settings: Settings) -> list[Check]:
    checks = [
        _config(settings),
        _client_key(settings),
        *_placeholder(settings),
        *_folders(settings),
    ]
    if settings.source.kind == "csv":
        checks += _csv_sources(settings)
    scopes = scopes_for(settings)
    access = access_from(settings)
    if scopes and access is not None:
        checks.append(delegation_check(access, scopes))
        credentials = credential_checks(access, scopes)
        checks += credentials
        if all(c.ok or c.name.startswith("鍵ファイルの権限") for c in credentials):
            if settings.source.kind == "forms_api":
                checks += form_checks(settings, access)
            if settings.source.kind == "response_sheet":
                checks += response_sheet_checks(settings, access)
            if settings.sheet.kind == "google" and settings.sheet.spreadsheet_id:
                checks += status_sheet_checks(
                    access, settings.sheet.spreadsheet_id, settings.config_path
                )
            if settings.mail.kind == "gmail":
                checks.append(gmail_check(settings, access))
    if settings.sheet.kind == "local" and settings.sheet.path is not None:
        checks += _local_sheet(settings.sheet.path)
    if settings.mail.kind == "smtp":
        checks.append(_smtp(settings))
    return checks


# --- configuration and local files ---------------------------------------------------


def _config(settings: Settings) -> Check:
    detail = f"{settings.config_path}"
    if settings.warnings:
        detail += " (警告 / warnings: " + "; ".join(settings.warnings) + ")"
    problems = settings.client_key_warnings()
    if problems:
        return Check("設定 / config", False, "; ".join(problems), problems[0])
    return Check("設定 / config", True, detail)


def _client_key(settings: Settings) -> Check:
    name = "相談者ハッシュの鍵 / client key"
    problem = settings.client_key_problem()
    if problem:
        fix = (
            "サービスのユーザーが書き込めるフォルダに置くか (例 /var/lib/bansou-sync/secrets/"
            "client_key)、所有者と権限を直してください / put it in a folder the service user "
            "can write, or fix its owner and mode"
        )
        return Check(name, False, problem, fix)
    where = (
        "BANSOU_CLIENT_KEY" if settings.client_key_from_env else settings.privacy.client_key_file
    )
    return Check(name, True, f"{where}")


def _placeholder(settings: Settings) -> list[Check]:
    real = reaches_people(settings.mail.kind, settings.google.api_base)
    problem = placeholder_problem(real, settings.forms.application.url)
    if problem is None:
        return []
    fix = (
        "申請フォームの「送信」→ リンクの URL を forms.application.url に、「事前入力した URL を"
        "取得」で表示される entry 番号を forms.application.entries に書いてください / set the "
        "form's public link and the entry numbers of a pre-filled link"
    )
    return [Check("再提出リンク / resubmission link", False, problem, fix)]


def _writable(path: Path) -> bool:
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    return existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)


def _folders(settings: Settings) -> list[Check]:
    folders = [("state.path", settings.state.path.parent)]
    if settings.sheet.kind == "local" and settings.sheet.path is not None:
        folders.append(("sheet.path", settings.sheet.path))
    if settings.mail.kind == "outbox" and settings.mail.path is not None:
        folders.append(("mail.path", settings.mail.path))
    checks = []
    for key, folder in folders:
        if _writable(folder):
            checks.append(Check(f"フォルダ / folder {key}", True, f"{folder} に書き込めます"))
        else:
            checks.append(
                Check(
                    f"フォルダ / folder {key}",
                    False,
                    f"{folder} に書き込めません / cannot write to {folder}",
                    f"フォルダを作るか権限を直すか、{key} を変えてください / create the folder, "
                    f"fix its permissions or change {key}",
                )
            )
    return checks


def _csv_sources(settings: Settings, *, only_present: bool = False) -> list[Check]:
    """``only_present``: leave out an export not set or not downloaded yet."""
    paths = {
        "registration": settings.source.registrations,
        "application": settings.source.applications,
    }
    checks = []
    if paths["registration"] is not None and paths["registration"] == paths["application"]:
        checks.append(
            Check(
                "回答CSV / responses CSV",
                False,
                f"登録と申請に同じファイル {paths['registration']} が指定されています / the same "
                f"file is configured for both forms",
                "source.registrations と source.applications にそれぞれのフォームの回答CSVを"
                "指定してください / set each form's own export",
            )
        )
    for form in FORMS:
        path = paths[form]
        key = f"source.{form}s"
        name = f"回答CSV / responses CSV ({FORM_TITLES[form]})"
        fix = f"Google フォームの「回答」→ CSV をダウンロードして {key} に指定してください / download the responses CSV and set {key}"
        if only_present and (path is None or not path.exists()):
            continue
        if path is None:
            checks.append(Check(name, False, f"{key} が未設定 / not set", fix))
            continue
        try:
            rows = export_rows(read_export_text(path)[0])
        except (OSError, BansouError, csv.Error) as exc:
            checks.append(Check(name, False, f"{path} を読めません / cannot read: {exc}", fix))
            continue
        header = [normalise_header(h) for h in (rows[0] if rows else [])]
        if not any(h.casefold() in TIMESTAMP_HEADERS for h in header):
            detail = f"{path} の1行目に「タイムスタンプ」列がありません / no タイムスタンプ column"
            checks.append(Check(name, False, detail, fix))
            continue
        checks.append(Check(name, True, f"{path}: {len(rows) - 1} 行 / rows"))
        questions = [Question(h, h, "column") for h in header]
        checks.append(questions_check(settings, form, questions, f"{path.name}"))
    return checks


def source_problems(settings: Settings) -> list[str]:
    """What ``check-config`` adds for the embedded default: the headers of the exports
    that exist (a missing one may simply not be downloaded yet; ``doctor`` says so)."""
    if settings.source.kind != "csv":
        return []
    return [c.detail for c in _csv_sources(settings, only_present=True) if not c.ok]


def _local_sheet(folder: Path) -> list[Check]:
    titles, headers = [], {}
    for layout in ALL_TABS:
        path = folder / f"{layout.name}.csv"
        if not path.exists():
            continue
        titles.append(layout.name)
        try:
            rows = list(csv.reader(io.StringIO(read_text(path), newline="")))
        except (OSError, BansouError, csv.Error):
            rows = []
        headers[layout.name] = rows[0] if rows else []
    problems = [p for p in layout_problems(titles, headers) if "missing" not in p]
    name = f"状況シート / status sheet ({folder})"
    if problems:
        fix = "見出し行を仕様 (SPEC §5) どおりに直してください / restore the header rows"
        return [Check(name, False, "; ".join(problems), fix)]
    return [
        Check(
            name,
            True,
            f"{len(titles)} タブ / tabs (ないタブは初回に作ります / missing ones are created)",
        )
    ]


# --- Google --------------------------------------------------------------------------


def _smtp(settings: Settings) -> Check:
    smtp = settings.mail.smtp
    host, port = smtp.host or "", smtp.port
    name = f"SMTP {host}:{port}"
    context = ssl.create_default_context()
    try:
        password = settings.smtp_password()
        server: smtplib.SMTP
        if smtp.security == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=15, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=15)
        with server:
            server.ehlo()
            if smtp.security == "starttls":
                server.starttls(context=context)
                server.ehlo()
            if smtp.username:
                server.login(smtp.username, password or "")
    except smtplib.SMTPAuthenticationError as exc:
        return Check(
            name,
            False,
            f"ログインできません / login refused ({exc.smtp_code})",
            f"mail.smtp.username と、{smtp.password_env} (または mail.smtp.password_file) の"
            "アプリパスワードを確認してください / check the username and the app password",
        )
    except smtplib.SMTPNotSupportedError:
        return Check(
            name,
            False,
            "STARTTLS に対応していません / the server does not offer STARTTLS",
            "mail.smtp.security を ssl にし port を 465 にしてください / use security: ssl, port 465",
        )
    except (OSError, smtplib.SMTPException, BansouError) as exc:
        return Check(
            name,
            False,
            f"接続できません / cannot connect: {exc}",
            "mail.smtp.host・port・security を確認してください (Gmail: smtp.gmail.com 587 "
            "starttls) / check host, port and security",
        )
    who = f" ({smtp.username})" if smtp.username else ""
    return Check(name, True, f"接続・ログインできました / connected{who}")
