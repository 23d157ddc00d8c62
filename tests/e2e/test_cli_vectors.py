"""SPEC §9, every worked example, through ``bansou-sync once`` on CSV exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Project, application, body, kinds, registration

USER1 = {"supporter_id": "BN-0001", "name": "伴走 1郎", "email": "user1@example.com"}


def by_user1(timestamp: str, initials: str, **answers: str) -> dict[str, str]:
    """An application by BN-0001 for a client of its own (no cap interferes)."""
    return application(timestamp, **{**USER1, "client_initials": initials, **answers})


# --- judging at intake: P1, P2, P3, P10 -------------------------------------------------

JUDGED = {
    "on_time": by_user1("2022/06/25 23:59:00", "OT", support_date="2022/05/26"),
    "late_jst": by_user1("2022/06/26 0:30:00", "LJ", support_date="2022/05/26"),
    "both_kinds": by_user1("2022/06/27 9:00:00", "BK", support_date="2022/05/26", end_time=""),
    "before_period": by_user1("2022/06/01 9:00:00", "BP", support_date="2022/05/24"),
    "short": by_user1("2022/06/02 9:00:00", "SH", start_time="10:00:00", end_time="10:59:00"),
    "179": by_user1("2022/06/02 9:01:00", "SX", start_time="10:00:00", end_time="12:59:00"),
    "180": by_user1("2022/06/02 9:02:00", "TN", start_time="10:00:00", end_time="13:00:00"),
    "month_end_ok": by_user1("2023/02/28 18:00:00", "ME", support_date="2023/01/31"),
    "month_end_late": by_user1("2023/03/01 9:00:00", "ML", support_date="2023/01/31"),
}


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, dict[str, str]]]:
    project = Project(tmp_path_factory.mktemp("judged"))
    project.write_config()
    project.register(1)
    project.write_applications(JUDGED.values())
    project.once("2023-03-02 12:00")
    rows = {r["回答ID"]: r for r in project.tab("申請")}
    by_case = {}
    for case, answers in JUDGED.items():
        stamp = answers["timestamp"]
        matches = [r for key, r in rows.items() if key.startswith(_canonical(stamp))]
        assert len(matches) == 1, f"{case}: no row for {stamp}"
        by_case[case] = matches[0]
    return project, by_case


def _canonical(stamp: str) -> str:
    day, clock = stamp.split(" ")
    y, m, d = (int(x) for x in day.split("/"))
    hh, mm, ss = (int(x) for x in clock.split(":"))
    return f"{y:04d}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}"


def test_application_submitted_at_2359_jst_on_the_deadline_is_on_time(judged) -> None:
    _, rows = judged
    assert rows["on_time"]["状態コード"] == "pending_review"
    assert rows["on_time"]["判定"] == "審査待ち"
    assert rows["on_time"]["理由"] == ""


def test_application_submitted_at_0030_jst_after_the_deadline_is_late(judged) -> None:
    _, rows = judged
    row = rows["late_jst"]
    assert row["受信日時"] == "2022-06-26 00:30"
    assert row["状態コード"] == "ineligible"
    assert row["判定"] == "対象外"
    assert row["理由"] == "late_submission: 申請期限(2022-06-25)を過ぎています"


def test_month_end_deadline_is_the_last_day_of_the_next_month(judged) -> None:
    _, rows = judged
    assert rows["month_end_ok"]["状態コード"] == "pending_review"
    assert rows["month_end_late"]["状態コード"] == "ineligible"
    assert rows["month_end_late"]["理由"].startswith("late_submission: ")
    assert "2023-02-28" in rows["month_end_late"]["理由"]


def test_support_before_the_programme_period_is_outside_period(judged) -> None:
    _, rows = judged
    assert rows["before_period"]["状態コード"] == "ineligible"
    assert rows["before_period"]["理由"].startswith("outside_period: ")


def test_fifty_nine_minutes_is_too_short(judged) -> None:
    _, rows = judged
    assert rows["short"]["実施時間(分)"] == "59"
    assert rows["short"]["状態コード"] == "ineligible"
    assert rows["short"]["理由"] == "too_short: 伴走支援の時間が1時間未満です"


def test_durations_of_179_and_180_minutes_are_measured_and_pending(judged) -> None:
    _, rows = judged
    assert rows["179"]["実施時間(分)"] == "179"
    assert rows["180"]["実施時間(分)"] == "180"
    assert rows["179"]["状態コード"] == rows["180"]["状態コード"] == "pending_review"


def test_late_and_missing_end_time_is_ineligible_for_lateness_only(judged) -> None:
    project, rows = judged
    row = rows["both_kinds"]
    assert row["状態コード"] == "ineligible"
    assert row["理由"] == "late_submission: 申請期限(2022-06-25)を過ぎています"
    (mail,) = [
        m
        for m in project.emails_of("application_ineligible")
        if m["X-Bansou-Ref"] == row["申請番号"]
    ]
    assert "申請期限" in body(mail)
    assert "終了時刻" not in body(mail)


def test_each_application_gets_exactly_one_first_email(judged) -> None:
    project, rows = judged
    for case, row in rows.items():
        first = [
            m
            for m in project.emails()
            if m["X-Bansou-Ref"] == row["申請番号"]
            and str(m["X-Bansou-Kind"]).startswith("application_")
        ]
        expected = (
            "application_received"
            if row["状態コード"] == "pending_review"
            else "application_ineligible"
        )
        assert kinds(first) == [expected], case
        assert first[0]["To"] == "user1@example.com"


# --- caps P4, P5 and the duplicate registration P7 -------------------------------------


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project(tmp_path_factory.mktemp("capped"))
    project.write_config()
    project.register(3)
    project.add_registrations(
        registration("2022/06/01 9:00:00", "伴走 太郎", "taro@example.com", phone="090-0000-0101"),
        registration(
            "2022/06/02 9:00:00", "伴走 たろう", "Taro@Example.com ", phone="090-0000-0102"
        ),
    )
    who = {
        n: {"supporter_id": f"BN-000{n}", "name": f"伴走 {n}郎", "email": f"user{n}@example.com"}
        for n in (1, 2, 3)
    }
    same_day = {"support_date": "2022/07/01"}
    project.write_applications(
        [
            application(
                "2022/07/01 18:00:00",
                **who[1],
                **same_day,
                client_initials="K.K.",
                client_birth_year="1970",
                client_nationality="フィリピン",
            ),
            application(
                "2022/07/01 18:10:00",
                **who[2],
                **same_day,
                client_code="C-0001",
                client_initials="",
                client_birth_year="",
                client_nationality="",
            ),
            application(
                "2022/07/01 18:20:00",
                **who[3],
                **same_day,
                client_code="C-0001",
                client_initials="",
                client_birth_year="",
                client_nationality="",
            ),
            *(
                application(
                    f"2022/07/08 10:0{day}:00",
                    **who[1],
                    support_date=f"2022/07/0{day}",
                    client_initials="S.O.",
                    client_birth_year="1990",
                    client_nationality="ネパール",
                )
                for day in range(2, 8)
            ),
        ]
    )
    project.once("2022-07-10 12:00")
    return project


def test_third_supporter_for_one_occasion_is_refused(capped: Project) -> None:
    rows = sorted(capped.tab("申請"), key=lambda r: r["申請番号"])
    first, second, third = rows[:3]
    assert [r["相談者コード"] for r in (first, second, third)] == ["C-0001"] * 3
    assert first["状態コード"] == second["状態コード"] == "pending_review"
    assert third["伴走ネットID"] == "BN-0003"
    assert third["状態コード"] == "ineligible"
    assert third["理由"].startswith("too_many_supporters: ")


def test_sixth_occasion_for_one_client_is_refused(capped: Project) -> None:
    rows = sorted(capped.tab("申請"), key=lambda r: r["申請番号"])[3:]
    assert len(rows) == 6
    assert {r["相談者コード"] for r in rows} == {"C-0002"}
    assert [r["状態コード"] for r in rows] == ["pending_review"] * 5 + ["ineligible"]
    assert rows[5]["支援実施日"] == "2022-07-07"
    assert rows[5]["理由"].startswith("client_cap: ")


def test_duplicate_registration_gets_no_new_id_and_the_existing_id_is_resent(
    capped: Project,
) -> None:
    supporters = capped.tab("伴走者")
    assert [r["伴走ネットID"] for r in supporters] == ["BN-0001", "BN-0002", "BN-0003", "BN-0004"]
    assert supporters[3]["メールアドレス"] == "taro@example.com"
    (dup,) = capped.emails_of("registration_duplicate")
    assert dup["X-Bansou-Ref"] == "BN-0004"
    assert dup["To"] == "taro@example.com"
    assert "BN-0004" in body(dup)
    confirmed = [m["X-Bansou-Ref"] for m in capped.emails_of("registration_confirmed")]
    assert sorted(confirmed) == ["BN-0001", "BN-0002", "BN-0003", "BN-0004"]


# --- money and pay dates: P10, P11 -------------------------------------------------------


def test_staff_acceptance_sets_honorarium_and_pay_date_by_acceptance_day(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config()
    project.register(3)
    people = [
        {"supporter_id": f"BN-000{n}", "name": f"伴走 {n}郎", "email": f"user{n}@example.com"}
        for n in (1, 2, 3)
    ]
    project.write_applications(
        [
            application(
                "2022/06/02 9:00:00", **people[0], client_initials="AA", end_time="12:59:00"
            ),
            application(
                "2022/06/03 9:00:00", **people[1], client_initials="BB", end_time="13:00:00"
            ),
        ]
    )
    project.once("2022-06-15 12:00")
    for sid in ("BN-0001", "BN-0002", "BN-0003"):
        project.tick(sid, "TRUE")
    project.new_emails()

    project.review("A-000001", "承認")
    project.once("2022-06-20 12:00")
    first = project.app("A-000001")
    assert (first["状態コード"], first["判定"]) == ("accepted", "受付完了")
    assert first["謝金額"] == "6000"
    assert first["支払予定日"] == "2022-07-08"
    (accepted,) = project.new_volunteer_emails()
    assert accepted["X-Bansou-Kind"] == "application_accepted"
    assert accepted["X-Bansou-Ref"] == "A-000001"
    assert "2022-07-08" in body(accepted) or "7月8日" in body(accepted)
    assert "6,000" in body(accepted) or "6000" in body(accepted)

    project.review("A-000002", "承認")
    project.once("2022-06-21 12:00")
    second = project.app("A-000002")
    assert second["謝金額"] == "10000"
    assert second["支払予定日"] == "2022-08-10"
    assert project.app("A-000001")["支払予定日"] == "2022-07-08"

    project.add_applications(
        application(
            "2022/09/02 9:00:00", **people[2], client_initials="CC", support_date="2022/09/01"
        )
    )
    project.once("2022-09-10 12:00")
    project.review("A-000003", "承認")
    project.once("2022-09-15 12:00")
    assert project.app("A-000003")["支払予定日"] == "2022-10-07"

    batches = {(r["締め日"], r["伴走ネットID"]): r for r in project.tab("支払")}
    assert batches[("2022-06-20", "BN-0001")]["支払予定日"] == "2022-07-08"
    assert batches[("2022-06-20", "BN-0001")]["金額"] == "6000"
    assert batches[("2022-07-20", "BN-0002")]["金額"] == "10000"
    assert batches[("2022-09-20", "BN-0003")]["支払予定日"] == "2022-10-07"
    assert project.supporter("BN-0002")["謝金累計"] == "10000"


def test_payment_is_held_until_both_papers_are_ticked_then_released(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config()
    project.register(1)
    project.write_applications(
        [application("2022/07/05 9:00:00", **USER1, support_date="2022/07/01")]
    )
    project.once("2022-07-10 12:00")
    project.review("A-000001", "承認")
    project.once("2022-07-18 12:00")
    assert project.app("A-000001")["支払予定日"] == "2022-08-10"
    project.new_emails()

    project.once("2022-07-21 12:00")
    row = project.app("A-000001")
    assert row["状態コード"] == "accepted"
    assert "payment_held: " in row["理由"]
    assert row["支払予定日"] == ""
    (batch,) = project.tab("支払")
    assert (batch["締め日"], batch["状態"], batch["支払予定日"]) == ("2022-07-20", "保留", "")
    held = project.new_volunteer_emails()
    assert kinds(held) == ["payment_held"]
    assert "2022-07-20" in held[0]["X-Bansou-Ref"] and "BN-0001" in held[0]["X-Bansou-Ref"]
    assert held[0]["To"] == "user1@example.com"

    project.once("2022-07-22 12:00")
    assert "payment_held" not in kinds(project.new_emails())

    project.tick("BN-0001", "○")
    project.once("2022-07-25 12:00")
    row = project.app("A-000001")
    assert row["支払予定日"] == "2022-09-09"
    assert "payment_held" not in row["理由"]
    released = project.new_volunteer_emails()
    assert kinds(released) == ["payment_released"]
    assert "2022-09-09" in body(released[0]) or "9月9日" in body(released[0])
    assert len(project.emails_of("payment_held")) == 1
