"""How the intake process runs its garbage collector (measured in ``bench/intake_bench.py``)."""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 50, 100)  # a young-generation pass per 50,000 allocations, not 700


def settle_garbage_collector() -> None:
    """Once started: the start-up objects are long-lived, so move them out of the collector's
    way, and collect the young generation less often (validating a message allocates many
    short-lived objects, freed by reference counting)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
