"""The set-up guide followed literally, through the real CLI against the emulator
(issue 11 §0, §5): the delegated scopes come from one list that doctor prints and the
guide shows; the messages a new installer meets; what ``once`` says it wrote."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gspread
import pytest
import yaml
from emulated import MAILBOX, form_id, google_backends, registration_response, running_emulator
from inprocess import run_cli

from bansou_sync.adapters.form_fields import REGISTRATION_TITLES
from bansou_sync.adapters.google_auth import SHEETS, GoogleAccess
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.config import load_config
from bansou_sync.emulator.server import Emulator
from bansou_sync.setup_tools.google_scopes import delegation_line, scopes_for

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "google-setup.md"
BOOK = "status-book"
# what docs/google-setup.md told the admin to delegate before issue 11: no gmail.compose
OLD_GUIDE_SCOPES = (
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/forms.body.readonly",
    "https://www.googleapis.com/auth/forms.responses.readonly",
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/gmail.readonly",
)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    # the reference forms, no responses
    with running_emulator("registration", "application", book=BOOK, title="伴走支援 状況") as emu:
        yield emu


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env={**os.environ, "BANSOU_CLIENT_KEY": "setup-test-key", **(env or {})})


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def google_config(emulator: Emulator, folder: Path, **mail: Any) -> dict[str, Any]:
    config = google_backends(emulator, folder, BOOK, per_minute=6000)
    config["mail"] = {**config["mail"], "from": MAILBOX, **mail}
    config["state"] = {"path": "out/ledger.sqlite3"}
    return config


def printed_scopes(doctor_output: str) -> list[str]:
    """The comma-separated line doctor prints under スコープ / OAuth scopes."""
    lines = doctor_output.splitlines()
    at = next(i for i, line in enumerate(lines) if "スコープ / OAuth scopes" in line)
    scope_line = next(line for line in lines[at:] if "https://www.googleapis.com/auth/" in line)
    return scope_line.strip().split(",")


def registration(n: int) -> dict[str, Any]:
    return registration_response(n)


# --- §0 scopes: one list for the mailer, doctor and the guide ---------------------------


def test_doctor_fails_on_the_old_guide_scopes_and_passes_once_its_printed_list_is_delegated(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(tmp_path / "config.yaml", google_config(emulator, tmp_path))
    client = emulator.service_account_info()["client_email"]
    emulator.oauth.allow_delegation(client, OLD_GUIDE_SCOPES)
    assert cli("init-sheet", "--config", str(config)).returncode == 0

    before = cli("doctor", "--config", str(config))
    assert before.returncode == 1
    assert "unauthorized_client" in before.stdout
    assert "Traceback" not in before.stderr
    wanted = printed_scopes(before.stdout)
    assert "https://www.googleapis.com/auth/gmail.compose" in wanted  # drafts need it
    assert tuple(wanted) == scopes_for(load_config(config))  # the very list the mailer uses

    # the mailer, with the old delegation, cannot get a token either: nothing is sent
    emulator.forms.add_responses(form_id("registration"), [registration(1)])
    cli("once", "--config", str(config), "--now", "2022-06-27 12:00")
    assert emulator.gmail.sent() == []

    emulator.oauth.allow_delegation(client, wanted)  # the admin pastes what doctor printed
    after = cli("doctor", "--config", str(config))
    assert after.returncode == 0, after.stdout
    sent = cli("once", "--config", str(config), "--now", "2022-06-27 12:10")
    assert sent.returncode == 0, sent.stderr
    assert [m.header("X-Bansou-Kind") for m in emulator.gmail.sent()] == ["registration_confirmed"]


def test_a_delegated_scope_outside_the_allow_list_is_refused_as_google_refuses_it(
    emulator: Emulator,
) -> None:
    from google.auth.exceptions import RefreshError
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    client = emulator.service_account_info()["client_email"]
    emulator.oauth.allow_delegation(client, [SHEETS])
    info = {**emulator.service_account_info(), "token_uri": emulator.base_url + "/token"}

    def delegated(*scopes: str) -> Any:
        creds = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
        return creds.with_subject(MAILBOX)

    with pytest.raises(RefreshError) as refused:  # one scope too many: the whole request
        delegated(SHEETS, "https://www.googleapis.com/auth/gmail.send").refresh(Request())
    assert refused.value.args[1] == {
        "error": "unauthorized_client",
        "error_description": "Client is unauthorized to retrieve access tokens using this "
        "method, or client not authorized for any of the scopes requested.",
    }
    allowed = delegated(SHEETS)
    allowed.refresh(Request())  # within the allow-list: a token
    assert allowed.token


def guide_config(tmp_path: Path, section: str) -> Path:
    """The YAML of the guide's step 6, as a new installer pastes it."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(section)
    block = re.search(r"```yaml\n(.*?)```", text[start:], re.S)
    assert block is not None
    (tmp_path / "secrets").mkdir(exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    return path


def test_the_guide_lists_exactly_the_scopes_its_own_configuration_asks_for(
    tmp_path: Path,
) -> None:
    settings = load_config(guide_config(tmp_path, "### 6. 設定ファイルに書く"))
    assert settings.mail.kind == "gmail" and settings.mail.gmail_drafts
    line = delegation_line(scopes_for(settings))
    text = GUIDE.read_text(encoding="utf-8")
    assert text.count(line) >= 2  # in the Japanese and in the English part
    assert "https://www.googleapis.com/auth/gmail.compose" in line
    # budget.close_form adds forms.body, as the guide says
    closing = settings.model_copy(
        update={"budget": settings.budget.model_copy(update={"close_form": True})}
    )
    extra = set(scopes_for(closing)) - set(scopes_for(settings))
    assert extra == {"https://www.googleapis.com/auth/forms.body"}
    assert text.count("https://www.googleapis.com/auth/forms.body`") >= 2


# --- §5: what once says it wrote --------------------------------------------------------


def test_once_on_google_prints_the_spreadsheet_url_and_the_gmail_account(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(tmp_path / "config.yaml", google_config(emulator, tmp_path))
    emulator.forms.add_responses(form_id("registration"), [registration(1)])
    done = cli("once", "--config", str(config), "--now", "2022-06-27 12:00")
    assert done.returncode == 0, done.stderr
    assert f"https://docs.google.com/spreadsheets/d/{BOOK}/edit" in done.stdout
    assert f"Gmail {MAILBOX}" in done.stdout
    assert "out/status" not in done.stdout


# --- §0 rows the daemon adds keep their input rules -------------------------------------


def test_rows_the_daemon_adds_after_init_sheet_keep_their_checkboxes(
    emulator: Emulator, tmp_path: Path
) -> None:
    data = google_config(emulator, tmp_path)
    data["mail"] = {"kind": "outbox", "path": "out/outbox", "staff_to": [MAILBOX]}
    config = write(tmp_path / "config.yaml", data)
    assert cli("init-sheet", "--config", str(config)).returncode == 0
    emulator.forms.add_responses(form_id("registration"), [registration(n) for n in (1, 2, 3)])
    assert cli("once", "--config", str(config), "--now", "2022-06-27 12:00").returncode == 0

    key = Path(data["google"]["credentials_file"])
    book = gspread_client(
        GoogleAccess(key, None, emulator.base_url).credentials([SHEETS]), emulator.base_url
    ).open_by_key(BOOK)
    sheet = book.worksheet("伴走者")
    assert [r[0] for r in sheet.get_all_values()[1:4]] == ["BN-0001", "BN-0002", "BN-0003"]
    column = sheet.row_values(1).index("覚書受領")
    rules = validation_types(book, "伴走者", column, rows=range(1, 4))
    assert rules == ["BOOLEAN", "BOOLEAN", "BOOLEAN"]


def validation_types(
    book: gspread.Spreadsheet, tab: str, column: int, rows: range
) -> list[str | None]:
    letter = gspread.utils.rowcol_to_a1(1, column + 1).rstrip("1")
    a1 = f"'{tab}'!{letter}{rows.start + 1}:{letter}{rows.stop}"
    reply = book.fetch_sheet_metadata(
        {"ranges": a1, "includeGridData": "true", "fields": "sheets(data(rowData))"}
    )
    out: list[str | None] = []
    for row in reply["sheets"][0]["data"][0].get("rowData", []):
        cell = (row.get("values") or [{}])[0]
        out.append(((cell.get("dataValidation") or {}).get("condition") or {}).get("type"))
    return out


# --- §0 messages -------------------------------------------------------------------------


def test_a_refused_token_request_is_one_readable_line(emulator: Emulator, tmp_path: Path) -> None:
    config = write(tmp_path / "config.yaml", google_config(emulator, tmp_path))
    emulator.oauth.fail_next_grant("access_denied", "Requested client not authorized.", 403)
    shown = cli("doctor", "--config", str(config))
    assert shown.returncode == 1
    line = next(x for x in shown.stdout.splitlines() if "アクセストークン / access token" in x)
    assert "access_denied: Requested client not authorized." in line
    assert "('" not in line and "{'" not in line  # not a Python tuple or dict

    emulator.oauth.fail_next_grant("access_denied", "Requested client not authorized.", 403)
    cycle = cli("once", "--config", str(config), "--now", "2022-06-27 12:00")
    assert cycle.returncode != 0
    assert "access_denied: Requested client not authorized." in cycle.stderr
    assert "('" not in cycle.stderr and "Traceback" not in cycle.stderr


def test_a_responder_id_given_as_a_form_id_is_recognised(tmp_path: Path) -> None:
    responder = "1FAIpQLSfictitiousResponderId0000000000000000000000000"
    config = write(
        tmp_path / "config.yaml",
        {
            "source": {
                "kind": "forms_api",
                "registration_form_id": responder,
                "application_form_id": "1ApplicationFormEditId",
            },
            "google": {"credentials_file": "key.json"},
        },
    )
    shown = cli("check-config", "--config", str(config))
    assert shown.returncode != 0
    assert "source.registration_form_id" in shown.stderr and "/viewform" in shown.stderr
    assert "/edit" in shown.stderr and "Traceback" not in shown.stderr
    inspected = cli("inspect-form", responder, "--config", str(config))
    assert inspected.returncode != 0 and "/viewform" in inspected.stderr


def test_two_source_blocks_in_the_yaml_are_an_error_naming_the_key_and_lines(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "source:\n  kind: csv\n  registrations: a.csv\n  applications: b.csv\n"
        "mail:\n  kind: outbox\n"
        "source:\n  kind: forms_api\n",
        encoding="utf-8",
    )
    shown = cli("check-config", "--config", str(config))
    assert shown.returncode != 0
    assert "source" in shown.stderr and "1" in shown.stderr and "7" in shown.stderr
    assert "twice" in shown.stderr and "Traceback" not in shown.stderr


def test_init_sheet_that_must_leave_a_tab_alone_exits_non_zero_with_the_manual_steps(
    emulator: Emulator, tmp_path: Path
) -> None:
    assert emulator.sheets is not None
    emulator.sheets.load_fixture(
        {"spreadsheetId": BOOK, "sheets": {"申請": [["申請番号", "氏名"], ["A-000001", "山田"]]}}
    )
    config = write(tmp_path / "config.yaml", google_config(emulator, tmp_path))
    shown = cli("init-sheet", "--config", str(config))
    assert shown.returncode == 1
    assert "申請" in shown.stderr and "手で" in shown.stderr and "by hand" in shown.stderr
    assert emulator.sheets.dump(BOOK)["申請"] == [["申請番号", "氏名"], ["A-000001", "山田"]]
    doctor = cli("doctor", "--config", str(config))
    assert f"bansou-sync init-sheet --config {config}" in doctor.stdout  # the real path


def test_a_client_key_file_that_cannot_be_created_says_so_and_doctor_checks_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder", encoding="utf-8")
    (tmp_path / "reg.csv").write_text("タイムスタンプ,氏名\n", encoding="utf-8")
    (tmp_path / "app.csv").write_text("タイムスタンプ,氏名\n", encoding="utf-8")
    config = write(
        tmp_path / "config.yaml",
        {
            "source": {"kind": "csv", "registrations": "reg.csv", "applications": "app.csv"},
            "privacy": {"client_key_file": "blocker/client_key"},
        },
    )
    env = {k: v for k, v in os.environ.items() if k != "BANSOU_CLIENT_KEY"}
    run = subprocess.run(
        [sys.executable, "-m", "bansou_sync.cli", "once", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode != 0
    assert "privacy.client_key_file" in run.stderr and "cannot create" in run.stderr
    assert "Traceback" not in run.stderr
    doctor = subprocess.run(
        [sys.executable, "-m", "bansou_sync.cli", "doctor", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert doctor.returncode == 1
    assert any(
        line.startswith("NG") and "client key" in line for line in doctor.stdout.splitlines()
    )


def run_as_nobody() -> list[str]:
    """A prefix that runs a command as an unprivileged user (root reads every file)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_a_key_file_that_exists_but_cannot_be_read_says_chown_not_create_a_new_key(
    emulator: Emulator,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bansou-key-"))
    folder.chmod(0o755)  # the unprivileged user may enter, not read the key
    data = google_config(emulator, folder)
    data["mail"] = {"kind": "outbox", "path": str(folder / "outbox"), "staff_to": [MAILBOX]}
    data["state"] = {"path": str(folder / "ledger.sqlite3")}
    config = write(folder / "config.yaml", data)
    config.chmod(0o644)
    key = Path(data["google"]["credentials_file"])
    if not run_as_nobody():
        key.chmod(0o000)
    shown = subprocess.run(
        [
            *run_as_nobody(),
            sys.executable,
            "-m",
            "bansou_sync.cli",
            "doctor",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "BANSOU_CLIENT_KEY": "setup-test-key"},
        timeout=120,
        check=False,
    )
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert "chown" in shown.stdout and "chmod 600" in shown.stdout
    assert "鍵を作り" not in shown.stdout.replace("作り直す必要はありません", "")
    assert "create a JSON key" not in shown.stdout
    init = subprocess.run(
        [
            *run_as_nobody(),
            sys.executable,
            "-m",
            "bansou_sync.cli",
            "init-sheet",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "BANSOU_CLIENT_KEY": "setup-test-key"},
        timeout=120,
        check=False,
    )
    assert init.returncode != 0 and "chown" in init.stderr and "Traceback" not in init.stderr
    key.chmod(0o600)
    shutil.rmtree(folder)


def test_a_backlog_cycle_on_google_writes_the_sheet_before_and_after_sending_without_duplicates(
    emulator: Emulator, tmp_path: Path
) -> None:
    # 25 emails at 120 a minute: 12.5 s of sending, long enough to show the sheet first
    config = write(tmp_path / "config.yaml", google_config(emulator, tmp_path, per_minute=120))
    assert cli("init-sheet", "--config", str(config)).returncode == 0
    emulator.forms.add_responses(
        form_id("registration"),
        [
            {**registration(1), "createTime": f"2022-06-01T01:{n:02d}:00.000Z"}
            | {
                "answers": {
                    **registration(1)["answers"],
                    REGISTRATION_TITLES["email"]: f"user{n}@example.com",
                    REGISTRATION_TITLES["phone"]: f"090-0000-{n:04d}",
                }
            }
            for n in range(1, 26)
        ],
    )
    emulator.reset_counters()
    done = cli("once", "--config", str(config), "--now", "2022-06-27 12:00")
    assert done.returncode == 0, done.stderr
    assert len(emulator.gmail.sent()) == 25
    writes = sum(
        n
        for name, n in emulator.counters().items()
        if name.endswith("values.batchUpdateByDataFilter")
    )
    assert writes >= 2  # before the backlog went out, and after
    assert emulator.sheets is not None
    tabs = emulator.sheets.dump(BOOK)
    ids = [row[0] for row in tabs["伴走者"][1:] if row and row[0]]
    assert ids == [f"BN-{n:04d}" for n in range(1, 26)]
    mails = [row for row in tabs["メール"][1:] if row and row[0]]
    assert len(mails) == 25 and {row[4] for row in mails} == {"送信済"}
