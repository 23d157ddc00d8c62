"""Alerts for credentials that stopped, or are about to stop, working (issue 4 §7).

A credential problem does not heal by waiting, so it does not wait for
``alerts.after_failures`` failed cycles: the first cycle that meets one sends the single
``sync_failure`` alert (once until a cycle succeeds again, like every failure alert).

* ``invalid_grant`` on a token grant — the key was deleted, the refresh token revoked
  or expired;
* a 401 that reaches bansou-sync — google-auth has already refreshed the token and
  retried once, so this is "a 401 after a fresh token";
* a 403 on a resource that worked before — access was taken away (a 403 on the very
  first cycles is a set-up mistake, reported by the failure itself and by ``doctor``);
* an OAuth user credential of an app still in "testing" whose refresh token is six or
  more days old: Google expires those after seven days, so staff get a day's warning.
  Its age is the older of the credentials file's modification time and the day the
  ledger first saw that token (only a hash of the token is kept).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bansou_sync.core.calendar import JST, stamp, to_jst
from bansou_sync.ports import CredentialTrouble

WARN_AFTER = timedelta(days=6)  # testing-app refresh tokens die at seven days

EXPLAINED = {
    "invalid_grant": (
        "Google が認証情報を受け付けなくなりました(invalid_grant)。サービスアカウントの鍵が"
        "削除・無効化されたか、OAuth のトークンが取り消し・失効した可能性があります。"
        "新しい鍵(またはトークン)を作り直して google.credentials_file を置き換えてください / "
        "Google refused the credentials (invalid_grant): the key was deleted or disabled, or "
        "the OAuth token was revoked or expired. Create a new key or token and replace "
        "google.credentials_file."
    ),
    "unauthorized": (
        "新しいアクセストークンでも Google が認証を拒否しました(401)。鍵やトークンが無効に"
        "なった可能性があります。bansou-sync doctor で確認してください / Google rejected a "
        "freshly refreshed token (401): the credentials no longer work. Run bansou-sync doctor."
    ),
    "forbidden": (
        "これまで使えていた Google のフォーム・シート・Gmail に権限がなくなりました(403)。"
        "共有の解除、ドメイン全体の委任の変更、API の無効化がないか確認してください / access "
        "that used to work is now refused (403): check the sharing of the forms and the "
        "sheet, domain-wide delegation and the enabled APIs."
    ),
}


def trouble_text(
    exc: BaseException, worked_before: bool, classify: CredentialTrouble | None
) -> str | None:
    """The explanation for staff when ``exc`` means the credentials stopped working, as
    ``classify`` (the Google adapters' reading of the error) tells; None without one."""
    kind = classify(exc) if classify is not None else None
    if kind is None or (kind == "forbidden" and not worked_before):
        return None
    return EXPLAINED[kind]


@dataclass(frozen=True)
class TokenAge:
    """Where to look for an OAuth user credential of an app still in testing."""

    credentials_file: Path
    testing_app: bool

    def refresh_token_key(self) -> str | None:
        """A short hash of the refresh token (never the token itself), or None when the
        credentials are not an OAuth user credential of a testing app."""
        if not self.testing_app:
            return None
        try:
            data = json.loads(self.credentials_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # the cycle itself reports an unreadable file
        if not isinstance(data, dict) or data.get("type") != "authorized_user":
            return None
        token = str(data.get("refresh_token", ""))
        return hashlib.sha256(token.encode()).hexdigest()[:16] if token else None

    def issued_at(self, first_seen: str | None) -> datetime:
        """The older of the file's modification time and the day the ledger first saw it."""
        modified = datetime.fromtimestamp(self.credentials_file.stat().st_mtime, JST)
        if first_seen:
            return min(modified, datetime.fromisoformat(first_seen))
        return modified


def expiry_warning(issued: datetime, now: datetime) -> str | None:
    """The warning text when a testing app's refresh token is six or more days old."""
    if to_jst(now) - to_jst(issued) < WARN_AFTER:
        return None
    dies = stamp(to_jst(issued) + timedelta(days=7))
    return (
        f"OAuth アプリが「テスト」状態のため、Google の更新トークンは発行から7日で失効します。"
        f"このトークンは {stamp(issued)} ごろの発行で、{dies} ごろに使えなくなります。"
        f"それまでに認証をやり直す(新しい認証情報ファイルを作る)か、OAuth 同意画面でアプリを"
        f"「本番環境」に公開してください / the OAuth app is in testing, so Google expires its "
        f"refresh tokens 7 days after issue: this one (issued about {stamp(issued)}) stops "
        f"working about {dies}. Authorise again or publish the app (In production)."
    )
