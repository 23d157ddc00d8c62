"""Composition root: configuration → adapters → the app. Nothing happens at import time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bansou_sync import __version__
from bansou_sync.adapters import kept_projection, parsed_tabs
from bansou_sync.adapters.csv_source import CsvSource
from bansou_sync.adapters.extra_forms import ExtraForm
from bansou_sync.adapters.form_fields import TITLES_BY_FORM
from bansou_sync.adapters.kept_projection import KeptProjection
from bansou_sync.adapters.ledger import Ledger
from bansou_sync.adapters.local_sheet import LocalSheet
from bansou_sync.adapters.outbox_dir import OutboxDir
from bansou_sync.adapters.retry import credential_trouble
from bansou_sync.adapters.smtp import SmtpMailer
from bansou_sync.adapters.written_labels import WrittenLabels
from bansou_sync.app import events, operations
from bansou_sync.app.credential_watch import TokenAge
from bansou_sync.app.first_run import first_cycle_limit, placeholder_problem, reaches_people
from bansou_sync.app.ledger_sources import claim_sources, fingerprint
from bansou_sync.app.render import Letterhead, Renderer, default_templates_dir
from bansou_sync.app.run_once import Services
from bansou_sync.config import Settings
from bansou_sync.config_events import EventSettings
from bansou_sync.config_policy import policy_from as policy_from  # re-exported
from bansou_sync.core.calendar import to_jst
from bansou_sync.core.emergency import EMERGENCY_TAB
from bansou_sync.core.event_model import EventSpec
from bansou_sync.core.event_tabs import SURVEY_LAYOUT, event_layout
from bansou_sync.core.ids import IdPattern
from bansou_sync.core.tabs import ALL_TABS, TabLayout
from bansou_sync.errors import ConfigError
from bansou_sync.google_wiring import google_access as google_access  # re-exported
from bansou_sync.google_wiring import retry_policy as retry_policy  # re-exported
from bansou_sync.ports import Mailer, ResponseSource, StatusSheet

FORMS = ("registration", "application")


def source_cache_path(settings: Settings) -> Path:
    """Where the CSV source keeps its last complete read of the exports (beside the
    ledger; it holds what the exports hold, so ``purge`` deletes it)."""
    return Path(settings.state.path).parent / "source-cache.bin"


def make_source(settings: Settings, *, keep_reads: bool = True) -> ResponseSource:
    """``keep_reads``: a CSV export's last read is kept beside the ledger (False for a
    dry run, which leaves nothing behind)."""
    src = settings.source
    mapping = {form: dict(getattr(src.mapping, form, {})) for form in TITLES_BY_FORM}
    titles = {form: {**TITLES_BY_FORM[form], **mapping[form]} for form in TITLES_BY_FORM}
    if src.kind == "csv":
        assert src.registrations is not None and src.applications is not None
        paths = {"registration": src.registrations, "application": src.applications}
        return CsvSource(
            paths | optional_forms(src, "emergency", "emergency"),
            titles,
            cache_path=source_cache_path(settings) if keep_reads else None,
        )
    if src.kind == "forms_api":
        from bansou_sync.adapters.forms_api import FormsApiSource

        assert src.registration_form_id is not None and src.application_form_id is not None
        return FormsApiSource(
            google_access(settings),
            {"registration": src.registration_form_id, "application": src.application_form_id}
            | optional_forms(src, "emergency", "emergency_form_id"),
            mapping,
            can_close=settings.budget.close_form,
            policy=retry_policy(settings),
            layouts_dir=Path(settings.state.path).parent if keep_reads else None,
        )
    if src.kind == "response_sheet":
        from bansou_sync.adapters.response_sheet import ResponseSheetSource

        assert src.registration_sheet_id is not None and src.application_sheet_id is not None
        return ResponseSheetSource(
            google_access(settings),
            {"registration": src.registration_sheet_id, "application": src.application_sheet_id}
            | optional_forms(src, "emergency", "emergency_sheet_id"),
            {"registration": src.registration_worksheet, "application": src.application_worksheet}
            | {"emergency": src.emergency_worksheet},
            titles,
            policy=retry_policy(settings),
        )
    raise ConfigError(f"source.kind: {src.kind} は使えません / is not available")


def source_fingerprint(settings: Settings) -> str:
    """The configured source of the two main forms, as the ledger records it."""
    src = settings.source
    keys = {
        "csv": ("registrations", "applications"),
        "forms_api": ("registration_form_id", "application_form_id"),
        "response_sheet": ("registration_sheet_id", "application_sheet_id"),
    }[src.kind]
    base = Path(settings.base_dir)
    where: dict[str, object] = {}
    for form, key in zip(FORMS, keys, strict=True):
        value = getattr(src, key)
        # a CSV path as written beside the config: moving the whole folder is no new source
        where[form] = (
            value.relative_to(base)
            if isinstance(value, Path) and value.is_relative_to(base)
            else value
        )
    return fingerprint(src.kind, where)


def optional_forms(src: Any, form: str, key: str) -> dict[str, Any]:
    """An optional form (e.g. 緊急支援費申請) joins the source only when configured."""
    value = getattr(src, key, None)
    return {form: value} if value is not None else {}


def emergency_configured(settings: Settings) -> bool:
    src = settings.source
    keys = {"csv": "emergency", "forms_api": "emergency_form_id"}
    return getattr(src, keys.get(src.kind, "emergency_sheet_id"), None) is not None


def sheet_layouts(settings: Settings) -> tuple[TabLayout, ...]:
    """The status tabs; 緊急支援 only where the emergency form is configured."""
    return (*ALL_TABS, EMERGENCY_TAB) if emergency_configured(settings) else ALL_TABS


def make_sheet(settings: Settings) -> StatusSheet:
    if settings.sheet.kind == "local":
        assert settings.sheet.path is not None
        layouts = status_layouts(settings)
        sheet = LocalSheet(Path(settings.sheet.path), layouts)
        # what it wrote (adapters.written_labels), beside the ledger like the Google cache
        written = Path(settings.state.path).parent / "sheet-written.json"
        sheet.written = WrittenLabels(written, layouts)
        kept = parsed_tabs.folder_for(Path(settings.state.path))  # adapters.parsed_tabs
        sheet.parsed = parsed_tabs.ParsedTabs(kept, layouts, __version__)
        return sheet
    if settings.sheet.kind == "google":
        from bansou_sync.adapters.google_sheet import GoogleSheet

        assert settings.sheet.spreadsheet_id is not None
        # beside the ledger: losing the state folder loses both, and the next read is full
        cache = Path(settings.state.path).parent / "sheet-cache.sqlite3"
        return GoogleSheet(
            google_access(settings),
            settings.sheet.spreadsheet_id,
            cache_path=cache,
            policy=retry_policy(settings),
            layouts=status_layouts(settings),
        )
    raise ConfigError(
        f"sheet.kind: {settings.sheet.kind} はまだ使えません / is not available yet (use local)"
    )


def make_mailer(settings: Settings, ledger: Ledger) -> Mailer:
    mail = settings.mail
    if mail.kind == "outbox":
        assert mail.path is not None
        return OutboxDir(Path(mail.path))
    if mail.kind == "smtp":
        smtp = mail.smtp
        assert smtp.host is not None
        return SmtpMailer(
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            username=smtp.username,
            password=settings.smtp_password(),
        )
    if mail.kind == "gmail":
        from bansou_sync.adapters.gmail import GmailMailer

        if not mail.gmail_drafts:
            return GmailMailer(google_access(settings), policy=retry_policy(settings))
        # exactly once through drafts: a recorded draft that is gone was sent, one still
        # there was not; Sent is searched by Message-ID (no token in the subject)
        return GmailMailer(
            google_access(settings), policy=retry_policy(settings), check_sent=True, drafts=ledger
        )
    raise ConfigError(f"mail.kind: {mail.kind} は使えません / is not available")


def letterhead(settings: Settings) -> Letterhead:
    """What volunteer emails end with (``contact:``, the forms' URLs) and staff alerts name."""
    contact, forms = settings.contact, settings.forms
    return Letterhead(
        phone=contact.phone or "",
        address=contact.address or "",
        support=contact.support or "",
        application_url=forms.application.url or "",
        registration_url=forms.registration.url or "",
        english_summary=settings.mail.english_summary,
    )


def build_services(
    settings: Settings,
    ledger: Ledger,
    *,
    confirm_send: bool = False,
    record_sources: bool = True,
    accept_sources: bool = False,
) -> Services:
    """``confirm_send``: the person running ``once --confirm-send`` has agreed to a large
    first cycle (app.first_run). The ledger must have been made from the configured
    sources (app.ledger_sources); ``record_sources``: False for a dry run, which records
    nothing; ``accept_sources``: ``once --accept-sources``."""
    mail = settings.mail
    real = reaches_people(mail.kind, settings.google.api_base)
    refused = placeholder_problem(real, settings.forms.application.url)
    if refused:
        raise ConfigError(refused)
    claim_sources(
        ledger,
        source_fingerprint(settings),
        record=record_sources,
        accept=accept_sources,
        path=Path(settings.state.path),
    )
    sender = mail.from_address
    return Services(
        source=make_source(settings, keep_reads=record_sources),
        sheet=make_sheet(settings),
        mailer=make_mailer(settings, ledger),
        ledger=ledger,
        renderer=Renderer(
            default_templates_dir(),
            sender=sender,
            sender_name=mail.from_name,
            letterhead=letterhead(settings),
        ),
        policy=policy_from(settings),
        client_key=settings.client_key(),
        mail_domain=sender.rpartition("@")[2],
        daily_limit=mail.daily_limit,
        per_recipient_limit=mail.per_recipient_daily_limit,
        surge_limit=settings.intake.surge_limit,
        pace_seconds=0.0 if mail.kind == "outbox" else 60.0 / mail.per_minute,
        token_age=token_age(settings),
        min_free_bytes=settings.state.min_free_mb * 2**20,
        emergency=emergency_configured(settings),
        events=make_events(settings),
        operations=make_operations(settings),
        first_cycle_limit=first_cycle_limit(
            real, mail.first_cycle_limit, mail.notify_after is not None, confirm_send
        ),
        credential_trouble=credential_trouble,
        state_label=lambda: token_label(ledger.state_token),
        mail_label=lambda: token_label(ledger.outbox_token),
        projection_keep=KeptProjection(kept_projection.path_for(Path(settings.state.path))),
        staff_keep=kept_projection.for_staff(Path(settings.state.path), __version__),
        staff_after_write=settings.sheet.kind == "local",
    )


def token_label(token: bytes | None) -> str | None:
    """A ledger content token (the state's, adapters/ledger/snapshot.py; the outbox's,
    schema 6) and this version: rows projected from that content are the same wherever
    this label is (app.tabs)."""
    return None if token is None else f"{token.hex()}:{__version__}"


def token_age(settings: Settings) -> TokenAge | None:
    google = settings.google
    if google.credentials_file is None or not google.oauth_testing_app:
        return None
    return TokenAge(Path(google.credentials_file), testing_app=True)


def status_layouts(settings: Settings) -> tuple[TabLayout, ...]:
    """Every tab of the status sheet: the main ones, then one per course or event."""
    return (*sheet_layouts(settings), *event_layouts(settings.events))


def make_events(settings: Settings) -> events.EventServices | None:
    """Courses and events (issue 6 §1): their forms on the main forms' backend."""
    if not settings.events:
        return None
    from bansou_sync.adapters.extra_forms import extra_form_source

    source = extra_form_source(
        settings.source.kind,
        event_forms(settings.events),
        lambda: google_access(settings),
        retry_policy(settings),
    )
    return events.EventServices(
        specs=tuple(event_spec(e) for e in settings.events),
        source=source,
        surveys=frozenset(e.id for e in settings.events if e.survey is not None),
        supporter_ids=IdPattern(settings.ids.supporter.prefix, settings.ids.supporter.digits),
        min_cell=settings.privacy.min_cell,
    )


def event_spec(event: EventSettings) -> EventSpec:
    return EventSpec(
        event_id=event.id,
        kind=event.kind,
        title=event.title,
        starts_at=to_jst(event.starts_at),
        place=event.place,
        capacity=event.capacity,
        requires_id=event.needs_id,
        reminder_hour=event.reminder_hour,
    )


def event_forms(settings: Sequence[EventSettings]) -> list[ExtraForm]:
    """Each event's sign-up form, and its survey form when it has one."""
    forms: list[ExtraForm] = []
    for event in settings:
        for name, ref, titles in (
            (events.signup_form(event.id), event.signup, events.SIGNUP_TITLES),
            (events.survey_form(event.id), event.survey, events.SURVEY_TITLES),
        ):
            if ref is not None:
                forms.append(
                    ExtraForm(name, titles, ref.csv, ref.form_id, ref.sheet_id, ref.worksheet)
                )
    return forms


def event_layouts(settings: Sequence[EventSettings]) -> tuple[TabLayout, ...]:
    """The event tabs, and アンケート when some event has a survey."""
    tabs = [event_layout(event_spec(e)) for e in settings]
    return (*tabs, SURVEY_LAYOUT) if any(e.survey for e in settings) else tuple(tabs)


def make_operations(settings: Settings) -> operations.OperationServices:
    """The 操作 tab (issue 13 §4): on the embedded default the files stay in the folders
    the commands use (payment files only in ``payments.files_dir``); on Google they are
    made in a private folder beside the ledger, uploaded to Drive and deleted."""
    from bansou_sync.adapters.atomic import write_atomically
    from bansou_sync.adapters.output_folder import FolderOutputs

    ledger_dir = Path(settings.state.path).parent
    areas = (operations.PAYMENTS, operations.LABELS, operations.REPORTS)
    store: operations.OutputStore
    if settings.sheet.kind == "google":
        from bansou_sync.adapters.google_drive import DriveOutputs

        drive = settings.drive
        store = DriveOutputs(
            google_access(settings),
            {
                operations.PAYMENTS: drive.treasurer_folder_id,
                operations.LABELS: drive.outputs_folder_id,
                operations.REPORTS: drive.outputs_folder_id,
            },
            retry_policy(settings),
        )
        folders = {area: ledger_dir / "outputs-work" / area for area in areas}
    else:
        store = FolderOutputs()
        folders = {
            operations.PAYMENTS: Path(settings.payments.files_dir),
            operations.LABELS: ledger_dir / "labels",  # as ``labels``
            operations.REPORTS: Path(settings.base_dir) / "out" / "reports",  # as ``report``
        }
    return operations.OperationServices(store, folders, payment_maker(settings), write_atomically)


def payment_maker(settings: Settings) -> operations.MakePaymentFiles:
    """``payment-files --batch`` for one pay date, wired as the command wires it; what it
    needs (payer, bank details) is read when a request asks, so a missing key is that
    request's error, never the cycle's."""

    def make(rows: Any, folder: Path, pay_date: Any) -> Any:
        from bansou_sync.adapters.atomic import write_atomically
        from bansou_sync.adapters.bank_master import ZenginDirectory
        from bansou_sync.app.payment_files import write_payment_files
        from bansou_sync.cli_payments import details_source, payer_from

        if settings.payments.payer is None:
            raise ConfigError(
                "振込ファイルには依頼人の口座(payments.payer)の設定が必要です。IT 担当に"
                "設定を依頼してください / payments.payer is not configured"
            )
        directory = ZenginDirectory()
        return write_payment_files(
            rows,
            folder,
            pay_date,
            payer=payer_from(settings.payments.payer, directory),
            source=details_source(settings),
            directory=directory,
            ids=policy_from(settings).supporter_ids,
            write=write_atomically,
        )

    return make
