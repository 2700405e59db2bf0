"""One run of a region at a time: an OS file lock on ``data/processed/NAME/.kunci``.

The lock is ``fcntl.flock`` on a file that is never deleted. The kernel drops it
when the holding process ends, however it ends (``kill -9`` included), so no
stale lock can outlive a run and no clean-up is needed. The holder writes its
pid and start time into the file, so that a second run can say which run it
waits for.

``flock`` locks belong to an open file description, so two threads of one
process (two flow runs in one Prefect process) exclude each other like two
processes do. The same thread taking the lock again while holding it would
wait for itself; such nested acquisitions are counted instead, and only the
outermost one takes the OS lock.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from jangkau.errors import RegionBusyError

LOCK_NAME = ".kunci"

_held: dict[tuple[Path, int], int] = {}
_guard = threading.Lock()


def _holder(lock_file: Path) -> str:
    """Describe the run holding ``lock_file`` from what it wrote there."""
    try:
        text = lock_file.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "pid dan waktu mulai belum tercatat"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def region_lock(
    processed: Path,
    *,
    region: str,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Path]:
    """Hold the region's lock for the duration of the ``with`` block.

    Parameters
    ----------
    processed
        The region's ``data/processed/NAME`` folder (created if missing).
    region
        Region name, for the message.
    wait
        Wait for a running run to end (default); else raise :class:`RegionBusyError`.
    on_wait
        Receives the one-line message said before waiting (default: standard error).

    Raises
    ------
    RegionBusyError
        When ``wait`` is false and another process holds the lock.
    """
    processed.mkdir(parents=True, exist_ok=True)
    lock_file = (processed / LOCK_NAME).resolve()
    key = (lock_file, threading.get_ident())
    with _guard:
        if key in _held:
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield lock_file
        finally:
            with _guard:
                _held[key] -= 1
        return
    handle = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            running = _holder(lock_file)
            if not wait:
                raise RegionBusyError(
                    f"wilayah {region} sedang diproses oleh proses lain ({running}); "
                    "tidak menunggu (--tanpa-tunggu)"
                ) from None
            (on_wait or _say)(
                f"jangkau: wilayah {region} sedang diproses oleh proses lain ({running}); "
                "menunggu sampai selesai …"
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"pid {os.getpid()}, mulai {started}\n".encode(), 0)
        with _guard:
            _held[key] = 1
        try:
            yield lock_file
        finally:
            with _guard:
                del _held[key]
    finally:
        # Closing the descriptor releases the lock; the file stays (deleting it would race).
        os.close(handle)
