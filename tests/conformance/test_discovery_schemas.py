"""Every route the project uses, called on the emulator, answers exactly as the
discovery documents bundled with google-api-python-client describe: the request path
fits the method's ``flatPath`` and the reply walks the method's response schema
(``$ref``, types, formats, enums, arrays; unknown keys are errors)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from google.auth.transport.requests import Request
from schema_check import discovery, find_method, schema_errors

from bansou_sync.emulator.control import ControlApi
from bansou_sync.emulator.forms import FormsApi
from bansou_sync.emulator.gmail import GmailApi
from bansou_sync.emulator.oauth import OAuthApi
from bansou_sync.emulator.server import Emulator
from bansou_sync.emulator.sheets import SheetsApi

from .forms_fixture import FORM, FORM_ID, RESPONSES
from .replay import Replay, Reply

SCOPES = [
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/forms.body",
    "https://www.googleapis.com/auth/forms.responses.readonly",
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.readonly",
]
SHEET = "status-sheet"
DOCS = {"sheets": "sheets.v4", "forms": "forms.v1", "gmail": "gmail.v1"}
RAW = base64.urlsafe_b64encode(
    "To: taro@example.org\r\nSubject: =?UTF-8?B?5Y+X5LuY?=\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n\r\n受け付けました。\r\n".encode()
).decode()
GRID = {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 0}
FILTER = {"developerMetadataLookup": {"metadataKey": "bansou:key"}}


@dataclass(frozen=True)
class Call:
    method_id: str
    http: str
    path: str
    body: Any = None


def _batch(*requests: dict[str, Any]) -> dict[str, Any]:
    return {"requests": list(requests)}


def _sheets_calls() -> list[Call]:
    s = f"/v4/spreadsheets/{SHEET}"
    v = "sheets.spreadsheets.values."
    return [
        Call(
            "sheets.spreadsheets.create",
            "POST",
            "/v4/spreadsheets",
            {"properties": {"title": "状況"}},
        ),
        Call(
            "sheets.spreadsheets.get",
            "GET",
            f"{s}?includeGridData=true&ranges=%E7%94%B3%E8%AB%8B!A1:C3",
        ),
        Call(v + "get", "GET", f"{s}/values/%E7%94%B3%E8%AB%8B!A:C"),
        Call(
            v + "batchGet",
            "GET",
            f"{s}/values:batchGet?ranges=%E7%94%B3%E8%AB%8B!A2:A&ranges=%27%E7%94%B3%E8%AB%8B%27!C2:C",
        ),
        Call(
            v + "update",
            "PUT",
            f"{s}/values/%E7%94%B3%E8%AB%8B!D2?valueInputOption=RAW&includeValuesInResponse=true",
            {"values": [["済"]]},
        ),
        Call(
            v + "batchUpdate",
            "POST",
            f"{s}/values:batchUpdate",
            {
                "valueInputOption": "RAW",
                "data": [
                    {"range": "申請!E2", "values": [["x"]]},
                    {"range": "申請!E3:F3", "values": [["y", 1]]},
                ],
            },
        ),
        Call(
            v + "append",
            "POST",
            f"{s}/values/%E7%94%B3%E8%AB%8B!A1:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS",
            {"values": [["A-000003", "鈴木"]]},
        ),
        Call(v + "clear", "POST", f"{s}/values/%E7%94%B3%E8%AB%8B!F3:clear"),
        Call(v + "batchClear", "POST", f"{s}/values:batchClear", {"ranges": ["申請!E2:E3"]}),
        Call(
            "sheets.spreadsheets.batchUpdate",
            "POST",
            f"{s}:batchUpdate",
            _batch(
                {"addSheet": {"properties": {"title": "伴走者"}}},
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                        "fields": "gridProperties.frozenRowCount",
                    }
                },
                {
                    "addProtectedRange": {
                        "protectedRange": {
                            "range": {"sheetId": 0, "startColumnIndex": 0, "endColumnIndex": 2},
                            "editors": {"users": ["admin@example.org"]},
                        }
                    }
                },
                {
                    "setDataValidation": {
                        "range": {**GRID, "startColumnIndex": 2, "endColumnIndex": 3},
                        "rule": {
                            "condition": {
                                "type": "ONE_OF_LIST",
                                "values": [
                                    {"userEnteredValue": "承認"},
                                    {"userEnteredValue": "却下"},
                                ],
                            },
                            "strict": True,
                            "showCustomUi": True,
                        },
                    }
                },
                {
                    "addConditionalFormatRule": {
                        "rule": {
                            "ranges": [{"sheetId": 0}],
                            "booleanRule": {
                                "condition": {
                                    "type": "TEXT_EQ",
                                    "values": [{"userEnteredValue": "却下"}],
                                },
                                "format": {"backgroundColor": {"red": 1}},
                            },
                        },
                        "index": 0,
                    }
                },
                {
                    "repeatCell": {
                        "range": {"sheetId": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold",
                    }
                },
                {
                    "addDimensionGroup": {
                        "range": {
                            "sheetId": 0,
                            "dimension": "COLUMNS",
                            "startIndex": 1,
                            "endIndex": 2,
                        }
                    }
                },
                {
                    "updateDimensionGroup": {
                        "dimensionGroup": {
                            "range": {
                                "sheetId": 0,
                                "dimension": "COLUMNS",
                                "startIndex": 1,
                                "endIndex": 2,
                            },
                            "depth": 1,
                            "collapsed": True,
                        },
                        "fields": "collapsed",
                    }
                },
                {
                    "updateDimensionProperties": {
                        "range": {
                            "sheetId": 0,
                            "dimension": "COLUMNS",
                            "startIndex": 3,
                            "endIndex": 4,
                        },
                        "properties": {"pixelSize": 220},
                        "fields": "pixelSize",
                    }
                },
                {
                    "sortRange": {
                        "range": {"sheetId": 0, "startRowIndex": 1},
                        "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}],
                    }
                },
                {
                    "insertDimension": {
                        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 5, "endIndex": 7}
                    }
                },
                {
                    "deleteDimension": {
                        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 5, "endIndex": 6}
                    }
                },
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataKey": "bansou:key",
                            "metadataValue": "A",
                            "location": {
                                "dimensionRange": {
                                    "sheetId": 0,
                                    "dimension": "COLUMNS",
                                    "startIndex": 0,
                                    "endIndex": 1,
                                }
                            },
                            "visibility": "DOCUMENT",
                        }
                    }
                },
                {
                    "updateCells": {
                        "start": {"sheetId": 0, "rowIndex": 5, "columnIndex": 0},
                        "rows": [{"values": [{"userEnteredValue": {"stringValue": "A-1"}}]}],
                        "fields": "userEnteredValue",
                    }
                },
                {
                    "deleteDeveloperMetadata": {
                        "dataFilter": {"developerMetadataLookup": {"metadataKey": "bansou:key"}}
                    }
                },
            ),
        ),
        Call(
            "sheets.spreadsheets.get",
            "GET",
            f"{s}?fields=sheets(properties,protectedRanges,conditionalFormats)",
        ),
        Call(
            "sheets.spreadsheets.developerMetadata.search",
            "POST",
            f"{s}/developerMetadata:search",
            {"dataFilters": [FILTER]},
        ),
        Call(
            v + "batchGetByDataFilter",
            "POST",
            f"{s}/values:batchGetByDataFilter",
            {"dataFilters": [FILTER]},
        ),
        Call(
            v + "batchUpdateByDataFilter",
            "POST",
            f"{s}/values:batchUpdateByDataFilter",
            {
                "valueInputOption": "RAW",
                "includeValuesInResponse": True,
                "data": [{"dataFilter": FILTER, "values": [["申請番号"]]}],
            },
        ),
    ]


def _forms_calls(response_id: str) -> list[Call]:
    f = f"/v1/forms/{FORM_ID}"
    return [
        Call("forms.forms.get", "GET", f),
        Call("forms.forms.responses.list", "GET", f"{f}/responses?pageSize=1"),
        Call(
            "forms.forms.responses.list",
            "GET",
            f"{f}/responses?filter=timestamp%20%3E%3D%202024-06-19T15:00:00Z",
        ),
        Call("forms.forms.responses.get", "GET", f"{f}/responses/{response_id}"),
        Call(
            "forms.forms.setPublishSettings",
            "POST",
            f"{f}:setPublishSettings",
            {
                "publishSettings": {
                    "publishState": {"isPublished": True, "isAcceptingResponses": False}
                },
                "updateMask": "publishState",
            },
        ),
    ]


def _gmail_calls() -> list[Call]:
    u = "/gmail/v1/users/me"
    return [
        Call("gmail.users.getProfile", "GET", f"{u}/profile"),
        Call("gmail.users.messages.send", "POST", f"{u}/messages/send", {"raw": RAW}),
        Call("gmail.users.drafts.create", "POST", f"{u}/drafts", {"message": {"raw": RAW}}),
        Call(
            "gmail.users.messages.list",
            "GET",
            f"{u}/messages?q=in:sent%20subject:%E5%8F%97%E4%BB%98",
        ),
    ]


@dataclass(frozen=True)
class Answer:
    call: Call
    reply: Reply


@pytest.fixture(scope="module")
def answers() -> Iterator[list[Answer]]:
    """Every call of the scenario, made once, in order, on one emulator."""
    sheets = SheetsApi(seed=11)
    sheets.load_fixture(
        {
            "spreadsheetId": SHEET,
            "title": "状況",
            "sheets": {
                "申請": [
                    ["申請番号", "氏名", "審査"],
                    ["A-000001", "山田", "承認"],
                    ["A-000002", "佐藤"],
                ]
            },
        }
    )
    with Emulator([OAuthApi(), FormsApi(), GmailApi(), sheets, ControlApi()]) as emulator:
        emulator.forms.load_form(FORM, RESPONSES)
        credentials = emulator.credentials(SCOPES, subject="jimukyoku@example.org")
        credentials.refresh(Request())
        replay = Replay(emulator, str(credentials.token))
        done: list[Answer] = []

        def run(calls: list[Call]) -> None:
            for call in calls:
                done.append(Answer(call, replay.request(call.http, call.path, call.body)))

        response_id = emulator.forms.responses(FORM_ID)[0]["responseId"]
        run(_sheets_calls() + _forms_calls(response_id) + _gmail_calls())
        message_id = done[-3].reply.json()["id"]
        draft_id = done[-2].reply.json()["id"]
        u = "/gmail/v1/users/me"
        run(
            [
                Call("gmail.users.messages.get", "GET", f"{u}/messages/{message_id}?format=full"),
                Call("gmail.users.messages.get", "GET", f"{u}/messages/{message_id}?format=raw"),
                Call("gmail.users.drafts.get", "GET", f"{u}/drafts/{draft_id}"),
                Call("gmail.users.drafts.list", "GET", f"{u}/drafts?q=in%3Adrafts"),
                Call("gmail.users.drafts.send", "POST", f"{u}/drafts/send", {"id": draft_id}),
            ]
        )
        yield done


def _all_calls() -> list[Any]:
    calls = _sheets_calls() + _forms_calls("RESPONSE") + _gmail_calls()
    calls += [
        Call("gmail.users.messages.get", "GET", "full"),
        Call("gmail.users.messages.get", "GET", "raw"),
        Call("gmail.users.drafts.get", "GET", ""),
        Call("gmail.users.drafts.list", "GET", ""),
        Call("gmail.users.drafts.send", "POST", ""),
    ]
    return [pytest.param(i, id=f"{i:02d}-{c.method_id}") for i, c in enumerate(calls)]


@pytest.mark.parametrize("index", _all_calls())
def test_the_emulator_reply_fits_the_discovery_schema_of_its_method(
    answers: list[Answer], index: int
) -> None:
    call, reply = answers[index].call, answers[index].reply
    doc = discovery(DOCS[call.method_id.split(".")[0]])
    method = find_method(doc, call.method_id)
    assert reply.status == 200, reply.body[:500]
    flat = re.sub(
        r"\{\+?[^}]+\}",
        "[^/]+",
        re.escape(method["flatPath"]).replace(r"\{", "{").replace(r"\}", "}"),
    )
    path = call.path.split("?")[0].lstrip("/")
    assert re.fullmatch(doc["servicePath"] + flat, path), (path, method["flatPath"])
    assert method["httpMethod"] == call.http
    errors = schema_errors(doc, method["response"], reply.json(), method["response"]["$ref"])
    assert errors == [], "\n".join(errors)
