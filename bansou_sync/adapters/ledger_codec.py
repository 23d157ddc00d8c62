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
import operator
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bansou_sync.errors import LedgerError

R = TypeVar("R")
_NONE = type(None)


class _Mismatch(Exception):
    """A value does not fit the declared type (tried arm by arm for unions)."""


# ``json.dumps`` with these options, made once: with non-default options it builds a new
# ``JSONEncoder`` per call, and a backfill stores tens of thousands of records
RECORD_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False)


def dumps(record: object) -> str:
    """The JSON text of a dataclass instance."""
    try:
        data = _encode(record, type(record))
        return RECORD_JSON.encode(data)
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
    return _encoder(tp)(value)


_ENCODERS: dict[Any, Callable[[Any], Any]] = {}


def _encoder(tp: Any) -> Callable[[Any], Any]:
    """The encoding of values declared ``tp``, worked out once per type: a backfill
    stores 60,000 records, and reading the type hints again for each value was most of
    its ``save_state`` time (issue 5). Same rules as before, in the same order."""
    found = _ENCODERS.get(tp)
    if found is None:
        found = _ENCODERS[tp] = _build_encoder(tp)
    return found


class RecentTexts:
    """``render(moment)`` for a datetime, kept for the last few objects rendered: a cycle
    stamps thousands of records and messages with the same ``now`` object, and a record
    holds one object in several fields (submitted, effective); datetimes are immutable,
    so the same object has the same text (issue 5). Looked up by identity; an entry
    holds its object, so no other object has that id while the entry is there."""

    SIZE = 8  # a record's own moments and the cycle's ``now``

    def __init__(self, render: Callable[[datetime], str]) -> None:
        self._render = render
        self._recent: dict[int, tuple[datetime, str]] = {}

    def __call__(self, moment: datetime) -> str:
        entry = self._recent.get(id(moment))
        if entry is not None and entry[0] is moment:
            return entry[1]
        text = self._render(moment)
        if len(self._recent) >= self.SIZE:
            self._recent.clear()
        self._recent[id(moment)] = (moment, text)
        return text


def _mismatch(value: Any, tp: Any) -> _Mismatch:
    return _Mismatch(f"{value!r} is not a {tp}")


def _build_encoder(tp: Any) -> Callable[[Any], Any]:
    if tp is Any:
        return lambda value: value
    arms = _arms(tp)
    if arms is not None:
        encoders = [_encoder(arm) for arm in arms]

        def union(value: Any) -> Any:
            for encode in encoders:
                try:
                    return encode(value)
                except _Mismatch:
                    continue
            raise _mismatch(value, tp)

        if _NONE not in arms:
            return union

        def optional(value: Any) -> Any:
            # ``X | None`` holding None: every arm that takes None (None itself, Any)
            # gives None, so the answer is known without trying X first and catching its
            # mismatch — most optional fields are None (issue 5)
            return None if value is None else union(value)

        return optional
    origin, args = typing.get_origin(tp) or tp, typing.get_args(tp)
    if tp is _NONE:

        def none(value: Any) -> Any:
            if value is None:
                return None
            raise _mismatch(value, tp)

        return none
    if origin is datetime:
        text_of = RecentTexts(dump_datetime)

        def moment(value: Any) -> Any:
            if isinstance(value, datetime):
                return text_of(value)
            raise _mismatch(value, tp)

        return moment
    if origin is date:

        def day(value: Any) -> Any:
            if isinstance(value, date) and not isinstance(value, datetime):
                return value.isoformat()
            raise _mismatch(value, tp)

        return day
    if isinstance(origin, type) and issubclass(origin, enum.Enum):
        kind = origin

        def member(value: Any) -> Any:
            if isinstance(value, kind):
                return value.value
            raise _mismatch(value, tp)

        return member
    if _is_record_type(origin):
        record_type = origin
        # (field name, encoder, types stored as is) per field, and a getter of all values
        layout: list[tuple[list[tuple[str, Callable[[Any], Any], frozenset[Any]]], Any]] = []

        def record(value: Any) -> Any:
            if not isinstance(value, record_type):
                raise _mismatch(value, tp)
            if not layout:  # on first use: a record type may refer to itself
                hints = _hints(record_type)
                fields = [
                    (f.name, _encoder(hints[f.name]), _as_is(hints[f.name]))
                    for f in dataclasses.fields(record_type)
                    if f.init
                ]
                layout[:] = [(fields, _getter([name for name, _, _ in fields]))]
            fields, values_of = layout[0]
            data = {}
            # every field's value in one call (a backfill stores 60,000 records of ~40
            # fields); most hold a value stored as it is (text, a number, None): no call
            for (name, encode, as_is), item in zip(fields, values_of(value), strict=True):
                data[name] = item if type(item) in as_is else encode(item)
            return data

        return record
    if origin in (tuple, list):
        sequence = origin
        if origin is tuple and args and args[-1] is not Ellipsis:
            items = [_encoder(a) for a in args]

            def fixed(value: Any) -> Any:
                if not isinstance(value, sequence):
                    raise _mismatch(value, tp)
                if len(items) != len(value):
                    raise _Mismatch(f"{value!r} does not have {len(items)} items")
                return [encode(v) for v, encode in zip(value, items, strict=True)]

            return fixed
        item = _encoder(args[0] if args else Any)
        plain = _as_is(args[0]) if args else frozenset()

        def many(value: Any) -> Any:
            if isinstance(value, sequence):
                # items of a plain type (checkbox labels: text) are stored as they are
                if plain and plain.issuperset(map(type, value)):
                    return list(value)
                return [item(v) for v in value]
            raise _mismatch(value, tp)

        return many
    if origin is dict:
        values = _encoder(args[1] if args else Any)

        def mapping(value: Any) -> Any:
            if not isinstance(value, dict):
                raise _mismatch(value, tp)
            if not all(isinstance(k, str) for k in value):
                raise _Mismatch(f"dict keys must be text: {list(value)!r}")
            return {k: values(v) for k, v in value.items()}

        return mapping
    if origin in (str, int, float, bool):
        plain = origin

        def scalar(value: Any) -> Any:
            if _is_plain(value, plain):
                return value
            raise _mismatch(value, tp)

        return scalar
    return lambda value: _raise(_mismatch(value, tp))


_PLAIN = (str, int, float, bool)


def _as_is(tp: Any) -> frozenset[Any]:
    """The value types a field declared ``tp`` stores unchanged whichever arm takes them:
    its plain arms (exact types: no bool for int, no enum for str) and None if optional.
    Other arms never take a value of exactly these types, and ``Any`` keeps it as is."""
    arms = _arms(tp) or (tp,)
    return frozenset(arm for arm in arms if arm in _PLAIN or arm is _NONE)


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A record's values of ``names``, in that order, as one tuple."""
    if not names:
        return lambda value: ()
    get = operator.attrgetter(*names)
    if len(names) == 1:  # attrgetter of one name gives the value itself
        return lambda value: (get(value),)
    return get


def _raise(exc: Exception) -> Any:
    raise exc


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
