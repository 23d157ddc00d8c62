"""Courses and events through the real CLI on the embedded default (issue 6 §1):
sign-up CSV exports → the event tabs, the .eml files, staff ticks, the survey counts."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from bansou_sync.app.events import SIGNUP_TITLES, SURVEY_TITLES

from .conftest import Project, body

COURSE_TAB = "講座_course-2022-08"
SOUDAN_TAB = "相談会_soudan-2022-09"
ROOT = Path(__file__).resolve().parents[2]

EVENTS: list[dict[str, Any]] = [
    {
        "id": "course-2022-08",
        "kind": "course",
        "title": "第1回 伴走支援講座",
        "starts_at": "2022-08-20 13:30",
        "place": "オンライン",
        "capacity": 2,
        "signup": {"csv": "course.csv"},
        "survey": {"csv": "survey.csv"},
    },
    {
        "id": "soudan-2022-09",
        "kind": "consultation",
        "title": "課題別相談会",
        "starts_at": "2022-09-10 10:00",
        "capacity": 1,
        "signup": {"csv": "soudan.csv"},
    },
]


def export(path: Path, titles: Mapping[str, str], rows: Iterable[Mapping[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["タイムスタンプ", *titles.values()])
    for row in rows:
        writer.writerow([row["timestamp"], *(row.get(f, "") for f in titles)])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def signup(timestamp: str, supporter_id: str, name: str, email: str, **more: str) -> dict[str, str]:
    return {
        "timestamp": timestamp,
        "action": "申し込む",
        "supporter_id": supporter_id,
        "name": name,
        "email": email,
        "consent": "同意します",
        **more,
    }


def ref_kinds(project: Project) -> list[tuple[str, str, str]]:
    return sorted(
        (str(m["X-Bansou-Kind"]), str(m["X-Bansou-Ref"]), str(m["To"]))
        for m in project.new_volunteer_emails()
        if str(m["X-Bansou-Kind"]).startswith("event_")
    )


def statuses(project: Project, tab: str) -> dict[str, str]:
    return {r["受付番号"]: r["状態コード"] for r in project.tab(tab)}


def setup(project: Project) -> None:
    project.write_config(events=EVENTS)
    project.register(4)
    export(
        project.root / "course.csv",
        SIGNUP_TITLES,
        [
            signup("2022/07/20 10:00:00", "BN-0001", "伴走 1郎", ""),
            signup("2022/07/20 11:00:00", "ｂｎ２", "伴走 2郎", ""),  # typed in full width
            signup("2022/07/20 12:00:00", "BN-0003", "伴走 3郎", ""),
            signup("2022/07/20 13:00:00", "BN-0077", "未登録 太郎", "mitouroku@example.jp"),
        ],
    )
    export(
        project.root / "soudan.csv",
        SIGNUP_TITLES,
        [
            signup("2022/08/25 10:00:00", "", '=HYPERLINK("http://x")', "guest1@example.org"),
            signup("2022/08/25 11:00:00", "", "相談 花子", "guest2@example.org"),
        ],
    )
    export(project.root / "survey.csv", SURVEY_TITLES, [])


def test_sign_ups_get_seats_in_order_a_waiting_list_and_clear_refusals(project: Project) -> None:
    setup(project)
    project.once("2022-08-01 12:00")

    assert statuses(project, COURSE_TAB) == {
        "course-2022-08/001": "confirmed",
        "course-2022-08/002": "confirmed",
        "course-2022-08/003": "waitlisted",
        "course-2022-08/004": "refused",
    }
    refused = project.row(COURSE_TAB, "受付番号", "course-2022-08/004")
    assert refused["理由"] == "unknown_supporter: この伴走ネットIDは登録されていません"
    assert refused["状態"] == "受付不可"
    assert project.row(COURSE_TAB, "受付番号", "course-2022-08/003")["待ち順"] == "1"
    # the 相談会 sign-ups are not there yet on 08-01 (--now replays)
    assert project.tab(SOUDAN_TAB) == []
    assert ref_kinds(project) == [
        ("event_confirmed", "course-2022-08/001", "user1@example.com"),  # registered address
        ("event_confirmed", "course-2022-08/002", "user2@example.com"),
        ("event_refused", "course-2022-08/004", "mitouroku@example.jp"),
        ("event_waitlisted", "course-2022-08/003", "user3@example.com"),
    ]
    waitlisted = project.emails_of("event_waitlisted")[0]
    assert "キャンセル待ちの順番: 1番目" in body(waitlisted)
    assert "第1回 伴走支援講座" in body(waitlisted)
    refusal = body(project.emails_of("event_refused")[0])
    assert "この伴走ネットIDは登録されていません" in refusal
    mails = {r["Message-ID"]: r for r in project.tab("メール")}
    assert {m["Message-ID"] for m in project.emails()} <= set(mails)
    assert {r["種別"] for r in mails.values()} >= {"event_confirmed", "event_waitlisted"}


def test_a_staff_cancellation_moves_the_next_one_up_once_and_reminders_go_the_day_before(
    project: Project,
) -> None:
    setup(project)
    project.once("2022-08-01 12:00")
    project.new_emails()
    project.edit(COURSE_TAB, "受付番号", "course-2022-08/001", キャンセル="TRUE")
    project.once("2022-08-02 12:00")
    assert statuses(project, COURSE_TAB)["course-2022-08/001"] == "cancelled"
    assert statuses(project, COURSE_TAB)["course-2022-08/003"] == "confirmed"
    # the staff tick stays in the sheet
    assert project.row(COURSE_TAB, "受付番号", "course-2022-08/001")["キャンセル"] == "TRUE"
    assert ref_kinds(project) == [
        ("event_cancelled", "course-2022-08/001", "user1@example.com"),
        ("event_moved_up", "course-2022-08/003", "user3@example.com"),
    ]
    project.once("2022-08-02 13:00")
    assert ref_kinds(project) == []  # nothing is sent twice

    project.once("2022-08-19 08:59")
    assert ref_kinds(project) == []
    project.once("2022-08-19 09:00")
    assert ref_kinds(project) == [
        ("event_reminder", "course-2022-08/002", "user2@example.com"),
        ("event_reminder", "course-2022-08/003", "user3@example.com"),
    ]
    project.once("2022-08-19 18:00")
    assert ref_kinds(project) == []


def test_an_open_event_takes_sign_ups_without_an_id_and_a_form_cancel_frees_the_seat(
    project: Project,
) -> None:
    setup(project)
    project.once("2022-08-26 12:00")
    first = project.row(SOUDAN_TAB, "受付番号", "soudan-2022-09/001")
    assert first["状態コード"] == "confirmed"
    # a typed formula is shown as text, never run (SPEC §5 formula guard)
    raw = project.tab_raw(SOUDAN_TAB).decode("utf-8-sig")
    assert "'=HYPERLINK" in raw
    assert statuses(project, SOUDAN_TAB)["soudan-2022-09/002"] == "waitlisted"
    rows = [
        signup("2022/08/25 10:00:00", "", '=HYPERLINK("http://x")', "guest1@example.org"),
        signup("2022/08/25 11:00:00", "", "相談 花子", "guest2@example.org"),
        signup("2022/08/27 09:00:00", "", "", "GUEST1@example.org ", action="キャンセルする"),
    ]
    export(project.root / "soudan.csv", SIGNUP_TITLES, rows)
    project.new_emails()
    project.once("2022-08-28 12:00")
    assert statuses(project, SOUDAN_TAB) == {
        "soudan-2022-09/001": "cancelled",
        "soudan-2022-09/002": "confirmed",
        "soudan-2022-09/003": "cancel_request",
    }
    assert ref_kinds(project) == [
        ("event_cancelled", "soudan-2022-09/001", "guest1@example.org"),
        ("event_moved_up", "soudan-2022-09/002", "guest2@example.org"),
    ]


def test_the_survey_is_published_only_as_counts_linked_to_seats(project: Project) -> None:
    setup(project)
    project.once("2022-08-01 12:00")
    answers = [
        {"timestamp": "2022/08/20 17:00:00", "supporter_id": "BN-0001", "satisfaction": "満足"},
        {"timestamp": "2022/08/20 17:05:00", "supporter_id": "BN-0002", "satisfaction": "不満"},
        {"timestamp": "2022/08/20 17:09:00", "supporter_id": "", "satisfaction": "満足"},
    ]
    for row in answers:
        row["comments"] = "伴走 1郎です。とても良い講座でした"
    export(project.root / "survey.csv", SURVEY_TITLES, answers)
    project.edit(COURSE_TAB, "受付番号", "course-2022-08/001", 出席="○")
    project.once("2022-08-21 12:00")
    table = {(r["区分"], r["項目"]): r["件数"] for r in project.tab("アンケート")}
    assert table[("概要", "参加確定")] == "2"
    assert table[("概要", "出席")] == "1"
    assert table[("概要", "回答数")] == "2"
    assert table[("概要", "紐付けできない回答")] == "1"
    # two answers: no count of an option is published (every cell is below min_cell)
    satisfaction = {item: n for (section, item), n in table.items() if section == "講座の満足度"}
    assert set(satisfaction) == {"とても満足", "満足", "ふつう", "不満", "その他", "未回答"}
    assert not any(n.isdigit() and n != "0" for n in satisfaction.values())
    assert satisfaction["満足"] in ("<5", "秘匿")
    published = project.tab_raw("アンケート").decode("utf-8-sig")
    for secret in ("伴走 1郎", "BN-0001", "良い講座"):
        assert secret not in published


def test_a_bad_event_configuration_is_one_line_per_key(project: Project) -> None:
    broken = [{**EVENTS[0], "capacity": 0, "id": "Course 1"}, {**EVENTS[1], "signup": {}}]
    project.write_config(events=broken)
    result = project.cli("check-config", "--config", str(project.config_path), check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    out = result.stdout + result.stderr
    assert "events[0].capacity" in out
    assert "events[0].id" in out
    assert "events[1].signup.csv" in out


def documented_events() -> list[dict[str, Any]]:
    """The commented ``events:`` example of config.example.yaml, uncommented."""
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    block = text.split("\n# events:\n", 1)[1]
    lines = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    events: list[dict[str, Any]] = yaml.safe_load("\n".join(lines))
    for event in events:  # the example's paths are relative to the repository
        for form in ("signup", "survey"):
            if form in event:
                event[form]["csv"] = str(ROOT / event[form]["csv"])
    return events


def test_the_documented_example_runs_the_reference_course_and_soudan(project: Project) -> None:
    reference = ROOT / "reference"
    project.write_config(
        source={
            "registrations": str(reference / "registrations.csv"),
            "applications": str(reference / "applications.csv"),
        },
        events=documented_events(),
    )
    project.once("2022-08-01 12:00")
    course = Counter(statuses(project, "講座_course-2022-08").values())
    assert course == {"confirmed": 20, "waitlisted": 2, "refused": 1}
    refused = [r for r in project.tab("講座_course-2022-08") if r["状態コード"] == "refused"]
    assert refused[0]["理由"].startswith("unknown_supporter")  # BN-0999, and no email
    # the ID typed as "ｂｎ１７"-style full width was read as a canonical ID
    assert all(
        r["伴走ネットID"].startswith("BN-")
        for r in project.tab("講座_course-2022-08")
        if r["状態コード"] == "confirmed"
    )
    project.new_emails()

    project.once("2022-08-14 12:00")  # a cancellation on the form came in on 08-13
    course = Counter(statuses(project, "講座_course-2022-08").values())
    assert course == {
        "confirmed": 20,
        "waitlisted": 1,
        "refused": 2,  # + the sign-up without an ID
        "cancelled": 1,
        "cancel_request": 1,
    }
    assert [k for k, _, _ in ref_kinds(project)] == [
        "event_cancelled",
        "event_moved_up",
        "event_refused",
    ]

    project.once("2022-09-05 12:00")
    soudan = Counter(statuses(project, "相談会_soudan-2022-09").values())
    assert soudan == {"confirmed": 10, "waitlisted": 2}
    project.new_emails()
    project.once("2022-09-09 12:00")
    reminders = [k for k, ref, _ in ref_kinds(project) if k == "event_reminder"]
    assert len(reminders) == 10

    survey = {(r["区分"], r["項目"]): r["件数"] for r in project.tab("アンケート")}
    assert survey[("概要", "回答数")] == "16"
    assert survey[("概要", "紐付けできない回答")] == "1"
    for (section, _), count in survey.items():
        if section != "概要" and count.isdigit():
            assert int(count) == 0 or int(count) >= 5


def test_a_lost_ledger_is_rebuilt_and_no_event_email_goes_twice(project: Project) -> None:
    setup(project)
    project.once("2022-08-01 12:00")
    project.edit(COURSE_TAB, "受付番号", "course-2022-08/001", キャンセル="TRUE")
    project.once("2022-08-02 12:00")
    before = statuses(project, COURSE_TAB)
    assert before["course-2022-08/003"] == "confirmed"  # moved up
    project.new_emails()

    for path in project.ledger_path.parent.glob("ledger.sqlite3*"):
        path.unlink()
    project.once("2022-08-02 13:00")
    assert statuses(project, COURSE_TAB) == before
    assert ref_kinds(project) == []


def test_an_unreadable_event_form_is_reported_and_holds_up_nothing_else(project: Project) -> None:
    setup(project)
    (project.root / "course.csv").unlink()
    project.add_applications()  # the programme's own forms are fine
    result = project.once("2022-08-26 12:00")
    assert "course.csv" in result.stdout + result.stderr
    sync = project.tab("同期")[0]
    assert "講座_course-2022-08" in sync["エラー"]
    assert not project.tab_path(COURSE_TAB).exists()  # never taken for "no sign-ups"
    assert statuses(project, SOUDAN_TAB)["soudan-2022-09/001"] == "confirmed"
    assert [r["伴走ネットID"] for r in project.tab("伴走者")] == [
        f"BN-{n:04d}" for n in (1, 2, 3, 4)
    ]


def test_sign_ups_first_read_after_the_start_are_told_the_period_was_over_and_staff_see_them(
    project: Project,
) -> None:
    """The daemon was stopped over the course's start (issue 13 §5): the sign-ups sent
    before it and read after it get no seat and no waiting-list promise; the tab and the
    next digest show them."""
    setup(project)
    project.once("2022-08-20 14:00")
    assert statuses(project, COURSE_TAB) == {
        "course-2022-08/001": "closed",
        "course-2022-08/002": "closed",
        "course-2022-08/003": "closed",
        "course-2022-08/004": "refused",  # an unknown ID stays a refusal with its reason
    }
    row = project.row(COURSE_TAB, "受付番号", "course-2022-08/001")
    assert row["状態"] == "受付終了"
    assert row["理由"].startswith("read_after_start: ")
    assert row["待ち順"] == ""
    assert [k for k, _, _ in ref_kinds(project)] == [
        "event_closed",
        "event_closed",
        "event_closed",
        "event_refused",
    ]
    closed = body(project.emails_of("event_closed")[0])
    assert "開始時刻を過ぎてから" in closed
    assert "キャンセル待ちにもなっておりません" in closed
    assert "定員に達している" not in closed
    assert not project.emails_of("event_waitlisted")

    project.once("2022-08-21 09:00")
    (digest,) = [m for m in project.new_emails() if m["X-Bansou-Kind"] == "staff_digest"]
    text = body(digest)
    assert "開始後に受付処理した申込 3件" in text
    assert "講座_course-2022-08: course-2022-08/002 (BN-0002) read_after_start" in text
    assert "伴走 2郎" not in text
    project.once("2022-08-21 10:00")
    assert ref_kinds(project) == []  # told once


def test_a_ledger_lost_after_the_start_is_rebuilt_without_telling_anyone_the_period_was_over(
    project: Project,
) -> None:
    setup(project)
    project.once("2022-08-01 12:00")
    before = statuses(project, COURSE_TAB)
    project.new_emails()
    for path in project.ledger_path.parent.glob("ledger.sqlite3*"):
        path.unlink()
    project.once("2022-08-20 14:00")
    assert statuses(project, COURSE_TAB) == before
    assert ref_kinds(project) == []
