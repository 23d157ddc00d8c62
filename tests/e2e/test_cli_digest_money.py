"""The daily staff digest's money and registrations (issue 13 §3) through the real CLI on
the embedded default: the coming pay batch, who is held and why, a batch past its pay
date not ticked 支払済, a registration with an answer missing. Read from the outbox
folder as staff read their mail. All data is fictitious."""

from __future__ import annotations

from .conftest import Project, application, body, registration


def digest_text(project: Project) -> str:
    (digest,) = [m for m in project.new_emails() if m["X-Bansou-Kind"] == "staff_digest"]
    return body(digest)


def accepted_and_held(project: Project) -> None:
    """BN-0001 (documents back) and BN-0002 (none back) accepted on 2022-06-07: cutoff
    6/20, pay 7/8; BN-0003 registered without a phone number."""
    project.write_config()
    project.register(2)
    project.add_registrations(
        registration("2022/05/20 9:30:00", "伴走 3郎", "user3@example.com", phone="")
    )
    project.add_applications(
        application("2022/06/02 10:00:00", email="user1@example.com"),
        application(
            "2022/06/03 10:00:00",
            supporter_id="BN-0002",
            email="user2@example.com",
            support_date="2022/06/03",
            client_initials="K.M.",
            end_time="13:30:00",
        ),
    )
    project.once("2022-06-06 12:00")
    # the first digest lists the registration with a missing answer (once: the 伴走者
    # tab's 未回答 column keeps showing it)
    assert "BN-0003  未回答: 電話番号" in digest_text(project)
    project.review("A-000001", "承認")
    project.review("A-000002", "承認")
    project.tick("BN-0001")
    project.once("2022-06-07 12:00")
    project.new_emails()


def test_the_digest_shows_the_coming_batch_the_hold_and_the_incomplete_registration(
    project: Project,
) -> None:
    accepted_and_held(project)
    project.once("2022-06-21 09:00")
    text = digest_text(project)
    assert "■ 次回の支払  2022年7月8日(金)" in text
    assert "支払先 1名 / 申請 1件 / 合計 6,000円" in text
    assert "保留中の方が 1名" in text
    assert "BN-0002  締め日 2022年6月20日(月)  payment_held: 未着 覚書・謝金受取口座届出書" in text
    assert "未回答" not in text  # listed in the first digest already
    assert "支払済」にチェックがない" not in text
    for name in ("伴走 1郎", "伴走 2郎", "伴走 3郎"):
        assert name not in text  # IDs and codes only


def test_a_batch_past_its_pay_date_is_listed_until_staff_tick_it_paid(project: Project) -> None:
    accepted_and_held(project)
    project.once("2022-06-21 09:00")
    project.new_emails()
    project.once("2022-07-11 09:00")
    text = digest_text(project)
    assert "支払予定日を過ぎても「支払済」にチェックがない支払 1回分" in text
    assert "支払予定日 2022年7月8日(金)  1名  6,000円" in text
    unpaid = text.split("支払済」にチェックがない支払", 1)[1].split("■", 1)[0]
    assert "BN-0001" in unpaid and "BN-0002" not in unpaid

    project.edit("支払", "伴走ネットID", "BN-0001", 支払済="TRUE")
    project.once("2022-07-12 09:00")
    text = digest_text(project)  # BN-0002 is still held: a digest still goes out
    assert "支払済」にチェックがない" not in text
    assert project.app("A-000001")["状態コード"] == "paid"


def test_status_lists_the_same_money_and_registrations_as_the_digest(project: Project) -> None:
    accepted_and_held(project)
    project.once("2022-06-21 09:00")
    out = project.cli("status", "--config", str(project.config_path), "--now", "2022-07-11 09:00")
    text = out.stdout
    assert "支払予定日を過ぎた未チェックの支払 / batches past their pay date" in text
    assert "2022-07-08" in text and "6,000" in text
    assert "謝金の保留 / held payments: 1" in text
    assert "payment_held" in text  # (the table wraps the documents at 80 columns)
    assert project.supporter("BN-0003")["未回答"] == "電話番号"  # listed in 伴走者 for good
    assert "次回の支払 / coming pay batch: なし / none" in text
