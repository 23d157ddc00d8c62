"""The deficiency lifecycle (SPEC P9) and ``mail.notify_after``, day by day."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import (
    ENTRY_RESUBMISSION,
    ENTRY_SUPPORTER,
    FORM_URL,
    Project,
    application,
    body,
    kinds,
    registration,
)

USER = {
    n: {"supporter_id": f"BN-000{n}", "name": f"伴走 {n}郎", "email": f"user{n}@example.com"}
    for n in (1, 2)
}


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, list]]:
    """Two deficient originals on 7/01; one resubmitted on 7/07, one left to expire.

    Support on 6/03 makes the deadline 7/02: on time by the original submission (7/01),
    late by the resubmission's own time (7/07).
    """
    project = Project(tmp_path_factory.mktemp("deficiency"))
    project.write_config()
    project.register(2)
    june_3 = {"support_date": "2022/06/03", "end_time": ""}
    project.write_applications(
        [
            application("2022/07/01 10:00:00", **USER[1], **june_3, client_initials="AA"),
            application("2022/07/01 11:00:00", **USER[2], **june_3, client_initials="BB"),
        ]
    )
    steps: dict[str, list] = {}

    def step(name: str, now: str) -> None:
        project.once(now)
        steps[name] = [
            project.new_volunteer_emails(),
            {r["申請番号"]: r for r in project.tab("申請")},
        ]

    step("notice", "2022-07-01 12:00")
    step("before_reminder", "2022-07-06 08:59")
    step("reminder", "2022-07-06 09:00")
    step("after_reminder", "2022-07-06 09:30")
    project.add_applications(
        application(
            "2022/07/07 10:00:00",
            **USER[1],
            support_date="2022/06/03",
            client_initials="AA",
            resubmission_of="A-000001",
        )
    )
    step("resubmitted", "2022-07-07 12:00")
    step("last_evening", "2022-07-08 23:00")
    step("expired", "2022-07-09 00:30")
    return project, steps


def test_deficiency_notice_has_reply_deadline_and_prefilled_link(lifecycle) -> None:
    _, steps = lifecycle
    mails, rows = steps["notice"]
    assert kinds(mails) == ["application_deficient"] * 2 + ["registration_confirmed"] * 2
    first = next(m for m in mails if m["X-Bansou-Ref"] == "A-000001")
    assert first["To"] == "user1@example.com"
    text = body(first)
    assert "2022-07-08" in text or "7月8日" in text
    assert "missing:end_time" in text or "終了時刻" in text
    link = next(line.strip() for line in text.splitlines() if line.strip().startswith(FORM_URL))
    assert link.startswith(FORM_URL + "?usp=pp_url&")
    assert f"usp=pp_url&entry.{ENTRY_RESUBMISSION}=A-000001" in link
    assert f"entry.{ENTRY_SUPPORTER}=BN-0001" in link

    row = rows["A-000001"]
    assert (row["状態コード"], row["判定"]) == ("deficient", "不備・再回答待ち")
    assert row["理由"].startswith("missing:end_time: ")
    assert row["再回答期限"] == "2022-07-08"


def test_reminder_goes_out_once_at_0900_two_days_before_the_deadline(lifecycle) -> None:
    _, steps = lifecycle
    assert steps["before_reminder"][0] == []
    reminders = steps["reminder"][0]
    assert kinds(reminders) == ["deficiency_reminder"] * 2
    assert sorted(m["X-Bansou-Ref"] for m in reminders) == ["A-000001", "A-000002"]
    assert "2022-07-08" in body(reminders[0]) or "7月8日" in body(reminders[0])
    assert steps["after_reminder"][0] == []


def test_resubmission_quoting_the_number_supersedes_and_is_judged_by_the_original_time(
    lifecycle,
) -> None:
    _, steps = lifecycle
    mails, rows = steps["resubmitted"]
    assert (rows["A-000001"]["状態コード"], rows["A-000001"]["判定"]) == ("resubmitted", "再提出済")
    new = rows["A-000003"]
    assert new["状態コード"] == "pending_review", new["理由"]
    assert new["理由"] == ""
    assert new["相談者コード"] == rows["A-000001"]["相談者コード"]
    assert [(m["X-Bansou-Kind"], m["X-Bansou-Ref"]) for m in mails] == [
        ("application_received", "A-000003")
    ]


def test_unanswered_deficiency_expires_after_the_last_day(lifecycle) -> None:
    project, steps = lifecycle
    assert steps["last_evening"][1]["A-000002"]["状態コード"] == "deficient"
    assert steps["last_evening"][0] == []
    mails, rows = steps["expired"]
    assert (rows["A-000002"]["状態コード"], rows["A-000002"]["判定"]) == ("expired", "期限切れ")
    assert [(m["X-Bansou-Kind"], m["X-Bansou-Ref"]) for m in mails] == [
        ("deficiency_expired", "A-000002")
    ]
    assert mails[0]["To"] == "user2@example.com"
    assert rows["A-000001"]["状態コード"] == "resubmitted"
    assert rows["A-000003"]["状態コード"] == "pending_review"
    assert len(project.emails_of("deficiency_reminder")) == 2


def test_responses_before_notify_after_are_judged_but_not_emailed(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config(mail={"notify_after": "2022-07-01 00:00"})
    project.write_registrations(
        [
            registration("2022/06/01 9:00:00", "伴走 1郎", "user1@example.com"),
            registration(
                "2022/07/02 9:00:00", "伴走 2郎", "user2@example.com", phone="090-0000-0002"
            ),
        ]
    )
    project.write_applications(
        [
            application("2022/06/20 9:00:00", **USER[1], client_initials="AA"),
            application("2022/06/21 9:00:00", **USER[1], client_initials="BB", end_time=""),
            application(
                "2022/07/03 9:00:00", **USER[2], client_initials="CC", support_date="2022/06/30"
            ),
        ]
    )
    project.once("2022-07-10 12:00")

    assert [r["伴走ネットID"] for r in project.tab("伴走者")] == ["BN-0001", "BN-0002"]
    rows = {r["申請番号"]: r for r in project.tab("申請")}
    assert [rows[n]["状態コード"] for n in sorted(rows)] == [
        "pending_review",
        "deficient",
        "pending_review",
    ]
    assert rows["A-000002"]["再回答期限"] == "2022-07-17", "the clock starts when judged"
    volunteer = [
        (m["X-Bansou-Kind"], m["X-Bansou-Ref"])
        for m in project.emails()
        if m["To"] != "jimukyoku@example.org"
    ]
    assert sorted(volunteer) == [
        ("application_received", "A-000003"),
        ("registration_confirmed", "BN-0002"),
    ]
    assert not any(re.search(r"user1@", str(m["To"])) for m in project.emails())


def printed_deadline(message) -> str:
    """The reply deadline as the deficiency email prints it, as an ISO date."""
    found = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日\(.\) まで", body(message))
    assert found, body(message)
    year, month, day = (int(part) for part in found.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def test_a_notice_that_waited_to_be_sent_prints_the_deadline_the_rule_enforces(
    tmp_path: Path,
) -> None:
    """P9's window opens when the notice leaves: one held back a day by the per-address
    limit prints send day + 7, the sheet shows that same date, and the application
    expires only when that day is over."""
    project = Project(tmp_path)
    project.write_config(mail={"per_recipient_daily_limit": 1})
    project.write_registrations(
        [registration("2022/07/01 10:00:00", "伴走 1郎", "user1@example.com")]
    )
    project.write_applications(
        [application("2022/07/01 11:30:00", **USER[1], support_date="2022/06/30", end_time="")]
    )
    project.once("2022-07-01 11:00")  # the registration's confirmation: user1's one for today
    project.once("2022-07-01 12:00")  # judged deficient; its notice waits for the address
    assert project.emails_of("application_deficient") == []
    assert project.app("A-000001")["再回答期限"] == "", "no deadline before the notice leaves"
    project.once("2022-07-02 10:59")
    assert project.emails_of("application_deficient") == []

    project.once("2022-07-02 11:30")  # a day after the confirmation: the notice leaves
    [notice] = project.emails_of("application_deficient")
    shown = project.app("A-000001")["再回答期限"]
    assert printed_deadline(notice) == shown == "2022-07-09"

    project.once("2022-07-09 23:59")
    assert project.app("A-000001")["状態コード"] == "deficient"
    project.once("2022-07-10 00:00")
    assert project.app("A-000001")["状態コード"] == "expired"
