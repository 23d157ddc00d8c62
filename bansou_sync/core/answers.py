"""Reading one application's raw answers into typed facts (SPEC §3), and the client key.

Nothing here raises: every answer is a value or a ``Problem`` that the judge turns into
``missing:<field>`` / ``unreadable:<field>``.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from dataclasses import dataclass
from datetime import date, time
from typing import TypeVar

from bansou_sync.core import normalize as n
from bansou_sync.core.model import Problem, RawResponse
from bansou_sync.core.policy import Policy

T = TypeVar("T")


@dataclass(frozen=True)
class ApplicationFacts:
    supporter_id: str | Problem
    name: str
    email: str | Problem
    support_date: date | Problem
    start: time | Problem
    end: time | Problem
    companion_id: str | Problem
    client_code: str | Problem
    initials: str | Problem
    birth_year: int | Problem
    nationality: str | Problem
    topics: tuple[str, ...]
    destinations: tuple[str, ...]
    outcomes: tuple[str, ...]
    narrative: str
    consent: bool
    resubmission_of: str | Problem


def _shared(value: T) -> T:
    """One string object per distinct value: a supporter's ID, name and address, a
    nationality, a checkbox label come back in thousands of applications, and the ledger
    keeps every application in memory, so each distinct value is held once."""
    if isinstance(value, str) and type(value) is str:  # sys.intern takes no subclass
        return sys.intern(value)  # type: ignore[return-value]
    return value


def _labels(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(map(_shared, values))


def read_application(raw: RawResponse, policy: Policy) -> ApplicationFacts:
    return ApplicationFacts(
        supporter_id=_shared(policy.supporter_ids.parse(raw.text("supporter_id"))),
        name=_shared(n.clean_text(raw.text("name"))),
        email=_shared(n.read_email(raw.text("email"))),
        support_date=n.read_date(raw.text("support_date")),
        start=n.read_time(raw.text("start_time")),
        end=n.read_time(raw.text("end_time")),
        companion_id=_shared(policy.supporter_ids.parse(raw.text("companion_id"))),
        client_code=policy.client_ids.parse(raw.text("client_code")),
        initials=n.initials_key(raw.text("client_initials")),
        birth_year=n.read_year(raw.text("client_birth_year")),
        nationality=_shared(n.nationality_key(raw.text("client_nationality"))),
        topics=_labels(n.read_checkbox_list(raw.answers.get("topics"))),
        destinations=_labels(n.read_checkbox_list(raw.answers.get("destinations"))),
        outcomes=_labels(n.read_checkbox_list(raw.answers.get("outcomes"))),
        narrative=raw.text("narrative") or "",
        consent=n.read_consent(raw.text("consent")),
        resubmission_of=policy.application_ids.parse(raw.text("resubmission_of")),
    )


def client_hash(key: bytes, initials: str, birth_year: int, nationality: str) -> str:
    """Keyed hash of a client's identity; the triple itself is never stored."""
    message = f"{initials}\x1f{birth_year}\x1f{nationality}".encode()
    return hmac.digest(key, message, hashlib.sha256).hex()  # one-shot: hmac.new's hexdigest
