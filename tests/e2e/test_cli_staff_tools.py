"""Issue 6 §4–6 through the real CLI on the embedded default (csv source, local sheet,
outbox): 緊急支援費 requests, ``purge`` and ``labels``. All data is fictitious."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from pypdf import PdfReader

from bansou_sync.adapters.form_fields import EMERGENCY_TITLES

from .conftest import STAFF, Project, _export, application, body, registration

ADDRESS = "東京都千代田区架空町9-9-9"


def emergency(timestamp: str, supporter_id: str, client_code: str, amount: str) -> dict[str, str]:
    return {
        "timestamp": timestamp,
        "supporter_id": supporter_id,
        "client_code": client_code,
        "amount": amount,
        "purposes": "食費・生活費, 医療",
        "narrative": "家賃を払えず架空の事情があります",
        "consent": "同意します",
    }


def people(project: Project) -> None:
    project.write_registrations(
        [
            registration(
                f"2022/05/20 9:0{i}:00",
                f"架空 {i}子",
                f"user{i}@example.com",
                phone=f"090-0000-000{i}",
                address=f"{ADDRESS}-{i}",
                postal_code="1000001",
            )
            for i in (1, 2, 3)
        ]
    )


def accepted_case(project: Project) -> None:
    """BN-0001 accepted for client C-0001 (T.N., 1985, ベトナム)."""
    people(project)
    project.write_applications(
        [application("2022/06/02 10:00:00", email="user1@example.com", name="架空 1子")]
    )
    project.once("2022-06-02 12:00")
    project.review("A-000001", "承認")
    project.tick("BN-0001")
    project.once("2022-06-03 12:00")
    assert project.app("A-000001")["状態コード"] == "accepted"


def test_emergency_requests_reach_staff_and_granted_money_closes_the_budget(
    project: Project,
) -> None:
    project.write_config(source={"emergency": "emr.csv"}, budget={"total_yen": 20000})
    _export(project.root / "emr.csv", EMERGENCY_TITLES, [])
    accepted_case(project)
    project.new_emails()
    _export(
        project.root / "emr.csv",
        EMERGENCY_TITLES,
        [
            emergency("2022/07/01 10:00:00", "bn-1", "Ｃ－０００１", "30,000円"),
            emergency("2022/07/01 11:00:00", "BN-0002", "C-0001", "5000"),  # not their case
        ],
    )
    project.once("2022-07-01 12:00")
    rows = {r["受付番号"]: r for r in project.tab("緊急支援")}
    assert {no: (r["状態コード"], r["対象申請番号"], r["希望金額"]) for no, r in rows.items()} == {
        "E-0001": ("pending_review", "A-000001", "30000"),
        "E-0002": ("unmatched", "", "5000"),
    }
    assert rows["E-0002"]["理由"].startswith("no_matching_case: ")
    mails = [m for m in project.new_emails() if m["X-Bansou-Kind"] == "emergency_request"]
    assert sorted((m["X-Bansou-Ref"], m["To"]) for m in mails) == [
        ("E-0001", STAFF),
        ("E-0002", STAFF),
    ]
    for mail in mails:
        assert "架空の事情" not in body(mail) and "架空 1子" not in body(mail)

    project.edit("緊急支援", "受付番号", "E-0001", 決定="承認", 金額="10,000")
    project.edit("緊急支援", "受付番号", "E-0002", 決定="却下")
    project.add_applications(
        application(
            "2022/07/02 10:00:00",
            supporter_id="BN-0002",
            email="user2@example.com",
            support_date="2022/07/01",
        )
    )
    project.once("2022-07-02 12:00")
    decided = {
        r["受付番号"]: (r["状態コード"], r["決定"], r["金額"]) for r in project.tab("緊急支援")
    }
    assert decided == {"E-0001": ("granted", "承認", "10,000"), "E-0002": ("rejected", "却下", "")}
    # 6,000 accepted + 10,000 granted leave 4,000: less than the smallest honorarium
    assert project.app("A-000002")["状態コード"] == "ineligible"
    assert project.app("A-000002")["理由"].startswith("budget_closed")

    # a lost ledger is rebuilt from the sheet: same 受付番号, decisions re-read, no re-send
    project.new_emails()
    for leftover in project.ledger_path.parent.glob("ledger.sqlite3*"):
        leftover.unlink()
    project.once("2022-07-03 12:00")
    again = {r["受付番号"]: (r["状態コード"], r["金額"]) for r in project.tab("緊急支援")}
    assert again == {"E-0001": ("granted", "10,000"), "E-0002": ("rejected", "")}
    assert [m for m in project.new_emails() if m["X-Bansou-Kind"] == "emergency_request"] == []


def test_purge_waits_for_the_date_shows_a_dry_run_then_blanks_personal_data_and_cycles_go_on(
    project: Project,
) -> None:
    project.write_config(
        privacy={"retain_until": "2023-08-31"}, accounting={"retain_until": "2030-03-31"}
    )
    accepted_case(project)
    project.edit(
        "伴走者", "伴走ネットID", "BN-0002", 連絡先訂正="new2@example.com", メモ="架空メモ"
    )
    project.once("2022-07-01 12:00")
    config = str(project.config_path)

    early = project.cli("purge", "--config", config, "--now", "2023-08-31 12:00", "--dry-run")
    assert "2023-08-31" in early.stdout and "nothing is due" in early.stdout

    dry = project.cli("purge", "--config", config, "--now", "2023-09-01 12:00", "--dry-run")
    assert "dry run" in dry.stdout and "BN-0002" in dry.stdout and "A-000001" in dry.stdout
    assert "架空 2子" not in dry.stdout and "user2@example.com" not in dry.stdout
    assert project.supporter("BN-0002")["氏名"] == "架空 2子"  # nothing changed

    cache = project.ledger_path.parent / "source-cache.bin"  # the exports' last read
    assert cache.exists()
    parsed = project.ledger_path.parent / "sheet-parsed"  # large tabs' kept parses
    parsed.mkdir(exist_ok=True)  # (these tabs are too small to be kept: one made here)
    (parsed / "kept.parsed").write_bytes("架空 2子".encode())
    done = project.cli("purge", "--config", config, "--now", "2023-09-01 12:00")
    assert "purged" in done.stdout
    assert not cache.exists() and not parsed.exists()
    payee, other = project.supporter("BN-0001"), project.supporter("BN-0002")
    assert payee["氏名"] == "架空 1子"  # the accounts keep who was paid
    assert (other["氏名"], other["メールアドレス"], other["連絡先訂正"], other["メモ"]) == (
        "",
        "",
        "",
        "",
    )
    assert project.app("A-000001")["氏名"] == ""
    assert project.app("A-000001")["謝金額"] == "6000"
    assert [r["氏名"] for r in project.tab("支払")] == ["架空 1子"]
    ledger = sqlite3.connect(project.ledger_path)
    assert ledger.execute("SELECT count(*) FROM purged").fetchone()[0] == 4  # 3 reg + 1 app
    assert ledger.execute("SELECT scope FROM purges").fetchall() == [("privacy",)]
    ledger.close()
    raw = project.ledger_path.read_bytes()
    for secret in (b"user2@example.com", "架空 2子".encode(), ADDRESS.encode(), b"new2@example"):
        assert secret not in raw

    def volunteer_mail() -> list[str]:  # (staff digests go on: a batch was never ticked 支払済)
        return [p.name for p in project.eml_paths() if "staff_digest" not in p.name]

    emails_before = volunteer_mail()
    project.once("2023-09-02 12:00")
    project.once("2023-09-03 12:00")
    assert volunteer_mail() == emails_before  # nothing re-imported, nobody re-emailed
    assert project.supporter("BN-0002")["氏名"] == ""
    project.add_registrations(registration("2023/09/04 10:00:00", "架空 4子", "user4@example.com"))
    project.once("2023-09-04 12:00")
    assert [r["伴走ネットID"] for r in project.tab("伴走者")][-1] == "BN-0004"

    project.cli("purge", "--config", config, "--now", "2030-04-01 12:00")
    assert project.supporter("BN-0001")["氏名"] == ""
    assert [r["氏名"] for r in project.tab("支払")] == [""]


def test_purge_without_a_retention_date_is_a_configuration_error(project: Project) -> None:
    result = project.cli("purge", "--config", str(project.config_path), check=False)
    assert result.returncode == 2
    assert "privacy.retain_until" in result.stderr and "Traceback" not in result.stderr


def test_labels_list_only_people_whose_memo_date_is_blank_and_never_touch_the_sheet(
    project: Project,
) -> None:
    people(project)
    project.once("2022-06-01 12:00")
    project.edit("伴走者", "伴走ネットID", "BN-0002", 覚書発送日="2022/06/01")
    result = project.cli(
        "labels", "--config", str(project.config_path), "--out", "lbl", "--now", "2022-06-02 12:00"
    )
    assert "2 件" in result.stdout and ADDRESS not in result.stdout and "架空" not in result.stdout
    folder = project.root / "lbl"
    table = list(
        csv.reader(io.StringIO((folder / "memo-labels-2022-06-02.csv").read_text("utf-8-sig")))
    )
    assert table == [
        ["伴走ネットID", "郵便番号", "住所", "氏名", "敬称"],
        ["BN-0001", "100-0001", f"{ADDRESS}-1", "架空 1子", "様"],
        ["BN-0003", "100-0001", f"{ADDRESS}-3", "架空 3子", "様"],
    ]
    pdf = folder / "memo-labels-2022-06-02.pdf"
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF") and b"/Count 1" in content  # one A4 page
    assert b"FontFile2" in content  # the Japanese font travels inside the PDF
    text = PdfReader(pdf).pages[0].extract_text()
    assert f"{ADDRESS}-1" in text and "架空 3子 様" in text and "(BN-0003)" in text
    assert "BN-0002" not in text  # its 覚書 was posted
    assert (pdf.stat().st_mode & 0o777) == 0o600
    for tab in Path(project.status_dir).glob("*.csv"):
        assert ADDRESS not in tab.read_text("utf-8-sig")
