"""The vocabulary of bansou-sync, defined once.

response      One submission of a Google Form, as the source delivers it: an id, the
              time it was first submitted and last edited, and raw answers by field.
registration  A response of the 伴走ネット登録 form. An active or needs_review one owns
              a 伴走ネットID (``BN-0001``); a duplicate (P7) owns none.
supporter     A volunteer (伴走者), i.e. a registration that owns an ID.
application   A response of the 伴走支援申請 form; it owns a 申請番号 (``A-000001``).
client        The person supported (相談者), known by a 相談者コード (``C-0001``) issued on
              the first application that names them by (initials, birth year,
              nationality); only a keyed hash of that triple is kept.
occasion      (client code, support date): one accompaniment. P4 and P5 count these.
live          An application in pending_review, deficient, accepted or paid.
resubmission  An application that supersedes a deficient original (P9).
notice        An email the core decided to send; the shell renders and delivers it.
cutoff        締め日, the 20th that closes a payment batch (P11).
batch         All accepted applications of one supporter with one cutoff; a 支払 row.
held          An accepted application whose supporter's 覚書/口座届出 were not both
              received when its cutoff passed (P12).
cycle         One run: read sources and staff columns, decide, record, send, project.

Everything in ``core`` is pure: plain frozen data in, plain data out, no clock, no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class Problem(enum.Enum):
    """Why an answer has no usable value."""

    MISSING = "missing"
    UNREADABLE = "unreadable"

    def __repr__(self) -> str:
        return f"Problem.{self.name}"


MISSING = Problem.MISSING
UNREADABLE = Problem.UNREADABLE

Answer = str | tuple[str, ...]
"""A raw answer: text, or the chosen options of a checkbox question."""


def answer_text(value: Answer) -> str:
    """A raw answer as text: a checkbox answer's options joined with ", " (as a CSV export
    writes them)."""
    if isinstance(value, tuple):
        return ", ".join(value)
    return value


@dataclass(frozen=True, slots=True)
class RawResponse:
    """One form submission as a source delivers it.

    ``submitted_at`` is timezone-aware (UTC from the Forms API, JST wall time from a CSV
    export, made aware by the adapter). ``answers`` maps field names of SPEC §3
    (``supporter_id``, ``support_date`` …) to raw answers; unanswered fields are absent
    or empty.
    """

    form: str  # "registration" | "application"
    response_id: str
    submitted_at: datetime
    last_submitted_at: datetime
    answers: dict[str, Answer] = field(default_factory=dict)
    # a source without edit times (CSV, linked Sheet) gives a digest of the answers: the
    # same ID with other answers is an edit (issue 10 §3); "" where edits have a time
    fingerprint: str = ""
    cut: tuple[str, ...] = ()  # fields whose answer was too long and was cut (flagged)

    def text(self, name: str) -> str:
        return answer_text(self.answers.get(name, ""))

    def choices(self, name: str) -> tuple[str, ...]:
        value = self.answers.get(name, ())
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(", ") if v.strip())
        return tuple(v for v in value if v.strip())


class RegistrationStatus(enum.StrEnum):
    ACTIVE = "active"
    NEEDS_REVIEW = "needs_review"
    DUPLICATE = "duplicate"


REGISTRATION_LABELS = {
    RegistrationStatus.ACTIVE: "有効",
    RegistrationStatus.NEEDS_REVIEW: "要確認",
    RegistrationStatus.DUPLICATE: "重複",
}


class AppStatus(enum.StrEnum):
    PENDING_REVIEW = "pending_review"
    DEFICIENT = "deficient"
    RESUBMITTED = "resubmitted"
    EXPIRED = "expired"
    INELIGIBLE = "ineligible"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"


APP_LABELS = {
    AppStatus.PENDING_REVIEW: "審査待ち",
    AppStatus.DEFICIENT: "不備・再回答待ち",
    AppStatus.RESUBMITTED: "再提出済",
    AppStatus.EXPIRED: "期限切れ",
    AppStatus.INELIGIBLE: "対象外",
    AppStatus.ACCEPTED: "受付完了",
    AppStatus.REJECTED: "却下",
    AppStatus.PAID: "支払済",
}

LIVE = frozenset(
    {AppStatus.PENDING_REVIEW, AppStatus.DEFICIENT, AppStatus.ACCEPTED, AppStatus.PAID}
)
COMMITTED = frozenset({AppStatus.PENDING_REVIEW, AppStatus.ACCEPTED, AppStatus.PAID})


@dataclass(frozen=True)
class Notice:
    """An email the core decided to send.

    ``event_key`` names the event (the response for first emails, the record and its
    revision for later ones); the Message-ID is derived from (kind, event_key), so the
    same event never produces two sends. ``to`` may be empty when no usable address is
    known (the shell records it as failed and the digest lists it).
    """

    kind: str
    ref: str
    to: tuple[str, ...]
    event_key: str
    context: dict[str, Any]


@dataclass(frozen=True)
class Reason:
    """One reason code with the values its Japanese text needs."""

    code: str
    detail: str = ""  # e.g. the deadline date for late_submission, the memo for returned


@dataclass(frozen=True)
class Correction:
    """A correction staff made in the status sheet (issue 13 §1), kept with the value it
    replaced: ``field`` is the column's name, ``at`` the cycle that first read it."""

    field: str
    previous: str
    value: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Registration:
    """A 伴走ネット登録 response as the ledger keeps it (answers already normalised)."""

    response_id: str
    seq: int  # order of first sight; ties in submitted_at are broken by it
    submitted_at: datetime  # JST
    last_submitted_at: datetime  # JST
    supporter_id: str | None  # None for a duplicate
    status: RegistrationStatus
    name: str
    kana: str
    email: str | None  # normalised, None when unusable
    phone_digits: str
    postal_code: str
    address: str
    membership: str  # 会員 / 会員の紹介 / どちらでもない / "" when unreadable
    referrer: str
    prefecture: str
    languages: tuple[str, ...]
    wants_course: str
    consent: bool
    missing: tuple[str, ...] = ()  # fields missing other than email, for the digest
    duplicate_of: str | None = None  # the existing ID a duplicate points to
    released_from: str | None = None  # ID this was a duplicate of before 重複解除
    confirmed: bool = False  # registration_confirmed planned
    email_typed: str = ""  # the address as typed in the form (staff see a typo to fix it)
    corrections: tuple[Correction, ...] = ()  # staff corrections, oldest first


@dataclass(frozen=True)
class SupporterDesk:
    """What staff typed on a 伴走者 row, as last read (SPEC §5 staff columns)."""

    memo_sent_on: str = ""  # 覚書発送日
    memo_received: bool = False  # 覚書受領
    account_received: bool = False  # 口座届出受領
    course: str = ""  # 講座受講
    contact_correction: str | None = None  # 連絡先訂正, normalised email
    release_duplicates: bool = False  # 重複解除
    note: str = ""  # メモ
    membership_check: str = ""  # 会員区分(確認): 会員 / 会員の紹介 / 非会員, as typed


@dataclass(frozen=True, slots=True)
class Application:
    """A 伴走支援申請 response as the ledger keeps it, with its judgement and money."""

    app_no: str
    response_id: str
    seq: int
    submitted_at: datetime  # JST, this response
    last_submitted_at: datetime  # JST
    effective_submitted_at: datetime  # the original's, for a resubmission (P2, intake)
    supporter_id: str | None  # normalised ID as typed, None if unreadable/missing
    name: str
    email: str | None
    companion_id: str | None
    client_code: str | None
    support_date: date | None
    minutes: int | None
    status: AppStatus
    reasons: tuple[Reason, ...]
    resubmission_of: str | None = None  # the original this supersedes
    superseded_by: str | None = None
    revision: int = 0  # bumped on every status change that emails the volunteer
    judged_at: datetime | None = None  # the cycle that last judged it
    updated_at: datetime | None = None  # the cycle that last changed it (最終更新)
    notice_event: str = ""  # event key of the latest deficiency notice
    notice_sent_at: datetime | None = None  # deficiency notice delivery (P9 clock)
    clock_start: datetime | None = None  # P9 clock when the notice is suppressed
    reminded: bool = False
    honorarium: int | None = None
    accepted_on: date | None = None
    cutoff: date | None = None
    pay_date: date | None = None
    held: bool = False
    hold_checked: bool = False  # the first cycle after the cutoff has looked at P12
    decision_seen: str = ""  # the 審査 value last read (a decision acts once)
    memo: str = ""  # 審査メモ as last read
    notify: bool = True  # False when submitted before mail.notify_after
    topics: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    nationality: str = ""  # normalised, for the anonymised counts only
    prefecture: str = ""  # the supporter's 活動地域 at judgement, for counts only
    # 支援の内容: reduced to categories by the keyword map (core/narrative) for the counts;
    # shown to staff on the 申請 tab (staff-only), never published, logged or in a repr
    narrative: str = field(default="", repr=False)
    start_time: str = ""  # 開始時刻 HH:MM as read ("" when missing or unreadable)
    end_time: str = ""  # 終了時刻 HH:MM as read
    # every reason the judgement found, before ineligible codes hid the deficiencies:
    # a staff correction re-judges from these (issue 13 §1)
    found_reasons: tuple[Reason, ...] = ()
    corrections: tuple[Correction, ...] = ()  # staff corrections, oldest first
    correction_seen: str = ""  # the correction cells last read (a correction acts once)

    @property
    def reply_clock(self) -> datetime | None:
        """When P9's reply window opened: the deficiency notice's send time, or the
        judgement's when ``mail.notify_after`` muted the notice; None while the notice
        waits to be sent (``calendar.reply_deadline`` counts from it)."""
        return self.notice_sent_at or self.clock_start
