"""Shared fixtures: paths to the shared data, small geometry helpers, one Prefect harness."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

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


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium with every http(s) request sent to a closed port."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,900",
        # Every http(s) request goes to a closed port: the page must need none.
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(
        options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    )
    yield driver
    driver.quit()


def open_page(driver, path, wait: float = 0.5):
    # Away from the previous page first: what it still logs (requests cut short as it is
    # left) must not be read as this page's.
    driver.get("about:blank")
    time.sleep(0.2)
    driver.get_log("browser")
    driver.get(path.as_uri())
    for _ in range(100):
        if driver.execute_script("return !!window.jangkauPeta"):
            break
        time.sleep(0.1)
    time.sleep(wait)
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]


def set_screen(driver, width: int | None, height: int | None = None) -> None:
    """Emulate a screen of ``width`` × ``height`` CSS pixels (a phone when narrow); None resets."""
    if width is None:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
    )


def page_layers(page: str) -> tuple[list[dict], list[list]]:
    """Return the GeoJSON collections (kecamatan, desa…) and facility rows of a map page."""
    collections = [json.loads(text) for text in re.findall(r"geo_json_\w+_add\((\{.*?\})\);", page)]
    groups = [json.loads(text) for text in re.findall(r"var data = (\[.*?\]);\n", page)]
    return collections, [row for group in groups for row in group]
