"""Issue 5: what a service keeps in memory between cycles gives exactly what a cold start
gives — the state the ledger holds and the sheet rows of the full projection — whatever
changed in between, in this process or in another one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

from builders import Office, app, at, member

from bansou_sync.adapters.ledger import Ledger
from bansou_sync.adapters.outbox_dir import OutboxDir
from bansou_sync.app.outbox import to_items
from bansou_sync.app.projector import Projector
from bansou_sync.app.render import Renderer, default_templates_dir
from bansou_sync.app.tabs import project
from bansou_sync.core.model import AppStatus
from bansou_sync.core.policy import Policy
from bansou_sync.core.state import State

DOMAIN = "bansou.example.org"


def make_message(app_no: str, now: datetime | None = None) -> EmailMessage:
    renderer = Renderer(default_templates_dir(), sender="jimukyoku@example.org")
    when = now or at("2022-07-01 09:30")
    return renderer.build_message(
        kind="application_accepted",
        ref=app_no,
        to=["hanako@example.com"],
        event_key=f"{app_no}|r1",
        context={
            "name": "山田 花子",
            "app_no": app_no,
            "amount": 6000,
            "amount_text": "6,000円",
            "cutoff": "2022-07-20",
            "pay_date": "2022-08-10",
        },
        sent_on=when.date().isoformat(),
        now=when,
    )


def full_projection(ledger: Ledger, state: State, policy: Policy) -> dict[str, list[list[object]]]:
    # no projector given: ``project`` takes its full, from-scratch path
    services = SimpleNamespace(ledger=ledger, policy=policy, emergency=False)
    return {t.name: [list(r) for r in t.rows] for t in project(services, state)}  # type: ignore[arg-type]


def kept_projection(
    projector: Projector, ledger: Ledger, state: State, policy: Policy
) -> dict[str, list[list[object]]]:
    return {t.name: [list(r) for r in t.rows] for t in projector.project(ledger, state, policy)}


def kept_equals_full(projector: Projector, ledger: Ledger, policy: Policy) -> Callable[[], None]:
    """A check that the projector's kept rows equal the full projection of the ledger."""

    def check() -> None:
        state = ledger.load_state()
        assert kept_projection(projector, ledger, state, policy) == full_projection(
            ledger, state, policy
        )

    return check


def commit(ledger: Ledger, office: Office, notices: list[object], when: str) -> None:
    with ledger.transaction():
        ledger.save_state(ledger.load_state(), office.state)
        ledger.enqueue(to_items(notices, DOMAIN, at(when)))  # type: ignore[arg-type]


def test_the_kept_projection_equals_the_full_one_cycle_after_cycle(tmp_path: Path) -> None:
    policy = Policy()
    office = Office(policy=policy)
    office.registrations += [member(i) for i in range(1, 13)]
    ledger = Ledger.open(tmp_path / "ledger.sqlite3")
    projector = Projector()
    check = kept_equals_full(projector, ledger, policy)

    plan = office.cycle("2022-06-01 09:00")
    commit(ledger, office, plan.notices, "2022-06-01 09:00")
    check()
    for i in range(1, 13):
        office.tick(f"BN-{i:04d}")
    office.applications += [
        app(f"2022-06-0{2 + i % 3} 10:0{i % 10}", f"BN-{1 + i % 12:04d}", "2022-06-01")
        for i in range(30)
    ]
    office.applications.append(app("2022-06-04 11:00", "BN-0003", "2022-13-40"))  # deficient
    plan = office.cycle("2022-06-05 09:00")
    commit(ledger, office, plan.notices, "2022-06-05 09:00")
    check()

    # mail sent in two cycles, with ties in the sent time
    pending = ledger.pending()
    for item in pending[: len(pending) // 2]:
        ledger.mark_sent(item.message_id, at("2022-06-05 09:01"))
    check()
    for item in ledger.pending()[:3]:
        ledger.mark_failed(item.message_id, "temporary", permanent=False)
    for item in ledger.pending():
        ledger.mark_sent(item.message_id, at("2022-06-05 09:02"))
    office.deliver("2022-06-05 09:02")
    check()

    # staff decide; a replaced application changes supporters' counts and payments
    for app_no in sorted(office.state.applications)[:8]:
        office.decide(app_no, "承認")
    plan = office.cycle("2022-06-06 09:00")
    commit(ledger, office, plan.notices, "2022-06-06 09:00")
    check()

    # a dry run queues and rolls back: the rows it showed disappear again
    dry = Office(policy=policy, state=office.state)
    dry.applications = [app("2022-06-06 10:00", "BN-0001", "2022-06-02")]
    dry_plan = dry.cycle("2022-06-06 10:30")
    with ledger.transaction(commit=False):
        ledger.save_state(ledger.load_state(), dry_plan.state)
        ledger.enqueue(to_items(dry_plan.notices, DOMAIN, at("2022-06-06 10:30")))
        projector.project(ledger, ledger.load_state(), policy)
    check()

    # another process changes the ledger: everything is read again
    with Ledger.open(ledger.path) as other:
        for item in other.pending():
            other.mark_sent(item.message_id, at("2022-06-06 11:00"))
        state = other.load_state()
        first = next(iter(state.applications.values()))
        changed = state.copy()
        changed.applications[first.app_no] = replace(first, memo="別のプロセスから")
        with other.transaction():
            other.save_state(state, changed)
    check()
    assert ledger.load_state().applications[first.app_no].memo == "別のプロセスから"
    ledger.close()


def test_the_kept_state_follows_commits_and_ignores_rolled_back_saves(tmp_path: Path) -> None:
    office = Office()
    office.registrations += [member(i) for i in range(1, 4)]
    office.cycle("2022-06-01 09:00")
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        empty = ledger.load_state()
        with ledger.transaction():
            ledger.save_state(empty, office.state)
        assert ledger.load_state() == office.state

        shrunk = office.state.copy()
        shrunk.registrations.pop(next(iter(shrunk.registrations)))
        shrunk.flags["試験"] = "1"
        with ledger.transaction(commit=False):  # a dry run
            ledger.save_state(office.state, shrunk)
        assert ledger.load_state() == office.state

        with ledger.transaction():
            ledger.save_state(office.state, shrunk)
        assert ledger.load_state() == shrunk
        with Ledger.open(ledger.path) as cold:  # what a fresh process reads
            assert cold.load_state() == shrunk


def test_a_caller_changing_a_loaded_state_does_not_change_the_next_load(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        state = ledger.load_state()
        state.flags["試験"] = "1"
        assert "試験" not in ledger.load_state().flags


def test_the_outbox_folder_is_listed_once_and_stays_idempotent_across_instances(
    tmp_path: Path,
) -> None:
    first = OutboxDir(tmp_path)
    first.send(make_message("A-000001"))
    first.send(make_message("A-000002"))
    second = OutboxDir(tmp_path)  # a restarted service
    second.send(make_message("A-000002"))  # already there: nothing new
    second.send(make_message("A-000003", now=at("2022-07-01 09:31")))
    names = sorted(p.name for p in tmp_path.glob("*.eml"))
    assert len(names) == 3
    assert [n.split("-")[2] for n in names] == ["000001", "000002", "000003"]
    assert second.delivered(str(make_message("A-000001")["Message-ID"])) is True
    assert OutboxDir(tmp_path / "never-written").delivered("<x@example.org>") is False


def test_an_outbox_rewritten_outside_the_queue_is_read_again_whole(tmp_path: Path) -> None:
    policy = Policy()
    office = Office(policy=policy)
    office.registrations += [member(i) for i in range(1, 4)]
    plan = office.cycle("2022-06-01 09:00")
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        commit(ledger, office, plan.notices, "2022-06-01 09:00")
        projector = Projector()
        projector.project(ledger, ledger.load_state(), policy)
        with ledger.writing("scrub") as conn:  # as a purge does
            conn.execute("UPDATE outbox SET recipients = '[]'")
        ledger.outbox_rewritten()
        state = ledger.load_state()
        kept = kept_projection(projector, ledger, state, policy)
        assert kept == full_projection(ledger, state, policy)
        assert all(row[2] == "" for row in kept["メール"])


def test_the_kept_stats_tab_follows_typed_labels_across_the_small_cell_threshold(
    tmp_path: Path,
) -> None:
    # the 統計 tab is counted change by change (stats.Tally): a typed nationality counts
    # under その他, shown once five people give it and hidden again below, never by its
    # own name; and a resubmitted application leaves the counts
    policy = Policy()
    office = Office(policy=policy)
    office.registrations += [member(i) for i in range(1, 7)]
    office.applications += [
        app(
            f"2022-06-02 10:{i:02d}",
            f"BN-{1 + i % 6:04d}",
            "2022-06-01",
            initials=f"C{i}",
            birth_year="1990",
            nationality="ベトナム",
        )
        for i in range(24)
    ]
    office.cycle("2022-06-05 09:00")
    ledger = Ledger.open(tmp_path / "ledger.sqlite3")
    projector = Projector()
    saved = ledger.load_state()

    def save_and_check(state: State) -> None:
        nonlocal saved
        with ledger.transaction():
            ledger.save_state(saved, state)
        saved = ledger.load_state()
        assert kept_projection(projector, ledger, saved, policy) == full_projection(
            ledger, saved, policy
        )

    save_and_check(office.state)
    numbers = sorted(saved.applications)
    for count in (1, 4, 5, 7, 3):  # "トンガ" typed by 1, 4, 5 (now shown), 7, 3
        state = saved.copy()
        for i, no in enumerate(numbers[:8]):
            nationality = "トンガ" if i < count else "ベトナム"
            topics = ("医療", "占い") if i < count else ("医療",)
            state.applications[no] = replace(
                state.applications[no], nationality=nationality, topics=topics
            )
        save_and_check(state)
        tab = kept_projection(projector, ledger, saved, policy)["統計"]
        assert (["国籍", "その他", count] in tab) == (count >= 5)  # else <5
        assert not any("トンガ" in str(cell) or "占い" in str(cell) for row in tab for cell in row)
    state = saved.copy()
    state.applications[numbers[0]] = replace(
        state.applications[numbers[0]], status=AppStatus.RESUBMITTED
    )
    del state.applications[numbers[1]]
    save_and_check(state)
    ledger.close()


def test_a_few_messages_sent_among_many_keep_the_newest_first_order(tmp_path: Path) -> None:
    """The kept メール order is moved by bisection when few messages change (issue 5)."""
    policy = Policy()
    office = Office(policy=policy)
    office.registrations += [member(i) for i in range(1, 40)]
    ledger = Ledger.open(tmp_path / "ledger.sqlite3")
    check = kept_equals_full(Projector(), ledger, policy)

    plan = office.cycle("2022-06-01 09:00")
    commit(ledger, office, plan.notices, "2022-06-01 09:00")
    check()
    pending = ledger.pending()
    assert len(pending) > 30
    for minute, item in enumerate(pending[5:8], start=1):  # a few, among many
        ledger.mark_sent(item.message_id, at(f"2022-06-01 09:0{minute}"))
        check()
    ledger.mark_failed(pending[0].message_id, "temporary", permanent=False)
    check()
    for i in range(40, 43):  # new registrations: new rows on top, the rest in place
        office.registrations.append(member(i))
    plan = office.cycle("2022-06-02 09:00")
    commit(ledger, office, plan.notices, "2022-06-02 09:00")
    check()
    ledger.close()


def test_the_kept_network_sections_follow_registrations_and_accepted_applications(
    tmp_path: Path,
) -> None:
    """Issue 15 §2: the 伴走ネット's counts change with registrations alone (a new
    volunteer, an edited 活動地域) and with acceptances, and stay the full projection's."""
    policy = Policy()
    office = Office(policy=policy)
    office.registrations += [member(i, prefecture="静岡県") for i in range(1, 7)]
    office.cycle("2022-06-01 09:00")
    ledger = Ledger.open(tmp_path / "ledger.sqlite3")
    projector = Projector()
    saved = ledger.load_state()

    def save_and_check(state: State) -> list[list[object]]:
        nonlocal saved
        with ledger.transaction():
            ledger.save_state(saved, state)
        saved = ledger.load_state()
        kept = kept_projection(projector, ledger, saved, policy)
        assert kept == full_projection(ledger, saved, policy)
        return kept["統計"]

    tab = save_and_check(office.state)
    assert ["伴走ネット 活動地域(人数)", "静岡県", 6] in tab
    office.registrations.append(member(7, prefecture="静岡県"))  # a registration only
    office.cycle("2022-06-02 09:00")
    assert ["伴走ネット 活動地域(人数)", "静岡県", 7] in save_and_check(office.state)
    state = saved.copy()
    first = next(r for r in state.registrations.values() if r.supporter_id == "BN-0001")
    state.registrations[first.response_id] = replace(first, prefecture="北海道")
    tab = save_and_check(state)  # 1 and 6 of 7: the 6 is hidden too, or 7 − 6 tells the 1
    assert ["伴走ネット 活動地域(人数)", "北海道", "<5"] in tab
    assert ["伴走ネット 活動地域(人数)", "静岡県", "秘匿"] in tab
    office.state = saved.copy()
    office.applications += [
        app(f"2022-06-03 10:0{i}", f"BN-{i:04d}", "2022-06-02", initials=f"K{i}")
        for i in range(1, 7)
    ]
    office.cycle("2022-06-04 09:00")
    save_and_check(office.state)
    for app_no in sorted(office.state.applications):
        office.decide(app_no, "承認")
    office.cycle("2022-06-05 09:00")
    tab = save_and_check(office.state)
    assert ["伴走ネット 合計(人数)", "活動した伴走者(受付完了の申請あり)", 6] in tab
    ledger.close()
