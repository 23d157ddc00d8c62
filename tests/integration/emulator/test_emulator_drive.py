"""Drive v3 through google-api-python-client against the emulator (issue 13 §4): the
client is built from the discovery document the emulator serves, so its uploads reach
the emulator — multipart and resumable, exactly as the library sends them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from bansou_sync.emulator.control import ControlApi
from bansou_sync.emulator.drive import DriveApi
from bansou_sync.emulator.oauth import OAuthApi
from bansou_sync.emulator.server import Emulator

from .conftest import call

DRIVE_FILE = ["https://www.googleapis.com/auth/drive.file"]
STAFF = "jimukyoku@example.org"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator([OAuthApi(), ControlApi(), DriveApi()]) as emu:
        yield emu


def drive_client(emulator: Emulator, scopes: list[str] = DRIVE_FILE) -> Any:
    return build(
        "drive",
        "v3",
        credentials=emulator.credentials(scopes, subject=STAFF),
        discoveryServiceUrl=emulator.base_url + "/discovery/v1/apis/{api}/{apiVersion}/rest",
        static_discovery=False,
        cache_discovery=False,
    )


def test_the_discovery_document_sends_the_client_library_to_the_emulator(
    emulator: Emulator,
) -> None:
    reply = call(emulator, "GET", "/discovery/v1/apis/drive/v3/rest")
    assert reply.status == 200
    document = reply.json()
    assert document["rootUrl"] == emulator.base_url + "/"
    assert document["resources"]["files"]["methods"]["create"]["supportsMediaUpload"]


def test_a_multipart_upload_lands_in_the_folder_and_reads_back_byte_for_byte(
    emulator: Emulator,
) -> None:
    folder = emulator.drive.add_folder("出力", writers=[STAFF])
    data = "伴走ネットID,氏名\r\nBN-0001,架空 太郎\r\n".encode("utf-8-sig") + bytes(range(256))
    made = (
        drive_client(emulator)
        .files()
        .create(
            body={"name": "一覧.csv", "parents": [folder]},
            media_body=MediaInMemoryUpload(data, mimetype="text/csv"),
            fields="id,name,webViewLink",
            supportsAllDrives=True,
        )
        .execute()
    )
    assert set(made) == {"id", "name", "webViewLink"}
    assert made["name"] == "一覧.csv"
    assert made["webViewLink"].startswith(f"https://drive.google.com/file/d/{made['id']}/")
    [stored] = emulator.drive.files_in(folder)
    assert (stored.id, stored.mime_type, stored.owner) == (made["id"], "text/csv", STAFF)
    assert emulator.drive.content(made["id"]) == data
    got = drive_client(emulator).files().get_media(fileId=made["id"]).execute()
    assert got == data
    meta = drive_client(emulator).files().get(fileId=made["id"]).execute()
    assert meta == {
        "kind": "drive#file",
        "id": made["id"],
        "name": "一覧.csv",
        "mimeType": "text/csv",
    }


def test_a_resumable_upload_in_chunks_makes_one_file(emulator: Emulator) -> None:
    folder = emulator.drive.add_folder("出力")
    data = bytes(i % 251 for i in range(3 * 256 * 1024 + 17))
    media = MediaInMemoryUpload(
        data, mimetype="application/pdf", chunksize=256 * 1024, resumable=True
    )
    request = (
        drive_client(emulator)
        .files()
        .create(body={"name": "報告書.pdf", "parents": [folder]}, media_body=media, fields="id")
    )
    reply = None
    chunks = 0
    while reply is None:
        _, reply = request.next_chunk()
        chunks += 1
    assert chunks == 4
    [stored] = emulator.drive.files_in(folder)
    assert stored.id == reply["id"] and stored.name == "報告書.pdf"
    assert emulator.drive.content(stored.id) == data


def test_a_parent_that_is_missing_or_not_shared_is_refused_as_google_does(
    emulator: Emulator,
) -> None:
    media = MediaInMemoryUpload(b"x", mimetype="text/plain")
    client = drive_client(emulator)
    with pytest.raises(HttpError) as missing:
        client.files().create(
            body={"name": "a.txt", "parents": ["1NoSuchFolder"]}, media_body=media
        ).execute()
    assert missing.value.resp.status == 404
    assert "File not found: 1NoSuchFolder." in str(missing.value)
    private = emulator.drive.add_folder("会計", writers=["treasurer@example.org"])
    with pytest.raises(HttpError) as refused:
        client.files().create(
            body={"name": "a.txt", "parents": [private]}, media_body=media
        ).execute()
    assert refused.value.resp.status == 403
    assert emulator.drive.files_in(private) == []


def test_a_token_without_a_drive_scope_is_refused(emulator: Emulator) -> None:
    folder = emulator.drive.add_folder("出力")
    client = drive_client(emulator, ["https://www.googleapis.com/auth/spreadsheets"])
    with pytest.raises(HttpError) as refused:
        client.files().create(
            body={"name": "a.txt", "parents": [folder]},
            media_body=MediaInMemoryUpload(b"x", mimetype="text/plain"),
        ).execute()
    assert refused.value.resp.status == 403
    assert emulator.drive.files_in(folder) == []
