"""Python's cyclic garbage collector, paused while minigraph builds a large structure.

CPython frees most objects by reference counting; a separate *cyclic* collector
finds groups of objects that refer to each other. It runs after every so many new
objects, and its oldest generation, collected less and less often, scans every live
object each time. Making a plan allocates a few objects per op (nodes, tuples,
dictionaries), and while it does, the whole graph is alive: a plan of 100,000 ops
spent over a third of its time in collections that found nothing to free, and the
cost per op grew with the graph (38 µs per op at 10,000 ops, 45 at 100,000; 23 and 26
with the collector paused). ``mg.gradients``, adding its nodes, did the same.

``paused()`` turns the collector off for a block and back on after it, if it was on;
as a decorator (``@collector.paused()``), for every call of a function. Sessions make
their plans so, and ``mg.gradients`` builds its nodes so. Nothing is leaked: a cycle
made inside the block is collected at the next collection after it. (The collector
is one per process, so another thread's allocations in that moment are not
collected either; they will be at the next collection.)
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """``with paused():`` runs the block with Python's cyclic collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
