"""The building blocks of the configuration's section models: the question fields a
mapping may name, the validated value types (each naming its key in a bad config's
one-line message, wording in ``config_errors``)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator

from bansou_sync import config_errors as check

REGISTRATION_FIELDS = frozenset(
    {"name", "kana", "email", "phone", "postal_code", "address", "membership", "referrer"}
    | {"prefecture", "languages", "wants_course", "consent"}
)
PREFILLABLE_FIELDS = frozenset(
    {"supporter_id", "name", "email", "support_date", "start_time", "end_time", "companion_id"}
    | {"client_code", "client_initials", "client_birth_year", "client_nationality"}
    | {"resubmission_of"}
)
APPLICATION_FIELDS = (
    PREFILLABLE_FIELDS | {"topics", "destinations", "outcomes", "narrative"} | {"consent"}
)
EMERGENCY_FIELDS = frozenset(
    {"supporter_id", "client_code", "amount", "purposes", "narrative", "consent"}
)


def one_of(options: Any, upper: bool = False) -> BeforeValidator:
    return BeforeValidator(check.choice(*get_args(options), upper=upper))


def field_name(fields: frozenset[str]) -> AfterValidator:
    return AfterValidator(check.choice(*sorted(fields)))


def int_in(low: int, high: int | None = None) -> BeforeValidator:
    return BeforeValidator(check.integer(low, high))


SourceKind = Literal["csv", "forms_api", "response_sheet"]
SheetKind = Literal["local", "google"]
MailKind = Literal["outbox", "gmail", "smtp"]
Security = Literal["starttls", "ssl", "none"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["auto", "text", "json"]

PosInt = Annotated[int, int_in(1)]
NonNegInt = Annotated[int, int_in(0)]
Hour = Annotated[int, int_in(0, 23)]
DayOfMonth = Annotated[int, int_in(1, 28)]  # every month has it
Digits = Annotated[int, int_in(1, 12)]
Flag = Annotated[bool, BeforeValidator(check.boolean)]
Text = Annotated[str, BeforeValidator(check.text)]
FormId = Annotated[str, BeforeValidator(check.form_id)]
Email = Annotated[str, BeforeValidator(check.email)]
Url = Annotated[str, BeforeValidator(check.url)]
Day = Annotated[date, BeforeValidator(check.day)]
Moment = Annotated[datetime, BeforeValidator(check.moment)]
FilePath = Annotated[Path, BeforeValidator(check.path)]
Seconds = Annotated[float, BeforeValidator(check.seconds)]
