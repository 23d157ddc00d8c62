"""A small form (text, choice, date and time questions) and responses to it, in the
emulator's fixture shapes (``docs/emulator.md``, Fixtures layout)."""

from __future__ import annotations

from typing import Any

FORM_ID = "1FAIpQLSeConformance000000000000000000000000000"
FORM: dict[str, Any] = {
    "formId": FORM_ID,
    "info": {"title": "伴走支援 申請", "documentTitle": "伴走支援 申請"},
    "revisionId": "00000007",
    "responderUri": f"https://docs.google.com/forms/d/e/{FORM_ID}/viewform",
    "items": [
        {
            "itemId": "5c1b2a3d",
            "title": "氏名",
            "questionItem": {
                "question": {"questionId": "704f9a53", "required": True, "textQuestion": {}}
            },
        },
        {
            "itemId": "6c1b2a3d",
            "title": "区分",
            "questionItem": {
                "question": {
                    "questionId": "4842f816",
                    "choiceQuestion": {
                        "type": "RADIO",
                        "options": [{"value": "新規"}, {"value": "継続"}],
                    },
                }
            },
        },
        {
            "itemId": "7c1b2a3d",
            "title": "支援実施日",
            "questionItem": {
                "question": {"questionId": "1e9dfb54", "dateQuestion": {"includeYear": True}}
            },
        },
    ],
}
RESPONSES: list[dict[str, Any]] = [
    {
        "createTime": "2024-06-19T16:05:51.394Z",
        "lastSubmittedTime": "2024-06-19T16:05:51.394652Z",
        "answers": {"704f9a53": "山田 花子", "4842f816": "新規", "1e9dfb54": "2024-06-19"},
    },
    {
        "createTime": "2024-06-19T15:10:02.120Z",
        "lastSubmittedTime": "2024-06-19T15:12:40.000001Z",
        "answers": {"704f9a53": "Nguyen Van A", "4842f816": "継続", "1e9dfb54": "2024-06-18"},
    },
]
