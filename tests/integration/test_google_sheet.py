"""GoogleSheet against the local emulator: request counts per cycle, grid growth, RAW
values, staff moving rows between (and inside) the adapter's requests, faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from bansou_sync.adapters import google_sheet_calls, google_sheet_requests
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.google_sheet import GoogleSheet
from bansou_sync.adapters.google_sheet_read import letters
from bansou_sync.adapters.google_sheet_requests import TAG
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.core.tabs import ALL_TABS, MAILS, SUPPORTERS, SYNC
from bansou_sync.emulator.http import Request, Response
from bansou_sync.emulator.server import Emulator
from bansou_sync.errors import SheetError
from bansou_sync.ports import TabRows

H = SUPPORTERS.headers
FAST = RetryPolicy(attempts=12, total_seconds=30, base_seconds=0.001, max_wait_seconds=0.01)
Row = list[str | int]


def new_spreadsheet(emulator: Emulator, sheets: dict[str, list[list[Any]]] | None = None) -> str:
    sid: str = emulator.sheets.load_fixture({"sheets": sheets or {"Sheet1": []}})
    return sid


def supporter(n: int, **cells: str | int) -> Row:
    values: dict[str, str | int] = {
        "伴走ネットID": f"BN-{n:04d}",
        "氏名": f"伴走 {n}",
        "メールアドレス": f"v{n}@example.com",
        "申請件数": n,
        **cells,
    }
    return [values.get(h, "") for h in H]


def supporters(numbers: range | list[int], **cells: str | int) -> list[TabRows]:
    return [TabRows(SUPPORTERS.name, [supporter(n, **cells) for n in numbers])]


def sheet_requests(emulator: Emulator) -> dict[str, int]:
    prefix = "sheets.spreadsheets."
    return {k[len(prefix) :]: v for k, v in emulator.counters().items() if k.startswith(prefix)}


def rows_by_key(emulator: Emulator, sid: str, tab: str = SUPPORTERS.name) -> dict[str, list[Any]]:
    dump = emulator.sheets.dump(sid)[tab]
    return {row[0]: row + [""] * (len(H) - len(row)) for row in dump[1:] if row and row[0]}


def assert_every_row_holds_its_own_values(emulator: Emulator, sid: str) -> None:
    for key, row in rows_by_key(emulator, sid).items():
        n = int(key[3:])
        assert row[H.index("氏名")] == f"伴走 {n}", row
        assert row[H.index("メールアドレス")] == f"v{n}@example.com", row


def assert_the_next_cycle_repairs(
    emulator: Emulator, sheet: GoogleSheet, sid: str, calm_sid: str
) -> None:
    """The next cycle (read, then the same write) leaves ``sid`` as a calm write left
    ``calm_sid``, every row with its own values, and nothing to report."""
    sheet.read()
    sheet.write(supporters(range(1, 31)))
    assert sheet.last_problems == []
    assert emulator.sheets.dump(sid) == emulator.sheets.dump(calm_sid)
    assert_every_row_holds_its_own_values(emulator, sid)


def before_request(emulator: Emulator, path_end: str, action: Callable[[], None]) -> None:
    """Run ``action`` (a staff member's edit) just before the next API request whose path
    ends with ``path_end`` reaches the emulator: between two of the adapter's requests."""
    handle = emulator.handle
    fired: list[bool] = []

    def wrapped(request: Request) -> Response | None:
        if not fired and request.path.endswith(path_end):
            fired.append(True)
            action()
        return handle(request)

    emulator.handle = wrapped  # type: ignore[method-assign]


def test_a_read_is_one_batch_get_once_the_sheet_has_been_written(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path
) -> None:
    sid = new_spreadsheet(emulator)
    cache = tmp_path / "sheet-cache.sqlite3"
    every_tab = [TabRows(t.name, []) for t in ALL_TABS[1:]]
    GoogleSheet(access, sid, cache_path=cache).write(supporters(range(1, 50)) + every_tab)
    emulator.reset_counters()

    GoogleSheet(access, sid, cache_path=cache).read()

    assert sheet_requests(emulator) == {"values.batchGet": 1}
    logged = emulator.requests(method="sheets.spreadsheets.values.batchGet")[-1]
    ranges = logged.query["ranges"]
    assert "'伴走者'!1:1" in ranges and "'伴走者'!A2:A" in ranges and "'伴走者'!L2:R" in ranges
    assert logged.query["valueRenderOption"] == ["FORMATTED_VALUE"]


def test_writing_unchanged_rows_again_sends_nothing(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)
    tabs = [
        *supporters(range(1, 30)),
        TabRows(SYNC.name, [["2022-07-10 12:00", "成功", 0, 0, 0, "", ""]]),
    ]
    sheet.write(tabs)
    sheet.read()
    emulator.reset_counters()

    sheet.write(tabs)

    assert sheet_requests(emulator) == {}


def test_a_hundred_changed_rows_are_one_verifying_read_and_one_write_request(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)
    sheet.write(supporters(range(1, 101)))
    sheet.read()
    emulator.reset_counters()

    sheet.write(supporters(range(1, 101), 謝金累計=6000))

    # the read through the tags checks each row still holds its key (issue 11 §2)
    assert sheet_requests(emulator) == {
        "values.batchGetByDataFilter": 1,
        "values.batchUpdateByDataFilter": 1,
    }
    assert all(row[H.index("謝金累計")] == "6000" for row in rows_by_key(emulator, sid).values())


def test_an_incremental_cycle_is_a_read_one_structural_one_verifying_and_one_values_request(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path
) -> None:
    sid = new_spreadsheet(emulator)
    cache = tmp_path / "sheet-cache.sqlite3"
    every_tab = [TabRows(t.name, []) for t in ALL_TABS[1:]]
    GoogleSheet(access, sid, cache_path=cache).write(supporters(range(1, 200)) + every_tab)
    sheet = GoogleSheet(access, sid, cache_path=cache)  # a new process: no grid known
    emulator.reset_counters()

    sheet.read()
    sheet.write(supporters(range(1, 300), 謝金累計=1))

    assert sheet_requests(emulator) == {
        "values.batchGet": 1,
        "get": 1,
        "batchUpdate": 1,
        "values.batchGetByDataFilter": 1,
        "values.batchUpdateByDataFilter": 1,
    }
    assert len(rows_by_key(emulator, sid)) == 299


def test_the_grid_grows_past_a_thousand_rows(emulator: Emulator, access: GoogleAccess) -> None:
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)

    sheet.write(supporters(range(1, 1501)))

    assert len(rows_by_key(emulator, sid)) == 1500
    assert_every_row_holds_its_own_values(emulator, sid)
    sheet.read()
    sheet.write(supporters(range(1, 2601)))
    assert len(rows_by_key(emulator, sid)) == 2600


def test_values_are_written_raw_so_a_formula_stays_text(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)

    sheet.write(supporters([1], 氏名="=1+1", 紹介者="+81-90", 活動地域="@x"))

    row = rows_by_key(emulator, sid)["BN-0001"]
    assert row[H.index("氏名")] == "=1+1"
    assert row[H.index("紹介者")] == "+81-90"
    assert row[H.index("申請件数")] == "1"
    assert GoogleSheet(access, sid).read().tabs[SUPPORTERS.name][0].cells["氏名"] == "=1+1"


BEHAVIOURS = ["move", "stay"]  # what a sort does to row metadata: Google does not say


def on_sort(emulator: Emulator, behaviour: str) -> None:
    emulator.sheets.row_metadata_on_sort = behaviour  # type: ignore[attr-defined]


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_staff_sort_between_read_and_write_misplaces_nothing(
    emulator: Emulator, access: GoogleAccess, behaviour: str
) -> None:
    on_sort(emulator, behaviour)
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)
    sheet.write(supporters(range(1, 21)))
    sheet.read()
    emulator.sheets.staff_sort(sid, SUPPORTERS.name, "伴走ネットID", descending=True)
    emulator.sheets.staff_insert_row(sid, SUPPORTERS.name, 5)
    emulator.sheets.staff_delete_row(sid, SUPPORTERS.name, 9)

    sheet.write(supporters(range(1, 22), 謝金累計=7000))

    rows = rows_by_key(emulator, sid)
    assert len(rows) == 20  # one deleted row written again next cycle, not elsewhere
    assert_every_row_holds_its_own_values(emulator, sid)
    sheet.read()
    sheet.write(supporters(range(1, 22), 謝金累計=7000))
    assert len(rows_by_key(emulator, sid)) == 21
    assert_every_row_holds_its_own_values(emulator, sid)


def existing_sheet(emulator: Emulator, count: int) -> str:
    """A status sheet bansou-sync did not write (no row tags), staff memos in it."""
    rows = [list(H)] + [
        [str(v) for v in supporter(n, メモ=f"memo {n}")] for n in range(1, count + 1)
    ]
    return new_spreadsheet(emulator, {SUPPORTERS.name: rows})


@pytest.mark.parametrize(
    ("moment", "behaviour"),
    [
        *((":batchUpdate", b) for b in BEHAVIOURS),
        *(("values:batchGetByDataFilter", b) for b in BEHAVIOURS),
        *(("values:batchUpdateByDataFilter", b) for b in BEHAVIOURS),
    ],
)
def test_staff_sorting_between_the_adapters_own_requests_misplaces_nothing(
    emulator: Emulator, access: GoogleAccess, moment: str, behaviour: str
) -> None:
    on_sort(emulator, behaviour)
    sid = existing_sheet(emulator, 12)
    sheet = GoogleSheet(access, sid)
    sheet.read()
    before_request(
        emulator,
        moment,
        lambda: emulator.sheets.staff_sort(sid, SUPPORTERS.name, "メモ", descending=True),
    )

    sheet.write(supporters(range(1, 13), 謝金累計=5000))
    sheet.read()
    sheet.write(supporters(range(1, 13), 謝金累計=5000))

    rows = rows_by_key(emulator, sid)
    assert len(rows) == 12
    assert_every_row_holds_its_own_values(emulator, sid)
    for key, row in rows.items():
        assert row[H.index("メモ")] == f"memo {int(key[3:])}"
        assert row[H.index("謝金累計")] == "5000"


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_tag_placed_on_a_row_staff_moved_is_moved_to_the_row_holding_its_key(
    emulator: Emulator, access: GoogleAccess, behaviour: str
) -> None:
    on_sort(emulator, behaviour)
    sid = existing_sheet(emulator, 6)
    sheet = GoogleSheet(access, sid)
    sheet.read()
    before_request(
        emulator,
        ":batchUpdate",
        lambda: emulator.sheets.staff_sort(sid, SUPPORTERS.name, "メモ", descending=True),
    )

    sheet.write(supporters(range(1, 7), 謝金累計=5000))

    rows = rows_by_key(emulator, sid)
    assert_every_row_holds_its_own_values(emulator, sid)
    assert all(row[H.index("謝金累計")] == "5000" for row in rows.values())
    assert all(row[H.index("メモ")] == f"memo {int(key[3:])}" for key, row in rows.items())
    tags = [m for m in emulator.sheets.book(sid).developer_metadata if m["metadataKey"] == TAG]
    for found in tags:  # one tag per row, each on the row holding its key
        at = found["location"]["dimensionRange"]["startIndex"]
        tab, key = json.loads(found["metadataValue"])
        assert emulator.sheets.dump(sid)[tab][at][0] == key
    assert len(tags) == 6


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_after_a_staff_sort_between_cycles_each_row_is_written_in_its_own_row(
    emulator: Emulator, access: GoogleAccess, behaviour: str
) -> None:
    on_sort(emulator, behaviour)
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)
    sheet.write(supporters(range(1, 11)))
    for n in range(1, 11):
        row = list(rows_by_key(emulator, sid)).index(f"BN-{n:04d}") + 2
        emulator.sheets.staff_set_cell(sid, SUPPORTERS.name, f"R{row}", f"memo {n}")
    emulator.sheets.staff_sort(sid, SUPPORTERS.name, "メモ", descending=True)
    sheet.read()

    sheet.write([TabRows(SUPPORTERS.name, [supporter(n, 申請件数=100 + n) for n in range(1, 11)])])

    rows = rows_by_key(emulator, sid)
    assert_every_row_holds_its_own_values(emulator, sid)
    for key, row in rows.items():
        assert row[H.index("申請件数")] == str(100 + int(key[3:]))
        assert row[H.index("メモ")] == f"memo {int(key[3:])}"
    assert sheet.last_problems == []


def test_new_rows_of_a_newest_first_tab_go_on_top(emulator: Emulator, access: GoogleAccess) -> None:
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)

    def mail(n: int) -> Row:
        return [f"2022-06-1{n} 09:00", "受理", "v***@example.com", "", "送信済", f"<m{n}@x>"]

    sheet.write([TabRows(MAILS.name, [mail(2), mail(1)])])
    sheet.read()
    sheet.write([TabRows(MAILS.name, [mail(4), mail(3), mail(2), mail(1)])])

    ids = [row[-1] for row in emulator.sheets.dump(sid)[MAILS.name][1:]]
    assert ids == ["<m4@x>", "<m3@x>", "<m2@x>", "<m1@x>"]


def test_a_spreadsheet_with_only_sheet1_gets_every_tab_with_its_header(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)
    assert len(sheet.read().problems) == len(ALL_TABS)

    sheet.write([TabRows(t.name, []) for t in ALL_TABS])

    dump = emulator.sheets.dump(sid)
    for layout in ALL_TABS:
        assert dump[layout.name] == [list(layout.headers)]
    assert sheet.read().problems == ()


def test_a_renamed_header_is_reported_and_columns_are_found_by_name(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)
    sheet.write(supporters([1, 2]))
    sheet.read()
    emulator.sheets.staff_set_cell(sid, SUPPORTERS.name, "O1", "講座")
    emulator.sheets.staff_set_cell(sid, SUPPORTERS.name, "S1", "担当者")

    snapshot = sheet.read()

    assert any("講座受講" in p for p in snapshot.problems)
    assert any("担当者" in p for p in snapshot.problems)
    assert [r.key for r in snapshot.tabs[SUPPORTERS.name]] == [("BN-0001",), ("BN-0002",)]
    sheet.write(supporters([1, 2], 申請件数=9))
    assert all(row[H.index("申請件数")] == "9" for row in rows_by_key(emulator, sid).values())


def test_thirty_percent_of_requests_failing_still_reaches_the_same_sheet(
    emulator: Emulator, access: GoogleAccess
) -> None:
    def cycles(sid: str) -> dict[str, list[list[Any]]]:
        sheet = GoogleSheet(access, sid, policy=FAST)
        for size in (30, 60, 90):
            sheet.read()
            sheet.write(
                [
                    *supporters(range(1, size + 1), 謝金累計=size),
                    TabRows(SYNC.name, [[f"2022-07-10 12:{size:02d}", "成功", size, 0, 0, "", ""]]),
                ]
            )
        result: dict[str, list[list[Any]]] = emulator.sheets.dump(sid)
        return result

    calm = cycles(new_spreadsheet(emulator))
    for kind, rate in (("429", 0.1), ("500", 0.08), ("503", 0.08), ("drop", 0.04)):
        emulator.faults.add(kind=kind, api="sheets", rate=rate)
    stormy = cycles(new_spreadsheet(emulator))

    assert sum(rule.fired for rule in emulator.faults.rules()) > 0
    assert stormy == calm


def test_a_spreadsheet_not_shared_with_the_service_account_is_one_clear_error(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = new_spreadsheet(emulator)
    emulator.faults.add(kind="403", api="sheets")
    emulator.reset_counters()

    with pytest.raises(SheetError, match="共有") as caught:
        GoogleSheet(access, sid, policy=FAST).read()

    assert sid in str(caught.value) and "\n" not in str(caught.value)
    assert sheet_requests(emulator) == {"values.batchGet": 1}


def test_a_wrong_spreadsheet_id_says_which_setting_to_fix(
    emulator: Emulator, access: GoogleAccess
) -> None:
    with pytest.raises(SheetError, match=r"sheet\.spreadsheet_id"):
        GoogleSheet(access, "no-such-spreadsheet", policy=FAST).read()


def test_the_key_column_cells_written_are_where_the_header_says(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = new_spreadsheet(emulator)
    GoogleSheet(access, sid).write(supporters([7]))

    header = emulator.sheets.dump(sid)[SUPPORTERS.name][0]

    assert header[H.index("メモ")] == "メモ"
    assert letters(H.index("メモ")) == "R"


def test_a_daemon_cell_edited_by_hand_is_restored_by_the_hourly_full_check(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = new_spreadsheet(emulator)
    cache = tmp_path / "cache.json"
    sheet = GoogleSheet(access, sid, FAST, cache_path=cache)
    sheet.read()
    sheet.write(supporters(range(1, 4)))
    column = letters(H.index("氏名"))
    emulator.sheets.staff_set_cell(sid, SUPPORTERS.name, f"{column}3", "手で書き換えた名前")

    sheet = GoogleSheet(access, sid, FAST, cache_path=cache)
    sheet.read()
    sheet.write(supporters(range(1, 4)))
    assert rows_by_key(emulator, sid)["BN-0002"][H.index("氏名")] == "手で書き換えた名前"

    import bansou_sync.adapters.google_sheet as module

    later = module.clock() + module.FULL_CHECK_SECONDS + 1
    monkeypatch.setattr(module, "clock", lambda: later)
    sheet = GoogleSheet(access, sid, FAST, cache_path=cache)
    sheet.read()
    sheet.write(supporters(range(1, 4)))
    assert_every_row_holds_its_own_values(emulator, sid)


def test_the_read_after_its_own_insertions_is_found_as_predicted_and_not_parsed_again(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path
) -> None:
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid, cache_path=tmp_path / "sheet-cache.sqlite3")
    rows = supporters(range(1, 40))
    sheet.write(rows)  # a new tab: every row inserted
    first = sheet.read()
    sheet.write(rows)
    again = sheet.read()

    assert set(first.tabs[SUPPORTERS.name][0].cells) == {"伴走ネットID", *SUPPORTERS.staff}
    # the prediction made at the write is what Google sent: the same parsed objects
    assert again.tabs[SUPPORTERS.name] is first.tabs[SUPPORTERS.name]
    assert [r.key for r in first.tabs[SUPPORTERS.name]] == [(f"BN-{n:04d}",) for n in range(1, 40)]


def test_a_staff_cell_typed_after_a_predicted_read_is_read_and_the_rest_kept(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path
) -> None:
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid, cache_path=tmp_path / "sheet-cache.sqlite3")
    sheet.write(supporters(range(1, 40)))
    before = sheet.read().tabs[SUPPORTERS.name]
    emulator.sheets.staff_set_cell(sid, SUPPORTERS.name, f"{letters(H.index('メモ'))}11", "確認")

    after = sheet.read().tabs[SUPPORTERS.name]

    assert after[9].key == ("BN-0010",) and after[9].cells["メモ"] == "確認"
    assert all(a is b for i, (a, b) in enumerate(zip(after, before, strict=True)) if i != 9)


def test_a_cycle_after_a_quiet_one_sends_no_values_for_unchanged_keyed_tabs(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path
) -> None:
    sid = new_spreadsheet(emulator)
    cache = tmp_path / "sheet-cache.sqlite3"
    sheet = GoogleSheet(access, sid, cache_path=cache, layouts=(SUPPORTERS,))
    rows = supporters(range(1, 60))
    sheet.write(rows)
    sheet.read()
    sheet.write(rows)  # same row objects, same read: the tab is skipped
    emulator.reset_counters()
    sheet.read()
    sheet.write([TabRows(SUPPORTERS.name, [*rows[0].rows[:-1], supporter(59, メモ="x")])])

    # one row object changed: it alone is planned, and its daemon values did not change
    assert sheet_requests(emulator) == {"values.batchGet": 1}


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_row_staff_delete_between_read_and_write_is_made_again_next_cycle_unreported(
    emulator: Emulator, access: GoogleAccess, behaviour: str
) -> None:
    on_sort(emulator, behaviour)
    sid = new_spreadsheet(emulator)
    sheet = GoogleSheet(access, sid)
    sheet.write(supporters(range(1, 6)))
    sheet.read()
    before_request(
        emulator,
        "values:batchGetByDataFilter",
        lambda: emulator.sheets.staff_delete_row(sid, SUPPORTERS.name, 3),  # BN-0002
    )

    sheet.write(supporters(range(1, 6), 謝金累計=1000))

    assert sheet.last_problems == []
    assert sorted(rows_by_key(emulator, sid)) == ["BN-0001", "BN-0003", "BN-0004", "BN-0005"]
    sheet.read()
    sheet.write(supporters(range(1, 6), 謝金累計=1000))
    assert len(rows_by_key(emulator, sid)) == 5
    assert_every_row_holds_its_own_values(emulator, sid)


def test_a_failed_or_dropped_verifying_read_and_values_write_are_retried_to_the_same_sheet(
    emulator: Emulator, access: GoogleAccess
) -> None:
    # the read through the tags and the values write have their replies decoded as they
    # arrive (adapters/json_stream): a refusal, an error after the write was carried
    # out and a dropped connection are retried as any other request
    calm_sid = new_spreadsheet(emulator)
    GoogleSheet(access, calm_sid, policy=FAST).write(supporters(range(1, 41)))
    sid = new_spreadsheet(emulator)
    values = "sheets.spreadsheets.values."
    rules = [
        emulator.faults.add(kind="429", method=values + "batchGetByDataFilter", count=1),
        emulator.faults.add(kind="drop", method=values + "batchGetByDataFilter", count=1),
        emulator.faults.add(
            kind="500", method=values + "batchUpdateByDataFilter", when="after", count=1
        ),
        emulator.faults.add(kind="drop", method=values + "batchUpdateByDataFilter", count=1),
    ]

    GoogleSheet(access, sid, policy=FAST).write(supporters(range(1, 41)))

    assert [rule.fired for rule in rules] == [1, 1, 1, 1]
    assert emulator.sheets.dump(sid) == emulator.sheets.dump(calm_sid)
    assert_every_row_holds_its_own_values(emulator, sid)


def test_a_verifying_read_refused_for_sharing_is_one_clear_error(
    emulator: Emulator, access: GoogleAccess
) -> None:
    sid = new_spreadsheet(emulator)
    emulator.faults.add(kind="403", method="sheets.spreadsheets.values.batchGetByDataFilter")

    with pytest.raises(SheetError, match="共有") as caught:
        GoogleSheet(access, sid, policy=FAST).write(supporters(range(1, 4)))

    assert sid in str(caught.value) and "\n" not in str(caught.value)


def test_a_values_write_refused_on_a_middle_chunk_sends_no_later_chunk_and_the_next_cycle_repairs_it(
    emulator: Emulator, access: GoogleAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the next chunk's body is built, and sent, only once a chunk has been answered
    # (GoogleSheet._post_each): a chunk refused still stops the write there — no later
    # chunk reaches the sheet — and what it left is written again by the next cycle
    monkeypatch.setattr(google_sheet_requests, "CHUNK_BYTES", 1500)  # ≈ 5 rows a chunk
    calm_sid = new_spreadsheet(emulator)
    GoogleSheet(access, calm_sid, policy=FAST).write(supporters(range(1, 31)))
    sid = new_spreadsheet(emulator)
    writes: list[int] = []
    handle = emulator.handle

    def second_write_refused(request: Request) -> Response | None:
        if request.path.endswith("values:batchUpdateByDataFilter"):
            writes.append(len(writes) + 1)
            if len(writes) == 2:
                emulator.faults.add(
                    kind="403", method="sheets.spreadsheets.values.batchUpdateByDataFilter", count=1
                )
        return handle(request)

    emulator.handle = second_write_refused  # type: ignore[method-assign]
    sheet = GoogleSheet(access, sid, policy=FAST)

    with pytest.raises(SheetError, match="共有"):
        sheet.write(supporters(range(1, 31)))

    assert writes == [1, 2]  # the chunks after the refused one were never sent
    written = rows_by_key(emulator, sid)
    assert len(written) == 30  # inserted with their keys, some values not written yet
    assert any(row[H.index("氏名")] == "" for row in written.values())
    emulator.handle = handle  # type: ignore[method-assign]
    assert_the_next_cycle_repairs(emulator, sheet, sid, calm_sid)


def test_a_values_reply_unreadable_on_a_middle_chunk_is_one_clear_error_and_the_next_cycle_repairs_it(
    emulator: Emulator, access: GoogleAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the next chunk goes as soon as one is answered, while its reply is decoded
    # (GoogleSheet._post_each): a reply that cannot be read after the next chunk landed
    # leaves that chunk written but not recorded — the next cycle writes it again
    monkeypatch.setattr(google_sheet_requests, "CHUNK_BYTES", 1500)  # ≈ 5 rows a chunk
    calm_sid = new_spreadsheet(emulator)
    GoogleSheet(access, calm_sid, policy=FAST).write(supporters(range(1, 31)))
    sid = new_spreadsheet(emulator)
    writes: list[int] = []
    handle = emulator.handle

    def second_reply_cut(request: Request) -> Response | None:
        reply = handle(request)
        if request.path.endswith("values:batchUpdateByDataFilter"):
            writes.append(len(writes) + 1)
            if len(writes) == 2 and reply is not None:  # carried out, its reply cut short
                body = reply.body
                whole = body if isinstance(body, bytes) else json.dumps(body).encode()
                return Response(200, whole[: len(whole) // 2], {"Content-Type": "application/json"})
        return reply

    emulator.handle = second_reply_cut  # type: ignore[method-assign]
    sheet = GoogleSheet(access, sid, policy=FAST)

    with pytest.raises(SheetError) as caught:
        sheet.write(supporters(range(1, 31)))

    assert sid in str(caught.value) and "\n" not in str(caught.value)
    assert writes == [1, 2, 3]  # the third chunk was sent while the second reply was read
    emulator.handle = handle  # type: ignore[method-assign]
    assert_the_next_cycle_repairs(emulator, sheet, sid, calm_sid)


def test_a_values_reply_lost_while_read_is_asked_for_again_after_the_next_chunk_and_lands(
    emulator: Emulator, access: GoogleAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the connection is lost while the second chunk's reply is read — the third chunk
    # already went: the second is sent again under the retry policy, once the third has
    # been answered, and the sheet is the one a calm write makes
    monkeypatch.setattr(google_sheet_requests, "CHUNK_BYTES", 1500)  # ≈ 5 rows a chunk
    calm_sid = new_spreadsheet(emulator)
    GoogleSheet(access, calm_sid, policy=FAST).write(supporters(range(1, 31)))
    sid = new_spreadsheet(emulator)
    writes: list[bytes] = []  # the bodies of the values writes, as the sheet got them
    handle = emulator.handle

    def counted(request: Request) -> Response | None:
        if request.path.endswith("values:batchUpdateByDataFilter"):
            writes.append(request.body)
        return handle(request)

    emulator.handle = counted  # type: ignore[method-assign]
    decode = google_sheet_calls.decode_streamed
    reads: list[int] = []  # per values reply read, how many writes had reached the sheet

    def lost_once(chunks: Any, hook: Any) -> Any:
        if writes:  # a values write's reply (the structure and the tag read come first)
            reads.append(len(writes))
            if len(reads) == 2:  # the second chunk's reply
                raise requests.ConnectionError("connection reset while reading the reply")
        return decode(chunks, hook)

    monkeypatch.setattr(google_sheet_calls, "decode_streamed", lost_once)

    GoogleSheet(access, sid, policy=FAST).write(supporters(range(1, 31)))

    # one more write than chunks: the second chunk again, once the third was answered
    # (the third went as soon as the second was answered, before its reply was read)
    assert len(writes) == len(reads) >= 4
    assert writes[3] == writes[1] and len(set(writes)) == len(writes) - 1
    assert emulator.sheets.dump(sid) == emulator.sheets.dump(calm_sid)
    assert_every_row_holds_its_own_values(emulator, sid)
