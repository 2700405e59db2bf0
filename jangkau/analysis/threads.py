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

import gc
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, TypeVar

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


def fork_is_safe() -> bool:
    """Return whether a forked process may share this one's work now.

    A fork copies only the calling thread: a lock another thread held at that
    moment (logging, an import, an event loop) would stay locked in the child
    for ever. So: only while this process runs a single thread, only when
    more than one thread is allowed (``JANGKAU_THREADS``), only where the
    platform forks.
    """
    return (
        thread_count() > 1
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def map_processes(
    function: Callable[[Item], Result],
    items: Iterable[Item],
    *,
    sizes: Sequence[float] | None = None,
) -> list[Result]:
    """Return ``[function(item) for item in items]``, on up to :func:`thread_count` processes.

    For pure-Python work that holds the GIL (the proposals' bound and swaps),
    where threads do not overlap. This process and forked children take the
    next item in turn as each finishes its last, so uneven items still share
    the cores; each child hands its results back when no item is left, and
    exits. Where a fork is not safe (:func:`fork_is_safe`) this is
    :func:`map_threads`. An item's error is raised here, after every worker
    has stopped.

    ``sizes`` (one per item, e.g. bytes to read) makes the largest items
    start first, so that a large one is not left to run alone at the end;
    the results keep the items' order.
    """
    items = list(items)
    if sizes is not None:
        order = sorted(range(len(items)), key=lambda index: -sizes[index])
        done = dict(zip(order, map_processes(function, [items[i] for i in order]), strict=True))
        return [done[index] for index in range(len(items))]
    workers = min(thread_count(), len(items))
    if workers <= 1 or not fork_is_safe():
        return map_threads(function, items)
    context = multiprocessing.get_context("fork")
    following = context.Value("q", 0)
    children = []
    for _ in range(workers - 1):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_work_in_child, args=(function, items, following, send))
        child.start()
        send.close()
        children.append((child, receive))
    results: dict[int, Result] = {}
    errors: list[BaseException] = []
    try:
        results.update(_take_items(function, items, following))
    except Exception as error:  # noqa: BLE001 - raised below, once the children are collected
        errors.append(error)
    for child, receive in children:
        try:
            outcome, payload = receive.recv()
        except EOFError:
            outcome, payload = "gagal", RuntimeError("proses anak berhenti tanpa hasil")
        receive.close()
        child.join()
        if outcome == "ok":
            results.update(payload)
        else:
            errors.append(payload)
    if errors:
        raise errors[0]
    return [results[index] for index in range(len(items))]


def _take_items(
    function: Callable[[Item], Result], items: list[Item], following: Any
) -> dict[int, Result]:
    done: dict[int, Result] = {}
    while True:
        with following.get_lock():
            index = following.value
            following.value += 1
        if index >= len(items):
            return done
        done[index] = function(items[index])


def _work_in_child(
    function: Callable[[Item], Result], items: list[Item], following: Any, send: Connection
) -> None:
    # As in :mod:`jangkau.pipeline.beside`: the inherited frames are not walked by the
    # collector of every child, nor their pages copied by it.
    gc.freeze()
    try:
        message = ("ok", _take_items(function, items, following))
    except Exception as error:  # noqa: BLE001 - handed to the parent, which raises it
        with following.get_lock():
            following.value = len(items)  # the others stop after their current item
        message = ("gagal", error)
    try:
        send.send(message)
    except Exception:  # noqa: BLE001 - an error that does not pickle still reaches the parent
        text = traceback.format_exception_only(message[1])[-1] if message[0] == "gagal" else ""
        send.send(("gagal", RuntimeError(text or "hasil proses anak tidak dapat dikirim")))
    send.close()
