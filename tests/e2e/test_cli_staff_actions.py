"""Staff ticks and corrections typed into the status CSVs (SPEC §4, §5)."""

from __future__ import annotations

from .conftest import Project, application, body, kinds, registration

USER1 = {"supporter_id": "BN-0001", "name": "伴走 1郎", "email": "user1@example.com"}


def test_ticking_paid_on_a_batch_marks_its_applications_paid(project: Project) -> None:
    project.register(1)
    project.write_applications(
        [
            application("2022/07/02 9:00:00", **USER1, support_date="2022/07/01"),
            application(
                "2022/07/02 9:10:00", **USER1, support_date="2022/07/01", client_initials="ZZ"
            ),
        ]
    )
    project.once("2022-07-05 12:00")
    project.tick("BN-0001", "TRUE")
    project.review("A-000001", "承認")
    project.review("A-000002", "承認")
    project.once("2022-07-06 12:00")
    (batch,) = project.tab("支払")
    assert (batch["締め日"], batch["件数"], batch["金額"], batch["状態"]) == (
        "2022-07-20",
        "2",
        "12000",
        "予定",
    )

    project.edit("支払", "締め日", "2022-07-20", 支払済="TRUE")
    project.once("2022-08-10 12:00")
    for no in ("A-000001", "A-000002"):
        row = project.app(no)
        assert (row["状態コード"], row["判定"]) == ("paid", "支払済")
        assert row["支払予定日"] == "2022-08-10"
    (batch,) = project.tab("支払")
    assert (batch["状態"], batch["支払済"]) == ("支払済", "TRUE")
    assert project.supporter("BN-0001")["謝金累計"] == "12000"


def test_contact_correction_is_used_for_matching_and_for_mail(project: Project) -> None:
    project.register(1)
    project.once("2022-07-01 12:00")
    project.edit("伴走者", "伴走ネットID", "BN-0001", 連絡先訂正="new1@example.com")
    project.once("2022-07-02 12:00")
    project.new_emails()

    project.write_applications(
        [
            application(
                "2022/07/03 9:00:00",
                **{**USER1, "email": "New1@Example.com"},
                support_date="2022/07/01",
            )
        ]
    )
    project.once("2022-07-04 12:00")
    row = project.app("A-000001")
    assert row["状態コード"] == "pending_review", row["理由"]
    (received,) = project.new_volunteer_emails()
    assert received["X-Bansou-Kind"] == "application_received"
    assert received["To"] == "new1@example.com"
    assert project.supporter("BN-0001")["連絡先訂正"] == "new1@example.com"


def test_undoing_a_duplicate_gives_the_second_person_an_id_of_their_own(project: Project) -> None:
    project.write_registrations(
        [
            registration("2022/06/01 9:00:00", "伴走 太郎", "taro@example.com"),
            # same name and phone digits, another address: a P7 duplicate
            registration(
                "2022/06/02 9:00:00",
                "伴走 太郎",
                "taro.family@example.com",
                phone="09000000001",
            ),
        ]
    )
    project.once("2022-06-03 12:00")
    # the duplicate owns no ID and no row (SPEC §4); the original's row shows it
    assert [(r["伴走ネットID"], r["重複登録"]) for r in project.tab("伴走者")] == [
        ("BN-0001", "2022-06-02 09:00 受信 伴走 太郎 taro.family@example.com"),
    ]
    assert kinds(project.new_volunteer_emails()) == [
        "registration_confirmed",
        "registration_duplicate",
    ]

    project.edit("伴走者", "伴走ネットID", "BN-0001", 重複解除="TRUE")
    project.once("2022-06-04 12:00")
    supporters = {r["伴走ネットID"]: r for r in project.tab("伴走者")}
    assert sorted(supporters) == ["BN-0001", "BN-0002"]
    assert supporters["BN-0002"]["メールアドレス"] == "taro.family@example.com"
    assert supporters["BN-0002"]["状態コード"] == "active"
    (confirmed,) = project.new_volunteer_emails()
    assert (confirmed["X-Bansou-Kind"], confirmed["X-Bansou-Ref"]) == (
        "registration_confirmed",
        "BN-0002",
    )
    assert confirmed["To"] == "taro.family@example.com"
    assert "BN-0002" in body(confirmed)

    project.once("2022-06-05 12:00")
    assert len(project.tab("伴走者")) == 2
    assert project.new_volunteer_emails() == []
