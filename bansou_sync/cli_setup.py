"""The set-up commands: ``doctor``, ``init-sheet``, ``inspect-form`` and ``emulator``
(the tools themselves live in ``bansou_sync.setup_tools`` and ``bansou_sync.emulator``).
``cli`` imports this module only when one of them runs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.console import Console

from bansou_sync.config import Settings, load_config
from bansou_sync.errors import ConfigError

if TYPE_CHECKING:
    from bansou_sync.adapters.google_auth import GoogleAccess

console = Console(stderr=False, highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _google_access(settings: Settings) -> GoogleAccess:
    from bansou_sync.setup_tools.doctor import access_from

    access = access_from(settings)
    if access is None:
        raise ConfigError(
            "google.credentials_file: 設定してください / is required for this command"
        )
    return access


def cmd_doctor(args: argparse.Namespace) -> int:
    from bansou_sync.setup_tools.doctor import doctor, format_checks

    checks = doctor(load_config(args.config))
    console.print(format_checks(checks), markup=False)
    return 0 if all(c.ok for c in checks) else 1


def cmd_init_sheet(args: argparse.Namespace) -> int:
    from bansou_sync.setup_tools.init_sheet import (
        SheetSetupRefused,
        init_sheet,
        service_account_email,
    )

    settings = load_config(args.config)
    if settings.sheet.kind != "google" or not settings.sheet.spreadsheet_id:
        raise ConfigError(
            "sheet.kind: google と sheet.spreadsheet_id を設定してください / "
            "init-sheet needs sheet.kind: google and sheet.spreadsheet_id"
        )
    access = _google_access(settings)
    admins = [
        *settings.mail.staff_to,
        *([settings.google.subject] if settings.google.subject else []),
    ]
    from bansou_sync.bootstrap import status_layouts

    try:
        lines = init_sheet(
            access,
            settings.sheet.spreadsheet_id,
            admins,
            service_account_email(access),
            status_layouts(settings),  # the event tabs get their checkboxes and protection too
        )
    except SheetSetupRefused as refused:
        for line in refused.done:
            console.print(line, markup=False)
        for line in refused.refused:
            errors.print(f"NG  {line}", markup=False)
        errors.print(
            "一部のタブは直していません。上の手順を手で行ってから再実行してください / some tabs "
            "were left alone: do the above by hand, then run init-sheet again",
            markup=False,
        )
        return 1
    for line in lines:
        console.print(line, markup=False)
    return 0


def cmd_inspect_form(args: argparse.Namespace) -> int:
    from bansou_sync.config_errors import RESPONDER_PREFIX, form_id
    from bansou_sync.setup_tools.inspect_form import inspect_form

    settings = load_config(args.config)
    if str(args.form_id).startswith(RESPONDER_PREFIX):
        try:
            form_id(args.form_id)
        except ValueError as exc:  # PydanticCustomError is a ValueError
            raise ConfigError(f"FORM_ID: {exc}") from exc
    _questions, text = inspect_form(_google_access(settings), args.form_id)
    console.print(text, markup=False)
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    from bansou_sync.emulator.main import run_emulator

    return run_emulator(args.port, args.fixtures, args.out, args.row_metadata_on_sort)
