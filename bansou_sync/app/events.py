"""The cycle's hook for courses and events (issue 6 §1): fetch, plan, record, project.

``run_once`` calls ``run_events`` once per cycle, after its own transaction and before
mail is delivered, so the event emails leave with the cycle's others. Each configured
event's sign-up form (and survey form) is read through the source the shell built (``bootstrap.make_events``); ``core.events``
decides; the sign-ups and their queued emails are written in one ledger transaction
(table ``event_signups``, migration 4); the rows for the event tabs and the アンケート
tab are returned for the cycle's sheet write. With no ``events:`` configured it does
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bansou_sync.app.outbox import to_items
from bansou_sync.app.render import message_id
from bansou_sync.core import normalize as n
from bansou_sync.core.book import Book
from bansou_sync.core.calendar import to_jst
from bansou_sync.core.event_model import (
    CANCEL_ANSWERS,
    EMAIL_KINDS,
    Answers,
    EventSpec,
    Signup,
    Supporter,
    reason_text,
)
from bansou_sync.core.event_survey import SURVEY_QUESTIONS, SURVEY_TAB, SurveyAnswer, survey_rows
from bansou_sync.core.event_tabs import event_rows, read_ticks
from bansou_sync.core.events import event_key, late_signups, plan_event
from bansou_sync.core.form_questions import CONSENT_TITLE
from bansou_sync.core.ids import IdPattern
from bansou_sync.core.model import Notice, Problem, RawResponse, RegistrationStatus
from bansou_sync.core.state import State
from bansou_sync.errors import SourceUnavailable
from bansou_sync.ports import Ledger, ResponseSource, TabRows

log = logging.getLogger(__name__)

# the reference sign-up and survey forms (reference/forms/event_*.form.json)
SIGNUP_TITLES = {
    "action": "申込区分",
    "supporter_id": "伴走ネットID",
    "name": "氏名",
    "email": "メールアドレス",
    "consent": CONSENT_TITLE,
}
SURVEY_TITLES = {
    "supporter_id": "伴走ネットID",
    **{name: title for name, (title, _) in SURVEY_QUESTIONS.items()},
    "comments": "ご意見・ご感想",  # read by no one here: free text is never published
}


@dataclass(frozen=True)
class EventServices:
    specs: tuple[EventSpec, ...]
    source: ResponseSource
    surveys: frozenset[str]  # IDs of the events with a survey form
    supporter_ids: IdPattern
    min_cell: int


def signup_form(event_id: str) -> str:
    return f"event:{event_id}"


def survey_form(event_id: str) -> str:
    return f"survey:{event_id}"


def run_events(
    events: EventServices | None,
    ledger: Ledger,
    state: State,
    tab_rows: Mapping[str, Sequence[Mapping[str, str]]],
    mail_domain: str,
    now: datetime,
    *,
    dry_run: bool = False,
    problems: list[str] | None = None,
    closed: list[str] | None = None,
) -> list[TabRows]:
    """One cycle of every configured event; returns the rows of their tabs.

    A form that cannot be read is never taken for "no sign-ups": that event (or the
    アンケート tab) is left as it is this cycle and the problem is appended to
    ``problems`` (shown in 同期), so one unshared course form does not hold up the
    programme's own mail. Sign-ups closed this cycle because their event had begun are
    appended to ``closed`` (受付番号 and ID, for the staff digest)."""
    if events is None or not events.specs:
        return []
    problems = [] if problems is None else problems
    supporters = _supporters(state)
    stored = ledger.event_signups()
    tabs: list[TabRows] = []
    survey: list[list[str | int]] | None = [] if events.surveys else None
    changed: list[Signup] = []
    notices: list[Notice] = []
    for spec in events.specs:
        known = stored.get(spec.event_id, {})
        responses = _fetch(events.source, signup_form(spec.event_id), spec, problems)
        if responses is None:
            survey = None if spec.event_id in events.surveys else survey
            continue
        new = [  # responses from after ``now`` are not there yet (replays with --now)
            _answers(r, events.supporter_ids)
            for r in responses
            if r.response_id not in known and r.submitted_at <= now
        ]
        ticks = read_ticks(tab_rows.get(spec.tab_name, ()), spec.tab_name)
        problems += ticks.problems
        sent = _already_sent(ledger, spec.event_id, [a.response_id for a in new], mail_domain)
        plan = plan_event(spec, known, new, supporters, ticks.cancelled, now, sent)
        changed += [s for rid, s in plan.signups.items() if known.get(rid) != s]
        if closed is not None:
            closed += [closed_line(spec, s) for s in late_signups(plan.signups, known)]
        notices += plan.notices
        tabs.append(TabRows(spec.tab_name, event_rows(plan.signups)))
        if spec.event_id not in events.surveys or survey is None:
            continue
        replies = _fetch(events.source, survey_form(spec.event_id), spec, problems)
        if replies is None:
            survey = None
            continue
        answers = [
            _survey_answer(r, events.supporter_ids) for r in replies if r.submitted_at <= now
        ]
        survey += survey_rows(
            spec.event_id, plan.signups.values(), ticks.attended, answers, events.min_cell
        )
    if survey is not None:
        tabs.append(TabRows(SURVEY_TAB, survey))
    items = to_items(notices, mail_domain, now)
    with ledger.transaction(commit=not dry_run):
        ledger.save_event_signups(changed)
        ledger.enqueue(items)
    log.info("events: %d sign-ups changed, %d notices", len(changed), len(items))
    return tabs


def closed_line(spec: EventSpec, signup: Signup) -> str:
    who = f" ({signup.supporter_id})" if signup.supporter_id else ""
    return f"{spec.tab_name}: {signup.receipt}{who} {reason_text(signup.reasons[0])}"


def _fetch(
    source: ResponseSource, form: str, spec: EventSpec, problems: list[str]
) -> list[RawResponse] | None:
    try:
        return source.fetch(form)
    except SourceUnavailable as exc:
        what = "アンケート" if form.startswith("survey:") else "申込フォーム"
        log.warning("event %s: %s unreadable", spec.event_id, form)
        problems.append(
            f"{spec.tab_name}: {what}を読めないため、この行事は今回更新していません / "
            f"{form} could not be read, left unchanged this cycle: {exc}"
        )
        return None


def _already_sent(
    ledger: Ledger, event_id: str, response_ids: Sequence[str], domain: str
) -> dict[str, tuple[str, ...]]:
    """For responses the ledger has no sign-up for: the event emails the outbox (or, after a
    rebuild, its markers from the メール tab) already holds, by their Message-IDs."""
    wanted = {
        message_id(kind, event_key(event_id, rid), domain): (rid, kind)
        for rid in response_ids
        for kind in EMAIL_KINDS
    }
    held = ledger.queued(wanted)  # only these IDs: the outbox grows forever
    found: dict[str, tuple[str, ...]] = {}
    for mid in sorted(held, key=lambda m: EMAIL_KINDS.index(wanted[m][1])):
        rid, kind = wanted[mid]
        found[rid] = (*found.get(rid, ()), kind)
    return found


def _supporters(state: State) -> dict[str, Supporter]:
    book = Book(state)
    return {
        reg.supporter_id: Supporter(
            active=reg.status is RegistrationStatus.ACTIVE,
            contact_email=book.contact_email(reg.supporter_id) or "",
            name=reg.name,
        )
        for reg in state.registrations.values()
        if reg.supporter_id
    }


def _answers(response: RawResponse, ids: IdPattern) -> Answers:
    supporter = ids.parse(response.text("supporter_id"))
    email = n.read_email(response.text("email"))
    action = n.fold(response.text("action")).casefold()
    return Answers(
        response_id=response.response_id,
        submitted_at=to_jst(response.submitted_at),
        supporter_id="" if isinstance(supporter, Problem) else supporter,
        id_problem=supporter.value if isinstance(supporter, Problem) else "",
        name=n.clean_text(response.text("name")),
        email="" if isinstance(email, Problem) else email,
        email_problem=email.value if isinstance(email, Problem) else "",
        consent=n.read_consent(response.text("consent")),
        cancel=action in {a.casefold() for a in CANCEL_ANSWERS},
    )


def _survey_answer(response: RawResponse, ids: IdPattern) -> SurveyAnswer:
    supporter = ids.parse(response.text("supporter_id"))
    return SurveyAnswer(
        response_id=response.response_id,
        submitted_at=to_jst(response.submitted_at),
        supporter_id="" if isinstance(supporter, Problem) else supporter,
        choices={name: n.fold(response.text(name)) for name in SURVEY_QUESTIONS},
    )
