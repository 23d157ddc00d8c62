"""The SQLite ledger's state snapshot (issue 14): a new process reads the decoded state
from the file beside the ledger instead of decoding every record — and what it reads is
always exactly what a full decode gives, whatever happened to the ledger in between:
writes by another process, a transaction that failed half-way, a dry run, a restored
backup, a rebuilt ledger, a migration from an older schema, a damaged snapshot."""

from __future__ import annotations

import hashlib
import pickle
import random
import shutil
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from contract.test_ledger import T0, application, full_state, registration

from bansou_sync.adapters.ledger import MIGRATIONS, Ledger, snapshot, state_store
from bansou_sync.adapters.ledger.state_store import StateStore
from bansou_sync.core.model import AppStatus, Reason, SupporterDesk
from bansou_sync.core.state import BatchMark, State


def decoded(path: Path, tmp: Path) -> State:
    """The state a full decode gives: a consistent copy of the ledger, in a folder with
    no snapshot, loaded."""
    copy = tmp / "decoded" / f"copy-{random.random()}.sqlite3"
    with Ledger.open(path) as ledger:
        ledger.backup_to(copy)
    with Ledger.open(copy) as ledger:
        assert not ledger.snapshot_path.exists()
        return ledger.load_state()


def save(ledger: Ledger, new: State) -> None:
    old = ledger.load_state()  # as a cycle does: loaded first, then one transaction
    with ledger.transaction():
        ledger.save_state(old, new)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "out" / "ledger.sqlite3"


def _refuse(self: StateStore) -> State:
    raise AssertionError("the state was decoded record by record")


def test_a_closed_ledger_leaves_a_private_snapshot_that_the_next_process_reads(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    kept = snapshot.path_for(path)
    assert kept.exists() and kept.stat().st_mode & 0o777 == 0o600

    with monkeypatch.context() as patched:
        patched.setattr(StateStore, "_decode_state", _refuse)
        with Ledger.open(path) as ledger:
            assert ledger.load_state() == full_state()
        with Ledger.open_readonly(path) as ledger:  # status, the reports
            assert ledger.load_state() == full_state()


def test_a_snapshot_of_another_content_is_not_used(path: Path, tmp_path: Path) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    with Ledger.open(path) as other:  # another process writes after the snapshot
        other._resident = None  # it decodes, so it keeps no snapshot of its own
        changed = full_state()
        changed.flags["budget_warned"] = "2022-07-31"
        with other.transaction():
            other.save_state(full_state(), changed)
        other._resident = None
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == changed == decoded(path, tmp_path)


def test_a_failed_transaction_and_a_dry_run_leave_the_snapshot_usable(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    changed = full_state()
    changed.counters["seq"] = 999
    with Ledger.open(path) as ledger:
        with pytest.raises(RuntimeError), ledger.transaction():
            ledger.save_state(full_state(), changed)
            raise RuntimeError("crash in the middle of the cycle")
        with ledger.transaction(commit=False):
            ledger.save_state(full_state(), changed)

    monkeypatch.setattr(StateStore, "_decode_state", _refuse)
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == full_state()


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-7],  # torn
        lambda b: b[:-3] + bytes(3),  # zeroed tail
        lambda b: b"not a snapshot",
        lambda b: b"",
    ],
)
def test_a_damaged_snapshot_is_ignored(path: Path, tmp_path: Path, damage: object) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    kept = snapshot.path_for(path)
    kept.write_bytes(damage(kept.read_bytes()))  # type: ignore[operator]
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == full_state() == decoded(path, tmp_path)


def test_a_snapshot_refers_to_nothing_beyond_the_state_types(path: Path) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    kept = snapshot.path_for(path)
    head = kept.read_bytes()[: len(snapshot.MAGIC) + 32 + 16]
    token = head[len(snapshot.MAGIC) + 32 :]
    evil = pickle.dumps(shutil.rmtree)  # a global outside the allowed types
    digest = hashlib.blake2b(evil, digest_size=32).digest()
    kept.write_bytes(head + digest + evil)
    assert snapshot.read(kept, token) is None


def test_a_restored_backup_reads_exactly_its_own_content(path: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backups" / "ledger-1.sqlite3"
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
        ledger.load_state()
    with Ledger.open(path) as ledger:
        ledger.backup_to(backup)  # the snapshot beside the ledger is of this content
        changed = full_state()
        del changed.registrations["resp-r2"]
        save(ledger, changed)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, path)
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == full_state() == decoded(path, tmp_path)


def test_a_rebuilt_ledger_does_not_take_the_old_snapshot(path: Path, tmp_path: Path) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == State()
        fresh = State(counters={"supporter": 1})
        save(ledger, fresh)
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == fresh == decoded(path, tmp_path)


def test_a_ledger_migrated_from_schema_4_is_decoded_then_kept(path: Path, tmp_path: Path) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    raw = sqlite3.connect(path)
    triggers = raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for (name,) in triggers:
        raw.execute(f"DROP TRIGGER {name}")
    raw.execute("DROP TABLE state_token")
    raw.execute("PRAGMA user_version = 4")
    changed = full_state()
    raw.execute("DELETE FROM flags")  # written by a version without the token
    changed.flags.clear()
    raw.commit()
    raw.close()
    assert len(MIGRATIONS) == 6
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == changed == decoded(path, tmp_path)
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == changed


def test_a_purge_vacuum_removes_the_snapshot_until_the_ledger_closes(path: Path) -> None:
    before = full_state()
    before.registrations["resp-r1"] = registration(1, name="消える 名前")
    with Ledger.open(path) as ledger:
        save(ledger, before)
    assert "消える".encode() in snapshot.path_for(path).read_bytes()
    with Ledger.open(path) as ledger:
        purged = before.copy()
        del purged.registrations["resp-r1"]
        save(ledger, purged)
        ledger.vacuum()
        assert not snapshot.path_for(path).exists()
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == purged
    assert "消える".encode() not in snapshot.path_for(path).read_bytes()


def _mutate(rng: random.Random, state: State, n: int) -> State:
    new = state.copy()
    for _ in range(rng.randint(1, 6)):
        k = rng.randint(1, 12)
        what = rng.randrange(7)
        if what == 0:
            new.registrations[f"resp-r{k}"] = registration(k, name=f"名前{n}", seq=k)
        elif what == 1:
            new.applications[f"A-{k:06d}"] = application(
                k,
                status=rng.choice(list(AppStatus)),
                minutes=rng.choice([None, 60, 179, 180]),
                reasons=(Reason("late_submission", f"2022-06-{rng.randint(10, 28)}"),),
                support_date=rng.choice([None, date(2022, 6, rng.randint(1, 28))]),
                notice_sent_at=rng.choice([None, T0 + timedelta(days=n)]),
            )
        elif what == 2:
            new.applications.pop(f"A-{k:06d}", None)
            new.registrations.pop(f"resp-r{k}", None)
        elif what == 3:
            new.desks[f"BN-{k:04d}"] = SupporterDesk(memo_received=rng.random() < 0.5, note=f"{n}")
        elif what == 4:
            new.batches[f"2022-06-20|BN-{k:04d}"] = BatchMark(paid=True, paid_on=f"{n}")
        elif what == 5:
            new.seen[f"application|resp-a{k}"] = f"2022-06-{k:02d}T10:00:00+09:00 d{n}"
        else:
            new.counters["seq"] = n
            new.clients[f"hmac-{k}"] = f"C-{k:04d}"
    return new


@pytest.mark.parametrize("seed", range(6))
def test_randomised_processes_always_load_what_a_full_decode_gives(
    path: Path, tmp_path: Path, seed: int
) -> None:
    """Processes that open, write, fail, crash before closing, and close in any order,
    with backups restored and ledgers rebuilt now and then: after every step, a new
    process loads exactly the full decode."""
    rng = random.Random(seed)
    open_ledgers: list[Ledger] = []
    backups: list[Path] = []
    for n in range(40):
        step = rng.randrange(10)
        if step <= 3 or not open_ledgers:  # a process writes
            if not open_ledgers or rng.random() < 0.4:
                open_ledgers.append(Ledger.open(path))
            ledger = rng.choice(open_ledgers)
            before = ledger.load_state()
            after = _mutate(rng, before, n)
            if rng.random() < 0.2:  # the cycle fails after writing
                with pytest.raises(RuntimeError), ledger.transaction():
                    ledger.save_state(before, after)
                    raise RuntimeError("crash")
            else:
                with ledger.transaction(commit=rng.random() < 0.9):
                    ledger.save_state(before, after)
        elif step == 4:  # a process ends: closes (keeps its snapshot) or dies
            ledger = open_ledgers.pop(rng.randrange(len(open_ledgers)))
            if rng.random() < 0.3:
                ledger._resident = None  # killed: nothing kept at close
            ledger.close()
        elif step == 5:
            backup = tmp_path / "backups" / f"ledger-{n}.sqlite3"
            with Ledger.open(path) as ledger:
                ledger.backup_to(backup)
            backups.append(backup)
        elif step == 6 and backups:  # every process stops, a backup is restored
            for ledger in open_ledgers:
                ledger.close()
            open_ledgers.clear()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.copy(rng.choice(backups), path)
        elif step == 7:  # a process that only reads
            with Ledger.open(path) as ledger:
                ledger.load_state()
        elif step == 8 and rng.random() < 0.3:  # the ledger is lost and rebuilt
            for ledger in open_ledgers:
                ledger.close()
            open_ledgers.clear()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            with Ledger.open(path) as ledger:
                save(ledger, _mutate(rng, State(), n))
        with Ledger.open(path) as fresh:
            loaded = fresh.load_state()
            fresh._resident = None  # this check keeps nothing
        assert loaded == decoded(path, tmp_path), f"seed {seed}, step {n}"
        for ledger in open_ledgers:  # and every process sees the ledger's content
            assert ledger.load_state() == loaded
    for ledger in open_ledgers:
        ledger.close()


def test_an_unchanged_state_is_not_written_again(path: Path) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    kept = snapshot.path_for(path)
    stamp = kept.stat().st_mtime_ns
    with Ledger.open(path) as ledger:
        ledger.load_state()
    assert kept.stat().st_mtime_ns == stamp
    with Ledger.open(path) as ledger:
        save(ledger, replace(full_state(), flags={"x": "y"}))
    assert kept.stat().st_mtime_ns != stamp


def _in_order(state: State) -> list[list[str]]:
    return [list(getattr(state, f)) for f in ("registrations", "applications", "seen", "flags")]


def test_a_few_changed_records_are_kept_as_a_delta_that_the_next_process_reads_in_order(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_store, "DELTA_SHARE", 0)  # a delta whatever its size
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    kept, delta = snapshot.path_for(path), snapshot.delta_path(snapshot.path_for(path))
    whole = kept.read_bytes()
    assert not delta.exists()
    changed = full_state()
    changed.applications["A-000001"] = application(1, status=AppStatus.ACCEPTED)
    changed.applications["A-000099"] = application(99)
    del changed.registrations["resp-r2"]
    changed.flags["budget_warned"] = "2022-07-31"
    for step in range(3):  # three processes, each changing a little more
        with Ledger.open(path) as ledger:
            changed = replace(changed, counters={**changed.counters, "seq": 100 + step})
            save(ledger, changed)
        assert kept.read_bytes() == whole, "the whole snapshot was written again"
        assert delta.exists() and delta.stat().st_mode & 0o777 == 0o600
        with monkeypatch.context() as patched:
            patched.setattr(StateStore, "_decode_state", _refuse)
            with Ledger.open(path) as ledger:
                loaded = ledger.load_state()
        assert loaded == changed == decoded(path, tmp_path)
        assert _in_order(loaded) == _in_order(decoded(path, tmp_path))

    # the delta of a snapshot that is not the one beside it is not used
    other = tmp_path / "other" / "ledger.sqlite3"
    with Ledger.open(other) as ledger:
        save(ledger, replace(full_state(), flags={"x": "y"}))
    shutil.copy(snapshot.path_for(other), kept)
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == changed == decoded(path, tmp_path)


@pytest.mark.parametrize(
    "damage",
    [lambda b: b[:-5], lambda b: b[:-3] + bytes(3), lambda b: b"", lambda b: b[:40]],
)
def test_a_damaged_delta_is_ignored(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: object
) -> None:
    monkeypatch.setattr(state_store, "DELTA_SHARE", 0)
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    with Ledger.open(path) as ledger:
        save(ledger, replace(full_state(), flags={"x": "y"}))
    delta = snapshot.delta_path(snapshot.path_for(path))
    delta.write_bytes(damage(delta.read_bytes()))  # type: ignore[operator]
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == replace(full_state(), flags={"x": "y"})
        assert ledger.load_state() == decoded(path, tmp_path)


def test_a_delta_past_its_share_of_the_records_is_folded_into_a_whole_snapshot(
    path: Path,
) -> None:
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    delta = snapshot.delta_path(snapshot.path_for(path))
    with Ledger.open(path) as ledger:  # a few records: a delta
        ledger.load_state()
        many = full_state()
        many.applications.update({f"A-{k:06d}": application(k) for k in range(100, 400)})
        save(ledger, many)
    assert not delta.exists()  # 300 of 300-odd records changed: written whole
    with Ledger.open(path) as ledger:
        save(ledger, replace(many, flags={"x": "y"}))
    assert delta.exists()  # one of 300-odd
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == replace(many, flags={"x": "y"})
        ledger.vacuum()  # after a purge: neither file holds what was deleted
        assert not delta.exists() and not snapshot.path_for(path).exists()
    assert not delta.exists()  # kept whole again at close


@pytest.mark.parametrize("seed", range(4))
def test_randomised_processes_with_deltas_load_what_a_full_decode_gives_in_its_order(
    path: Path, tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above, every snapshot after the first kept as a delta (records removed and
    added again fold it into a whole one): a new process loads the full decode, in the
    decode's order."""
    monkeypatch.setattr(state_store, "DELTA_SHARE", 0)
    rng = random.Random(100 + seed)
    open_ledgers: list[Ledger] = []
    for n in range(40):
        if not open_ledgers or rng.random() < 0.5:
            open_ledgers.append(Ledger.open(path))
        ledger = rng.choice(open_ledgers)
        before = ledger.load_state()
        with ledger.transaction(commit=rng.random() < 0.9):
            ledger.save_state(before, _mutate(rng, before, n))
        if rng.random() < 0.5:  # a process ends: closes (keeps its snapshot) or dies
            ending = open_ledgers.pop(rng.randrange(len(open_ledgers)))
            if rng.random() < 0.2:
                ending._resident = None
            ending.close()
        with Ledger.open(path) as fresh:
            loaded = fresh.load_state()
            fresh._resident = None
        full = decoded(path, tmp_path)
        assert loaded == full, f"seed {seed}, step {n}"
        assert _in_order(loaded) == _in_order(full), f"seed {seed}, step {n}"
    for ledger in open_ledgers:
        ledger.close()


def test_a_record_removed_and_added_again_is_loaded_in_the_decodes_order(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_store, "DELTA_SHARE", 0)
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    with Ledger.open(path) as ledger:  # in two cycles of one process, then in two
        without = full_state()
        del without.applications["A-000001"]
        save(ledger, without)
        save(ledger, full_state())
    with Ledger.open(path) as ledger:
        save(ledger, without)
    with Ledger.open(path) as ledger:
        save(ledger, full_state())
    for _ in range(2):
        with Ledger.open(path) as ledger:
            loaded = ledger.load_state()
        assert loaded == decoded(path, tmp_path)
        assert list(loaded.applications) == ["A-000002", "A-000001"]
        assert list(decoded(path, tmp_path).applications) == ["A-000002", "A-000001"]


def test_a_snapshot_pickled_a_few_records_at_a_time_loads_the_same_state_in_order(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "_CHUNK", 2)  # every table in several pickles
    many = full_state()
    many.applications.update({f"A-{k:06d}": application(k) for k in range(9, 2, -1)})
    with Ledger.open(path) as ledger:
        save(ledger, many)
    with monkeypatch.context() as patched:
        patched.setattr(StateStore, "_decode_state", _refuse)
        with Ledger.open(path) as ledger:
            loaded = ledger.load_state()
    assert loaded == many == decoded(path, tmp_path)
    assert _in_order(loaded) == _in_order(many)
    kept = snapshot.path_for(path)
    kept.write_bytes(kept.read_bytes() + pickle.dumps(None))  # more than the tables
    with Ledger.open(path) as ledger:
        assert ledger.load_state() == many
