"""Render the emails of SPEC §6 and build the messages the mailers deliver.

Every word of an email comes from a Jinja2 template in ``templates/emails``
(``<kind>.subject.j2`` and ``<kind>.body.j2``); the context carries the values.
Context values come from form answers and are untrusted, so none of them can ever
become a header: recipients must be plain addresses, the subject is one line with
control characters removed, and kind and ref are checked. Context strings are also
made single-line before rendering, so a typed name cannot forge lines in the body.

Every volunteer email ends with the secretariat's contact (``Letterhead``: phone and
postal address from ``contact:``, nothing when unset) and, where useful, the forms' links;
dates are written as people write them (``2022年6月17日(金)``, the ``jdate`` filter); with
``mail.english_summary`` a short English summary (``<kind>.english.j2``) follows the
Japanese text, before the signature. Subjects carry the reference a volunteer can quote
(申請番号, 伴走ネットID), never an opaque token.

The body is UTF-8 with ``Content-Transfer-Encoding: 8bit`` (readable in the outbox
``.eml`` files and accepted by every MTA that announces 8BITMIME, i.e. all current
ones; ``SmtpMailer`` re-encodes to base64 for a server that does not). A body with a
line longer than RFC 5322's 998 octets is sent as base64 instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bansou_sync.app.first_run import is_placeholder_url
from bansou_sync.core.event_model import EMAIL_KINDS as EVENT_KINDS
from bansou_sync.core.normalize import usable_address
from bansou_sync.core.untrusted import one_line
from bansou_sync.errors import ConfigError, PermanentMailError

if TYPE_CHECKING:
    from jinja2 import Environment

PROGRAMME = "新型コロナ 移民・難民緊急伴走支援事業"
JST = ZoneInfo("Asia/Tokyo")

# The context each kind needs (SPEC §6); the renderer adds programme, org, contact,
# contact_phone, contact_address, support, application_url, registration_url, english,
# sent_on, to_staff and kind. Extra keys are ignored; a missing key is an UndefinedError.
CONTEXT_KEYS: Mapping[str, frozenset[str]] = {
    "registration_confirmed": frozenset({"name", "supporter_id", "registered_at"}),
    "registration_duplicate": frozenset({"name", "existing_id"}),
    "application_received": frozenset(
        {"name", "app_no", "supporter_id", "client_code", "client_code_issued"}
        | {"support_date", "minutes"}
    ),
    "application_deficient": frozenset(
        {"name", "app_no", "client_code", "support_date", "reasons", "reply_deadline"}
        | {"resubmit_url", "returned"}
    ),
    "deficiency_reminder": frozenset(
        {"name", "app_no", "reasons", "reply_deadline", "resubmit_url"}
    ),
    "deficiency_expired": frozenset({"name", "app_no", "reply_deadline"}),
    "application_ineligible": frozenset({"name", "app_no", "reasons", "cap_hint"}),
    "application_accepted": frozenset(
        {"name", "app_no", "amount", "amount_text", "cutoff", "pay_date"}
    ),
    "application_rejected": frozenset({"name", "app_no"}),
    "payment_held": frozenset({"name", "supporter_id", "cutoff", "missing"}),
    "payment_released": frozenset(
        {"name", "supporter_id", "cutoff", "pay_date", "count", "amount_text"}
    ),
    "staff_digest": frozenset(
        {"date", "pending", "near_deadline", "held", "needs_review", "duplicates"}
        | {"problems", "budget", "overrides"}
    ),
    "budget_warning": frozenset({"total_yen", "committed_yen", "ratio_percent", "remaining_yen"}),
    "form_close_request": frozenset({"form_title", "remaining_yen", "reason"}),
    "sync_failure": frozenset({"failures", "last_error", "since"}),
    "surge_held": frozenset({"count", "limit", "held", "since"}),  # issue 10 §5 (app.surge)
    "emergency_request": frozenset(  # issue 6 §5, core.emergency: IDs and codes only
        {"request_no", "supporter_id", "client_code", "cases", "requested_yen"}
        | {"status_label", "reasons"}
    ),
    **dict.fromkeys(  # courses and events (core.events)
        EVENT_KINDS,
        frozenset({"name", "receipt", "event_title", "event_kind", "starts_at", "place"})
        | {"supporter_id", "position", "reasons", "requires_id"},
    ),
}
# Keys added after a kind's first release: a notice queued by an older version (its
# context is kept in the ledger) still renders, with these values.
OPTIONAL_KEYS: Mapping[str, Mapping[str, Any]] = {
    "registration_confirmed": {"may_apply": True},
    "registration_duplicate": {"may_apply": True},
    "application_accepted": {"missing_documents": []},
    "application_rejected": {"reason": ""},
    "deficiency_expired": {"late_resubmission": ""},
    "payment_held": {"items": [], "total_text": "", "pay_date": ""},
    "payment_released": {"items": []},
    "staff_digest": {"pay_batch": None, "unpaid": [], "incomplete": [], "events": []},
}
KINDS: tuple[str, ...] = tuple(CONTEXT_KEYS)
STAFF_KINDS: tuple[str, ...] = (
    "staff_digest",
    "budget_warning",
    "form_close_request",
    "sync_failure",
    "emergency_request",
    "surge_held",
)

# A record key (BN-0001, A-000001, 2022-07-20|BN-0001 …): printable ASCII, one line.
_REF = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?")
_MAX_LINE_OCTETS = 998


def is_address(value: str) -> bool:
    """The one definition of a usable address (``core.normalize.usable_address``)."""
    return usable_address(value)


def message_id(kind: str, event_key: str, domain: str) -> str:
    """The stable Message-ID of one event's email: the same event never sends twice."""
    digest = hashlib.sha256(f"{kind}\n{event_key}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class Letterhead:
    """What every volunteer email ends with: the secretariat's contact and the forms' links
    (``contact:`` and ``forms.*.url``); an empty value is left out. ``english_summary``:
    a short English summary under the Japanese text (``mail.english_summary``)."""

    phone: str = ""
    address: str = ""
    support: str = ""  # whom staff call when the system fails (staff alerts only)
    application_url: str = ""
    registration_url: str = ""
    english_summary: bool = False


def form_link(url: str | None) -> str:
    """A form's URL as the emails show it: none when unset or still the example's."""
    return "" if not url or is_placeholder_url(url) else url


def jdate(value: Any) -> str:
    """``2022-06-17`` → ``2022年6月17日(金)``; ``2022-06-17 10:00`` → ``… (金) 10:00``.
    Anything that is not such a date is shown as it is (empty stays empty)."""
    text = str(value or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}:\d{2}))?", text)
    if not match:
        return text
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return text
    written = f"{day.year}年{day.month}月{day.day}日({WEEKDAYS[day.weekday()]})"
    return f"{written} {match[4]}" if match[4] else written


def default_templates_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "templates" / "emails"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return one_line(value)
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _yen(value: Any) -> str:
    return f"{value:,}円" if isinstance(value, int) else str(value)


def _tidy(body: str) -> str:
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n"


class Renderer:
    """Renders every kind of SPEC §6 and builds the ``EmailMessage`` to send."""

    def __init__(
        self,
        templates_dir: Path,
        *,
        sender: str,
        sender_name: str = "移住連 事務局",
        letterhead: Letterhead | None = None,
    ) -> None:
        if not is_address(sender):
            raise ConfigError(f"mail.from: not a usable email address: {sender!r}")
        missing = [
            f"{kind}.{part}.j2"
            for kind in KINDS
            for part in ("subject", "body")
            if not (templates_dir / f"{kind}.{part}.j2").is_file()
        ]
        if missing:
            raise ConfigError(f"email templates missing in {templates_dir}: {', '.join(missing)}")
        self.sender = sender
        self.sender_name = one_line(sender_name)
        self.letterhead = letterhead or Letterhead()
        self.domain = sender.rsplit("@", 1)[1].lower()
        self._templates_dir = templates_dir
        self._jinja: Environment | None = None  # made at the first render (issue 14)

    @property
    def _env(self) -> Environment:
        """The templates' environment: jinja2 is imported when an email is rendered, so a
        cycle that renders none does not load it."""
        if self._jinja is None:
            from jinja2 import Environment, FileSystemLoader, StrictUndefined

            self._jinja = Environment(
                loader=FileSystemLoader(str(self._templates_dir)),
                undefined=StrictUndefined,
                autoescape=False,  # plain text; nothing here is ever parsed as HTML
                keep_trailing_newline=True,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            self._jinja.filters["yen"] = _yen
            self._jinja.filters["jdate"] = jdate
        return self._jinja

    def render(
        self, kind: str, context: Mapping[str, Any], *, sent_on: str | None = None
    ) -> tuple[str, str]:
        """(subject, body) of ``kind``; ``sent_on`` (YYYY-MM-DD) defaults to today in JST."""
        if kind not in CONTEXT_KEYS:
            raise ValueError(f"unknown email kind: {kind!r}")
        absent = sorted(CONTEXT_KEYS[kind] - context.keys())
        if absent:
            from jinja2 import UndefinedError

            raise UndefinedError(f"{kind}: context lacks {', '.join(absent)}")
        values = {**OPTIONAL_KEYS.get(kind, {})} | {k: _clean(v) for k, v in context.items()}
        head = self.letterhead
        values.update(
            programme=PROGRAMME,
            org=self.sender_name,
            contact=self.sender,
            contact_phone=one_line(head.phone),
            contact_address=one_line(head.address),
            support=one_line(head.support),
            application_url=form_link(head.application_url),
            registration_url=form_link(head.registration_url),
            english=head.english_summary and kind not in STAFF_KINDS,
            sent_on=sent_on or datetime.now(JST).date().isoformat(),
            to_staff=kind in STAFF_KINDS,
            kind=kind,
        )
        subject = one_line(self._env.get_template(f"{kind}.subject.j2").render(values))
        body = _tidy(self._env.get_template(f"{kind}.body.j2").render(values))
        if not subject:
            raise ValueError(f"{kind}: the subject template rendered empty")
        return subject, body

    def build_message(
        self,
        *,
        kind: str,
        ref: str,
        to: Sequence[str],
        event_key: str,
        context: Mapping[str, Any],
        sent_on: str,
        now: datetime | None = None,
    ) -> EmailMessage:
        """The message for one notice; raises ``PermanentMailError`` for a bad To or ref."""
        recipients = _recipients(to)
        if not _REF.fullmatch(ref):
            raise PermanentMailError(f"{kind}: unusable X-Bansou-Ref {ref!r}")
        subject, body = self.render(kind, context, sent_on=sent_on)
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = Address(display_name=self.sender_name, addr_spec=self.sender)
        message["To"] = ", ".join(recipients)
        mid = message_id(kind, event_key, self.domain)
        message["Subject"] = subject
        message["Date"] = format_datetime(now or datetime.now(JST))
        message["Message-ID"] = mid
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-reply loops
        message["X-Bansou-Kind"] = kind
        message["X-Bansou-Ref"] = ref
        longest = max(len(line.encode()) for line in body.splitlines())
        cte = "8bit" if longest <= _MAX_LINE_OCTETS else "base64"
        message.set_content(body, charset="utf-8", cte=cte)
        return message


def _recipients(to: Sequence[str]) -> list[str]:
    if isinstance(to, str):  # a bare string would be iterated letter by letter
        to = [to]
    if not to:
        raise PermanentMailError("no recipient address")
    unique: dict[str, str] = {}
    for address in to:
        if not is_address(address):
            raise PermanentMailError("a recipient is not a plain email address")
        unique.setdefault(address.lower(), address)
    return list(unique.values())
