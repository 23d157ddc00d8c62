"""How the shell reaches Google: whose credentials, which host, how patiently.

Kept apart from ``bootstrap`` (which re-exports both) so the commands that read one
backend of their own — ``payment-files``' bank details, the 操作 tab's payment files —
can use them without importing the composition root.
"""

from __future__ import annotations

from pathlib import Path

from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.config import Settings


def retry_policy(settings: Settings) -> RetryPolicy:
    r = settings.google.retry
    return RetryPolicy(
        attempts=r.attempts,
        total_seconds=r.total_seconds,
        base_seconds=r.base_seconds,
        max_wait_seconds=r.max_wait_seconds,
        timeout_seconds=r.timeout_seconds,
    )


def google_access(settings: Settings) -> GoogleAccess:
    google = settings.google
    assert google.credentials_file is not None  # config: every Google kind needs it
    return GoogleAccess(Path(google.credentials_file), google.subject, google.api_base)
