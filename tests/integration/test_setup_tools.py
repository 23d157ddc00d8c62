"""init-sheet, doctor and inspect-form against the local Google emulator (127.0.0.1),
through the real client libraries."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.config import load_config
from bansou_sync.core.tabs import ALL_TABS, OPERATIONS
from bansou_sync.emulator.server import Emulator, start_emulator
from bansou_sync.setup_tools.doctor import Check, doctor, format_checks
from bansou_sync.setup_tools.init_sheet import SheetSetupRefused, init_sheet, service_account_email
from bansou_sync.setup_tools.inspect_form import inspect_form

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reference"
BOOK = "status-book"
ADMIN = "jimukyoku@example.org"
REGISTRATION = json.loads((REFERENCE / "forms/registration.form.json").read_text("utf-8"))
APPLICATION = json.loads((REFERENCE / "forms/application.form.json").read_text("utf-8"))


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = start_emulator(REFERENCE)
    emulator.sheets.load_fixture({"spreadsheetId": BOOK, "title": "伴走支援 状況", "sheets": {}})
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def key_file(emu: Emulator, tmp_path: Path) -> Path:
    path = emu.write_service_account_file(tmp_path / "service-account.json")
    path.chmod(0o600)
    return path


@pytest.fixture
def access(emu: Emulator, key_file: Path) -> GoogleAccess:
    return GoogleAccess(key_file, api_base=emu.base_url)


def run_init(access: GoogleAccess) -> list[str]:
    return init_sheet(access, BOOK, [ADMIN], service_account_email(access))


def write_config(tmp_path: Path, emu: Emulator, key_file: Path, **changes: Any) -> Path:
    config: dict[str, Any] = {
        "google": {"credentials_file": str(key_file), "api_base": emu.base_url, "subject": ADMIN},
        "source": {
            "kind": "forms_api",
            "registration_form_id": REGISTRATION["formId"],
            "application_form_id": APPLICATION["formId"],
        },
        "sheet": {"kind": "google", "spreadsheet_id": BOOK},
        "mail": {"kind": "gmail", "from": ADMIN},
        "state": {"path": str(tmp_path / "out/ledger.sqlite3")},
        "privacy": {"client_key_file": str(tmp_path / "secrets/client_key")},
    }
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        config[section][key] = value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok]


def get(emu: Emulator, access: GoogleAccess) -> dict[str, Any]:
    from bansou_sync.adapters.google_auth import SHEETS
    from bansou_sync.adapters.google_discovery import service

    sheets = service(access, "sheets", "v4", [SHEETS]).spreadsheets()
    book: dict[str, Any] = sheets.get(spreadsheetId=BOOK, includeGridData=True).execute()
    return book


# --- init-sheet ------------------------------------------------------------------------


def test_init_sheet_on_a_spreadsheet_with_only_sheet1_creates_the_six_tabs_set_up(
    emu: Emulator, access: GoogleAccess
) -> None:
    lines = run_init(access)

    assert any("Sheet1" in line for line in lines)
    book = get(emu, access)
    assert [s["properties"]["title"] for s in book["sheets"]] == [t.name for t in ALL_TABS]
    values = emu.sheets.dump(BOOK)
    for sheet, layout in zip(book["sheets"], ALL_TABS, strict=True):
        assert values[layout.name] == [list(layout.headers)]
        assert sheet["properties"]["gridProperties"]["frozenRowCount"] == 1
        header = sheet["data"][0]["rowData"][0]["values"]
        assert all(c["userEnteredFormat"]["textFormat"]["bold"] for c in header)
        for protected in sheet["protectedRanges"]:
            assert not protected.get("warningOnly")
            users = protected["editors"]["users"]
            assert {ADMIN, service_account_email(access)} <= set(users)
    supporters, applications, payments = book["sheets"][:3]
    row2 = supporters["data"][0]["rowData"][1]["values"]
    headers = ALL_TABS[0].headers
    assert row2[headers.index("覚書受領")]["dataValidation"]["condition"] == {"type": "BOOLEAN"}
    assert row2[headers.index("重複解除")]["dataValidation"]["condition"] == {"type": "BOOLEAN"}
    assert row2[headers.index("覚書発送日")]["dataValidation"]["condition"]["type"] == (
        "DATE_IS_VALID"
    )
    decision = applications["data"][0]["rowData"][999]["values"][15]["dataValidation"]
    assert [v["userEnteredValue"] for v in decision["condition"]["values"]] == [
        "承認",
        "差戻し",
        "却下",
    ]
    assert decision.get("strict", False) is False
    protected = {
        (r["range"].get("startRowIndex", 0), r["range"].get("startColumnIndex", 0))
        for r in applications["protectedRanges"]
    }
    # header row, A2:O, R2:R, T2:Z — not 審査/審査メモ, 却下理由(伴走者へ) or the 訂正 columns
    assert protected == {(0, 0), (1, 0), (1, 17), (1, 19)}
    formulas = [
        rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
        for rule in applications["conditionalFormats"]
    ]
    assert '=$K2="deficient"' in formulas and '=$K2="accepted"' in formulas
    assert payments["conditionalFormats"][0]["booleanRule"]["condition"]["values"] == [
        {"userEnteredValue": '=$G2="保留"'}
    ]


def test_a_second_init_sheet_run_requests_no_changes(emu: Emulator, access: GoogleAccess) -> None:
    run_init(access)
    emu.reset_counters()

    lines = run_init(access)

    counters = emu.counters()
    assert counters.get("sheets.spreadsheets.get") == 1
    assert "sheets.spreadsheets.batchUpdate" not in counters
    assert "sheets.spreadsheets.values.batchUpdate" not in counters
    assert "nothing to change" in lines[-1]


def test_init_sheet_restores_a_removed_protection_and_rule_without_duplicating_others(
    emu: Emulator, access: GoogleAccess
) -> None:
    run_init(access)
    book = emu.sheets.book(BOOK)
    supporters = book.by_title("伴走者")
    supporters.protected_ranges.pop(0)
    supporters.conditional_formats.pop(0)
    before = {s.title: len(s.protected_ranges) for s in book.sheets}

    lines = run_init(access)

    book = emu.sheets.book(BOOK)
    after = {s.title: len(s.protected_ranges) for s in book.sheets}
    assert after == before | {"伴走者": before["伴走者"] + 1}
    assert len(book.by_title("伴走者").conditional_formats) == 2
    assert any(line.startswith("伴走者") for line in lines)
    emu.reset_counters()
    run_init(access)
    assert "sheets.spreadsheets.batchUpdate" not in emu.counters()


def test_a_wrong_header_is_repaired_on_an_empty_tab_and_reported_above_staff_data(
    emu: Emulator, access: GoogleAccess
) -> None:
    emu.sheets.load_fixture(
        {
            "spreadsheetId": BOOK,
            "sheets": {
                "伴走者": [["ID", "氏名"]],
                "申請": [["申請番号", "氏名"], ["A-000001", "山田"]],
            },
        }
    )

    with pytest.raises(SheetSetupRefused) as refused:
        run_init(access)

    values = emu.sheets.dump(BOOK)
    assert values["伴走者"] == [list(ALL_TABS[0].headers)]
    assert values["申請"] == [["申請番号", "氏名"], ["A-000001", "山田"]]
    assert any("伴走者" in line and "repaired" in line for line in refused.value.done)
    assert any("申請" in line and "left alone" in line for line in refused.value.refused)
    assert not emu.sheets.book(BOOK).by_title("申請").protected_ranges


# --- doctor ----------------------------------------------------------------------------


def test_doctor_reports_ok_on_a_good_setup(
    emu: Emulator, access: GoogleAccess, key_file: Path, tmp_path: Path
) -> None:
    run_init(access)
    settings = load_config(write_config(tmp_path, emu, key_file))

    checks = doctor(settings)

    assert failures(checks) == [], format_checks(checks)
    names = " ".join(c.name for c in checks)
    for part in ("key file", "access token", "form", "questions", "status sheet", "Gmail"):
        assert part in names


def test_doctor_says_a_form_is_not_found_and_how_to_fix_it(
    emu: Emulator, access: GoogleAccess, key_file: Path, tmp_path: Path
) -> None:
    run_init(access)
    config = write_config(tmp_path, emu, key_file, source__application_form_id="1NoSuchForm")

    failed = failures(doctor(load_config(config)))

    assert [c.name for c in failed] == ["フォーム / form 伴走支援申請"]
    assert failed[0].detail.startswith("404")
    assert "source.application_form_id" in failed[0].fix


def test_doctor_names_a_question_missing_from_the_live_form(
    emu: Emulator, access: GoogleAccess, key_file: Path, tmp_path: Path
) -> None:
    run_init(access)
    form = json.loads(json.dumps(APPLICATION))
    form["items"] = [i for i in form["items"] if i.get("title") != "支援実施日"]
    emu.forms.load_form(form)
    mapping = {"application": {"end_time": "deadbeef"}}
    config = write_config(tmp_path, emu, key_file, source__mapping=mapping)

    failed = failures(doctor(load_config(config)))

    assert [c.name for c in failed] == ["質問 / questions (伴走支援申請)"]
    assert "end_time" in failed[0].detail and "support_date" in failed[0].detail
    assert "source.mapping.application" in failed[0].fix and "inspect-form" in failed[0].fix


def test_doctor_reports_a_sheet_not_shared_with_the_service_account(
    emu: Emulator, access: GoogleAccess, key_file: Path, tmp_path: Path
) -> None:
    emu.add_fault(kind="403", api="sheets", method="sheets.spreadsheets.get")

    failed = failures(doctor(load_config(write_config(tmp_path, emu, key_file))))

    assert [c.name for c in failed] == ["状況シート / status sheet"]
    assert failed[0].detail.startswith("403")
    assert service_account_email(GoogleAccess(key_file)) in failed[0].fix
    assert "共有" in failed[0].fix and "share" in failed[0].fix


def test_doctor_reports_an_unreadable_key_file_and_a_key_google_refuses(
    emu: Emulator, key_file: Path, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json", encoding="utf-8")
    garbage.chmod(0o600)
    checks = doctor(load_config(write_config(tmp_path, emu, garbage)))
    assert [(c.name, c.ok) for c in failures(checks)] == [("鍵ファイル / key file", False)]
    assert "JSON" in failures(checks)[0].detail

    info = json.loads(key_file.read_text("utf-8"))
    other = start_emulator(None)
    try:  # a well-formed key the emulator never issued: Google answers invalid_grant
        info["private_key"] = other.service_account_info()["private_key"]
    finally:
        other.stop()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(info), encoding="utf-8")
    forged.chmod(0o644)
    failed = failures(doctor(load_config(write_config(tmp_path, emu, forged))))
    assert [c.name for c in failed] == [
        "鍵ファイルの権限 / key file permissions",
        "アクセストークン / access token",
    ]
    assert "chmod 600" in failed[0].fix
    assert "invalid_grant" in failed[1].detail and "新しい鍵" in failed[1].fix


def test_doctor_checks_the_embedded_default_without_google(tmp_path: Path) -> None:
    shutil.copytree(REFERENCE, tmp_path / "reference")
    config = tmp_path / "config.yaml"
    shutil.copy(ROOT / "config.example.yaml", config)

    checks = doctor(load_config(config))

    assert failures(checks) == [], format_checks(checks)
    assert sum("回答CSV" in c.name for c in checks) == 2
    assert sum("questions" in c.name for c in checks) == 2
    (tmp_path / "reference/applications.csv").write_text("氏名\n山田\n", encoding="utf-8")
    failed = failures(doctor(load_config(config)))
    assert len(failed) == 1 and "タイムスタンプ" in failed[0].detail


# --- inspect-form ----------------------------------------------------------------------


def test_inspect_form_lists_the_reference_questions_and_suggests_a_mapping(
    access: GoogleAccess,
) -> None:
    questions, text = inspect_form(access, APPLICATION["formId"])

    assert [q.title for q in questions][:4] == [
        "伴走ネットID",
        "氏名",
        "メールアドレス",
        "支援実施日",
    ]
    assert questions[0].question_id == "a06f2652" and questions[3].kind == "date"
    assert "a06f2652" in text and "伴走ネットID" in text
    block = yaml.safe_load(text[text.index("source:") :])
    mapping = block["source"]["mapping"]["application"]
    assert mapping["supporter_id"] == "a06f2652"
    assert mapping["support_date"] == "91672a9b"
    assert block["source"]["application_form_id"] == APPLICATION["formId"]


def test_init_sheet_gives_the_operations_tab_its_drop_downs_tick_and_protection(
    emu: Emulator, access: GoogleAccess
) -> None:
    lines = run_init(access)

    assert any(OPERATIONS.name in line for line in lines)
    book = get(emu, access)
    [operations] = [s for s in book["sheets"] if s["properties"]["title"] == OPERATIONS.name]
    row2 = operations["data"][0]["rowData"][1]["values"]
    headers = OPERATIONS.headers
    kind = row2[headers.index("種類")]["dataValidation"]["condition"]
    assert [v["userEnteredValue"] for v in kind["values"]] == [
        "振込ファイル",
        "宛名ラベル",
        "報告書",
    ]
    fmt = row2[headers.index("形式")]["dataValidation"]["condition"]
    assert [v["userEnteredValue"] for v in fmt["values"]] == ["html", "xlsx", "pdf"]
    assert row2[headers.index("依頼")]["dataValidation"]["condition"] == {"type": "BOOLEAN"}
    protected = {
        (r["range"].get("startRowIndex", 0), r["range"].get("startColumnIndex", 0))
        for r in operations["protectedRanges"]
    }
    # the header row, and 状態・結果・処理日時 (G–I): what staff type stays open to them
    assert protected == {(0, 0), (1, headers.index("状態"))}
