"""Google Forms API v1: ``forms.get``, ``forms.responses.list/get``,
``forms.setPublishSettings``, plus the Python/control hooks that submit and edit
responses while the emulator runs.

Faithful details (see ../shared/google-recordings/forms/): responses carry no
``formId``; ``createTime`` has millisecond and ``lastSubmittedTime`` microsecond
precision; the list is **not** sorted (a stable shuffle by default — Google guarantees
no order); ``pageSize`` defaults to and is capped at 5,000; ``filter`` takes only
``timestamp > T`` / ``timestamp >= T`` (RFC 3339 UTC, compared with
``lastSubmittedTime``); empty lists and false booleans are omitted, as proto3 JSON does.
A form whose fixture says ``"_emulator": {"legacy": true}`` has no ``publishSettings``
and ``setPublishSettings`` refuses it, as Google does for legacy forms.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import functools
import hashlib
import json
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .faults import Clock
from .http import PRETTY_LIMIT, ApiError, EncodedBody, Request, Response, Route, route

MAX_PAGE_SIZE = 5000
ORDERS = ("shuffled", "submitted", "reverse")
_FILTER = re.compile(r"\s*timestamp\s*(>=|>)\s*(\S+)\s*")
_RFC3339_Z = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z")
_NOT_FOUND = "Requested entity was not found."
_INVALID = "Request contains an invalid argument."


@dataclass
class FormState:
    form: dict[str, Any]
    legacy: bool = False
    order: str = "shuffled"
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)  # submission order
    # the responses in submission order and (time, position) sorted, for ``timestamp``
    # filters: a poll for what is new must not read the time of every response (issue 5).
    # Extended as responses are added, dropped when one is edited or replaced.
    _listed: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _by_time: list[tuple[int, int]] | None = field(default=None, repr=False)
    # each stored response's JSON (as a reply prints it, compact) and its length in
    # characters, made when it is stored: a response never changes but by an edit, and
    # a backfill lists 5,000 of them a page (issue 5). The whole history in its list
    # order, kept until a response is stored or edited (each page sorted it again).
    _json: dict[str, tuple[bytes, int]] = field(default_factory=dict, repr=False)
    _ordered: tuple[tuple[str, int], list[dict[str, Any]]] | None = field(default=None, repr=False)
    _version: int = field(default=0, repr=False)

    def submitted_after(self, strict: bool, bound: int) -> list[dict[str, Any]]:
        """The responses whose ``lastSubmittedTime`` is after ``bound`` (or at it, unless
        ``strict``), in submission order."""
        if self._by_time is None or len(self._listed) != len(self.responses):
            self._listed = list(self.responses.values())
            self._by_time = sorted(
                (_nanos(r["lastSubmittedTime"]), i) for i, r in enumerate(self._listed)
            )
        if strict:
            first = bisect.bisect_right(self._by_time, (bound, sys.maxsize))
        else:
            first = bisect.bisect_left(self._by_time, (bound, -1))
        return [self._listed[i] for i in sorted(i for _, i in self._by_time[first:])]

    def stored(self, response: dict[str, Any], replaced: bool) -> None:
        """Keep the time index, the JSON and the order in step with a response just stored."""
        self._version += 1
        self._json[response["responseId"]] = _encoded(response)
        if replaced or self._by_time is None or len(self._listed) != len(self.responses) - 1:
            self._by_time = None
            return
        bisect.insort(self._by_time, (_nanos(response["lastSubmittedTime"]), len(self._listed)))
        self._listed.append(response)

    def edited(self, response: dict[str, Any]) -> None:
        self._by_time = None
        self._version += 1
        self._json[response["responseId"]] = _encoded(response)

    def encoded(self, response: dict[str, Any]) -> tuple[bytes, int]:
        """The response's compact JSON and its length in characters (``json.dumps``)."""
        found = self._json.get(response["responseId"])
        if found is None:  # pragma: no cover - every stored response is encoded
            found = self._json[response["responseId"]] = _encoded(response)
        return found

    @property
    def form_id(self) -> str:
        return str(self.form["formId"])

    def question_ids(self) -> dict[str, str]:
        """questionId by question title (and by itself), for the simplified answer form."""
        ids: dict[str, str] = {}
        for item in self.form.get("items", []):
            qid = item.get("questionItem", {}).get("question", {}).get("questionId")
            if qid:
                ids[qid] = qid
                ids.setdefault(str(item.get("title", "")), qid)
        return ids

    def accepting(self) -> bool:
        if self.legacy:
            return True
        state = self.form.get("publishSettings", {}).get("publishState", {})
        return bool(state.get("isPublished")) and bool(state.get("isAcceptingResponses"))


class FormsApi:
    name = "forms"

    def __init__(self, clock: Clock | None = None, seed: str = "bansou") -> None:
        self.clock = clock or Clock()
        self.seed = seed
        self._forms: dict[str, FormState] = {}
        self._counter = 0
        self._lock = threading.RLock()

    def attach(self, emulator: Any) -> None:
        self.clock = emulator.clock

    # --- Python control ----------------------------------------------------------------

    def load_form(
        self, form: Mapping[str, Any], responses: Iterable[Mapping[str, Any]] = ()
    ) -> FormState:
        """Add (or replace) a form from its ``forms.get`` JSON and its responses."""
        data: dict[str, Any] = copy.deepcopy(dict(form))
        extra = data.pop("_emulator", {}) or {}
        if "formId" not in data:
            raise ValueError("a form needs a formId")
        state = FormState(data, legacy=bool(extra.get("legacy", False)))
        self._set_order(state, str(extra.get("order", "shuffled")))
        self.set_legacy_state(state, state.legacy)
        with self._lock:
            self._forms[state.form_id] = state
            for response in responses:
                self._store(state, response, check_open=False)
        return state

    def form_ids(self) -> list[str]:
        with self._lock:
            return list(self._forms)

    def state(self, form_id: str) -> FormState:
        with self._lock:
            try:
                return self._forms[form_id]
            except KeyError:
                raise KeyError(f"no form {form_id!r} in the emulator") from None

    def set_order(self, form_id: str, order: str) -> None:
        self._set_order(self.state(form_id), order)

    def set_legacy(self, form_id: str, legacy: bool) -> None:
        with self._lock:
            self.set_legacy_state(self.state(form_id), legacy)

    @staticmethod
    def set_legacy_state(state: FormState, legacy: bool) -> None:
        """Legacy forms have no publishSettings (and the API cannot close them)."""
        state.legacy = legacy
        if legacy:
            state.form.pop("publishSettings", None)
        else:
            state.form.setdefault(
                "publishSettings",
                {"publishState": {"isPublished": True, "isAcceptingResponses": True}},
            )

    def add_responses(
        self, form_id: str, responses: Iterable[Mapping[str, Any]], *, force: bool = False
    ) -> list[dict[str, Any]]:
        """Submit responses now. ``answers`` may be Google's shape or ``{qid or title: value
        or [values]}``; ``responseId``/``createTime``/``lastSubmittedTime`` are made up
        when absent. A form that is not accepting responses refuses (unless ``force``)."""
        with self._lock:
            state = self.state(form_id)
            return [copy.deepcopy(self._store(state, r, check_open=not force)) for r in responses]

    def edit_response(
        self,
        form_id: str,
        response_id: str,
        answers: Mapping[str, Any],
        *,
        submitted_at: str | None = None,
        replace: bool = False,
    ) -> dict[str, Any]:
        """Edit a submitted response as the respondent would: answers change (merged by
        question unless ``replace``) and ``lastSubmittedTime`` moves forward."""
        with self._lock:
            state = self.state(form_id)
            stored = state.responses.get(response_id)
            if stored is None:
                raise KeyError(f"no response {response_id!r} in form {form_id!r}")
            new = _answers(answers, state.question_ids())
            stored["answers"] = new if replace else {**stored.get("answers", {}), **new}
            if not stored["answers"]:
                del stored["answers"]
            if submitted_at is None:
                previous = _nanos(stored["lastSubmittedTime"])
                now = max(int(self.clock.now() * 1_000_000) * 1000, previous + 1000)
                submitted_at = _format_micros(now // 1000)
            stored["lastSubmittedTime"] = submitted_at
            state.edited(stored)
            return copy.deepcopy(stored)

    def responses(self, form_id: str) -> list[dict[str, Any]]:
        """All responses in submission order (not the order the API lists them in)."""
        with self._lock:
            return copy.deepcopy(list(self.state(form_id).responses.values()))

    def publish_state(self, form_id: str) -> dict[str, bool] | None:
        with self._lock:
            settings = self.state(form_id).form.get("publishSettings")
            if settings is None:
                return None
            return dict(settings.get("publishState", {}))

    # --- HTTP --------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        form = r"/v1/forms/(?P<form>[^/:]+)"
        return [
            route("GET", form, "forms.forms.get", self._get),
            route("GET", form + r"/responses", "forms.forms.responses.list", self._list),
            route(
                "GET", form + r"/responses/(?P<rid>[^/]+)", "forms.forms.responses.get", self._one
            ),
            route(
                "POST",
                form + r":setPublishSettings",
                "forms.forms.setPublishSettings",
                self._publish,
            ),
        ]

    def quota_group(self, route: Route, request: Request) -> str | None:
        return {
            "forms.forms.responses.list": "forms:list",
            "forms.forms.setPublishSettings": "forms:write",
        }.get(route.name, "forms:read")

    def _find(self, form_id: str) -> FormState:
        state = self._forms.get(form_id)
        if state is None:
            raise ApiError(404, _NOT_FOUND)
        return state

    def _get(self, request: Request, match: re.Match[str]) -> Response:
        with self._lock:
            state = self._find(match["form"])
            return Response(200, _omit_false(copy.deepcopy(state.form)))

    def _one(self, request: Request, match: re.Match[str]) -> Response:
        with self._lock:
            state = self._find(match["form"])
            response = state.responses.get(match["rid"])
            if response is None:
                raise ApiError(404, _NOT_FOUND)
            return Response(200, copy.deepcopy(response))

    def _list(self, request: Request, match: re.Match[str]) -> Response:
        with self._lock:
            state = self._find(match["form"])
            size = _page_size(request.param("pageSize"))
            flt = request.param("filter") or ""
            after = _parse_filter(flt) if flt else None
            offset = _read_token(request.param("pageToken"), flt)
            # filtered before ordering: a poll for what is new sorts only the few it
            # keeps, not the whole history (the order is total and the sorts stable, so
            # the list is the same as filtering the ordered history)
            if after is None:
                chosen = self._whole_history(state)
            else:
                chosen = self._ordered(state, state.submitted_after(*after))
            page = chosen[offset : offset + size]
            body: dict[str, Any] = {}
            if page:
                # one level deep is a full copy here: a stored response's values are
                # replaced (``edit_response``), never changed in place
                body["responses"] = [dict(r) for r in page]
            if offset + size < len(chosen):
                body["nextPageToken"] = _make_token(offset + size, flt)
            return Response(200, _page_body(state, body, page))

    def _publish(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        with self._lock:
            state = self._find(match["form"])
            if state.legacy:
                raise ApiError(
                    400,
                    "Legacy forms aren't supported because they don't have the "
                    "publishSettings field.",
                    "FAILED_PRECONDITION",
                )
            wanted = (body.get("publishSettings") or {}).get("publishState")
            if not isinstance(wanted, dict):
                raise ApiError(400, _INVALID)
            mask = str(body.get("updateMask") or "*")
            current = state.form["publishSettings"].setdefault("publishState", {})
            new = dict(current)
            for path in (p.strip() for p in mask.split(",")):
                if path in ("*", "publishState"):
                    new = {k: bool(wanted.get(k, False)) for k in _PUBLISH_KEYS}
                elif path.startswith("publishState.") and path[13:] in _PUBLISH_KEYS:
                    new[path[13:]] = bool(wanted.get(path[13:], False))
                else:
                    raise ApiError(400, _INVALID)
            if new.get("isAcceptingResponses") and not new.get("isPublished"):
                raise ApiError(
                    400,
                    "Setting isAcceptingResponses to true while isPublished is false "
                    "isn't supported.",
                )
            if not new.get("isPublished"):
                new["isAcceptingResponses"] = False
            current.clear()
            current.update(new)
            return Response(
                200,
                _omit_false(
                    {"formId": state.form_id, "publishSettings": {"publishState": dict(new)}}
                ),
            )

    # --- internals ---------------------------------------------------------------------

    def _set_order(self, state: FormState, order: str) -> None:
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}")
        state.order = order

    def _whole_history(self, state: FormState) -> list[dict[str, Any]]:
        """Every response in list order (read only), sorted again only after a change."""
        key = (state.order, state._version)
        if state._ordered is None or state._ordered[0] != key:
            state._ordered = (key, self._ordered(state, list(state.responses.values())))
        return state._ordered[1]

    def _ordered(self, state: FormState, responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if state.order == "submitted":
            return sorted(responses, key=lambda r: _nanos(r["lastSubmittedTime"]))
        if state.order == "reverse":
            return sorted(responses, key=lambda r: _nanos(r["lastSubmittedTime"]), reverse=True)
        return sorted(responses, key=lambda r: _shuffle_key(f"{self.seed}:{r['responseId']}"))

    def _store(
        self, state: FormState, given: Mapping[str, Any], *, check_open: bool
    ) -> dict[str, Any]:
        if check_open and not state.accepting():
            raise ValueError(f"form {state.form_id} is not accepting responses")
        unknown = set(given) - _RESPONSE_KEYS
        if unknown:
            raise ValueError(f"unknown response keys: {sorted(unknown)}")
        self._counter += 1
        now_us = int(self.clock.now() * 1_000_000)
        response: dict[str, Any] = {
            "responseId": str(given.get("responseId") or self._new_id(state.form_id)),
            "createTime": str(given.get("createTime") or _format_millis(now_us // 1000)),
        }
        submitted = given.get("lastSubmittedTime")
        if not submitted:
            created = _nanos(response["createTime"]) // 1000
            submitted = _format_micros(now_us if given.get("createTime") is None else created)
        response["lastSubmittedTime"] = str(submitted)
        for key in ("respondentEmail", "totalScore"):
            if key in given:
                response[key] = given[key]
        answers = _answers(given.get("answers") or {}, state.question_ids())
        if answers:
            response["answers"] = answers
        _nanos(response["createTime"])  # refuse unreadable timestamps early
        _nanos(response["lastSubmittedTime"])
        replaced = response["responseId"] in state.responses
        state.responses[response["responseId"]] = response
        state.stored(response, replaced)
        return response

    def _new_id(self, form_id: str) -> str:
        digest = hashlib.sha512(f"{self.seed}:{form_id}:{self._counter}".encode()).digest()
        return "ACYDBN" + base64.urlsafe_b64encode(digest).decode("ascii")[:65]


_PUBLISH_KEYS = ("isPublished", "isAcceptingResponses")
_RESPONSE_KEYS = {
    "responseId",
    "createTime",
    "lastSubmittedTime",
    "answers",
    "respondentEmail",
    "totalScore",
    "formId",
}


def _answers(given: Mapping[str, Any], ids: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in given.items():
        qid = ids.get(key, key)
        if isinstance(value, Mapping):
            answer = {k: copy.deepcopy(v) for k, v in value.items() if k != "questionId"}
            out[qid] = {"questionId": qid, **answer}
            continue
        values = [value] if isinstance(value, str) else list(value)
        values = [str(v) for v in values if str(v) != ""]
        if values:
            out[qid] = {
                "questionId": qid,
                "textAnswers": {"answers": [{"value": v} for v in values]},
            }
    return out


def _encoded(response: dict[str, Any]) -> tuple[bytes, int]:
    text = json.dumps(response, ensure_ascii=False)
    return text.encode("utf-8"), len(text)


def _page_body(state: FormState, body: dict[str, Any], page: list[dict[str, Any]]) -> Any:
    """A page as ``EncodedBody``: its bytes joined from the responses' stored JSON, the
    very bytes ``json_bytes(body)`` gives (a compact reply: ``{"responses": [r, r],
    "nextPageToken": "…"}``). A page under the size Google's indenting is kept for goes
    as the plain dict, to be indented."""
    if not page:
        return body
    parts = [state.encoded(r) for r in page]
    encoded, lengths = zip(*parts, strict=True)
    tail = ""
    if "nextPageToken" in body:
        tail = ', "nextPageToken": ' + json.dumps(body["nextPageToken"], ensure_ascii=False)
    head = '{"responses": ['
    chars = len(head) + sum(lengths) + 2 * (len(parts) - 1) + 1 + len(tail) + 1
    if chars < PRETTY_LIMIT:
        return body
    data = b"".join([head.encode(), b", ".join(encoded), b"]", tail.encode(), b"}\n"])
    return EncodedBody(body, data)


def _omit_false(value: Any) -> Any:
    """proto3 JSON leaves out fields holding their default (false, empty)."""
    if isinstance(value, dict):
        return {k: _omit_false(v) for k, v in value.items() if v is not False}
    if isinstance(value, list):
        return [_omit_false(v) for v in value]
    return value


@functools.lru_cache(maxsize=1 << 18)
def _shuffle_key(text: str) -> bytes:
    """The stable shuffle's sort key, worked out once per response (each list request
    orders the whole history)."""
    return hashlib.sha256(text.encode()).digest()


@functools.lru_cache(maxsize=1 << 18)
def _nanos(stamp: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 UTC ("Z") timestamp (remembered:
    every list request with a ``timestamp`` filter reads each response's time)."""
    match = _RFC3339_Z.fullmatch(stamp)
    if not match:
        raise ValueError(f"not an RFC 3339 UTC timestamp: {stamp!r}")
    seconds = datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
    return int(seconds) * 1_000_000_000 + int((match[2] or "").ljust(9, "0"))


def _format_millis(millis: int) -> str:
    base = datetime.fromtimestamp(millis // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{millis % 1000:03d}Z"


def _format_micros(micros: int) -> str:
    base = datetime.fromtimestamp(micros // 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{micros % 1_000_000:06d}Z"


def _page_size(raw: str | None) -> int:
    try:
        size = int(raw or 0)
    except ValueError as exc:
        raise ApiError(400, f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"") from exc
    if size < 0:
        raise ApiError(400, _INVALID)
    return MAX_PAGE_SIZE if size == 0 else min(size, MAX_PAGE_SIZE)


def _parse_filter(text: str) -> tuple[bool, int]:
    """(strictly after?, the bound in nanoseconds) of a ``timestamp`` filter."""
    match = _FILTER.fullmatch(text)
    if not match:
        raise ApiError(400, _INVALID)
    try:
        bound = _nanos(match[2])
    except ValueError as exc:
        raise ApiError(400, _INVALID) from exc
    return match[1] == ">", bound


def _make_token(offset: int, flt: str) -> str:
    raw = json.dumps({"o": offset, "f": flt}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _read_token(token: str | None, flt: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, same = int(data["o"]), data["f"] == flt
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ApiError(400, _INVALID) from exc
    if not same or offset < 0:
        raise ApiError(400, _INVALID)
    return offset
