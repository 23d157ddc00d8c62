"""Issue 10 §1 and §5 through the real CLI on the embedded default: a poisoned answer or a
poisoned message never stops a cycle, and a flood never buries staff mail or real notices.

Each case failed on the code before the fix (a traceback and exit 1 every cycle, a
``To:`` with a second address, staff alerts behind 100,000 notices); now every cycle exits
0, the other responses are processed, and nothing is sent twice.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

import pytest

from bansou_sync.adapters.ledger import Ledger, OutboxItem
from bansou_sync.app.render import message_id

from .conftest import STAFF, Project, application, registration

ENCODED_WORD = "=?utf-8?q?x=0d=0abcc=3a_x=40evil.example?=@example.com"
COMMA_WORD = "=?utf-8?q?victim=40evil.example=2c?=@example.com"


def poisoned_registrations(project: Project) -> None:
    """Two good registrations with the issue's two crafted addresses between them."""
    project.add_registrations(
        registration("2022/05/20 9:01:00", "伴走 一郎", "user1@example.com"),
        registration("2022/05/20 9:02:00", "偽 二郎", ENCODED_WORD, phone="090-0000-0002"),
        registration("2022/05/20 9:03:00", "偽 三郎", COMMA_WORD, phone="090-0000-0003"),
        registration("2022/05/20 9:04:00", "伴走 四郎", "user4@example.com", phone="090-0000-0004"),
    )


def recipients(messages: list[EmailMessage]) -> list[str]:
    return sorted(str(m["To"]) for m in messages)


def test_a_registration_with_an_encoded_word_address_is_held_for_review_and_cycles_go_on(
    project: Project,
) -> None:
    poisoned_registrations(project)

    project.once("2022-05-21 09:00")
    first = project.new_emails()
    project.once("2022-05-21 09:05")

    volunteer = [m for m in first if m["X-Bansou-Kind"] == "registration_confirmed"]
    assert recipients(volunteer) == ["user1@example.com", "user4@example.com"]
    assert all("evil" not in str(m["To"]) for m in first)
    assert project.new_emails() == []  # nothing sent twice
    codes = {r["伴走ネットID"]: r["状態コード"] for r in project.tab("伴走者")}
    assert codes == {
        "BN-0001": "active",
        "BN-0002": "needs_review",
        "BN-0003": "needs_review",
        "BN-0004": "active",
    }
    assert project.supporter("BN-0002")["状態"] == "要確認"
    assert [r["結果"] for r in project.tab("同期")][:2] == ["成功", "成功"]
    [digest] = [m for m in first if m["X-Bansou-Kind"] == "staff_digest"]
    assert str(digest["To"]) == STAFF


def test_an_encoded_word_typed_as_a_correction_is_refused_and_a_plain_one_is_used(
    project: Project,
) -> None:
    poisoned_registrations(project)
    project.once("2022-05-21 09:00")
    project.new_emails()

    project.edit("伴走者", "伴走ネットID", "BN-0002", 連絡先訂正=COMMA_WORD)
    project.once("2022-05-21 10:00")
    refused = project.supporter("BN-0002")["状態コード"]
    errors = project.tab("同期")[0]["エラー"]
    project.edit("伴走者", "伴走ネットID", "BN-0002", 連絡先訂正="jiro@example.com")
    project.once("2022-05-21 11:00")

    assert refused == "needs_review"
    assert "BN-0002" in errors and "連絡先訂正" in errors
    assert project.supporter("BN-0002")["状態コード"] == "active"
    sent = [(m["X-Bansou-Kind"], str(m["To"])) for m in project.new_volunteer_emails()]
    assert sent == [("registration_confirmed", "jiro@example.com")]
    project.once("2022-05-21 11:10")
    assert project.new_volunteer_emails() == []


def test_the_good_responses_beside_poisoned_ones_end_as_in_a_clean_run(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    clean = Project(tmp_path_factory.mktemp("clean"))
    clean.write_config()
    clean.write_applications([])
    good = [
        registration("2022/05/20 9:01:00", "伴走 一郎", "user1@example.com"),
        registration("2022/05/20 9:02:00", "伴走 二郎", "user2@example.com", phone="090-0000-0002"),
    ]
    clean.write_registrations(good)
    project.write_registrations(
        [
            *good,
            registration("2022/05/20 9:03:00", "偽 三郎", ENCODED_WORD, phone="090-0000-0003"),
            registration("2022/05/20 9:04:00", "偽 四郎", COMMA_WORD, phone="090-0000-0004"),
        ]
    )

    for run in (clean, project):
        run.once("2022-05-21 07:00")
        run.once("2022-05-21 07:10")

    def good_rows(run: Project) -> list[dict[str, str]]:
        return [r for r in run.tab("伴走者") if r["伴走ネットID"] in ("BN-0001", "BN-0002")]

    def mails(run: Project) -> list[tuple[str, str, str]]:
        return sorted((str(m["Message-ID"]), str(m["To"]), m.get_content()) for m in run.emails())

    assert good_rows(project) == good_rows(clean)
    assert mails(project) == mails(clean)  # no digest before 08:00: the same mail exactly


def test_an_application_typed_with_an_encoded_word_address_gets_no_mail_and_is_judged(
    project: Project,
) -> None:
    project.register(1)
    project.once("2022-05-21 09:00")
    project.new_emails()
    project.add_applications(
        application("2022/06/02 10:00:00", supporter_id="BN-0099", email=ENCODED_WORD),
        application("2022/06/02 11:00:00", supporter_id="BN-0001", email="user1@example.com"),
    )

    project.once("2022-06-02 12:00")
    project.once("2022-06-02 12:05")

    unknown = project.app("A-000001")
    assert unknown["判定"] == "不備・再回答待ち"
    assert "unknown_supporter" in unknown["理由"]
    sent = [m for m in project.new_emails() if m["X-Bansou-Kind"] != "staff_digest"]
    assert [(m["X-Bansou-Ref"], str(m["To"])) for m in sent] == [("A-000002", "user1@example.com")]
    assert {r["状態"] for r in project.tab("メール") if r["関連番号"] == "A-000001"} == {"失敗"}


def stuck_item(ref: str, to: str) -> OutboxItem:
    """The message an older version left behind: queued, marked sending, never built."""
    event_key = f"{ref}|old"
    context = {"name": "偽 二郎", "supporter_id": ref, "registered_at": "2022-05-20 09:02"}
    return OutboxItem(
        message_id=message_id("registration_confirmed", event_key, "example.org"),
        kind="registration_confirmed",
        ref=ref,
        to=(to,),
        event_key=event_key,
        context=context,
        created_at=datetime.fromisoformat("2022-05-20T09:02:00+09:00"),
    )


def test_a_message_left_in_sending_by_an_older_version_is_parked_and_shown_to_staff(
    project: Project,
) -> None:
    project.register(1)
    project.once("2022-05-21 07:00")
    project.new_emails()
    with Ledger.open(project.ledger_path) as ledger:  # the ledger as the old version left it
        with ledger.transaction():
            ledger.enqueue([stuck_item("BN-0009", ENCODED_WORD)])
        ledger.mark_sending(stuck_item("BN-0009", ENCODED_WORD).message_id)
    project.add_registrations(
        registration("2022/05/21 7:30:00", "伴走 五郎", "user5@example.com", phone="090-0000-0005")
    )

    project.once("2022-05-21 07:40")
    sent = project.new_emails()
    errors = project.tab("同期")[0]["エラー"]
    project.once("2022-05-21 08:10")  # the morning digest
    digest = project.new_emails()

    assert [(m["X-Bansou-Kind"], str(m["To"])) for m in sent] == [
        ("registration_confirmed", "user5@example.com")
    ]
    assert "registration_confirmed BN-0009" in errors and "evil" not in errors
    [row] = [r for r in project.tab("メール") if r["関連番号"] == "BN-0009"]
    assert row["状態"] == "失敗"
    assert [m["X-Bansou-Kind"] for m in digest] == ["staff_digest"]
    assert "BN-0009" in str(digest[0].get_body().get_content())  # type: ignore[union-attr]
    project.once("2022-05-21 08:20")
    assert project.new_emails() == []


# --- floods (§5) --------------------------------------------------------------------------


def surge_of(project: Project, count: int, day: str = "2022/05/20") -> None:
    project.add_registrations(
        *(
            registration(
                f"{day} 9:{n:02d}:00",
                f"伴走 {n}郎",
                f"user{n}@example.com",
                phone=f"090-0000-{n:04d}",
            )
            for n in range(1, count + 1)
        )
    )


def test_a_surge_is_recorded_and_judged_but_its_volunteer_mail_waits_for_staff(
    project: Project,
) -> None:
    project.write_config(intake={"surge_limit": 3})
    surge_of(project, 5)

    project.once("2022-05-20 10:00")
    alert = project.new_emails()
    project.once("2022-05-20 10:05")
    quiet = project.new_emails()
    status = project.cli("status", "--config", str(project.config_path)).stdout
    released = project.cli("release-surge", "--config", str(project.config_path)).stdout
    project.once("2022-05-20 10:10")
    after = project.new_emails()
    project.once("2022-05-20 10:15")

    assert [r["伴走ネットID"] for r in project.tab("伴走者")] == [f"BN-000{n}" for n in range(1, 6)]
    assert [(m["X-Bansou-Kind"], str(m["To"])) for m in alert] == [("surge_held", STAFF)]
    assert "5" in str(alert[0]["Subject"])
    assert quiet == []  # one alert, not one per cycle
    held_rows = [line for line in status.splitlines() if "registration_confirmed" in line]
    assert len(held_rows) == 5 and all("保留 / held" in line for line in held_rows)
    assert "5" in released
    assert recipients(after) == [f"user{n}@example.com" for n in range(1, 6)]
    assert project.new_emails() == []


def test_staff_release_a_surge_with_the_tick_in_the_sync_tab(project: Project) -> None:
    project.write_config(intake={"surge_limit": 3})
    surge_of(project, 4)
    project.once("2022-05-20 10:00")
    project.new_emails()
    assert "保留" in project.tab("同期")[0]["エラー"]

    rows = project.tab("同期")
    rows[0]["一斉送信を許可"] = "TRUE"
    project.write_tab("同期", rows)
    project.once("2022-05-20 10:05")

    assert recipients(project.new_emails()) == [f"user{n}@example.com" for n in range(1, 5)]
    assert {r["一斉送信を許可"] for r in project.tab("同期")} == {""}  # the tick is used up
    project.once("2022-05-20 10:10")
    assert project.new_emails() == []


def test_an_adoption_backfill_with_notify_after_is_not_a_surge(project: Project) -> None:
    project.write_config(
        intake={"surge_limit": 3}, mail={"notify_after": "2022-05-21T00:00:00+09:00"}
    )
    surge_of(project, 5)
    project.once("2022-05-21 07:00")
    assert project.new_emails() == []  # recorded without mail: nothing held, no alert

    project.add_registrations(
        registration("2022/05/21 7:30:00", "伴走 九郎", "user9@example.com", phone="090-0000-0009")
    )
    project.once("2022-05-21 07:40")
    assert [str(m["To"]) for m in project.new_emails()] == ["user9@example.com"]


def test_staff_mail_goes_out_before_a_backlog_that_fills_the_daily_limit(project: Project) -> None:
    project.write_config(mail={"daily_limit": 3})
    surge_of(project, 6)
    project.add_registrations(  # a duplicate: something for the morning digest
        registration("2022/05/20 9:30:00", "伴走 1郎", "user1@example.com", phone="090-0000-0001")
    )

    project.once("2022-05-21 09:00")

    kinds = [m["X-Bansou-Kind"] for m in project.new_emails()]
    assert "staff_digest" in kinds and len(kinds) == 3


def test_one_address_gets_at_most_its_daily_share_and_the_rest_follow_in_order(
    project: Project,
) -> None:
    project.write_config(mail={"per_recipient_daily_limit": 2})
    project.register(1)
    project.once("2022-05-30 09:00")
    project.new_emails()
    project.add_applications(
        *(
            application(f"2022/06/0{n} 10:00:00", support_date=f"2022/06/0{n}")
            | {"email": "user1@example.com"}
            for n in range(1, 5)
        )
    )

    project.once("2022-06-05 12:00")
    first = project.new_volunteer_emails()
    project.once("2022-06-06 11:00")
    same_day = project.new_volunteer_emails()
    project.once("2022-06-06 12:30")
    next_day = project.new_volunteer_emails()

    assert [m["X-Bansou-Ref"] for m in first] == ["A-000001", "A-000002"]
    assert same_day == []
    assert [m["X-Bansou-Ref"] for m in next_day] == ["A-000003", "A-000004"]
