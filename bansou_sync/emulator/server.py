"""The emulator's HTTP server: one port on 127.0.0.1, every emulated API behind it.

A request goes through, in order: route lookup (method + regex over the decoded path;
unknown → Google-style 404), the bearer token (routes with ``needs_auth``; Google's 401
without one, 403 when its scopes do not cover the method — scopes are read from the
discovery documents shipped with google-api-python-client), latency, fault injection,
quota, then the handler, under one lock. Control routes (``/_emulator/...``, route names
starting ``emulator.``) skip auth, faults, quota and the request log.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import json
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from .faults import Clock, FaultRule, Faults, LoggedRequest, Quota, RequestLog, fault_error
from .http import Api, ApiError, EncodedBody, Request, Response, Route, json_bytes
from .oauth import OAuthApi, insufficient_scopes, unauthenticated

SERVICES = {
    "forms": "forms.googleapis.com",
    "sheets": "sheets.googleapis.com",
    "gmail": "gmail.googleapis.com",
    "drive": "www.googleapis.com",
}
JSON_TYPE = "application/json; charset=UTF-8"
# Sheets and Forms refuse a request body over 10 MiB with this 400 (Gmail's own limit on
# a message, 35 MB, is another matter and is not emulated).
PAYLOAD_LIMIT = 10 * 1024 * 1024
PAYLOAD_LIMITED = ("sheets", "forms")


def too_large() -> ApiError:
    return ApiError(400, f"Request payload size exceeds the limit: {PAYLOAD_LIMIT} bytes.")


class Emulator:
    """The emulated Google APIs on one local port. Use as a context manager or
    ``start()``/``stop()``; ``base_url`` is ``http://127.0.0.1:PORT``."""

    def __init__(
        self,
        apis: Sequence[Api],
        *,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        seed: int = 0,
        enforce_scopes: bool = True,
        freeze_gc: bool = False,
    ) -> None:
        self.host, self.port = host, port
        # In a process of its own (the CLI, the benchmark's child), the emulator's heap —
        # every form response, cell and tag, millions of objects at the benchmark's 60k —
        # is long-lived: after each request it is moved out of the cyclic collector's
        # reach (``gc.freeze``), so a full collection no longer scans it (one took ~2 s
        # of a 60k idle cycle). Process-wide, hence off in-process (tests). While such an
        # emulator runs, the collector's automatic runs are off too: a request that
        # makes a million objects (a backfill's cells, tags, replies) had them scanned
        # over and over by the full collections their number sets off (≈ 25 % of the
        # emulator's CPU in a backfill); after each request one collection of the young
        # objects, what the requests made since the last one, frees their cycles before
        # the survivors are frozen.
        self.freeze_gc = freeze_gc
        self._gc_was_enabled: bool | None = None
        self._sending = threading.local()  # ``on``: the HTTP handler settles after sending
        self.clock = clock or Clock()
        self.faults = Faults(seed)
        self.quota = Quota(self.clock)
        self.log = RequestLog()
        self.latency = latency
        self.enforce_scopes = enforce_scopes
        self.lock = threading.RLock()
        self.apis = list(apis)
        self._routes: list[tuple[Api, Route]] = []
        for api in self.apis:
            attach = getattr(api, "attach", None)
            if attach is not None:
                attach(self)
            self._routes += [(api, r) for r in api.routes()]
            control = getattr(api, "control_routes", None)
            if control is not None:
                self._routes += [(api, r) for r in control()]
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- the APIs ----------------------------------------------------------------------

    def api(self, name: str) -> Any:
        """The API object named ``name`` ("oauth", "forms", "gmail", "sheets"…), or None."""
        return next((a for a in self.apis if a.name == name), None)

    @property
    def oauth(self) -> OAuthApi:
        api = self.api("oauth")
        if not isinstance(api, OAuthApi):
            raise LookupError("this emulator has no OAuth API")
        return api

    @property
    def forms(self) -> Any:
        return self.api("forms")

    @property
    def gmail(self) -> Any:
        return self.api("gmail")

    @property
    def sheets(self) -> Any:
        return self.api("sheets")

    @property
    def drive(self) -> Any:
        return self.api("drive")

    # --- life cycle --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def token_uri(self) -> str:
        return self.base_url + "/token"

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        if self.freeze_gc:
            self._gc_was_enabled = gc.isenabled()
            gc.disable()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.emulator = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"google-emulator:{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._gc_was_enabled:
            gc.enable()
        self._gc_was_enabled = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- in-process controls (the same as /_emulator/...) -------------------------------

    def add_fault(self, **rule: Any) -> FaultRule:
        return self.faults.add(rule)

    def counters(self) -> dict[str, int]:
        return self.log.counters()

    def reset_counters(self) -> None:
        self.log.reset_counters()

    def requests(self, api: str | None = None, method: str | None = None) -> list[LoggedRequest]:
        return self.log.entries(api, method)

    def reset(self) -> None:
        """Faults, latency, quota, clock, logs, counters, sent mail and OAuth switches back to
        their start; forms, responses and spreadsheets are kept."""
        self.faults.clear()
        self.latency = 0.0
        self.quota.enabled = False
        self.quota.reset()
        self.clock.offset = 0.0
        self.log.clear()
        self.log.reset_counters()
        with self.lock:
            for api in self.apis:
                reset = getattr(api, "reset", None)
                if reset is not None:
                    reset()

    def service_account_info(self) -> dict[str, Any]:
        """A service-account key file whose ``token_uri`` is this emulator."""
        return self.oauth.service_account.key_file(self.token_uri)

    def write_service_account_file(self, path: Path) -> Path:
        path.write_text(json.dumps(self.service_account_info(), indent=2), encoding="utf-8")
        return path

    def credentials(self, scopes: Iterable[str], subject: str | None = None) -> Any:
        """google-auth service-account credentials that get their tokens here."""
        from google.oauth2 import service_account

        creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            self.service_account_info(), scopes=list(scopes)
        )
        return creds.with_subject(subject) if subject else creds

    def client_options(self) -> dict[str, str]:
        """For ``googleapiclient.discovery.build(..., client_options=...)``."""
        return {"api_endpoint": self.base_url}

    # --- request handling --------------------------------------------------------------

    def handle(self, request: Request) -> Response | None:
        """The reply to one request; None means: drop the connection without one.
        (The HTTP handler's thread settles once it has sent the reply: ``_Handler``.)"""
        found = self._match(request)
        if found is None:
            return _error(
                ApiError(404, f"The requested URL {request.raw_path} was not found on this server.")
            )
        api, route_, match = found
        if route_.name.startswith("emulator."):
            with self.lock:
                try:
                    return _call(route_, request, match)
                finally:
                    self._settle()
        entry = LoggedRequest(
            0,
            self.clock.now(),
            api.name,
            route_.name,
            request.method,
            request.path,
            0,
            "",
            None,
            {k: v for k, v in request.query.items() if k != "access_token"},
        )
        try:
            reply = self._serve(api, route_, match, request, entry)
            entry.status = reply.status if reply is not None else 0
            return reply
        finally:
            entry.user = request.user
            self.log.record(entry)
            if not getattr(self._sending, "on", False):
                self._settle()

    def _settle(self) -> None:
        if self.freeze_gc:
            gc.collect(0)
            gc.freeze()

    def _match(self, request: Request) -> tuple[Api, Route, Any] | None:
        for api, route_ in self._routes:
            if route_.method == request.method:
                match = route_.pattern.fullmatch(request.path)
                if match:
                    return api, route_, match
        return None

    def _serve(
        self, api: Api, route_: Route, match: Any, request: Request, entry: LoggedRequest
    ) -> Response | None:
        service = SERVICES.get(api.name, f"{api.name}.googleapis.com")
        if api.name in PAYLOAD_LIMITED and len(request.body) > PAYLOAD_LIMIT:
            return _error(too_large())
        if route_.needs_auth:
            header = request.headers.get("authorization")
            oauth = self.api("oauth")
            token = oauth.authenticate(header) if isinstance(oauth, OAuthApi) else None
            if token is None:
                return _error(unauthenticated(service, missing=not header))
            request.user = token.user
            needed = _method_scopes().get(route_.name)
            scopes = token.scopes
            if self.enforce_scopes and needed and scopes is not None and not scopes & needed:
                return _error(insufficient_scopes(service))
        if self.latency > 0:
            time.sleep(self.latency)
        group = api.quota_group(route_, request)
        fault = self.faults.pick(api.name, route_.name)
        if fault is not None:
            entry.fault = fault.kind
            if fault.kind == "slow":
                time.sleep(fault.seconds)
                fault = None
            elif fault.when == "before":
                return self._fault_reply(fault, group)
        over = self.quota.spend(group, request.user)
        if over is not None:
            return _error(over)
        with self.lock:
            reply = _call(route_, request, match)
        if fault is not None:
            return self._fault_reply(fault, group)
        return reply

    def _fault_reply(self, fault: FaultRule, group: str | None) -> Response | None:
        if fault.kind == "drop":
            return None
        quota_error = None
        if fault.kind == "429" and group is not None:
            limits = self.quota.limits.get(group)
            quota_error = limits[0].error() if limits else None
        return _error(fault_error(fault.kind, quota_error))


def _call(route_: Route, request: Request, match: Any) -> Response:
    try:
        return route_.handler(request, match)
    except ApiError as exc:
        return _error(exc)


def _error(exc: ApiError) -> Response:
    return Response(exc.code, exc.body(), dict(exc.headers))


@functools.cache
def _method_scopes() -> dict[str, frozenset[str]]:
    """Google method id → the OAuth scopes any one of which allows it (discovery docs)."""
    try:
        import googleapiclient
    except ImportError:  # pragma: no cover - the client library is a dependency
        return {}
    folder = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
    scopes: dict[str, frozenset[str]] = {}

    def walk(resource: dict[str, Any]) -> None:
        for method in resource.get("methods", {}).values():
            scopes[method["id"]] = frozenset(method.get("scopes", []))
        for child in resource.get("resources", {}).values():
            walk(child)

    for name in ("forms.v1.json", "sheets.v4.json", "gmail.v1.json", "drive.v3.json"):
        path = folder / name
        if path.exists():
            walk(json.loads(path.read_text(encoding="utf-8")))
    return scopes


# --- the stdlib HTTP plumbing -----------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    emulator: Emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ESF"
    sys_version = ""
    # headers and body go out in two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK (≈ 40 ms a request on Linux loopback), a stall Google's servers
    # do not have and that every test and benchmark on the emulator paid
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the emulator keeps its own request log

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(split.path),
            raw_path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._body(),
        )
        emulator = cast(_Server, self.server).emulator
        emulator._sending.on = True
        try:
            self._send(emulator.handle(request))
        finally:
            # once the reply is sent and dropped (its objects freed, not scanned): the
            # client reads it meanwhile, instead of waiting for the collection
            emulator._sending.on = False
            del request
            emulator._settle()

    def _send(self, reply: Response | None) -> None:
        if reply is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        headers = dict(reply.headers)
        if isinstance(reply.body, bytes):
            data = reply.body
            headers.setdefault("Content-Type", "application/octet-stream")
        elif isinstance(reply.body, EncodedBody):
            data = reply.body.data
            headers["Content-Type"] = JSON_TYPE
        elif reply.body is None and reply.status == 204:
            data = b""
        else:
            data = json_bytes({} if reply.body is None else reply.body)
            headers["Content-Type"] = JSON_TYPE
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Vary", "Origin, X-Origin, Referer")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


# --- the default set of APIs ------------------------------------------------------------


def default_apis(extra_apis: Iterable[Api] = ()) -> list[Api]:
    from .control import ControlApi
    from .drive import DriveApi
    from .forms import FormsApi
    from .gmail import GmailApi

    apis: list[Api] = [OAuthApi(), FormsApi(), GmailApi(), ControlApi(), DriveApi()]
    sheets = _optional_sheets()
    if sheets is not None:
        apis.append(sheets)
    apis += list(extra_apis)
    return apis


def _optional_sheets() -> Api | None:
    """The Sheets API, when its module is there (it is written separately)."""
    try:
        module = importlib.import_module("bansou_sync.emulator.sheets")
    except ImportError:
        return None
    factory = getattr(module, "SheetsApi", None)
    return cast(Api, factory()) if factory is not None else None


def start_emulator(
    fixtures_dir: Path | None = None,
    *,
    port: int = 0,
    extra_apis: Iterable[Api] = (),
    latency: float = 0.0,
    freeze_gc: bool = False,
    row_metadata_on_sort: str = "move",
) -> Emulator:
    """A running emulator with OAuth, Forms, Gmail, control (and Sheets when available),
    loaded from ``fixtures_dir`` (see ``fixtures.py``). ``freeze_gc``: only when the
    emulator has its process to itself (see ``Emulator``). ``row_metadata_on_sort``:
    ``"move"`` or ``"stay"`` (``SheetsApi.row_metadata_on_sort``)."""
    from .fixtures import load_fixtures

    if row_metadata_on_sort not in ("move", "stay"):
        raise ValueError(f"row_metadata_on_sort must be move or stay, not {row_metadata_on_sort!r}")
    emulator = Emulator(default_apis(extra_apis), latency=latency, port=port, freeze_gc=freeze_gc)
    for api in emulator.apis:
        if api.name == "sheets":
            setattr(api, "row_metadata_on_sort", row_metadata_on_sort)  # noqa: B010 (optional API)
    if fixtures_dir is not None:
        load_fixtures(emulator, fixtures_dir)
    emulator._settle()
    return emulator.start()
