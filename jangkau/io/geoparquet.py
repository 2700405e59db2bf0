"""Reading the run's own GeoParquet work files, with each CRS parsed once per process.

``geopandas.read_parquet`` builds the CRS of every file from its PROJJSON,
which PROJ resolves against its database: about 60 ms for WGS 84, more than
reading a thousand desa. A run reads the same few CRS dozens of times, so
:func:`read_geoparquet` reads the table as geopandas does and takes the CRS
from a cache keyed by its PROJJSON text. Only for files the pipeline wrote
itself (WKB geometry, no bounding-box columns); anything else goes to geopandas.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pyproj


def read_geoparquet(path: str | Path) -> gpd.GeoDataFrame:
    """Return the GeoDataFrame ``geopandas.read_parquet(path)`` returns, reading its CRS once.

    Parameters
    ----------
    path
        A GeoParquet file written by ``GeoDataFrame.to_parquet``.
    """
    table = pq.read_table(path)
    metadata = table.schema.metadata or {}
    geo = json.loads(metadata[b"geo"]) if b"geo" in metadata else None
    if geo is None or any(
        spec.get("encoding") != "WKB" or "covering" in spec for spec in geo["columns"].values()
    ):
        return gpd.read_parquet(path)
    geometry_columns = [c for c in geo["columns"] if c in table.column_names]
    names = list(table.slice(0, 0).to_pandas().columns)
    geometry_columns.sort(key=names.index)
    frame = table.drop(geometry_columns).to_pandas()
    for column in geometry_columns:
        crs = geo["columns"][column].get("crs", "OGC:CRS84")
        if isinstance(crs, dict):
            crs = _crs_from_projjson(json.dumps(crs, sort_keys=True))
        values = gpd.array.from_wkb(np.array(table[column]), crs=crs)
        frame.insert(names.index(column), column, values)
    if b"PANDAS_ATTRS" in metadata:
        frame.attrs = json.loads(metadata[b"PANDAS_ATTRS"])
    primary = geo["primary_column"]
    if primary not in geometry_columns:
        return gpd.read_parquet(path)
    return gpd.GeoDataFrame(frame, geometry=primary)


@functools.lru_cache(maxsize=64)
def _crs_from_projjson(text: str) -> pyproj.CRS:
    crs = json.loads(text)
    _drop_ensemble_member_ids(crs)
    return pyproj.CRS.from_user_input(crs)


def _drop_ensemble_member_ids(node: dict) -> None:
    # As geopandas does: older PROJ refuses ids of datum ensemble members it does not know.
    for key, value in node.items():
        if isinstance(value, dict):
            _drop_ensemble_member_ids(value)
        elif key == "members" and isinstance(value, list):
            for member in value:
                member.pop("id", None)
