"""Republishing the live files after reports: one update at a time, bursts coalesced.

Every accepted report asks for an update; a single background task reads all
reports, recomputes (in a worker thread: the geometry releases the GIL) and
writes the live files. Reports arriving during an update are all taken by the
next one, so a burst of 200 reports costs a few updates, not 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

from jangkau.pantau.baseline import Baseline, published_run, read_baseline
from jangkau.pantau.files import report_layer, write_live_files, write_status_json
from jangkau.pantau.series import CoverageHistory
from jangkau.pantau.state import live_state
from jangkau.pantau.store import Store
from jangkau.pantau.vocabulary import Vocabulary, load_vocabulary

LOG = logging.getLogger("jangkau.pantau")
# How often, without reports, the service looks for a newly published full run.
BASELINE_CHECK_S = 5.0
# How long an update waits for more reports before it starts (well inside the 2 s goal).
GATHER_S = 0.2


@dataclass
class Place:
    """Where a region's outputs are: ``data/processed/NAME`` and ``maps/NAME``."""

    region: str
    processed: Path
    maps: Path | None


class Updater:
    """Keeps ``status.json`` and ``status.gpkg`` in step with the database."""

    def __init__(
        self,
        place: Place,
        store: Store,
        vocabulary: Vocabulary,
        *,
        on_update: Callable[[dict], object] | None = None,
    ) -> None:
        self.place = place
        self.store = store
        self.vocabulary = vocabulary
        self.baseline: Baseline = read_baseline(place.processed)
        self.applied = -1
        self.document: dict | None = None
        self._wanted = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._idle = asyncio.Event()
        self._known: list[dict] = []
        self._full_read = True
        # Called with each new status.json document, in a thread, in order (notifications).
        self.on_update = on_update
        self._told: asyncio.Task | None = None
        self.history = CoverageHistory(store)
        # The recompute runs in its own process: pandas and GEOS would otherwise hold
        # the interpreter lock the web answers need, and answers must stay fast.
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=get_context("spawn"),
            initializer=_follow_parent,
            initargs=(os.getpid(),),
        )

    def current_baseline(self) -> Baseline:
        """Return the published run, re-read when a new full run has been published since."""
        if published_run(self.place.processed) != self.baseline.run:
            self.baseline = read_baseline(self.place.processed)
        return self.baseline

    async def update_now(self) -> dict:
        """Recompute from every report in the database and write the live files."""
        reports = await self._reports()
        await asyncio.to_thread(self.current_baseline)
        loop = asyncio.get_running_loop()
        document = await loop.run_in_executor(
            self._pool, functools.partial(publish_live, self.place, reports, status_json=False)
        )
        if self.baseline.run == document["hasil_dasar"]:  # else a run came meanwhile: next time
            await self.history.record(self.baseline, self.place.processed, document)
        # Last: whoever sees status.json name a report finds that state's coverage recorded.
        await asyncio.to_thread(write_status_json, self.place.processed, self.place.maps, document)
        self.document = document
        self.applied = document["laporan_terakhir"]
        if self.on_update is not None:
            # Not awaited: a slow mail server must not hold the next update.
            self._told = asyncio.create_task(_tell(self._told, self.on_update, document))
        return document

    async def _reports(self) -> list[dict]:
        """Return every report: those already read, and the newer ones from the database.

        Reports are only ever added, except a resident's report being verified,
        after which everything is read again (:meth:`reread`). Ids grow in commit order
        because this process is the only writer and commits one batch at a time.
        """
        if self._full_read:
            self._known = await self.store.reports()
            self._full_read = False
        else:
            newest = max((r["id"] for r in self._known), default=0)
            self._known = self._known + await self.store.reports(after_id=newest)
        return self._known

    def reread(self, *, update: bool = True) -> None:
        """Read every report again at the next update (a stored report changed); ask for it."""
        self._full_read = True
        if update:
            self.request()

    def request(self) -> None:
        """Ask for an update (returns at once)."""
        self._idle.clear()
        self._wanted.set()

    def start(self) -> None:
        """Start the background task."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop the background task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._told is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._told, timeout=30)
        self._pool.shutdown(wait=True, cancel_futures=True)

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wanted.wait(), timeout=BASELINE_CHECK_S)
            except TimeoutError:
                # No report: has a full run been published meanwhile? Then its figures,
                # with the current statuses on top, become the live state.
                try:
                    changed = published_run(self.place.processed) != self.baseline.run
                except Exception:  # a run is switching the pointer; look again later
                    changed = False
                if not changed:
                    continue
            # Let a burst gather: one update for the reports of the next moment, not one each.
            await asyncio.sleep(GATHER_S)
            self._wanted.clear()
            try:
                await self.update_now()
            except Exception:  # the service keeps taking reports; the next update retries
                LOG.exception("pembaruan status gagal")
            if not self._wanted.is_set():
                self._idle.set()


async def _tell(previous: asyncio.Task | None, listener: Callable[[dict], object], document: dict):
    """Run ``listener`` on ``document`` after the previous one finished; log a failure."""
    if previous is not None:
        await asyncio.gather(previous, return_exceptions=True)
    try:
        await asyncio.to_thread(listener, document)
    except Exception as error:  # the update itself is done and written
        LOG.warning("tindak lanjut pembaruan gagal: %s", error)


_WORKER_STATE: dict[str, object] = {}


def _follow_parent(parent: int) -> None:
    """End the update process when the service dies, even by ``kill -9`` (nothing tells it)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def publish_live(place: Place, reports: list[dict], *, status_json: bool = True) -> dict:
    """Compute the live state and write the live files (runs in the update process).

    With ``status_json=False`` the caller writes ``status.json`` from the
    returned document (:func:`jangkau.pantau.files.write_status_json`).

    The published run is read once per process and again only when a new run
    is published; per-service results are kept for the same set of assets out.
    """
    run = published_run(place.processed)
    if _WORKER_STATE.get("run") != (place.processed, run):
        _WORKER_STATE.update(
            run=(place.processed, run),
            baseline=read_baseline(place.processed),
            cache={},
            vocabulary=_WORKER_STATE.get("vocabulary") or load_vocabulary(),
        )
    baseline = _WORKER_STATE["baseline"]
    document, layer = live_state(
        baseline,
        reports,
        vocabulary=_WORKER_STATE["vocabulary"],
        region=place.region,
        now=datetime.now(UTC),
        cache=_WORKER_STATE["cache"],
    )
    write_live_files(
        place.processed,
        place.maps,
        document=document,
        status_layer=layer,
        reports=report_layer(reports, baseline.aset),
        status_json=status_json,
    )
    return document
