"""ResponseSheetSource against the local emulator: the same responses as the CSV export,
IDs that survive staff sorting and deleting rows, one read per fetch, errors, faults."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bansou_sync.adapters.csv_source import CsvSource
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.response_sheet import ResponseSheetSource
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.core.model import RawResponse
from bansou_sync.emulator.server import Emulator
from bansou_sync.errors import SourceUnavailable

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
FAST = RetryPolicy(attempts=12, total_seconds=60, base_seconds=0.001, max_wait_seconds=0.01)
TAB = "フォームの回答 1"
TOKYO = ZoneInfo("Asia/Tokyo")
HEADER = [
    "タイムスタンプ",
    "氏名",
    "メールアドレス",
    "対応できる言語",
    "個人情報の取扱いに同意します",
    # the other questions the rules need (issue 10 §3), left blank by the rows below
    "電話番号",
    "移住連との関係",
    "紹介者のお名前",
]


def reference_rows(name: str) -> list[list[str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def load(emulator: Emulator, tabs: dict[str, list[list[Any]]], raw: bool = False) -> str:
    fixture: dict[str, Any] = {"sheets": tabs}
    if raw:
        fixture["valueInputOption"] = "RAW"
    sid: str = emulator.sheets.load_fixture(fixture)
    return sid


def source(access: GoogleAccess, sid: str, worksheet: str | None = None) -> ResponseSheetSource:
    return ResponseSheetSource(
        access,
        {"registration": sid, "application": sid},
        {"registration": worksheet, "application": worksheet},
        policy=FAST,
    )


def registrations(count: int) -> list[list[Any]]:
    """A linked sheet as Forms fills it: timestamps are date-times the Sheet formats."""
    rows: list[list[Any]] = [HEADER]
    for n in range(1, count + 1):
        stamp = f"2022/06/{n % 28 + 1:02d} {n % 24}:{n % 60:02d}:00"
        rows.append([stamp, f"伴走 {n}", f"v{n}@example.com", "英語, タガログ語", "同意します"])
    rows.append([rows[1][0], "同時 花子", "dou@example.com", "", "同意します"])  # same second
    return rows


def by_name(responses: list[RawResponse]) -> dict[str, str]:
    return {r.text("name"): r.response_id for r in responses}


def test_a_linked_sheet_gives_exactly_what_the_csv_export_of_the_same_responses_gives(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = load(emulator, {TAB: reference_rows("applications.csv")}, raw=True)
    got = source(access, sid).fetch("application")
    expected = CsvSource({"application": REFERENCE / "applications.csv"}).fetch("application")
    assert len(got) == 300
    assert got == expected


def test_timestamps_formatted_by_the_sheet_give_the_tokyo_time_and_an_occurrence_number(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = load(emulator, {TAB: registrations(3)})
    assert emulator.sheets.dump(sid)[TAB][1][0] == "2022/06/02 01:01:00"
    got = source(access, sid).fetch("registration")
    first = next(r for r in got if r.text("name") == "伴走 1")
    assert first.submitted_at == datetime(2022, 6, 2, 1, 1, tzinfo=TOKYO)
    assert first.last_submitted_at == first.submitted_at
    assert first.response_id == "2022-06-02 01:01:00#1"
    assert by_name(got)["同時 花子"] == "2022-06-02 01:01:00#2"
    assert first.choices("languages") == ("英語", "タガログ語")


def test_staff_sorting_or_deleting_rows_changes_no_response_id(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = load(emulator, {TAB: registrations(40)})
    adapter = source(access, sid)
    before = by_name(adapter.fetch("registration"))
    emulator.sheets.staff_sort(sid, TAB, "氏名", descending=True)
    emulator.sheets.staff_delete_row(sid, TAB, 5)
    emulator.sheets.staff_insert_row(sid, TAB, 9)  # a blank row in the middle
    after = by_name(adapter.fetch("registration"))
    assert len(after) == len(before) - 1
    moved = {name for name, response_id in after.items() if before[name] != response_id}
    # only two responses submitted in the same second can trade their occurrence numbers
    # (SPEC §4: 回答ID is the timestamp and its occurrence number, as in a CSV export)
    assert moved <= {"伴走 1", "同時 花子"}


def test_each_fetch_reads_the_tab_with_one_values_get(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = load(emulator, {TAB: registrations(5), "集計": [["メモ"]]})
    adapter = source(access, sid)
    for _ in range(3):
        assert len(adapter.fetch("registration")) == 6
    counters = emulator.counters()
    assert counters["sheets.spreadsheets.values.get"] == 3
    assert counters["sheets.spreadsheets.get"] == 1  # the first tab's title, once


def test_a_configured_worksheet_is_read_instead_of_the_first_tab(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = load(emulator, {"メモ": [["なにか"]], TAB: registrations(2)})
    assert len(source(access, sid, worksheet=TAB).fetch("registration")) == 3
    assert "sheets.spreadsheets.get" not in emulator.counters()
    with pytest.raises(SourceUnavailable, match="タイムスタンプ"):
        source(access, sid).fetch("registration")  # the first tab is not the responses


def test_a_renamed_first_tab_is_found_again(emulator: Emulator, access: GoogleAccess) -> None:
    sid = load(emulator, {TAB: registrations(2)})
    adapter = source(access, sid)
    adapter.fetch("registration")
    emulator.sheets.staff_rename_tab(sid, TAB, "回答")
    assert len(adapter.fetch("registration")) == 3


def test_a_row_with_an_unreadable_timestamp_is_skipped_and_reported_without_its_answers(
    emulator: Emulator, access: GoogleAccess
) -> None:
    rows = registrations(2)
    rows.append(["そのうち", "秘密 太郎", "secret@example.com", "", ""])
    sid = load(emulator, {TAB: rows})
    adapter = source(access, sid)
    assert len(adapter.fetch("registration")) == 3
    [problem] = adapter.problems
    assert "5行目" in problem and "秘密" not in problem and "secret" not in problem


def test_an_unknown_spreadsheet_is_source_unavailable_naming_the_setting(
    access: GoogleAccess,
) -> None:
    with pytest.raises(SourceUnavailable, match=r"source\.registration_sheet_id"):
        source(access, "no-such-spreadsheet").fetch("registration")


def test_a_sheet_not_shared_with_the_service_account_is_source_unavailable(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = load(emulator, {TAB: registrations(2)})
    emulator.sheets.unshare(sid)
    with pytest.raises(SourceUnavailable, match="service account"):
        source(access, sid).fetch("registration")


def test_an_empty_sheet_is_source_unavailable_not_zero_responses(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = load(emulator, {TAB: []})
    with pytest.raises(SourceUnavailable, match="header"):
        source(access, sid).fetch("registration")


def test_thirty_percent_injected_faults_give_the_same_responses(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = load(emulator, {TAB: reference_rows("registrations.csv")}, raw=True)
    calm = source(access, sid).fetch("registration")
    emulator.faults.seed(3)
    for kind, rate in (("429", 0.1), ("500", 0.11), ("503", 0.125)):
        emulator.add_fault(api="sheets", kind=kind, rate=rate)
    stormy = source(access, sid)
    for _ in range(12):
        assert stormy.fetch("registration") == calm
    assert len([e for e in emulator.requests(api="sheets") if e.fault]) >= 3


def test_a_header_lacking_a_question_the_rules_need_is_refused_naming_it(
    emulator: Emulator, access: GoogleAccess
) -> None:
    rows = registrations(2)
    rows[0] = [("連絡先" if title == "メールアドレス" else title) for title in rows[0]]
    sid = load(emulator, {TAB: rows})

    with pytest.raises(SourceUnavailable, match="メールアドレス") as refused:
        source(access, sid).fetch("registration")
    assert "\n" not in str(refused.value)


def test_control_characters_in_cells_are_removed_and_a_changed_cell_is_a_new_digest(
    emulator: Emulator, access: GoogleAccess
) -> None:
    rows = registrations(1)
    rows[1][1] = "伴走\x0b 1\u0085郎"
    sid = load(emulator, {TAB: rows}, raw=True)
    adapter = source(access, sid)
    first = adapter.fetch("registration")[0]
    assert first.answers["name"] == "伴走 1郎"

    emulator.sheets.staff_set_cell(sid, TAB, "B2", "伴走 一郎")
    edited = adapter.fetch("registration")[0]

    assert edited.response_id == first.response_id
    assert edited.fingerprint != first.fingerprint
