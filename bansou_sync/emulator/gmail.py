"""Gmail API v1, the part a mailer needs: ``messages.send`` (JSON ``raw`` or the
``/upload`` media form), ``drafts.create/get/send/list/delete``, ``messages.list`` with a small
search language (``in:sent``, ``subject:word``, ``subject:"a phrase"``,
``rfc822msgid:<id>``, ``from:``, ``to:``, bare words; terms are ANDed),
``messages.get`` (``minimal``/``metadata``/``full``/``raw``) and ``getProfile``.

Each token user (delegated subject or account email) has their own mailbox; ``users/me``
is that user. Sent mail is kept so tests can read it back (``sent()``). Gmail adds a
``Message-ID`` when there is none and may replace the one you set — the latter is off
unless ``replace_message_id`` is switched on.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
import secrets
import threading
from dataclasses import InitVar, dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from .faults import Clock
from .http import ApiError, Request, Response, Route, route

_NOT_FOUND = "Requested entity was not found."
_NO_RAW = "'raw' RFC822 payload message string or uploading message via /upload/* URL required"
_TERM = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"|(\S+))')


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    owner: str
    raw: bytes
    label_ids: list[str]
    internal_date: int  # ms since the epoch
    history_id: int
    draft_id: str | None = None
    parsed: InitVar[EmailMessage | None] = None
    message: EmailMessage = field(init=False)
    # the Message-ID header as read once: threading a new message compares it with every
    # stored one, and re-reading it through ``email.policy`` each time made a mailbox of
    # 500 drafts cost seconds (issue 5)
    message_id_header: str = field(init=False, default="")

    def __post_init__(self, parsed: EmailMessage | None) -> None:
        if parsed is None:
            self.reparse()
        else:
            self._use(parsed)

    def reparse(self) -> None:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self._use(parsed)

    def _use(self, parsed: EmailMessage) -> None:
        self.message = parsed
        self.message_id_header = str(parsed.get("Message-ID", ""))

    def header(self, name: str) -> str:
        return str(self.message.get(name, ""))

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        try:
            return str(part.get_content())
        except (LookupError, ValueError):
            return ""


class GmailApi:
    name = "gmail"

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.replace_message_id = False
        self._messages: dict[str, StoredMessage] = {}
        self._drafts: dict[str, str] = {}  # draft id -> message id
        self._seq = 0
        self._history = 1000
        self._lock = threading.RLock()

    def attach(self, emulator: Any) -> None:
        self.clock = emulator.clock

    # --- Python control ----------------------------------------------------------------

    def sent(self, owner: str | None = None) -> list[StoredMessage]:
        """Messages sent so far, oldest first."""
        with self._lock:
            return [
                m
                for m in self._messages.values()
                if "SENT" in m.label_ids and (owner is None or m.owner == owner)
            ]

    def sent_messages(self) -> list[EmailMessage]:
        return [m.message for m in self.sent()]

    def drafts(self) -> dict[str, StoredMessage]:
        with self._lock:
            return {d: self._messages[m] for d, m in self._drafts.items()}

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._drafts.clear()

    def reset(self) -> None:
        self.clear()
        self.replace_message_id = False

    # --- HTTP --------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        u = r"/gmail/v1/users/(?P<user>[^/]+)"
        up = r"/upload" + u
        return [
            route("POST", u + r"/messages/send", "gmail.users.messages.send", self._send),
            route("POST", up + r"/messages/send", "gmail.users.messages.send", self._send),
            route("GET", u + r"/messages", "gmail.users.messages.list", self._list),
            route("GET", u + r"/messages/(?P<id>[^/]+)", "gmail.users.messages.get", self._get),
            route("POST", u + r"/drafts", "gmail.users.drafts.create", self._draft_create),
            route("POST", up + r"/drafts", "gmail.users.drafts.create", self._draft_create),
            route("POST", u + r"/drafts/send", "gmail.users.drafts.send", self._draft_send),
            route("POST", up + r"/drafts/send", "gmail.users.drafts.send", self._draft_send),
            route("GET", u + r"/drafts", "gmail.users.drafts.list", self._draft_list),
            route("GET", u + r"/drafts/(?P<id>[^/]+)", "gmail.users.drafts.get", self._draft_get),
            route(
                "DELETE",
                u + r"/drafts/(?P<id>[^/]+)",
                "gmail.users.drafts.delete",
                self._draft_delete,
            ),
            route("GET", u + r"/profile", "gmail.users.getProfile", self._profile),
        ]

    def quota_group(self, route: Route, request: Request) -> str | None:
        if route.name in ("gmail.users.messages.send", "gmail.users.drafts.send"):
            return "gmail:send"
        return None

    def _owner(self, request: Request, match: re.Match[str]) -> str:
        user = match["user"]
        if user not in ("me", request.user):
            raise ApiError(403, f"Delegation denied for {request.user}", reason="forbidden")
        return request.user

    def _send(self, request: Request, match: re.Match[str]) -> Response:
        owner = self._owner(request, match)
        raw = _message_bytes(request)
        with self._lock:
            message = self._store(owner, raw, ["SENT"])
            return Response(200, _minimal_ids(message))

    def _draft_create(self, request: Request, match: re.Match[str]) -> Response:
        owner = self._owner(request, match)
        raw = _message_bytes(request, inside="message")
        with self._lock:
            message = self._store(owner, raw, ["DRAFT"], check_recipients=False)
            draft_id = f"r{secrets.randbelow(10**19):019d}"
            message.draft_id = draft_id
            self._drafts[draft_id] = message.id
            return Response(200, {"id": draft_id, "message": _minimal_ids(message)})

    def _draft_send(self, request: Request, match: re.Match[str]) -> Response:
        owner = self._owner(request, match)
        body = request.json() if not request.path.startswith("/upload") else {}
        draft_id = str(body.get("id", "")) or (request.param("id") or "")
        with self._lock:
            message_id = self._drafts.get(draft_id)
            if message_id is None or self._messages[message_id].owner != owner:
                raise ApiError(404, _NOT_FOUND, reason="notFound")
            message = self._messages[message_id]
            if not _recipients(message.message):
                raise ApiError(400, "Recipient address required", reason="invalidArgument")
            del self._drafts[draft_id]
            message.draft_id = None
            message.label_ids = ["SENT"]
            self._history += 1
            message.history_id = self._history
            message.internal_date = int(self.clock.now() * 1000)
            return Response(200, _minimal_ids(message))

    def _draft_list(self, request: Request, match: re.Match[str]) -> Response:
        """drafts.list with ``q`` (the search syntax of messages.list), newest first."""
        owner = self._owner(request, match)
        query = request.param("q") or ""
        with self._lock:
            found = sorted(
                (
                    (self._messages[m], d)
                    for d, m in self._drafts.items()
                    if self._messages[m].owner == owner and _matches(self._messages[m], query)
                ),
                key=lambda pair: (pair[0].internal_date, pair[0].id),
                reverse=True,
            )
            body: dict[str, Any] = {"resultSizeEstimate": len(found)}
            if found:
                body["drafts"] = [
                    {"id": d, "message": {"id": m.id, "threadId": m.thread_id}} for m, d in found
                ]
            return Response(200, body)

    def _draft_delete(self, request: Request, match: re.Match[str]) -> Response:
        """Deleted for good (not to the bin), as Gmail's drafts.delete: 204, no body."""
        owner = self._owner(request, match)
        with self._lock:
            message_id = self._drafts.get(match["id"])
            if message_id is None or self._messages[message_id].owner != owner:
                raise ApiError(404, _NOT_FOUND, reason="notFound")
            del self._drafts[match["id"]]
            del self._messages[message_id]
            return Response(204, None)

    def _draft_get(self, request: Request, match: re.Match[str]) -> Response:
        owner = self._owner(request, match)
        with self._lock:
            message_id = self._drafts.get(match["id"])
            if message_id is None or self._messages[message_id].owner != owner:
                raise ApiError(404, _NOT_FOUND, reason="notFound")
            fmt = request.param("format", "full") or "full"
            message = _render(self._messages[message_id], fmt, [])
            return Response(200, {"id": match["id"], "message": message})

    def _get(self, request: Request, match: re.Match[str]) -> Response:
        owner = self._owner(request, match)
        with self._lock:
            message = self._messages.get(match["id"])
            if message is None or message.owner != owner:
                raise ApiError(404, _NOT_FOUND, reason="notFound")
            fmt = request.param("format", "full") or "full"
            if fmt not in ("minimal", "metadata", "full", "raw"):
                raise ApiError(400, f"Invalid value at 'format' ({fmt})", reason="invalidArgument")
            headers = request.params("metadataHeaders")
            return Response(200, _render(message, fmt, headers))

    def _list(self, request: Request, match: re.Match[str]) -> Response:
        owner = self._owner(request, match)
        query = request.param("q") or ""
        labels = set(request.params("labelIds"))
        try:
            size = min(int(request.param("maxResults") or 100), 500)
            offset = int(request.param("pageToken") or 0)
        except ValueError as exc:
            raise ApiError(
                400, "Invalid pageToken or maxResults", reason="invalidArgument"
            ) from exc
        with self._lock:
            found = [
                m
                for m in sorted(
                    self._messages.values(), key=lambda m: (m.internal_date, m.id), reverse=True
                )
                if m.owner == owner and labels <= set(m.label_ids) and _matches(m, query)
            ]
            page = found[offset : offset + max(size, 1)]
            body: dict[str, Any] = {}
            if page:
                body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
            if offset + len(page) < len(found):
                body["nextPageToken"] = str(offset + len(page))
            body["resultSizeEstimate"] = len(found)
            return Response(200, body)

    def _profile(self, request: Request, match: re.Match[str]) -> Response:
        owner = self._owner(request, match)
        with self._lock:
            mine = [m for m in self._messages.values() if m.owner == owner]
            return Response(
                200,
                {
                    "emailAddress": owner,
                    "messagesTotal": len(mine),
                    "threadsTotal": len({m.thread_id for m in mine}),
                    "historyId": str(self._history),
                },
            )

    # --- internals ---------------------------------------------------------------------

    def _store(
        self, owner: str, raw: bytes, labels: list[str], *, check_recipients: bool = True
    ) -> StoredMessage:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        if check_recipients and not _recipients(parsed):
            raise ApiError(400, "Recipient address required", reason="invalidArgument")
        self._seq += 1
        self._history += 1
        message_id = f"{0x18C0000000000000 + self._seq * 7919:016x}"
        rewritten = "Message-ID" not in parsed or self.replace_message_id
        if rewritten:
            del parsed["Message-ID"]
            parsed["Message-ID"] = f"<{secrets.token_hex(12)}.emu@mail.gmail.com>"
            raw = parsed.as_bytes()
        thread_id = message_id
        refs = str(parsed.get("In-Reply-To", "")) + " " + str(parsed.get("References", ""))
        if refs.strip():  # a message that refers to none starts its own thread
            for other in self._messages.values():
                mid = other.message_id_header
                if other.owner == owner and mid and mid in refs:
                    thread_id = other.thread_id
                    break
        stored = StoredMessage(
            message_id,
            thread_id,
            owner,
            raw,
            labels,
            int(self.clock.now() * 1000),
            self._history,
            # the parse above is the message as stored unless its Message-ID was rewritten
            # (then the stored bytes are parsed again, as before)
            parsed=None if rewritten else parsed,
        )
        self._messages[message_id] = stored
        return stored


def _message_bytes(request: Request, inside: str | None = None) -> bytes:
    """The RFC 822 bytes of a send/draft request, JSON ``raw`` or an /upload body."""
    if request.path.startswith("/upload"):
        kind = request.headers.get("content-type", "")
        if kind.startswith("multipart/"):
            return _multipart_message(kind, request.body)
        if request.body:
            return request.body
        raise ApiError(400, _NO_RAW, reason="invalidArgument")
    body = request.json()
    if inside is not None:
        body = body.get(inside) or {}
    raw = body.get("raw") if isinstance(body, dict) else None
    if not raw:
        raise ApiError(400, _NO_RAW, reason="invalidArgument")
    try:
        text = str(raw).replace("+", "-").replace("/", "_").strip()
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "Invalid value for ByteString: " + str(raw)[:40]) from exc


def _multipart_message(content_type: str, body: bytes) -> bytes:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ApiError(400, _NO_RAW, reason="invalidArgument")
    boundary = b"--" + match[1].encode()
    for chunk in body.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        pieces = re.split(rb"\r?\n\r?\n", chunk.lstrip(b"\r\n"), maxsplit=1)
        if len(pieces) < 2 or b"application/json" in pieces[0].lower():
            continue
        return re.sub(rb"\r?\n\Z", b"", pieces[1])
    raise ApiError(400, _NO_RAW, reason="invalidArgument")


def _recipients(message: Any) -> list[tuple[str, str]]:
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [a for a in getaddresses(values) if a[1]]


def _minimal_ids(message: StoredMessage) -> dict[str, Any]:
    return {"id": message.id, "threadId": message.thread_id, "labelIds": list(message.label_ids)}


def _snippet(message: StoredMessage) -> str:
    return " ".join(message.text().split())[:200]


def _render(message: StoredMessage, fmt: str, only_headers: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": list(message.label_ids),
        "snippet": _snippet(message),
        "sizeEstimate": len(message.raw),
        "historyId": str(message.history_id),
        "internalDate": str(message.internal_date),
    }
    if fmt == "raw":
        out["raw"] = base64.urlsafe_b64encode(message.raw).decode("ascii")
    elif fmt == "metadata":
        wanted = {h.lower() for h in only_headers}
        out["payload"] = {
            "mimeType": message.message.get_content_type(),
            "headers": [
                h for h in _headers(message.message) if not wanted or h["name"].lower() in wanted
            ],
        }
    elif fmt == "full":
        out["payload"] = _part(message.message, "")
    return out


def _headers(part: Any) -> list[dict[str, str]]:
    return [{"name": k, "value": str(v)} for k, v in part.items()]


def _part(part: Any, part_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": _headers(part),
    }
    if part.is_multipart():
        out["body"] = {"size": 0}
        prefix = f"{part_id}." if part_id else ""
        out["parts"] = [_part(p, f"{prefix}{i}") for i, p in enumerate(part.iter_parts())]
    else:
        data = part.get_payload(decode=True) or b""
        out["body"] = {"size": len(data)}
        if data:
            out["body"]["data"] = base64.urlsafe_b64encode(data).decode("ascii")
    return out


def _matches(message: StoredMessage, query: str) -> bool:
    for negate, op, quoted, bare in _TERM.findall(query):
        value = (quoted or bare).lower()
        hit = _term(message, (op or "").lower(), value)
        if hit == bool(negate):
            return False
    return True


def _term(message: StoredMessage, op: str, value: str) -> bool:
    if op == "in" or op == "label":
        # Gmail's search names the DRAFT label "drafts" as well (in:drafts)
        return {"drafts": "DRAFT"}.get(value, value.upper()) in message.label_ids
    if op == "is":
        return value.upper() in message.label_ids
    if op == "subject":
        return value in message.header("Subject").lower()
    if op == "rfc822msgid":
        return message.header("Message-ID").strip().strip("<>").lower() == value.strip("<>")
    if op in ("from", "to", "cc", "bcc"):
        return value in message.header(op).lower()
    haystack = " ".join(
        [message.header("Subject"), message.header("From"), message.header("To"), message.text()]
    )
    return (f"{op}:{value}" if op else value) in haystack.lower()
