"""One live update on its own, outside the service: what an orchestrator's task calls.

The service updates in its own background task (:mod:`jangkau.pantau.updater`).
Under Prefect (``jangkau pantau serve REGION --prefect``) each report is an
event instead, and a flow run calls :func:`update_once`: read every stored
report, recompute, write the live files, return the ``status.json`` document
(with its alerts). Runs of that flow go one at a time (the deployment's
concurrency limit), so a later run never writes an older state over a newer one.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from jangkau.pantau.files import STATUS_JSON
from jangkau.pantau.store import Store
from jangkau.pantau.updater import Place, publish_live


def stored_reports(db_url: str) -> list[dict]:
    """Return every report in the database, oldest first."""

    async def read() -> list[dict]:
        store = Store(db_url)
        try:
            return await store.reports()
        finally:
            await store.close()

    return asyncio.run(read())


def applied_report(processed: Path) -> int:
    """Return the newest report id the live files already include (0 when there are none)."""
    path = processed / STATUS_JSON
    if not path.exists():
        return 0
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["laporan_terakhir"])
    except (ValueError, KeyError, TypeError):
        return 0  # unreadable: the update rewrites it


def update_once(place: Place, db_url: str) -> dict:
    """Recompute the live state from every stored report, write the live files, return the document."""
    return publish_live(place, stored_reports(db_url))
