"""Shared fixtures: paths to the shared data, small geometry helpers, one Prefect harness."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared" / "data"
MAROS = SHARED / "maros"

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture(scope="session")
def maros_dir() -> Path:
    assert MAROS.is_dir(), f"the shared Maros data must sit beside the project: {MAROS}"
    return MAROS


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (it costs ~15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def square_desa(
    cells: list[tuple[str, str, str, float, float, float]], crs: int = 32750
) -> gpd.GeoDataFrame:
    """Build desa squares: (kode_desa, kode_kec, tipe, x0, y0, side) in a metric CRS."""
    return gpd.GeoDataFrame(
        {
            "kode_desa": [c[0] for c in cells],
            "desa": [f"Desa {c[0][-4:]}" for c in cells],
            "kode_kec": [c[1] for c in cells],
            "kecamatan": [f"Kec {c[1][-2:]}" for c in cells],
            "tipe": [c[2] for c in cells],
        },
        geometry=[shapely.box(c[3], c[4], c[3] + c[5], c[4] + c[5]) for c in cells],
        crs=crs,
    )
