"""A new process whose staff tabs hold the bytes an earlier read found takes that read's
staff input from the copy kept beside the ledger (``app.staff_memo``), and it is exactly
what reading every row gives: through randomised staff typing, sorted, deleted and
repeated rows, a damaged or foreign kept file and another version."""

from __future__ import annotations

import marshal
import random
from datetime import datetime
from pathlib import Path

import pytest
from contract.test_local_sheet import file_records, save_as_excel, supporter
from fakes import fake_services

from bansou_sync.adapters import kept_projection
from bansou_sync.adapters.kept_projection import KeptProjection
from bansou_sync.adapters.ledger import Ledger
from bansou_sync.adapters.local_sheet import LocalSheet
from bansou_sync.adapters.parsed_tabs import ParsedTabs
from bansou_sync.adapters.tab_parse import LazyRows
from bansou_sync.app import staff_memo
from bansou_sync.app.inputs import Inputs, read_inputs
from bansou_sync.app.warm import WarmCycle
from bansou_sync.core.calendar import JST
from bansou_sync.core.model import SupporterDesk
from bansou_sync.core.staff import StaffInput
from bansou_sync.core.state import State
from bansou_sync.core.tabs import ALL_TABS, APPLICATIONS, PAYMENTS, SUPPORTERS
from bansou_sync.ports import TabRows

NOW = datetime(2022, 8, 1, 10, 0, tzinfo=JST)
SUPPORTERS_N, APPLICATIONS_N = 240, 400  # above parsed_tabs.MIN_ROWS: parses are kept too


def _daemon_tabs() -> list[TabRows]:
    apps = []
    for n in range(1, APPLICATIONS_N + 1):
        cells = dict.fromkeys(APPLICATIONS.headers, "")
        cells.update({"申請番号": f"A-{n:06d}", "伴走ネットID": f"BN-{n % 50 + 1:04d}"})
        cells.update({"判定": "審査待ち", "状態コード": "pending_review"})
        apps.append([cells[h] for h in APPLICATIONS.headers])
    pays = []
    for n in range(1, 31):
        cells = dict.fromkeys(PAYMENTS.headers, "")
        cells.update({"締め日": f"2022-0{n % 3 + 6}-20", "伴走ネットID": f"BN-{n:04d}"})
        cells.update({"件数": "1", "金額": "6000", "状態": "予定"})
        pays.append([cells[h] for h in PAYMENTS.headers])
    return [
        TabRows(SUPPORTERS.name, [supporter(n) for n in range(1, SUPPORTERS_N + 1)]),
        TabRows(APPLICATIONS.name, apps),
        TabRows(PAYMENTS.name, pays),
    ]


TYPED = {
    SUPPORTERS.name: {
        "覚書受領": ["TRUE", "FALSE", "", "○", "済", "たぶん"],
        "口座届出受領": ["TRUE", "", "1", "いいえ", "?"],
        "重複解除": ["", "TRUE"],
        "連絡先訂正": ["", "new@example.org", "not an address"],
        "覚書発送日": ["", "2022-06-01", "2022/6/2"],
        "メモ": ["", "電話済み", "=1+1"],
    },
    APPLICATIONS.name: {
        "審査": ["", "承認", "却下", "差戻し", "保留?"],
        "審査メモ": ["", "確認します", "日付を確認"],
        "却下理由(伴走者へ)": ["", "重複のため"],
    },
    PAYMENTS.name: {"支払済": ["", "TRUE", "FALSE", "x"]},
}


def _edit(rng: random.Random, folder: Path, what: str) -> None:
    """Staff open each staff tab in Excel, type a few cells, change it as ``what`` says,
    and save it (UTF-8)."""
    sheet = fake_services(folder).sheet
    for tab, columns in TYPED.items():
        records = file_records(sheet, tab)
        header, body = records[0], records[1:]
        key = [header.index(k) for k in sheet.layouts[tab].key]
        for _ in range(rng.randrange(0, 8) if what != "blank" else 0):
            column = rng.choice(list(columns))
            rng.choice(body)[header.index(column)] = rng.choice(columns[column])
        if what == "sort":
            rng.shuffle(body)
        elif what == "delete":
            del body[rng.randrange(len(body))]
        elif what == "repeat" and tab == rng.choice(list(TYPED)):  # a row copied, retyped
            copy = list(rng.choice(body))
            column = rng.choice(list(columns))
            copy[header.index(column)] = rng.choice(columns[column])
            body.append(copy)
        elif what == "resolve":  # staff delete the copies: one row per key again
            seen: set[tuple[str, ...]] = set()
            body = [r for r in body if (k := tuple(r[i] for i in key)) not in seen | {()}
                    and not seen.add(k)]  # fmt: skip
        elif what == "blank":
            for column in columns:
                for record in body:
                    record[header.index(column)] = ""
        save_as_excel(sheet, tab, [header, *body], encoding="utf-8-sig")


def _daemon_sheet(folder: Path, version: str = "1.0") -> LocalSheet:
    """The sheet as a process of the daemon has it: its parses kept beside the ledger."""
    sheet = fake_services(folder).sheet
    sheet.parsed = ParsedTabs(folder / "parsed", ALL_TABS, version)
    return sheet


def _process(folder: Path, *, kept: bool, version: str = "1.0") -> Inputs:
    """What a new process reads: with the staff input and the parses kept, or not."""
    fakes = fake_services(folder)
    with fakes.ledger.transaction():  # a ledger with a history: no rebuild from the sheet
        fakes.ledger.save_state(State(), State(counters={"supporter": SUPPORTERS_N}))
    if kept:
        fakes.sheet.parsed = _daemon_sheet(folder, version).parsed
        ledger_path = folder / "ledger.sqlite3"
        fakes.services.staff_keep = kept_projection.for_staff(ledger_path, version)
    return read_inputs(fakes.services, WarmCycle(), NOW, dry_run=False)


def _same(a: StaffInput, b: StaffInput) -> bool:
    """Equal, and in the same order (the plan goes through them in order)."""
    ordered = [(list(getattr(a, f)), list(getattr(b, f))) for f in ("desks", "decisions")]
    return a == b and all(x == y for x, y in ordered) and list(a.paid) == list(b.paid)


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each time a process looked for a kept staff input: whether it took one (counted,
    not changed)."""
    found: list[bool] = []
    decoding = staff_memo.decode

    def counted(data: bytes | None) -> StaffInput | None:
        staff = decoding(data)
        found.append(staff is not None)
        return staff

    monkeypatch.setattr(staff_memo, "decode", counted)
    return found


def test_a_new_process_takes_the_kept_staff_input_exactly_when_the_rows_are_unchanged(
    tmp_path: Path, taken: list[bool]
) -> None:
    rng = random.Random(1414)
    folder = tmp_path / "office"
    _daemon_sheet(folder).write(_daemon_tabs())
    kinds = ["none"] * 4 + ["type", "type", "sort", "sort", "delete", "repeat", "resolve", "blank"]
    what, kept = "start", b""
    sheet = fake_services(folder).sheet
    typed_taken = 0  # steps that took a staff input with decisions and ticks typed
    sorted_taken = 0  # steps that took one of rows staff sorted
    unmade = 0  # tabs whose kept parse was not even unpacked
    for step in range(80):
        before = len(taken)
        cold = _process(folder, kept=True)
        from_memo = any(taken[before:])
        full = _process(folder, kept=False)  # every row read, nothing kept
        assert _same(cold.staff, full.staff), (step, what)
        # the rows are read unless the read that kept the staff input read these bytes
        if from_memo:  # and the rows of a tab whose parse was kept were not even made
            lazy = [r for r in cold.snapshot.tabs.values() if isinstance(r, LazyRows)]
            assert not any(r.made for r in lazy), (step, what)
            unmade += len(lazy)
        # the same rows, problems and repeated keys as a read that parses every file
        assert cold.snapshot == full.snapshot, (step, what)
        held = b"|".join(sheet.path(tab).read_bytes() for tab in TYPED)
        assert from_memo == (held == kept), (step, what)
        if not cold.snapshot.repeats:  # repeated keys: read in full, nothing kept
            kept = held
        typed = any(d != ("", "") for d in cold.staff.decisions.values()) and cold.staff.paid
        typed_taken += bool(from_memo and typed and cold.staff.problems)
        sorted_taken += from_memo and list(cold.staff.desks) != sorted(cold.staff.desks)
        if step % 7 == 6:  # the daemon writes the tabs again (staff cells as typed)
            _daemon_sheet(folder).write(_daemon_tabs())
            what = "written"
            continue
        what = rng.choice(kinds)
        if what != "none":
            _edit(rng, folder, what)
    assert typed_taken >= 3, "too few steps took a kept staff input with staff typing"
    assert sorted_taken >= 1, "no step took a kept staff input of sorted rows"
    assert unmade >= 3, "no kept parse was left unpacked"
    assert taken.count(False) >= 20  # and the others read the rows


def test_a_damaged_or_foreign_kept_file_or_another_version_reads_the_rows(
    tmp_path: Path, taken: list[bool]
) -> None:
    folder = tmp_path / "office"
    fake_services(folder).sheet.write(_daemon_tabs())
    _edit(random.Random(3), folder, "type")
    expected = _process(folder, kept=False).staff
    _process(folder, kept=True)  # keeps the staff input
    path = kept_projection.path_for(folder / "ledger.sqlite3", kept_projection.STAFF)
    whole = path.read_bytes()
    assert _same(_process(folder, kept=True).staff, expected)
    assert taken[-1], "the kept staff input was not used"
    damaged = [whole[: len(whole) // 2], b"", b"\x00" * 64, whole[:-1] + bytes([whole[-1] ^ 1])]
    projection = kept_projection.path_for(folder / "ledger.sqlite3")
    KeptProjection(projection).save("staff:x", lambda f: f.write(whole[-200:]))
    for bad in [*damaged, projection.read_bytes()]:  # torn, empty, zeroed, flipped, foreign
        path.write_bytes(bad)
        assert _same(_process(folder, kept=True).staff, expected)
        assert not taken[-1], "a damaged or foreign file was used"
        _process(folder, kept=True)  # the rows read keep it again
        assert taken[-1]
        path.write_bytes(whole)
    assert _same(_process(folder, kept=True, version="2.0").staff, expected)
    assert not taken[-1], "another version's staff input was used"
    # a marshal of another shape under the right name is no staff input either
    assert staff_memo.decode(marshal.dumps((1, ("BN-0001",), ((5, ()),)))) is None


def test_blank_desks_and_decisions_are_kept_as_their_keys_alone() -> None:
    desks = {f"BN-{n:04d}": SupporterDesk() for n in range(1, 1001)}
    desks["BN-0500"] = SupporterDesk(memo_received=True, note="電話済み")
    decisions = {f"A-{n:06d}": ("", "") for n in range(1, 5001)}
    decisions["A-000007"] = ("承認", "")
    staff = StaffInput(desks, decisions, {"2022-06-20|BN-0001": True})
    data = staff_memo.encode(staff)
    kept = marshal.loads(data)
    assert len(kept[2]) == 1 and len(kept[4]) == 1  # the one desk, the one decision typed
    assert len(data) < 16 * (len(desks) + len(decisions))  # the keys, a few bytes each
    back = staff_memo.decode(data)
    assert back is not None and _same(back, staff)


def test_the_ledgers_vacuum_after_a_purge_deletes_the_kept_staff_input(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.sqlite3"
    keep = kept_projection.for_staff(ledger_path, "1.0")
    keep.save("staff:x", lambda f: f.write(staff_memo.encode(StaffInput())))
    assert keep.load("staff:x") is not None
    assert keep.path.stat().st_mode & 0o077 == 0  # holds what staff typed
    with Ledger.open(ledger_path) as ledger:
        ledger.vacuum()
    assert not keep.path.exists()


def test_a_process_that_wrote_the_staff_tabs_keeps_the_staff_input_the_next_read_takes(
    tmp_path: Path, taken: list[bool]
) -> None:
    folder = tmp_path / "office"
    sheet = _daemon_sheet(folder)
    sheet.write(_daemon_tabs())
    _edit(random.Random(5), folder, "type")
    sheet = _daemon_sheet(folder)
    sheet.write(_daemon_tabs())  # the staff cells as typed, the rows as the daemon has them
    keep = kept_projection.for_staff(folder / "ledger.sqlite3", "1.0")
    staff_memo.keep_written(keep, sheet)
    cold = _process(folder, kept=True)
    assert taken[-1], "the next process read the rows"
    assert _same(cold.staff, _process(folder, kept=False).staff)
    typed = [*cold.staff.decisions.values(), *cold.staff.desks.values()]
    assert len([t for t in typed if t not in (("", ""), SupporterDesk())]) >= 2  # typing kept
    _edit(random.Random(6), folder, "type")  # staff type before the next process reads
    cold = _process(folder, kept=True)
    assert not taken[-1] and _same(cold.staff, _process(folder, kept=False).staff)
