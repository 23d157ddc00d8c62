"""Forms v1 through google-api-python-client (static discovery, api_endpoint override)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from bansou_sync.emulator.server import Emulator

from .conftest import FORM, RECORDINGS, call, response

FORM_ID = FORM["formId"]
Check = Callable[[str, str, Any], None]


def stamp(n: int) -> str:
    """n seconds after 2022-07-01T00:00:00Z, microsecond precision."""
    minutes, seconds = divmod(n, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"2022-07-{1 + days:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.123456Z"


def list_all(forms: Any, **kwargs: Any) -> list[list[dict[str, Any]]]:
    pages, token = [], None
    while True:
        reply = forms.forms().responses().list(formId=FORM_ID, pageToken=token, **kwargs).execute()
        pages.append(reply.get("responses", []))
        token = reply.get("nextPageToken")
        if not token:
            return pages


def test_forms_get_answers_the_form_as_the_discovery_schema_describes(
    emulator: Emulator, forms: Any, check_schema: Check
) -> None:
    emulator.forms.load_form({**FORM, "_emulator": {"order": "submitted"}})
    form = forms.forms().get(formId=FORM_ID).execute()
    check_schema("forms.v1", "Form", form)
    assert "_emulator" not in form
    assert form["publishSettings"] == {
        "publishState": {"isPublished": True, "isAcceptingResponses": True}
    }
    assert form["items"] == FORM["items"]


def test_responses_list_and_get_match_the_schema_and_the_recorded_shape(
    emulator: Emulator, forms: Any, check_schema: Check
) -> None:
    emulator.forms.load_form(FORM, [response(1, stamp(1)), response(2, stamp(2))])
    listed = forms.forms().responses().list(formId=FORM_ID).execute()
    check_schema("forms.v1", "ListFormResponsesResponse", listed)
    first = listed["responses"][0]
    one = forms.forms().responses().get(formId=FORM_ID, responseId=first["responseId"]).execute()
    check_schema("forms.v1", "FormResponse", one)
    assert one == first
    assert one["responseId"].startswith("ACYDBN") and len(one["responseId"]) == 71
    answer = one["answers"]["2a1b2c3d"]
    assert answer == {
        "questionId": "2a1b2c3d",
        "textAnswers": {"answers": [{"value": "住まい"}, {"value": "医療"}]},
    }


def test_replies_have_the_same_keys_and_nesting_as_real_forms_recordings(
    emulator: Emulator, forms: Any
) -> None:
    folder = RECORDINGS / "forms"
    if not folder.is_dir():
        pytest.skip(f"no recordings at {folder}")
    real_list = json.loads((folder / "responses_list__soramimi_jstream.json").read_text())
    real_one = json.loads((folder / "response_get__pipedream_test_event.json").read_text())
    emulator.forms.load_form(FORM, [response(1, stamp(1))])
    ours = forms.forms().responses().list(formId=FORM_ID).execute()

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            # answer maps are keyed by question ID: compare one entry's shape
            if (
                value
                and all(len(k) == 8 for k in value)
                and "questionId" in next(iter(value.values()))
            ):
                return {"<qid>": shape(next(iter(value.values())))}
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shape(value[0])] if value else []
        return type(value).__name__

    assert shape(ours) == shape(real_list)
    assert shape(ours["responses"][0]) == shape(real_one)
    assert len(ours["responses"][0]["createTime"]) == len(real_one["createTime"])
    assert len(ours["responses"][0]["lastSubmittedTime"]) == len(real_one["lastSubmittedTime"])


def test_twelve_thousand_responses_come_in_pages_of_at_most_5000(
    emulator: Emulator, forms: Any
) -> None:
    emulator.forms.load_form(FORM, [response(n, stamp(n)) for n in range(12000)])
    pages = list_all(forms, pageSize=5000)
    assert [len(p) for p in pages] == [5000, 5000, 2000]
    assert len({r["responseId"] for p in pages for r in p}) == 12000
    # without pageSize, and with a larger one, the page is capped at 5,000 too
    assert len(forms.forms().responses().list(formId=FORM_ID).execute()["responses"]) == 5000
    big = forms.forms().responses().list(formId=FORM_ID, pageSize=9000).execute()
    assert len(big["responses"]) == 5000


def test_responses_are_not_sorted_by_time_but_the_order_is_stable(
    emulator: Emulator, forms: Any
) -> None:
    emulator.forms.load_form(FORM, [response(n, stamp(n)) for n in range(50)])
    first = [r["lastSubmittedTime"] for p in list_all(forms, pageSize=7) for r in p]
    again = [r["lastSubmittedTime"] for p in list_all(forms, pageSize=7) for r in p]
    assert first == again
    assert first != sorted(first) and first != sorted(first, reverse=True)
    assert sorted(first) == [stamp(n) for n in range(50)]


def test_the_timestamp_filter_keeps_responses_after_or_at_the_bound(
    emulator: Emulator, forms: Any
) -> None:
    emulator.forms.load_form(FORM, [response(n, stamp(n)) for n in range(10)])
    bound = stamp(5)
    after = list_all(forms, filter=f"timestamp > {bound}")
    at_or_after = list_all(forms, filter=f"timestamp >= {bound}", pageSize=2)
    assert sorted(r["lastSubmittedTime"] for p in after for r in p) == [
        stamp(n) for n in range(6, 10)
    ]
    assert sorted(r["lastSubmittedTime"] for p in at_or_after for r in p) == [
        stamp(n) for n in range(5, 10)
    ]
    whole_second = list_all(forms, filter="timestamp > 2022-07-01T00:00:05Z")
    assert len(whole_second[0]) == 5  # 00:00:05.123456 is after 00:00:05


@pytest.mark.parametrize(
    "bad",
    [
        "timestamp < 2022-07-01T00:00:00Z",
        "lastSubmittedTime > 2022-07-01T00:00:00Z",
        "timestamp > 2022-07-01T09:00:00+09:00",
        "timestamp > yesterday",
    ],
)
def test_other_filters_are_refused_with_400(emulator: Emulator, forms: Any, bad: str) -> None:
    emulator.forms.load_form(FORM)
    with pytest.raises(HttpError) as caught:
        forms.forms().responses().list(formId=FORM_ID, filter=bad).execute()
    assert caught.value.resp.status == 400


def test_an_empty_form_lists_as_an_empty_object(emulator: Emulator, forms: Any) -> None:
    emulator.forms.load_form(FORM)
    assert forms.forms().responses().list(formId=FORM_ID).execute() == {}


def test_unknown_forms_and_responses_are_404(emulator: Emulator, forms: Any) -> None:
    emulator.forms.load_form(FORM)
    for request in (
        forms.forms().get(formId="nope"),
        forms.forms().responses().get(formId=FORM_ID, responseId="ACYDBNnope"),
    ):
        with pytest.raises(HttpError) as caught:
            request.execute()
        assert caught.value.resp.status == 404
        assert json.loads(caught.value.content)["error"]["status"] == "NOT_FOUND"


def test_set_publish_settings_stops_accepting_responses(emulator: Emulator, forms: Any) -> None:
    emulator.forms.load_form(FORM)
    reply = (
        forms.forms()
        .setPublishSettings(
            formId=FORM_ID,
            body={
                "publishSettings": {
                    "publishState": {"isPublished": True, "isAcceptingResponses": False}
                },
                "updateMask": "publishState.isAcceptingResponses",
            },
        )
        .execute()
    )
    # proto3 JSON leaves the false boolean out, as Google does
    assert reply == {"formId": FORM_ID, "publishSettings": {"publishState": {"isPublished": True}}}
    assert emulator.forms.publish_state(FORM_ID) == {
        "isPublished": True,
        "isAcceptingResponses": False,
    }
    with pytest.raises(ValueError, match="not accepting"):
        emulator.forms.add_responses(FORM_ID, [response(1, stamp(1))])


def test_a_legacy_form_cannot_be_closed_through_the_api(emulator: Emulator, forms: Any) -> None:
    emulator.forms.load_form({**FORM, "_emulator": {"legacy": True}})
    assert "publishSettings" not in forms.forms().get(formId=FORM_ID).execute()
    with pytest.raises(HttpError) as caught:
        forms.forms().setPublishSettings(
            formId=FORM_ID,
            body={
                "publishSettings": {
                    "publishState": {"isPublished": True, "isAcceptingResponses": False}
                },
                "updateMask": "publishState",
            },
        ).execute()
    assert caught.value.resp.status == 400
    assert json.loads(caught.value.content)["error"]["status"] == "FAILED_PRECONDITION"


def test_responses_added_and_edited_through_the_control_api_show_up(
    emulator: Emulator, forms: Any
) -> None:
    emulator.forms.load_form(FORM)
    added = call(
        emulator,
        "POST",
        f"/_emulator/forms/{FORM_ID}/responses",
        body={"responses": [{"answers": {"伴走ネットID": "BN-0001", "1a1b2c3d": "2022-07-01"}}]},
    ).json()["responses"]
    rid = added[0]["responseId"]
    got = forms.forms().responses().get(formId=FORM_ID, responseId=rid).execute()
    assert got["answers"]["0a1b2c3d"]["textAnswers"]["answers"] == [{"value": "BN-0001"}]
    before = got["lastSubmittedTime"]

    edited = call(
        emulator,
        "PATCH",
        f"/_emulator/forms/{FORM_ID}/responses/{rid}",
        body={"answers": {"1a1b2c3d": "2022-07-02"}},
    )
    assert edited.status == 200
    got = forms.forms().responses().get(formId=FORM_ID, responseId=rid).execute()
    assert got["answers"]["1a1b2c3d"]["textAnswers"]["answers"] == [{"value": "2022-07-02"}]
    assert got["answers"]["0a1b2c3d"]["textAnswers"]["answers"] == [{"value": "BN-0001"}]
    assert got["lastSubmittedTime"] > before
    assert got["createTime"] == added[0]["createTime"]
    newer = forms.forms().responses().list(formId=FORM_ID, filter=f"timestamp > {before}")
    assert [r["responseId"] for r in newer.execute()["responses"]] == [rid]
