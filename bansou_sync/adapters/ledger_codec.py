"""JSON for the frozen records the ledger keeps, driven by their type hints.

A record is stored as a JSON object of its fields, each encoded by its *declared* type:

    datetime        ISO 8601 with its offset, plus the zone's name when it has one:
                    ``2022-06-01T10:00:00+09:00[Asia/Tokyo]``; a naive datetime is refused
    date            ``YYYY-MM-DD``
    enum            its value
    tuple / list    a list; ``dict[str, X]`` an object; a nested dataclass an object
    X | None, X | Y the first arm that fits
    Any             as is (it must already be JSON)

so a new field needs no code here. Fields missing from an older payload take their
dataclass defaults; keys no field claims (a field since removed) are ignored.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bansou_sync.errors import LedgerError

R = TypeVar("R")
_NONE = type(None)


class _Mismatch(Exception):
    """A value does not fit the declared type (tried arm by arm for unions)."""


def dumps(record: object) -> str:
    """The JSON text of a dataclass instance."""
    try:
        data = _encode(record, type(record))
        return json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (_Mismatch, LedgerError, TypeError, ValueError) as exc:
        raise LedgerError(f"cannot store {type(record).__name__}: {exc}") from exc


def loads(cls: type[R], text: str) -> R:
    """The ``cls`` instance stored as ``text`` by :func:`dumps`."""
    try:
        return typing.cast(R, _decode(json.loads(text), cls))
    except (_Mismatch, ValueError) as exc:
        raise LedgerError(f"a stored {cls.__name__} cannot be read: {exc}") from exc


def dump_datetime(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise LedgerError(f"naive datetime {value.isoformat()} (the ledger keeps aware times)")
    text = value.isoformat()
    if isinstance(value.tzinfo, ZoneInfo):
        text += f"[{value.tzinfo.key}]"
    return text


def load_datetime(text: str) -> datetime:
    base, _, zone = text.partition("[")
    value = datetime.fromisoformat(base)
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {text!r} in the ledger")
    if zone:
        try:
            return value.astimezone(ZoneInfo(zone.rstrip("]")))
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an unknown zone name: the fixed offset still gives the same instant
    return value


def utc_key(value: datetime) -> str:
    """A text that sorts like the instant it names (for ordering and range queries)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise LedgerError(f"naive datetime {value.isoformat()} (the ledger keeps aware times)")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _arms(tp: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(tp)
    return None


def _encode(value: Any, tp: Any) -> Any:
    if tp is Any:
        return value
    arms = _arms(tp)
    if arms is not None:
        for arm in arms:
            try:
                return _encode(value, arm)
            except _Mismatch:
                continue
        raise _Mismatch(f"{value!r} is not a {tp}")
    origin, args = typing.get_origin(tp) or tp, typing.get_args(tp)
    if tp is _NONE and value is None:
        return None
    if origin is datetime and isinstance(value, datetime):
        return dump_datetime(value)
    if origin is date and isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(origin, type) and issubclass(origin, enum.Enum) and isinstance(value, origin):
        return value.value
    if _is_record_type(origin) and isinstance(value, origin):
        hints = _hints(origin)
        return {
            f.name: _encode(getattr(value, f.name), hints[f.name])
            for f in dataclasses.fields(origin)
            if f.init
        }
    if origin in (tuple, list) and isinstance(value, origin):
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise _Mismatch(f"{value!r} does not have {len(args)} items")
            return [_encode(v, a) for v, a in zip(value, args, strict=True)]
        item = args[0] if args else Any
        return [_encode(v, item) for v in value]
    if origin is dict and isinstance(value, dict):
        value_type = args[1] if args else Any
        if not all(isinstance(k, str) for k in value):
            raise _Mismatch(f"dict keys must be text: {list(value)!r}")
        return {k: _encode(v, value_type) for k, v in value.items()}
    if origin in (str, int, float, bool) and _is_plain(value, origin):
        return value
    raise _Mismatch(f"{value!r} is not a {tp}")


def _is_record_type(tp: Any) -> typing.TypeGuard[type[Any]]:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _is_plain(value: Any, kind: type[Any]) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def _decode(data: Any, tp: Any) -> Any:
    if tp is Any:
        return data
    arms = _arms(tp)
    if arms is not None:
        for arm in arms:
            try:
                return _decode(data, arm)
            except _Mismatch:
                continue
        raise _Mismatch(f"{data!r} is not a {tp}")
    origin, args = typing.get_origin(tp) or tp, typing.get_args(tp)
    if tp is _NONE and data is None:
        return None
    if origin is datetime and isinstance(data, str):
        return _parsed(load_datetime, data)
    if origin is date and isinstance(data, str):
        return _parsed(date.fromisoformat, data)
    if isinstance(origin, type) and issubclass(origin, enum.Enum):
        return _parsed(origin, data)
    if _is_record_type(origin) and isinstance(data, dict):
        return _decode_record(origin, data)
    if origin in (tuple, list) and isinstance(data, list):
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(data):
                raise _Mismatch(f"{data!r} does not have {len(args)} items")
            return tuple(_decode(v, a) for v, a in zip(data, args, strict=True))
        item = args[0] if args else Any
        return origin(_decode(v, item) for v in data)
    if origin is dict and isinstance(data, dict):
        value_type = args[1] if args else Any
        return {k: _decode(v, value_type) for k, v in data.items()}
    if origin in (str, int, float, bool) and _is_plain(data, origin):
        return float(data) if origin is float else data
    raise _Mismatch(f"{data!r} is not a {tp}")


def _parsed(parse: Any, data: Any) -> Any:
    try:
        return parse(data)
    except (TypeError, ValueError) as exc:
        raise _Mismatch(str(exc)) from exc


def _decode_record(cls: type[Any], data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.name in data:
            values[f.name] = _decode(data[f.name], hints[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _Mismatch(f"{cls.__name__}.{f.name} is missing and has no default")
    return cls(**values)
