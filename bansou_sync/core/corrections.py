"""Corrections staff make in the status sheet (issue 13 §1), each re-judging the
applications it touches deterministically and kept with the value it replaced.

* 会員区分(確認) on 伴走者: staff confirm 会員 / 会員の紹介 / 非会員 (a member who ticked the
  wrong answer otherwise has every application refused by P6). The registration's
  membership becomes the confirmed one, and each of the supporter's applications still
  open (審査待ち, 不備, 対象外) is judged again on P6 alone.
* 開始時刻(訂正) / 終了時刻(訂正) / 謝金額(訂正) on 申請, with 訂正理由 required: for what
  the volunteer sent by email. Times re-judge the time rules (P3, time order, the
  honorarium P10) of an open application, and change the duration and honorarium of an
  accepted one; an amount replaces the honorarium of one 審査待ち or 受付完了. Without a
  reason nothing is applied and 同期 says why. A correction acts once: the cells as last
  read are kept, and only a change is a new correction.

A re-judgement that changes an open application's outcome emails the volunteer as an
edited response does (SPEC §4 "Edits"); other corrections are silent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bansou_sync.core import normalize as n
from bansou_sync.core.book import Book
from bansou_sync.core.judge import classify
from bansou_sync.core.model import (
    Application,
    AppStatus,
    Correction,
    Notice,
    Problem,
    Reason,
    Registration,
)
from bansou_sync.core.money import honorarium, minutes_between
from bansou_sync.core.notices import FIRST_KIND, application_notice
from bansou_sync.core.policy import Policy
from bansou_sync.core.registrations import MEMBER, MEMBERSHIPS, REFERRED, may_apply
from bansou_sync.core.tabs import (
    AMOUNT_FIX,
    END_FIX,
    FIX_REASON,
    MEMBERSHIP_CHECK,
    MEMBERSHIP_CHOICES,
    START_FIX,
)
from bansou_sync.core.untrusted import one_line

OPEN = {AppStatus.PENDING_REVIEW, AppStatus.DEFICIENT, AppStatus.INELIGIBLE}
TIMES_FIXABLE = OPEN | {AppStatus.ACCEPTED}
AMOUNT_FIXABLE = {AppStatus.PENDING_REVIEW, AppStatus.ACCEPTED}
TIME_CODES = {
    "missing:start_time",
    "missing:end_time",
    "unreadable:start_time",
    "unreadable:end_time",
    "time_order",
    "too_short",
}
# 会員区分(確認) → the registration form's answer (SPEC §3)
CONFIRMED = {"会員": MEMBER, "会員の紹介": REFERRED, "非会員": MEMBERSHIPS[2]}


def read_membership_check(raw: str) -> str | None:
    """The confirmed membership typed, or None when it is none of the three."""
    text = n.fold(raw)
    return text if text in MEMBERSHIP_CHOICES else None


def membership_unread(supporter_id: str, raw: str) -> str:
    return (
        f"伴走者 {supporter_id}: {MEMBERSHIP_CHECK}の「{one_line(raw)[:12]}」は"
        f"{' / '.join(MEMBERSHIP_CHOICES)} のどれでもないため反映していません"
        f" / {MEMBERSHIP_CHECK} is not one of {', '.join(MEMBERSHIP_CHOICES)}; not applied"
    )


def confirm_membership(
    reg: Registration, confirmed: str, book: Book, policy: Policy, now: datetime
) -> list[Notice]:
    """Staff confirmed the membership: recorded with the previous answer, and the
    supporter's open applications judged again on P6."""
    value = CONFIRMED[confirmed]
    fix = Correction(MEMBERSHIP_CHECK, reg.membership, value, "スタッフ確認", now)
    fixed = replace(
        reg,
        membership=value,
        # a member's introduction confirmed by staff counts without the referrer's name
        referrer=reg.referrer or ("(スタッフ確認)" if value == REFERRED else ""),
        corrections=(*reg.corrections, fix),
    )
    book.put_registration(fixed)
    notices: list[Notice] = []
    allowed = may_apply(fixed)
    for app in sorted(book.state.applications.values(), key=lambda a: a.seq):
        if app.supporter_id != reg.supporter_id or app.status not in OPEN:
            continue
        found = [r for r in _found(app) if r.code != "not_member_or_referred"]
        if not allowed:
            found.append(Reason("not_member_or_referred"))
        notices += _rejudge(app, found, app.minutes, book, policy, now)
    return notices


def _found(app: Application) -> tuple[Reason, ...]:
    # a record judged before found_reasons was kept: its reasons are all there is
    return app.found_reasons or app.reasons


def _rejudge(
    app: Application,
    found: Iterable[Reason],
    minutes: int | None,
    book: Book,
    policy: Policy,
    now: datetime,
    **changes: Any,
) -> list[Notice]:
    """Judge an open application again from its reasons; email only a changed outcome."""
    amount = honorarium(minutes, policy)
    book.withdraw(app)
    verdict = classify(list(found), minutes, amount, book, policy)
    book.restore(app)
    fields: dict[str, Any] = {
        "minutes": minutes,
        "honorarium": amount,
        "found_reasons": verdict.found,
        "updated_at": now,
        **changes,
    }
    if (verdict.status, verdict.reasons) == (app.status, app.reasons):
        book.put_application(replace(app, **fields))
        return []
    revision = app.revision + 1
    event = f"correction:{app.app_no}:{revision}"
    fields |= {
        "status": verdict.status,
        "reasons": verdict.reasons,
        "revision": revision,
        "judged_at": now,
        "notice_event": event if verdict.status == AppStatus.DEFICIENT and app.notify else "",
        "notice_sent_at": None,
        "clock_start": now if verdict.status == AppStatus.DEFICIENT and not app.notify else None,
        "reminded": False,
    }
    fixed = replace(app, **fields)
    book.put_application(fixed)
    if not app.notify:
        return []
    return [application_notice(FIRST_KIND[fixed.status], fixed, book, policy, event)]


def seen_of(cells: tuple[str, str, str, str]) -> str:
    """The correction cells as one text, to act once on what was typed."""
    return "\x1f".join(n.fold(c) for c in cells) if any(c.strip() for c in cells) else ""


def correct_application(
    app: Application,
    cells: tuple[str, str, str, str],
    book: Book,
    policy: Policy,
    now: datetime,
) -> tuple[list[Notice], list[str]]:
    """Apply the corrections typed on a 申請 row (start, end, amount, reason): the
    notices, and the 同期 lines for what was not applied."""
    start_raw, end_raw, amount_raw, reason_raw = cells
    seen = seen_of(cells)
    book.put_application(replace(app, correction_seen=seen))
    app = book.state.applications[app.app_no]
    if not seen:
        return [], []
    label = f"申請 {app.app_no}"
    reason = n.clean_text(reason_raw)
    if not any(c.strip() for c in cells[:3]):
        return [], []  # a reason alone corrects nothing
    if not reason:
        return [], [
            f"{label}: {FIX_REASON}が空欄のため、訂正を反映していません。理由を書いてください"
            f" / the correction has no {FIX_REASON} (reason); not applied"
        ]
    problems: list[str] = []
    start = n.read_time(start_raw) if start_raw.strip() else None
    end = n.read_time(end_raw) if end_raw.strip() else None
    amount = _read_yen(amount_raw) if amount_raw.strip() else None
    for column, value in ((START_FIX, start), (END_FIX, end)):
        if isinstance(value, Problem):
            problems.append(f"{label}: {column}を時刻として読めません。反映していません")
    if amount == -1:
        problems.append(f"{label}: {AMOUNT_FIX}を金額(円)として読めません。反映していません")
    if problems:
        return [], problems
    times = start is not None or end is not None
    if times and app.status not in TIMES_FIXABLE:
        return [], [_not_now(label, "時刻", app)]
    if amount is not None and app.status not in AMOUNT_FIXABLE:
        return [], [_not_now(label, "謝金額", app)]
    notices: list[Notice] = []
    if times:
        notices += _fix_times(app, start, end, reason, book, policy, now)
        app = book.state.applications[app.app_no]
    if amount is not None and app.status in AMOUNT_FIXABLE:
        fix = Correction(AMOUNT_FIX, str(app.honorarium or ""), str(amount), reason, now)
        book.put_application(
            replace(app, honorarium=amount, corrections=(*app.corrections, fix), updated_at=now)
        )
    return notices, []


def _not_now(label: str, what: str, app: Application) -> str:
    return (
        f"{label}: 状態が {app.status.value} の申請の{what}は訂正できません。反映していません"
        f" / the {what} of an application in {app.status.value} cannot be corrected"
    )


def _fix_times(
    app: Application,
    start: Any,
    end: Any,
    reason: str,
    book: Book,
    policy: Policy,
    now: datetime,
) -> list[Notice]:
    new_start = start.strftime("%H:%M") if start is not None else app.start_time
    new_end = end.strftime("%H:%M") if end is not None else app.end_time
    fixes = tuple(
        Correction(column, old, new, reason, now)
        for column, old, new in (
            (START_FIX, app.start_time, new_start),
            (END_FIX, app.end_time, new_end),
        )
        if old != new
    )
    minutes = None
    found = [r for r in _found(app) if r.code not in TIME_CODES]
    if not new_start or not new_end:
        found += [
            Reason(f"missing:{f}")
            for f, v in (("start_time", new_start), ("end_time", new_end))
            if not v
        ]
    else:
        minutes = minutes_between(n.read_time(new_start), n.read_time(new_end))  # type: ignore[arg-type]
        if minutes is None:
            found.append(Reason("time_order"))
        elif minutes < policy.min_minutes:
            found.append(Reason("too_short"))
    changes: dict[str, Any] = {
        "start_time": new_start,
        "end_time": new_end,
        "corrections": (*app.corrections, *fixes),
    }
    if app.status == AppStatus.ACCEPTED:
        # accepted by staff: the outcome stays theirs; the duration and amount follow
        amount = honorarium(minutes, policy) or policy.short_yen
        book.put_application(
            replace(app, minutes=minutes, honorarium=amount, updated_at=now, **changes)
        )
        return []
    return _rejudge(app, found, minutes, book, policy, now, **changes)


_YEN = re.compile(r"(\d+)")


def _read_yen(raw: str) -> int:
    """A whole number of yen (``6,000``, ``6000円``, ``６０００``); -1 when it is not one."""
    text = n.fold(raw).replace(",", "").replace("円", "").replace("¥", "").strip()
    match = _YEN.fullmatch(text)
    return int(match.group(1)) if match else -1
