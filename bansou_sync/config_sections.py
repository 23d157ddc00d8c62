"""The configuration's sections, one model each (``Settings`` in ``config`` holds them).

config.example.yaml explains each key. The programme's numbers default to
``core.policy.DEFAULT``: a section only lets a config override them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from bansou_sync import config_errors as check
from bansou_sync.config_payments import BankDetailsSettings, PayerSettings
from bansou_sync.config_types import (
    APPLICATION_FIELDS,
    EMERGENCY_FIELDS,
    PREFILLABLE_FIELDS,
    REGISTRATION_FIELDS,
    Day,
    DayOfMonth,
    Digits,
    Email,
    FilePath,
    Flag,
    FormId,
    Hour,
    LogFormat,
    LogLevel,
    MailKind,
    Moment,
    NonNegInt,
    PosInt,
    Seconds,
    Security,
    SheetKind,
    SourceKind,
    Text,
    Url,
    field_name,
    int_in,
    one_of,
)
from bansou_sync.core.policy import DEFAULT, CapCounts, CutoffBasis


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", validate_default=True)


class SourceMapping(Section):
    """Field name → question title (CSV, Sheet) or questionId (Forms API); empty: reference."""

    registration: dict[Annotated[str, field_name(REGISTRATION_FIELDS)], Text] = {}
    application: dict[Annotated[str, field_name(APPLICATION_FIELDS)], Text] = {}
    emergency: dict[Annotated[str, field_name(EMERGENCY_FIELDS)], Text] = {}


class SourceSettings(Section):
    kind: Annotated[SourceKind, one_of(SourceKind)] = "csv"
    registrations: FilePath | None = None  # csv
    applications: FilePath | None = None
    registration_form_id: FormId | None = None  # forms_api
    application_form_id: FormId | None = None
    registration_sheet_id: Text | None = None  # response_sheet
    application_sheet_id: Text | None = None
    registration_worksheet: Text | None = None  # None: the spreadsheet's first worksheet
    application_worksheet: Text | None = None
    # 緊急支援費申請 (optional, issue 6 §5): the same kind of source as the two forms above
    emergency: FilePath | None = None  # csv
    emergency_form_id: FormId | None = None  # forms_api
    emergency_sheet_id: Text | None = None  # response_sheet
    emergency_worksheet: Text | None = None
    mapping: SourceMapping = Field(default_factory=SourceMapping)


class SheetSettings(Section):
    kind: Annotated[SheetKind, one_of(SheetKind)] = "local"
    path: FilePath | None = Path("out/status")
    spreadsheet_id: Text | None = None


class SmtpSettings(Section):
    host: Text | None = None
    port: Annotated[int, int_in(1, 65535)] = 587
    security: Annotated[Security, one_of(Security)] = "starttls"
    username: Text | None = None
    password_env: Text = "BANSOU_SMTP_PASSWORD"
    password_file: FilePath | None = None


class MailSettings(Section):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    kind: Annotated[MailKind, one_of(MailKind)] = "outbox"
    path: FilePath | None = Path("out/outbox")
    daily_limit: PosInt = 500
    per_minute: PosInt = 20
    from_address: Email = Field(default="jimukyoku@example.org", alias="from")
    from_name: Text = "移住連 事務局"
    staff_to: Annotated[tuple[Email, ...], BeforeValidator(check.one_or_many)] = (
        "jimukyoku@example.org",
    )
    notify_after: Moment | None = DEFAULT.notify_after  # aware, Asia/Tokyo
    # notices to one address per rolling 24 hours; the rest wait, in order (issue 10 §5)
    per_recipient_daily_limit: PosInt = 50
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    # gmail: send through drafts and check Sent after a crash (exactly once; needs the
    # gmail.compose and gmail.readonly scopes besides gmail.send)
    gmail_drafts: Flag = True
    english_summary: Flag = False  # a short English summary under volunteer emails
    # gmail / smtp: a ledger's first cycle queuing more emails than this stops and asks
    # for ``once --confirm-send`` (unless notify_after is set); null: never asks
    first_cycle_limit: NonNegInt | None = 50


class ContactSettings(Section):
    """The secretariat's contact at the end of every volunteer email (none when unset),
    and whom staff call when the system fails (staff alerts)."""

    phone: Text | None = None
    address: Text | None = None
    support: Text | None = None


class StateSettings(Section):
    path: FilePath = Path("out/ledger.sqlite3")
    backups: NonNegInt = 7  # daily copies kept; 0: no backups
    backup_dir: FilePath | None = None  # None: <the ledger's folder>/backups
    # a cycle does nothing it could not record: it stops unless this much disk is free
    min_free_mb: NonNegInt = 50

    @model_validator(mode="after")
    def _backups_beside_the_ledger(self) -> StateSettings:
        if self.backup_dir is None:  # frozen: fill the derived default in once, here
            object.__setattr__(self, "backup_dir", Path(self.path).parent / "backups")
        return self


class ApplicationForm(Section):
    url: Url | None = None
    entries: dict[Annotated[str, field_name(PREFILLABLE_FIELDS)], PosInt] = {}


class RegistrationForm(Section):
    url: Url | None = None


class FormsSettings(Section):
    application: ApplicationForm = Field(default_factory=ApplicationForm)
    registration: RegistrationForm = Field(default_factory=RegistrationForm)


class PeriodSettings(Section):
    start: Day = DEFAULT.period_start
    end: Day = DEFAULT.period_end


class IntakeSettings(Section):
    closes_on: Day | None = DEFAULT.intake_closes_on
    # a cycle bringing more new responses than this is a surge: recorded and judged, but
    # its volunteer mail is held until staff release it (issue 10 §5)
    surge_limit: PosInt = 1000


class BudgetSettings(Section):
    total_yen: PosInt = DEFAULT.budget_total_yen
    warn_ratio: Annotated[float, BeforeValidator(check.ratio)] = DEFAULT.warn_ratio
    close_form: Flag = DEFAULT.close_form
    emergency_in_total: Flag = DEFAULT.emergency_in_budget  # grants count against total_yen (P8)


class RulesSettings(Section):
    auto_accept: Flag = DEFAULT.auto_accept
    client_cap_counts: Annotated[CapCounts, one_of(CapCounts)] = DEFAULT.client_cap_counts
    min_minutes: PosInt = DEFAULT.min_minutes
    max_supporters_per_occasion: PosInt = DEFAULT.max_supporters_per_occasion
    max_occasions_per_client: PosInt = DEFAULT.max_occasions_per_client
    reply_days: PosInt = DEFAULT.reply_days
    reminder_days_before: NonNegInt = DEFAULT.reminder_days_before
    reminder_hour: Hour = DEFAULT.reminder_hour


class HonorariaSettings(Section):
    short_yen: PosInt = DEFAULT.short_yen
    long_yen: PosInt = DEFAULT.long_yen
    long_from_minutes: PosInt = DEFAULT.long_from_minutes


class PaymentsSettings(Section):
    cutoff_basis: Annotated[CutoffBasis, one_of(CutoffBasis)] = DEFAULT.cutoff_basis
    last_pay_date: Day | None = DEFAULT.last_pay_date
    cutoff_day: DayOfMonth = DEFAULT.cutoff_day
    pay_day: DayOfMonth = DEFAULT.pay_day
    late_acceptance_business_days: NonNegInt = DEFAULT.late_acceptance_business_days
    # payment-files (issue 6): the payer's account, the treasurer-only bank details, the output
    payer: PayerSettings | None = None
    bank_details: BankDetailsSettings | None = None
    files_dir: FilePath = Path("out/payments")


def _aliases(value: Any) -> Any:
    """A label's aliases: none (null or []), one, or a list."""
    return [] if value is None else [value] if isinstance(value, str) else value


class PrivacySettings(Section):
    min_cell: PosInt = DEFAULT.min_cell
    client_key_file: FilePath = Path("secrets/client_key")
    retain_until: Day | None = None  # after it, `purge` deletes personal data (issue 6 §4)
    # 支援の内容 → categories (core/narrative); None: the built-in map for the reference topics
    topic_keywords: dict[Text, Annotated[list[Text], BeforeValidator(check.one_or_many)]] | None = (
        None
    )
    # 国籍 → the published label (core/categories); None: the built-in list. A label may
    # have no aliases (an empty list); an answer matching none is published as その他
    nationalities: dict[Text, Annotated[list[Text], BeforeValidator(_aliases)]] | None = None


class AccountingSettings(Section):
    retain_until: Day | None = None  # 帳簿の保存期限: after it, `purge` removes payees' names


class AlertsSettings(Section):
    after_failures: PosInt = DEFAULT.after_failures


class DigestSettings(Section):
    hour: Hour = DEFAULT.digest_hour


class SupporterIds(Section):
    prefix: Text = DEFAULT.supporter_ids.prefix
    digits: Digits = DEFAULT.supporter_ids.digits


class ApplicationIds(Section):
    prefix: Text = DEFAULT.application_ids.prefix
    digits: Digits = DEFAULT.application_ids.digits


class ClientIds(Section):
    prefix: Text = DEFAULT.client_ids.prefix
    digits: Digits = DEFAULT.client_ids.digits


class IdsSettings(Section):
    supporter: SupporterIds = Field(default_factory=SupporterIds)
    application: ApplicationIds = Field(default_factory=ApplicationIds)
    client: ClientIds = Field(default_factory=ClientIds)


class ScheduleSettings(Section):
    interval_minutes: PosInt = 5
    cron: Annotated[str, BeforeValidator(check.crontab)] | None = None  # wins when set


class LoggingSettings(Section):
    level: Annotated[LogLevel, one_of(LogLevel, upper=True)] = "INFO"
    format: Annotated[LogFormat, one_of(LogFormat)] = "auto"


class RetrySettings(Section):
    """The one bounded retry policy of every Google call (defaults suit Google's quotas)."""

    attempts: PosInt = 6
    total_seconds: Seconds = 120.0
    base_seconds: Seconds = 1.0
    max_wait_seconds: Seconds = 32.0
    timeout_seconds: Seconds = 30.0


class GoogleSettings(Section):
    credentials_file: FilePath | None = None
    subject: Email | None = None  # the mailbox a domain-wide delegated account acts as
    api_base: Url | None = None  # points the client libraries at the local emulator
    # an OAuth user credential of an app still in "testing": warn before its 7-day expiry
    oauth_testing_app: Flag = False
    retry: RetrySettings = Field(default_factory=RetrySettings)


class DriveSettings(Section):
    """Where the files staff ask for in 操作 go when the status sheet is on Google
    (issue 13 §4): Drive folders the secretariat owns, shared with the account. Payment
    files (bank details) go only to the treasurer's folder; without one they are not made."""

    outputs_folder_id: Text | None = None  # labels and reports
    treasurer_folder_id: Text | None = None  # payment files only
