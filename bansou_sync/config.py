"""The configuration: one YAML file, read and validated once at start-up.

``load_config`` returns a frozen ``Settings`` or raises one ``ConfigError`` listing every
problem, each a line naming its dotted key (wording and checkers in ``config_errors``).
Unknown keys are not errors — later features add keys — they become ``Settings.warnings``.
Relative paths are relative to the config file's folder. Secrets are never stored on the
model: ``client_key()`` and ``smtp_password()`` read them from the environment or a file.

The sections' models live in ``config_sections`` (their value types in ``config_types``),
the secret files' handling in ``config_secrets``; events and payment files in
``config_events`` and ``config_payments``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticValidationError

from bansou_sync import config_errors as check
from bansou_sync.config_events import EventSettings, load_events
from bansou_sync.config_secrets import problem, read_secret, readable_by_others
from bansou_sync.config_sections import (
    AccountingSettings,
    AlertsSettings,
    BudgetSettings,
    ContactSettings,
    DigestSettings,
    DriveSettings,
    FormsSettings,
    GoogleSettings,
    HonorariaSettings,
    IdsSettings,
    IntakeSettings,
    LoggingSettings,
    MailSettings,
    PaymentsSettings,
    PeriodSettings,
    PrivacySettings,
    RulesSettings,
    ScheduleSettings,
    Section,
    SheetSettings,
    SourceSettings,
    StateSettings,
)
from bansou_sync.errors import ConfigError

__all__ = ["CLIENT_KEY_ENV", "ScheduleSettings", "Settings", "load_config"]

CLIENT_KEY_ENV = "BANSOU_CLIENT_KEY"


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
    drive: DriveSettings = Field(default_factory=DriveSettings)  # 操作's files on Google
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
        key = read_secret(key_file, "privacy.client_key_file", create=True)
        if not key:
            raise problem("privacy.client_key_file", "鍵ファイルが空です", f"{key_file} is empty")
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
        return readable_by_others(self.privacy.client_key_file, "privacy.client_key_file")

    def secret_file_warnings(self) -> list[str]:
        """Every secret file in use (client key, service-account key, SMTP password) that
        its group or others can read: a warning each."""
        warnings = self.client_key_warnings()
        if self.google.credentials_file is not None:
            warnings += readable_by_others(self.google.credentials_file, "google.credentials_file")
        smtp = self.mail.smtp
        in_use = self.mail.kind == "smtp" and not self._env.get(smtp.password_env, "").strip()
        if in_use and smtp.password_file is not None:
            warnings += readable_by_others(smtp.password_file, "mail.smtp.password_file")
        return warnings

    def smtp_password(self) -> str | None:
        """$<mail.smtp.password_env>, else the content of mail.smtp.password_file, else None."""
        smtp = self.mail.smtp
        from_env = self._env.get(smtp.password_env, "").strip()
        if from_env or smtp.password_file is None:
            return from_env or None
        return read_secret(smtp.password_file, "mail.smtp.password_file", create=False) or None


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
