"""The live files: ``status.json`` and ``status.gpkg`` (layers ``status_aset`` and ``laporan``).

They sit beside the published run, never inside it: a finished run folder
never changes (``pipeline/history.py``), and the live state changes with every
report. Each file is written under a hidden name beside its final name and
renamed over it (:mod:`jangkau.io.atomic`), so a reader sees the previous
state or the new one, never a mixture. ``status.json`` is also written into
the map folder, where the map page reads it over HTTP.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from jangkau.config.region import Region
from jangkau.errors import InputError
from jangkau.io.atomic import replacing, write_text
from jangkau.io.unsynced import sqlite_without_sync

STATUS_JSON = "status.json"
STATUS_GPKG = "status.gpkg"
REPORT_COLUMNS = [
    "id",
    "jenis_laporan",
    "id_aset",
    "status",
    "jenis_kejadian",
    "waktu",
    "diterima",
    "pelapor",
    "catatan",
    "verifikasi",
    "diverifikasi_oleh",
    "radius_m",
    "merujuk",
]


def report_layer(reports: list[dict[str, Any]], assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return every report as a point: the event's place, or the asset's for a status report."""
    frame = pd.DataFrame(reports, columns=[*REPORT_COLUMNS, "lintang", "bujur"])
    where = assets.to_crs(4326).set_index("id_aset").geometry
    asset_x = frame["id_aset"].map(where.x)
    asset_y = frame["id_aset"].map(where.y)
    x = frame["bujur"].astype(float).fillna(asset_x.astype(float))
    y = frame["lintang"].astype(float).fillna(asset_y.astype(float))
    for column in ("waktu", "diterima"):
        frame[column] = frame[column].map(lambda v: pd.Timestamp(v).isoformat())
    geometry = gpd.points_from_xy(x, y)
    return gpd.GeoDataFrame(frame[REPORT_COLUMNS], geometry=geometry, crs=4326)


def write_live_files(
    processed: Path,
    maps: Path | None,
    *,
    document: dict[str, Any],
    status_layer: gpd.GeoDataFrame,
    reports: gpd.GeoDataFrame,
    status_json: bool = True,
) -> Path:
    """Write ``status.gpkg`` then ``status.json`` (last, so it never names a state not yet written).

    The GeoPackage is written through Arrow and without SQLite's flushes to
    disk: about twice as fast for a province's 40,000 assets, and safe here,
    since it is a temporary file renamed into place and derived from the
    database, rewritten from it by every update and when the service starts.
    With ``status_json=False`` the caller writes ``status.json`` itself, once
    what else the state needs is in place (:func:`write_status_json`).
    """
    with sqlite_without_sync(), replacing(processed / STATUS_GPKG) as temporary:
        for name, layer in (("status_aset", status_layer), ("laporan", reports)):
            pyogrio.write_dataframe(layer, temporary, layer=name, driver="GPKG", use_arrow=True)
    if status_json:
        write_status_json(processed, maps, document)
    return processed / STATUS_JSON


def write_status_json(processed: Path, maps: Path | None, document: dict[str, Any]) -> Path:
    """Write ``status.json`` beside the run's files and beside its map page."""
    text = json.dumps(document, ensure_ascii=False, indent=1, default=str)
    write_text(processed / STATUS_JSON, text)
    if maps is not None and maps.is_dir():
        write_text(maps / STATUS_JSON, text)
    return processed / STATUS_JSON


def geopackage_bytes(layer: gpd.GeoDataFrame, name: str) -> bytes:
    """Return a one-layer GeoPackage as bytes (for a download), written in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="jangkau-ekspor-") as folder:
        path = Path(folder) / f"{name}.gpkg"
        pyogrio.write_dataframe(layer, path, layer=name, driver="GPKG")
        return path.read_bytes()


def with_live_status(region: Region, processed: Path) -> Region:
    """Return the region with the assets reported out of service now (``status.json``) left out.

    The next full run starts from the current status: an asset closed or
    heavily damaged in the live state does not serve in it, and the run
    records which (``info.json``, ``aset_tidak_melayani``). Without a live
    state the region is returned as it is.
    """
    path = processed / STATUS_JSON
    if not path.exists():
        return region
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        out = sorted({a["id_aset"] for a in document["aset"] if not a["melayani"]})
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(path, f"status langsung tidak terbaca ({error})") from None
    return replace(region, aset_tidak_melayani=out)
