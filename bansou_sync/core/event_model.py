"""The words of courses and events (伴走支援講座 B, 相談会 C, 報告会 D): what an event, a
sign-up and its status are, and the labels and reason texts staff and volunteers read.
The rules that move a sign-up between statuses are ``core.events``."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bansou_sync.core.model import Notice

KIND_LABELS = {"course": "伴走支援講座", "consultation": "相談会", "meeting": "報告会"}
TAB_PREFIX = {"course": "講座", "consultation": "相談会", "meeting": "報告会"}
CANCEL_ANSWERS = frozenset({"キャンセルする", "キャンセル", "取り消す", "cancel"})


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REFUSED = "refused"
    DUPLICATE = "duplicate"
    CANCEL_REQUEST = "cancel_request"
    CLOSED = "closed"  # the sign-up period (until the start) was over: no seat, no line


STATUS_LABELS = {
    SignupStatus.CONFIRMED: "参加確定",
    SignupStatus.WAITLISTED: "キャンセル待ち",
    SignupStatus.CANCELLED: "キャンセル",
    SignupStatus.REFUSED: "受付不可",
    SignupStatus.DUPLICATE: "重複",
    SignupStatus.CANCEL_REQUEST: "取消の届出",
    SignupStatus.CLOSED: "受付終了",
}
HOLDING = frozenset({SignupStatus.CONFIRMED, SignupStatus.WAITLISTED})
EMAIL_KINDS = (
    "event_confirmed",
    "event_waitlisted",
    "event_moved_up",
    "event_reminder",
    "event_cancelled",
    "event_refused",
    "event_closed",  # after SPEC's kinds: the sign-up period was over (issue 13 §5)
)

REASON_TEXTS = {
    "missing:supporter_id": "伴走ネットIDの記入がありません(講座には伴走ネットへの登録が必要です)",
    "unreadable:supporter_id": "伴走ネットIDを読み取れません",
    "unknown_supporter": "この伴走ネットIDは登録されていません",
    "inactive_supporter": "この伴走ネットIDは現在有効ではありません",
    "missing:email": "メールアドレスの記入がありません",
    "unreadable:email": "メールアドレスを読み取れません",
    "no_consent": "個人情報の取扱いへの同意がありません",
    "event_closed": "開始時刻を過ぎてからのお申し込みです",
    "read_after_start": "開始時刻より前に送信されましたが、受付処理が開始時刻の後になりました",
    "already_signed_up": "同じ方のお申し込みがすでにあります",
    "cancel_unmatched": "取り消すお申し込みが見つかりません",
    "cancelled_by_staff": "事務局がキャンセルしました",
    "cancelled_by_form": "フォームからキャンセルの届出がありました",
    "cancels": "この届出で取り消したお申し込み",
}


def reason_text(code: str) -> str:
    """``already_signed_up course-x/001: 同じ方の…`` — the code (with its 受付番号), then words."""
    text = REASON_TEXTS.get(code) or REASON_TEXTS.get(code.split(" ")[0], "")
    return f"{code}: {text}" if text else code


@dataclass(frozen=True)
class EventSpec:
    event_id: str  # lower-case letters, digits and hyphens (config.py checks)
    kind: str  # course | consultation | meeting
    title: str
    starts_at: datetime  # aware, Asia/Tokyo
    place: str
    capacity: int
    requires_id: bool
    reminder_hour: int = 9

    @property
    def tab_name(self) -> str:
        # "_" not ":": the local backend names its files after tabs, and Windows (where
        # staff open them in Excel) refuses ":" in file names
        return f"{TAB_PREFIX[self.kind]}_{self.event_id}"

    @property
    def reminder_at(self) -> datetime:
        day_before = self.starts_at.date() - timedelta(days=1)
        return self.starts_at.replace(
            year=day_before.year,
            month=day_before.month,
            day=day_before.day,
            hour=self.reminder_hour,
            minute=0,
            second=0,
            microsecond=0,
        )


@dataclass(frozen=True)
class Answers:
    """One sign-up response, read: the shell has normalised the ID and the email."""

    response_id: str
    submitted_at: datetime
    supporter_id: str  # canonical BN-0001, or "" when blank
    id_problem: str  # "", "missing" or "unreadable"
    name: str
    email: str  # lower-cased, or ""
    email_problem: str  # "", "missing" or "unreadable"
    consent: bool
    cancel: bool


@dataclass(frozen=True)
class Supporter:
    """What the sign-up rules need to know of a 伴走ネットID."""

    active: bool
    contact_email: str  # the registered address (or its 連絡先訂正), "" when unusable
    name: str


@dataclass(frozen=True)
class Signup:
    """One sign-up as the ledger keeps it."""

    event_id: str
    response_id: str
    number: int
    submitted_at: datetime
    supporter_id: str
    name: str
    email: str  # where its emails go: the registered address when the ID is known
    status: SignupStatus
    reasons: tuple[str, ...] = ()
    notified: tuple[str, ...] = ()  # email kinds already queued for this sign-up
    updated_at: datetime | None = None

    @property
    def receipt(self) -> str:
        return f"{self.event_id}/{self.number:03d}"

    @property
    def person(self) -> str:
        return f"id:{self.supporter_id}" if self.supporter_id else f"email:{self.email}"


@dataclass(frozen=True)
class EventPlan:
    signups: dict[str, Signup]  # response ID → sign-up
    notices: list[Notice] = field(default_factory=list)
