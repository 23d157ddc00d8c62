"""`bansou-sync status`: the last cycle, consecutive failures and what waits for staff —
the same lists as the daily digest — read from the ledger without changing it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from bansou_sync.adapters.ledger import Ledger
from bansou_sync.app.status import read_status
from bansou_sync.bootstrap import policy_from
from bansou_sync.config import load_config
from bansou_sync.core.calendar import JST

from .conftest import Project, application

NOW = "2022-07-06 12:00"


def busy_project(project: Project) -> Project:
    """A pending review, a deficiency due 7/08, and a receipt held back by the daily limit
    (staff mail goes first, issue 10 §5: the digest is sent, one of 5 mails waits with 4 a day)."""
    project.write_config(mail={"daily_limit": 4})
    project.register(2)
    june_25 = {"support_date": "2022/06/25", "client_initials": "AA"}
    project.add_applications(
        *(
            application(
                f"2022/07/01 1{n}:00:00",
                supporter_id=f"BN-000{n}",
                name=f"伴走 {n}郎",
                email=f"user{n}@example.com",
                **june_25,
                **({"end_time": ""} if n == 1 else {}),
            )
            for n in (1, 2)
        )
    )
    project.once("2022-07-01 12:00")
    return project


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_status_prints_the_last_cycle_failures_and_what_waits_for_staff(
    project: Project,
) -> None:
    busy_project(project)
    before = digest(project.ledger_path)

    out = project.cli("status", "--config", str(project.config_path), "--now", NOW).stdout

    for section in (
        "最終同期 / last cycle",
        "連続失敗 / consecutive failures: 0",
        "審査待ち / pending reviews: 1",
        "再回答期限が近い不備 / deficiencies near their deadline: 1",
        "謝金の保留 / held payments: なし / none",
        "要確認の登録 / registrations needing review: なし / none",
        "予算 / budget: 6,000 円 / 20,000,000 円",
        "application_received",  # waiting: the digest went first (issue 10 §5)
        "送信待ちメール / mail waiting: 1",
        "送信失敗・要確認のメール / failed mail: なし / none",
    ):
        assert section in out, out
    assert "A-000001" in out and "A-000002" in out and "2022-07-08" in out
    assert "成功" in out and "2022-07-01 12:00" in out
    assert "@example.com" not in out  # IDs only, as in the logs
    assert digest(project.ledger_path) == before  # read-only


def test_status_lists_what_the_digest_listed_on_the_same_morning(project: Project) -> None:
    busy_project(project)
    settings = load_config(project.config_path)
    with Ledger.open_readonly(project.ledger_path) as ledger:
        sent = [i for i in ledger.outbox_items() if i.kind == "staff_digest"]
        status = read_status(ledger, policy_from(settings), datetime(2022, 7, 1, 12, tzinfo=JST))

    assert len(sent) == 1
    for section in ("pending", "near_deadline", "held", "needs_review", "budget"):
        assert status.waiting[section] == sent[0].context[section], section


def test_status_counts_consecutive_failures_and_shows_the_error(project: Project) -> None:
    busy_project(project)
    (project.root / "reg.csv").unlink()
    for now in ("2022-07-02 12:00", "2022-07-02 12:05"):
        assert project.once(now, check=False).returncode != 0

    out = project.cli("status", "--config", str(project.config_path)).stdout

    assert "連続失敗 / consecutive failures: 2" in out
    assert "失敗" in out and "SourceUnavailable" in out


def test_status_without_a_ledger_says_to_run_once_first(project: Project) -> None:
    result = project.cli("status", "--config", str(project.config_path), check=False)

    assert result.returncode == 1
    assert "bansou-sync once" in result.stderr and "Traceback" not in result.stderr
    assert not project.ledger_path.exists()
