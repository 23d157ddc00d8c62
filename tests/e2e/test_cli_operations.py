"""Issue 13 §4 through the real CLI on the embedded default: staff ask for the payment
files, the 覚書 labels and the report in the 操作 tab (操作.csv), the next cycle makes
them into the configured folders and says in each row where they are, or why not.
All data is fictitious."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .conftest import Project, application

ROOT = Path(__file__).resolve().parents[2]
PAYER = {
    "client_code": "1234567890",
    "name": "ジムキヨク テスト",
    "bank_code": "0001",
    "branch_code": "001",
    "account_number": "1234567",
}
TAB = "操作"


def accepted_programme(project: Project, **config: Any) -> None:
    """Three members; BN-0001's application accepted on 2022-06-13 (締め日 2022-06-20,
    支払予定日 2022-07-08)."""
    project.write_config(
        payments={
            "payer": PAYER,
            "bank_details": {"kind": "csv", "path": str(ROOT / "reference" / "bank_details.csv")},
        },
        **config,
    )
    project.register(3)
    project.add_applications(
        application(
            "2022/06/10 12:00:00",
            supporter_id="BN-0001",
            name="伴走 1郎",
            email="user1@example.com",
            support_date="2022/06/08",
        )
    )
    project.once("2022-06-12 12:00")
    project.review("A-000001", "承認")
    project.once("2022-06-13 12:00")


def request(kind: str, tick: str = "TRUE", **params: str) -> dict[str, str]:
    return {"種類": kind, "依頼": tick, **params}


def rows_by_request(project: Project) -> dict[tuple[str, ...], dict[str, str]]:
    return {
        (r["種類"], r["対象日"], r["開始月"], r["終了月"], r["形式"]): r for r in project.tab(TAB)
    }


def test_the_operations_tab_is_written_after_specs_tabs_with_its_headers(project: Project) -> None:
    project.write_config()
    project.register(1)
    project.once("2022-06-01 12:00")
    assert project.header(TAB) == [
        "種類",
        "対象日",
        "開始月",
        "終了月",
        "形式",
        "依頼",
        "状態",
        "結果",
        "処理日時",
    ]
    assert project.tab(TAB) == []


def test_staff_get_the_payment_files_labels_and_report_they_ticked_once_each(
    project: Project,
) -> None:
    accepted_programme(project)
    project.write_tab(
        TAB,
        [
            request("振込ファイル", 対象日="2022-06-20"),  # the batch's 締め日
            request("宛名ラベル"),
            request("報告書", 開始月="2022-06", 終了月="2022-06", 形式="xlsx"),
            request("報告書", 形式="pdf", tick=""),  # not asked for yet
        ],
    )
    project.once("2022-06-14 12:00")
    rows = rows_by_request(project)

    payment = rows[("振込ファイル", "2022-06-20", "", "", "")]
    assert payment["状態"] == "処理済", payment
    assert payment["処理日時"] == "2022-06-14 12:00"
    staff_csv = project.root / "out" / "payments" / "支払_2022-07-08.csv"
    transfer = project.root / "out" / "payments" / "zengin_2022-07-08.txt"
    assert staff_csv.exists() and transfer.exists()
    assert str(staff_csv) in payment["結果"] and str(transfer) in payment["結果"]
    assert "支払予定日 2022-07-08" in payment["結果"]

    labels = rows[("宛名ラベル", "", "", "", "")]
    assert labels["状態"] == "処理済", labels
    pdf = project.root / "out" / "labels" / "memo-labels-2022-06-14.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and str(pdf) in labels["結果"]
    assert "宛名 3 件" in labels["結果"] and "覚書発送日" in labels["結果"]

    report = rows[("報告書", "", "2022-06", "2022-06", "xlsx")]
    out = project.root / "out" / "reports" / "report_2022-06_2022-06.xlsx"
    assert report["状態"] == "処理済" and out.exists() and str(out) in report["結果"]

    waiting = rows[("報告書", "", "", "", "pdf")]
    assert (waiting["状態"], waiting["結果"]) == ("", "")

    # bank details never reach the status sheet: only the treasurer's files hold them
    account = "0680674"  # BN-0001's account number in reference/bank_details.csv
    assert account in transfer.read_text(encoding="shift_jis")
    for tab_file in project.status_dir.glob("*.csv"):
        assert account not in tab_file.read_text(encoding="utf-8-sig"), tab_file.name

    # a second cycle does not make them again, and the rows keep their outcome
    made = {p: p.stat().st_mtime_ns for p in (staff_csv, transfer, pdf, out)}
    project.once("2022-06-15 12:00")
    assert {p: p.stat().st_mtime_ns for p in made} == made
    assert not (project.root / "out" / "payments" / "支払_2022-07-08_2.csv").exists()
    again = rows_by_request(project)
    assert again[("振込ファイル", "2022-06-20", "", "", "")]["処理日時"] == "2022-06-14 12:00"


def test_each_outcome_stays_with_its_request_when_staff_sort_and_a_changed_row_is_new(
    project: Project,
) -> None:
    accepted_programme(project)
    project.write_tab(
        TAB,
        [
            request("報告書", 開始月="2022-06", 終了月="2022-06", 形式="html"),
            request("宛名ラベル", 対象日="2022-06-30"),
        ],
    )
    project.once("2022-06-14 12:00")
    before = rows_by_request(project)
    # staff sort the tab the other way round and change the report's format
    rows = list(reversed(project.tab(TAB)))
    report = next(r for r in rows if r["種類"] == "報告書")
    report["形式"] = "pdf"
    project.write_tab(TAB, rows)
    project.once("2022-06-15 12:00")
    after = rows_by_request(project)

    labels_key = ("宛名ラベル", "2022-06-30", "", "", "")
    assert after[labels_key]["処理日時"] == before[labels_key]["処理日時"] == "2022-06-14 12:00"
    assert "memo-labels-2022-06-30.pdf" in after[labels_key]["結果"]
    changed = after[("報告書", "", "2022-06", "2022-06", "pdf")]
    assert changed["状態"] == "処理済" and changed["処理日時"] == "2022-06-15 12:00"
    assert (project.root / "out" / "reports" / "report_2022-06_2022-06.pdf").exists()
    assert len(after) == 2


def test_a_bad_request_says_why_in_its_row_and_the_others_still_run(project: Project) -> None:
    accepted_programme(project)  # no payer configured below: payment files cannot be made
    project.write_config()  # SPEC §7's keys only
    project.write_tab(
        TAB,
        [
            request("振込ファイル", 対象日="2022-06-20"),
            request("報告書", 開始月="2022-13"),
            request("ふりこみ"),
            request("宛名ラベル"),
        ],
    )
    project.once("2022-06-14 12:00")
    rows = rows_by_request(project)
    payment = rows[("振込ファイル", "2022-06-20", "", "", "")]
    assert payment["状態"] == "エラー" and "payments.payer" in payment["結果"], payment
    month = rows[("報告書", "", "2022-13", "", "")]
    assert month["状態"] == "エラー" and "開始月「2022-13」を年月として読めません" in month["結果"]
    kind = rows[("ふりこみ", "", "", "", "")]
    assert kind["状態"] == "エラー" and "振込ファイル・宛名ラベル・報告書" in kind["結果"]
    assert rows[("宛名ラベル", "", "", "", "")]["状態"] == "処理済"
    assert not (project.root / "out" / "payments").exists()

    # a request for a date no batch has says which dates there are
    project.write_config(
        payments={
            "payer": PAYER,
            "bank_details": {"kind": "csv", "path": str(ROOT / "reference" / "bank_details.csv")},
        }
    )
    project.write_tab(TAB, [request("振込ファイル", 対象日="2022-05-01")])
    project.once("2022-06-15 12:00")
    # the request acted once already: unticked, then ticked again, it asks again
    project.write_tab(TAB, [request("振込ファイル", 対象日="2022-05-01", tick="")])
    project.once("2022-06-16 12:00")
    project.write_tab(TAB, [request("振込ファイル", 対象日="2022-05-01")])
    project.once("2022-06-17 12:00")
    again = rows_by_request(project)[("振込ファイル", "2022-05-01", "", "", "")]
    assert again["状態"] == "エラー" and again["処理日時"] == "2022-06-17 12:00"
    assert "2022-06-20→2022-07-08" in again["結果"], again


def test_two_rows_asking_the_same_with_different_ticks_act_on_nothing_until_one_is_left(
    project: Project,
) -> None:
    accepted_programme(project)
    project.write_tab(
        TAB,
        [
            request("報告書", 開始月="2022-06", 形式="pdf"),
            request("宛名ラベル"),
            request("報告書", 開始月="2022-06", 形式="pdf", tick="FALSE"),  # a copy, unticked
        ],
    )
    project.once("2022-06-14 12:00")
    rows = project.tab(TAB)
    report = [r for r in rows if r["種類"] == "報告書"]
    assert [r["状態"] for r in report] == ["", ""]  # neither acted: staff must choose
    assert not (project.root / "out" / "reports").exists()
    assert next(r for r in rows if r["種類"] == "宛名ラベル")["状態"] == "処理済"
    sync = project.tab("同期")[0]["エラー"]
    assert "複数の行" in sync and "報告書" in sync

    project.write_tab(TAB, [r for r in project.tab(TAB) if r["依頼"] != "FALSE"])
    project.once("2022-06-15 12:00")
    [report_row] = [r for r in project.tab(TAB) if r["種類"] == "報告書"]
    assert report_row["状態"] == "処理済"
    assert (project.root / "out" / "reports" / "report_2022-06_2023-02.pdf").exists()


def test_after_the_ledger_is_lost_a_request_the_tab_shows_as_made_is_not_made_again(
    project: Project,
) -> None:
    accepted_programme(project)
    project.write_tab(TAB, [request("振込ファイル", 対象日="2022-07-08")])
    project.once("2022-06-14 12:00")
    staff_csv = project.root / "out" / "payments" / "支払_2022-07-08.csv"
    assert staff_csv.exists()
    project.ledger_path.unlink()  # lost: rebuilt from the status sheet by the next cycle

    project.once("2022-06-15 12:00")

    assert not (project.root / "out" / "payments" / "支払_2022-07-08_2.csv").exists()
    [row] = project.tab(TAB)
    assert (row["状態"], row["処理日時"]) == ("処理済", "2022-06-14 12:00")
