"""Read the run's own GeoParquet work files, building each file's CRS once per process.

``geopandas.read_parquet`` builds a ``pyproj.CRS`` from the file's PROJJSON
on every read (~20 ms: PROJ parses it and looks it up in its database); a
publish reads some twenty work files, all in one or two CRSs. Here the
columns are read by pandas (the same arrow conversion), the geometry decoded
from WKB, and the CRS built once per distinct PROJJSON and shared: a
``pyproj.CRS`` is immutable, as geopandas itself shares one between frames.
A file this reader does not expect (several geometry columns, a geometry
not stored as WKB, a bounding-box column) is read by geopandas instead.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
from pyproj import CRS
from pyproj.exceptions import CRSError

# GeoParquet: a geometry column without a stated CRS is in OGC:CRS84.
_DEFAULT_CRS = "OGC:CRS84"


def read_geoparquet(path: Path, *, columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """Return a GeoParquet file as a GeoDataFrame, as ``geopandas.read_parquet`` does.

    Parameters
    ----------
    path
        A file written by ``GeoDataFrame.to_parquet``.
    columns
        Columns to read (the geometry among them), or all.
    """
    meta = pq.read_schema(path).metadata or {}
    geo = json.loads(meta[b"geo"]) if b"geo" in meta else None
    if geo is None:
        return gpd.read_parquet(path, columns=columns)
    geometry = geo.get("primary_column")
    described = geo.get("columns", {})
    wanted = described if columns is None else [c for c in described if c in columns]
    column = described.get(geometry, {})
    if list(wanted) != [geometry] or column.get("encoding") != "WKB" or "covering" in column:
        return gpd.read_parquet(path, columns=columns)
    frame = pd.read_parquet(path, columns=columns)
    values = gpd.GeoSeries.from_wkb(
        frame[geometry].to_numpy(),
        index=frame.index,
        crs=_crs(json.dumps(column.get("crs", _DEFAULT_CRS))),
    )
    return gpd.GeoDataFrame(frame.assign(**{geometry: values}), geometry=geometry)


@lru_cache(maxsize=16)
def _crs(stated: str) -> CRS | None:
    """Return the CRS of a file's stated CRS, as JSON text (``null``: the file says unknown)."""
    crs = json.loads(stated)
    if crs is None:
        return None
    if isinstance(crs, dict):
        _drop_ensemble_member_ids(crs)
        known = _by_its_id(crs)
        if known is not None:
            return known
    return CRS.from_user_input(crs)


def _by_its_id(projjson: dict[str, Any]) -> CRS | None:
    """Return the CRS a PROJJSON names by its id, if that CRS writes exactly this PROJJSON.

    Building a CRS from PROJJSON makes PROJ look every ensemble member up by
    name (~30 ms for WGS 84); from its code it takes ~1 ms. The shortcut is
    taken only when the coded CRS's own PROJJSON, written as geopandas writes
    it, is the file's, so the CRS returned is the one the file describes.
    """
    stated = projjson.get("id")
    if not isinstance(stated, dict) or not {"authority", "code"} <= stated.keys():
        return None
    try:
        candidate = CRS.from_authority(str(stated["authority"]), str(stated["code"]))
    except CRSError:
        return None
    written = candidate.to_json_dict()
    _drop_ensemble_member_ids(written)
    return candidate if written == projjson else None


def _drop_ensemble_member_ids(projjson: dict[str, Any]) -> None:
    """Drop the ids of datum-ensemble members, as geopandas does before building the CRS.

    Older PROJ databases do not know ids added to ensemble members later
    (https://github.com/opengeospatial/geoparquet/discussions/110).
    """
    for key, value in projjson.items():
        if isinstance(value, dict):
            _drop_ensemble_member_ids(value)
        elif key == "members" and isinstance(value, list):
            for member in value:
                member.pop("id", None)
