"""Republishing the live files after reports: one update at a time, bursts coalesced.

Every accepted report asks for an update; a single background task reads all
reports, recomputes (in a worker thread: the geometry releases the GIL) and
writes the live files. Reports arriving during an update are all taken by the
next one, so a burst of 200 reports costs a few updates, not 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jangkau.pantau.baseline import Baseline, published_run, read_baseline
from jangkau.pantau.files import report_layer, write_live_files
from jangkau.pantau.state import live_state
from jangkau.pantau.store import Store
from jangkau.pantau.vocabulary import Vocabulary

LOG = logging.getLogger("jangkau.pantau")
# How often, without reports, the service looks for a newly published full run.
BASELINE_CHECK_S = 5.0


@dataclass
class Place:
    """Where a region's outputs are: ``data/processed/NAME`` and ``maps/NAME``."""

    region: str
    processed: Path
    maps: Path | None


class Updater:
    """Keeps ``status.json`` and ``status.gpkg`` in step with the database."""

    def __init__(self, place: Place, store: Store, vocabulary: Vocabulary) -> None:
        self.place = place
        self.store = store
        self.vocabulary = vocabulary
        self.baseline: Baseline = read_baseline(place.processed)
        self.applied = -1
        self.document: dict | None = None
        self._wanted = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._idle = asyncio.Event()

    def current_baseline(self) -> Baseline:
        """Return the published run, re-read when a new full run has been published since."""
        if published_run(self.place.processed) != self.baseline.run:
            self.baseline = read_baseline(self.place.processed)
        return self.baseline

    async def update_now(self) -> dict:
        """Recompute from every report in the database and write the live files."""
        reports = await self.store.reports()
        baseline = await asyncio.to_thread(self.current_baseline)

        def compute() -> dict:
            document, layer = live_state(
                baseline,
                reports,
                vocabulary=self.vocabulary,
                region=self.place.region,
                now=datetime.now(UTC),
            )
            write_live_files(
                self.place.processed,
                self.place.maps,
                document=document,
                status_layer=layer,
                reports=report_layer(reports, baseline.aset),
            )
            return document

        document = await asyncio.to_thread(compute)
        self.document = document
        self.applied = document["laporan_terakhir"]
        return document

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
            self._wanted.clear()
            try:
                await self.update_now()
            except Exception:  # the service keeps taking reports; the next update retries
                LOG.exception("pembaruan status gagal")
            if not self._wanted.is_set():
                self._idle.set()
