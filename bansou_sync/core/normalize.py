"""Readers for the messy answers volunteers type (SPEC §3 "Answers arrive messy").

Every reader takes a raw answer (``str | None``) and returns its value, ``MISSING``
(blank) or ``UNREADABLE`` (present, but not readable without guessing). Readers are pure
and never raise: whatever was typed, the worst outcome is ``unreadable:<field>``.

They normalise only what is unambiguous — NFKC (full-width digits, letters, ``＠``,
``：``), any script's digits, spacing, case, separators, Japanese era years — and refuse
the rest: two-digit years, dates without a year, 「午後12時」.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from bansou_sync.core.model import MISSING, UNREADABLE, Problem

# Invisible characters that come along when text is copied from web pages, LINE or PDFs.
# NFKC keeps them, and they would silently split an email address or an ID in two.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))

# Dash look-alikes NFKC leaves alone; Japanese IMEs produce any of them for "-".
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc"
_DASH_TO_HYPHEN = str.maketrans(dict.fromkeys(DASHES, "-"))

# Whitespace is dropped except between two digits: "10 : 30" is 10:30, but "1 0:30"
# joined would be a guess.
_LOOSE_SPACE = re.compile(r"(?<![0-9])\s+|\s+(?![0-9])")


def fold(raw: str | None) -> str:
    """NFKC, invisible characters removed, every decimal digit as ASCII, trimmed."""
    if not raw:
        return ""
    if raw.isascii():  # the usual answer: nothing to normalise, remove or translate
        return raw.strip()
    text = unicodedata.normalize("NFKC", raw.translate(_INVISIBLE))
    return text.translate(_DIGITS).strip()


class _AsciiDigits(dict[int, str]):
    """``str.translate`` table: every non-ASCII decimal digit as its ASCII digit, worked
    out per character on first sight and remembered, so folding an answer costs one
    ``unicodedata`` lookup per distinct character, not one per character."""

    def __missing__(self, code: int) -> str:
        # Volunteers' own scripts (Arabic-Indic, Devanagari …) are digits too.
        ch = chr(code)
        value = unicodedata.decimal(ch, None)
        digit = ch if value is None or ch.isascii() else str(value)
        if len(self) < 4096:  # typed text is untrusted: the table stays small whatever comes
            self[code] = digit
        return digit


_DIGITS = _AsciiDigits()


def _squeeze(text: str) -> str:
    return _LOOSE_SPACE.sub("", text)


# --- Japanese eras -------------------------------------------------------------------


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    start: date
    end: date | None  # None: the current era

    def year(self, n: int) -> int | None:
        """The Gregorian year of era year ``n``, or None when the era had no such year."""
        if n < 1:
            return None
        year = self.start.year + n - 1
        if self.end is not None and year > self.end.year:
            return None
        return year

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


ERAS = (
    Era("令和", "R", date(2019, 5, 1), None),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 25)),  # for clients' birth years
)
_ERA_BY_TOKEN = {token: era for era in ERAS for token in (era.name, era.letter)}
_ERA = "|".join(_ERA_BY_TOKEN)  # an era name or its letter; 元 is year one
_ERA_YEAR = r"([0-9]{1,2}|元)"


def _era_year(token: str, number: str) -> tuple[Era, int | None]:
    era = _ERA_BY_TOKEN[token]
    return era, era.year(1 if number == "元" else int(number))


# --- dates ---------------------------------------------------------------------------

_YMD = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_YMD_KANJI = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?")
_ERA_DATE = re.compile(
    rf"({_ERA})\.?{_ERA_YEAR}"
    r"(?:年([0-9]{1,2})月([0-9]{1,2})日?|([-/.])([0-9]{1,2})\5([0-9]{1,2}))"
)
# A weekday in brackets, 「5月26日(木)」: accepted only when it agrees with the date.
_WEEKDAY = re.compile(r"(.+)\(([月火水木金土日])(?:曜日?)?\)")
_WEEKDAYS = "月火水木金土日"


def read_date(raw: str | None) -> date | Problem:
    """A calendar date: ISO, slashes, dots, 年月日, or a Japanese era (令和4年5月26日, R4.5.26)."""
    text = _squeeze(fold(raw).upper().translate(_DASH_TO_HYPHEN))
    if not text:
        return MISSING
    weekday = None
    if bracketed := _WEEKDAY.fullmatch(text):
        text, weekday = bracketed[1], _WEEKDAYS.index(bracketed[2])
    day = _gregorian_date(text) or _era_date(text)
    if day is None or (weekday is not None and day.weekday() != weekday):
        return UNREADABLE
    return day


def _gregorian_date(text: str) -> date | None:
    if m := _YMD.fullmatch(text):
        return _date(m[1], m[3], m[4])
    if m := _YMD_KANJI.fullmatch(text):
        return _date(m[1], m[2], m[3])
    return None


def _era_date(text: str) -> date | None:
    m = _ERA_DATE.fullmatch(text)
    if m is None:
        return None
    era, year = _era_year(m[1], m[2])
    day = _date(str(year), m[3] or m[6], m[4] or m[7]) if year else None
    # 平成31年5月1日 does not exist: 令和 began that day. Refuse rather than convert.
    return day if day and era.contains(day) else None


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


# --- times ---------------------------------------------------------------------------

_MARKED = re.compile(r"(午前|午後|A\.?M\.?|P\.?M\.?)?(.*?)(A\.?M\.?|P\.?M\.?)?")
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_KANJI_TIME = re.compile(r"([0-9]{1,2})時(?:(半)|([0-9]{1,2})分)?")
_HOUR = re.compile(r"[0-9]{1,2}")


def read_time(raw: str | None) -> time | Problem:
    """A time of day: 10:00, 10:00:00, 10時半, 午後3時, 3:00 PM. Seconds are dropped."""
    text = _squeeze(fold(raw).upper())
    if not text:
        return MISSING
    marked = _MARKED.fullmatch(text)
    if marked is None:  # cannot happen: every part is optional
        return UNREADABLE
    before, body, after = marked.groups()
    if before and after:
        return UNREADABLE
    meridiem = before or after
    clock = _read_clock(body, bare_hour=bool(meridiem))
    if clock is None:
        return UNREADABLE
    hour, minute = clock
    if meridiem:
        # 午前/午後12時 and 12 AM/PM are read both ways by different people; 午後0時 is not.
        if hour >= 12:
            return UNREADABLE
        if meridiem.startswith(("午後", "P")):
            hour += 12
    if hour > 23 or minute > 59:
        return UNREADABLE
    return time(hour, minute)


def _read_clock(body: str, *, bare_hour: bool) -> tuple[int, int] | None:
    if m := _CLOCK.fullmatch(body):
        if m[3] and int(m[3]) > 59:
            return None
        return int(m[1]), int(m[2])
    if m := _KANJI_TIME.fullmatch(body):
        return int(m[1]), 30 if m[2] else int(m[3] or 0)
    # "3 PM" names an hour; a bare "10" without a marker could be anything.
    if bare_hour and _HOUR.fullmatch(body):
        return int(body), 0
    return None


# --- email, phone --------------------------------------------------------------------

# The one definition of a usable address (SPEC §6 "Wording and addresses", issue 10 §1),
# used at intake, for a staff 連絡先訂正 and by every mailer (``app.render``): a plain
# ASCII addr-spec, ``local@domain``, nothing a mail library could read as more than one
# address or decode into something else. So: ASCII dot-atom characters only in the local
# part (no double quotes, commas, angle brackets, spaces or control characters), and no
# RFC 2047 encoded word (``=?utf-8?q?…?=``: a header parser decodes it, CR/LF and commas
# included). Dots may stand anywhere in the local part: old Japanese mobile addresses
# (taro..@example.jp) still exist and still receive mail. The domain is dotted LDH labels:
# an internationalised domain is usable only as the punycode (``xn--``) its owner gives;
# one typed in Unicode is not converted (a guess between IDNA 2003 and 2008 spellings),
# so it is 要確認 and staff type the punycode in 連絡先訂正.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+{_LABEL}")


def usable_address(value: str) -> bool:
    """Whether ``value`` (already normalised) is an address mail may be sent to."""
    if len(value) > 254 or not value.isascii() or "=?" in value:
        return False
    local, at, domain = value.rpartition("@")
    return bool(at) and bool(_LOCAL.fullmatch(local)) and bool(_DOMAIN.fullmatch(domain))


def read_email(raw: str | None) -> str | Problem:
    """An email address: NFKC, stray spaces, ``<>`` and ``mailto:`` removed, lower-cased;
    ``UNREADABLE`` unless the result is a ``usable_address``."""
    text = "".join(fold(raw).split())
    if not text:
        return MISSING
    for _ in range(2):  # <mailto:x@y> and mailto:<x@y>
        if text.startswith("<") and text.endswith(">"):
            text = text[1:-1]
        if text[:7].lower() == "mailto:":
            text = text[7:]
    text = text.lower()
    return text if usable_address(text) else UNREADABLE


def phone_digits(raw: str | None) -> str:
    """The digits of a phone number, for comparing registrations (P7); may be ""."""
    return "".join(ch for ch in fold(raw) if "0" <= ch <= "9")


# --- client identity -----------------------------------------------------------------

_YEAR = re.compile(r"([0-9]{4})年?(?:生まれ|生)?")
_ERA_BIRTH_YEAR = re.compile(rf"({_ERA})\.?{_ERA_YEAR}年?(?:生まれ|生)?")
_PLAUSIBLE_YEARS = range(1900, 2101)


def read_year(raw: str | None) -> int | Problem:
    """A birth year: 1985, 1985年, 昭和60年, S60, H2; or the year of a full date."""
    text = _squeeze(fold(raw).upper())
    if not text:
        return MISSING
    year: int | None = None
    if m := _YEAR.fullmatch(text):
        year = int(m[1])
    elif m := _ERA_BIRTH_YEAR.fullmatch(text):
        year = _era_year(m[1], m[2])[1]
    elif isinstance(day := read_date(text), date):
        year = day.year
    # A birth year outside this range is a typo (or an age), not a person we support.
    if year is None or year not in _PLAUSIBLE_YEARS:
        return UNREADABLE
    return year


def initials_key(raw: str | None) -> str | Problem:
    """Initials as a client key: upper-case letters and digits only (T.N., Ｔ．Ｎ．, tn → TN)."""
    text = fold(raw)
    if not text:
        return MISSING
    # NFKC again after case mapping and after filtering: either can leave a string that
    # NFKC would change (Hangul jamo meet once the dot between them goes).
    upper = unicodedata.normalize("NFKC", text.upper())
    key = unicodedata.normalize("NFKC", "".join(ch for ch in upper if ch.isalnum()))
    return key or UNREADABLE


def nationality_key(raw: str | None) -> str | Problem:
    """Nationality as a client key: no spaces, case-folded. Spellings are not merged."""
    text = "".join(fold(raw).split())
    if not text:
        return MISSING
    return unicodedata.normalize("NFKC", text.casefold())


# --- free text and choices -----------------------------------------------------------


def clean_text(raw: str | None) -> str:
    """NFKC, trimmed, internal runs of whitespace as one space; "" for None."""
    if not raw:
        return ""
    return " ".join(unicodedata.normalize("NFKC", raw.translate(_INVISIBLE)).split())


def read_choice(raw: str | None, options: Sequence[str]) -> str | Problem:
    """The option exactly chosen (after NFKC and spacing), as the option is spelled."""
    text = clean_text(raw)
    if not text:
        return MISSING
    for option in options:
        if clean_text(option) == text:
            return option
    return UNREADABLE


def read_checkbox_list(raw: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """The options of a checkbox answer; a CSV export joins them with ", "."""
    if raw is None:
        return ()
    items = raw if isinstance(raw, tuple) else clean_text(raw).split(", ")
    return tuple(dict.fromkeys(item for item in map(clean_text, items) if item))


# Google Sheets checkboxes hold TRUE/FALSE; staff typing into the local backend's CSV
# use the marks a Japanese office uses on paper (SPEC §5). Anything else — ``✔``, ``レ``,
# ``×``, ``=TRUE()`` — is not guessed at: it is reported and not applied (issue 10 §4).
_TICKS = frozenset({"true", "1", "はい", "✓", "○", "◯", "〇", "済"})
_UNTICKS = frozenset({"", "false", "0", "いいえ", "未"})


def read_tick(raw: str | None) -> bool | None:
    """A staff checkbox cell: ticked, unticked, or None when it says neither."""
    text = fold(raw).casefold()
    if text in _TICKS:
        return True
    if text in _UNTICKS:
        return False
    return None


def is_ticked(raw: str | None) -> bool:
    """Whether a staff checkbox cell reads as ticked (a cell not understood is not)."""
    return read_tick(raw) is True


def read_consent(raw: str | None) -> bool:
    """A consent checkbox has one option; any answer at all means it was checked."""
    return bool(fold(raw))
