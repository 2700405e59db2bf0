"""Threads for the geometry stages: GEOS releases the GIL inside shapely's vectorised calls.

Services are independent, so coverage and proposed sites work on several
services at once. ``JANGKAU_THREADS`` caps the count (the command line sets
it when it runs regions in several processes, so they do not oversubscribe
the cores).

A prepared geometry (``shapely.prepare``) builds its indexes lazily and must
not be used by two threads at once: work run here prepares only geometries
it created itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def thread_count() -> int:
    """Return the threads to use: ``JANGKAU_THREADS``, or the cores this process may run on."""
    stated = os.environ.get("JANGKAU_THREADS")
    if stated:
        return max(1, int(stated))
    return max(1, len(os.sched_getaffinity(0)))


def map_threads(function: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
    """Return ``[function(item) for item in items]``, computed on up to :func:`thread_count` threads."""
    items = list(items)
    workers = min(thread_count(), len(items))
    if workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))
