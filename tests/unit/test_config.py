from __future__ import annotations

import stat
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bansou_sync.config import Settings, load_config
from bansou_sync.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
JST = ZoneInfo("Asia/Tokyo")
MINIMAL = "source: {registrations: reg.csv, applications: app.csv}\n"


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={})
    return caught.value.problems


def test_a_minimal_config_takes_every_default(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, MINIMAL), env={})

    assert settings.source.kind == "csv"
    assert settings.sheet.kind == "local"
    assert settings.mail.kind == "outbox"
    assert settings.mail.daily_limit == 500
    assert settings.mail.per_minute == 20
    assert settings.mail.from_address == "jimukyoku@example.org"
    assert settings.mail.from_name == "移住連 事務局"
    assert settings.mail.staff_to == ("jimukyoku@example.org",)
    assert settings.mail.notify_after is None
    assert settings.mail.smtp.port == 587
    assert settings.mail.smtp.security == "starttls"
    assert settings.mail.smtp.password_env == "BANSOU_SMTP_PASSWORD"
    assert settings.forms.application.url is None
    assert settings.forms.application.entries == {}
    assert settings.period.start == date(2022, 5, 25)
    assert settings.period.end == date(2023, 2, 28)
    assert settings.intake.closes_on is None
    assert settings.budget.total_yen == 20_000_000
    assert settings.budget.warn_ratio == 0.8
    assert settings.budget.close_form is False
    assert settings.rules.auto_accept is False
    assert settings.rules.client_cap_counts == "occasions"
    assert (settings.rules.min_minutes, settings.rules.max_supporters_per_occasion) == (60, 2)
    assert (settings.rules.max_occasions_per_client, settings.rules.reply_days) == (5, 7)
    assert (settings.rules.reminder_days_before, settings.rules.reminder_hour) == (2, 9)
    assert settings.honoraria.short_yen == 6000
    assert settings.honoraria.long_yen == 10000
    assert settings.honoraria.long_from_minutes == 180
    assert settings.payments.cutoff_basis == "acceptance"
    assert settings.payments.last_pay_date is None
    assert (settings.payments.cutoff_day, settings.payments.pay_day) == (20, 10)
    assert settings.payments.late_acceptance_business_days == 3
    assert settings.privacy.min_cell == 5
    assert settings.alerts.after_failures == 3
    assert settings.digest.hour == 8
    assert (settings.ids.supporter.prefix, settings.ids.supporter.digits) == ("BN-", 4)
    assert (settings.ids.application.prefix, settings.ids.application.digits) == ("A-", 6)
    assert (settings.ids.client.prefix, settings.ids.client.digits) == ("C-", 4)
    assert (settings.schedule.interval_minutes, settings.schedule.cron) == (5, None)
    assert (settings.logging.level, settings.logging.format) == ("INFO", "auto")
    assert settings.state.backups == 7
    assert settings.google.credentials_file is None
    assert settings.warnings == []


def test_relative_paths_are_resolved_against_the_config_folder(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    text = MINIMAL.replace("app.csv", str(tmp_path / "elsewhere" / "app.csv"))
    settings = load_config(write(folder, text), env={})

    assert settings.config_path == folder / "config.yaml"
    assert settings.base_dir == folder
    assert settings.source.registrations == folder / "reg.csv"
    assert settings.source.applications == tmp_path / "elsewhere" / "app.csv"
    assert settings.sheet.path == folder / "out" / "status"
    assert settings.mail.path == folder / "out" / "outbox"
    assert settings.state.path == folder / "out" / "ledger.sqlite3"
    assert settings.state.backup_dir == folder / "out" / "backups"
    assert settings.privacy.client_key_file == folder / "secrets" / "client_key"


def test_every_problem_is_reported_together_each_naming_its_key(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        MINIMAL
        + "budget: {total_yen: abc, warn_ratio: 1.5}\n"
        + "mail: {kind: smtp, daily_limit: 0, staff_to: [a@example.org, nobody], security: tls}\n"
        + "rules: {client_cap_counts: people}\n"
        + "payments: {cutoff_basis: payment}\n"
        + "forms: {application: {entries: {resubmission_of: '123', colour: 5, name: -1}}}\n"
        + "period: {start: 2023-03-01, end: 2023/02/28}\n"
        + "intake: {closes_on: 2022-02-30}\n"
        + "logging: {level: loud, format: xml}\n"
        + "sheet: [out]\n",
    )

    assert (
        'budget.total_yen: 正の整数を指定してください / must be a positive integer (got "abc")'
        in problems
    )
    keys = [problem.split(":")[0] for problem in problems]
    assert sorted(keys) == sorted(
        [
            "budget.total_yen",
            "budget.warn_ratio",
            "mail.daily_limit",
            "mail.staff_to[1]",
            "mail.smtp.host",
            "rules.client_cap_counts",
            "payments.cutoff_basis",
            "forms.application.entries.colour",
            "forms.application.entries.name",
            "period.end",
            "intake.closes_on",
            "logging.level",
            "logging.format",
            "sheet",
        ]
    )
    assert all(" / " in problem and "\n" not in problem for problem in problems)


def test_a_period_that_ends_before_it_starts_names_period_end(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, MINIMAL + "period: {start: 2023-03-01, end: 2023-02-28}\n")

    assert problems == [
        "period.end: period.start (2023-03-01) より前です / is before period.start (2023-03-01)"
        " (got 2023-02-28)"
    ]


def test_values_are_read_leniently_where_unambiguous(tmp_path: Path) -> None:
    settings = load_config(
        write(
            tmp_path,
            MINIMAL
            + "mail: {staff_to: staff@example.org, notify_after: '2022-07-01 09:30'}\n"
            + "forms: {application: {entries: {resubmission_of: '1234567890'}}}\n"
            + "period: {start: '2022-06-01'}\n"
            + "logging: {level: debug}\n",
        ),
        env={},
    )

    assert settings.mail.staff_to == ("staff@example.org",)
    assert settings.mail.notify_after == datetime(2022, 7, 1, 9, 30, tzinfo=JST)
    assert settings.forms.application.entries == {"resubmission_of": 1234567890}
    assert settings.period.start == date(2022, 6, 1)
    assert settings.logging.level == "DEBUG"


def test_notify_after_as_a_date_means_midnight_in_tokyo(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, MINIMAL + "mail: {notify_after: 2022-07-01}\n"))

    assert settings.mail.notify_after == datetime(2022, 7, 1, tzinfo=JST)
    assert settings.mail.notify_after.utcoffset() is not None


def test_unknown_keys_become_warnings_not_errors(tmp_path: Path) -> None:
    settings = load_config(
        write(tmp_path, MINIMAL + "budjet: {total_yen: 1}\nmail: {smtp: {hots: x}}\n"), env={}
    )

    assert settings.warnings[0].startswith("unknown key: budjet")
    assert '"budget"' in settings.warnings[0]
    assert settings.warnings[1].startswith("unknown key: mail.smtp.hots")
    assert len(settings.warnings) == 2


def test_a_yaml_syntax_error_is_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "source:\n  kind: csv\n  registrations: [unclosed\nbudget: 1\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    (message,) = caught.value.problems
    assert message.startswith(f"{path}:")
    assert "YAML" in message
    assert "line " in message
    assert "\n" not in message


def test_a_missing_file_or_a_non_mapping_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nowhere.yaml")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write(tmp_path, "- just\n- a list\n"))


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("source: {kind: csv, registrations: r.csv}", ["source.applications"]),
        (
            "source: {kind: forms_api}\ngoogle: {credentials_file: sa.json}",
            ["source.registration_form_id", "source.application_form_id"],
        ),
        (
            "source: {kind: response_sheet, registration_sheet_id: x}\n"
            "google: {credentials_file: sa.json}",
            ["source.application_sheet_id"],
        ),
        (MINIMAL + "sheet: {kind: local, path: null}", ["sheet.path"]),
        (
            MINIMAL + "sheet: {kind: google}\ngoogle: {credentials_file: sa.json}",
            ["sheet.spreadsheet_id"],
        ),
        (MINIMAL + "mail: {kind: outbox, path: null}", ["mail.path"]),
        (MINIMAL + "mail: {kind: smtp}", ["mail.smtp.host"]),
        (MINIMAL + "mail: {kind: gmail}", ["google.credentials_file"]),
        (MINIMAL + "sheet: {kind: google, spreadsheet_id: s}", ["google.credentials_file"]),
    ],
)
def test_each_kind_requires_its_own_keys(tmp_path: Path, text: str, missing: list[str]) -> None:
    problems = problems_of(tmp_path, text + "\n")

    assert [problem.split(":")[0] for problem in problems] == missing
    assert all("is required when" in problem for problem in problems)


def test_google_kinds_load_when_their_keys_are_present(tmp_path: Path) -> None:
    settings = load_config(
        write(
            tmp_path,
            "source: {kind: forms_api, registration_form_id: R1, application_form_id: 12345}\n"
            "sheet: {kind: google, spreadsheet_id: S1}\n"
            "mail: {kind: gmail}\n"
            "google: {credentials_file: sa.json, api_base: 'http://127.0.0.1:8099'}\n",
        ),
        env={},
    )

    assert settings.source.application_form_id == "12345"
    assert settings.google.credentials_file == tmp_path / "sa.json"


def test_the_environment_variable_wins_for_the_client_key(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "client_key"
    key_file.parent.mkdir()
    key_file.write_text("from-file\n", encoding="utf-8")
    path = write(tmp_path, MINIMAL)

    assert load_config(path, env={"BANSOU_CLIENT_KEY": "from-env"}).client_key() == b"from-env"
    assert load_config(path, env={"BANSOU_CLIENT_KEY": ""}).client_key() == b"from-file"


def test_a_missing_key_file_is_created_with_mode_0600_and_reused(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, MINIMAL), env={})
    key_file = tmp_path / "secrets" / "client_key"

    key = settings.client_key()

    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key) == 64
    assert settings.client_key() == key
    assert settings.client_key_warnings() == []
    assert key.decode() not in repr(settings) + str(settings)


def test_a_key_file_others_can_read_is_a_warning_and_an_empty_one_an_error(
    tmp_path: Path,
) -> None:
    settings = load_config(write(tmp_path, MINIMAL), env={})
    key_file = settings.privacy.client_key_file
    key_file.parent.mkdir()
    key_file.write_text("secret\n", encoding="utf-8")
    key_file.chmod(0o644)

    assert settings.client_key() == b"secret"
    (warning,) = settings.client_key_warnings()
    assert warning.startswith("privacy.client_key_file:")

    key_file.write_text("  \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^privacy\.client_key_file:"):
        settings.client_key()


def test_the_smtp_password_comes_from_its_env_var_then_its_file(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("file-pw\n", encoding="utf-8")
    text = MINIMAL + "mail: {kind: smtp, smtp: {host: h, password_file: pw}}\n"
    path = write(tmp_path, text)

    assert load_config(path, env={"BANSOU_SMTP_PASSWORD": "env-pw"}).smtp_password() == "env-pw"
    assert load_config(path, env={}).smtp_password() == "file-pw"


def test_the_example_config_loads_without_problems_or_warnings() -> None:
    settings = load_config(REPO / "config.example.yaml", env={})

    assert isinstance(settings, Settings)
    assert settings.warnings == []
    assert settings.source.registrations == REPO / "reference" / "registrations.csv"
    assert settings.forms.application.url == "https://docs.google.com/forms/d/e/EXAMPLE/viewform"
    assert set(settings.forms.application.entries) == {
        "resubmission_of",
        "supporter_id",
        "client_code",
        "support_date",
    }


def test_backups_go_beside_the_ledger_unless_a_folder_is_given(tmp_path: Path) -> None:
    beside = load_config(write(tmp_path, MINIMAL + "state: {path: data/l.sqlite3}\n"), env={})
    elsewhere = load_config(
        write(tmp_path, MINIMAL + "state: {backups: 0, backup_dir: /srv/backup}\n", "b.yaml"),
        env={},
    )

    assert (beside.state.backups, beside.state.backup_dir) == (7, tmp_path / "data" / "backups")
    assert (elsewhere.state.backups, elsewhere.state.backup_dir) == (0, Path("/srv/backup"))


def test_a_negative_backup_count_and_a_non_path_folder_name_their_keys(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, MINIMAL + "state: {backups: -1, backup_dir: 3}\n")

    assert [problem.split(":")[0] for problem in problems] == ["state.backups", "state.backup_dir"]


def test_secret_files_others_can_read_are_warnings_each_naming_its_key(tmp_path: Path) -> None:
    for name in ("sa.json", "pw", "secrets/client_key"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("secret\n", encoding="utf-8")
        (tmp_path / name).chmod(0o640)
    text = (
        MINIMAL
        + "google: {credentials_file: sa.json}\n"
        + "mail: {kind: smtp, smtp: {host: h, password_file: pw}}\n"
    )
    settings = load_config(write(tmp_path, text), env={})

    keys = [w.split(":")[0] for w in settings.secret_file_warnings()]
    assert keys == ["privacy.client_key_file", "google.credentials_file", "mail.smtp.password_file"]
    for name in ("sa.json", "pw", "secrets/client_key"):
        (tmp_path / name).chmod(0o600)
    assert settings.secret_file_warnings() == []
    (tmp_path / "pw").chmod(0o644)  # unused while the password comes from the environment
    from_env = load_config(write(tmp_path, text), env={"BANSOU_SMTP_PASSWORD": "x"})
    assert from_env.secret_file_warnings() == []


def test_a_key_written_twice_is_an_error_naming_it_and_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "mail:\n  kind: outbox\n  daily_limit: 10\n  daily_limit: 20\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "daily_limit" in str(error.value) and "3" in str(error.value) and "4" in str(error.value)


def test_a_yaml_merge_key_may_still_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "source: {kind: csv, registrations: r.csv, applications: a.csv}\n"
        "base: &base {kind: outbox, daily_limit: 10}\nmail:\n  <<: *base\n  daily_limit: 20\n",
        encoding="utf-8",
    )
    assert load_config(path).mail.daily_limit == 20
