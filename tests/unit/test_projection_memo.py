"""Issue 14: a cold process resumes the projector's memo an earlier process left for the
state it loaded, and then projects exactly what a full projection gives — cycle after
cycle, each in a new process; a memo of another state, policy or layout, a damaged or
foreign file is no memo (the projection is made whole)."""

from __future__ import annotations

import io
import pickle
import random
from pathlib import Path

from builders import Office, app, at, member
from test_incremental_cycle import commit, full_projection

from bansou_sync.adapters.kept_projection import KeptProjection, path_for
from bansou_sync.adapters.ledger import Ledger
from bansou_sync.app import projection_memo
from bansou_sync.app.projector import Projector
from bansou_sync.core.policy import Policy
from bansou_sync.core.state import State


def _label(ledger: Ledger) -> str:
    token = ledger.state_token
    assert token is not None
    return token.hex()


def _projected(projector: Projector, ledger: Ledger, state: State, policy: Policy) -> dict:
    tabs = projector.project(ledger, state, policy, ledger.state_generation)
    return {t.name: [list(r) for r in t.rows] for t in tabs}


def _office_with_history(policy: Policy, ledger: Ledger) -> Office:
    office = Office(policy=policy)
    office.registrations += [member(i) for i in range(1, 16)]
    office.applications += [
        app(f"2022-06-0{2 + i % 5} 10:{i % 60:02d}", f"BN-{1 + i % 15:04d}", "2022-06-01")
        for i in range(40)
    ]
    plan = office.cycle("2022-06-08 09:00")
    commit(ledger, office, plan.notices, "2022-06-08 09:00")
    return office


def _step(rng: random.Random, office: Office, day: int) -> None:
    """What staff and volunteers did since the last cycle: new applications, ticks,
    decisions (approve, send back, pay), a registration now and then."""
    for i in range(rng.randrange(0, 6)):
        supporter = f"BN-{rng.randrange(1, 16):04d}"
        when = f"2022-07-{day:02d} 1{i}:00"
        office.applications.append(app(when, supporter, f"2022-06-{rng.randrange(10, 28)}"))
    for supporter in rng.sample(range(1, 16), rng.randrange(0, 4)):
        office.tick(f"BN-{supporter:04d}", account=rng.random() < 0.7)
    numbers = sorted(office.state.applications)
    for app_no in rng.sample(numbers, min(len(numbers), rng.randrange(0, 6))):
        office.decide(app_no, rng.choice(["承認", "承認", "差戻し"]))
    for app_no in rng.sample(numbers, min(len(numbers), rng.randrange(0, 3))):
        office.paid[app_no] = True
    if rng.random() < 0.3:
        office.registrations.append(member(16 + day, ts=f"2022-07-{day:02d} 08:00"))


def test_a_cold_process_resuming_the_memo_projects_what_a_full_projection_gives(
    tmp_path: Path,
) -> None:
    policy = Policy()
    path = tmp_path / "ledger.sqlite3"
    keep = KeptProjection(path_for(path))
    with Ledger.open(path) as ledger:
        office = _office_with_history(policy, ledger)
    resumed = 0
    for seed in range(3):
        rng = random.Random(seed)
        for day in range(1 + seed * 9, 10 + seed * 9):
            with Ledger.open(path) as ledger:  # a new process, as cron starts one
                loaded = ledger.load_state()
                generation = ledger.state_generation
                assert generation is not None
                projector = Projector()
                data = keep.load(projection_memo.name_for(_label(ledger), policy))
                resumed += projection_memo.resume(projector, data, loaded, generation, policy)
                office.state = loaded
                _step(rng, office, day)
                now = f"2022-07-{day:02d} 21:00"
                plan = office.cycle(now)
                commit(ledger, office, plan.notices, now)
                if rng.random() < 0.5:  # some of the mail sent, the send times recorded
                    for item in ledger.pending()[: rng.randrange(0, 4)]:
                        ledger.mark_sent(item.message_id, at(now))
                state = ledger.load_state()
                assert _projected(projector, ledger, state, policy) == full_projection(
                    ledger, state, policy
                ), f"seed {seed}, day {day}"
                write = projection_memo.writer(projector)
                assert write is not None
                keep.save(projection_memo.name_for(_label(ledger), policy), write)
    assert resumed >= 26, "the memo was not resumed by the next process"


def _kept_memo(tmp_path: Path, policy: Policy) -> tuple[Path, bytes, str]:
    path = tmp_path / "ledger.sqlite3"
    with Ledger.open(path) as ledger:
        _office_with_history(policy, ledger)
        state = ledger.load_state()
        projector = Projector()
        _projected(projector, ledger, state, policy)
        write = projection_memo.writer(projector)
        assert write is not None
        buffer = io.BytesIO()
        write(buffer)
        data = buffer.getvalue()
        return path, data, _label(ledger)


def test_a_memo_of_another_state_policy_or_layout_or_a_damaged_file_is_not_resumed(
    tmp_path: Path,
) -> None:
    policy = Policy()
    path, data, label = _kept_memo(tmp_path, policy)
    keep = KeptProjection(path_for(path))
    name = projection_memo.name_for(label, policy)
    keep.save(name, lambda file: file.write(data))
    assert keep.load(name) == data

    def failing(file: object) -> None:
        raise pickle.PicklingError("a record that cannot be kept")

    keep.save(projection_memo.name_for("another-state", policy), failing)  # never raises
    assert keep.load(name) == data  # and what was kept stays
    assert keep.load(projection_memo.name_for("another-state", policy)) is None
    assert keep.load(projection_memo.name_for(label, Policy(min_cell=7))) is None
    whole = path_for(path).read_bytes()
    for damaged in (whole[:-1] + bytes([whole[-1] ^ 1]), whole[: len(whole) // 2], b""):
        path_for(path).write_bytes(damaged)
        assert keep.load(name) is None
    path_for(path).unlink()
    assert keep.load(name) is None

    with Ledger.open(path) as ledger:
        state = ledger.load_state()
        generation = ledger.state_generation
        assert generation is not None
        foreign = pickle.dumps(("a", print))  # names a global that is no part of a memo
        for bad in (b"not a pickle", foreign, pickle.dumps((1, 2, 3)), None):
            projector = Projector()
            assert not projection_memo.resume(projector, bad, state, generation, policy)
            assert not projector.primed
        # a memo of records this state does not have (a file that is not what its name
        # says): not resumed, and the projection is made whole
        other = State()
        projector = Projector()
        assert not projection_memo.resume(projector, data, other, generation, policy)
        projector = Projector()
        assert projection_memo.resume(projector, data, state, generation, policy)
        assert _projected(projector, ledger, state, policy) == full_projection(
            ledger, state, policy
        )


def test_the_ledgers_vacuum_after_a_purge_deletes_the_kept_memo(tmp_path: Path) -> None:
    path, data, label = _kept_memo(tmp_path, Policy())
    KeptProjection(path_for(path)).save(label, lambda file: file.write(data))
    assert path_for(path).exists()
    assert path_for(path).stat().st_mode & 0o077 == 0  # holds what the ledger holds
    with Ledger.open(path) as ledger:
        ledger.vacuum()
    assert not path_for(path).exists()
