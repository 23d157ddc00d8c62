"""A process killed between the ledger commit and the sends loses and repeats nothing."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
from pathlib import Path

import pytest
from inprocess import run_cli

from bansou_sync.crashpoints import CRASH_ENV, CRASH_EXIT

REG_HEADER = (
    "タイムスタンプ,氏名,ふりがな,メールアドレス,電話番号,郵便番号,住所,移住連との関係,"
    "紹介者のお名前,活動地域(都道府県),対応できる言語,伴走支援講座の受講を希望しますか,"
    "個人情報の取扱いに同意します"
)
APP_HEADER = (
    "タイムスタンプ,伴走ネットID,氏名,メールアドレス,支援実施日,開始時刻,終了時刻,"
    "同行した伴走者の伴走ネットID,相談者コード,相談者のイニシャル,相談者の生まれ年,相談者の国籍,"
    "相談内容,同行先,つながった公的支援,支援の内容,再提出の場合、元の申請番号,個人情報の取扱いに同意します"
)


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    regs = [REG_HEADER]
    for i in range(1, 6):
        regs.append(
            f"2022/05/2{i} 10:00:00,架空 伴走{i},かくう,volunteer{i}@example.com,090-0000-000{i},"
            f"100-0001,東京都千代田区架空町{i},会員,,東京都,日本語,はい,同意します"
        )
    apps = [APP_HEADER]
    for i in range(1, 6):
        apps.append(
            f"2022/06/0{i} 10:00:00,BN-000{i},架空 伴走{i},volunteer{i}@example.com,2022/06/01,"
            f"10:00:00,13:00:00,,,K.{i},198{i},架空国,医療,病院,なし,架空の内容,,同意します"
        )
    (tmp_path / "reg.csv").write_text("\n".join(regs) + "\n", encoding="utf-8")
    (tmp_path / "app.csv").write_text("\n".join(apps) + "\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "source: {kind: csv, registrations: reg.csv, applications: app.csv}\n"
        "sheet: {kind: local, path: out/status}\n"
        "mail: {kind: outbox, path: out/outbox, staff_to: [jimukyoku@example.org]}\n"
        "state: {path: out/ledger.sqlite3}\n",
        encoding="utf-8",
    )
    return tmp_path


def run_once(folder: Path, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BANSOU_CLIENT_KEY": "test-key"}
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    # the crashing run in a subprocess (os._exit), the restarts in this process
    return run_cli(
        ["once", "--config", str(folder / "config.yaml"), "--now", "2022-06-10 12:00"], env=env
    )


def message_ids(folder: Path) -> list[str]:
    ids = []
    for path in sorted((folder / "out" / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        ids.append(str(message["Message-ID"]))
    return ids


@pytest.mark.parametrize(
    "crash_at", ["after_read", "after_commit", "between_sends", "before_sheet"]
)
def test_a_crash_at_any_point_of_a_cycle_loses_and_repeats_no_email(
    programme: Path, crash_at: str
) -> None:
    crashed = run_once(programme, crash_at)
    assert crashed.returncode == CRASH_EXIT, crashed.stderr

    resumed = run_once(programme)
    assert resumed.returncode == 0, resumed.stderr
    again = run_once(programme)
    assert again.returncode == 0, again.stderr

    ids = message_ids(programme)
    # 5 registrations + 5 applications: each gets exactly one first email (+ the digest)
    kinds = [p.name.split("-")[3] for p in sorted((programme / "out" / "outbox").glob("*.eml"))]
    assert kinds.count("registration_confirmed") == 5
    assert kinds.count("application_received") == 5
    assert len(ids) == len(set(ids)), "a Message-ID was sent twice"
    rows = (programme / "out" / "status" / "申請.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 1 + 5, "every response has exactly one row"
