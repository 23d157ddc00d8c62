"""FormsApiSource against the local emulator: question mapping, pages, unsorted lists,
edits seen through the ``since`` filter, UTC times, faults, errors and closing a form."""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.adapters.forms_api import FormsApiSource
from bansou_sync.adapters.google_auth import FORMS_CLOSE, FORMS_READ, GoogleAccess
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.core.calendar import jst_date, submission_deadline
from bansou_sync.emulator.server import Emulator, start_emulator
from bansou_sync.errors import SourceUnavailable

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
FAST = RetryPolicy(attempts=12, total_seconds=60, base_seconds=0.001, max_wait_seconds=0.01)
REG_FORM = "registration-form-0001"
APP_FORM = "application-form-0001"


def reference_form(name: str, form_id: str) -> dict[str, Any]:
    form = json.loads((REFERENCE / "forms" / f"{name}.form.json").read_text(encoding="utf-8"))
    form["formId"] = form_id
    return dict(form)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = start_emulator()
    emu.forms.load_form(reference_form("registration", REG_FORM))
    emu.forms.load_form(reference_form("application", APP_FORM))
    try:
        yield emu
    finally:
        emu.stop()


def source(access: GoogleAccess, **kwargs: Any) -> FormsApiSource:
    ids = {"registration": REG_FORM, "application": APP_FORM}
    return FormsApiSource(access, ids, policy=FAST, **kwargs)


def application(n: int, submitted: str | None = None, **answers: Any) -> dict[str, Any]:
    """An application response in the emulator's short answer form (keys: question titles)."""
    values = {
        "supporter_id": f"BN-{n % 9000 + 1:04d}",
        "name": f"伴走 {n}",
        "email": f"v{n}@example.com",
        "support_date": "2022-06-01",
        "start_time": "10:00",
        "end_time": "12:00",
        "client_initials": "T.N.",
        "client_birth_year": "1985",
        "client_nationality": "ベトナム",
        "topics": ["医療", "行政手続き"],
        "consent": ["同意します"],
        **answers,
    }
    response: dict[str, Any] = {"answers": {APPLICATION_TITLES[k]: v for k, v in values.items()}}
    if submitted is not None:
        response["createTime"] = submitted
    return response


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def many(count: int, start: datetime = datetime(2022, 6, 1, tzinfo=UTC)) -> list[dict[str, Any]]:
    return [application(n, stamp(start + timedelta(seconds=n))) for n in range(count)]


def test_answers_are_keyed_by_field_through_the_reference_question_titles(
    emulator: Emulator, access: GoogleAccess
) -> None:
    [stored] = emulator.forms.add_responses(
        APP_FORM, [application(1, "2022-06-02T01:02:03.456Z", narrative="病院に同行しました。")]
    )
    [raw] = source(access).fetch("application")
    assert raw.form == "application"
    assert raw.response_id == stored["responseId"]
    assert raw.submitted_at == datetime(2022, 6, 2, 1, 2, 3, 456000, tzinfo=UTC)
    assert raw.answers["supporter_id"] == "BN-0002"
    assert raw.answers["support_date"] == "2022-06-01"  # the core normalises dates
    assert raw.answers["start_time"] == "10:00"
    assert raw.answers["topics"] == ("医療", "行政手続き")  # a CHECKBOX question: a tuple
    assert raw.answers["consent"] == ("同意します",)
    assert raw.answers["narrative"] == "病院に同行しました。"
    assert "companion_id" not in raw.answers  # unanswered: absent
    assert emulator.counters()["forms.forms.get"] == 1


def test_a_configured_mapping_by_question_id_or_title_wins_and_unknown_questions_are_ignored(
    emulator: Emulator, access: GoogleAccess
) -> None:
    form = reference_form("registration", "custom-form")
    items = form["items"]
    name_item = next(i for i in items if i["title"] == REGISTRATION_TITLES["name"])
    name_item["title"] = "お名前(漢字)"  # reworded: only the mapping finds it
    email_item = next(i for i in items if i["title"] == REGISTRATION_TITLES["email"])
    email_id = email_item["questionItem"]["question"]["questionId"]
    extra = copy.deepcopy(name_item)
    extra.update(itemId="e0e0e0e0", title="好きな食べ物")
    extra["questionItem"]["question"]["questionId"] = "0f0f0f0f"
    items.append(extra)
    emulator.forms.load_form(form)
    emulator.forms.add_responses(
        "custom-form",
        [
            {
                "answers": {
                    "お名前(漢字)": "見本 花子",
                    REGISTRATION_TITLES["email"]: "hanako@example.com",
                    REGISTRATION_TITLES["languages"]: ["英語", "ベトナム語"],
                    "好きな食べ物": "すし",
                }
            }
        ],
    )
    mapping = {"registration": {"name": " お名前(漢字) ", "email": email_id}}
    ids = {"registration": "custom-form", "application": APP_FORM}
    [raw] = FormsApiSource(access, ids, mapping, policy=FAST).fetch("registration")
    assert raw.answers == {
        "name": "見本 花子",
        "email": "hanako@example.com",
        "languages": ("英語", "ベトナム語"),
    }


def test_every_page_is_read_when_a_form_holds_over_12000_responses(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.forms.add_responses(APP_FORM, many(12_345))
    got = source(access).fetch("application")
    assert len(got) == 12_345
    assert len({r.response_id for r in got}) == 12_345
    assert emulator.counters()["forms.forms.responses.list"] == 3  # 5,000 a page
    listed = emulator.requests(method="forms.forms.responses.list")
    assert all(entry.query["pageSize"] == ["5000"] for entry in listed)


def test_the_pages_are_read_without_garbage_collector_passes_and_it_is_back_on_after(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.forms.add_responses(APP_FORM, many(6_000))
    passes: list[int] = []

    def counted(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    gc.callbacks.append(counted)
    try:
        got = source(access).fetch("application")
    finally:
        gc.callbacks.remove(counted)
    assert len(got) == 6_000
    # at most the one pass due as it is switched back on (with the collector on
    # throughout the read: ≈ 2,500 passes, 30 of them over the whole heap)
    assert len(passes) <= 1
    assert gc.isenabled()


def test_the_garbage_collector_is_back_on_after_a_read_that_fails_and_left_off_if_it_was(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.add_fault(method="forms.forms.responses.list", kind="403", count=1)
    with pytest.raises(SourceUnavailable, match="service account"):
        source(access).fetch("application")
    assert gc.isenabled()
    gc.disable()
    try:
        source(access).fetch("registration")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_later_page_refused_makes_the_read_unavailable_and_the_next_read_gets_every_page(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.forms.add_responses(APP_FORM, many(30))
    listing = "forms.forms.responses.list"
    emulator.add_fault(method=listing, kind="slow", seconds=0, count=1)  # page 1 passes
    emulator.add_fault(method=listing, kind="403", count=1)  # page 2: refused
    adapter = source(access, page_size=10)
    with pytest.raises(SourceUnavailable, match="service account"):
        adapter.fetch("application")
    assert emulator.counters()[listing] == 2  # no page 3: nothing read after the refusal
    assert gc.isenabled()
    got = adapter.fetch("application")
    assert len({r.response_id for r in got}) == 30


@pytest.mark.parametrize("order", ["shuffled", "reverse", "submitted"])
def test_responses_listed_in_any_order_are_all_returned_with_their_own_answers(
    emulator: Emulator, access: GoogleAccess, order: str
) -> None:
    emulator.forms.add_responses(APP_FORM, many(40))
    emulator.forms.set_order(APP_FORM, order)
    got = source(access).fetch("application")
    expected = {r["responseId"]: r for r in emulator.forms.responses(APP_FORM)}
    assert {r.response_id for r in got} == set(expected)
    for raw in got:
        n = int(str(raw.answers["name"]).split()[-1])
        assert raw.answers["email"] == f"v{n}@example.com"
        assert raw.submitted_at == datetime(2022, 6, 1, tzinfo=UTC) + timedelta(seconds=n)


def test_a_fetch_since_a_time_returns_the_responses_edited_after_it(
    emulator: Emulator, access: GoogleAccess
) -> None:
    old = emulator.forms.add_responses(APP_FORM, many(10))
    adapter = source(access)
    assert len(adapter.fetch("application")) == 10
    edited = emulator.forms.edit_response(
        APP_FORM,
        old[3]["responseId"],
        {APPLICATION_TITLES["end_time"]: "13:30"},
        submitted_at="2022-07-01T00:00:00.123456Z",
    )
    since = datetime(2022, 6, 30, 12, tzinfo=UTC)
    [raw] = adapter.fetch("application", since)
    assert raw.response_id == edited["responseId"]
    assert raw.submitted_at == datetime(2022, 6, 1, 0, 0, 3, tzinfo=UTC)  # createTime kept
    assert raw.last_submitted_at == datetime(2022, 7, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert raw.answers["end_time"] == "13:30"
    assert raw.answers["start_time"] == "10:00"  # merged: other answers stay
    [entry] = emulator.requests(method="forms.forms.responses.list")[-1:]
    assert entry.query["filter"] == ["timestamp >= 2022-06-30T12:00:00Z"]
    # the filter is ">=": a response edited at exactly ``since`` is included
    exact = datetime(2022, 7, 1, tzinfo=UTC)
    assert [r.response_id for r in adapter.fetch("application", exact)] == [raw.response_id]


def test_a_submission_late_on_the_utc_day_keeps_its_utc_time_and_is_late_in_tokyo(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.forms.add_responses(
        APP_FORM, [application(1, "2022-06-25T15:30:00.000Z", support_date="2022-05-26")]
    )
    [raw] = source(access).fetch("application")
    assert raw.submitted_at == datetime(2022, 6, 25, 15, 30, tzinfo=UTC)
    assert raw.submitted_at.utcoffset() == timedelta(0)
    # 2022-06-26 00:30 in Tokyo: the deadline for support on 2022-05-26 (06-25) has passed,
    # though it is still 06-25 in UTC
    deadline = submission_deadline(date(2022, 5, 26))
    assert jst_date(raw.submitted_at) > deadline
    assert jst_date(raw.submitted_at - timedelta(hours=1)) == deadline


def test_thirty_percent_injected_faults_give_the_same_responses(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.forms.add_responses(APP_FORM, many(600))
    emulator.forms.add_responses(
        REG_FORM, [{"answers": {REGISTRATION_TITLES["name"]: f"伴走 {n}"}} for n in range(30)]
    )

    def everything(adapter: FormsApiSource) -> dict[str, set[tuple[str, datetime, str]]]:
        return {
            form: {
                (r.response_id, r.last_submitted_at, r.text("name")) for r in adapter.fetch(form)
            }
            for form in ("registration", "application")
        }

    calm = everything(source(access, page_size=100))  # six pages
    emulator.faults.seed(7)
    for kind, rate in (("429", 0.1), ("500", 0.11), ("503", 0.125)):  # 30% in all
        emulator.add_fault(api="forms", kind=kind, rate=rate)
    stormy = source(access, page_size=100)
    for _ in range(12):
        assert everything(stormy) == calm
    faulted = [e for e in emulator.requests(api="forms") if e.fault]
    assert {e.status for e in faulted} == {429, 500, 503}
    assert len(faulted) >= 5


def test_an_unknown_form_id_is_source_unavailable_naming_the_setting(
    access: GoogleAccess,
) -> None:
    adapter = FormsApiSource(
        access, {"registration": "no-such-form", "application": APP_FORM}, policy=FAST
    )
    with pytest.raises(SourceUnavailable, match=r"source\.registration_form_id") as caught:
        adapter.fetch("registration")
    assert "\n" not in str(caught.value)


def test_a_form_not_shared_with_the_service_account_is_source_unavailable_at_once(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.add_fault(api="forms", kind="403")
    with pytest.raises(SourceUnavailable, match="service account"):
        source(access).fetch("application")
    assert emulator.counters()["forms.forms.get"] == 1  # a 403 is not retried


def test_closing_a_form_stops_it_accepting_responses(
    emulator: Emulator, access: GoogleAccess
) -> None:
    assert source(access, can_close=True).close_form("application") is True
    assert not emulator.forms.state(APP_FORM).accepting()
    assert emulator.forms.publish_state(APP_FORM) == {
        "isPublished": True,
        "isAcceptingResponses": False,
    }
    assert emulator.forms.publish_state(REG_FORM) == {
        "isPublished": True,
        "isAcceptingResponses": True,
    }


def test_closing_a_legacy_form_returns_false_instead_of_raising(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.forms.set_legacy(APP_FORM, True)
    assert source(access, can_close=True).close_form("application") is False
    assert emulator.forms.state(APP_FORM).accepting()


def test_closing_is_not_even_tried_unless_the_config_allows_it(
    emulator: Emulator, access: GoogleAccess
) -> None:
    assert source(access).close_form("application") is False
    assert "forms.forms.setPublishSettings" not in emulator.counters()
    assert emulator.forms.state(APP_FORM).accepting()


def test_the_token_asks_for_read_only_scopes_unless_closing_is_allowed(
    emulator: Emulator, access: GoogleAccess
) -> None:
    source(access).fetch("registration")
    source(access, can_close=True).fetch("registration")
    reader, closer = emulator.oauth.issued
    assert set(reader.scopes or ()) == set(FORMS_READ)
    assert set(closer.scopes or ()) == {*FORMS_READ, FORMS_CLOSE}


def test_a_small_page_size_reads_every_page_of_a_form_and_of_a_since_filter(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.forms.add_responses(APP_FORM, many(23))
    got = source(access, page_size=5).fetch("application")
    assert len({r.response_id for r in got}) == 23
    listed = emulator.requests(method="forms.forms.responses.list")
    assert len(listed) == 5  # 5 + 5 + 5 + 5 + 3
    assert all(entry.query["pageSize"] == ["5"] for entry in listed)
    emulator.reset_counters()
    middle = max(r.submitted_at for r in got) - timedelta(seconds=11)
    later = source(access, page_size=4).fetch("application", since=middle)
    assert len(later) == 12
    assert emulator.counters()["forms.forms.responses.list"] == 3


def test_a_form_lacking_a_question_the_rules_need_is_refused_before_any_response_is_read(
    emulator: Emulator, access: GoogleAccess
) -> None:
    form = reference_form("application", APP_FORM)
    form["items"] = [i for i in form["items"] if i.get("title") != APPLICATION_TITLES["end_time"]]
    emulator.forms.load_form(form)
    adapter = source(access)

    with pytest.raises(SourceUnavailable, match="終了時刻") as refused:
        adapter.fetch("application")

    assert "\n" not in str(refused.value)
    assert emulator.counters().get("forms.forms.responses.list", 0) == 0
    emulator.forms.load_form(reference_form("application", APP_FORM))  # restored
    assert adapter.fetch("application") == []  # learnt again, not kept refused
    assert emulator.counters()["forms.forms.responses.list"] == 1


def test_control_characters_are_removed_and_an_oversized_answer_is_cut_and_flagged(
    emulator: Emulator, access: GoogleAccess
) -> None:
    emulator.forms.add_responses(
        APP_FORM,
        [application(1, name="伴走\x00 1\x0b郎\u0085", narrative="同行" * 80_000)],
    )

    [raw] = source(access).fetch("application")

    assert raw.answers["name"] == "伴走 1郎"
    assert str(raw.answers["narrative"]).endswith("[以下省略 / truncated]")
    assert raw.cut == ("narrative",)
