"""Cell values: what a user entered, and how Google renders it back.

A cell holds what was entered: text, a number, a boolean, a date (a serial number with
the pattern it was typed in) or a formula. ``RAW`` input keeps JSON strings as text;
``USER_ENTERED`` parses them as the Sheets UI does: numbers (``1,234``, ``50%``,
``007`` → 7), ``TRUE``/``FALSE``, ISO-like dates and date-times, ``=`` formulas, and a
leading ``'`` that forces text and is not shown.

Formulas: only arithmetic over number literals is evaluated (``=1+2*3`` → 7); any other
formula renders as its own text — a documented gap, the project never writes formulas.
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+|\d*\.\d+|\d+\.\d*)([eE][+-]?\d+)?%?$")
_DATE = re.compile(r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_EPOCH = dt.datetime(1899, 12, 30)


@dataclass(frozen=True)
class Number:
    value: float
    style: str = ""  # "" automatic, "thousands" (typed 1,234), "percent" (typed 50%)


@dataclass(frozen=True)
class DateTime:
    serial: float
    pattern: str  # strftime pattern the user typed it in


@dataclass(frozen=True)
class Formula:
    text: str  # with the leading "="


CellValue = str | bool | Number | DateTime | Formula


def from_raw(value: Any) -> CellValue | None:
    """A JSON value written with ``valueInputOption=RAW`` (``""`` clears the cell)."""
    if value.__class__ is str:  # the usual value: itself (a backfill writes millions)
        return value if value != "" else None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Number(float(value))
    text = str(value)
    return text if text != "" else None


def from_user_entered(value: Any) -> CellValue | None:
    """A JSON value written with ``USER_ENTERED``: strings parsed as the UI does."""
    if not isinstance(value, str):
        return from_raw(value)
    text = value
    if text == "":
        return None
    if text.startswith("'"):
        return text[1:]
    if text.startswith("=") and len(text) > 1:
        return Formula(text)
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    stripped = text.strip()
    if _NUMBER.match(stripped):
        return _parse_number(stripped)
    date = _parse_date(stripped)
    return date if date is not None else text


def _parse_number(text: str) -> Number:
    percent = text.endswith("%")
    digits = text.rstrip("%").replace(",", "")
    number = float(digits)
    if percent:
        return Number(number / 100, "percent")
    return Number(number, "thousands" if "," in text else "")


def _parse_date(text: str) -> DateTime | None:
    match = _DATE.match(text)
    if not match:
        return None
    year, sep, month, day, hour, minute, second = match.groups()
    try:
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    pattern = f"%Y{sep}%m{sep}%d" + (" %H:%M:%S" if hour is not None else "")
    serial = (moment - _EPOCH).total_seconds() / 86400
    return DateTime(serial, pattern)


def format_number(value: float) -> str:
    """Google's automatic number format: ``1`` not ``1.0``, at most 10 decimals."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def json_number(value: float) -> int | float:
    return int(value) if value == int(value) and abs(value) < 2**53 else value


def render(
    cell: CellValue | None,
    value_render: str = "FORMATTED_VALUE",
    date_render: str = "SERIAL_NUMBER",
) -> Any:
    """One cell of a ``ValueRange`` in the requested render option ("" when empty)."""
    if cell is None:
        return ""
    if isinstance(cell, Formula):
        if value_render == "FORMULA":
            return cell.text
        result = evaluate(cell.text)
        if result is None:
            return cell.text
        return format_number(result) if value_render == "FORMATTED_VALUE" else json_number(result)
    if value_render == "FORMATTED_VALUE":
        return formatted(cell)
    if isinstance(cell, Number):
        return json_number(cell.value)
    if isinstance(cell, DateTime):
        if date_render == "FORMATTED_STRING":
            return formatted(cell)
        return json_number(cell.serial)
    return cell


def formatted(cell: CellValue) -> str:
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, Number):
        if cell.style == "percent":
            return format_number(round(cell.value * 100, 10)) + "%"
        if cell.style == "thousands" and cell.value == int(cell.value):
            return f"{int(cell.value):,}"
        return format_number(cell.value)
    if isinstance(cell, DateTime):
        moment = _EPOCH + dt.timedelta(days=cell.serial)
        return moment.strftime(cell.pattern)
    if isinstance(cell, Formula):
        return str(render(cell))
    return cell


def extended_value(cell: CellValue) -> dict[str, Any]:
    """The cell as an ``ExtendedValue`` (``userEnteredValue`` in grid data)."""
    if isinstance(cell, bool):
        return {"boolValue": cell}
    if isinstance(cell, Number):
        return {"numberValue": json_number(cell.value)}
    if isinstance(cell, DateTime):
        return {"numberValue": json_number(cell.serial)}
    if isinstance(cell, Formula):
        return {"formulaValue": cell.text}
    return {"stringValue": cell}


def from_extended_value(value: dict[str, Any]) -> CellValue | None:
    if "formulaValue" in value:
        return Formula(str(value["formulaValue"]))
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "numberValue" in value:
        return Number(float(value["numberValue"]))
    if "stringValue" in value:
        return str(value["stringValue"]) or None
    return None


def sort_key(cell: CellValue | None) -> tuple[int, Any]:
    """Google's sort order: numbers and dates, then text (case-insensitive), then
    booleans; blanks always last whatever the direction (the caller keeps them last)."""
    if isinstance(cell, bool):
        return (2, cell)
    if isinstance(cell, Number):
        return (0, cell.value)
    if isinstance(cell, DateTime):
        return (0, cell.serial)
    if isinstance(cell, Formula):
        result = evaluate(cell.text)
        return (0, result) if result is not None else (1, cell.text.lower())
    return (1, str(cell).lower())


_OPERATORS: dict[type, Callable[..., float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def evaluate(formula: str) -> float | None:
    """``=1+2*3`` → 7.0; anything but arithmetic over literals → None."""
    try:
        tree = ast.parse(formula[1:].replace("^", "**"), mode="eval")
        return _eval(tree.body)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
        return None


def _eval(node: ast.expr) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return float(_OPERATORS[type(node.op)](_eval(node.left), _eval(node.right)))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return float(_OPERATORS[type(node.op)](_eval(node.operand)))
    raise ValueError("not arithmetic")
