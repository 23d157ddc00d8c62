"""The bundled reference programme, run as the secretariat would run it, against a
reviewed golden result.

Daily cycles from the first day of the programme to a month after its end, through
the real CLI (in-process, for speed), with a deterministic member of staff between
cycles: reviews on Mondays, documents received two weeks after registration (later for
some supporters, so payments are held and released), transfers ticked on pay day.
The final status tabs and the list of emails sent are compared with
``tests/golden/reference/``; ``BANSOU_UPDATE_GOLDEN=1`` rewrites them for review.
"""

from __future__ import annotations

import csv
import email
import email.policy
import importlib.util
import io
import os
import shutil
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bansou_sync.cli import main
from bansou_sync.core.tabs import is_duplicate_row

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "reference"
TABS = ("伴走者", "申請", "支払", "メール", "統計")
FIRST, LAST = date(2022, 5, 25), date(2023, 3, 31)


def read_tab(folder: Path, tab: str) -> list[dict[str, str]]:
    path = folder / f"{tab}.csv"
    if not path.exists():
        return []
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def write_tab(folder: Path, tab: str, rows: list[dict[str, str]]) -> None:
    if not rows:
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    (folder / f"{tab}.csv").write_text(buffer.getvalue(), encoding="utf-8-sig")


def number(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


def staff_work(status: Path, today: date) -> None:
    """What the secretariat does on ``today`` before the noon cycle."""
    supporters = read_tab(status, "伴走者")
    for row in supporters:
        if is_duplicate_row(row["伴走ネットID"]):
            continue  # a duplicate's row (issue 13 §1): its papers are the original's
        registered = date.fromisoformat(row["登録日時"][:10])
        late = number(row["伴走ネットID"]) % 7 == 0  # their documents come back late
        if today >= registered + timedelta(days=45 if late else 14):
            row["覚書受領"] = row["口座届出受領"] = "TRUE"
    write_tab(status, "伴走者", supporters)
    if today.weekday() == 0:
        applications = read_tab(status, "申請")
        for row in applications:
            received = date.fromisoformat(row["受信日時"][:10])
            if row["状態コード"] != "pending_review" or today < received + timedelta(days=2):
                continue
            n = number(row["申請番号"])
            if n % 29 == 0:
                row["審査"] = "却下"
                row["却下理由(伴走者へ)"] = (
                    "同じ支援について、すでに別の申請を受付完了としています。"
                )
            elif n % 17 == 0 and not row["審査"]:
                row["審査"], row["審査メモ"] = "差戻し", "同行先の記載をお願いします"
            else:
                row["審査"] = "承認"
        write_tab(status, "申請", applications)
    payments = read_tab(status, "支払")
    for row in payments:
        if (
            row["状態"] == "予定"
            and row["支払予定日"]
            and date.fromisoformat(row["支払予定日"]) <= today
        ):
            row["支払済"] = "TRUE"
    write_tab(status, "支払", payments)


def mail_log(outbox: Path) -> list[str]:
    lines = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        lines.append(f"{message['X-Bansou-Kind']}\t{message['X-Bansou-Ref']}\t{message['To']}")
    return lines


def replay(folder: Path) -> Path:
    """The reference programme, day by day with the scripted staff, in ``folder``
    (also used by scripts/gen_emails_doc.py to render docs/emails.md)."""
    shutil.copytree(ROOT / "reference", folder / "reference")
    config = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    (folder / "config.yaml").write_text(config, encoding="utf-8")
    os.environ["BANSOU_CLIENT_KEY"] = "golden-test-key"
    status = folder / "out" / "status"
    today = FIRST
    while today <= LAST:
        if status.exists():
            staff_work(status, today)
        moment = datetime(today.year, today.month, today.day, 12, 0).isoformat(sep=" ")[:16]
        assert main(["once", "--config", str(folder / "config.yaml"), "--now", moment]) == 0
        today += timedelta(days=1)
    return folder


@pytest.fixture(scope="module")
def programme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return replay(tmp_path_factory.mktemp("reference"))


def test_the_reference_programme_ends_as_the_reviewed_golden_result(programme: Path) -> None:
    status = programme / "out" / "status"
    results = {
        f"{tab}.csv": (status / f"{tab}.csv").read_text(encoding="utf-8-sig") for tab in TABS
    }
    results["mails.tsv"] = "\n".join(mail_log(programme / "out" / "outbox")) + "\n"
    if os.environ.get("BANSOU_UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, text in results.items():
            (GOLDEN / name).write_text(text, encoding="utf-8")
    for name, text in results.items():
        assert text == (GOLDEN / name).read_text(encoding="utf-8"), f"{name} differs from golden"


def test_no_email_is_sent_twice_and_every_response_has_one_row(programme: Path) -> None:
    outbox = programme / "out" / "outbox"
    ids = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Message-ID"]
        for p in outbox.glob("*.eml")
    ]
    assert len(ids) == len(set(ids))
    applications = read_tab(programme / "out" / "status", "申請")
    assert len(applications) == 300
    assert len({row["回答ID"] for row in applications}) == 300


def test_every_status_and_every_email_kind_is_exercised(programme: Path) -> None:
    applications = read_tab(programme / "out" / "status", "申請")
    statuses = Counter(row["状態コード"] for row in applications)
    for status in ("resubmitted", "expired", "ineligible", "accepted", "rejected", "paid"):
        assert statuses[status] > 0, status
    kinds = Counter(line.split("\t")[0] for line in mail_log(programme / "out" / "outbox"))
    for kind in (
        "registration_confirmed",
        "registration_duplicate",
        "application_received",
        "application_deficient",
        "deficiency_reminder",
        "deficiency_expired",
        "application_ineligible",
        "application_accepted",
        "application_rejected",
        "payment_held",
        "payment_released",
        "staff_digest",
    ):
        assert kinds[kind] > 0, kind


def test_docs_emails_md_shows_the_emails_of_this_replay(programme: Path) -> None:
    """docs/emails.md is current: regenerate it with scripts/gen_emails_doc.py."""
    spec = importlib.util.spec_from_file_location(
        "gen_emails_doc", ROOT / "scripts" / "gen_emails_doc.py"
    )
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    text = generator.document(programme / "out" / "outbox")
    if os.environ.get("BANSOU_UPDATE_GOLDEN"):
        (ROOT / "docs" / "emails.md").write_text(text, encoding="utf-8")
    assert text == (ROOT / "docs" / "emails.md").read_text(encoding="utf-8"), (
        "docs/emails.md is not current: run scripts/gen_emails_doc.py"
    )
    for kind in generator.KINDS:
        assert f"### `{kind}`" in text
