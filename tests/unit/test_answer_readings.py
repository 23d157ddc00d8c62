"""Issue 12: a plan reads each distinct answer once (``answers.Readings``); what it reads
is exactly what each application's answers read alone give, whatever repeats or varies."""

from __future__ import annotations

from dataclasses import replace

from bansou_sync.core.answers import Readings, client_hash, read_application
from bansou_sync.core.ids import IdPattern
from bansou_sync.core.model import MISSING, UNREADABLE
from bansou_sync.core.policy import Policy
from tests.unit.builders import app


def responses() -> list:
    """Answers that repeat, vary in spelling, are blank or unreadable, in one batch."""
    return [
        app("2022-06-02 10:00", "BN-0001", "2022-06-01"),
        app(
            "2022-06-02 11:00",
            "ｂｎ－１",
            "２０２２年６月１日",
            "10時",
            "午後0時",
            email="S1@Example.com",
        ),
        app(
            "2022-06-02 12:00",
            "BN-0001",
            "2022-06-01",
            topics=("住まい", "医療"),
            outcomes=("同行",),
        ),
        app(
            "2022-06-02 13:00", "", "令和4年6月1日", "", "12:00", email="", name="  伴走\u3000太郎 "
        ),
        app("2022-06-02 14:00", "BN-X", "6/1", "25:00", "12:00", email="not an address"),
        app(
            "2022-06-02 15:00",
            "BN-0002",
            "2022-06-01",
            initials="t.n.",
            birth_year="平成2年",
            nationality=" ベトナム ",
            companion_id="bn7",
            resubmission_of="A-000003",
            consent="",
        ),
        app("2022-06-02 16:00", "BN-0002", "2022-06-01", client_code="c-12", topics=()),
        app("2022-06-02 17:00", "BN-0001", "2022-06-01"),
    ]


def test_answers_read_through_a_plans_readings_equal_the_answers_read_alone() -> None:
    policy = Policy()
    readings = Readings(policy)
    batch = responses()
    for raw in batch + batch:  # the second round reads every answer from the memo
        assert read_application(raw, policy, readings) == read_application(raw, policy)


def test_answers_that_repeat_are_read_once_and_blank_or_unreadable_ones_stay_problems() -> None:
    policy = Policy()
    readings = Readings(policy)
    first, respelled, *_, last = (read_application(r, policy, readings) for r in responses())
    assert first.supporter_id == respelled.supporter_id == last.supporter_id == "BN-0001"
    assert first.support_date == respelled.support_date
    facts = [read_application(r, policy, readings) for r in responses()]
    assert facts[3].supporter_id is MISSING and facts[3].start is MISSING
    assert facts[4].supporter_id is UNREADABLE and facts[4].start is UNREADABLE
    assert facts[4].email is UNREADABLE and facts[4].support_date is UNREADABLE
    assert len(readings.supporter_id) == 6  # BN-0001, ｂｎ－１, "", BN-X, BN-0002, bn7


def test_readings_made_for_another_policy_are_not_used() -> None:
    ours = replace(Policy(), supporter_ids=IdPattern("V-", 3))
    raw = app("2022-06-02 10:00", "v-7", "2022-06-01")
    stale = Readings(Policy())
    assert read_application(raw, ours, stale).supporter_id == "V-007"
    assert read_application(raw, Policy(), stale).supporter_id is UNREADABLE


def test_a_clients_keyed_hash_from_the_readings_is_the_keyed_hash_itself() -> None:
    readings = Readings(Policy())
    for key in (b"key-one-0123456789abcdef", b"key-two-0123456789abcdef"):
        for _ in range(2):  # the second time from what the readings kept
            assert readings.client_hash(key, "TN", 1990, "ベトナム") == client_hash(
                key, "TN", 1990, "ベトナム"
            )
    assert readings.client_hash(b"key-one-0123456789abcdef", "TN", 1990, "ベトナム") != (
        readings.client_hash(b"key-two-0123456789abcdef", "TN", 1990, "ベトナム")
    )
