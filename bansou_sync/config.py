"""The configuration: one YAML file, read and validated once at start-up.

``load_config`` returns a frozen ``Settings`` or raises one ``ConfigError`` listing every
problem, each a line naming its dotted key (wording and checkers in ``config_errors``).
Unknown keys are not errors — later features add keys — they become ``Settings.warnings``.
Relative paths are relative to the config file's folder. Secrets are never stored on the
model: ``client_key()`` and ``smtp_password()`` read them from the environment or a file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from bansou_sync import config_errors as check
from bansou_sync.config_events import EventSettings, load_events
from bansou_sync.config_payments import BankDetailsSettings, PayerSettings
from bansou_sync.errors import ConfigError

CLIENT_KEY_ENV = "BANSOU_CLIENT_KEY"
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


def _one_of(options: Any, upper: bool = False) -> BeforeValidator:
    return BeforeValidator(check.choice(*get_args(options), upper=upper))


def _field_name(fields: frozenset[str]) -> AfterValidator:
    return AfterValidator(check.choice(*sorted(fields)))


def _int(low: int, high: int | None = None) -> BeforeValidator:
    return BeforeValidator(check.integer(low, high))


SourceKind = Literal["csv", "forms_api", "response_sheet"]
SheetKind = Literal["local", "google"]
MailKind = Literal["outbox", "gmail", "smtp"]
Security = Literal["starttls", "ssl", "none"]
CapCounts = Literal["occasions", "applications"]
CutoffBasis = Literal["acceptance", "submission"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["auto", "text", "json"]

PosInt = Annotated[int, _int(1)]
NonNegInt = Annotated[int, _int(0)]
Hour = Annotated[int, _int(0, 23)]
DayOfMonth = Annotated[int, _int(1, 28)]  # every month has it
Digits = Annotated[int, _int(1, 12)]
Flag = Annotated[bool, BeforeValidator(check.boolean)]
Text = Annotated[str, BeforeValidator(check.text)]
FormId = Annotated[str, BeforeValidator(check.form_id)]
Email = Annotated[str, BeforeValidator(check.email)]
Url = Annotated[str, BeforeValidator(check.url)]
Day = Annotated[date, BeforeValidator(check.day)]
Moment = Annotated[datetime, BeforeValidator(check.moment)]
FilePath = Annotated[Path, BeforeValidator(check.path)]
Seconds = Annotated[float, BeforeValidator(check.seconds)]


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", validate_default=True)


class SourceMapping(Section):
    """Field name → question title (CSV, Sheet) or questionId (Forms API); empty: reference."""

    registration: dict[Annotated[str, _field_name(REGISTRATION_FIELDS)], Text] = {}
    application: dict[Annotated[str, _field_name(APPLICATION_FIELDS)], Text] = {}
    emergency: dict[Annotated[str, _field_name(EMERGENCY_FIELDS)], Text] = {}


class SourceSettings(Section):
    kind: Annotated[SourceKind, _one_of(SourceKind)] = "csv"
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
    kind: Annotated[SheetKind, _one_of(SheetKind)] = "local"
    path: FilePath | None = Path("out/status")
    spreadsheet_id: Text | None = None


class SmtpSettings(Section):
    host: Text | None = None
    port: Annotated[int, _int(1, 65535)] = 587
    security: Annotated[Security, _one_of(Security)] = "starttls"
    username: Text | None = None
    password_env: Text = "BANSOU_SMTP_PASSWORD"
    password_file: FilePath | None = None


class MailSettings(Section):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    kind: Annotated[MailKind, _one_of(MailKind)] = "outbox"
    path: FilePath | None = Path("out/outbox")
    daily_limit: PosInt = 500
    per_minute: PosInt = 20
    from_address: Email = Field(default="jimukyoku@example.org", alias="from")
    from_name: Text = "移住連 事務局"
    staff_to: Annotated[tuple[Email, ...], BeforeValidator(check.one_or_many)] = (
        "jimukyoku@example.org",
    )
    notify_after: Moment | None = None  # aware, Asia/Tokyo
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
    entries: dict[Annotated[str, _field_name(PREFILLABLE_FIELDS)], PosInt] = {}


class RegistrationForm(Section):
    url: Url | None = None


class FormsSettings(Section):
    application: ApplicationForm = Field(default_factory=ApplicationForm)
    registration: RegistrationForm = Field(default_factory=RegistrationForm)


class PeriodSettings(Section):
    start: Day = date(2022, 5, 25)
    end: Day = date(2023, 2, 28)


class IntakeSettings(Section):
    closes_on: Day | None = None
    # a cycle bringing more new responses than this is a surge: recorded and judged, but
    # its volunteer mail is held until staff release it (issue 10 §5)
    surge_limit: PosInt = 1000


class BudgetSettings(Section):
    total_yen: PosInt = 20_000_000
    warn_ratio: Annotated[float, BeforeValidator(check.ratio)] = 0.8
    close_form: Flag = False
    emergency_in_total: Flag = True  # emergency grants count against total_yen (P8)


class RulesSettings(Section):
    auto_accept: Flag = False
    client_cap_counts: Annotated[CapCounts, _one_of(CapCounts)] = "occasions"
    min_minutes: PosInt = 60
    max_supporters_per_occasion: PosInt = 2
    max_occasions_per_client: PosInt = 5
    reply_days: PosInt = 7
    reminder_days_before: NonNegInt = 2
    reminder_hour: Hour = 9


class HonorariaSettings(Section):
    short_yen: PosInt = 6000
    long_yen: PosInt = 10000
    long_from_minutes: PosInt = 180


class PaymentsSettings(Section):
    cutoff_basis: Annotated[CutoffBasis, _one_of(CutoffBasis)] = "acceptance"
    last_pay_date: Day | None = None
    cutoff_day: DayOfMonth = 20
    pay_day: DayOfMonth = 10
    late_acceptance_business_days: NonNegInt = 3
    # payment-files (issue 6): the payer's account, the treasurer-only bank details, the output
    payer: PayerSettings | None = None
    bank_details: BankDetailsSettings | None = None
    files_dir: FilePath = Path("out/payments")


def _aliases(value: Any) -> Any:
    """A label's aliases: none (null or []), one, or a list."""
    return [] if value is None else [value] if isinstance(value, str) else value


class PrivacySettings(Section):
    min_cell: PosInt = 5
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
    after_failures: PosInt = 3


class DigestSettings(Section):
    hour: Hour = 8


class SupporterIds(Section):
    prefix: Text = "BN-"
    digits: Digits = 4


class ApplicationIds(Section):
    prefix: Text = "A-"
    digits: Digits = 6


class ClientIds(Section):
    prefix: Text = "C-"
    digits: Digits = 4


class IdsSettings(Section):
    supporter: SupporterIds = Field(default_factory=SupporterIds)
    application: ApplicationIds = Field(default_factory=ApplicationIds)
    client: ClientIds = Field(default_factory=ClientIds)


class ScheduleSettings(Section):
    interval_minutes: PosInt = 5
    cron: Annotated[str, BeforeValidator(check.crontab)] | None = None  # wins when set


class LoggingSettings(Section):
    level: Annotated[LogLevel, _one_of(LogLevel, upper=True)] = "INFO"
    format: Annotated[LogFormat, _one_of(LogFormat)] = "auto"


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


class Settings(BaseModel):
    """Everything bansou-sync was configured with; config.example.yaml explains each key."""

    model_config = ConfigDict(frozen=True)

    config_path: Path
    base_dir: Path
    warnings: list[str] = []
    source: SourceSettings = Field(default_factory=SourceSettings)
    sheet: SheetSettings = Field(default_factory=SheetSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    contact: ContactSettings = Field(default_factory=ContactSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    forms: FormsSettings = Field(default_factory=FormsSettings)
    period: PeriodSettings = Field(default_factory=PeriodSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    rules: RulesSettings = Field(default_factory=RulesSettings)
    honoraria: HonorariaSettings = Field(default_factory=HonorariaSettings)
    payments: PaymentsSettings = Field(default_factory=PaymentsSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    accounting: AccountingSettings = Field(default_factory=AccountingSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    ids: IdsSettings = Field(default_factory=IdsSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    events: tuple[EventSettings, ...] = ()  # courses and events (config_events)

    _env: Mapping[str, str] = PrivateAttr(default_factory=lambda: os.environ)

    def client_key(self) -> bytes:
        """The HMAC secret for client triples: $BANSOU_CLIENT_KEY, else the key file.

        A missing key file is created with a fresh random key, mode 0600 (as ssh-keygen
        does), so a first run just works.
        """
        from_env = self._env.get(CLIENT_KEY_ENV, "").strip()
        if from_env:
            return from_env.encode("utf-8")
        key_file = self.privacy.client_key_file
        key = _read_secret(key_file, "privacy.client_key_file", create=True)
        if not key:
            raise _problem("privacy.client_key_file", "鍵ファイルが空です", f"{key_file} is empty")
        return key.encode("utf-8")

    @property
    def client_key_from_env(self) -> bool:
        return bool(self._env.get(CLIENT_KEY_ENV, "").strip())

    def client_key_problem(self) -> str | None:
        """Why the client key could not be read or created now, without creating it."""
        if self._env.get(CLIENT_KEY_ENV, "").strip():
            return None
        path = self.privacy.client_key_file
        key = "privacy.client_key_file"
        if path.exists():
            if os.access(path, os.R_OK):
                return None
            ja = f"ファイルはありますが、このユーザーには読めません (chown・chmod 600 {path})"
            return check.line(key, ja, f"{path} exists but this user cannot read it")
        folder = path.parent
        while not folder.exists() and folder.parent != folder:
            folder = folder.parent
        if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
            return None
        ja = f"鍵ファイルを作れません ({folder} に書き込めません)"
        return check.line(key, ja, f"cannot be created: {folder} is not writable by this user")

    def client_key_warnings(self) -> list[str]:
        """A key file others can read is worth a warning, never a refusal to run."""
        if self._env.get(CLIENT_KEY_ENV, "").strip():
            return []
        return _readable_by_others(self.privacy.client_key_file, "privacy.client_key_file")

    def secret_file_warnings(self) -> list[str]:
        """Every secret file in use (client key, service-account key, SMTP password) that
        its group or others can read: a warning each."""
        warnings = self.client_key_warnings()
        if self.google.credentials_file is not None:
            warnings += _readable_by_others(self.google.credentials_file, "google.credentials_file")
        smtp = self.mail.smtp
        in_use = self.mail.kind == "smtp" and not self._env.get(smtp.password_env, "").strip()
        if in_use and smtp.password_file is not None:
            warnings += _readable_by_others(smtp.password_file, "mail.smtp.password_file")
        return warnings

    def smtp_password(self) -> str | None:
        """$<mail.smtp.password_env>, else the content of mail.smtp.password_file, else None."""
        smtp = self.mail.smtp
        from_env = self._env.get(smtp.password_env, "").strip()
        if from_env or smtp.password_file is None:
            return from_env or None
        return _read_secret(smtp.password_file, "mail.smtp.password_file", create=False) or None


def _readable_by_others(path: Path, key: str) -> list[str]:
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return []  # a missing file is reported where it is read
    if not mode & 0o077:
        return []
    ja = f"他のユーザーも読める権限です (chmod 600 {path} を実行してください)"
    en = f"the file has mode {mode:o}; run chmod 600 {path}"
    return [check.line(key, ja, en)]


def _problem(key: str, ja: str, en: str) -> ConfigError:
    return ConfigError(check.line(key, ja, en))


def _read_secret(path: Path, key: str, create: bool) -> str:
    if create and not path.exists():
        try:
            if not path.parent.is_dir():
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            if not (isinstance(exc, FileExistsError) and path.is_file()):
                raise _problem(
                    key,
                    f"鍵ファイルを作れません ({exc.strerror})。このユーザーが書き込めるフォルダを"
                    "指定するか、フォルダを作って所有者を直してください",
                    f"cannot create {path} ({exc.strerror}): point it at a folder this user "
                    "can write, or create the folder and chown it to this user",
                ) from exc
            fd = None  # another process won the race: use its key
        if fd is not None:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets.token_hex(32) + "\n")
    try:
        return path.read_text(encoding="utf-8").strip()
    except PermissionError as exc:
        raise _problem(
            key,
            f"ファイルはありますが、このユーザーには読めません。chown と chmod 600 {path} で"
            "読めるようにしてください",
            f"{path} exists but this user cannot read it: chown it to this user and "
            f"chmod 600 {path}",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(key, "ファイルを読めません", f"cannot read {path} ({exc})") from exc


SECTIONS: dict[str, type[Section]] = {
    name: info.annotation
    for name, info in Settings.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, Section)
}
NEEDS: dict[tuple[str, str], tuple[str, ...]] = {  # (section, kind) → keys that kind needs
    ("source", "csv"): ("registrations", "applications"),
    ("source", "forms_api"): ("registration_form_id", "application_form_id"),
    ("source", "response_sheet"): ("registration_sheet_id", "application_sheet_id"),
    ("sheet", "local"): ("path",),
    ("sheet", "google"): ("spreadsheet_id",),
    ("mail", "outbox"): ("path",),
    ("mail", "smtp"): ("smtp.host",),
    ("mail", "gmail"): (),
}
GOOGLE_KINDS = {  # these also need google.credentials_file
    ("source", "forms_api"),
    ("source", "response_sheet"),
    ("sheet", "google"),
    ("mail", "gmail"),
}


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the YAML file at ``path``; every problem in one ConfigError."""
    config_path = Path(path).expanduser().absolute()
    raw = check.read_yaml(config_path)
    sections: dict[str, Section] = {}
    unchecked: dict[str, Section] = {}  # failed sections, as given, for the kind rules
    problems: list[str] = []
    for name, model in SECTIONS.items():
        value = {} if raw.get(name) is None else raw[name]
        try:
            sections[name] = model.model_validate(value, context={"base_dir": config_path.parent})
        except PydanticValidationError as exc:
            problems += check.problems_from(exc, (name,))
            if isinstance(value, dict) and all(isinstance(key, str) for key in value):
                unchecked[name] = model.model_construct(**value)
    problems += _kind_needs(unchecked | sections) + _consistency(sections)
    source_kind = getattr(sections.get("source"), "kind", "csv")
    events, event_problems = load_events(raw.get("events"), config_path.parent, source_kind)
    problems += event_problems
    if problems:
        raise ConfigError(problems)
    warnings = list(check.unknown_keys(raw, {**SECTIONS, "events": None}))
    settings = Settings.model_validate(
        {"config_path": config_path, "base_dir": config_path.parent, "warnings": warnings}
        | sections
        | {"events": events}
    )
    settings._env = os.environ if env is None else env
    return settings


def _outbox_outside_status(sheet: Section | None, mail: Section | None) -> list[str]:
    """The outbox folder holds whole emails (names, addresses, reasons): never inside the
    status folder, which is shared with every member of staff who opens the tabs."""
    if not (
        isinstance(sheet, SheetSettings)
        and isinstance(mail, MailSettings)
        and sheet.kind == "local"
        and mail.kind == "outbox"
        and sheet.path is not None
        and mail.path is not None
    ):
        return []
    status, outbox = sheet.path.resolve(), mail.path.resolve()
    if outbox != status and status not in outbox.parents:
        return []
    ja = f"sheet.path ({sheet.path}) の中にあります。メール(個人情報)を状況シートのフォルダに置かないでください"
    en = "is inside sheet.path: the emails (personal data) must not sit in the status folder"
    return [check.line("mail.path", ja, en, str(mail.path))]


def _kind_needs(sections: Mapping[str, Section]) -> list[str]:
    """Keys the chosen kinds cannot work without (also read from sections that failed)."""
    problems = []
    for (name, kind), keys in NEEDS.items():
        section = sections.get(name)
        if section is None or getattr(section, "kind", None) != kind:
            continue
        ja = f"{name}.kind が {kind} のときは必須です"
        en = f"is required when {name}.kind is {kind}"
        needed = [f"{name}.{key}" for key in keys]
        needed += ["google.credentials_file"] if (name, kind) in GOOGLE_KINDS else []
        for key in needed:
            value: Any = sections
            for part in key.split("."):
                value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, 0)
            if value is None:
                problems.append(check.line(key, ja, en))
    return problems


def _consistency(sections: Mapping[str, Section]) -> list[str]:
    """Rules that tie validated keys together."""
    problems = []
    period = sections.get("period")
    if isinstance(period, PeriodSettings) and period.start > period.end:
        ja = f"period.start ({period.start}) より前です"
        en = f"is before period.start ({period.start})"
        problems.append(check.line("period.end", ja, en, period.end))
    privacy, accounting = sections.get("privacy"), sections.get("accounting")
    if (
        isinstance(privacy, PrivacySettings)
        and isinstance(accounting, AccountingSettings)
        and privacy.retain_until
        and accounting.retain_until
        and accounting.retain_until < privacy.retain_until
    ):
        ja = f"privacy.retain_until ({privacy.retain_until}) より前です"
        en = f"is before privacy.retain_until ({privacy.retain_until})"
        problems.append(check.line("accounting.retain_until", ja, en, accounting.retain_until))
    problems += _outbox_outside_status(sections.get("sheet"), sections.get("mail"))
    ids = sections.get("ids")
    if isinstance(ids, IdsSettings):
        seen: dict[str, str] = {}
        for name in ("supporter", "application", "client"):
            prefix = getattr(ids, name).prefix
            if prefix.upper() in seen:  # IDs are read case-insensitively ("bn-7")
                other = f"ids.{seen[prefix.upper()]}.prefix"
                ja, en = f"{other} と同じです", f"must differ from {other}"
                problems.append(check.line(f"ids.{name}.prefix", ja, en, prefix))
            seen.setdefault(prefix.upper(), name)
    return problems
