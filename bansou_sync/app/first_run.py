"""Guards for the first real run (issue 11 §0): nothing reaches real people by mistake.

* A real mailer (``gmail``, ``smtp``) never sends the placeholder link of
  ``config.example.yaml`` (``…/forms/d/e/EXAMPLE/viewform``, or one with the guide's
  ``<…>`` left in): the cycle is refused with a one-line message naming
  ``forms.application.url``.
* With a real mailer, the first cycle of a ledger (nothing ever queued) that would queue
  more than ``mail.first_cycle_limit`` emails stops before it records anything, and
  says how to go on: ``once --confirm-send``, or ``mail.notify_after`` (which adopts
  the backlog without mailing it).

The outbox folder (``mail.kind: outbox``: the demo, trials, tests) is unaffected, and
so is Gmail pointed at a local emulator by ``google.api_base``: neither reaches a person.
"""

from __future__ import annotations

from bansou_sync.errors import GuardTripped

PLACEHOLDER_ID = "EXAMPLE"  # the form ID of config.example.yaml's placeholder link


def is_placeholder_url(url: str | None) -> bool:
    """config.example.yaml's link, or one still holding a "fill in here" mark (the
    ``<…>`` of the set-up guide, the ``…`` of SPEC §7)."""
    text = str(url or "")
    return f"/forms/d/e/{PLACEHOLDER_ID}/" in text or any(m in text for m in ("<", ">", "…"))


def reaches_people(mail_kind: str, api_base: str | None) -> bool:
    """SMTP, or Gmail on Google's own hosts (not on an emulator named by google.api_base)."""
    return mail_kind == "smtp" or (mail_kind == "gmail" and not api_base)


def placeholder_problem(real: bool, url: str | None) -> str | None:
    """Why a mailer that reaches people must not start with this resubmission link."""
    if not real or not is_placeholder_url(url):
        return None
    return (
        f"forms.application.url: 見本の URL ({url}) のままです。申請フォームの回答用 URL に"
        "書き換えてください (メールは送っていません) / still the placeholder of "
        "config.example.yaml: set the application form's public link (no email was sent)"
    )


def first_cycle_limit(
    real: bool, limit: int | None, notify_after_set: bool, confirmed: bool
) -> int | None:
    """The number of emails above which a first cycle must be confirmed; None: no limit."""
    if not real or notify_after_set or confirmed:
        return None
    return limit


def check_first_cycle(limit: int | None, queued: int, first: bool) -> None:
    """Refuse a first cycle that would mail more than ``limit`` people at once."""
    if limit is None or not first or queued <= limit:
        return
    raise GuardTripped(
        f"初回の同期で {queued} 通のメールを送ろうとしています (上限 mail.first_cycle_limit: "
        f"{limit})。何も記録・送信していません。過去の回答に通知しないなら mail.notify_after を設定し、"
        "すべて送るなら bansou-sync once --confirm-send で実行してください (まず --dry-run で確認) / "
        f"the first cycle would send {queued} emails (mail.first_cycle_limit: {limit}); nothing "
        "was recorded or sent. Set mail.notify_after to adopt the backlog without mailing it, "
        "or run bansou-sync once --confirm-send to send them all (check with --dry-run first)"
    )
