"""The arrows between the layers, read from the imports (scripts/import_graph.py), and the
drawing of them in docs/architecture.md kept current.

A few modules still break a rule because the branch that fixes them is not merged yet;
each is named in ``AWAITING`` with that branch. An entry whose module no longer breaks
the rule fails the test too, so the list can only shrink: delete the entry then.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts/import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return module


graph = _load_script()
MODULES = graph.read_modules(ROOT)

ALLOWED: Mapping[str, set[str]] = {
    "core": {"core", "errors"},
    "app": {"app", "core", "ports", "errors", "crashpoints"},
    "adapters": {"adapters", "ports", "core", "errors", "crashpoints"},
    "emulator": {"emulator"},
}

# (rule, module) pairs that other branches of issue 12 fix
AWAITING: dict[tuple[str, str], str] = {}


def wrong_arrows() -> dict[str, list[str]]:
    found = {}
    for name, module in MODULES.items():
        allowed = ALLOWED.get(graph.layer_of(name))
        if allowed is None:
            continue
        bad = sorted(t for t in module.imports if graph.layer_of(t) not in allowed)
        if bad:
            found[name] = bad
    return found


def in_cycles() -> dict[str, list[str]]:
    return {member: ring for ring in graph.cycles(MODULES) for member in ring}


def too_long() -> dict[str, int]:
    return {
        name: m.lines
        for name, m in MODULES.items()
        if graph.layer_of(name) != "emulator" and m.lines > MAX_LINES
    }


def with_sqlite() -> set[str]:
    return {
        name
        for name, m in MODULES.items()
        if "sqlite3" in m.external and graph.layer_of(name) != "adapters"
    }


def unexpected(rule: str, offenders: Mapping[str, object] | set[str]) -> list[str]:
    return sorted(name for name in offenders if (rule, name) not in AWAITING)


def test_docs_architecture_is_the_graph_the_imports_draw_today() -> None:
    current = (ROOT / "docs/architecture.md").read_text("utf-8")
    assert current == graph.render(MODULES), "run scripts/import_graph.py"


def test_the_core_app_adapters_and_emulator_import_only_the_layers_beneath_them() -> None:
    wrong = wrong_arrows()
    assert {name: wrong[name] for name in unexpected("arrows", wrong)} == {}


def test_no_modules_import_each_other_in_a_ring() -> None:
    rings = in_cycles()
    assert {name: rings[name] for name in unexpected("cycle", rings)} == {}


def test_only_the_adapters_import_sqlite3() -> None:
    assert unexpected("sqlite3", with_sqlite()) == []


def test_no_module_outside_the_emulator_is_over_400_lines() -> None:
    long = too_long()
    assert {name: long[name] for name in unexpected("size", long)} == {}


def test_every_module_awaiting_another_branch_still_breaks_its_rule() -> None:
    """Once a branch's fix is merged, its entries go: a stale exception hides nothing."""
    offenders = {
        "arrows": set(wrong_arrows()),
        "cycle": set(in_cycles()),
        "sqlite3": with_sqlite(),
        "size": set(too_long()),
    }
    stale = sorted(f"{rule}: {name}" for rule, name in AWAITING if name not in offenders[rule])
    assert stale == [], "fixed: remove these from AWAITING"


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("bansou_sync.core.calendar", "core"),
        ("bansou_sync.ports", "ports"),
        ("bansou_sync.crashpoints", "crashpoints"),
        ("bansou_sync.app.run_once", "app"),
        ("bansou_sync.adapters.ledger", "adapters"),
        ("bansou_sync.setup_tools.doctor", "setup_tools"),
        ("bansou_sync.cli", "shell"),
        ("bansou_sync.bootstrap", "shell"),
        ("bansou_sync.config_policy", "shell"),
        ("bansou_sync.emulator.server", "emulator"),
    ],
)
def test_each_module_belongs_to_the_layer_its_place_says(module: str, layer: str) -> None:
    assert graph.layer_of(module) == layer


def test_the_reader_counts_imports_in_functions_and_skips_those_for_type_checking(
    tmp_path: Path,
) -> None:
    package = tmp_path / "bansou_sync"
    (package / "core").mkdir(parents=True)
    (package / "app").mkdir()
    for init in (package, package / "core", package / "app"):
        (init / "__init__.py").write_text("")
    (package / "core" / "rules.py").write_text("import sqlite3\n")
    (package / "app" / "cycle.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from bansou_sync.core import rules\n"
        "if TYPE_CHECKING:\n"
        "    from bansou_sync.app import hidden\n"
        "def later():\n"
        "    from . import step\n"
    )
    (package / "app" / "step.py").write_text("from .cycle import later\n")
    (package / "app" / "hidden.py").write_text("")
    modules = graph.read_modules(tmp_path)
    assert modules["bansou_sync.app.cycle"].imports == {
        "bansou_sync.core.rules",
        "bansou_sync.app.step",
    }
    assert modules["bansou_sync.core.rules"].external == {"sqlite3"}
    assert graph.cycles(modules) == [["bansou_sync.app.cycle", "bansou_sync.app.step"]]
