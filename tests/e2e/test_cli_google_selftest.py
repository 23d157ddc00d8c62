"""``bansou-sync google-selftest`` through the real CLI against the emulator (issue 11 §3):
in both behaviours of row metadata on a sort, under 30 % injected faults, with and
without a test message; a behaviour the product cannot live with makes ``once`` refuse
to start until a new self-test passes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from emulated import MAILBOX, form_id, google_backends, key_file, running_emulator

from bansou_sync.emulator import forms as emulated_forms
from bansou_sync.emulator import sheets_filters
from bansou_sync.emulator.a1 import Area
from bansou_sync.emulator.server import Emulator
from bansou_sync.emulator.sheets_grid import Target

from .conftest import Project

BOOK = "status-book-0001"
TABS = {"申請": [["申請番号", "判定"], ["A-000001", "審査待ち"]], "伴走者": [["伴走ネットID"]]}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator("registration", "application", book=BOOK, tabs=TABS) as emu:
        for kind in ("registration", "application"):
            emu.forms.add_responses(
                form_id(kind),
                [
                    {"createTime": f"2022-06-{day:02d}T0{day % 10}:00:00.000Z", "answers": {}}
                    for day in range(1, 8)
                ],
            )
        yield emu


@pytest.fixture
def google_project(project: Project, emulator: Emulator) -> Project:
    retry = {"attempts": 12, "base_seconds": 0.001, "max_wait_seconds": 0.01}
    project.write_config(
        **google_backends(emulator, project.root, BOOK, per_minute=None, retry=retry)
    )
    return project


def selftest(project: Project, *extra: str, check: bool = True) -> tuple[Any, dict[str, Any]]:
    result = project.cli(
        "google-selftest", "--config", str(project.config_path), *extra, check=check
    )
    assert "Traceback" not in result.stderr, result.stderr
    verdict = json.loads((project.ledger_path.parent / "google-selftest.json").read_text("utf-8"))
    return result, verdict


def statuses(verdict: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in verdict["checks"]}


EVERY_CHECK = {
    "sheets.reply_shapes",
    "sheets.tag_write",
    "sheets.tag_read",
    "sheets.insert",
    "sheets.delete",
    "sheets.sort",
    "sheets.grow",
    "sheets.cleanup",
    "forms.paging.registration",
    "forms.filter.registration",
    "forms.paging.application",
    "forms.filter.application",
    "gmail.draft",
    "gmail.sent",
}


@pytest.mark.parametrize("behaviour", ["move", "stay"])
def test_the_self_test_reports_what_a_sort_does_to_row_metadata_and_leaves_nothing_behind(
    google_project: Project, emulator: Emulator, behaviour: str
) -> None:
    emulator.sheets.row_metadata_on_sort = behaviour
    result, verdict = selftest(google_project)

    seen = statuses(verdict)
    assert set(seen) == EVERY_CHECK
    expected = {check: "confirmed" for check in EVERY_CHECK}
    expected["gmail.sent"] = "could_not_run"  # nothing is sent without --send-test-message
    if behaviour == "stay":
        expected["sheets.sort"] = "differs"
    assert seen == expected
    assert verdict["row_metadata_on_sort"] == behaviour
    assert verdict["refuse"] == []
    sort = next(c for c in verdict["checks"] if c["id"] == "sheets.sort")
    if behaviour == "stay":
        assert "re-points the tag" in sort["consequence"] and not sort["fatal"]
        assert "[相違あり / differs] 並べ替え後の行メタデータ" in result.stdout
    assert "確認済み / confirmed" in result.stdout
    assert "nothing the product cannot live with" in result.stdout

    # the scratch tab is gone, the staff's tabs untouched, no mail sent, no draft left
    assert emulator.sheets.dump(BOOK) == {
        "申請": [["申請番号", "判定"], ["A-000001", "審査待ち"]],
        "伴走者": [["伴走ネットID"]],
    }
    assert emulator.gmail.sent() == [] and emulator.gmail.drafts() == {}
    # read-only on the forms: nothing but reads reached them
    assert {r.method for r in emulator.requests(api="forms")} <= {
        "forms.forms.get",
        "forms.forms.responses.list",
    }
    # the daemon starts on this verdict
    google_project.cli("once", "--config", str(google_project.config_path), "--dry-run")


def test_under_30_percent_injected_faults_the_self_test_still_reports_the_same(
    google_project: Project, emulator: Emulator
) -> None:
    emulator.faults.seed(7)
    emulator.add_fault(api="*", kind="503", rate=0.3)
    _, verdict = selftest(google_project, "--send-test-message")
    assert sum(r.fault is not None for r in emulator.requests()) >= 10  # faults did fire
    assert statuses(verdict) == {check: "confirmed" for check in EVERY_CHECK}
    assert len(emulator.gmail.sent()) == 1  # retried, never sent twice
    assert emulator.gmail.drafts() == {}
    assert set(emulator.sheets.dump(BOOK)) == {"申請", "伴走者"}


def test_replies_lost_after_google_acted_repeat_no_change_and_report_the_same(
    google_project: Project, emulator: Emulator
) -> None:
    """30 % of the replies lost *after* Google did the work (the retry repeats a request
    that took effect): nothing is done twice, nothing is left behind."""
    emulator.faults.seed(11)
    emulator.add_fault(api="*", kind="503", rate=0.3, when="after")
    _, verdict = selftest(google_project, "--send-test-message")
    assert sum(r.fault is not None for r in emulator.requests()) >= 10
    assert statuses(verdict) == {check: "confirmed" for check in EVERY_CHECK}
    assert len(emulator.gmail.sent()) == 1
    assert emulator.gmail.drafts() == {}
    assert set(emulator.sheets.dump(BOOK)) == {"申請", "伴走者"}


def test_the_test_message_goes_to_the_secretariat_itself_and_is_found_in_sent(
    google_project: Project, emulator: Emulator
) -> None:
    _, verdict = selftest(google_project, "--send-test-message")
    assert statuses(verdict)["gmail.sent"] == "confirmed"
    [message] = emulator.gmail.sent()
    assert message.owner == MAILBOX and message.header("To") == MAILBOX


def test_a_form_that_does_not_page_makes_once_refuse_until_a_new_self_test_passes(
    google_project: Project, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = google_project
    # a Google that gives the first page and no nextPageToken: the rest is never read
    monkeypatch.setattr(emulated_forms, "_make_token", lambda offset, flt: None)
    result, verdict = selftest(project, check=False)
    assert result.returncode == 1
    assert statuses(verdict)["forms.paging.application"] == "differs"
    assert "forms.paging.application" in verdict["refuse"]
    assert "once and run will refuse to start" in result.stdout
    assert "never came back" in result.stdout

    refused = project.cli("once", "--config", str(project.config_path), check=False)
    assert refused.returncode == 1
    assert "google-selftest" in refused.stderr and "Traceback" not in refused.stderr
    assert "responses would be missed" in refused.stderr
    assert not project.ledger_path.exists()  # refused before anything was read or written
    assert emulator.gmail.sent() == []

    monkeypatch.undo()
    selftest(project)
    project.cli("once", "--config", str(project.config_path), "--dry-run")


def test_a_form_that_gives_more_per_page_than_asked_is_reported_but_not_refused(
    google_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulated_forms, "_page_size", lambda raw: emulated_forms.MAX_PAGE_SIZE)
    result, verdict = selftest(google_project)
    assert statuses(verdict)["forms.paging.application"] == "differs"
    assert verdict["refuse"] == []
    assert "follows nextPageToken" in result.stdout
    google_project.cli("once", "--config", str(google_project.config_path), "--dry-run")


def test_too_few_responses_and_a_local_sheet_are_reported_as_could_not_run(
    project: Project, emulator: Emulator
) -> None:
    key = key_file(emulator, project.root)
    emulator.forms.load_form(
        {**emulator.forms.state(form_id("registration")).form, "formId": "empty-form-0001"}
    )
    project.write_config(
        source={
            "kind": "forms_api",
            "registration_form_id": "empty-form-0001",
            "application_form_id": form_id("application"),
        },
        google={"credentials_file": str(key), "api_base": emulator.base_url},
    )
    result, verdict = selftest(project)
    seen = statuses(verdict)
    assert seen["forms.paging.registration"] == "could_not_run"
    assert seen["forms.paging.application"] == "confirmed"
    assert seen["sheets.sort"] == "could_not_run"
    assert seen["gmail"] == "could_not_run"
    assert "only 0 responses" in result.stdout
    assert verdict["refuse"] == []


def test_without_a_verdict_or_with_a_damaged_one_once_says_what_to_do(
    google_project: Project,
) -> None:
    project = google_project
    config = str(project.config_path)
    project.cli("once", "--config", config, "--dry-run")  # never self-tested: no refusal
    verdict = project.ledger_path.parent / "google-selftest.json"
    verdict.write_text("{not json", encoding="utf-8")
    refused = project.cli("once", "--config", config, "--dry-run", check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "run google-selftest again" in refused.stderr


def test_the_embedded_default_never_reads_a_verdict(project: Project) -> None:
    project.ledger_path.parent.mkdir(parents=True, exist_ok=True)
    (project.ledger_path.parent / "google-selftest.json").write_text("{not json", "utf-8")
    project.once("2022-06-27 12:00")


def test_a_gmail_that_refuses_the_calls_is_could_not_run_with_the_scopes_to_check(
    google_project: Project, emulator: Emulator
) -> None:
    emulator.add_fault(api="gmail", kind="403")
    result, verdict = selftest(google_project, "--send-test-message")
    seen = statuses(verdict)
    assert (seen["gmail.draft"], seen["gmail.sent"]) == ("could_not_run", "could_not_run")
    assert "gmail.compose and gmail.readonly" in result.stdout
    assert verdict["refuse"] == []
    assert emulator.gmail.sent() == []


def test_without_gmail_drafts_the_search_is_not_tried_and_no_extra_scope_is_asked(
    google_project: Project, emulator: Emulator
) -> None:
    config = yaml.safe_load(google_project.config_path.read_text("utf-8"))
    config["mail"]["gmail_drafts"] = False
    google_project.config_path.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    client = emulator.service_account_info()["client_email"]
    sheets, forms = "https://www.googleapis.com/auth/", "https://www.googleapis.com/auth/forms"
    allowed = [f"{sheets}spreadsheets", f"{forms}.body.readonly", f"{forms}.responses.readonly"]
    emulator.oauth.allow_delegation(client, [*allowed, f"{sheets}gmail.send"])

    result, verdict = selftest(google_project)

    assert statuses(verdict)["gmail"] == "could_not_run"
    assert "gmail_drafts" in result.stdout
    assert verdict["refuse"] == []
    assert statuses(verdict)["sheets.sort"] in ("confirmed", "differs")


def test_a_status_sheet_not_shared_with_the_account_is_could_not_run_not_a_difference(
    google_project: Project, emulator: Emulator
) -> None:
    emulator.sheets.unshare(BOOK)
    result, verdict = selftest(google_project)
    sheets = {k: v for k, v in statuses(verdict).items() if k.startswith("sheets.")}
    assert set(sheets.values()) == {"could_not_run"}
    assert "The caller does not have permission" in result.stdout
    assert verdict["refuse"] == [] and verdict["row_metadata_on_sort"] is None
    assert statuses(verdict)["forms.paging.application"] == "confirmed"


def test_writes_through_a_tag_landing_on_the_next_row_make_once_refuse(
    google_project: Project, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Google whose data-filter writes land one row below the tagged row."""
    targets = sheets_filters.FilterMatcher.targets

    def one_row_off(self: Any, data_filter: dict[str, Any]) -> list[Target]:
        found = targets(self, data_filter)
        if "developerMetadataLookup" not in data_filter:
            return found
        return [
            Target(t.sheet, Area(t.area.start_row + 1, t.area.end_row + 1), t.text)
            if t.area is not None and t.area.start_row is not None and t.area.end_row is not None
            else t
            for t in found
        ]

    monkeypatch.setattr(sheets_filters.FilterMatcher, "targets", one_row_off)
    result, verdict = selftest(google_project, check=False)
    assert result.returncode == 1
    seen = statuses(verdict)
    assert (seen["sheets.tag_write"], seen["sheets.tag_read"]) == ("differs", "differs")
    assert {"sheets.tag_write", "sheets.tag_read"} <= set(verdict["refuse"])
    assert "'written' on row(s) [5] (K3 is row 4)" in result.stdout
    assert seen["sheets.cleanup"] == "confirmed"
    refused = google_project.cli("once", "--config", str(google_project.config_path), check=False)
    assert refused.returncode == 1
    assert "the status sheet is written through row tags" in refused.stderr
