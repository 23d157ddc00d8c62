"""The process's garbage collector, set for what a cycle does. A process concern: the
shell's (``cli``, ``service``), never the cycle's.

A cycle allocates millions of objects that live exactly as long as the cycle or longer —
the Forms pages and their responses, the records, the rows of each tab, the request
bodies — and makes few reference cycles (what it drops, reference counting frees at
once). CPython's cyclic collector runs its young generation every 700 net allocations of
tracked objects and then walks everything that survived: in a backfill it walked the same
live records over and over: ≈ 18 % of a 60k backfill's daemon CPU, ≈ 25 % at 20k
(docs/benchmarks.md, "The 60k backfill, third pass").
"""

from __future__ import annotations

import gc

# Net allocations between young collections (CPython's default is 700): at most this
# many young objects (a few MB) wait a little longer to be collected, and a cycle that
# builds a million records is walked ≈ 30 times less often. The older generations keep
# their defaults, so a full collection still follows growth of the heap by a quarter.
# 60k backfill (loaded machine, one run each): 700 → 56.7 s CPU, 489 MB peak; 20,000 →
# 46.1 s, 496 MB; 50,000 → 46.7 s, 501 MB (issue 5's peak target is 500 MB).
YOUNG_THRESHOLD = 20_000
COLLECT_EVERY = 60  # cycles: an hour of a service cycling every minute
_settled = 0  # cycles settled in this process


def tune_collector() -> None:
    """Run the young generation every ``YOUNG_THRESHOLD`` allocations, not every 700;
    called once by the command line before any command runs."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def settle_heap() -> None:
    """After a cycle: take what survived it (the state, the projection, the caches kept in
    ``WarmCycle``: millions of objects for a long history) out of the garbage collector's
    full passes, which otherwise walk all of it whenever enough new objects survive — at
    an unpredictable moment, e.g. in the middle of the next read. Every
    ``COLLECT_EVERY`` cycles the frozen objects are collected once, so cyclic garbage
    frozen in between is not kept for ever."""
    global _settled
    _settled += 1
    if _settled % COLLECT_EVERY == 0:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
