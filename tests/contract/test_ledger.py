"""The SQLite ledger: state round-trips, transactions, the outbox, the cycles log."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bansou_sync.adapters import ledger_codec
from bansou_sync.adapters.ledger import APPLICATION_ID, MIGRATIONS, Ledger, OutboxItem
from bansou_sync.core.model import (
    Application,
    AppStatus,
    Reason,
    Registration,
    RegistrationStatus,
    SupporterDesk,
)
from bansou_sync.core.state import BatchMark, State
from bansou_sync.errors import LedgerError

JST = ZoneInfo("Asia/Tokyo")
T0 = datetime(2022, 6, 1, 10, 0, tzinfo=JST)


def registration(n: int, **changes: object) -> Registration:
    record = Registration(
        response_id=f"resp-r{n}",
        seq=n,
        submitted_at=T0 + timedelta(hours=n),
        last_submitted_at=T0 + timedelta(hours=n, minutes=5),
        supporter_id=f"BN-{n:04d}",
        status=RegistrationStatus.ACTIVE,
        name=f"試験 太郎{n}",
        kana="しけん たろう",
        email=f"volunteer{n}@example.org",
        phone_digits="0312345678",
        postal_code="1000001",
        address="東京都千代田区千代田1-1",
        membership="会員の紹介",
        referrer="紹介 花子",
        prefecture="東京都",
        languages=("日本語", "English"),
        wants_course="はい",
        consent=True,
        missing=("postal_code",),
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def application(n: int, **changes: object) -> Application:
    record = Application(
        app_no=f"A-{n:06d}",
        response_id=f"resp-a{n}",
        seq=100 + n,
        submitted_at=datetime(2022, 6, 25, 14, 59, tzinfo=UTC),  # UTC stays UTC
        last_submitted_at=datetime(2022, 6, 25, 23, 59, tzinfo=timezone(timedelta(hours=9))),
        effective_submitted_at=datetime(2022, 6, 25, 23, 59, tzinfo=JST),
        supporter_id="BN-0001",
        name="試験 太郎1",
        email="volunteer1@example.org",
        companion_id=None,
        client_code="C-0001",
        support_date=date(2022, 5, 26),
        minutes=179,
        status=AppStatus.DEFICIENT,
        reasons=(Reason("missing:end_time"), Reason("late_submission", "2022-06-25")),
        judged_at=T0,
        honorarium=6000,
        accepted_on=date(2022, 6, 20),
        cutoff=date(2022, 6, 20),
        pay_date=date(2022, 7, 8),
        topics=("医療", "住まい"),
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def full_state() -> State:
    return State(
        registrations={r.response_id: r for r in (registration(1), registration(2))},
        applications={a.app_no: a for a in (application(1), application(2, minutes=None))},
        clients={"hmac-aaa": "C-0001", "hmac-bbb": "C-0002"},
        desks={"BN-0001": SupporterDesk(memo_received=True, contact_correction="x@example.org")},
        batches={"2022-06-20|BN-0001": BatchMark(paid=True, paid_on="2022-07-08")},
        counters={"supporter": 2, "application": 2, "client": 2, "seq": 102},
        seen={"registration|resp-r1": "2022-06-01T10:05:00+09:00"},
        flags={"budget_warned": "2022-06-30"},
    )


def save(ledger: Ledger, old: State, new: State) -> None:
    with ledger.transaction():
        ledger.save_state(old, new)


def item(n: int, created: datetime = T0, **changes: object) -> OutboxItem:
    record = OutboxItem(
        message_id=f"<m{n}@bansou>",
        kind="application_received",
        ref=f"A-{n:06d}",
        to=(f"volunteer{n}@example.org",),
        event_key=f"resp-a{n}",
        context={"app_no": f"A-{n:06d}", "amount": 6000, "reasons": ["a", "b"]},
        created_at=created,
    )
    return replace(record, **changes)  # type: ignore[arg-type]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "out" / "ledger.sqlite3"


@pytest.fixture
def ledger(path: Path) -> Iterator[Ledger]:
    with Ledger.open(path) as opened:
        yield opened


# -- state ------------------------------------------------------------------------------


def test_a_state_with_every_record_type_round_trips_exactly(path: Path) -> None:
    state = full_state()
    with Ledger.open(path) as ledger:
        save(ledger, State(), state)
    with Ledger.open(path) as ledger:
        loaded = ledger.load_state()
    assert loaded == state
    app = loaded.applications["A-000001"]
    assert app.reasons == (Reason("missing:end_time"), Reason("late_submission", "2022-06-25"))
    assert isinstance(app.reasons, tuple) and isinstance(app.reasons[0], Reason)
    assert app.status is AppStatus.DEFICIENT
    assert type(app.support_date) is date and app.cutoff == date(2022, 6, 20)
    assert app.effective_submitted_at.tzinfo == JST  # the zone, not only its offset
    assert app.submitted_at.utcoffset() == timedelta(0)
    assert app.last_submitted_at.utcoffset() == timedelta(hours=9)
    assert loaded.registrations["resp-r1"].status is RegistrationStatus.ACTIVE
    assert loaded.registrations["resp-r1"].languages == ("日本語", "English")
    assert loaded.applications["A-000002"].minutes is None


def test_a_field_missing_from_an_older_payload_takes_its_default() -> None:
    text = ledger_codec.dumps(application(1, reminded=True))
    older = text.replace('"reminded": true, ', "")
    assert '"reminded"' not in older
    assert ledger_codec.loads(Application, older).reminded is False


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(LedgerError, match="naive"):
        ledger_codec.dumps(application(1, judged_at=datetime(2022, 6, 1, 10, 0)))


def test_save_state_writes_only_what_changed(ledger: Ledger) -> None:
    old = full_state()
    save(ledger, State(), old)
    new = old.copy()
    new.applications["A-000001"] = replace(old.applications["A-000001"], revision=1)
    del new.registrations["resp-r2"]
    new.counters["seq"] = 103
    new.flags["form_closed"] = "yes"

    before = ledger.total_changes
    save(ledger, old, new)

    assert ledger.total_changes - before == 4  # one update, one delete, one update, one insert
    assert ledger.load_state() == new


def test_save_state_with_nothing_changed_writes_nothing(ledger: Ledger) -> None:
    state = full_state()
    save(ledger, State(), state)
    before = ledger.total_changes
    save(ledger, state, state.copy())
    assert ledger.total_changes == before


def test_save_state_outside_a_transaction_is_refused(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="transaction"):
        ledger.save_state(State(), full_state())


# -- transactions -----------------------------------------------------------------------


def test_an_exception_inside_a_transaction_leaves_nothing(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError), ledger.transaction():
        ledger.save_state(State(), full_state())
        ledger.enqueue([item(1)])
        raise RuntimeError("the cycle failed half-way")
    assert ledger.load_state() == State()
    assert ledger.outbox_items() == []


def test_a_dry_run_transaction_leaves_nothing(ledger: Ledger) -> None:
    with ledger.transaction(commit=False):
        ledger.save_state(State(), full_state())
        assert ledger.enqueue([item(1)]) == 1
        assert ledger.load_state() == full_state()  # visible inside the dry run
    assert ledger.load_state() == State()
    assert ledger.pending() == []


def test_transactions_do_not_nest(ledger: Ledger) -> None:
    with ledger.transaction(), pytest.raises(LedgerError, match="nest"), ledger.transaction():
        pass


# -- outbox -----------------------------------------------------------------------------


def test_the_same_message_is_never_queued_twice(ledger: Ledger) -> None:
    with ledger.transaction():
        assert ledger.enqueue([item(1), item(2)]) == 2
    with ledger.transaction():
        assert ledger.enqueue([item(2), item(3), replace(item(1), kind="changed")]) == 1
    assert [i.message_id for i in ledger.pending()] == ["<m1@bansou>", "<m2@bansou>", "<m3@bansou>"]
    assert ledger.pending()[0].kind == "application_received"


def test_an_outbox_item_round_trips(ledger: Ledger) -> None:
    queued = item(1, send_after=T0 + timedelta(hours=1))
    ledger.enqueue([queued])
    assert ledger.outbox_items() == [queued]


def test_pending_is_oldest_first_by_time_then_by_insertion(ledger: Ledger) -> None:
    utc_earlier = datetime(2022, 6, 1, 0, 30, tzinfo=UTC)  # 09:30 JST, before T0
    ledger.enqueue([item(1), item(2), item(3, created=utc_earlier), item(4)])
    assert [i.ref for i in ledger.pending()] == ["A-000003", "A-000001", "A-000002", "A-000004"]
    assert [i.ref for i in ledger.pending(limit=2)] == ["A-000003", "A-000001"]
    assert [i.ref for i in ledger.outbox_items()] == [
        "A-000004",
        "A-000002",
        "A-000001",
        "A-000003",
    ]


def test_pending_due_at_leaves_deferred_messages_for_later(ledger: Ledger) -> None:
    ledger.enqueue([item(1), item(2, send_after=T0 + timedelta(hours=2))])
    assert [i.ref for i in ledger.pending(due_at=T0)] == ["A-000001"]
    assert len(ledger.pending(due_at=T0 + timedelta(hours=2))) == 2


def test_the_outbox_state_machine(ledger: Ledger) -> None:
    ledger.enqueue([item(1), item(2), item(3), item(4)])
    sent_at = T0 + timedelta(minutes=1)

    ledger.mark_sending("<m1@bansou>")
    assert [i.message_id for i in ledger.in_sending()] == ["<m1@bansou>"]
    ledger.mark_sent("<m1@bansou>", sent_at)

    ledger.mark_sending("<m2@bansou>")
    ledger.mark_failed("<m2@bansou>", "421 try later", permanent=False)
    ledger.mark_sending("<m3@bansou>")
    ledger.mark_failed("<m3@bansou>", "550 no such user", permanent=True)
    ledger.mark_sending("<m4@bansou>")
    ledger.mark_review("<m4@bansou>", "crashed while sending")

    by_id = {i.message_id: i for i in ledger.outbox_items()}
    assert by_id["<m1@bansou>"].status == "sent"
    assert by_id["<m1@bansou>"].sent_at == sent_at
    assert (by_id["<m2@bansou>"].status, by_id["<m2@bansou>"].attempts) == ("pending", 1)
    assert by_id["<m2@bansou>"].error == "421 try later"
    assert (by_id["<m3@bansou>"].status, by_id["<m3@bansou>"].attempts) == ("failed", 1)
    assert (by_id["<m4@bansou>"].status, by_id["<m4@bansou>"].error) == (
        "review",
        "crashed while sending",
    )
    assert [i.message_id for i in ledger.pending()] == ["<m2@bansou>"]
    assert ledger.in_sending() == []
    assert ledger.sent_at_of(["<m1@bansou>", "<m2@bansou>", "<unknown>"]) == {
        "<m1@bansou>": sent_at
    }


def test_a_sent_message_never_moves_again(ledger: Ledger) -> None:
    ledger.enqueue([item(1)])
    ledger.mark_sending("<m1@bansou>")
    ledger.mark_sent("<m1@bansou>", T0)
    with pytest.raises(LedgerError, match="cannot become sending"):
        ledger.mark_sending("<m1@bansou>")
    with pytest.raises(LedgerError, match="no message"):
        ledger.mark_sent("<never-queued>", T0)


def test_a_temporary_failure_can_defer_the_retry(ledger: Ledger) -> None:
    ledger.enqueue([item(1)])
    ledger.mark_sending("<m1@bansou>")
    ledger.mark_failed("<m1@bansou>", "quota", permanent=False, retry_after=T0 + timedelta(hours=1))
    assert ledger.pending(due_at=T0) == []
    assert len(ledger.pending(due_at=T0 + timedelta(hours=1))) == 1


def test_a_mark_commits_on_its_own_outside_a_transaction(ledger: Ledger, path: Path) -> None:
    ledger.enqueue([item(1)])
    ledger.mark_sending("<m1@bansou>")
    with Ledger.open(path) as other:  # a crash now: another process sees the mark
        assert [i.message_id for i in other.in_sending()] == ["<m1@bansou>"]


def test_sent_count_since_counts_a_rolling_window(ledger: Ledger) -> None:
    ledger.enqueue([item(n) for n in range(1, 5)])
    for n, hours in ((1, 0), (2, 20), (3, 25)):
        ledger.mark_sending(f"<m{n}@bansou>")
        ledger.mark_sent(f"<m{n}@bansou>", T0 + timedelta(hours=hours))
    now = T0 + timedelta(hours=26)
    assert ledger.sent_count_since(now - timedelta(hours=24)) == 2
    assert ledger.sent_count_since((now - timedelta(hours=24)).astimezone(UTC)) == 2
    assert ledger.sent_count_since(T0) == 3


# -- cycles log -------------------------------------------------------------------------


def cycle(ledger: Ledger, minute: int, idle: bool, result: str = "ok") -> None:
    started = T0 + timedelta(minutes=minute)
    ledger.record_cycle(started, result, 0 if idle else 1, 0, 0, "", idle)


def test_an_idle_cycle_replaces_the_newest_row_only_when_that_row_is_idle(
    ledger: Ledger,
) -> None:
    cycle(ledger, 0, idle=True)
    cycle(ledger, 5, idle=True)  # replaces the idle top row
    cycle(ledger, 10, idle=False)
    cycle(ledger, 15, idle=True)  # the top row is busy: a new row
    cycle(ledger, 20, idle=True)  # replaces it

    rows = ledger.cycles()
    assert [(r["started_at"], r["idle"]) for r in rows] == [
        (T0 + timedelta(minutes=20), True),
        (T0 + timedelta(minutes=10), False),
        (T0 + timedelta(minutes=5), True),
    ]
    assert rows[1] == {
        "started_at": T0 + timedelta(minutes=10),
        "result": "ok",
        "new_registrations": 1,
        "new_applications": 0,
        "mails_sent": 0,
        "errors": "",
        "idle": False,
    }


def test_the_cycles_log_keeps_the_newest_500_rows(ledger: Ledger) -> None:
    for minute in range(503):
        cycle(ledger, minute, idle=False)
    rows = ledger.cycles(limit=1000)
    assert len(rows) == 500
    assert rows[0]["started_at"] == T0 + timedelta(minutes=502)
    assert rows[-1]["started_at"] == T0 + timedelta(minutes=3)
    assert len(ledger.cycles(limit=10)) == 10


# -- the file ---------------------------------------------------------------------------


def test_the_ledger_file_is_private_and_its_folder_is_created(path: Path) -> None:
    with Ledger.open(path):
        pass
    assert path.parent.is_dir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_file_loses_group_and_other_access(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.touch(mode=0o644)
    path.chmod(0o644)
    with Ledger.open(path):
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_schema_version_and_pragmas_are_set(path: Path) -> None:
    with Ledger.open(path):
        pass
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_a_garbage_file_is_refused_with_a_hint_to_recover(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database, just some bytes\n" * 200)
    with pytest.raises(LedgerError, match="recover"):
        Ledger.open(path)


def test_an_sqlite_file_of_another_program_is_refused(path: Path) -> None:
    path.parent.mkdir(parents=True)
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE notes (body TEXT)")
    raw.commit()
    raw.close()
    with pytest.raises(LedgerError, match="not a bansou-sync ledger"):
        Ledger.open(path)


def test_a_ledger_from_a_newer_version_is_refused(path: Path) -> None:
    with Ledger.open(path):
        pass
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.commit()
    raw.close()
    with pytest.raises(LedgerError, match="newer"):
        Ledger.open(path)


def test_a_read_only_ledger_says_so(ledger: Ledger) -> None:
    ledger._conn.execute("PRAGMA query_only = ON")  # as a read-only file would answer
    with pytest.raises(LedgerError, match="read-only"):
        save(ledger, State(), full_state())
    assert ledger.load_state() == State()


def test_a_full_disk_says_so(ledger: Ledger) -> None:
    pages = ledger._conn.execute("PRAGMA page_count").fetchone()[0]
    ledger._conn.execute(f"PRAGMA max_page_count = {pages}")  # as a full disk would answer
    big = State(flags={f"flag{n}": "x" * 1000 for n in range(200)})
    with pytest.raises(LedgerError, match="disk is full"):
        save(ledger, State(), big)
    assert ledger.load_state() == State()


def test_a_reopened_ledger_keeps_its_data(path: Path) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, State(), full_state())
        ledger.enqueue([item(1)])
        cycle(ledger, 0, idle=False)
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == full_state()
        assert [i.message_id for i in ledger.pending()] == ["<m1@bansou>"]
        assert len(ledger.cycles()) == 1


def test_a_backup_is_a_private_consistent_copy(ledger: Ledger, tmp_path: Path) -> None:
    save(ledger, State(), full_state())
    ledger.enqueue([item(1)])
    target = tmp_path / "backups" / "ledger-2022-06-01.sqlite3"
    ledger.backup_to(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with Ledger.open(target) as copy:
        assert copy.load_state() == full_state()
        assert len(copy.pending()) == 1


def test_a_closed_ledger_refuses_work_with_a_ledger_error(path: Path) -> None:
    ledger = Ledger.open(path)
    ledger.close()
    ledger.close()  # closing twice is harmless
    with pytest.raises(LedgerError):
        ledger.load_state()
