"""The sheet staff decide in (issue 13 §1) through the real CLI on the embedded default
(CSV export, a folder of CSV tabs, .eml outbox): what staff judge by, why a row waits,
duplicates and missing answers, and the corrections staff type. All data is fictitious."""

from __future__ import annotations

from .conftest import Project, application, registration

USER1 = {"supporter_id": "BN-0001", "name": "伴走 1郎", "email": "user1@example.com"}


def test_the_application_row_shows_the_answers_staff_judge_by_and_the_original_number(
    project: Project,
) -> None:
    project.write_registrations(
        [registration("2022/06/01 9:00:00", "伴走 1郎", "user1@example.com")]
    )
    project.write_applications(
        [
            application(
                "2022/06/02 9:00:00",
                **USER1,
                support_date="2022/06/01",
                end_time="",
                outcomes="生活保護",
                narrative="架空の支援です。\n区役所に同行しました。",
            )
        ]
    )
    project.once("2022-06-02 12:00")
    project.add_applications(
        application(
            "2022/06/03 9:00:00", **USER1, support_date="2022/06/01", resubmission_of="A-000001"
        )
    )
    project.once("2022-06-03 12:00")

    first, second = project.app("A-000001"), project.app("A-000002")
    assert (first["開始時刻"], first["終了時刻"], second["終了時刻"]) == ("10:00", "", "12:00")
    assert first["相談内容"] == "医療、行政手続き" and first["同行先"] == "病院"
    assert first["つながった公的支援"] == "生活保護"
    assert first["支援の内容"] == "架空の支援です。\n区役所に同行しました。"
    assert (first["元申請番号"], second["元申請番号"]) == ("", "A-000001")
    header = project.header("申請")
    assert header.index("開始時刻") > header.index("最終更新")  # after SPEC §5's columns


def test_registrations_needing_staff_say_why_and_duplicates_and_missing_answers_are_listed(
    project: Project,
) -> None:
    project.write_registrations(
        [
            registration("2022/06/01 9:00:00", "伴走 1郎", "user1@example.com", phone=""),
            registration("2022/06/01 9:30:00", "伴走 2郎", "user2@example,com", phone="0902"),
            registration("2022/06/02 9:00:00", "伴走 3郎", " USER1@example.com", phone="0903"),
        ]
    )
    project.once("2022-06-02 07:00")  # before the digest's hour: it waits in status
    status = project.cli("status", "--config", str(project.config_path)).stdout
    assert "未回答のある登録" in status and "電話番号" in status
    project.once("2022-06-02 12:00")

    first, second = project.supporter("BN-0001"), project.supporter("BN-0002")
    assert first["未回答"] == "電話番号"
    assert second["状態"] == "要確認"
    assert second["入力されたメールアドレス"] == "user2@example,com"
    assert "連絡先訂正" in second["要確認の理由"]
    assert [r["伴走ネットID"] for r in project.tab("伴走者")] == ["BN-0001", "BN-0002"]
    assert first["重複登録"] == "2022-06-02 09:00 受信 伴走 3郎 user1@example.com"
    (digest,) = project.emails_of("staff_digest")
    text = digest.get_body().get_content()
    assert "未回答のある登録 1件" in text and "BN-0001  未回答: 電話番号" in text


def test_staff_confirm_a_membership_and_correct_times_with_a_reason(project: Project) -> None:
    project.write_registrations(
        [
            registration(
                "2022/06/01 9:00:00", "伴走 1郎", "user1@example.com", membership="どちらでもない"
            )
        ]
    )
    project.write_applications(
        [application("2022/06/02 9:00:00", **USER1, support_date="2022/06/01", end_time="10:40")]
    )
    project.once("2022-06-02 12:00")
    assert "not_member_or_referred" in project.app("A-000001")["理由"]

    project.edit("伴走者", "伴走ネットID", "BN-0001", **{"会員区分(確認)": "会員"})
    project.edit(
        "申請",
        "申請番号",
        "A-000001",
        **{"終了時刻(訂正)": "13:10", "訂正理由": "本人からメールで訂正"},
    )
    project.once("2022-06-03 12:00")

    row = project.app("A-000001")
    assert (row["状態コード"], row["終了時刻"], row["実施時間(分)"], row["謝金額"]) == (
        "pending_review",
        "13:10",
        "190",
        "10000",
    )
    assert project.supporter("BN-0001")["会員区分"] == "会員"
    assert [m["X-Bansou-Ref"] for m in project.emails_of("application_received")] == ["A-000001"]

    project.edit("申請", "申請番号", "A-000001", **{"謝金額(訂正)": "6000", "訂正理由": ""})
    project.once("2022-06-04 12:00")
    assert project.app("A-000001")["謝金額"] == "10000"
    assert "訂正理由が空欄" in project.tab("同期")[0]["エラー"]
