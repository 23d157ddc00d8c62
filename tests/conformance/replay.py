"""Replaying recorded Google traffic (vcrpy cassettes) against the local emulator.

A cassette is ``{"version": 1, "interactions": [{request, response}]}`` as gspread's test
suite recorded it against the real Sheets API v4 (and Drive v3 for creating and deleting
the test spreadsheets). ``Replay`` sends every Sheets request, in order, to a fresh
emulator and compares the reply with the recorded one:

* the status code;
* JSON bodies recursively: the same key sets, the same value types (``int``, ``float``,
  ``str``, ``bool``, ``null``, list, object), lists of the same length, and the same
  scalar values once the values that depend on IDs are normalised;
* for errors: ``error.code``, ``error.status``, ``error.message``; every ``details``
  entry Google sent must be there with at least the keys Google sent (Google adds
  metadata keys over the years: the 2022 and 2025 recordings differ);
* the absence of ``Retry-After`` where Google sent none.

IDs are mapped, not compared: spreadsheets created through Drive ``files.create`` are
created in the emulator (Sheets ``spreadsheets.create`` with the same title) and deleted
where Drive ``files.delete`` deleted them; the first time a reply carries a recorded ID
(``spreadsheetId``, ``sheetId``, ``protectedRangeId``…), the emulator's ID at the same
place is learned, and later requests get the emulator's IDs in their URL and body.
Other Drive calls (``files.get`` for the creation time) are Drive-only and skipped.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bansou_sync.emulator.server import Emulator

SHEETS_SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
ID_KEYS = frozenset(
    {
        "spreadsheetId",
        "sheetId",
        "protectedRangeId",
        "metadataId",
        "filterViewId",
        "bandedRangeId",
        "namedRangeId",
        "chartId",
    }
)
# A quota error names the Google Cloud project that made the call; protected ranges
# name the service account that made them.
_PROJECT = re.compile(r"(project_number:|projects/)\d+")
_SERVICE_ACCOUNT = re.compile(r"[\w.-]+@[\w-]+\.iam\.gserviceaccount\.com")
_DRIVE_FILES = re.compile(r"^/drive/v3/files(?:/(?P<id>[^/]+))?$")


class ReplayError(AssertionError):
    """The emulator answered differently from Google (the first difference)."""


@dataclass(frozen=True)
class Interaction:
    index: int
    method: str
    url: str
    request_body: str | None
    request_headers: dict[str, str]
    status: int
    response_headers: dict[str, str]
    response_body: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def date(self) -> float | None:
        value = self.response_headers.get("date")
        return parsedate_to_datetime(value).timestamp() if value else None

    def reply_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body.strip() else None


def load_cassette(path: Path) -> list[Interaction]:
    data = json.loads(path.read_text(encoding="utf-8"))
    interactions = []
    for index, entry in enumerate(data["interactions"]):
        request, response = entry["request"], entry["response"]
        interactions.append(
            Interaction(
                index=index,
                method=request["method"],
                url=request["uri"],
                request_body=request.get("body"),
                request_headers=_headers(request.get("headers") or {}),
                status=int(response["status"]["code"]),
                response_headers=_headers(response.get("headers") or {}),
                response_body=(response.get("body") or {}).get("string") or "",
            )
        )
    return interactions


def _headers(raw: dict[str, list[str]]) -> dict[str, str]:
    return {name.lower(): ", ".join(values) for name, values in raw.items()}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


@dataclass
class IdMap:
    """Recorded ID → the emulator's ID for the same thing."""

    strings: dict[str, str] = field(default_factory=dict)
    numbers: dict[int, int] = field(default_factory=dict)

    def learn(self, recorded: Any, ours: Any) -> None:
        if isinstance(recorded, bool) or recorded == ours:
            return
        if isinstance(recorded, str) and isinstance(ours, str):
            self.strings.setdefault(recorded, ours)
        elif isinstance(recorded, int) and isinstance(ours, int):
            self.numbers.setdefault(recorded, ours)

    def text(self, value: str) -> str:
        for recorded, ours in self.strings.items():
            value = value.replace(recorded, ours)
        return value

    def value(self, key: str | None, value: Any) -> Any:
        """A recorded JSON value with the emulator's IDs in it."""
        if isinstance(value, dict):
            return {k: self.value(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(key, v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if key in ID_KEYS and isinstance(value, int) and not isinstance(value, bool):
            return self.numbers.get(value, value)
        return value


class Replay:
    """One cassette against one emulator (which should hold nothing yet)."""

    def __init__(self, emulator: Emulator, token: str) -> None:
        self.emulator = emulator
        self.token = token
        self.ids = IdMap()
        self.created: set[str] = set()  # recorded IDs of spreadsheets the cassette made

    # -- driving ------------------------------------------------------------------------

    def run(self, interactions: list[Interaction]) -> int:
        """Replay everything; raises ``ReplayError`` at the first difference. Returns the
        number of Sheets interactions compared."""
        self._seed(interactions)
        compared = 0
        for interaction in interactions:
            if interaction.host == "www.googleapis.com":
                self._drive(interaction)
                continue
            if interaction.status == 429:
                # The writes that used up the quota happened before the recording began
                # (only the refusals were recorded): refuse this one as the quota would.
                self.emulator.add_fault(api="sheets", kind="429", count=1)
            reply = self.send(interaction)
            self.compare(interaction, reply)
            compared += 1
        return compared

    def _seed(self, interactions: list[Interaction]) -> None:
        """Spreadsheets the cassette uses without creating them existed before it was
        recorded: recreate them from the first recorded ``spreadsheets.get`` reply (tabs,
        titles, grid sizes). One Google answered 403 for belongs to another account and
        was never shared: it is created as not shared."""
        made = {i.reply_json()["id"] for i in interactions if _is_drive_create(i)}
        seen: set[str] = set()
        for interaction in interactions:
            match = re.match(r"^/v4/spreadsheets/([^/:]+)", interaction.path)
            if interaction.host != "sheets.googleapis.com" or not match:
                continue
            recorded_id = match.group(1)
            if recorded_id in made or recorded_id in seen:
                continue
            body = interaction.reply_json()
            if interaction.status == 403:
                seen.add(recorded_id)
                book = self.emulator.sheets.new_spreadsheet({}, recorded_id)
                self.emulator.sheets.unshare(book.spreadsheet_id)
            elif (
                interaction.status == 200
                and interaction.method == "GET"
                and isinstance(body, dict)
                and "properties" in body
                and "sheets" in body
            ):
                seen.add(recorded_id)
                self.emulator.sheets.new_spreadsheet(
                    {
                        "properties": {
                            k: v
                            for k, v in body["properties"].items()
                            if k in ("title", "locale", "timeZone", "autoRecalc")
                        },
                        "sheets": [{"properties": s["properties"]} for s in body["sheets"]],
                    },
                    recorded_id,
                )

    def _drive(self, interaction: Interaction) -> None:
        """Drive v3 is not emulated: stand in for the calls gspread makes with Sheets."""
        match = _DRIVE_FILES.match(interaction.path)
        if match is None:
            raise ReplayError(f"#{interaction.index}: unsupported Drive call {interaction.url}")
        if _is_drive_create(interaction):
            title = json.loads(interaction.request_body or "{}")["name"]
            reply = self.request("POST", "/v4/spreadsheets", {"properties": {"title": title}})
            if reply.status != 200:
                raise ReplayError(f"#{interaction.index}: create failed: {reply.body!r}")
            recorded_id = interaction.reply_json()["id"]
            self.ids.learn(recorded_id, reply.json()["spreadsheetId"])
            self.created.add(recorded_id)
        elif interaction.method == "DELETE" and match["id"]:
            self.emulator.sheets.delete_spreadsheet(self.ids.text(match["id"]))
        # files.get (id, name, createdTime): Drive-only metadata, nothing to compare

    def send(self, interaction: Interaction) -> Reply:
        split = urlsplit(interaction.url)
        path = self.ids.text(split.path) + (f"?{self.ids.text(split.query)}" if split.query else "")
        body = None
        if interaction.request_body is not None:
            body = self.ids.value(None, json.loads(interaction.request_body))
        return self.request(interaction.method, path, body)

    def request(self, method: str, path: str, body: Any) -> Reply:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        if data is None and method in ("POST", "PUT"):
            data = b""
        request = urllib.request.Request(self.emulator.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return Reply(reply.status, _lower(dict(reply.headers)), reply.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, _lower(dict(exc.headers)), exc.read())

    # -- comparing --------------------------------------------------------------------------

    def compare(self, interaction: Interaction, reply: Reply) -> None:
        where = f"#{interaction.index} {interaction.method} {interaction.url}"
        if reply.status != interaction.status:
            raise ReplayError(
                f"{where}: status {reply.status}, Google {interaction.status}: "
                f"{reply.body.decode('utf-8', 'replace')[:500]}"
            )
        if "retry-after" in reply.headers and "retry-after" not in interaction.response_headers:
            raise ReplayError(f"{where}: Retry-After sent; Google sent none")
        recorded, ours = interaction.reply_json(), reply.json()
        if interaction.status >= 400:
            self._compare_error(where, recorded, ours)
            return
        differences: list[str] = []
        self._walk(recorded, ours, "$", None, differences)
        if differences:
            raise ReplayError(f"{where}: {differences[0]}")

    def _compare_error(self, where: str, recorded: Any, ours: Any) -> None:
        difference = error_difference(recorded, ours)
        if difference:
            raise ReplayError(f"{where}: {difference}")

    def _walk(self, recorded: Any, ours: Any, at: str, key: str | None, out: list[str]) -> None:
        if out:
            return
        if key in ID_KEYS and _kind(recorded) == _kind(ours) and _kind(ours) in ("int", "str"):
            known = self.ids.strings if isinstance(recorded, str) else self.ids.numbers
            if recorded not in known:
                self.ids.learn(recorded, ours)
            mapped = self.ids.value(key, recorded)
            if mapped != ours:
                out.append(f"{at}: {ours!r}, Google {recorded!r} (mapped {mapped!r})")
            return
        if _kind(recorded) != _kind(ours):
            out.append(
                f"{at}: {_kind(ours)} {ours!r:.200}, Google {_kind(recorded)} {recorded!r:.200}"
            )
        elif isinstance(recorded, dict):
            if set(recorded) != set(ours):
                extra, missing = (
                    sorted(set(ours) - set(recorded)),
                    sorted(set(recorded) - set(ours)),
                )
                out.append(f"{at}: keys differ: emulator adds {extra}, lacks {missing}")
                return
            for name in recorded:
                self._walk(recorded[name], ours[name], f"{at}.{name}", name, out)
        elif isinstance(recorded, list):
            if len(recorded) != len(ours):
                out.append(f"{at}: {len(ours)} items, Google {len(recorded)}: {ours!r:.300}")
                return
            for i, (r, o) in enumerate(zip(recorded, ours, strict=True)):
                self._walk(r, o, f"{at}[{i}]", key, out)
        elif isinstance(recorded, str):
            if normalise(self.ids.text(recorded)) != normalise(ours):
                out.append(f"{at}: {ours!r}, Google {recorded!r}")
        elif recorded != ours:
            out.append(f"{at}: {ours!r}, Google {recorded!r}")


def error_difference(recorded: Any, ours: Any) -> str | None:
    """How a Google error body differs from the emulator's, or None: the same
    ``code``/``status``/``message`` and keys, and every recorded ``details`` entry
    present (same ``@type``) with at least the recorded keys."""
    if not isinstance(ours, dict) or not isinstance(ours.get("error"), dict):
        return f"not a Google error body: {ours!r:.300}"
    real, mine = recorded["error"], ours["error"]
    for key in ("code", "status", "message"):
        if normalise(str(real.get(key))) != normalise(str(mine.get(key))):
            return f"error.{key} {mine.get(key)!r}, Google {real.get(key)!r}"
    if set(real) - {"details"} != set(mine) - {"details"}:
        return f"error keys {sorted(mine)}, Google {sorted(real)}"
    for detail in real.get("details", []):
        same = [d for d in mine.get("details", []) if d.get("@type") == detail["@type"]]
        if not same:
            return f"no {detail['@type']} in error.details"
        missing = _keys(detail) - _keys(same[0])
        if missing:
            return f"{detail['@type']} lacks {sorted(missing)}"
        if _kinds(detail) != _kinds(same[0], only=_keys(detail)):
            return f"{detail['@type']}: value types differ"
    return None


def _kinds(value: Any, prefix: str = "", only: set[str] | None = None) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = prefix + key
            if only is None or path in only:
                found[path] = _kind(item)
                found.update(_kinds(item, path + ".", only))
    return found


def normalise(text: str) -> str:
    return _SERVICE_ACCOUNT.sub("<service account>", _PROJECT.sub(r"\1<project>", text))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return type(value).__name__


def _keys(value: Any, prefix: str = "") -> set[str]:
    if not isinstance(value, dict):
        return set()
    found = set()
    for key, item in value.items():
        found.add(prefix + key)
        found |= _keys(item, f"{prefix}{key}.")
    return found


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _is_drive_create(interaction: Interaction) -> bool:
    return (
        interaction.host == "www.googleapis.com"
        and interaction.method == "POST"
        and interaction.path == "/drive/v3/files"
    )
