"""Where the files staff ask for in 操作 go on Google (issue 13 §4); on the embedded
default it is ``adapters.output_folder``.

``DriveOutputs`` (``sheet.kind: google``): each file is uploaded with drive v3
``files.create`` (a multipart upload; resumable above ``RESUMABLE_FROM``) into a folder
the secretariat owns, asking only for the ``drive.file`` scope (files this app made),
and the row links to it. Payment files, which carry bank details, go only into
``drive.treasurer_folder_id``; without it they are not made. The local copy made for
the upload is deleted whatever happens (bank details must not linger on the server).
``google.api_base`` (the emulator in tests) serves the discovery document too: the
client library then sends uploads to it, not to Google's upload host.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from bansou_sync.adapters import retry
from bansou_sync.adapters.google_auth import DRIVE_FILE, GoogleAccess
from bansou_sync.adapters.google_discovery import error_message
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.errors import BansouError

RESUMABLE_FROM = 5 * 2**20  # Google's advice: multipart up to 5 MB, resumable beyond
CHUNK = 2 * 2**20  # a multiple of 256 KiB, as resumable uploads require
PAYMENTS = "payments"  # app.operations.PAYMENTS: the treasurer's files
FOLDER_KEYS = {PAYMENTS: "drive.treasurer_folder_id"}
OUTPUTS_KEY = "drive.outputs_folder_id"
MIME = {".csv": "text/csv", ".txt": "text/plain", ".pdf": "application/pdf"}


class DriveOutputs:
    """Files uploaded into the configured Drive folders (``drive.file`` scope only)."""

    def __init__(
        self,
        access: GoogleAccess,
        folders: Mapping[str, str | None],
        policy: RetryPolicy | None = None,
    ) -> None:
        self.access = access
        self.folders = dict(folders)  # area → folder ID (None: not configured)
        self.policy = policy or RetryPolicy()
        self._service: Any = None

    def refusal(self, area: str) -> str | None:
        if self.folders.get(area):
            return None
        if area == PAYMENTS:
            return (
                "振込ファイルは口座情報を含むため、会計担当のドライブフォルダ"
                "(drive.treasurer_folder_id)にだけ保存します。設定されていないため作成して"
                "いません。IT 担当に設定を依頼してください / not configured: payment files go "
                "only to the treasurer's Drive folder (drive.treasurer_folder_id)"
            )
        return (
            f"出力先のドライブフォルダ({OUTPUTS_KEY})が設定されていないため作成していません。"
            f"IT 担当に設定を依頼してください / not configured: {OUTPUTS_KEY}"
        )

    def publish(self, area: str, files: Sequence[Path]) -> list[str]:
        folder = self.folders.get(area)
        try:
            if not folder:
                raise BansouError(self.refusal(area) or area)
            return [self._upload(folder, path) for path in files]
        except HttpError as exc:
            raise BansouError(
                f"ドライブのフォルダに保存できません。フォルダID({FOLDER_KEYS.get(area, OUTPUTS_KEY)})"
                f"と、フォルダがサービスアカウントに共有されているかを確認してください"
                f" / cannot save into the Drive folder: {error_message(exc)}"
            ) from exc
        except (OSError, httplib2.HttpLib2Error) as exc:
            raise BansouError(
                f"ドライブに接続できません。次の依頼でもう一度お試しください"
                f" / cannot reach Drive: {exc}"
            ) from exc
        finally:
            for path in files:  # never kept on the server: the Drive copy is the one
                path.unlink(missing_ok=True)

    def _drive(self) -> Any:
        if self._service is None:
            raw = httplib2.Http(timeout=self.policy.timeout_seconds)
            # a resumable upload's "308 Resume Incomplete" is no redirect (as build_http)
            raw.redirect_codes = raw.redirect_codes - {308}
            http = google_auth_httplib2.AuthorizedHttp(
                self.access.credentials([DRIVE_FILE]), http=raw
            )
            if self.access.api_base:  # the emulator: its discovery document names it
                base = self.access.api_base.rstrip("/")
                self._service = build(
                    "drive",
                    "v3",
                    http=http,
                    discoveryServiceUrl=base + "/discovery/v1/apis/{api}/{apiVersion}/rest",
                    static_discovery=False,
                    cache_discovery=False,
                )
            else:
                self._service = build(
                    "drive", "v3", http=http, static_discovery=True, cache_discovery=False
                )
        return self._service

    def _upload(self, folder: str, path: Path) -> str:
        data = path.read_bytes()
        mime = MIME.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        media = MediaInMemoryUpload(
            data,
            mimetype=mime or "application/octet-stream",
            chunksize=CHUNK,
            resumable=len(data) > RESUMABLE_FROM,
        )
        request = (
            self._drive()
            .files()
            .create(
                body={"name": path.name, "parents": [folder]},
                media_body=media,
                fields="id,name,webViewLink",
                supportsAllDrives=True,
            )
        )
        reply = retry.call(lambda: _finish(request, media.resumable()), self.policy)
        link = reply.get("webViewLink")
        return str(link) if link else f"https://drive.google.com/file/d/{reply['id']}/view"


def _finish(request: Any, resumable: bool) -> dict[str, Any]:
    if not resumable:
        return dict(request.execute())
    reply = None
    while reply is None:
        _, reply = request.next_chunk()
    return dict(reply)
