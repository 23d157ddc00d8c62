"""The ledger port: state, transactions, the outbox, the cycles log, the feature tables.

One suite, run against the SQLite ledger and the in-memory one (the ``ledger`` fixture
is both). What only a file has — reopening, permissions, migrations, SQLite's own
errors, the rows it writes, another process seeing a commit, backups — is tested on the
SQLite ledger alone (the ``sqlite_ledger`` fixture, or ``Ledger.open`` on a path): the
in-memory ledger has no file, so there is nothing of it to test there.
"""

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
from bansou_sync.adapters.ledger import APPLICATION_ID, MIGRATIONS, Ledger
from bansou_sync.adapters.memory_ledger import MemoryLedger
from bansou_sync.core.emergency import EmergencyRequest
from bansou_sync.core.event_model import Signup, SignupStatus
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
from bansou_sync.ports import HELD_UNTIL, OutboxItem
from bansou_sync.ports import Ledger as LedgerPort

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


def save(ledger: LedgerPort, old: State, new: State) -> None:
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
def sqlite_ledger(path: Path) -> Iterator[Ledger]:
    with Ledger.open(path) as opened:
        yield opened


@pytest.fixture(params=["sqlite", "memory"])
def ledger(request: pytest.FixtureRequest, path: Path) -> Iterator[LedgerPort]:
    if request.param == "memory":
        yield MemoryLedger()
        return
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


def test_save_state_writes_only_what_changed(sqlite_ledger: Ledger) -> None:
    old = full_state()
    save(sqlite_ledger, State(), old)
    new = old.copy()
    new.applications["A-000001"] = replace(old.applications["A-000001"], revision=1)
    del new.registrations["resp-r2"]
    new.counters["seq"] = 103
    new.flags["form_closed"] = "yes"

    before = sqlite_ledger.total_changes
    save(sqlite_ledger, old, new)

    # one update, one delete, one update, one insert; each renews the state token too
    # (a trigger, schema 5: adapters/ledger/snapshot.py)
    assert sqlite_ledger.total_changes - before == 4 * 2
    assert sqlite_ledger.load_state() == new


def test_save_state_with_nothing_changed_writes_nothing(sqlite_ledger: Ledger) -> None:
    state = full_state()
    save(sqlite_ledger, State(), state)
    before = sqlite_ledger.total_changes
    save(sqlite_ledger, state, state.copy())
    assert sqlite_ledger.total_changes == before


def test_save_state_outside_a_transaction_is_refused(ledger: LedgerPort) -> None:
    with pytest.raises(LedgerError, match="transaction"):
        ledger.save_state(State(), full_state())


# -- transactions -----------------------------------------------------------------------


def test_an_exception_inside_a_transaction_leaves_nothing(ledger: LedgerPort) -> None:
    with pytest.raises(RuntimeError), ledger.transaction():
        ledger.save_state(State(), full_state())
        ledger.enqueue([item(1)])
        raise RuntimeError("the cycle failed half-way")
    assert ledger.load_state() == State()
    assert ledger.outbox_items() == []


def test_a_dry_run_transaction_leaves_nothing(ledger: LedgerPort) -> None:
    with ledger.transaction(commit=False):
        ledger.save_state(State(), full_state())
        assert ledger.enqueue([item(1)]) == 1
        assert ledger.load_state() == full_state()  # visible inside the dry run
    assert ledger.load_state() == State()
    assert ledger.pending() == []


def test_transactions_do_not_nest(ledger: LedgerPort) -> None:
    with ledger.transaction(), pytest.raises(LedgerError, match="nest"), ledger.transaction():
        pass


# -- outbox -----------------------------------------------------------------------------


def test_the_same_message_is_never_queued_twice(ledger: LedgerPort) -> None:
    with ledger.transaction():
        assert ledger.enqueue([item(1), item(2)]) == 2
    with ledger.transaction():
        assert ledger.enqueue([item(2), item(3), replace(item(1), kind="changed")]) == 1
    assert [i.message_id for i in ledger.pending()] == ["<m1@bansou>", "<m2@bansou>", "<m3@bansou>"]
    assert ledger.pending()[0].kind == "application_received"


def test_an_outbox_item_round_trips(ledger: LedgerPort) -> None:
    queued = item(1, send_after=T0 + timedelta(hours=1))
    ledger.enqueue([queued])
    assert ledger.outbox_items() == [queued]


def test_pending_is_oldest_first_by_time_then_by_insertion(ledger: LedgerPort) -> None:
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


def test_pending_due_at_leaves_deferred_messages_for_later(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1), item(2, send_after=T0 + timedelta(hours=2))])
    assert [i.ref for i in ledger.pending(due_at=T0)] == ["A-000001"]
    assert len(ledger.pending(due_at=T0 + timedelta(hours=2))) == 2


def test_the_outbox_state_machine(ledger: LedgerPort) -> None:
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
    assert ledger.sent_times("application_received", ["resp-a1", "resp-a2", "unknown"]) == {
        "resp-a1": sent_at
    }


def test_a_sent_message_never_moves_again(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1)])
    ledger.mark_sending("<m1@bansou>")
    ledger.mark_sent("<m1@bansou>", T0)
    with pytest.raises(LedgerError, match="cannot become sending"):
        ledger.mark_sending("<m1@bansou>")
    with pytest.raises(LedgerError, match="no message"):
        ledger.mark_sent("<never-queued>", T0)


def test_a_temporary_failure_can_defer_the_retry(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1)])
    ledger.mark_sending("<m1@bansou>")
    ledger.mark_failed("<m1@bansou>", "quota", permanent=False, retry_after=T0 + timedelta(hours=1))
    assert ledger.pending(due_at=T0) == []
    assert len(ledger.pending(due_at=T0 + timedelta(hours=1))) == 1


def test_a_mark_commits_on_its_own_outside_a_transaction(sqlite_ledger: Ledger, path: Path) -> None:
    sqlite_ledger.enqueue([item(1)])
    sqlite_ledger.mark_sending("<m1@bansou>")
    with Ledger.open(path) as other:  # a crash now: another process sees the mark
        assert [i.message_id for i in other.in_sending()] == ["<m1@bansou>"]


def test_sent_count_since_counts_a_rolling_window(ledger: LedgerPort) -> None:
    ledger.enqueue([item(n) for n in range(1, 5)])
    for n, hours in ((1, 0), (2, 20), (3, 25)):
        ledger.mark_sending(f"<m{n}@bansou>")
        ledger.mark_sent(f"<m{n}@bansou>", T0 + timedelta(hours=hours))
    now = T0 + timedelta(hours=26)
    assert ledger.sent_count_since(now - timedelta(hours=24)) == 2
    assert ledger.sent_count_since((now - timedelta(hours=24)).astimezone(UTC)) == 2
    assert ledger.sent_count_since(T0) == 3


# -- cycles log -------------------------------------------------------------------------


def cycle(ledger: LedgerPort, minute: int, idle: bool, result: str = "ok") -> None:
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


def test_the_cycles_log_keeps_the_newest_500_rows(ledger: LedgerPort) -> None:
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


def test_a_read_only_ledger_says_so(sqlite_ledger: Ledger) -> None:
    sqlite_ledger._conn.execute("PRAGMA query_only = ON")  # as a read-only file would answer
    with pytest.raises(LedgerError, match="read-only"):
        save(sqlite_ledger, State(), full_state())
    assert sqlite_ledger.load_state() == State()


def test_a_full_disk_says_so(sqlite_ledger: Ledger) -> None:
    pages = sqlite_ledger._conn.execute("PRAGMA page_count").fetchone()[0]
    sqlite_ledger._conn.execute(f"PRAGMA max_page_count = {pages}")  # as a full disk would answer
    big = State(flags={f"flag{n}": "x" * 1000 for n in range(200)})
    with pytest.raises(LedgerError, match="disk is full"):
        save(sqlite_ledger, State(), big)
    assert sqlite_ledger.load_state() == State()


def test_a_reopened_ledger_keeps_its_data(path: Path) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, State(), full_state())
        ledger.enqueue([item(1)])
        cycle(ledger, 0, idle=False)
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == full_state()
        assert [i.message_id for i in ledger.pending()] == ["<m1@bansou>"]
        assert len(ledger.cycles()) == 1


def test_a_backup_is_a_private_consistent_copy(sqlite_ledger: Ledger, tmp_path: Path) -> None:
    save(sqlite_ledger, State(), full_state())
    sqlite_ledger.enqueue([item(1)])
    target = tmp_path / "backups" / "ledger-2022-06-01.sqlite3"
    sqlite_ledger.backup_to(target)
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


def test_an_in_memory_ledger_has_no_file_to_back_up(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    with pytest.raises(LedgerError, match="no file"):
        ledger.backup_to(tmp_path / "copy.sqlite3")
    assert not (tmp_path / "copy.sqlite3").exists()


# -- the port, beyond what the daemon's first version needed ------------------------------


def test_save_state_writes_the_differences_and_keeps_the_rest(ledger: LedgerPort) -> None:
    save(ledger, State(), full_state())
    save(ledger, State(), State(flags={"form_closed": "yes"}))  # old: what the caller knew
    held = ledger.load_state()
    assert held.flags == {"budget_warned": "2022-06-30", "form_closed": "yes"}
    assert held.registrations == full_state().registrations
    later = held.copy()
    del later.registrations["resp-r1"]
    save(ledger, held, later)
    assert list(ledger.load_state().registrations) == ["resp-r2"]


def test_a_loaded_state_is_a_copy_the_caller_may_change(ledger: LedgerPort) -> None:
    save(ledger, State(), full_state())
    loaded = ledger.load_state()
    loaded.flags["scribbled"] = "x"
    assert "scribbled" not in ledger.load_state().flags


def test_the_state_generation_changes_exactly_when_the_state_does(ledger: LedgerPort) -> None:
    ledger.load_state()
    first = ledger.state_generation
    ledger.load_state()
    assert ledger.state_generation == first
    with ledger.transaction():
        ledger.enqueue([item(1)])  # the outbox is not the state
    ledger.load_state()
    assert ledger.state_generation == first
    save(ledger, State(), State(flags={"a": "1"}))
    ledger.load_state()
    assert ledger.state_generation is not None and ledger.state_generation != first


def test_a_failed_transaction_undoes_every_kind_of_write(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1)])
    with pytest.raises(RuntimeError), ledger.transaction():
        ledger.enqueue([item(2)])
        ledger.mark_sending("<m1@bansou>")
        cycle(ledger, 0, idle=False)
        ledger.save_event_signups([signup(1)])
        ledger.add_tombstones(["registration|resp-r1"], T0)
        ledger.save_emergency_requests({}, {"E-0001": emergency(1)})
        raise RuntimeError("the cycle failed half-way")
    assert [(i.message_id, i.status) for i in ledger.outbox_items()] == [("<m1@bansou>", "pending")]
    assert ledger.cycles() == []
    assert ledger.event_signups() == {}
    assert ledger.tombstones() == frozenset()
    assert ledger.emergency_requests() == {}


def test_a_mark_outside_a_transaction_is_not_undone_by_a_later_rollback(
    ledger: LedgerPort,
) -> None:
    ledger.enqueue([item(1)])
    ledger.mark_sending("<m1@bansou>")
    with ledger.transaction(commit=False):
        ledger.mark_failed("<m1@bansou>", "421", permanent=False)
    assert [i.message_id for i in ledger.in_sending()] == ["<m1@bansou>"]


def test_queued_names_only_the_messages_the_outbox_holds(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1), item(2)])
    ledger.mark_sending("<m2@bansou>")
    ledger.mark_sent("<m2@bansou>", T0)
    assert ledger.queued(["<m1@bansou>", "<m2@bansou>", "<m9@bansou>"]) == {
        "<m1@bansou>",
        "<m2@bansou>",
    }
    assert ledger.queued([]) == set()


def test_items_by_id_keep_the_order_asked_and_leave_unknown_ones_out(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1), item(2), item(3)])
    found = ledger.items_by_id(["<m3@bansou>", "<m9@bansou>", "<m1@bansou>"])
    assert [i.ref for i in found] == ["A-000003", "A-000001"]


def test_pending_heads_skip_deferred_messages_and_the_kinds_left_out(ledger: LedgerPort) -> None:
    ledger.enqueue(
        [
            item(1),
            item(2, kind="digest", to=("staff@example.org",)),
            item(3, send_after=T0 + timedelta(hours=1)),
            item(4, created=T0 - timedelta(minutes=1)),
        ]
    )
    heads = list(ledger.pending_heads(T0, except_kinds=("digest",)))
    assert heads == [
        ("<m4@bansou>", ("volunteer4@example.org",)),
        ("<m1@bansou>", ("volunteer1@example.org",)),
    ]
    assert [i.ref for i in ledger.pending(kinds=["digest"])] == ["A-000002"]
    assert ledger.pending_count() == 4
    assert ledger.has_mail() and not ledger.has_mail(besides=["application_received", "digest"])


def test_sent_mail_is_counted_per_recipient_whatever_the_case(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1), item(2, to=("Volunteer1@Example.org",)), item(3)])
    for n in (1, 2):
        ledger.mark_sending(f"<m{n}@bansou>")
        ledger.mark_sent(f"<m{n}@bansou>", T0 + timedelta(hours=n))
    assert ledger.sent_per_recipient_since(T0) == {"volunteer1@example.org": 2}
    assert ledger.sent_per_recipient_since(T0 + timedelta(hours=2)) == {"volunteer1@example.org": 1}
    assert ledger.sent_count_since(T0) == 2


def test_held_mail_waits_until_staff_release_it(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1, send_after=HELD_UNTIL), item(2, send_after=HELD_UNTIL), item(3)])
    assert ledger.held_count() == 2
    assert [i.ref for i in ledger.pending(due_at=T0)] == ["A-000003"]
    assert ledger.release_held() == 2
    assert ledger.held_count() == 0
    assert len(ledger.pending(due_at=T0)) == 3


def test_a_watch_sees_every_message_first_then_only_what_changed(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1), item(2)])
    watch = ledger.watch_outbox()
    first = ledger.changed_mail(watch)
    assert first.everything
    assert sorted(e.message_id for e in first.entries) == ["<m1@bansou>", "<m2@bansou>"]
    assert ledger.changed_mail(watch).entries == []
    ledger.mark_sending("<m2@bansou>")
    ledger.mark_sent("<m2@bansou>", T0)
    ledger.enqueue([item(3)])
    later = ledger.changed_mail(watch)
    assert not later.everything
    assert sorted((e.message_id, e.status) for e in later.entries) == [
        ("<m2@bansou>", "sent"),
        ("<m3@bansou>", "pending"),
    ]
    sent = next(e for e in later.entries if e.message_id == "<m2@bansou>")
    assert sent.sent_at == T0 and sent.to == ("volunteer2@example.org",)


def test_a_rolled_back_queueing_makes_the_watch_read_everything_again(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1)])
    watch = ledger.watch_outbox()
    ledger.changed_mail(watch)
    with ledger.transaction(commit=False):
        ledger.enqueue([item(2)])
    again = ledger.changed_mail(watch)
    assert again.everything
    assert [e.message_id for e in again.entries] == ["<m1@bansou>"]


def test_a_failed_cycle_and_a_later_error_are_written_on_the_newest_row(
    ledger: LedgerPort,
) -> None:
    cycle(ledger, 0, idle=True)
    assert not ledger.fail_cycle(T0 + timedelta(minutes=5), "E-SHEET")  # not the one logged
    assert ledger.fail_cycle(T0, "E-SHEET")
    ledger.add_cycle_error("backup failed")
    newest = ledger.cycles(limit=1)[0]
    assert (newest["result"], newest["errors"], newest["idle"]) == (
        "失敗",
        "E-SHEET / backup failed",
        False,
    )


# -- course and event sign-ups, retention, emergency requests -----------------------------


def signup(n: int, **changes: object) -> Signup:
    record = Signup(
        event_id="course-1",
        response_id=f"resp-e{n}",
        number=n,
        submitted_at=T0,
        supporter_id=f"BN-{n:04d}",
        name=f"試験 花子{n}",
        email=f"volunteer{n}@example.org",
        status=SignupStatus.CONFIRMED,
        notified=("event_confirmed",),
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def emergency(n: int) -> EmergencyRequest:
    return EmergencyRequest(
        request_no=f"E-{n:04d}",
        response_id=f"resp-x{n}",
        submitted_at=T0,
        last_submitted_at=T0,
        supporter_id="BN-0001",
        client_code="C-0001",
        cases=("A-000001",),
        requested_yen=5000,
        purposes=("交通費",),
        status="pending",
        reasons=(),
    )


def test_event_signups_round_trip_and_update_in_place(ledger: LedgerPort) -> None:
    ledger.save_event_signups([signup(1), signup(2), signup(3, event_id="course-2")])
    ledger.save_event_signups([signup(1, status=SignupStatus.CANCELLED)])
    stored = ledger.event_signups()
    assert list(stored) == ["course-1", "course-2"]
    assert list(stored["course-1"]) == ["resp-e1", "resp-e2"]
    assert stored["course-1"]["resp-e1"] == signup(1, status=SignupStatus.CANCELLED)
    assert stored["course-2"]["resp-e3"] == signup(3, event_id="course-2")


def test_a_purge_blanks_the_personal_data_of_mail_and_sign_ups(ledger: LedgerPort) -> None:
    ledger.enqueue([item(1), item(2)])
    ledger.mark_sending("<m1@bansou>")
    ledger.mark_sent("<m1@bansou>", T0)
    ledger.save_event_signups([signup(1), signup(2, name="", email="")])
    assert ledger.outbox_with_personal() == 2
    assert ledger.event_signups_with_personal(scrub=False) == ["course-1/resp-e1"]
    assert ledger.event_signups_with_personal(scrub=True) == ["course-1/resp-e1"]
    assert ledger.event_signups_with_personal(scrub=False) == []
    assert ledger.event_signups()["course-1"]["resp-e1"].number == 1  # the sign-up stays
    assert ledger.scrub_outbox() == 2
    assert ledger.outbox_with_personal() == 0
    by_id = {i.message_id: i for i in ledger.outbox_items()}
    assert (by_id["<m1@bansou>"].status, by_id["<m1@bansou>"].to) == ("sent", ())
    assert (by_id["<m2@bansou>"].status, by_id["<m2@bansou>"].error) == ("failed", "purged")
    assert by_id["<m2@bansou>"].context == {}


def test_tombstones_and_the_purge_record_are_kept(ledger: Ledger | MemoryLedger) -> None:
    # ``purges`` is no part of the port (the app only writes the record): both keep it
    ledger.add_tombstones(["registration|resp-r1", "application|resp-a1"], T0)
    ledger.add_tombstones(["registration|resp-r1"], T0 + timedelta(days=1))
    assert ledger.tombstones() == {"registration|resp-r1", "application|resp-a1"}
    ledger.record_purge(T0, "privacy", {"registration": 1}, {"registration": ["BN-0001"]})
    assert ledger.purges() == [
        {
            "run_at": ledger_codec.dump_datetime(T0),
            "scope": "privacy",
            "counts": {"registration": 1},
            "ids": {"registration": ["BN-0001"]},
        }
    ]


def test_emergency_requests_are_saved_when_they_change(ledger: LedgerPort) -> None:
    first = {"E-0002": emergency(2), "E-0001": emergency(1)}
    ledger.save_emergency_requests({}, first)
    assert list(ledger.emergency_requests()) == ["E-0001", "E-0002"]
    changed = dict(first, **{"E-0001": replace(emergency(1), granted_yen=3000)})
    ledger.save_emergency_requests(first, changed)
    assert ledger.emergency_requests()["E-0001"].granted_yen == 3000


def test_vacuum_is_refused_inside_a_transaction_and_keeps_the_data(ledger: LedgerPort) -> None:
    save(ledger, State(), full_state())
    with ledger.transaction(), pytest.raises(LedgerError, match="inside a transaction"):
        ledger.vacuum()
    ledger.vacuum()
    ledger.check_room(0)  # room enough for a cycle
    assert ledger.load_state() == full_state()
