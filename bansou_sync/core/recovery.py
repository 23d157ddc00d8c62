"""Rebuilding a lost ledger from the status sheet (SPEC §7).

The sheet is the ledger's projection, so it holds what must never change: which
response owns which 伴走ネットID and 申請番号, each application's status, money and pay
date, the decisions staff already made, and every email already sent (メール). The
rebuild replays every response through the same core with those numbers *pinned*,
then lays the sheet's facts over the result. Nothing is emailed by a rebuild, and the
Message-IDs the メール tab lists as sent are recorded as sent, so the next cycle sends
nothing twice and reuses no number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from bansou_sync.core.calendar import JST, stamp, to_jst
from bansou_sync.core.cycle import CycleInput, plan_cycle
from bansou_sync.core.digest import LAST_SENT
from bansou_sync.core.model import AppStatus, RawResponse, Reason
from bansou_sync.core.normalize import clean_text, read_email
from bansou_sync.core.payments import batch_key
from bansou_sync.core.policy import Policy
from bansou_sync.core.staff import StaffInput, read_staff
from bansou_sync.core.state import BatchMark, State
from bansou_sync.core.tabs import APPLICATIONS, MAILS, PAYMENTS, SUPPORTERS

Rows = Sequence[Mapping[str, str]]
SENT = "送信済"


@dataclass(frozen=True)
class SentMail:
    message_id: str
    kind: str
    ref: str
    to_masked: tuple[str, ...]
    sent_at: datetime


@dataclass(frozen=True)
class Rebuilt:
    state: State
    sent: list[SentMail]
    problems: list[str]


def needs_rebuild(state: State, tabs: Mapping[str, Rows]) -> bool:
    """An empty ledger beside a sheet that has records: the ledger was lost."""
    if state.seen or state.counters:
        return False
    return any(row.get("伴走ネットID") for row in tabs.get(SUPPORTERS.name, ())) or any(
        row.get("申請番号") for row in tabs.get(APPLICATIONS.name, ())
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=JST)
    except ValueError:
        return None


def _registration_pins(
    rows: Rows, responses: Sequence[RawResponse]
) -> tuple[dict[str, str], list[str]]:
    """Match each 伴走者 row to its response by (登録日時, email or name)."""
    by_minute: dict[str, list[RawResponse]] = {}
    for raw in responses:
        by_minute.setdefault(stamp(raw.submitted_at), []).append(raw)
    pins: dict[str, str] = {}
    problems: list[str] = []
    for row in rows:
        supporter_id = row.get("伴走ネットID", "").strip()
        if not supporter_id:
            continue
        email = read_email(row.get("メールアドレス", ""))
        name = clean_text(row.get("氏名", ""))
        candidates = [
            raw
            for raw in by_minute.get(row.get("登録日時", "").strip(), [])
            if f"registration|{raw.response_id}" not in pins
            and (read_email(raw.text("email")) == email or clean_text(raw.text("name")) == name)
        ]
        if candidates:
            pins[f"registration|{candidates[0].response_id}"] = supporter_id
        else:
            problems.append(f"復旧: 伴走者 {supporter_id} の登録回答が見つかりません")
    return pins, problems


def _overlay_application(
    state: State, row: Mapping[str, str], payments: Rows, reply_days: int
) -> None:
    app_no = row.get("申請番号", "").strip()
    app = state.applications.get(app_no)
    if app is None:
        return
    try:
        status = AppStatus(row.get("状態コード", "").strip())
    except ValueError:
        return
    amount_text = row.get("謝金額", "").strip()
    pay_date = _day(row.get("支払予定日", ""))
    held = "payment_held" in row.get("理由", "")
    cutoff = app.cutoff
    for pay_row in payments:
        if pay_row.get("伴走ネットID", "").strip() != (app.supporter_id or ""):
            continue
        same_pay = pay_date is not None and _day(pay_row.get("支払予定日", "")) == pay_date
        if same_pay or (held and pay_row.get("状態", "").strip() == "保留"):
            cutoff = _day(pay_row.get("締め日", "")) or cutoff
            break
    deadline = _day(row.get("再回答期限", ""))
    # a notice time that gives back the deadline the sheet shows (calendar.reply_deadline)
    notice_sent = (
        datetime.combine(deadline - timedelta(days=reply_days), time(12), tzinfo=JST)
        if deadline
        else None
    )
    reasons = app.reasons
    if status == AppStatus.DEFICIENT and row.get("理由", "").startswith("returned:"):
        memo = row["理由"].partition(":")[2].strip()
        reasons = (Reason("returned", memo),)
    if status == AppStatus.EXPIRED and deadline is not None:
        reasons = (Reason("expired", deadline.isoformat()), *app.reasons)
    settled = status in (AppStatus.ACCEPTED, AppStatus.PAID)
    state.applications[app_no] = replace(
        app,
        status=status,
        reasons=reasons,
        honorarium=int(amount_text) if amount_text.isdigit() else app.honorarium,
        pay_date=None if held else pay_date,
        cutoff=cutoff if settled else None,
        accepted_on=cutoff if settled else None,
        held=held,
        hold_checked=settled and (held or (cutoff is not None and pay_date is not None)),
        notice_sent_at=notice_sent or app.notice_sent_at,
        decision_seen=clean_text(row.get("審査", "")),
        memo=row.get("審査メモ", ""),
        updated_at=_moment(row.get("最終更新", "")) or app.updated_at,
    )


def rebuild(
    tabs: Mapping[str, Rows],
    registrations: Sequence[RawResponse],
    applications: Sequence[RawResponse],
    now: datetime,
    policy: Policy,
    client_key: bytes,
) -> Rebuilt:
    now = to_jst(now)
    pins, problems = _registration_pins(tabs.get(SUPPORTERS.name, ()), registrations)
    for row in tabs.get(APPLICATIONS.name, ()):
        if row.get("申請番号") and row.get("回答ID"):
            pins[f"application|{row['回答ID'].strip()}"] = row["申請番号"].strip()
    start = State()
    for counter, pattern, prefix in (
        ("supporter", policy.supporter_ids, "registration|"),
        ("application", policy.application_ids, "application|"),
    ):
        numbers = [pattern.parse_number(v) for k, v in pins.items() if k.startswith(prefix)]
        start.counters[counter] = max([n for n in numbers if isinstance(n, int)], default=0)
    quiet = replace(policy, auto_accept=False, notify_after=now + timedelta(days=36500))
    replay = plan_cycle(
        start,
        CycleInput(
            now=now,
            registrations=registrations,
            applications=applications,
            staff=StaffInput(),
            client_key=client_key,
            pins=pins,
        ),
        quiet,
    )
    state = replay.state
    payments = tabs.get(PAYMENTS.name, ())
    for row in tabs.get(APPLICATIONS.name, ()):
        _overlay_application(state, row, payments, policy.reply_days)
    state.desks = dict(read_staff(tabs).desks)
    for row in payments:
        if row.get("状態", "").strip() == "支払済":
            cutoff, sid = _day(row.get("締め日", "")), row.get("伴走ネットID", "").strip()
            if cutoff and sid:
                state.batches[batch_key(cutoff, sid)] = BatchMark(paid=True)
    sent = []
    for row in tabs.get(MAILS.name, ()):
        message_id = row.get("Message-ID", "").strip()
        if message_id and row.get("状態", "").strip() == SENT:
            at = _moment(row.get("送信日時", "")) or now
            masked = tuple(a for a in row.get("宛先(伏字)", "").split(", ") if a)
            sent.append(
                SentMail(message_id, row.get("種別", ""), row.get("関連番号", ""), masked, at)
            )
            if row.get("種別") == "deficiency_reminder":
                _mark_reminded(state, row.get("関連番号", "").strip())
    # revisions above any already used, so a later event never reuses a sent Message-ID
    mails_per_ref: dict[str, int] = {}
    for mail in sent:
        mails_per_ref[mail.ref] = mails_per_ref.get(mail.ref, 0) + 1
    for app_no, app in list(state.applications.items()):
        notify = policy.notify_after is None or app.submitted_at >= policy.notify_after
        state.applications[app_no] = replace(
            app,
            revision=mails_per_ref.get(app_no, 0),
            notify=notify,
            # a deficient one was notified (or muted) before: reminders and expiry go on
            notice_event=f"recovered:{app_no}" if app.status == AppStatus.DEFICIENT else "",
        )
    state.flags[LAST_SENT] = now.date().isoformat()
    sent.reverse()  # the tab is newest first; the ledger wants them in sending order
    return Rebuilt(state=state, sent=sent, problems=problems + replay.problems)


def _mark_reminded(state: State, app_no: str) -> None:
    app = state.applications.get(app_no)
    if app is not None:
        state.applications[app_no] = replace(app, reminded=True)
