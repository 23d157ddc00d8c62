"""Small-cell suppression for published counts (SPEC §8): primary and complementary.

The algorithm is **threshold primary suppression followed by greedy complementary
suppression checked by interval (Fréchet-bound) audit**, one published table at a time:

1. *Primary*: every count ``1 … min_cell−1`` is hidden and shown as ``<5``; so is, as
   ``秘匿``, every larger count made by fewer than ``min_cell`` distinct supporters or
   clients (``people``: one volunteer's five applications are one person's, SPEC §8).
2. *Audit*: a reader knows, for each hidden cell, its bounds (``<5`` → 1 … min_cell−1;
   ``秘匿`` → min_cell … total, whether hidden for its people or as a complement) and
   the table's published relation: a **partition** (the cells add up to the published
   total exactly, e.g. 月別) or a **cover** (each record has at least one item, so the
   cells add up to *at least* the total, e.g. 相談内容).
   With one linear relation over interval bounds, the exact range of a hidden cell is
   ``[max(lo, S − Σ others' hi), min(hi, S − Σ others' lo)]`` (every integer in it is
   reachable), so the audit is exact, not a heuristic.
3. *Complementary*: while the audit finds a hidden cell with a single possible value,
   the smallest cell still shown is hidden too (shown as ``秘匿``).
4. If every cell is hidden and one is still pinned (e.g. five categories of one record
   each out of five), the table is withheld as a whole.

Every table shares only its total with the others (different breakdowns of the same
records), so protecting each table against its own relation protects the whole set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

SMALL, SECRET = "<{n}", "秘匿"


class Relation(StrEnum):
    PARTITION = "partition"  # the cells add up to the total
    COVER = "cover"  # the cells add up to at least the total (multiple answers)
    NONE = "none"  # no published relation between the cells


@dataclass(frozen=True)
class Suppressed:
    shown: dict[str, int | str]  # each cell's published value: a count, ``<5`` or 秘匿
    withheld: bool = False  # the table cannot be published safely at all


def bounds(
    counts: Mapping[str, int],
    hidden: set[str],
    min_cell: int,
    total: int,
    caps: Mapping[str, int] | None = None,
) -> dict[str, tuple[int, int]]:
    """What a reader knows of each hidden cell from its published label alone (and from
    ``caps``: an upper bound another published figure gives, e.g. the volunteers of a
    prefecture for those of them who worked)."""
    limits = {k: (1, min_cell - 1) if counts[k] < min_cell else (min_cell, total) for k in hidden}
    if caps:
        limits = {k: (lo, min(hi, caps.get(k, hi))) for k, (lo, hi) in limits.items()}
    return limits


def ranges(
    counts: Mapping[str, int],
    hidden: set[str],
    min_cell: int,
    total: int,
    relation: Relation,
    caps: Mapping[str, int] | None = None,
) -> dict[str, tuple[int, int]]:
    """The exact range of values each hidden cell can take given everything published."""
    limits = bounds(counts, hidden, min_cell, total, caps)
    if relation is Relation.NONE:
        return limits
    rest = total - sum(v for k, v in counts.items() if k not in hidden)
    result: dict[str, tuple[int, int]] = {}
    for key, (low, high) in limits.items():
        others = [b for k, b in limits.items() if k != key]
        least = max(low, rest - sum(h for _, h in others))
        most = high if relation is Relation.COVER else min(high, rest - sum(lo for lo, _ in others))
        result[key] = (least, most)
    return result


def pinned(
    counts: Mapping[str, int],
    hidden: set[str],
    min_cell: int,
    total: int,
    relation: Relation,
    caps: Mapping[str, int] | None = None,
) -> bool:
    """Whether some hidden cell has only one value consistent with what is published."""
    limits = ranges(counts, hidden, min_cell, total, relation, caps)
    return any(lo >= hi for lo, hi in limits.values())


def suppress_table(
    counts: Mapping[str, int],
    min_cell: int,
    total: int,
    relation: Relation,
    people: Mapping[str, int] | None = None,
    caps: Mapping[str, int] | None = None,
) -> Suppressed:
    """Hide small counts and cells of too few people (``people``: per cell, the fewer of
    its distinct supporters and clients), then enough others that none can be worked
    out (module doc; ``caps``: ``bounds``)."""
    hidden = {k for k, v in counts.items() if 0 < v < min_cell}
    if people is not None:
        hidden |= {k for k, v in counts.items() if v >= min_cell and people[k] < min_cell}
    if hidden and relation is not Relation.NONE:
        # a complement capped at min_cell would be pinned by its cap alone: never chosen
        others = sorted(
            (v, k)
            for k, v in counts.items()
            if k not in hidden and v > 0 and (caps or {}).get(k, total) > min_cell
        )
        while others and pinned(counts, hidden, min_cell, total, relation, caps):
            hidden.add(others.pop(0)[1])
        if pinned(counts, hidden, min_cell, total, relation, caps):
            return Suppressed(shown={}, withheld=True)
    shown: dict[str, int | str] = {}
    for key, value in counts.items():
        if key not in hidden:
            shown[key] = value
        else:
            shown[key] = SMALL.format(n=min_cell) if value < min_cell else SECRET
    return Suppressed(shown=shown)


def small(value: int, min_cell: int) -> int | str:
    """A lone count: shown, or ``<5`` when it is 1 … min_cell−1."""
    return SMALL.format(n=min_cell) if 0 < value < min_cell else value
