"""Drive API v3, the part the 操作 tab's uploads need (issue 13 §4).

* ``GET /discovery/v1/apis/drive/v3/rest`` — the discovery document bundled with
  google-api-python-client, its ``rootUrl`` set to this emulator: a client built from it
  (``discoveryServiceUrl``) sends uploads here. (Under ``api_endpoint`` alone the library
  keeps ``https://`` for the upload URL.) No token needed, as on Google.
* ``files.create``: metadata only (``POST /drive/v3/files``, folders), and with media as
  the client library sends it — ``uploadType=multipart`` (``multipart/related``: the JSON
  metadata, then the bytes), ``media``, and ``resumable`` (a ``POST`` that answers a
  session URI in ``Location``, then ``PUT`` chunks with ``Content-Range``: ``308`` with a
  ``Range`` header until the last, which answers the file).
* ``files.get``: metadata (``fields``), or the bytes with ``alt=media``.

A parent must be a folder that exists (Google: 404 ``File not found: <id>.``); a folder
made with ``add_folder(..., writers=[...])`` accepts files only from those accounts (the
service account it is shared with), as a folder the account cannot write answers
``403 insufficientFilePermissions``. Replies keep only the fields asked for (``fields``,
checked against the discovery schema; by default ``kind, id, name, mimeType``, as Google).
Python control: ``add_folder``, ``files_in``, ``content``; HTTP control:
``POST /_emulator/drive/folders`` and ``GET /_emulator/drive/folders/{id}/files``.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from .fieldmask import apply_mask, bad_field_mask, mask_paths, parse_mask
from .http import ApiError, Request, Response, Route, route

FOLDER = "application/vnd.google-apps.folder"
DEFAULT_FIELDS = ("kind", "id", "name", "mimeType")


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    owner: str
    data: bytes = b""
    created: str = ""
    writers: frozenset[str] = frozenset()  # folders: who may add files (empty: anyone)

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": list(self.parents),
            "createdTime": self.created,
            "modifiedTime": self.created,
            "webViewLink": (
                f"https://drive.google.com/drive/folders/{self.id}"
                if self.mime_type == FOLDER
                else f"https://drive.google.com/file/d/{self.id}/view?usp=drivesdk"
            ),
            "owners": [{"kind": "drive#user", "emailAddress": self.owner}],
        }
        if self.mime_type != FOLDER:
            out["size"] = str(len(self.data))
        return out


@dataclass
class _Session:
    metadata: dict[str, Any]
    mime_type: str
    owner: str
    fields: str | None
    total: int | None
    received: bytearray = field(default_factory=bytearray)


@cache
def discovery_document() -> dict[str, Any]:
    path = resources.files("googleapiclient").joinpath("discovery_cache/documents/drive.v3.json")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


class DriveApi:
    name = "drive"

    def __init__(self) -> None:
        self._files: dict[str, DriveFile] = {}
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.RLock()
        self._emulator: Any = None

    def attach(self, emulator: Any) -> None:
        self._emulator = emulator

    # --- Python control ----------------------------------------------------------------

    def add_folder(
        self, name: str, *, owner: str = "jimukyoku@example.org", writers: list[str] | None = None
    ) -> str:
        """A folder someone owns (and shares with ``writers``); returns its ID."""
        with self._lock:
            folder = DriveFile(
                _new_id(),
                name,
                FOLDER,
                [],
                owner,
                created=self._now(),
                writers=frozenset(writers or ()),
            )
            self._files[folder.id] = folder
            return folder.id

    def files_in(self, folder_id: str) -> list[DriveFile]:
        with self._lock:
            return [f for f in self._files.values() if folder_id in f.parents]

    def content(self, file_id: str) -> bytes:
        with self._lock:
            return self._files[file_id].data

    def all_files(self) -> list[DriveFile]:
        with self._lock:
            return list(self._files.values())

    def reset(self) -> None:
        with self._lock:
            self._sessions.clear()

    # --- HTTP --------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        files = r"/drive/v3/files"
        upload = r"/upload/drive/v3/files"
        return [
            route(
                "GET",
                r"/discovery/v1/apis/drive/v3/rest",
                "discovery.apis.getRest",
                self._discovery,
                needs_auth=False,
            ),
            route("POST", files, "drive.files.create", self._create_metadata),
            route("POST", upload, "drive.files.create", self._create_upload),
            route("PUT", upload, "drive.files.create", self._resume),
            route("GET", files + r"/(?P<id>[^/]+)", "drive.files.get", self._get),
        ]

    def control_routes(self) -> list[Route]:
        return [
            route(
                "POST",
                r"/_emulator/drive/folders",
                "emulator.drive.folders.create",
                self._control_folder,
                needs_auth=False,
            ),
            route(
                "GET",
                r"/_emulator/drive/folders/(?P<id>[^/]+)/files",
                "emulator.drive.folders.files",
                self._control_files,
                needs_auth=False,
            ),
        ]

    def quota_group(self, route: Route, request: Request) -> str | None:
        if route.name == "drive.files.create":
            return "drive:write"
        return None if route.name.startswith("discovery") else "drive:read"

    # --- handlers ----------------------------------------------------------------------

    def _discovery(self, request: Request, match: re.Match[str]) -> Response:
        document = dict(discovery_document())
        base = self._emulator.base_url if self._emulator is not None else ""
        document["rootUrl"] = base.rstrip("/") + "/"
        document["baseUrl"] = document["rootUrl"] + document["servicePath"]
        return Response(200, document)

    def _create_metadata(self, request: Request, match: re.Match[str]) -> Response:
        metadata = request.json()
        kind = str(metadata.get("mimeType") or "") if isinstance(metadata, dict) else ""
        if kind.startswith("application/vnd.google-apps.") and kind != FOLDER:
            # gspread's create(): Sheets are made with POST /_emulator/sheets here
            raise ApiError(
                501,
                f"The emulator makes no {kind} through Drive; create spreadsheets with "
                "POST /_emulator/sheets",
            )
        with self._lock:
            made = self._store(metadata, metadata.get("mimeType") or "", b"", request.user)
        return Response(200, _reply(made, request.param("fields")))

    def _create_upload(self, request: Request, match: re.Match[str]) -> Response:
        kind = request.param("uploadType") or "media"
        content_type = request.headers.get("content-type", "")
        if kind == "multipart":
            metadata, mime, data = _multipart(content_type, request.body)
        elif kind == "media":
            metadata, mime, data = {}, content_type, request.body
        elif kind == "resumable":
            return self._start_session(request)
        else:
            raise ApiError(400, f"Invalid upload type: {kind}", reason="badRequest")
        with self._lock:
            made = self._store(metadata, mime, data, request.user)
        return Response(200, _reply(made, request.param("fields")))

    def _start_session(self, request: Request) -> Response:
        metadata = request.json() if request.body else {}
        total = request.headers.get("x-upload-content-length")
        session = _Session(
            metadata,
            request.headers.get("x-upload-content-type") or metadata.get("mimeType") or "",
            request.user,
            request.param("fields"),
            int(total) if total and total.isdigit() else None,
        )
        with self._lock:
            self._check_parents(metadata, request.user)
            upload_id = secrets.token_urlsafe(24)
            self._sessions[upload_id] = session
        base = self._emulator.base_url if self._emulator is not None else ""
        query = "&".join(
            f"{k}={v[0]}" for k, v in request.query.items() if k not in ("upload_id",) and v
        )
        location = f"{base}/upload/drive/v3/files?{query}&upload_id={upload_id}"
        return Response(200, b"", {"Location": location, "X-GUploader-UploadID": upload_id})

    def _resume(self, request: Request, match: re.Match[str]) -> Response:
        upload_id = request.param("upload_id") or ""
        with self._lock:
            session = self._sessions.get(upload_id)
            if session is None:
                raise ApiError(404, "Not Found", reason="notFound")
            total = session.total
            found = re.fullmatch(
                r"bytes (\d+)-(\d+)/(\d+|\*)", request.headers.get("content-range", "")
            )
            if found:
                start = int(found[1])
                if start != len(session.received):
                    raise ApiError(400, "Invalid request. The content range is not contiguous.")
                if found[3] != "*":
                    total = int(found[3])
            session.received += request.body
            if total is None or len(session.received) < total:
                headers = (
                    {"Range": f"bytes=0-{len(session.received) - 1}"} if session.received else {}
                )
                return Response(308, b"", headers)
            del self._sessions[upload_id]
            made = self._store(
                session.metadata, session.mime_type, bytes(session.received), session.owner
            )
        return Response(200, _reply(made, session.fields))

    def _get(self, request: Request, match: re.Match[str]) -> Response:
        with self._lock:
            found = self._files.get(match["id"])
            if found is None:
                raise _not_found(match["id"])
            if request.param("alt") == "media":
                return Response(200, found.data, {"Content-Type": found.mime_type})
            return Response(200, _reply(found, request.param("fields")))

    def _control_folder(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        folder_id = self.add_folder(
            str(body.get("name") or "folder"),
            owner=str(body.get("owner") or "jimukyoku@example.org"),
            writers=[str(w) for w in body.get("writers") or []],
        )
        return Response(200, {"id": folder_id})

    def _control_files(self, request: Request, match: re.Match[str]) -> Response:
        return Response(
            200,
            {
                "files": [
                    {**f.resource(), "sizeBytes": len(f.data)} for f in self.files_in(match["id"])
                ]
            },
        )

    # --- the store ---------------------------------------------------------------------

    def _check_parents(self, metadata: dict[str, Any], user: str) -> list[str]:
        parents = [str(p) for p in metadata.get("parents") or []]
        if len(parents) > 1:
            raise ApiError(
                403,
                "Increasing the number of parents is not allowed",
                reason="cannotAddParent",
            )
        for parent in parents:
            folder = self._files.get(parent)
            if folder is None or folder.mime_type != FOLDER:
                raise _not_found(parent)
            if folder.writers and user not in folder.writers:
                raise ApiError(
                    403,
                    "The user does not have sufficient permissions for this file.",
                    reason="insufficientFilePermissions",
                )
        return parents

    def _store(self, metadata: dict[str, Any], mime: str, data: bytes, owner: str) -> DriveFile:
        if not isinstance(metadata, dict):
            raise ApiError(400, "Invalid JSON payload received.")
        parents = self._check_parents(metadata, owner)
        made = DriveFile(
            _new_id(),
            str(metadata.get("name") or "Untitled"),
            str(metadata.get("mimeType") or mime or "application/octet-stream").split(";")[0],
            parents,
            owner,
            data,
            self._now(),
        )
        self._files[made.id] = made
        return made

    def _now(self) -> str:
        clock = getattr(self._emulator, "clock", None)
        moment = clock.utcnow() if clock is not None else datetime.now(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _new_id() -> str:
    return "1" + secrets.token_urlsafe(24).replace("-", "A").replace("_", "B")[:32]


def _not_found(file_id: str) -> ApiError:
    return ApiError(404, f"File not found: {file_id}.", reason="notFound")


def _reply(made: DriveFile, fields: str | None) -> dict[str, Any]:
    resource = made.resource()
    if not fields:
        return {k: resource[k] for k in DEFAULT_FIELDS}
    try:
        mask = parse_mask(fields)
    except ValueError as exc:
        raise bad_field_mask(fields) from exc
    known = discovery_document()["schemas"]["File"]["properties"]
    for path in mask_paths(mask):
        step = path.split(".")[0]
        if step != "*" and step not in known:
            raise ApiError(400, f"Invalid field selection {path}", reason="invalidParameter")
    shown: dict[str, Any] = apply_mask(resource, mask)
    return shown


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], str, bytes]:
    """The metadata, media type and bytes of a ``multipart/related`` upload."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        raise ApiError(400, "Invalid multipart request with 0 mime parts.", reason="badContent")
    boundary = b"--" + found[1].encode()
    parts: list[tuple[bytes, bytes]] = []
    for chunk in body.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        pieces = re.split(rb"\r?\n\r?\n", chunk.lstrip(b"\r\n"), maxsplit=1)
        if len(pieces) == 2:
            parts.append((pieces[0], re.sub(rb"\r?\n\Z", b"", pieces[1])))
    if len(parts) != 2:
        raise ApiError(
            400, f"Invalid multipart request with {len(parts)} mime parts.", reason="badContent"
        )
    (_, meta_bytes), (media_headers, data) = parts
    try:
        metadata = json.loads(meta_bytes or b"{}")
    except ValueError as exc:
        raise ApiError(400, f"Invalid JSON payload received. {exc}") from exc
    mime = ""
    for line in media_headers.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            mime = value.strip()
    return metadata, mime, data
