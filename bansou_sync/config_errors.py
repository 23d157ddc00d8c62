"""How configuration values are checked, and how their problems are worded.

Every problem is one line naming the dotted key, in Japanese and English, then the value
that was given::

    budget.total_yen: 正の整数を指定してください / must be a positive integer (got "abc")

The checkers below are pydantic "before" validators that raise ``PydanticCustomError``
of type ``bansou`` carrying that wording; ``problems_from`` turns a ``ValidationError``
into such lines (its ``loc`` becomes the dotted key, list items ``[i]``).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from bansou_sync.core.normalize import usable_address
from bansou_sync.errors import ConfigError

JST = ZoneInfo("Asia/Tokyo")

_GENERIC = {  # pydantic's own error types that our checkers do not pre-empt
    "model_type": ("マッピング(キー: 値)を指定してください", "must be a mapping of keys to values"),
    "dict_type": ("マッピング(キー: 値)を指定してください", "must be a mapping of keys to values"),
    "list_type": ("リストを指定してください", "must be a list"),
    "tuple_type": ("リストを指定してください", "must be a list"),
    "string_type": ("文字列を指定してください", "must be text"),
    "missing": ("必須です", "is required"),
}


def shown(value: Any) -> str:
    """The value as the person typed it in YAML, short enough for one line."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (dict, list, tuple)):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def line(key: str, ja: str, en: str, *given: Any) -> str:
    got = f" (got {shown(given[0])})" if given else ""
    return f"{key}: {ja} / {en}{got}"


def fail(ja: str, en: str, value: Any) -> NoReturn:
    raise PydanticCustomError("bansou", "{text}", {"text": f"{ja} / {en} (got {shown(value)})"})


def dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems_from(error: ValidationError, prefix: tuple[str, ...] = ()) -> list[str]:
    problems = []
    for item in error.errors():
        key = dotted((*prefix, *item["loc"]))
        if item["type"] == "bansou":
            problems.append(f"{key}: {item.get('ctx', {}).get('text', item['msg'])}")
        else:
            ja, en = _GENERIC.get(item["type"], ("値が正しくありません", item["msg"]))
            problems.append(line(key, ja, en, item.get("input")))
    return problems


# --- checkers -----------------------------------------------------------------------


def integer(low: int, high: int | None = None) -> Callable[[Any], int]:
    if high is not None:
        ja, en = (
            f"{low}〜{high}の整数を指定してください",
            f"must be an integer from {low} to {high}",
        )
    elif low == 1:
        ja, en = "正の整数を指定してください", "must be a positive integer"
    else:
        ja, en = f"{low}以上の整数を指定してください", f"must be an integer of {low} or more"

    def check(value: Any) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            number = int(value)
        if number is None or number < low or (high is not None and number > high):
            fail(ja, en, value)
        return number

    return check


def _number(value: Any) -> float | None:
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if numeric or (isinstance(value, str) and re.fullmatch(r"\s*\d*\.?\d+\s*", value)):
        return float(value)
    return None


def seconds(value: Any) -> float:
    number = _number(value)
    if number is None or number <= 0:
        fail("0より大きい秒数を指定してください", "must be a number of seconds above 0", value)
    return number


def ratio(value: Any) -> float:
    number = _number(value)
    if number is None or not 0 < number <= 1:
        fail(
            "0より大きく1以下の数を指定してください",
            "must be a number above 0 and at most 1",
            value,
        )
    return number


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "off"}:
        return False
    fail("true または false を指定してください", "must be true or false", value)


def choice(*options: str, upper: bool = False) -> Callable[[Any], str]:
    listed = ", ".join(options)

    def check(value: Any) -> str:
        text = value.strip() if isinstance(value, str) else value
        if isinstance(text, str) and upper:
            text = text.upper()
        if text not in options:
            fail(f"次のいずれかを指定してください: {listed}", f"must be one of: {listed}", value)
        return str(text)

    return check


def text(value: Any) -> str:
    """Non-empty text; a number is accepted as its digits (IDs typed without quotes)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        fail("空でない文字列を指定してください", "must be non-empty text", value)
    return value.strip()


def email(value: Any) -> str:
    address = value.strip() if isinstance(value, str) else ""
    if not usable_address(address):  # the one definition (core.normalize, issue 10 §1)
        fail("メールアドレスの形式ではありません", "is not an email address", value)
    return address


def one_or_many(value: Any) -> Any:
    listed = [value] if isinstance(value, str) else value
    if isinstance(listed, list) and not listed:
        fail("少なくとも1つ指定してください", "must list at least one", value)
    return listed


RESPONDER_PREFIX = "1FAIpQL"  # the ID in a form's public /forms/d/e/<ID>/viewform link


def form_id(value: Any) -> str:
    """A form's edit ID; the responder ID of its public link is recognised and refused,
    since the Forms API knows a form only by the ID of its edit URL."""
    given = text(value)
    if given.startswith(RESPONDER_PREFIX):
        fail(
            "これは回答用リンク (…/forms/d/e/1FAIpQL…/viewform) の ID です。フォームの編集画面の"
            " URL (…/forms/d/<ID>/edit) の /d/ と /edit の間を書いてください",
            "this is the responder ID of the form's public link (…/forms/d/e/1FAIpQL…/viewform);"
            " use the ID between /d/ and /edit of the form's edit URL",
            value,
        )
    return given


def url(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://\S+", value.strip()):
        fail("URL(https://…)を指定してください", "must be a URL (https://…)", value)
    return value.strip()


def day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    fail("日付を YYYY-MM-DD で指定してください", "must be a date YYYY-MM-DD", value)


def moment(value: Any) -> datetime:
    """A date (00:00 JST that day) or a datetime (naive means JST), made aware in JST."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}\S*\s*", value):
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime):
        return value.replace(tzinfo=JST) if value.tzinfo is None else value.astimezone(JST)
    try:
        return datetime.combine(day(value), time(0), tzinfo=JST)
    except PydanticCustomError:
        fail(
            "日付(YYYY-MM-DD)または日時(YYYY-MM-DD HH:MM)を指定してください",
            "must be a date YYYY-MM-DD or a datetime YYYY-MM-DD HH:MM (JST unless offset given)",
            value,
        )


def crontab(value: Any) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        if not isinstance(value, str) or len(value.split()) != 5:
            raise ValueError(value)
        CronTrigger.from_crontab(value, timezone=JST)
    except (ValueError, TypeError):
        fail(
            "5項目の cron 式を指定してください",
            'must be a 5-field crontab such as "0 * * * *"',
            value,
        )
    return " ".join(value.split())


def path(value: Any, info: ValidationInfo) -> Path:
    """A path; relative ones are taken relative to the config file's folder."""
    if isinstance(value, Path):
        given = value
    elif isinstance(value, str) and value.strip():
        given = Path(value.strip())
    else:
        fail("パスを文字列で指定してください", "must be a file or folder path", value)
    base = (info.context or {}).get("base_dir")
    given = given.expanduser()
    return given if base is None or given.is_absolute() else Path(base) / given


# --- the file and its keys ----------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML, except that an impossible date (2022-02-30) stays text so that the
    checker of its key can name it, instead of failing the whole file."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class DuplicateKey(yaml.constructor.ConstructorError):
    """The same key twice in one mapping (e.g. two ``source:`` blocks pasted in): plain
    YAML keeps the last one silently, which would run on settings nobody meant."""

    def __init__(self, key: str, first: yaml.Mark, again: yaml.Mark) -> None:
        super().__init__(None, None, f"duplicate key {key}", again)
        self.key, self.first_line, self.line = key, first.line + 1, again.line + 1


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _value in node.value:  # the keys written here (a << merge may be overridden)
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key: construct_mapping reports it
            continue
        if first is not None:
            raise DuplicateKey(str(key), first, key_node.start_mark)
        seen[key] = key_node.start_mark
    loader.flatten_mapping(node)
    return loader.construct_mapping(node)


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def read_yaml(config_path: Path) -> dict[Any, Any]:
    """The file's top-level mapping; any trouble reading it is a one-line ConfigError."""

    def problem(ja: str, en: str) -> ConfigError:
        return ConfigError(f"{config_path}: {ja} / {en}")

    try:
        data = yaml.load(config_path.read_text(encoding="utf-8"), Loader=_Loader)
    except FileNotFoundError as exc:
        raise problem("設定ファイルが見つかりません", "configuration file not found") from exc
    except UnicodeDecodeError as exc:
        raise problem("UTF-8 のテキストではありません", "is not UTF-8 text") from exc
    except OSError as exc:
        raise problem("設定ファイルを読めません", f"cannot be read ({exc.strerror})") from exc
    except DuplicateKey as exc:
        raise ConfigError(
            f"{config_path}:{exc.line}: キー「{exc.key}」が {exc.first_line} 行目と {exc.line} 行目の"
            f"2 回あります。1 つにまとめてください / the key {exc.key} appears twice (lines "
            f"{exc.first_line} and {exc.line}): merge them into one"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = " ".join(str(getattr(exc, "problem", None) or exc).split())
        if mark is None:
            raise problem("YAML の書式に誤りがあります", f"YAML syntax error: {what}") from exc
        raise ConfigError(
            f"{config_path}:{mark.line + 1}: YAML の書式に誤りがあります / YAML syntax error:"
            f" {what} (line {mark.line + 1}, column {mark.column + 1})"
        ) from exc
    if data is None:  # an empty file: every key at its default
        return {}
    if not isinstance(data, dict):
        raise problem("「キー: 値」の形で書いてください", "must be a mapping of keys to values")
    return data


def unknown_keys(
    raw: Mapping[Any, Any], known: Mapping[str, Any], prefix: str = ""
) -> Iterator[str]:
    """Warnings for keys no model knows (a typo, or a key of a later version)."""
    for key, value in raw.items():
        if not isinstance(key, str) or key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f'; did you mean "{prefix}{close[0]}"?' if close else ""
            yield f"unknown key: {prefix}{key} (無視します / ignored{hint})"
            continue
        model = known[key]
        if isinstance(model, type) and issubclass(model, BaseModel) and isinstance(value, dict):
            fields = {n: f.annotation for n, f in model.model_fields.items()}
            fields |= {f.alias: f.annotation for f in model.model_fields.values() if f.alias}
            yield from unknown_keys(value, fields, f"{prefix}{key}.")
