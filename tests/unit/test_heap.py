"""The garbage collector's settings are the shell's: the command line sets them once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from bansou_sync import cli, heap


@pytest.fixture
def default_collector() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def test_a_command_runs_with_the_young_generation_collected_every_20000_allocations(
    default_collector: None, tmp_path: Path
) -> None:
    code = cli.main(["check-config", "--config", str(tmp_path / "missing.yaml")])
    assert code != 0  # a missing file is a user's mistake, reported; the setting still holds
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, 10, 10)


def test_the_older_generations_keep_the_thresholds_they_had(default_collector: None) -> None:
    gc.set_threshold(700, 7, 9)
    heap.tune_collector()
    assert gc.get_threshold() == (20_000, 7, 9)


def test_settling_the_heap_freezes_what_survived_the_cycle(default_collector: None) -> None:
    gc.unfreeze()
    kept = [object() for _ in range(1000)]
    heap.settle_heap()
    assert gc.get_freeze_count() >= len(kept)
