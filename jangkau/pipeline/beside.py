"""Work done in a second process while the run goes on (the printed documents of a publish).

Publishing writes outputs that do not depend on each other. The workbook and
the PDF are pure Python (openpyxl/xlsxwriter, reportlab), which hold the GIL, so threads would
not overlap them with the GeoPackage and the map page; a forked process does,
on the second core, and sees the frames already in memory without copying
or pickling them. The workbook and the PDF each run in a process of their
own, started as soon as their inputs exist; :func:`results` collects them.

A fork is only safe while the process has a single thread
(:func:`~jangkau.analysis.threads.fork_is_safe`), so under Prefect's thread
runner, or when ``JANGKAU_THREADS`` asks for one thread, the work is done in
this process instead, at the same point and with the same result.

The child writes only into the run's work folder, with plain writes and no
renames: the caller moves the finished files into the run folder, so every
step that publishes stays in the one process that holds the region's lock.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from jangkau.analysis.threads import fork_is_safe


class Beside:
    """A call running in a forked process, or already done here; :meth:`result` waits for it."""

    def __init__(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        self._process = None
        self._value: Any = None
        self._error: BaseException | None = None
        if not fork_is_safe():
            try:
                self._value = function(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - raised again by result(), in order
                self._error = error
            return
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child, args=(send, function, args, kwargs), daemon=False
        )
        self._process.start()
        send.close()

    def result(self) -> Any:
        """Return the call's value, or raise its error here."""
        if self._process is not None:
            try:
                outcome, payload = self._receive.recv()
            except EOFError:
                outcome, payload = "gagal", RuntimeError("proses pendamping berhenti tanpa hasil")
            finally:
                self._receive.close()
                self._process.join()
                self._process = None
            if outcome == "ok":
                self._value = payload
            else:
                self._error = payload
        if self._error is not None:
            raise self._error
        return self._value


class Started:
    """The jobs a block starts: if the block leaves by an error, each is waited for first.

    So no child is still writing into the work folder once the error leaves
    the block, whatever the error: a failed step, Ctrl-C (the child stops
    too), a cancelled flow. The children's own errors give way to it.
    """

    def __init__(self) -> None:
        self._jobs: list[Beside] = []

    def __enter__(self) -> Started:
        return self

    def start(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Beside:
        """Start ``function`` as a :class:`Beside` job of this block."""
        job = Beside(function, *args, **kwargs)
        self._jobs.append(job)
        return job

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            return
        for job in self._jobs:
            with contextlib.suppress(BaseException):
                job.result()


def results(*jobs: Beside) -> list[Any]:
    """Return every job's value, in order, once all have ended; raise the first error then.

    Waiting for all before raising leaves no process still writing into the
    work folder when the caller stops.
    """
    values: list[Any] = []
    errors: list[BaseException] = []
    for job in jobs:
        try:
            values.append(job.result())
        except Exception as error:  # noqa: BLE001 - raised below, once every job has ended
            errors.append(error)
    if errors:
        raise errors[0]
    return values


def _child(send: Connection, function: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    # Everything inherited from the parent lives until the child exits: frozen, the
    # collector no longer walks it (seconds, for a province's frames) nor writes to
    # its pages, which would copy them.
    gc.freeze()
    # The parent, still publishing, is the longer path: on two cores, three processes of
    # equal priority would give it two thirds of a core while both documents are drawn
    # (measured in docs/ARCHITECTURE.md, "Forked work").
    os.nice(10)
    try:
        message = ("ok", function(*args, **kwargs))
    except Exception as error:  # noqa: BLE001 - handed to the parent, which raises it
        message = ("gagal", error)
    try:
        send.send(message)
    except Exception:  # noqa: BLE001 - an error that does not pickle still reaches the parent
        send.send(("gagal", RuntimeError(traceback.format_exception_only(message[1])[-1])))
    send.close()
