"""The daily staff digest's money and registrations (issue 13 §3): the coming pay batch,
who is held and why, batches past their pay date not ticked 支払済, registrations with
an answer missing."""

from __future__ import annotations

from builders import Office, app, at, d, members, reg

from bansou_sync.app.render import Renderer, default_templates_dir
from bansou_sync.core.book import Book
from bansou_sync.core.digest import coming_batch, unpaid_batches, waiting_items
from bansou_sync.core.model import Notice, SupporterDesk


def accepted_for_three() -> Office:
    """BN-0001 (3h, 10,000円) and BN-0002 (2h, 6,000円) have their documents ticked,
    BN-0003 (2h) has not; all three accepted on 2022-06-13 (cutoff 6/20, pay 7/8)."""
    office = members(3)
    office.tick("BN-0001")
    office.tick("BN-0002")
    office.applications += [
        app("2022-06-10 10:00", "BN-0001", "2022-06-09", "10:00", "13:00"),
        app("2022-06-10 11:00", "BN-0002", "2022-06-08"),
        app("2022-06-10 12:00", "BN-0003", "2022-06-07"),
    ]
    office.cycle("2022-06-10 12:05")
    for n in (1, 2, 3):
        office.decide(f"A-00000{n}", "承認")
    office.cycle("2022-06-13 07:00")
    return office


def digest_of(office: Office, now: str) -> Notice | None:
    return next((n for n in office.cycle(now).notices if n.kind == "staff_digest"), None)


def test_the_digest_shows_the_coming_batch_with_its_payees_and_total() -> None:
    office = accepted_for_three()
    digest = digest_of(office, "2022-06-21 08:00")
    assert digest is not None
    assert digest.context["pay_batch"] == {
        "pay_date": "2022-07-08",
        "payees": 2,
        "rows": 2,
        "count": 2,
        "total_yen": 16000,
    }


def test_a_held_supporter_is_listed_by_id_with_the_reason_code_and_missing_documents() -> None:
    office = accepted_for_three()
    office.desks["BN-0003"] = SupporterDesk(memo_received=True)
    digest = digest_of(office, "2022-06-21 08:00")
    assert digest is not None
    assert digest.context["held"] == [
        {
            "supporter_id": "BN-0003",
            "cutoff": "2022-06-20",
            "reason": "payment_held",
            "missing": ["謝金受取口座届出書"],
        }
    ]
    assert "伴走" not in str(digest.context["held"])  # no names, IDs and codes only


def test_a_batch_past_its_pay_date_without_the_paid_tick_is_listed_and_sends_a_digest() -> None:
    office = accepted_for_three()
    office.cycle("2022-06-21 07:00")  # BN-0003 held: no documents at the cutoff
    office.tick("BN-0003")
    office.cycle("2022-07-05 07:00")  # BN-0003's documents came: released to the 8/10 batch
    assert digest_of(office, "2022-07-05 08:00") is None  # nothing waits for staff
    assert digest_of(office, "2022-07-08 08:00") is None  # pay day itself: not late yet
    digest = digest_of(office, "2022-07-09 08:00")
    assert digest is not None
    assert digest.context["unpaid"] == [
        {
            "pay_date": "2022-07-08",
            "payees": 2,
            "rows": 2,
            "count": 2,
            "total_yen": 16000,
            "supporter_ids": ["BN-0001", "BN-0002"],
        }
    ]
    assert digest.context["pay_batch"]["pay_date"] == "2022-08-10"


def test_a_ticked_batch_is_no_longer_listed_as_unpaid() -> None:
    office = accepted_for_three()
    office.paid = {"2022-06-20|BN-0001": True, "2022-06-20|BN-0002": True}
    office.cycle("2022-07-08 12:00")
    items = waiting_items(Book(office.state), office.policy, at("2022-07-09 09:00"))
    assert items["unpaid"] == []


def test_a_registration_with_a_missing_answer_is_listed_in_the_next_digest_only() -> None:
    office = Office()
    office.registrations.append(reg("2022-05-20 10:00", "伴走 一郎", "s1@example.com"))
    digest = digest_of(office, "2022-05-20 10:05")  # past the digest hour: one goes out
    assert digest is not None
    assert digest.context["incomplete"] == [{"supporter_id": "BN-0001", "missing": "電話番号"}]
    # listed once: the 伴走者 tab's 未回答 column keeps showing it after the digest
    items = waiting_items(Book(office.state), office.policy, at("2022-05-21 09:00"))
    assert items["incomplete"] == []
    assert digest_of(office, "2022-05-21 09:00") is None


def test_the_coming_batch_is_none_when_nothing_is_scheduled() -> None:
    assert coming_batch([], d("2022-07-01")) is None
    assert unpaid_batches([], d("2022-07-01")) == []


def test_the_digest_email_shows_the_batch_the_holds_the_unpaid_and_the_registrations() -> None:
    office = accepted_for_three()
    office.registrations.append(reg("2022-06-01 10:00", "伴走 四郎", "s4@example.com"))
    digest = digest_of(office, "2022-06-21 08:00")
    assert digest is not None
    context = {
        **digest.context,
        "unpaid": [
            {
                "pay_date": "2022-06-10",
                "payees": 1,
                "rows": 1,
                "count": 1,
                "total_yen": 6000,
                "supporter_ids": ["BN-0009"],
            }
        ],
        "events": ["講座_course-2022-08: course-2022-08/004 (BN-0002) read_after_start: …"],
    }
    renderer = Renderer(default_templates_dir(), sender="jimukyoku@example.org")
    _, body = renderer.render("staff_digest", context, sent_on="2022-06-21")
    assert "■ 次回の支払  2022年7月8日(金)" in body
    assert "支払先 2名 / 申請 2件 / 合計 16,000円" in body
    assert "保留中の方が 1名" in body
    assert "BN-0003  締め日 2022年6月20日(月)  payment_held: 未着 覚書・謝金受取口座届出書" in body
    assert "支払予定日 2022年6月10日(金)  1名  6,000円" in body and "BN-0009" in body
    assert "BN-0004  未回答: 電話番号" in body
    assert "course-2022-08/004 (BN-0002)" in body
    assert "伴走 " not in body  # IDs and codes only: no volunteer's name


def test_a_digest_queued_before_these_sections_existed_still_renders() -> None:
    old = {
        "date": "2022-07-01",
        "pending": [],
        "near_deadline": [],
        "held": [{"supporter_id": "BN-0007", "cutoff": "2022-06-20"}],
        "needs_review": [],
        "duplicates": [],
        "problems": [],
        "overrides": [],
        "budget": {"total_yen": 20_000_000, "committed_yen": 6000, "ratio_percent": 0.0},
    }
    renderer = Renderer(default_templates_dir(), sender="jimukyoku@example.org")
    _, body = renderer.render("staff_digest", old, sent_on="2022-07-01")
    assert "BN-0007  締め日 2022年6月20日(月)" in body
    assert "次回の支払" not in body
