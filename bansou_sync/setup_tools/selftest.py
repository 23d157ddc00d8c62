"""``bansou-sync google-selftest --config FILE``: check, once at set-up (and after Google
changes something), each Google behaviour the product relies on, against the real
account — in a scratch tab of the status spreadsheet that is removed afterwards,
read-only on the forms, and in Gmail on a draft that is deleted unsent (or, when asked,
one message to the secretariat's own address).

The verdict is written beside the ledger (``google-selftest.json``); ``once`` and
``run`` read it at start (``check_verdict``) and refuse to start when it holds a
difference the product cannot live with on a backend the configuration uses.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bansou_sync.bootstrap import google_access, retry_policy
from bansou_sync.config import Settings
from bansou_sync.errors import ConfigError, GuardTripped
from bansou_sync.setup_tools.selftest_model import (
    Check,
    Verdict,
    could_not_run,
    from_json,
    now_text,
    refusal,
    to_json,
    verdict_path,
)

FORM_KINDS = ("registration", "application", "emergency")


def backends_in_use(settings: Settings) -> set[str]:
    used = set()
    if settings.sheet.kind == "google" or settings.source.kind == "response_sheet":
        used.add("sheets")
    if settings.source.kind == "forms_api":
        used.add("forms")
    if settings.mail.kind == "gmail":
        used.add("gmail")
    return used


def mailbox_of(settings: Settings) -> str:
    """The secretariat's own address: the delegated mailbox, else the From address."""
    return str(settings.google.subject or settings.mail.from_address)


def run_selftest(
    settings: Settings,
    now: datetime,
    *,
    send_test_message: bool = False,
    wait_seconds: float = 30.0,
) -> Verdict:
    # the checks and their client libraries: imported when a self-test runs, not by the
    # verdict check every ``once`` makes (issue 14)
    from bansou_sync.setup_tools.selftest_forms import run_form_checks
    from bansou_sync.setup_tools.selftest_gmail import run_gmail_checks
    from bansou_sync.setup_tools.selftest_sheets import TITLES, run_sheet_checks

    if settings.google.credentials_file is None:
        raise ConfigError(
            "google.credentials_file: google-selftest には必要です / is required by google-selftest"
        )
    access = google_access(settings)
    policy = retry_policy(settings)
    used = backends_in_use(settings)
    checks: list[Check] = []
    sort_behaviour = None
    scope: dict[str, object] = {}
    if settings.sheet.kind == "google" and settings.sheet.spreadsheet_id:
        scope["spreadsheet"] = settings.sheet.spreadsheet_id
        sheet_checks, sort_behaviour = run_sheet_checks(
            access, settings.sheet.spreadsheet_id, policy
        )
        checks += sheet_checks
    else:
        why = (
            "状況シートが Google スプレッドシートではありません(sheet.kind: google で使います)"
            " / the status sheet is not a Google spreadsheet (used with sheet.kind: google)"
        )
        checks += [could_not_run(i, "sheets", t, why) for i, t in TITLES.items()]
    forms = {
        kind: str(getattr(settings.source, f"{kind}_form_id"))
        for kind in FORM_KINDS
        if getattr(settings.source, f"{kind}_form_id", None)
    }
    if "forms" in used and forms:
        scope["forms"] = forms
        checks += run_form_checks(access, forms, policy)
    else:
        why = "source.kind が forms_api ではありません / source.kind is not forms_api"
        checks.append(
            could_not_run("forms", "forms", "フォームの回答一覧 / forms.responses.list", why)
        )
    if "gmail" in used and not settings.mail.gmail_drafts:
        # without drafts the mailer asks only for gmail.send and never searches, so the
        # search is neither needed nor allowed by the delegation (setup_tools.google_scopes)
        why = (
            "mail.gmail_drafts が false のため検索を使いません / mail.gmail_drafts is false:"
            " the exactly-once search is not used"
        )
        checks.append(could_not_run("gmail", "gmail", "Gmail の検索 / Gmail search", why))
    elif "gmail" in used:
        scope["mailbox"] = mailbox_of(settings)
        checks += run_gmail_checks(
            access, mailbox_of(settings), policy, send_test_message, wait_seconds
        )
    else:
        why = "mail.kind が gmail ではありません / mail.kind is not gmail"
        checks.append(could_not_run("gmail", "gmail", "Gmail の検索 / Gmail search", why))
    return Verdict(now_text(now), tuple(checks), sort_behaviour, scope)


def save_verdict(settings: Settings, verdict: Verdict) -> Path:
    path = verdict_path(Path(settings.state.path))
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(to_json(verdict) + "\n", encoding="utf-8")
    scratch.replace(path)
    return path


def check_verdict(settings: Settings) -> None:
    """At the start of ``once``/``run``: refuse when the last self-test found a behaviour
    the product cannot live with. No verdict file: nothing to refuse."""
    used = backends_in_use(settings)
    if not used:
        return  # the embedded default (CSV, local sheet, outbox) does not depend on Google
    path = verdict_path(Path(settings.state.path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise GuardTripped(
            f"{path}: google-selftest の結果を読めません / cannot read the google-selftest"
            f" result ({exc.strerror}); 読めるようにするか削除してください / make it readable"
            " or delete it"
        ) from exc
    try:
        verdict = from_json(text)
    except (ValueError, TypeError, KeyError) as exc:
        raise GuardTripped(
            f"{path}: google-selftest の結果が壊れています。google-selftest を再実行してください"
            f" / the google-selftest result is damaged: run google-selftest again ({exc})"
        ) from exc
    message = refusal(verdict, used)
    if message is not None:
        raise GuardTripped(message)
