"""Gmail v1 through google-api-python-client: send, drafts, search, profile."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from bansou_sync.emulator.server import Emulator

from .conftest import DOCS, GMAIL_SCOPES

Check = Callable[[str, str, Any], None]


def mail(subject: str, to: str = "taro@example.com", msgid: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "jimukyoku@example.org"
    message["To"] = to
    message["Subject"] = subject
    message["X-Bansou-Kind"] = "registration_confirmed"
    if msgid:
        message["Message-ID"] = msgid
    message.set_content("伴走ネットIDは BN-0001 です。\nよろしくお願いします。")
    return message


def raw(message: EmailMessage) -> str:
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def send(gmail: Any, message: EmailMessage) -> dict[str, Any]:
    return dict(gmail.users().messages().send(userId="me", body={"raw": raw(message)}).execute())


def search(gmail: Any, q: str) -> list[str]:
    reply = gmail.users().messages().list(userId="me", q=q).execute()
    return [m["id"] for m in reply.get("messages", [])]


def test_a_sent_message_is_kept_and_can_be_read_back(
    emulator: Emulator, gmail: Any, check_schema: Check
) -> None:
    sent = send(gmail, mail("伴走ネット登録完了", msgid="<reg-1@bansou.example>"))
    check_schema("gmail.v1", "Message", sent)
    assert sent["labelIds"] == ["SENT"] and set(sent) == {"id", "threadId", "labelIds"}
    [stored] = emulator.gmail.sent_messages()
    assert stored["Subject"] == "伴走ネット登録完了"
    assert stored["Message-ID"] == "<reg-1@bansou.example>"
    assert emulator.gmail.sent()[0].owner == "jimukyoku@example.org"
    for fmt in ("minimal", "metadata", "full", "raw"):
        got = gmail.users().messages().get(userId="me", id=sent["id"], format=fmt).execute()
        check_schema("gmail.v1", "Message", got)
    full = gmail.users().messages().get(userId="me", id=sent["id"]).execute()
    headers = {h["name"]: h["value"] for h in full["payload"]["headers"]}
    assert headers["X-Bansou-Kind"] == "registration_confirmed"
    rawest = gmail.users().messages().get(userId="me", id=sent["id"], format="raw").execute()
    assert base64.urlsafe_b64decode(rawest["raw"]) == emulator.gmail.sent()[0].raw


def test_messages_list_searches_sent_mail_by_subject_and_message_id(
    emulator: Emulator, gmail: Any, check_schema: Check
) -> None:
    a = send(gmail, mail("申請受付 A-000001", msgid="<a1@bansou.example>"))["id"]
    b = send(gmail, mail("不備のお知らせ A-000002", msgid="<a2@bansou.example>"))["id"]
    reply = gmail.users().messages().list(userId="me", q="in:sent").execute()
    check_schema("gmail.v1", "ListMessagesResponse", reply)
    assert [m["id"] for m in reply["messages"]] == [b, a]  # newest first
    assert search(gmail, "subject:A-000001") == [a]
    assert search(gmail, 'subject:"不備のお知らせ"') == [b]
    assert search(gmail, "in:sent rfc822msgid:<a2@bansou.example>") == [b]
    assert search(gmail, "rfc822msgid:a1@bansou.example") == [a]
    assert search(gmail, "in:sent subject:A-000001 rfc822msgid:<a2@bansou.example>") == []
    assert gmail.users().messages().list(userId="me", q="subject:nothing").execute() == {
        "resultSizeEstimate": 0
    }


def test_messages_list_pages_with_max_results(gmail: Any) -> None:
    ids = [send(gmail, mail(f"件名 {n}"))["id"] for n in range(5)]
    seen, token = [], None
    while True:
        reply = gmail.users().messages().list(userId="me", maxResults=2, pageToken=token).execute()
        seen += [m["id"] for m in reply["messages"]]
        token = reply.get("nextPageToken")
        if not token:
            break
    assert seen == ids[::-1]


def test_a_draft_is_sent_once_and_then_gone(
    emulator: Emulator, gmail: Any, check_schema: Check
) -> None:
    draft = (
        gmail.users().drafts().create(userId="me", body={"message": {"raw": raw(mail("下書き"))}})
    )
    draft = draft.execute()
    check_schema("gmail.v1", "Draft", draft)
    got = gmail.users().drafts().get(userId="me", id=draft["id"]).execute()
    check_schema("gmail.v1", "Draft", got)
    assert emulator.gmail.sent() == []
    sent = gmail.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert sent["labelIds"] == ["SENT"]
    assert [m.id for m in emulator.gmail.sent()] == [sent["id"]]
    with pytest.raises(HttpError) as caught:
        gmail.users().drafts().get(userId="me", id=draft["id"]).execute()
    assert caught.value.resp.status == 404


def test_the_media_upload_form_of_send_is_accepted(emulator: Emulator) -> None:
    # googleapiclient keeps https:// for /upload URLs under an api_endpoint override, so
    # this client is built from the bundled document with its rootUrl pointed here instead
    doc = json.loads((DOCS / "gmail.v1.json").read_text("utf-8"))
    doc["rootUrl"] = emulator.base_url + "/"
    creds = emulator.credentials(GMAIL_SCOPES, subject="jimukyoku@example.org")
    client = build_from_document(doc, credentials=creds)
    message = mail("アップロード")
    # googleapiclient's multipart writer needs 7-bit parts, so no 8-bit body here
    message.set_content("伴走ネットIDは BN-0001 です。", cte="base64")
    media = MediaIoBaseUpload(io.BytesIO(message.as_bytes()), mimetype="message/rfc822")
    client.users().messages().send(userId="me", body={}, media_body=media).execute()
    assert [m["Subject"] for m in emulator.gmail.sent_messages()] == ["アップロード"]
    assert emulator.requests(method="gmail.users.messages.send")[0].path.startswith("/upload/")


def test_a_message_without_recipients_or_raw_is_a_400(gmail: Any) -> None:
    with pytest.raises(HttpError) as caught:
        gmail.users().messages().send(userId="me", body={}).execute()
    assert caught.value.resp.status == 400
    with pytest.raises(HttpError) as caught:
        send(gmail, mail("宛先なし", to=""))
    assert caught.value.resp.status == 400


def test_get_profile_names_the_delegated_user(gmail: Any, check_schema: Check) -> None:
    send(gmail, mail("一通"))
    profile = gmail.users().getProfile(userId="me").execute()
    check_schema("gmail.v1", "Profile", profile)
    assert profile["emailAddress"] == "jimukyoku@example.org"
    assert profile["messagesTotal"] == 1


def test_gmail_adds_a_message_id_and_can_be_told_to_replace_yours(
    emulator: Emulator, gmail: Any
) -> None:
    send(gmail, mail("IDなし"))
    assert emulator.gmail.sent_messages()[0]["Message-ID"].endswith("@mail.gmail.com>")
    emulator.gmail.replace_message_id = True
    sent = send(gmail, mail("ID置換", msgid="<mine@bansou.example>"))
    assert emulator.gmail.sent_messages()[1]["Message-ID"] != "<mine@bansou.example>"
    assert search(gmail, "rfc822msgid:<mine@bansou.example>") == []
    assert sent["id"] == emulator.gmail.sent()[1].id


def test_another_users_mailbox_is_refused(gmail: Any) -> None:
    with pytest.raises(HttpError) as caught:
        gmail.users().getProfile(userId="someone@example.org").execute()
    assert caught.value.resp.status == 403
