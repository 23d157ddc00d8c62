"""The bundled reference programme, run as the secretariat would run it, against a
reviewed golden result.

Daily cycles from the first day of the programme to a month after its end, through
the real CLI (in-process, for speed), with the deterministic member of staff of
``bansou_sync.season`` between cycles (the same driver ``scripts/demo`` uses).
The final status tabs and the list of emails sent are compared with
``tests/golden/reference/``; ``BANSOU_UPDATE_GOLDEN=1`` rewrites them for review.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import os
from collections import Counter
from pathlib import Path

import pytest

from bansou_sync import season
from bansou_sync.season import read_tab

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "reference"
TABS = ("伴走者", "申請", "支払", "メール", "統計")
# a hang guard, not a speed target: the replay is about a minute of CPU, and under
# scripts/test it starts first, beside the other longest tests on the shared cores (on a
# machine loaded by other work it took 300 s, pyproject's default guard)
pytestmark = pytest.mark.timeout(900)


def replay(folder: Path) -> Path:
    """The reference programme, day by day with the scripted staff, in ``folder``
    (also used by scripts/gen_emails_doc.py to render docs/emails.md)."""
    return season.replay(folder, ROOT)


def mail_log(outbox: Path) -> list[str]:
    lines = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        lines.append(f"{message['X-Bansou-Kind']}\t{message['X-Bansou-Ref']}\t{message['To']}")
    return lines


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
