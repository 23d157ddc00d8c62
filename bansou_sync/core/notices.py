"""The volunteer emails about applications, built from the record (SPEC §6)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from bansou_sync.core.book import Book
from bansou_sync.core.model import Application, AppStatus, Notice
from bansou_sync.core.money import yen
from bansou_sync.core.payments import documents_missing
from bansou_sync.core.policy import Policy
from bansou_sync.core.reasons import text

FIRST_KIND = {
    AppStatus.PENDING_REVIEW: "application_received",
    AppStatus.DEFICIENT: "application_deficient",
    AppStatus.INELIGIBLE: "application_ineligible",
}
CAP_CODES = {"too_many_supporters", "client_cap"}


def recipient(app: Application, book: Book) -> tuple[str, ...]:
    """Registered address (or its 連絡先訂正) when the ID is known, else the typed one."""
    registered = book.contact_email(app.supporter_id) if app.supporter_id in book.by_id else None
    to = registered or app.email
    return (to,) if to else ()


def prefill_url(app: Application, policy: Policy) -> str:
    """The pre-filled Google Forms link for a resubmission (SPEC §7)."""
    if not policy.resubmit_url:
        return ""
    values: dict[str, str] = {
        "resubmission_of": app.app_no,
        "supporter_id": app.supporter_id or "",
        "name": app.name,
        "email": app.email or "",
        "client_code": app.client_code or "",
        "support_date": app.support_date.isoformat() if app.support_date else "",
        "companion_id": app.companion_id or "",
    }
    pairs = [("usp", "pp_url")]
    for field, entry in policy.resubmit_entries.items():  # in the order configured (SPEC §7)
        value = values.get(field, "")
        if value:
            pairs.append((f"entry.{entry}", value))
    return f"{policy.resubmit_url}?{urlencode(pairs)}"


def base_context(app: Application) -> dict[str, Any]:
    return {
        "name": app.name or "伴走者",
        "app_no": app.app_no,
        "client_code": app.client_code or "",
        "support_date": app.support_date.isoformat() if app.support_date else "",
    }


def reason_list(app: Application) -> list[dict[str, str]]:
    return [{"code": r.code, "text": text(r)} for r in app.reasons]


def application_notice(
    kind: str,
    app: Application,
    book: Book,
    policy: Policy,
    event_key: str,
    *,
    client_code_issued: bool = False,
    reply_deadline: date | None = None,
    reason: str = "",
) -> Notice:
    """``reason``: for ``application_rejected``, what staff typed for the volunteer to read
    (却下理由(伴走者へ)); 審査メモ is internal and never sent."""
    context = base_context(app)
    if kind == "application_received":
        context |= {
            "supporter_id": app.supporter_id or "",
            "client_code_issued": client_code_issued,
            "minutes": app.minutes,
        }
    elif kind in ("application_deficient", "deficiency_reminder"):
        context |= {
            "reasons": reason_list(app),
            # filled in at send time when still None: the window starts when the mail leaves
            "reply_deadline": reply_deadline.isoformat() if reply_deadline else None,
            "resubmit_url": prefill_url(app, policy),
        }
        if kind == "application_deficient":
            context["returned"] = any(r.code == "returned" for r in app.reasons)
    elif kind == "deficiency_expired":
        context["reply_deadline"] = reply_deadline.isoformat() if reply_deadline else ""
    elif kind == "application_ineligible":
        context |= {
            "reasons": reason_list(app),
            "cap_hint": any(r.code in CAP_CODES for r in app.reasons),
        }
    elif kind == "application_accepted":
        amount = app.honorarium or 0
        context |= {
            "amount": amount,
            "amount_text": yen(amount),
            "cutoff": app.cutoff.isoformat() if app.cutoff else "",
            "pay_date": app.pay_date.isoformat() if app.pay_date else "",
            # without both documents the payment will be held (P12): no date is promised
            "missing_documents": documents_missing(book, app.supporter_id)
            if app.supporter_id
            else [],
        }
    elif kind == "application_rejected":
        context["reason"] = reason
    return Notice(
        kind=kind,
        ref=app.app_no,
        to=recipient(app, book),
        event_key=event_key,
        context=context,
    )
