"""docs/interpretations.md names, for each programme rule P1–P14, the one function that
holds it and the announcement's words; the table cannot go stale: each function exists
and its docstring quotes those words."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "interpretations.md"
SPEC_RULES = [f"P{n}" for n in range(1, 15)]
ROW = re.compile(r"^\| (P\d+) \| `([\w.]+)` \| 「(.+?)」 \| (.+) \|$")


def rule_table() -> dict[str, tuple[str, str]]:
    """rule → (dotted function under bansou_sync, the quoted words)."""
    table: dict[str, tuple[str, str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rule, function, words, _ = match.groups()
            assert rule not in table, f"{rule} is listed twice"
            table[rule] = (function, words)
    return table


def resolve(dotted: str) -> object:
    module_name, _, name = f"bansou_sync.{dotted}".rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def test_the_table_lists_each_rule_p1_to_p14_once() -> None:
    assert list(rule_table()) == SPEC_RULES


@pytest.mark.parametrize("rule", SPEC_RULES)
def test_each_rule_is_a_function_whose_docstring_quotes_the_announcement(rule: str) -> None:
    function_name, words = rule_table()[rule]
    function = resolve(function_name)
    assert inspect.isfunction(function), f"{rule}: {function_name} is not a function"
    docstring = inspect.getdoc(function) or ""
    flat = " ".join(docstring.split())  # a quote may wrap across docstring lines
    assert f"「{words}」" in flat, f"{rule}: {function_name} does not quote 「{words}」"


def test_each_rule_lives_in_the_functional_core() -> None:
    assert all(f.startswith("core.") for f, _ in rule_table().values())


def test_a_function_named_for_a_rule_that_does_not_exist_is_caught() -> None:
    with pytest.raises(AttributeError):
        resolve("core.judge.no_such_rule")
