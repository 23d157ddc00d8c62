"""New and edited application responses: client codes, resubmissions (P9), judgement."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from bansou_sync.core.answers import ApplicationFacts, Readings, client_hash, read_application
from bansou_sync.core.book import Book
from bansou_sync.core.calendar import reply_deadline, to_jst
from bansou_sync.core.categories import nationality, prefecture
from bansou_sync.core.judge import Verdict, judge
from bansou_sync.core.model import (
    MISSING,
    Application,
    AppStatus,
    Notice,
    Problem,
    RawResponse,
    Reason,
)
from bansou_sync.core.notices import FIRST_KIND, application_notice
from bansou_sync.core.policy import Policy

EDITABLE = {AppStatus.PENDING_REVIEW, AppStatus.DEFICIENT, AppStatus.INELIGIBLE}


@dataclass(frozen=True)
class ClientResolution:
    code: str | None
    reasons: list[Reason]
    issued: bool


def resolve_client(
    facts: ApplicationFacts,
    book: Book,
    key: bytes,
    policy: Policy,
    readings: Readings | None = None,
) -> ClientResolution:
    """The 相談者コード: the one quoted, or the one of the (initials, year, nationality) triple.

    A code is issued for every readable triple without a code, whatever the outcome.
    ``readings``: the plan's readers, which keep each triple's keyed hash.
    """
    if facts.client_code is not MISSING:
        if isinstance(facts.client_code, Problem):
            return ClientResolution(None, [Reason("unreadable:client_code")], False)
        if facts.client_code not in book.state.clients.values():
            return ClientResolution(None, [Reason("unknown_client")], False)
        return ClientResolution(facts.client_code, [], False)
    reasons: list[Reason] = []
    parts = {
        "client_initials": facts.initials,
        "client_birth_year": facts.birth_year,
        "client_nationality": facts.nationality,
    }
    for field, value in parts.items():
        if isinstance(value, Problem):
            reasons.append(Reason(f"{value.value}:{field}"))
    if reasons:
        return ClientResolution(None, reasons, False)
    assert not isinstance(facts.initials, Problem)
    assert not isinstance(facts.birth_year, Problem)
    assert not isinstance(facts.nationality, Problem)
    hashed = readings.client_hash if readings is not None else client_hash
    digest = hashed(key, facts.initials, facts.birth_year, facts.nationality)
    code = book.state.clients.get(digest)
    if code is not None:
        return ClientResolution(code, [], False)
    code = policy.client_ids.format(book.state.next_number("client"))
    book.state.clients[digest] = code
    return ClientResolution(code, [], True)


def find_superseded(
    facts: ApplicationFacts,
    client_code: str | None,
    submitted_at: datetime,
    book: Book,
    policy: Policy,
) -> tuple[Application | None, list[Reason]]:
    """P9: the deficient original this response supersedes, or why the quote is unreadable."""

    def in_time(original: Application) -> bool:
        deadline = reply_deadline(original.reply_clock, policy.reply_days)
        return deadline is None or to_jst(submitted_at).date() <= deadline

    def same_occasion() -> Application | None:
        if isinstance(facts.supporter_id, Problem) or not client_code:
            return None
        if isinstance(facts.support_date, Problem):
            return None
        day = facts.support_date or date.min  # the index's key for "no date" (Book)
        candidates = book.deficient_for(facts.supporter_id or "", client_code, day)
        return next((app for app in candidates if in_time(app)), None)

    quoted = facts.resubmission_of
    if not isinstance(quoted, Problem):
        original = book.state.applications.get(quoted)
        if original is not None and original.status != AppStatus.DEFICIENT:
            return None, []  # quoting a settled application: an ordinary new one
        if original is not None and in_time(original):
            own = original.supporter_id == facts.supporter_id
            unregistered = not original.supporter_id or original.supporter_id not in book.by_id
            if own or unregistered:
                return original, []
    match = same_occasion()
    if match is not None:
        return match, []
    if quoted is MISSING:
        return None, []
    return None, [Reason("unreadable:resubmission_of")]


def _verdict_fields(verdict: Verdict, now: datetime, notify: bool) -> dict[str, Any]:
    return {
        "status": verdict.status,
        "reasons": verdict.reasons,
        "minutes": verdict.minutes,
        "honorarium": verdict.honorarium,
        "found_reasons": verdict.found,
        "judged_at": now,
        "updated_at": now,
        "notice_event": "",
        "notice_sent_at": None,
        "clock_start": now if verdict.status == AppStatus.DEFICIENT and not notify else None,
        "reminded": False,
    }


def _apply_verdict(app: Application, verdict: Verdict, now: datetime, notify: bool) -> Application:
    return replace(app, **_verdict_fields(verdict, now, notify))


def admit(
    raw: RawResponse,
    book: Book,
    policy: Policy,
    key: bytes,
    now: datetime,
    readings: Readings | None = None,
) -> list[Notice]:
    """A new application response: number it, resolve the client, supersede, judge.
    ``readings``: the plan's answer readers (``answers.Readings``), or None."""
    facts = read_application(raw, policy, readings)
    client = resolve_client(facts, book, key, policy, readings)
    submitted = to_jst(raw.submitted_at)
    original, quote_reasons = find_superseded(facts, client.code, submitted, book, policy)
    effective = original.effective_submitted_at if original else submitted
    if original is not None:
        book.withdraw(original)
    verdict = judge(
        facts,
        client_code=client.code,
        client_reasons=client.reasons + quote_reasons,
        submitted_at=submitted,
        effective_at=effective,
        book=book,
        policy=policy,
    )
    if original is not None:
        book.restore(original)
    app_no = book.take_id("application", policy.application_ids, f"application|{raw.response_id}")
    notify = policy.notify_after is None or submitted >= policy.notify_after
    event = f"response:application:{raw.response_id}"
    judged = _verdict_fields(verdict, now, notify)
    if verdict.status == AppStatus.DEFICIENT and notify:
        judged["notice_event"] = event
    # one record, built once: the verdict's fields (its notice included) and the answers
    app = Application(
        app_no=app_no,
        response_id=raw.response_id,
        seq=book.state.next_number("seq"),
        submitted_at=submitted,
        last_submitted_at=to_jst(raw.last_submitted_at),
        effective_submitted_at=effective,
        resubmission_of=original.app_no if original else None,
        notify=notify,
        prefecture=_prefecture(book, facts),
        **judged,
        **_answer_fields(facts, client, policy),
    )
    if original is not None:
        book.update(original, status=AppStatus.RESUBMITTED, superseded_by=app_no, updated_at=now)
    book.put_application(app)
    if not notify:
        return []
    kind = FIRST_KIND[app.status]
    return [application_notice(kind, app, book, policy, event, client_code_issued=client.issued)]


def _value(answer: object) -> object:
    return None if isinstance(answer, Problem) else answer


def _answer_fields(
    facts: ApplicationFacts, client: ClientResolution, policy: Policy
) -> dict[str, Any]:
    """The record's copy of the answers (None where unreadable); the same for new and edited.

    The client's nationality is kept only as its published label (``core/categories``:
    a configured nationality or region, その他, 不明), never as typed: the answer itself
    lives only inside the keyed hash of the client's identity (SPEC §3).
    """
    return {
        "supporter_id": _value(facts.supporter_id),
        "name": facts.name,
        "email": _value(facts.email),
        "companion_id": _value(facts.companion_id),
        "client_code": client.code,
        "support_date": _value(facts.support_date),
        "topics": facts.topics,
        "destinations": facts.destinations,
        "outcomes": facts.outcomes,
        "nationality": nationality(_value(facts.nationality) or "", policy.nationalities),
        "narrative": facts.narrative,
        "start_time": _clock(facts.start),
        "end_time": _clock(facts.end),
    }


def _clock(value: time | Problem) -> str:
    """A time as the record keeps it, ``HH:MM`` (``strftime("%H:%M")``, without its cost)."""
    return "" if isinstance(value, Problem) else f"{value.hour:02d}:{value.minute:02d}"


def _prefecture(book: Book, facts: ApplicationFacts) -> str:
    """The supporter's 活動地域 as one of the 47 prefectures (or その他 / 不明), for the
    counts: an address typed there stays on the 伴走者 row for staff, never goes further."""
    if isinstance(facts.supporter_id, Problem):
        return ""
    reg = book.by_id.get(facts.supporter_id)
    return prefecture(reg.prefecture) if reg else ""


def edit(
    raw: RawResponse,
    app: Application,
    book: Book,
    policy: Policy,
    key: bytes,
    now: datetime,
    readings: Readings | None = None,
) -> tuple[list[Notice], str | None]:
    """An edited response (Forms API): judged again if still open, else only reported."""
    if app.status not in EDITABLE:
        return [], f"{app.app_no}: 編集された回答({app.status.value})は再判定しません"
    facts = read_application(raw, policy, readings)
    client = resolve_client(facts, book, key, policy, readings)
    book.withdraw(app)
    verdict = judge(
        facts,
        client_code=client.code,
        client_reasons=client.reasons,
        submitted_at=to_jst(raw.submitted_at),
        effective_at=app.effective_submitted_at,
        book=book,
        policy=policy,
    )
    book.restore(app)
    changed = (verdict.status, verdict.reasons) != (app.status, app.reasons)
    updated = replace(
        app,
        last_submitted_at=to_jst(raw.last_submitted_at),
        **_answer_fields(facts, client, policy),
    )
    if not changed:
        book.put_application(
            replace(
                updated,
                minutes=verdict.minutes,
                honorarium=verdict.honorarium,
                found_reasons=verdict.found,
            )
        )
        return [], None
    revision = app.revision + 1
    updated = _apply_verdict(replace(updated, revision=revision), verdict, now, app.notify)
    event = f"edit:{app.app_no}:{revision}"
    if updated.status == AppStatus.DEFICIENT and app.notify:
        updated = replace(updated, notice_event=event)
    book.put_application(updated)
    if not app.notify:
        return [], None
    kind = FIRST_KIND[updated.status]
    return [
        application_notice(kind, updated, book, policy, event, client_code_issued=client.issued)
    ], None
