"""伴走ネット登録: IDs, P7 duplicates, needs_review and 重複解除 (SPEC §2 P7, §4, §6)."""

from __future__ import annotations

from datetime import datetime

from builders import Office, kinds, member, reg

from bansou_sync.core.model import RegistrationStatus, SupporterDesk
from bansou_sync.core.policy import Policy
from bansou_sync.core.projection import supporter_rows
from bansou_sync.core.tabs import SUPPORTERS


def test_registrations_get_ids_in_submission_order_and_a_confirmation() -> None:
    office = Office()
    office.registrations += [
        reg("2022-05-20 11:00", "佐藤 花子", "hanako@example.com", response_id="second"),
        reg("2022-05-20 10:00", "鈴木 太郎", "taro@example.com", response_id="first"),
    ]
    plan = office.cycle("2022-05-20 12:00")
    assert office.supporter_of("first") == "BN-0001"
    assert office.supporter_of("second") == "BN-0002"
    assert kinds(plan.notices)[:2] == ["registration_confirmed"] * 2
    assert plan.notices[0].to == ("taro@example.com",)
    assert plan.notices[0].ref == "BN-0001"
    assert plan.new_registrations == 2


def test_same_email_in_another_case_with_spaces_is_a_duplicate_and_gets_the_old_id() -> None:
    office = Office()
    office.registrations.append(reg("2022-05-20 10:00", "鈴木 太郎", "taro@example.com"))
    office.cycle("2022-05-20 10:30")
    office.registrations.append(
        reg("2022-05-21 10:00", "鈴木 太郎", "Taro@Example.com ", response_id="again")
    )
    plan = office.cycle("2022-05-21 10:30")
    dup = office.state.registrations["again"]
    assert (dup.status, dup.supporter_id, dup.duplicate_of) == (
        RegistrationStatus.DUPLICATE,
        None,
        "BN-0001",
    )
    (notice,) = [n for n in plan.notices if n.kind == "registration_duplicate"]
    assert (notice.ref, notice.to, notice.context["existing_id"]) == (
        "BN-0001",
        ("taro@example.com",),
        "BN-0001",
    )
    # no ID and no row of its own (SPEC §4); the original's row shows it (issue 13 §1)
    (row,) = supporter_rows(office.state)
    original = dict(zip(SUPPORTERS.headers, row, strict=True))
    assert original["伴走ネットID"] == "BN-0001"
    assert original["重複登録"].startswith("2022-")
    assert original["重複登録"].endswith("受信 鈴木 太郎 taro@example.com")


def test_same_name_and_phone_is_a_duplicate_mailed_to_the_earlier_address() -> None:
    office = Office()
    office.registrations += [
        reg("2022-05-20 10:00", "鈴木 太郎", "taro@example.com", phone="090-1234-5678"),
        reg(
            "2022-05-20 11:00",
            "鈴木太郎",
            "taro.new@example.com",
            phone="09012345678",
            response_id="again",
        ),
    ]
    plan = office.cycle("2022-05-20 12:00")
    assert office.state.registrations["again"].status == RegistrationStatus.DUPLICATE
    dup_notice = plan.notices[1]
    assert (dup_notice.kind, dup_notice.to) == ("registration_duplicate", ("taro@example.com",))


def test_the_duplicate_notice_follows_the_contact_correction_of_the_earlier_registration() -> None:
    office = Office()
    office.registrations.append(reg("2022-05-20 10:00", "鈴木 太郎", "taro@example.com"))
    office.cycle("2022-05-20 10:30")
    office.desks["BN-0001"] = SupporterDesk(contact_correction="taro2@example.com")
    office.registrations.append(reg("2022-05-21 10:00", "鈴木 太郎", "taro@example.com"))
    plan = office.cycle("2022-05-21 10:30")
    assert plan.notices[0].to == ("taro2@example.com",)


def test_a_duplicate_does_not_use_up_an_id() -> None:
    office = Office()
    office.registrations += [
        reg("2022-05-20 10:00", "A", "a@example.com"),
        reg("2022-05-20 10:01", "A", "a@example.com"),
        reg("2022-05-20 10:02", "B", "b@example.com", response_id="b"),
    ]
    office.cycle("2022-05-20 12:00")
    assert office.supporter_of("b") == "BN-0002"


def test_releasing_duplicates_gives_each_its_own_id_and_confirmation() -> None:
    office = Office()
    office.registrations += [
        reg("2022-05-20 10:00", "鈴木 太郎", "family@example.com", phone="0311112222"),
        reg(
            "2022-05-20 10:01",
            "鈴木 花子",
            "family@example.com",
            phone="0311112222",
            response_id="hanako",
        ),
        reg("2022-05-20 10:02", "鈴木 次郎", "family@example.com", response_id="jiro"),
        reg("2022-05-20 10:03", "田中 一郎", "ichiro@example.com", response_id="ichiro"),
    ]
    office.cycle("2022-05-20 12:00")
    assert office.supporter_of("ichiro") == "BN-0002"
    office.desks["BN-0001"] = SupporterDesk(release_duplicates=True)
    plan = office.cycle("2022-05-21 12:00")
    assert (office.supporter_of("hanako"), office.supporter_of("jiro")) == ("BN-0003", "BN-0004")
    assert office.state.registrations["hanako"].status == RegistrationStatus.ACTIVE
    assert [(n.kind, n.ref) for n in plan.notices if n.kind.startswith("registration")] == [
        ("registration_confirmed", "BN-0003"),
        ("registration_confirmed", "BN-0004"),
    ]
    again = office.cycle("2022-05-22 12:00")
    assert again.notices == [] or kinds(again.notices) == ["staff_digest"]
    assert office.state.counters["supporter"] == 4


def test_a_registration_without_a_usable_email_gets_an_id_but_no_email() -> None:
    office = Office()
    office.registrations.append(reg("2022-05-19 10:00", "鈴木 太郎", "taro＠", response_id="x"))
    plan = office.cycle("2022-05-20 07:00")
    r = office.state.registrations["x"]
    assert (r.status, r.supporter_id) == (RegistrationStatus.NEEDS_REVIEW, "BN-0001")
    assert plan.notices == []


def test_a_contact_correction_activates_a_needs_review_registration_and_confirms_it() -> None:
    office = Office()
    office.registrations.append(reg("2022-05-19 10:00", "鈴木 太郎", "", response_id="x"))
    office.cycle("2022-05-20 07:00")
    office.desks["BN-0001"] = SupporterDesk(contact_correction="taro@example.com")
    plan = office.cycle("2022-05-21 07:00")
    assert office.state.registrations["x"].status == RegistrationStatus.ACTIVE
    assert [(n.kind, n.to) for n in plan.notices] == [
        ("registration_confirmed", ("taro@example.com",))
    ]
    assert office.cycle("2022-05-21 07:30").notices == []


def test_an_edit_with_an_email_activates_a_needs_review_registration() -> None:
    office = Office()
    raw = reg("2022-05-19 10:00", "鈴木 太郎", "", response_id="x")
    office.registrations.append(raw)
    office.cycle("2022-05-20 07:00")
    office.registrations[0] = reg(
        "2022-05-19 10:00",
        "鈴木 太郎",
        "taro@example.com",
        response_id="x",
        edited="2022-05-21 06:00",
    )
    plan = office.cycle("2022-05-21 07:00")
    assert office.state.registrations["x"].status == RegistrationStatus.ACTIVE
    assert kinds(plan.notices) == ["registration_confirmed"]
    assert plan.new_registrations == 0


def test_a_missing_answer_other_than_email_keeps_the_registration_active() -> None:
    office = Office()
    office.registrations.append(
        reg("2022-05-19 10:00", "鈴木 太郎", "t@example.com", phone="", consent="", response_id="x")
    )
    plan = office.cycle("2022-05-20 07:00")
    r = office.state.registrations["x"]
    assert r.status == RegistrationStatus.ACTIVE
    assert r.missing == ("phone", "consent")
    assert kinds(plan.notices) == ["registration_confirmed"]


def test_registrations_before_notify_after_are_recorded_but_not_emailed() -> None:
    cutover = datetime.fromisoformat("2022-06-01T00:00:00+09:00")
    office = Office(policy=Policy(notify_after=cutover))
    office.registrations += [
        member(1, ts="2022-05-20 10:00"),
        member(1, ts="2022-05-21 10:00"),
        member(2, ts="2022-06-02 10:00"),
    ]
    plan = office.cycle("2022-06-02 11:00")
    assert office.state.counters["supporter"] == 2
    assert [(n.kind, n.ref) for n in plan.notices if n.kind != "staff_digest"] == [
        ("registration_confirmed", "BN-0002")
    ]
    assert office.cycle("2022-06-02 11:30").notices == []
