"""The Sheets API calls the status sheet makes (``google_sheet``): one gspread client,
every call through ``retry.call``, Google's errors translated at this edge into
``SheetError`` with a message staff can act on (sharing, spreadsheet ID, credentials)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

import google.auth.exceptions
import gspread
import requests
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from bansou_sync.adapters import retry
from bansou_sync.adapters.google_auth import SHEETS, GoogleAccess, token_error_text
from bansou_sync.adapters.google_sheet_plan import Meta
from bansou_sync.adapters.google_sheet_requests import encode
from bansou_sync.adapters.gspread_http import gspread_client, post_streamed
from bansou_sync.adapters.json_stream import decode_streamed
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.errors import SheetError

T = TypeVar("T")
R = TypeVar("R")
Hook = Callable[[dict[str, Any]], Any]  # json.loads' object_hook
DEFAULT_POLICY = RetryPolicy()
STREAM_CHUNK = 256 * 1024  # bytes of a hooked reply read at a time
_JSON = {"Content-Type": "application/json; charset=utf-8"}


class SheetsCalls:
    """The calls to one spreadsheet, and what the last metadata read said of its grid."""

    def __init__(
        self, access: GoogleAccess, spreadsheet_id: str, policy: RetryPolicy = DEFAULT_POLICY
    ) -> None:
        self.access = access
        self.spreadsheet_id = spreadsheet_id
        self.policy = policy
        self._client: gspread.Client | None = None
        self._credentials: Any = None
        self._meta: Meta | None = None

    def _gspread(self) -> gspread.Client:
        if self._client is None:
            self._credentials = self.access.credentials([SHEETS])
            self._client = gspread_client(
                self._credentials, self.access.api_base, self.policy.timeout_seconds
            )
        return self._client

    def _batch_get(
        self, wanted: dict[str, list[str]], translate: bool = True
    ) -> dict[str, list[dict[str, Any]]]:
        ranges = [r for group in wanted.values() for r in group]
        if not ranges:
            return {}
        params = {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
        client = self._gspread().http_client
        reply = self._call(
            "読み込み / read",
            lambda: client.values_batch_get(self.spreadsheet_id, ranges, dict(params)),
            translate,
        )
        found: list[dict[str, Any]] = list(reply.get("valueRanges") or [])
        out: dict[str, list[dict[str, Any]]] = {}
        for name, group in wanted.items():
            out[name], found = found[: len(group)], found[len(group) :]
        return out

    def _fetch_meta(self) -> Meta:
        fields = "sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))"
        client = self._gspread().http_client
        reply = self._call(
            "シート情報の取得 / get metadata",
            lambda: client.fetch_sheet_metadata(self.spreadsheet_id, {"fields": fields}),
        )
        props = [s.get("properties") or {} for s in reply.get("sheets") or []]
        self._meta = Meta(
            {str(p.get("title")): int(p.get("sheetId", 0)) for p in props},
            {
                str(p.get("title")): int((p.get("gridProperties") or {}).get("rowCount", 0))
                for p in props
            },
        )
        return self._meta

    def _batch_update(self, body: list[dict[str, Any]] | bytes, hook: Hook | None = None) -> Any:
        """``body``: the requests, or the whole body already encoded (``body_with``)."""
        url = f"{SPREADSHEETS_API_V4_BASE_URL}/{self.spreadsheet_id}:batchUpdate"
        data = body if isinstance(body, bytes) else {"requests": body}
        return self._send(url, data, "行の追加 / add rows", hook)

    def _post(
        self, method: str, body: dict[str, Any] | bytes, what: str, hook: Hook | None = None
    ) -> Any:
        url = f"{SPREADSHEETS_API_V4_BASE_URL}/{self.spreadsheet_id}/{method}"
        return self._send(url, body, what, hook)

    def _send(
        self, url: str, body: dict[str, Any] | bytes, what: str, hook: Hook | None = None
    ) -> Any:
        """POST ``body`` as the compact UTF-8 JSON whose size the plan counted (bytes: the
        body already so encoded); the reply decoded with ``json``'s ``object_hook``
        ``hook`` when given (a large reply made small as it is decoded)."""
        data = body if isinstance(body, bytes) else encode(body)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if hook is None:
            client = self._gspread().http_client
            return self._call(
                what, lambda: client.request("post", url, data=data, headers=dict(headers)).json()
            )

        def streamed() -> Any:
            return _decoded(post_streamed(self._gspread(), url, data, dict(headers)), hook)

        return self._call(what, streamed)

    def _post_each(
        self,
        method: str,
        bodies: Iterable[bytes],
        what: str,
        hook: Hook,
        done: Callable[[Any], None],
    ) -> None:
        """POST each of ``bodies`` (in order) to ``method`` and hand each reply, decoded
        with ``hook`` as it arrives, to ``done`` — with the next request sent as soon as
        the previous one has been *answered* (its status and headers: Google, and the
        emulator, finish a request before answering it), so the server works on request
        k+1 while the daemon decodes reply k and builds body k+2. One sender thread; the
        server still sees the requests one at a time, in order.

        Only for requests that may be repeated, in any order, with the same result: the
        read through the tags, and the values written through the tags (each row's tag
        once in a write, never the key cells; in-place ranges distinct). Their failure
        semantics, against ``one_ahead``'s:

        * request k refused (4xx, or retries used up) before an answer: k+1 was not sent
          (it goes only once k is answered): as before, nothing later reaches the sheet;
        * reply k lost while it is read (connection dropped): k is retried under the
          same policy, once k+1 has been answered — the sheet sees k, k+1, k again; the
          same rows, the same values (writes through tags go to each row by its tag);
        * reply k unreadable, or k's retries used up while k+1 already landed: the write
          raises ``SheetError`` with k+1's rows written but not recorded. The row cache
          is only updated after the loop from the outcomes, so those rows count as not
          written: the next cycle writes them again (through the same tags, checked
          first). No key cell is ever written through a tag, so no row changes which
          key it holds, nor which staff cells stand beside it.

        At most two bodies are held (the one whose reply is read, for a retry, and the
        one in flight) and one reply's undecoded text (``decode_streamed``)."""
        url = f"{SPREADSHEETS_API_V4_BASE_URL}/{self.spreadsheet_id}/{method}"

        def answered(body: bytes) -> requests.Response:  # status and headers, not the body
            return self._call(what, lambda: post_streamed(self._gspread(), url, body, {**_JSON}))

        flying: Future[requests.Response] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bansou-sheets") as sender:
            try:
                made = iter(bodies)
                current = next(made, None)
                if current is not None:
                    flying = sender.submit(answered, current)
                while current is not None and flying is not None:
                    following = next(made, None)  # built while ``current`` is in flight
                    response = flying.result()
                    flying = None if following is None else sender.submit(answered, following)
                    reply = self._read_reply(url, current, what, hook, response, flying)
                    del response
                    done(reply)
                    del reply
                    current = following
            finally:  # an answer not read (an error above): its connection is given back
                if flying is not None:
                    _close(flying)

    def _read_reply(
        self,
        url: str,
        body: bytes,
        what: str,
        hook: Hook,
        response: requests.Response,
        flying: Future[requests.Response] | None,
    ) -> Any:
        """``response``'s body decoded with ``hook``; a reply lost while read is asked for
        again (POST ``body``) under the retry policy, once the request in flight has been
        answered (the server never has two of this write's requests at once)."""
        first = [response]

        def read() -> Any:
            if first:
                answer = first.pop()
            else:
                if flying is not None:
                    wait([flying])
                answer = post_streamed(self._gspread(), url, body, {**_JSON})
            return _decoded(answer, hook)

        return self._call(what, read)

    def _call(self, what: str, fn: Callable[[], T], translate: bool = True) -> T:
        try:
            return retry.call(fn, self.policy)
        except APIError as exc:
            if not translate:
                raise
            raise SheetError(self._message(what, exc)) from exc
        except google.auth.exceptions.RefreshError as exc:
            raise SheetError(
                f"Google スプレッドシート {self.spreadsheet_id}: 認証に失敗しました。"
                "google.credentials_file を確認してください / authentication failed: "
                f"{token_error_text(exc) or exc}"
            ) from exc
        except (requests.RequestException, google.auth.exceptions.GoogleAuthError, OSError) as exc:
            raise SheetError(
                f"Google スプレッドシート {self.spreadsheet_id}: {what} に失敗しました"
                f"(接続できません / cannot connect): {exc}"
            ) from exc

    def _message(self, what: str, exc: APIError) -> str:
        status, reason, _ = retry.status_and_reason(exc)
        sheet = f"Google スプレッドシート {self.spreadsheet_id}"
        account = getattr(self._credentials, "service_account_email", None)
        if status == 403:
            who = f" {account}" if account else ""
            return (
                f"{sheet} を開けません: サービスアカウント{who} と共有されていません。"
                f"シートの「共有」でこのアドレスを編集者として追加してください / "
                f"the spreadsheet is not shared with the service account{who}: share it as Editor"
            )
        if status == 404:
            return (
                f"{sheet} が見つかりません。sheet.spreadsheet_id(シート URL の /d/ と /edit の間)"
                f"を確認してください / spreadsheet not found: check sheet.spreadsheet_id"
            )
        if status == 401:
            return f"{sheet}: 認証に失敗しました。google.credentials_file を確認してください / authentication failed"
        detail = _google_message(exc) or reason
        return f"{sheet}: {what} に失敗しました / failed (HTTP {status}): {detail}"


def one_ahead(items: Iterable[T], send: Callable[[T], R], done: Callable[[T, R], None]) -> None:
    """``done(item, send(item))`` for each of ``items`` in order, with the next item made
    (``items`` is a generator that builds and encodes request bodies) while the previous
    one's request is in flight on one sender thread: Google — and the emulator — work
    on a request on their side while the daemon builds the next body, instead of each
    waiting for the other (issue 5's backfill: 28 requests of up to 4 MB).

    Nothing else changes: a request is sent only once the one before it has been
    answered, decoded and handed to ``done`` (the same requests, in the same order,
    each with its own retries and errors, as ``_call`` gives them); a request that fails
    — or a ``done`` that raises — stops the loop, so no later request is sent, as
    before. The only item made ahead is the next one, never sent (at most one body of
    ``CHUNK_BYTES`` held beside the one in flight); ``items`` only builds, it sends
    nothing. The loop returns or raises only once no request is in flight (the
    executor waits), so what the caller does after it — the row cache from the
    outcomes — sees every reply the server gave."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bansou-sheets") as sender:
        flying: tuple[T, Future[R]] | None = None
        made = iter(items)
        while True:
            try:
                item = next(made)  # the next body is built here, the previous one in flight
            except BaseException as exc:
                if flying is not None:  # answered and handed on, as if built after it
                    done(flying[0], flying[1].result())
                if isinstance(exc, StopIteration):
                    return
                raise
            if flying is not None:
                done(flying[0], flying[1].result())
            flying = (item, sender.submit(send, item))
            del item  # held by ``flying`` only: released once answered


def _decoded(response: requests.Response, hook: Hook) -> Any:
    """A hooked reply (the read through the tags, a write's reply) decoded as it arrives:
    neither its whole bytes nor its whole text is held (``json_stream``); the connection
    is given back however the decode ends."""
    with response:
        return decode_streamed(response.iter_content(STREAM_CHUNK), hook)


def _close(flying: Future[requests.Response]) -> None:
    try:
        flying.result().close()
    except Exception:  # its error is not the one being raised
        return


def header_of(ranges: list[dict[str, Any]]) -> list[Any]:
    return list((ranges[0].get("values") or [[]])[0]) if ranges else []


def _google_message(exc: APIError) -> str:
    try:
        error = exc.response.json().get("error", {})
    except ValueError:
        return ""
    return str(error.get("message", "")) if isinstance(error, dict) else ""
