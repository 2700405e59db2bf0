"""Read road lines: any vector file, or an OpenStreetMap extract (``.osm.pbf`` / ``.osm``).

An OpenStreetMap extract is read with GDAL's OSM driver (layer ``lines``):
ways with a ``highway`` tag become lines with the columns ``highway`` and
``oneway`` (taken from the driver's ``other_tags``), so they read like a
GeoJSON export of the same ways. Nothing is interpreted here; classes and
speeds belong to :mod:`jangkau.clean.roads`.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pyogrio

from jangkau.errors import InputError
from jangkau.io.read import read_records

_ONEWAY = re.compile(r'"oneway"=>"([^"]*)"')


def is_osm_extract(path: str | Path) -> bool:
    """Return True for an OpenStreetMap extract (``.osm.pbf`` or ``.osm``)."""
    name = Path(path).name.lower()
    return name.endswith(".osm.pbf") or name.endswith(".osm")


def read_road_lines(path: str | Path, **options: object) -> gpd.GeoDataFrame:
    """Return a file's road lines with their attributes as text and ``baris``.

    Raises
    ------
    InputError
        When the file is missing or unreadable, or an extract holds no highway ways.
    """
    path = Path(path)
    if not is_osm_extract(path):
        return read_records(path, **options)
    if not path.exists():
        raise InputError(path, "berkas tidak ditemukan")
    try:
        frame = pyogrio.read_dataframe(path, layer="lines")
    except Exception as error:  # noqa: BLE001 - any driver failure is the file's problem
        raise InputError(path, f"tidak dapat dibaca ({type(error).__name__}: {error})") from error
    if "highway" not in frame.columns:
        raise InputError(path, "tidak ada jalan (highway=*) di ekstrak OpenStreetMap")
    frame = frame[frame["highway"].notna()].reset_index(drop=True)
    if frame.empty:
        raise InputError(path, "tidak ada jalan (highway=*) di ekstrak OpenStreetMap")
    tags = frame.get("other_tags")
    oneway = (
        tags.fillna("").str.extract(_ONEWAY, expand=False).fillna("no")
        if tags is not None
        else "no"
    )
    return gpd.GeoDataFrame(
        {
            "baris": range(1, len(frame) + 1),
            "osm_id": frame["osm_id"].astype(str),
            "name": frame.get("name"),
            "highway": frame["highway"].astype(str),
            "oneway": oneway,
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs or "EPSG:4326",
    )
