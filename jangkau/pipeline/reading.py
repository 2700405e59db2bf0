"""Reading the run's input files: a CRS inferred where a file states none, one asset file whole.

Each asset file is read, split by geometry and standardised on its own
(:func:`read_asset_file`), so that the asset stage can read several files at
once in forked processes (:func:`jangkau.analysis.threads.map_processes`).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from jangkau.clean.asset_geometry import AREA, LINE, POINT, place_shapes, split_by_geometry
from jangkau.clean.assets import standardise_assets
from jangkau.clean.condition import read_condition
from jangkau.clean.crs_inference import infer_boundary_crs, infer_crs
from jangkau.config.region import FileSpec
from jangkau.io.read import crs_was_missing, read_records

CRS_NOTE_COLUMNS = ["berkas", "crs", "catatan"]


def read_inferring_crs(
    spec: FileSpec, *, outline: gpd.GeoDataFrame | None, notes: list[dict[str, str]]
) -> pd.DataFrame:
    """Read a file; where a vector file declares no CRS, infer it and add a note to ``notes``.

    With an ``outline`` (the desa) the CRS that puts the features inside the
    region is taken; without one (the desa layer itself) Indonesia's extent judges.
    """
    raw = read_records(spec.path, **spec.options, allow_missing_crs=True)
    if not crs_was_missing(raw):
        return raw
    if outline is None:
        raw, note = infer_boundary_crs(raw, source=spec.name)
    else:
        raw, note = infer_crs(raw, region_outline=outline, source=spec.name)
    notes.append({"berkas": spec.name, "crs": f"EPSG:{raw.crs.to_epsg()}", "catatan": note})
    return raw


def read_asset_file(
    spec: FileSpec, *, desa: gpd.GeoDataFrame, desa_metric: gpd.GeoDataFrame, kinds: object
) -> dict:
    """Read one asset file: its CRS note, record count, condition, points and placed shapes.

    Returns a dict: ``crs`` (notes frame), ``dibaca``, ``kondisi``, ``titik`` (the
    standardised point records, a list of none or one frame), and per ``LINE``,
    ``AREA`` and ``"ditolak"`` a list of the placed and rejected shapes.
    """
    notes: list[dict[str, str]] = []
    raw = read_inferring_crs(spec, outline=desa, notes=notes)
    read: dict = {
        "crs": pd.DataFrame(notes, columns=CRS_NOTE_COLUMNS),
        "dibaca": len(raw),
        "kondisi": read_condition(raw, source=spec.name),
        "titik": [],
        LINE: [],
        AREA: [],
        "ditolak": [],
    }
    parts = split_by_geometry(raw) if isinstance(raw, gpd.GeoDataFrame) else {POINT: raw}
    if POINT in parts:
        read["titik"].append(
            standardise_assets(
                parts[POINT], columns=spec.columns, source=spec.name, default_jenis=spec.jenis
            )
        )
    for kind in (LINE, AREA):
        if kind in parts:
            placed_shapes, rejected_shapes = place_shapes(
                parts[kind],
                kind=kind,
                columns=spec.columns,
                source=spec.name,
                desa=desa_metric,
                kinds=kinds,
                default_jenis=spec.jenis,
            )
            read[kind].append(placed_shapes)
            read["ditolak"].append(rejected_shapes)
    return read
