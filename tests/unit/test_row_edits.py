"""A source without edit times (CSV export, linked Sheet) marks each response with a
digest of its answers: the same 回答ID with other answers is an edit (issue 10 §3)."""

from __future__ import annotations

from dataclasses import replace

from builders import app, kinds, members

from bansou_sync.adapters.form_rows import fingerprint
from bansou_sync.core.model import AppStatus, RawResponse


def from_rows(raw: RawResponse, **answers: str) -> RawResponse:
    """``raw`` as a CSV row gives it: same 回答ID and time, digest of its answers."""
    given = {**raw.answers, **answers}
    text = {k: v if isinstance(v, str) else ", ".join(v) for k, v in given.items()}
    return replace(raw, answers=given, fingerprint=fingerprint(text))


def test_a_row_whose_answers_change_under_the_same_id_is_judged_again() -> None:
    office = members(1)
    first = from_rows(app("2022-06-02 10:00", "BN-0001", "2022-06-01", end=""))
    office.applications = [first]
    office.cycle("2022-06-10 12:00")
    assert office.a("A-000001").status == AppStatus.DEFICIENT

    office.applications = [from_rows(first, end_time="12:00")]
    plan = office.cycle("2022-06-11 12:00")

    assert office.a("A-000001").status == AppStatus.PENDING_REVIEW
    assert [k for k in kinds(plan.notices) if k != "staff_digest"] == ["application_received"]
    assert plan.new_applications == 0
    assert office.cycle("2022-06-11 12:10").notices == []


def test_a_mark_kept_before_digests_is_taken_as_unchanged_and_gets_the_digest() -> None:
    office = members(1)
    row = from_rows(app("2022-06-02 10:00", "BN-0001", "2022-06-01"))
    office.applications = [row]
    office.cycle("2022-06-10 12:00")
    key = f"application|{row.response_id}"
    office.state.seen[key] = row.last_submitted_at.isoformat()  # an older ledger's mark

    plan = office.cycle("2022-06-10 12:10")

    assert plan.notices == [] and plan.new_applications == 0
    assert office.state.seen[key].endswith(row.fingerprint)
    office.applications = [from_rows(row, end_time="10:30")]  # and now an edit is seen
    office.cycle("2022-06-10 12:20")
    assert office.a("A-000001").status == AppStatus.INELIGIBLE


def test_a_blank_answer_added_to_a_row_changes_no_digest() -> None:
    answers = {"name": "伴走 太郎", "support_date": "2022/06/01"}
    assert fingerprint(answers) == fingerprint({**answers, "outcomes": ""})
    assert fingerprint(answers) != fingerprint({**answers, "name": "伴走 次郎"})


def test_an_answer_cut_to_the_limit_is_flagged_for_staff_naming_the_application() -> None:
    office = members(1)
    row = replace(
        app("2022-06-02 10:00", "BN-0001", "2022-06-01", narrative="長い…[以下省略 / truncated]"),
        cut=("narrative",),
    )
    office.applications = [row]

    plan = office.cycle("2022-06-10 12:00")

    [problem] = [p for p in plan.problems if "narrative" in p]
    assert "A-000001" in problem and row.response_id in problem and "2022-06-02 10:00" in problem
    assert "長い" not in problem  # names the row, never the answer
    [digest] = [n for n in plan.notices if n.kind == "staff_digest"]  # and in the digest
    assert "A-000001" in str(digest.context)
