"""``bansou-sync payment-files`` through the real CLI on the reference programme.

The reference programme runs daily (as ``test_reference_golden`` runs it, with the staff of ``bansou_sync.season``: reviews on
Mondays, documents ticked two weeks after registration) up to 2022-07-07, the day
before its first pay date, so the 2022-07-08 batch is due and not yet paid. The
treasurer's bank details are ``reference/bank_details.csv`` (fictitious; four rows wrong
on purpose: see ``scripts/gen_bank_details.py``), read from the file or from a
spreadsheet served by the local Google emulator.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from inprocess import run_cli

from bansou_sync.cli import main
from bansou_sync.core.zengin import to_zengin_kana
from bansou_sync.emulator.server import Emulator
from bansou_sync.season import staff_work

ROOT = Path(__file__).resolve().parents[2]
FIRST_PAY = "2022-07-08"
HOLDS = {  # made wrong on purpose in reference/bank_details.csv
    "BN-0003": "bank_details_missing",
    "BN-0005": "branch_code_unknown",
    "BN-0008": "account_name_invalid",
    "BN-0010": "account_number_invalid",
}


@pytest.fixture(scope="module")
def programme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("payments")
    shutil.copytree(ROOT / "reference", folder / "reference")
    shutil.copy(ROOT / "config.example.yaml", folder / "config.yaml")
    before = os.environ.get("BANSOU_CLIENT_KEY")
    os.environ["BANSOU_CLIENT_KEY"] = "payment-files-test-key"
    try:
        status, today = folder / "out" / "status", date(2022, 5, 25)
        while today < date.fromisoformat(FIRST_PAY):
            if status.exists():
                staff_work(status, today)
            moment = datetime(today.year, today.month, today.day, 12, 0).isoformat(sep=" ")
            assert main(["once", "--config", str(folder / "config.yaml"), "--now", moment]) == 0
            today += timedelta(days=1)
    finally:
        if before is None:
            os.environ.pop("BANSOU_CLIENT_KEY", None)
        else:
            os.environ["BANSOU_CLIENT_KEY"] = before
    yield folder


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return run_cli(args, cwd=folder, env=env)


def configured(folder: Path, name: str, **payments: Any) -> Path:
    """A copy of the programme's config with ``payments`` keys (and more) changed."""
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    for key, value in payments.items():
        section, _, sub = key.partition("__")
        target = config.setdefault(section, {}) if sub else config["payments"]
        target[sub or key] = value
    path = folder / name
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, so Excel reads it right
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def bank_rows() -> dict[str, dict[str, str]]:
    return {r["伴走ネットID"]: r for r in read_csv(ROOT / "reference" / "bank_details.csv")}


def records(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(len(line) == 120 for line in lines), [len(line) for line in lines]
    return lines


def payments_tab(folder: Path) -> list[dict[str, str]]:
    return read_csv(folder / "out" / "status" / "支払.csv")


def test_the_first_reference_batch_transfers_the_valid_rows_and_holds_each_bad_one(
    programme: Path,
) -> None:
    result = cli(programme, "payment-files", "--config", "config.yaml", "--out", "out/first")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = programme / "out" / "first"

    due = [r for r in payments_tab(programme) if r["支払予定日"] == FIRST_PAY]
    staff = read_csv(out / f"支払_{FIRST_PAY}.csv")
    assert [r["伴走ネットID"] for r in staff] == [r["伴走ネットID"] for r in due]
    assert [r["金額"] for r in staff] == [r["金額"] for r in due]
    held = {r["伴走ネットID"]: r["保留理由"].split(":")[0] for r in staff if r["状態"] == "保留"}
    assert held == HOLDS
    for sid, reason in HOLDS.items():  # the command says who is held and why, in Japanese
        line = next(ln for ln in result.stdout.splitlines() if sid in ln)
        assert reason in line and "保留" in line
    details = bank_rows()
    for r in staff:
        if r["状態"] == "振込":
            number = details[r["伴走ネットID"]]["口座番号"]
            assert r["振込先"].endswith(f"****{number[-3:]}")
            assert number not in r["振込先"]

    lines = records(out / f"zengin_{FIRST_PAY}.txt")
    header, data, trailer, end = lines[0], lines[1:-2], lines[-2], lines[-1]
    assert header[:4] == b"1210" and header[54:58] == b"0708"  # 振込指定日 = pay date
    assert header[4:14] == b"1234567890"  # 依頼人コード from payments.payer
    assert header[58:62] == b"0001" and header[77:80] == b"001"
    assert header[14:54].decode("shift_jis").rstrip() == "ｼﾞﾑｷﾖｸ ﾃｽﾄ"
    transferred = [r for r in staff if r["状態"] == "振込"]
    assert len(data) == len(transferred) == len(due) - len(HOLDS)
    for record, r in zip(data, transferred, strict=True):
        typed = details[r["伴走ネットID"]]
        assert record[:1] == b"2"
        assert record[1:5] == typed["銀行コード"].zfill(4).encode()
        assert record[20:23] == typed["支店コード"].zfill(3).encode()
        assert record[43:50] == typed["口座番号"].zfill(7).encode()
        holder = record[50:80].decode("shift_jis").rstrip()
        assert holder == to_zengin_kana(typed["口座名義(カナ)"])
        assert int(record[80:90]) == int(r["金額"])
        assert int(record[91:101]) == int(r["伴走ネットID"].removeprefix("BN-"))
    assert trailer[:1] == b"8" and int(trailer[1:7]) == len(data)
    assert int(trailer[7:19]) == sum(int(r["金額"]) for r in transferred)
    assert end == b"9" + b" " * 119


def test_written_batches_are_not_written_again_and_a_named_batch_gets_a_new_number(
    programme: Path,
) -> None:
    args = ("payment-files", "--config", "config.yaml", "--out", "out/again")
    first = cli(programme, *args)
    assert first.returncode == 0, first.stderr
    out = programme / "out" / "again"
    written = sorted(p.name for p in out.iterdir())
    assert f"zengin_{FIRST_PAY}.txt" in written

    second = cli(programme, *args)
    assert second.returncode == 0
    assert "新しい支払バッチはありません" in second.stdout
    assert sorted(p.name for p in out.iterdir()) == written

    named = cli(programme, *args, "--batch", FIRST_PAY)
    assert named.returncode == 0, named.stderr
    assert (out / f"zengin_{FIRST_PAY}_2.txt").read_bytes() == (
        out / f"zengin_{FIRST_PAY}.txt"
    ).read_bytes()
    assert "二重振込" in named.stdout  # the treasurer is warned before uploading it

    unknown = cli(programme, *args, "--batch", "2022-07-09")
    assert unknown.returncode == 1
    assert "2022-07-09" in unknown.stderr and FIRST_PAY in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_bank_details_from_a_spreadsheet_on_the_emulator_give_the_same_files(
    programme: Path, emulator: Emulator
) -> None:
    with (ROOT / "reference" / "bank_details.csv").open(encoding="utf-8-sig") as f:
        table = list(csv.reader(f))
    # typed into Sheets by hand: 0005 becomes the number 5, as it would in Google Sheets
    sheet_id = emulator.sheets.load_fixture({"sheets": {"口座情報": table}})
    key = emulator.write_service_account_file(programme / "key.json")
    config = configured(
        programme,
        "google.yaml",
        bank_details={"kind": "google", "spreadsheet_id": sheet_id},
        google__credentials_file=str(key),
        google__api_base=emulator.base_url,
    )
    from_sheet = cli(programme, "payment-files", "--config", config.name, "--out", "out/sheet")
    assert from_sheet.returncode == 0, from_sheet.stderr
    from_file = cli(programme, "payment-files", "--config", "config.yaml", "--out", "out/file")
    assert from_file.returncode == 0, from_file.stderr
    for name in (f"zengin_{FIRST_PAY}.txt", f"支払_{FIRST_PAY}.csv"):
        sheet_bytes = (programme / "out" / "sheet" / name).read_bytes()
        assert sheet_bytes == (programme / "out" / "file" / name).read_bytes(), name

    missing = configured(
        programme,
        "missing.yaml",
        bank_details={"kind": "google", "spreadsheet_id": "no-such-sheet"},
        google__credentials_file=str(key),
        google__api_base=emulator.base_url,
    )
    refused = cli(programme, "payment-files", "--config", missing.name, "--out", "out/none")
    assert refused.returncode == 1
    assert "payments.bank_details.spreadsheet_id" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_bank_details_never_reach_the_logs_the_status_tabs_or_the_ledger(
    programme: Path,
) -> None:
    config = configured(programme, "debug.yaml", logging={"level": "DEBUG", "format": "json"})
    result = cli(programme, "payment-files", "--config", config.name, "--out", "out/private")
    assert result.returncode == 0, result.stderr
    assert "payment files written" in result.stderr  # the log line is there, with counts
    secrets, only_in_bank_details = set(), set()
    for r in bank_rows().values():
        half_width = to_zengin_kana(r["口座名義(カナ)"]) or r["口座名義(カナ)"]
        secrets |= {r["口座番号"], r["口座名義(カナ)"], half_width}
        # the ledger keeps the registration's ふりがな (a form answer), which the generator
        # also used for the account name; what only the bank details carry must not be there
        only_in_bank_details |= {r["口座番号"], half_width}
    places = {"log": result.stderr}
    for path in (programme / "out" / "status").glob("*.csv"):
        places[path.name] = path.read_text(encoding="utf-8-sig")
    ledger = (programme / "out" / "ledger.sqlite3").read_bytes()
    for secret in sorted(secrets):
        for where, text in places.items():
            assert secret not in text, f"a bank detail appears in {where}"
    for secret in sorted(only_in_bank_details):
        assert secret.encode("utf-8") not in ledger, "a bank detail appears in the ledger"
    transfer = (programme / "out" / "private" / f"zengin_{FIRST_PAY}.txt").stat()
    assert transfer.st_mode & 0o077 == 0  # the transfer file is the owner's only


def test_missing_payer_settings_or_an_unknown_payer_bank_are_one_line_errors(
    programme: Path,
) -> None:
    no_payer = configured(programme, "nopayer.yaml", payer=None)
    result = cli(programme, "payment-files", "--config", no_payer.name)
    assert result.returncode == 2
    assert "payments.payer" in result.stderr and "Traceback" not in result.stderr

    payer = {
        "client_code": "1234567890",
        "name": "ジムキヨク テスト",
        "bank_code": "0008",  # no bank has this code
        "branch_code": "001",
        "account_number": "1234567",
    }
    unknown = configured(programme, "unknown.yaml", payer=payer)
    result = cli(programme, "payment-files", "--config", unknown.name)
    assert result.returncode == 2
    assert "payments.payer.bank_code" in result.stderr and "Traceback" not in result.stderr

    absent = configured(programme, "absent.yaml", bank_details={"kind": "csv", "path": "nope.csv"})
    result = cli(programme, "payment-files", "--config", absent.name, "--out", "out/absent")
    assert result.returncode == 1
    assert "payments.bank_details.path" in result.stderr and "Traceback" not in result.stderr


def test_the_years_paid_honoraria_per_volunteer_are_written_for_the_accountant(
    programme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15 §3: the treasurer ticks 支払済 on the transferred rows of the first batch;
    ``--year 2022`` then lists per volunteer what was paid that year, and only that."""
    folder = tmp_path / "programme"
    shutil.copytree(programme, folder)
    status = folder / "out" / "status"
    tab = list(csv.reader(io.StringIO((status / "支払.csv").read_text("utf-8-sig"))))
    header = tab[0]
    at = {name: header.index(name) for name in ("支払予定日", "伴走ネットID", "状態", "支払済")}
    for row in tab[1:]:
        if row[at["支払予定日"]] == FIRST_PAY and row[at["伴走ネットID"]] not in HOLDS:
            row[at["支払済"]] = "TRUE"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(tab)
    (status / "支払.csv").write_text(buffer.getvalue(), encoding="utf-8-sig")
    monkeypatch.setenv("BANSOU_CLIENT_KEY", "payment-files-test-key")
    assert main(["once", "--config", str(folder / "config.yaml"), "--now", "2022-07-09 12:00"]) == 0

    result = cli(folder, "payment-files", "--config", "config.yaml", "--year", "2022")
    assert result.returncode == 0, result.stderr
    path = folder / "out" / "payments" / "謝金_年間_2022.csv"
    assert path.stat().st_mode & 0o777 == 0o600  # owner-only, like the batch files
    lines = read_csv(path)
    paid = [r for r in payments_tab(folder) if r["状態"] == "支払済"]
    assert paid and {r["支払予定日"] for r in paid} == {FIRST_PAY}
    assert [r["伴走ネットID"] for r in lines] == [r["伴走ネットID"] for r in paid]
    for line, row in zip(lines, paid, strict=True):
        assert (line["氏名"], line["件数"]) == (row["氏名"], row["件数"])
        assert (line["支払額合計(円)"], line["支払日"]) == (row["金額"], FIRST_PAY)
    assert not set(HOLDS) & {r["伴走ネットID"] for r in lines}  # held: not paid
    assert f"{len(lines)}人" in result.stdout and str(path.name) in result.stdout
    assert "支払済" in result.stdout  # the held rows of 2022 are not ticked yet: said so

    earlier = cli(folder, "payment-files", "--config", "config.yaml", "--year", "2021")
    assert earlier.returncode == 0, earlier.stderr
    assert read_csv(folder / "out" / "payments" / "謝金_年間_2021.csv") == []


def test_a_year_that_is_not_four_digits_or_with_a_batch_is_refused_in_one_line(
    programme: Path,
) -> None:
    for args in (("--year", "22"), ("--year", "2022", "--batch", FIRST_PAY)):
        result = cli(programme, "payment-files", "--config", "config.yaml", *args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and "--year" in result.stderr
