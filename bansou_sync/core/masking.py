"""Masking what looks like an email address or a phone number in free text (SPEC §8:
logs and ``bansou-sync status`` carry IDs and codes, never addresses or numbers). Pure;
``logging_setup.PrivacyFilter`` applies it to every log record."""

from __future__ import annotations

import re

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
# A Message-ID is <32 hex digits@domain> (app.render.message_id): an ID, not an address
_MESSAGE_ID_LOCAL = re.compile(r"[0-9a-f]{32}")
_PHONE = re.compile(
    r"(?<![\w+-])(?:"
    r"\+\d{1,3}[ -]?\(?\d{1,4}\)?(?:[ -]?\d{2,4}){2,3}"  # +81 90-1234-5678, +819012345678
    r"|\(?0\d{1,4}\)?[ -]?\d{1,4}[ -]\d{4}"  # 090-1234-5678, 03 1234 5678, (03)1234-5678
    r"|0\d{9,10}"  # 09012345678
    r"|[０-９]{2,4}[‐－ー-][０-９]{2,4}[‐－ー-][０-９]{4}"  # full-width digits
    r")(?![\w-])"
)


def mask(text: str) -> str:
    """``text`` with anything that looks like an email address or phone number masked."""

    def email(match: re.Match[str]) -> str:
        local = match.group().partition("@")[0]
        return match.group() if _MESSAGE_ID_LOCAL.fullmatch(local) else EMAIL_MASK

    return _PHONE.sub(PHONE_MASK, _EMAIL.sub(email, text))
