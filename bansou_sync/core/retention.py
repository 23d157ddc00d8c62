"""Retention (issue 6 §4): what ``bansou-sync purge`` removes, as a pure plan.

Two dates from the configuration:

* after ``privacy.retain_until`` every piece of personal data goes: names, kana,
  emails, phone numbers, postal codes, addresses, referrers, staff notes and
  corrections, the keyed hashes of client (initials, birth year, nationality) — except
  what the accounts must keep: the name of each supporter who was paid (or is due to
  be), shown with ID, amount and date in 支払;
* after ``accounting.retain_until`` (帳簿の保存期間) those names go too.

What stays is what is not personal: IDs, 申請番号, 相談者コード (the code, not the hash),
statuses, dates, minutes, honoraria and the anonymised categories the 統計 tab counts —
typed answers (活動地域, 対応できる言語, 講座受講希望, 「その他」 text) reduced to their
labels (``core/categories``), so the 伴走ネット sections count the same after a purge.
Records are blanked, never deleted, so an ID or 申請番号 is never issued again, and each
purged response becomes a *tombstone* (``form|response_id``) so the daemon never imports
it again, even when the form still holds it or it is edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from bansou_sync.core.categories import options, prefecture
from bansou_sync.core.model import AppStatus, Correction
from bansou_sync.core.state import State
from bansou_sync.core.tabs import VOLUNTEER_REASON

PRIVACY, ACCOUNTING = "privacy", "accounting"
PAID_OR_DUE = frozenset({AppStatus.ACCEPTED, AppStatus.PAID})
PURGED_HASH = "purged:"  # a client entry whose keyed hash was removed keeps its code

# the kinds a purge counts, in the order they are printed (labels: Japanese / English)
KINDS: Mapping[str, str] = {
    "registration": "登録の個人情報 / registrations",
    "accounts_name": "会計用に残す氏名 / names kept for the accounts",
    "accounts_name_removed": "会計保存期間後に消した氏名 / account names removed",
    "application": "申請の個人情報 / applications",
    "client_hash": "相談者の照合用ハッシュ / client hashes",
    "staff_desk": "スタッフ記入(連絡先訂正・メモ) / staff notes",
    "event_signup": "講座・イベント申込の氏名・メール / event sign-ups",
    "tombstone": "再取込防止の記録 / tombstones",
}


@dataclass
class PurgePlan:
    """The purged state and what changed (IDs and counts only, never the values)."""

    scope: str  # "" (nothing is due yet), PRIVACY or ACCOUNTING
    state: State
    ids: dict[str, list[str]] = field(default_factory=dict)  # kind → IDs / 申請番号 / codes
    tombstones: list[str] = field(default_factory=list)  # "form|response_id"

    @property
    def counts(self) -> dict[str, int]:
        return {kind: len(self.ids.get(kind, ())) for kind in KINDS if self.ids.get(kind)}

    def add(self, kind: str, ident: str) -> None:
        self.ids.setdefault(kind, []).append(ident)


def _prefecture_label(answer: str) -> str:
    return prefecture(answer) if answer.strip() else ""


def _course_label(answer: str) -> str:
    return options("wants_course", (answer,))[0] if answer.strip() else ""


def _option_labels(column: str, answers: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(options(column, answers)) if answers else ()


def scope_on(today: date, privacy_until: date | None, accounting_until: date | None) -> str:
    """Which purge is due on ``today`` (the retention dates themselves are still kept)."""
    if accounting_until is not None and today > accounting_until:
        return ACCOUNTING
    if privacy_until is not None and today > privacy_until:
        return PRIVACY
    return ""


def account_holders(state: State) -> set[str]:
    """Supporters the accounts must name: those with an accepted or paid honorarium."""
    return {
        app.supporter_id
        for app in state.applications.values()
        if app.status in PAID_OR_DUE and app.supporter_id and app.honorarium
    }


def plan_purge(
    state: State, today: date, privacy_until: date | None, accounting_until: date | None
) -> PurgePlan:
    scope = scope_on(today, privacy_until, accounting_until)
    new = state.copy()
    plan = PurgePlan(scope, new)
    if not scope:
        return plan
    keep = set() if scope == ACCOUNTING else account_holders(state)
    for response_id, reg in state.registrations.items():
        ident = reg.supporter_id or f"回答 {response_id}"
        kept_name = reg.name if reg.supporter_id in keep else ""
        blank = replace(
            reg,
            name=kept_name,
            kana="",
            email=None,
            phone_digits="",
            postal_code="",
            address="",
            referrer="",
            languages=_option_labels("languages", reg.languages),
            wants_course=_course_label(reg.wants_course),
            prefecture=_prefecture_label(reg.prefecture),
            email_typed="",
            corrections=_without_reasons(reg.corrections),
        )
        if blank != reg:
            plan.add("registration", ident)
        if kept_name:
            plan.add("accounts_name", ident)
        elif reg.name and reg.supporter_id and reg.supporter_id in account_holders(state):
            plan.add("accounts_name_removed", ident)
        new.registrations[response_id] = blank
    for app_no, app in state.applications.items():
        # the narrative is free text about a person: it goes too (its categories are
        # counted as 記入なし afterwards; reports published before the purge keep them)
        # typed answers go to their published labels (an address typed as 活動地域, a name
        # in 「その他」): what stays is what the 統計 tab counts, nothing more (issue 10 §2)
        blank_app = replace(
            app,
            name="",
            email=None,
            memo="",
            narrative="",
            prefecture=_prefecture_label(app.prefecture),
            topics=_option_labels("topics", app.topics),
            destinations=_option_labels("destinations", app.destinations),
            outcomes=_option_labels("outcomes", app.outcomes),
            corrections=_without_reasons(app.corrections),
        )
        if blank_app != app:
            plan.add("application", app_no)
        new.applications[app_no] = blank_app
    for digest, code in state.clients.items():
        if not digest.startswith(PURGED_HASH):
            del new.clients[digest]
            new.clients[PURGED_HASH + code] = code
            plan.add("client_hash", code)
    for supporter_id, desk in state.desks.items():
        blank_desk = replace(desk, contact_correction=None, note="")
        if blank_desk != desk:
            plan.add("staff_desk", supporter_id)
        new.desks[supporter_id] = blank_desk
    for key in state.seen:
        if key.startswith(("registration|", "application|")):
            del new.seen[key]  # the tombstone replaces it: a vanished form row is no news
            plan.tombstones.append(key)
            plan.add("tombstone", key.split("|", 1)[1])
    return plan


def staff_columns_to_clear() -> dict[str, tuple[str, ...]]:
    """Staff columns that may hold personal data, blanked in the status sheet by a purge
    (they are read back every cycle: left there, they would come back into the ledger)."""
    return {"伴走者": ("連絡先訂正", "メモ"), "申請": ("審査メモ", VOLUNTEER_REASON)}


def _without_reasons(corrections: tuple[Correction, ...]) -> tuple[Correction, ...]:
    """Staff corrections keep what changed and when; the reason staff typed is free text
    (it may name a person), so it goes with the rest."""
    return tuple(replace(c, reason="") for c in corrections)
