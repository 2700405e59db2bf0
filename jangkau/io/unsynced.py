"""GeoPackages written without SQLite's wait for the disk, for files renamed into place whole.

GDAL commits each layer as its own transaction, and SQLite's default waits
for the disk at every commit: half of the time of writing Maros's 15 small
layers. The files written this way are temporary ones, renamed into place
only once whole (:func:`~jangkau.io.atomic.replacing`); no other output is
synced either: what protects a reader is the rename, not the sync.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyogrio

SQLITE_SYNC = "OGR_SQLITE_SYNCHRONOUS"
# GDAL's settings are the process's: two threads writing at once would give back each
# other's value, so the writes that switch it take turns.
_SETTING = threading.Lock()


@contextmanager
def sqlite_without_sync() -> Iterator[None]:
    """Let GDAL write GeoPackages without SQLite's sync to disk, then restore the setting."""
    with _SETTING:
        previous = pyogrio.get_gdal_config_option(SQLITE_SYNC)
        pyogrio.set_gdal_config_options({SQLITE_SYNC: "OFF"})
        try:
            yield
        finally:
            pyogrio.set_gdal_config_options({SQLITE_SYNC: previous})
