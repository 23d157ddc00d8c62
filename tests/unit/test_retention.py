"""The purge plan (issue 6 §4) over a real cycle's state: what goes, what the accounts keep."""

from __future__ import annotations

from datetime import date

from builders import Office, app, member, members, ticked
from test_network import joined

from bansou_sync.core.model import AppStatus, Registration, SupporterDesk
from bansou_sync.core.retention import ACCOUNTING, PRIVACY, plan_purge, scope_on
from bansou_sync.core.state import State

PRIVACY_UNTIL, ACCOUNTS_UNTIL = date(2023, 8, 31), date(2030, 3, 31)


def office_with_one_payee() -> Office:
    """BN-0001 accepted (a payee), BN-0002 pending: both have names, emails, phones."""
    office = members(2)
    office.applications += [
        app("2022-06-02 10:00", "BN-0001", "2022-06-01", narrative="区役所で生活保護の申請に同行"),
        app(
            "2022-06-03 10:00",
            "BN-0002",
            "2022-06-02",
            initials="KM",
            birth_year="1980",
            nationality="ネパール",
        ),
    ]
    office.cycle("2022-06-03 12:00")
    office.decide("A-000001", "承認")
    office.desks["BN-0001"] = ticked()
    office.desks["BN-0002"] = SupporterDesk(
        contact_correction="new@example.com", note="電話で確認済み"
    )
    office.cycle("2022-06-04 12:00")
    assert office.a("A-000001").status == AppStatus.ACCEPTED
    return office


def supporter(state: State, supporter_id: str) -> Registration:
    return next(r for r in state.registrations.values() if r.supporter_id == supporter_id)


def test_nothing_is_due_on_or_before_the_privacy_retention_date() -> None:
    assert scope_on(PRIVACY_UNTIL, PRIVACY_UNTIL, ACCOUNTS_UNTIL) == ""
    assert scope_on(date(2023, 9, 1), PRIVACY_UNTIL, ACCOUNTS_UNTIL) == PRIVACY
    assert scope_on(date(2030, 4, 1), PRIVACY_UNTIL, ACCOUNTS_UNTIL) == ACCOUNTING
    plan = plan_purge(office_with_one_payee().state, PRIVACY_UNTIL, PRIVACY_UNTIL, ACCOUNTS_UNTIL)
    assert plan.scope == "" and plan.counts == {}


def test_a_privacy_purge_blanks_personal_data_but_keeps_ids_statuses_money_and_payee_names() -> (
    None
):
    office = office_with_one_payee()
    before = office.state
    plan = plan_purge(before, date(2023, 9, 1), PRIVACY_UNTIL, ACCOUNTS_UNTIL)
    after = plan.state
    payee, other = supporter(after, "BN-0001"), supporter(after, "BN-0002")
    assert payee.name == "伴走 1号"
    assert other.name == ""
    for reg in after.registrations.values():
        assert (reg.email, reg.phone_digits, reg.address, reg.kana) == (None, "", "", "")
    for a in after.applications.values():
        assert (a.name, a.email, a.memo, a.narrative) == ("", None, "", "")
    kept = [(a.app_no, a.status, a.honorarium, a.client_code) for a in after.applications.values()]
    assert kept == [
        (a.app_no, a.status, a.honorarium, a.client_code) for a in before.applications.values()
    ]
    assert after.counters == before.counters  # no ID or 申請番号 is ever issued again
    assert sorted(after.clients.values()) == ["C-0001", "C-0002"]
    assert all(k.startswith("purged:") for k in after.clients)  # the keyed hashes are gone
    assert after.desks["BN-0002"].contact_correction is None and after.desks["BN-0002"].note == ""
    assert not any(k.startswith(("registration|", "application|")) for k in after.seen)
    assert sorted(plan.tombstones) == sorted(before.seen)
    assert plan.counts["accounts_name"] == 1 and plan.ids["accounts_name"] == ["BN-0001"]
    assert plan.counts["application"] == 2 and plan.counts["client_hash"] == 2


def test_after_the_accounting_date_the_payee_names_go_too_and_a_second_purge_finds_nothing() -> (
    None
):
    office = office_with_one_payee()
    first = plan_purge(office.state, date(2023, 9, 1), PRIVACY_UNTIL, ACCOUNTS_UNTIL)
    again = plan_purge(first.state, date(2023, 9, 2), PRIVACY_UNTIL, ACCOUNTS_UNTIL)
    assert again.scope == PRIVACY
    assert again.counts == {"accounts_name": 1}  # still kept, nothing more removed
    later = plan_purge(first.state, date(2030, 4, 1), PRIVACY_UNTIL, ACCOUNTS_UNTIL)
    assert later.ids == {"registration": ["BN-0001"], "accounts_name_removed": ["BN-0001"]}
    assert all(not r.name for r in later.state.registrations.values())


def test_after_a_purge_the_cycle_keeps_running_and_new_people_get_new_numbers() -> None:
    office = office_with_one_payee()
    plan = plan_purge(office.state, date(2023, 9, 1), PRIVACY_UNTIL, ACCOUNTS_UNTIL)
    office.state = plan.state
    dead = set(plan.tombstones)
    # the shell drops tombstoned responses (app.retention.drop_purged) before planning
    office.registrations = [
        r for r in office.registrations if f"registration|{r.response_id}" not in dead
    ]
    office.applications = [
        r for r in office.applications if f"application|{r.response_id}" not in dead
    ]
    quiet = office.cycle("2023-09-02 12:00")
    assert quiet.new_registrations == 0 and quiet.new_applications == 0
    assert [n.kind for n in quiet.notices if n.kind != "staff_digest"] == []
    office.desks["BN-0002"] = SupporterDesk()  # the purge blanked the staff cells too
    office.registrations.append(member(3, ts="2023-09-03 10:00"))
    office.applications.append(
        app("2023-09-03 11:00", "BN-0001", "2022-06-01", client_code="C-0001")
    )
    plan2 = office.cycle("2023-09-03 12:00")
    assert office.supporter_of(office.registrations[-1].response_id) == "BN-0003"
    new_app = office.state.applications["A-000003"]
    assert new_app.client_code == "C-0001"  # the code stays known without its hash
    assert "unknown_client" not in [r.code for r in new_app.reasons]
    assert plan2.new_applications == 1


def test_a_purge_reduces_typed_answers_to_the_labels_the_stats_count() -> None:
    # issue 10 §2: an address typed as 活動地域, a client's name in 「その他」
    office = Office()
    office.registrations.append(member(1, prefecture="東京都新宿区西新宿2-8-1"))
    office.cycle("2022-05-20 10:00")
    office.applications.append(
        app(
            "2022-06-02 10:00",
            "BN-0001",
            "2022-06-01",
            topics=("住まい", "山田花子さんの件"),
            destinations=("山田法律事務所",),
        )
    )
    office.cycle("2022-06-03 12:00")
    after = plan_purge(office.state, date(2023, 9, 1), PRIVACY_UNTIL, ACCOUNTS_UNTIL).state
    assert supporter(after, "BN-0001").prefecture == "東京都"
    (purged,) = after.applications.values()
    assert (purged.prefecture, purged.topics, purged.destinations, purged.outcomes) == (
        "東京都",
        ("住まい", "その他"),
        ("その他",),
        (),
    )


def test_a_purge_keeps_the_languages_and_course_wish_as_labels_so_the_network_counts_hold() -> None:
    # issue 15 §2: the 伴走ネット sections count languages after a purge as before it
    office = Office()
    office.registrations.append(
        joined(member(1), languages=("英語", "ウルドゥー語(山田)"), wants_course="はい")
    )
    office.registrations.append(member(2))
    office.cycle("2022-05-20 10:00")
    after = plan_purge(office.state, date(2023, 9, 1), PRIVACY_UNTIL, ACCOUNTS_UNTIL).state
    first, second = supporter(after, "BN-0001"), supporter(after, "BN-0002")
    assert (first.languages, first.wants_course) == (("英語", "その他"), "はい")
    assert (second.languages, second.wants_course) == ((), "")
    again = plan_purge(after, date(2023, 9, 1), PRIVACY_UNTIL, ACCOUNTS_UNTIL).state
    assert supporter(again, "BN-0001") == first  # labels are a fixed point
