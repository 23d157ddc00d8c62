"""The status sheet as a projection of the ledger (SPEC §5): rows per tab, in header order.

Staff columns are emitted blank; the sheet adapter keeps what staff typed there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from itertools import repeat
from typing import Protocol

from bansou_sync.core.calendar import reply_deadline, stamp
from bansou_sync.core.model import (
    APP_LABELS,
    REGISTRATION_LABELS,
    Application,
    AppStatus,
    Reason,
    Registration,
    RegistrationStatus,
)
from bansou_sync.core.policy import Policy
from bansou_sync.core.reasons import cell
from bansou_sync.core.state import State
from bansou_sync.core.tabs import (
    APPLICATIONS,
    COURSE_WISH,
    DUPLICATES,
    EMAIL_TYPED,
    LANGUAGES,
    MAILS,
    MISSING,
    PAYMENTS,
    RESUBMISSION_OF,
    REVIEW_WHY,
    SUPPORTERS,
    SYNC,
    TabLayout,
)

Cell = str | int
MAIL_STATES = {
    "pending": "送信待ち",
    "sending": "送信待ち",
    "sent": "送信済",
    "failed": "失敗",
    "review": "失敗",
}


class MailRecord(Protocol):
    @property
    def message_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def ref(self) -> str: ...
    @property
    def to(self) -> tuple[str, ...]: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def sent_at(self) -> datetime | None: ...


def day(d: date | None) -> str:
    return d.isoformat() if d else ""


def mask(address: str) -> str:
    """``taro@example.com`` → ``t***@example.com``."""
    local, at, domain = address.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def _row(layout: TabLayout, values: dict[str, Cell]) -> list[Cell]:
    return list(map(values.get, layout.headers, repeat("")))


def supporter_rows(state: State) -> list[list[Cell]]:
    counts: dict[str, int] = defaultdict(int)
    paid: dict[str, int] = defaultdict(int)
    for app in state.applications.values():
        sid, count, yen = supporter_contribution(app)
        counts[sid] += count
        paid[sid] += yen
    repeats = duplicates_by_original(state.registrations.values())
    return [
        supporter_row(reg, counts[sid], paid[sid], repeats.get(sid, ""))
        for reg in listed_in_order(state.registrations.values())
        if (sid := reg.supporter_id or "")
    ]


def listed_in_order(registrations: Iterable[Registration]) -> list[Registration]:
    """The registrations with a 伴走者 row — those with an ID (SPEC §4: a duplicate has no
    ID and no row) — in ID order."""
    return sorted(
        (r for r in registrations if r.supporter_id),
        key=lambda r: id_order(r.supporter_id or ""),
    )


def duplicates_by_original(registrations: Iterable[Registration]) -> dict[str, str]:
    """The 重複登録 cell of each ID that later registrations repeat (P7 「登録は、お一人に
    つき1回のみ」). SPEC §4 gives a duplicate no row of its own, so staff see it here,
    beside the registration it repeats, when deciding on 重複解除 (issue 13 §1)."""
    found: dict[str, list[Registration]] = {}
    for reg in registrations:
        if reg.status == RegistrationStatus.DUPLICATE and reg.duplicate_of:
            found.setdefault(reg.duplicate_of, []).append(reg)
    return {
        original: " / ".join(duplicate_note(r) for r in sorted(regs, key=lambda r: r.seq))
        for original, regs in found.items()
    }


def duplicate_note(reg: Registration) -> str:
    """One duplicate as staff compare it with the original: when, who, which address."""
    parts = (f"{stamp(reg.submitted_at)} 受信", reg.name, reg.email or reg.email_typed)
    return " ".join(p for p in parts if p)


def id_order(key: str) -> tuple[int, str]:
    """IDs and numbers sort by length first: BN-9999 before BN-10000."""
    return (len(key), key)


def supporter_contribution(app: Application) -> tuple[str, int, int]:
    """What one application adds to its supporter's 申請件数 and 謝金累計 (ID "" for none)."""
    if not app.supporter_id or app.status == AppStatus.RESUBMITTED:
        return ("", 0, 0)
    pays = app.status in (AppStatus.ACCEPTED, AppStatus.PAID)
    return (app.supporter_id, 1, (app.honorarium or 0) if pays else 0)


def supporter_row(reg: Registration, count: int, paid: int, repeats: str) -> list[Cell]:
    return _row(
        SUPPORTERS,
        {
            "伴走ネットID": reg.supporter_id or "",
            "登録日時": stamp(reg.submitted_at),
            "氏名": reg.name,
            "メールアドレス": reg.email or "",
            "会員区分": reg.membership,
            "紹介者": reg.referrer,
            "活動地域": reg.prefecture,
            "状態": REGISTRATION_LABELS[reg.status],
            "状態コード": reg.status.value,
            "申請件数": count,
            "謝金累計": paid,
            REVIEW_WHY: review_why(reg),
            EMAIL_TYPED: reg.email_typed,
            DUPLICATES: repeats,
            MISSING: missing_cell(reg),
            LANGUAGES: "、".join(reg.languages),
            COURSE_WISH: reg.wants_course,
        },
    )


# the registration form's questions (SPEC §3) by the field names of Registration.missing
MISSING_LABELS = {
    "name": "氏名",
    "phone": "電話番号",
    "membership": "移住連との関係",
    "consent": "個人情報の取扱いへの同意",
}


def missing_cell(reg: Registration) -> str:
    """The answers a registration left blank (SPEC §4: listed for staff), in form order."""
    return "・".join(MISSING_LABELS.get(f, f) for f in reg.missing)


def incomplete_item(reg: Registration) -> dict[str, str]:
    """A registration with answers missing, as the staff digest lists it."""
    return {"supporter_id": reg.supporter_id or "", "missing": missing_cell(reg)}


def review_why(reg: Registration) -> str:
    """Why a 要確認 row waits for staff, in staff's words (SPEC §4: no usable email)."""
    if reg.status != RegistrationStatus.NEEDS_REVIEW:
        return ""
    if not reg.email_typed:
        told = "メールアドレスの回答がありません"
    else:
        told = "入力されたメールアドレスが宛先として使えません(入力されたメールアドレス欄を参照)"
    return f"{told}。連絡先訂正に正しいアドレスを入力すると、登録確認メールが送られます"


def application_rows(state: State, policy: Policy) -> list[list[Cell]]:
    apps = sorted(state.applications.values(), key=lambda a: id_order(a.app_no))
    return [application_row(app, policy) for app in apps]


def application_row(app: Application, policy: Policy) -> list[Cell]:
    reasons: tuple[Reason, ...] = app.reasons
    if app.status == AppStatus.ACCEPTED and app.held:
        reasons = (Reason("payment_held"),)
    elif app.status in (AppStatus.ACCEPTED, AppStatus.PAID, AppStatus.PENDING_REVIEW):
        reasons = ()
    open_or_lapsed = app.status in (AppStatus.DEFICIENT, AppStatus.EXPIRED)
    deadline = reply_deadline(app.reply_clock, policy.reply_days) if open_or_lapsed else None
    pays = app.status in (AppStatus.ACCEPTED, AppStatus.PAID) and not app.held
    amount: Cell = ""
    if app.status in (AppStatus.ACCEPTED, AppStatus.PAID, AppStatus.PENDING_REVIEW):
        amount = app.honorarium if app.honorarium is not None else ""
    return _row(
        APPLICATIONS,
        {
            "申請番号": app.app_no,
            "回答ID": app.response_id,
            "受信日時": stamp(app.submitted_at),
            "伴走ネットID": app.supporter_id or "",
            "氏名": app.name,
            "同行伴走者ID": app.companion_id or "",
            "相談者コード": app.client_code or "",
            "支援実施日": day(app.support_date),
            "実施時間(分)": app.minutes if app.minutes is not None else "",
            "判定": APP_LABELS[app.status],
            "状態コード": app.status.value,
            "理由": cell(reasons),
            "再回答期限": day(deadline),
            "謝金額": amount,
            "支払予定日": day(app.pay_date) if pays else "",
            "最終更新": stamp(app.updated_at),
            "開始時刻": app.start_time,
            "終了時刻": app.end_time,
            "相談内容": "、".join(app.topics),
            "同行先": "、".join(app.destinations),
            "つながった公的支援": "、".join(app.outcomes),
            "支援の内容": app.narrative,
            RESUBMISSION_OF: app.resubmission_of or "",
        },
    )


def payment_rows(state: State) -> list[list[Cell]]:
    groups: dict[tuple[date, str], list[tuple[int, bool, AppStatus, date | None]]] = defaultdict(
        list
    )
    for app in state.applications.values():
        if app.status not in (AppStatus.ACCEPTED, AppStatus.PAID) or not app.cutoff:
            continue
        if not app.supporter_id:
            continue
        groups[(app.cutoff, app.supporter_id)].append(
            (app.honorarium or 0, app.held, app.status, app.pay_date)
        )
    names = {r.supporter_id: r.name for r in state.registrations.values() if r.supporter_id}
    return [
        payment_row(cutoff, sid, names.get(sid, ""), items)
        for (cutoff, sid), items in sorted(groups.items())
    ]


def payment_row(
    cutoff: date, sid: str, name: str, items: Sequence[tuple[int, bool, AppStatus, date | None]]
) -> list[Cell]:
    """One 支払 row: a supporter's accepted applications of one cutoff (yen, held, status,
    pay date each)."""
    held = any(h for _, h, _, _ in items)
    paid = all(s == AppStatus.PAID for _, _, s, _ in items)
    status = "支払済" if paid else "保留" if held else "予定"
    pay = "" if held else day(next((p for *_, p in items if p), None))
    return _row(
        PAYMENTS,
        {
            "支払予定日": pay,
            "締め日": cutoff.isoformat(),
            "伴走ネットID": sid,
            "氏名": name,
            "件数": len(items),
            "金額": sum(a for a, *_ in items),
            "状態": status,
        },
    )


def mail_rows(items: Sequence[MailRecord]) -> list[list[Cell]]:
    # newest first; Python's sort is stable, so one cycle's mails keep the ledger's order
    ordered = sorted(items, key=lambda m: m.sent_at or m.created_at, reverse=True)
    return [mail_row(m) for m in ordered]


def mail_row(m: MailRecord) -> list[Cell]:
    return _row(
        MAILS,
        {
            "送信日時": stamp(m.sent_at),
            "種別": m.kind,
            "宛先(伏字)": ", ".join(map(mask, m.to)),
            "関連番号": m.ref,
            "状態": MAIL_STATES.get(m.status, m.status),
            "Message-ID": m.message_id,
        },
    )


def sync_rows(cycles: Sequence[dict[str, object]]) -> list[list[Cell]]:
    return [
        _row(
            SYNC,
            {
                "最終同期": str(c.get("started_at", "")),
                "結果": str(c.get("result", "")),
                "新規登録": int(str(c.get("new_registrations", 0))),
                "新規申請": int(str(c.get("new_applications", 0))),
                "送信メール": int(str(c.get("mails_sent", 0))),
                "エラー": str(c.get("errors", "")),
            },
        )
        for c in cycles
    ]
