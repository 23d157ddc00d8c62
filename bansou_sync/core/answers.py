"""Reading one application's raw answers into typed facts (SPEC §3), and the client key.

Nothing here raises: every answer is a value or a ``Problem`` that the judge turns into
``missing:<field>`` / ``unreadable:<field>``.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Any, TypeVar

from bansou_sync.core import normalize as n
from bansou_sync.core.model import Answer, Problem, RawResponse, answer_text
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


class _Memo(dict[Answer | None, T]):
    """One reader's result per distinct raw answer, worked out on first sight."""

    __slots__ = ("_read",)

    def __init__(self, read: Callable[[Any], T]) -> None:
        super().__init__()
        self._read = read

    def __missing__(self, answer: Answer | None) -> T:
        value = self[answer] = self._read(answer)
        return value


class Readings:
    """The readers of an application's answers, each with its result per distinct raw
    answer. Every reader is pure, so an answer read a second time reads the same; a
    backfill's 60,000 applications hold a few thousand distinct IDs, names, addresses,
    dates, times and checkbox labels, each read once. A plan keeps one
    (``cycle.plan_indexed``) and drops it with the plan: nothing is held between cycles."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

        def supporter_id(answer: Answer) -> str | Problem:
            return _shared(policy.supporter_ids.parse(answer_text(answer)))

        self.supporter_id = _Memo(supporter_id)
        self.client_code = _Memo(lambda a: policy.client_ids.parse(answer_text(a)))
        self.application_no = _Memo(lambda a: policy.application_ids.parse(answer_text(a)))
        self.name = _Memo(lambda a: _shared(n.clean_text(answer_text(a))))
        self.email = _Memo(lambda a: _shared(n.read_email(answer_text(a))))
        self.date = _Memo(lambda a: n.read_date(answer_text(a)))
        self.time = _Memo(lambda a: n.read_time(answer_text(a)))
        self.initials = _Memo(lambda a: n.initials_key(answer_text(a)))
        self.year = _Memo(lambda a: n.read_year(answer_text(a)))
        self.nationality = _Memo(lambda a: _shared(n.nationality_key(answer_text(a))))
        self.labels = _Memo(lambda a: _labels(n.read_checkbox_list(a)))
        self.consent = _Memo(lambda a: n.read_consent(answer_text(a)))
        self._clients: dict[tuple[bytes, str, int, str], str] = {}

    def client_hash(self, key: bytes, initials: str, birth_year: int, nationality: str) -> str:
        """``client_hash``, worked out once per distinct client in the plan."""
        triple = (key, initials, birth_year, nationality)
        digest = self._clients.get(triple)
        if digest is None:
            digest = self._clients[triple] = client_hash(key, initials, birth_year, nationality)
        return digest


def read_application(
    raw: RawResponse, policy: Policy, readings: Readings | None = None
) -> ApplicationFacts:
    """The typed facts of one application response. ``readings``: the plan's readers
    (their results kept per distinct answer), made for this ``policy``; None: new ones."""
    r = readings if readings is not None and readings.policy is policy else Readings(policy)
    answer = raw.answers.get
    return ApplicationFacts(
        supporter_id=r.supporter_id[answer("supporter_id", "")],
        name=r.name[answer("name", "")],
        email=r.email[answer("email", "")],
        support_date=r.date[answer("support_date", "")],
        start=r.time[answer("start_time", "")],
        end=r.time[answer("end_time", "")],
        companion_id=r.supporter_id[answer("companion_id", "")],
        client_code=r.client_code[answer("client_code", "")],
        initials=r.initials[answer("client_initials", "")],
        birth_year=r.year[answer("client_birth_year", "")],
        nationality=r.nationality[answer("client_nationality", "")],
        topics=r.labels[answer("topics")],
        destinations=r.labels[answer("destinations")],
        outcomes=r.labels[answer("outcomes")],
        narrative=raw.text("narrative") or "",
        consent=r.consent[answer("consent", "")],
        resubmission_of=r.application_no[answer("resubmission_of", "")],
    )


def client_hash(key: bytes, initials: str, birth_year: int, nationality: str) -> str:
    """Keyed hash of a client's identity; the triple itself is never stored."""
    message = f"{initials}\x1f{birth_year}\x1f{nationality}".encode()
    return hmac.digest(key, message, hashlib.sha256).hex()  # one-shot: hmac.new's hexdigest
