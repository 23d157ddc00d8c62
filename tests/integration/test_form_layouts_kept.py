"""Each form's questions kept beside the ledger (``adapters.form_layouts``, issue 14): a
new process per cycle reads the responses without asking ``forms.get`` again, still
notices a form staff edited — a question added at once (as a running service does), a
question renamed within the hour — and ignores a damaged or foreign file. Through
google-api-python-client against the emulator; ``forms.get`` counted by its counters."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from emulated import ROOT, google_example_config
from test_forms_api_source import APP_FORM, REG_FORM, reference_form
from test_forms_api_source import emulator as emulator  # the loaded emulator fixture

from bansou_sync.adapters.form_fields import REGISTRATION_TITLES
from bansou_sync.adapters.forms_api import FormsApiSource
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.ledger import Ledger
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.app import run_once
from bansou_sync.bootstrap import build_services
from bansou_sync.config import load_config
from bansou_sync.core.calendar import JST
from bansou_sync.emulator.server import Emulator, start_emulator

FAST = RetryPolicy(attempts=12, total_seconds=60, base_seconds=0.001, max_wait_seconds=0.01)
KANA = REGISTRATION_TITLES["kana"]
OTHER_KANA = "ふりがな(任意)"  # a title the configuration does not read as kana
T0 = 1_700_000_000.0


def registration_form(kana_title: str | None) -> dict[str, Any]:
    """The reference registration form, its kana question titled ``kana_title``
    (None: the question is not on the form)."""
    form = copy.deepcopy(reference_form("registration", REG_FORM))
    item = next(i for i in form["items"] if i["title"] == KANA)
    if kana_title is None:
        form["items"].remove(item)
    else:
        item["title"] = kana_title
    return form


def registration(n: int, kana_title: str | None = None) -> dict[str, Any]:
    answers: dict[str, Any] = {
        REGISTRATION_TITLES["name"]: f"見本 {n}",
        REGISTRATION_TITLES["email"]: f"r{n}@example.com",
        REGISTRATION_TITLES["phone"]: "090-0000-0000",
        REGISTRATION_TITLES["membership"]: "会員の紹介",
        REGISTRATION_TITLES["consent"]: ["同意します"],
    }
    if kana_title is not None:
        answers[kana_title] = "みほん"
    return {"answers": answers}


class Process:
    """One new process's source over the kept file, at ``now`` (epoch seconds)."""

    def __init__(self, access: GoogleAccess, kept: Path, now: float = T0, **kwargs: Any) -> None:
        ids = {"registration": REG_FORM, "application": APP_FORM}
        self.source = FormsApiSource(
            access, ids, policy=FAST, layouts_dir=kept.parent, clock=lambda: now, **kwargs
        )


def load_with_kana_titled(emulator: Emulator, title: str) -> None:
    """The registration form with its kana question titled ``title``, and one answer."""
    emulator.forms.load_form(registration_form(title), [registration(1, title)])


def form_gets(emu: Emulator) -> int:
    count = emu.counters().get("forms.forms.get", 0)
    emu.reset_counters()
    return count


def test_a_new_process_reads_the_responses_with_the_kept_layouts_and_no_forms_get(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path
) -> None:
    kept = tmp_path / "form-layouts.json"
    emulator.forms.add_responses(REG_FORM, [registration(1, KANA)])
    first = Process(access, kept).source
    learnt = first.fetch("registration"), first.fetch("application")
    assert form_gets(emulator) == 2
    later = Process(access, kept, now=T0 + 3000).source
    assert (later.fetch("registration"), later.fetch("application")) == learnt
    assert form_gets(emulator) == 0
    assert learnt[0][0].answers["kana"] == "みほん"


def test_a_question_added_to_the_form_is_learnt_by_the_next_process_from_its_answers(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path
) -> None:
    kept = tmp_path / "form-layouts.json"
    emulator.forms.load_form(registration_form(None), [registration(1)])
    [before] = Process(access, kept).source.fetch("registration")
    assert "kana" not in before.answers and form_gets(emulator) == 1
    # staff add the question; a response answers it a few minutes later
    emulator.forms.load_form(registration_form(KANA), [registration(1)])
    emulator.forms.add_responses(REG_FORM, [registration(2, KANA)])
    after = Process(access, kept, now=T0 + 300).source.fetch("registration")
    assert form_gets(emulator) == 1  # unknown question IDs: learnt again, as a service does
    assert {r.answers.get("kana") for r in after} == {None, "みほん"}
    again = Process(access, kept, now=T0 + 400).source.fetch("registration")
    assert again == after and form_gets(emulator) == 0  # the new layout was kept


def test_a_question_added_mid_read_is_learnt_and_the_form_read_again_with_no_page_read_in_vain(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.forms.load_form(registration_form(None), [])
    emulator.forms.set_order(REG_FORM, "submitted")
    adapter = FormsApiSource(
        access, {"registration": REG_FORM, "application": APP_FORM}, policy=FAST, page_size=1
    )
    assert adapter.fetch("registration") == [] and form_gets(emulator) == 1
    emulator.forms.load_form(registration_form(KANA), [])
    emulator.forms.set_order(REG_FORM, "submitted")
    stamps = [f"2022-06-0{n}T01:00:00.000Z" for n in (1, 2, 3)]
    emulator.forms.add_responses(
        REG_FORM,
        [{**registration(1), "createTime": stamps[0]}]
        + [{**registration(n, KANA), "createTime": stamps[n - 1]} for n in (2, 3)],
    )
    got = adapter.fetch("registration")
    assert sorted(str(r.answers.get("kana")) for r in got) == ["None", "みほん", "みほん"]
    # page 2 holds the new question: learnt, then pages 1–3 read again (page 3 is not
    # read before that: it would have been read for nothing)
    assert emulator.counters()["forms.forms.responses.list"] == 2 + 3
    assert form_gets(emulator) == 1


def test_a_renamed_question_is_learnt_within_the_hour_one_form_per_process(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path
) -> None:
    kept = tmp_path / "form-layouts.json"
    load_with_kana_titled(emulator, OTHER_KANA)
    first = Process(access, kept).source
    [before] = first.fetch("registration")
    Process(access, kept, now=T0 + 60).source.fetch("application")  # learnt a minute later
    assert "kana" not in before.answers and form_gets(emulator) == 2
    # staff rename 「ふりがな(任意)」 to the title the configuration reads: same question ID
    load_with_kana_titled(emulator, KANA)

    def cycle(now: float) -> tuple[str | None, int]:
        source = Process(access, kept, now=now).source
        [raw] = source.fetch("registration")
        source.fetch("application")
        return raw.answers.get("kana"), form_gets(emulator)

    assert cycle(T0 + 1800) == (None, 0)  # inside the hour: as a running service, unseen
    assert cycle(T0 + 3600) == ("みほん", 1)  # the oldest kept form is learnt again
    assert cycle(T0 + 3700) == ("みほん", 1)  # then the other one, never both at once
    assert cycle(T0 + 3800) == ("みほん", 0)
    assert cycle(T0 - 60) == ("みほん", 1)  # a clock set back: learnt again


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"\x00" * 64,
        b'{"format": 1, "forms": {"registration": {"label": 3',
        b'{"format": 1, "forms": {"registration": {"label": "x", "reply": {}}}}',
        b'{"format": 1, "forms": []}',
        b"[1, 2, 3]",
        b'{"format": 99, "forms": {}}',
    ],
)
def test_a_damaged_or_foreign_kept_file_is_ignored_and_written_again(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path, damage: bytes
) -> None:
    kept = tmp_path / "form-layouts.json"
    emulator.forms.add_responses(REG_FORM, [registration(1, KANA)])
    expected = Process(access, tmp_path / "other" / "form-layouts.json").source.fetch(
        "registration"
    )
    form_gets(emulator)
    kept.write_bytes(damage)
    assert Process(access, kept).source.fetch("registration") == expected
    assert form_gets(emulator) == 1
    assert Process(access, kept).source.fetch("registration") == expected
    assert form_gets(emulator) == 0


def test_a_kept_layout_of_another_form_id_or_mapping_is_not_used(
    emulator: Emulator, access: GoogleAccess, tmp_path: Path
) -> None:
    kept = tmp_path / "form-layouts.json"
    load_with_kana_titled(emulator, OTHER_KANA)
    [plain] = Process(access, kept).source.fetch("registration")
    assert "kana" not in plain.answers and form_gets(emulator) == 1
    mapped = Process(access, kept, mapping={"registration": {"kana": OTHER_KANA}}).source
    [raw] = mapped.fetch("registration")
    assert raw.answers["kana"] == "みほん" and form_gets(emulator) == 1
    other = reference_form("registration", "registration-form-0002")
    emulator.forms.load_form(other, [registration(2, KANA)])
    ids = {"registration": "registration-form-0002", "application": APP_FORM}
    moved = FormsApiSource(access, ids, policy=FAST, layouts_dir=tmp_path, clock=lambda: T0)
    [raw] = moved.fetch("registration")
    assert raw.answers["kana"] == "みほん" and form_gets(emulator) == 1


def test_a_cold_idle_cycle_on_the_google_backends_asks_no_forms_get(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANSOU_CLIENT_KEY", "form-layouts-test-key")
    emu = start_emulator(ROOT / "reference")
    try:
        assert emu.sheets is not None
        emu.sheets.load_fixture({"spreadsheetId": "book", "title": "状況", "sheets": {}})
        key = emu.write_service_account_file(tmp_path / "key.json")
        key.chmod(0o600)
        config = google_example_config(emu, key, "book")
        config["mail"] = {**config["mail"], "kind": "outbox", "path": str(tmp_path / "outbox")}
        config["state"] = {**config.get("state", {}), "path": str(tmp_path / "ledger.sqlite3")}
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
        gets = []
        for minute in (0, 5, 10):
            settings = load_config(path)
            with Ledger.open(Path(settings.state.path)) as ledger:
                now = datetime(2022, 6, 28, 10, minute, tzinfo=JST)
                run_once.run_cycle(build_services(settings, ledger), now)
            gets.append(form_gets(emu))
        assert gets == [2, 0, 0]
        assert (tmp_path / "form-layouts.json").exists()
    finally:
        emu.stop()
