"""Plain-data builders for the core's unit tests: form responses, staff input, an office.

``reg`` and ``app`` build ``RawResponse`` objects with the field names of SPEC §3.
``Office`` keeps the ledger state between cycles the way the shell does: the sources
return every response each time, staff columns are re-read, and ``deliver`` stamps the
send time of deficiency notices onto their applications (the P9 clock).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bansou_sync.core.cycle import CycleInput, CyclePlan, plan_cycle
from bansou_sync.core.model import Application, Notice, RawResponse, SupporterDesk
from bansou_sync.core.policy import Policy
from bansou_sync.core.staff import StaffInput
from bansou_sync.core.state import State

JST = ZoneInfo("Asia/Tokyo")
KEY = b"k"
_ids = itertools.count(1)


def at(when: str | datetime) -> datetime:
    """``"2022-06-25 23:59"`` as an aware JST datetime (datetimes pass through)."""
    if isinstance(when, datetime):
        return when
    return datetime.fromisoformat(when).replace(tzinfo=JST)


def email_of(supporter_id: str) -> str:
    """The address ``member(n)`` registers with: ``BN-0003`` → ``s3@example.com``."""
    return f"s{int(supporter_id.rsplit('-', 1)[-1])}@example.com"


def reg(
    ts: str | datetime,
    name: str,
    email: str,
    membership: str = "会員",
    phone: str = "",
    *,
    referrer: str = "",
    consent: str = "同意します",
    prefecture: str = "東京都",
    response_id: str | None = None,
    edited: str | datetime | None = None,
) -> RawResponse:
    submitted = at(ts)
    return RawResponse(
        form="registration",
        response_id=response_id or f"r{next(_ids)}",
        submitted_at=submitted,
        last_submitted_at=at(edited) if edited else submitted,
        answers={
            "name": name,
            "email": email,
            "phone": phone,
            "membership": membership,
            "referrer": referrer,
            "prefecture": prefecture,
            "consent": consent,
        },
    )


def member(n: int, ts: str = "2022-05-20 10:00", **kw: str) -> RawResponse:
    """The n-th volunteer, registered as 会員 with ``s<n>@example.com``."""
    return reg(ts, f"伴走 {n}号", f"s{n}@example.com", phone=f"090-0000-{n:04d}", **kw)


def app(
    ts: str | datetime,
    supporter_id: str,
    support_date: str,
    start: str = "10:00",
    end: str = "12:00",
    *,
    client_code: str = "",
    initials: str = "",
    birth_year: str = "",
    nationality: str = "",
    email: str | None = None,
    name: str = "伴走 太郎",
    companion_id: str = "",
    topics: tuple[str, ...] = ("住まい",),
    destinations: tuple[str, ...] = (),
    outcomes: tuple[str, ...] = (),
    narrative: str = "",
    consent: str = "同意します",
    resubmission_of: str = "",
    response_id: str | None = None,
    edited: str | datetime | None = None,
) -> RawResponse:
    """A 伴走支援申請 response; without a client code or triple it names client ``TN/1990/ベトナム``."""
    if not (client_code or initials or birth_year or nationality):
        initials, birth_year, nationality = "TN", "1990", "ベトナム"
    submitted = at(ts)
    answers: dict[str, str | tuple[str, ...]] = {
        "supporter_id": supporter_id,
        "name": name,
        "email": email if email is not None else _default_email(supporter_id),
        "support_date": support_date,
        "start_time": start,
        "end_time": end,
        "companion_id": companion_id,
        "client_code": client_code,
        "client_initials": initials,
        "client_birth_year": birth_year,
        "client_nationality": nationality,
        "topics": topics,
        "destinations": destinations,
        "outcomes": outcomes,
        "narrative": narrative,
        "resubmission_of": resubmission_of,
        "consent": consent,
    }
    return RawResponse(
        form="application",
        response_id=response_id or f"a{next(_ids)}",
        submitted_at=submitted,
        last_submitted_at=at(edited) if edited else submitted,
        answers=answers,
    )


def _default_email(supporter_id: str) -> str:
    try:
        return email_of(supporter_id)
    except ValueError:
        return "someone@example.com"


def edit_of(raw: RawResponse, edited: str, **answers: str) -> RawResponse:
    """The same response edited later (Forms API): same id, later last_submitted_at."""
    return replace(raw, last_submitted_at=at(edited), answers={**raw.answers, **answers})


def ticked(memo: bool = True, account: bool = True) -> SupporterDesk:
    """A 伴走者 row with 覚書受領 / 口座届出受領 as staff ticked them."""
    return SupporterDesk(memo_received=memo, account_received=account)


@dataclass
class Office:
    """The ledger state and the sheet's staff columns, carried from cycle to cycle."""

    policy: Policy = field(default_factory=Policy)
    state: State = field(default_factory=State)
    registrations: list[RawResponse] = field(default_factory=list)
    applications: list[RawResponse] = field(default_factory=list)
    desks: dict[str, SupporterDesk] = field(default_factory=dict)
    decisions: dict[str, tuple[str, str]] = field(default_factory=dict)
    paid: dict[str, bool] = field(default_factory=dict)
    # 申請番号 → (開始時刻(訂正), 終了時刻(訂正), 謝金額(訂正), 訂正理由)
    fixes: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)

    def cycle(self, now: str | datetime) -> CyclePlan:
        inputs = CycleInput(
            now=at(now),
            registrations=list(self.registrations),
            applications=list(self.applications),
            staff=StaffInput(
                dict(self.desks),
                # every 申請 row read has a decision entry, blank when nothing is typed
                {**{no: ("", "") for no in self.fixes}, **self.decisions},
                dict(self.paid),
                fixes=dict(self.fixes),
            ),
            client_key=KEY,
        )
        plan = plan_cycle(self.state, inputs, self.policy)
        self.state = plan.state
        return plan

    def deliver(self, when: str | datetime) -> None:
        """The shell sent the queued deficiency notices at ``when`` (starts the P9 clock)."""
        for no, a in list(self.state.applications.items()):
            if a.notice_event and a.notice_sent_at is None:
                self.state.applications[no] = replace(a, notice_sent_at=at(when))

    def decide(self, app_no: str, decision: str, memo: str = "") -> None:
        self.decisions[app_no] = (decision, memo)

    def tick(self, supporter_id: str, memo: bool = True, account: bool = True) -> None:
        self.desks[supporter_id] = ticked(memo, account)

    def a(self, app_no: str) -> Application:
        return self.state.applications[app_no]

    def supporter_of(self, response_id: str) -> str | None:
        return self.state.registrations[response_id].supporter_id


def members(n: int, policy: Policy | None = None, when: str = "2022-05-20 10:00") -> Office:
    """An office where BN-0001 … BN-<n> are registered members (s<i>@example.com)."""
    office = Office(policy=policy or Policy())
    office.registrations += [member(i) for i in range(1, n + 1)]
    office.cycle(when)
    return office


def kinds(notices: list[Notice]) -> list[str]:
    return [n.kind for n in notices]


def codes(a: Application) -> list[str]:
    return [r.code for r in a.reasons]


def d(iso: str) -> date:
    return date.fromisoformat(iso)
