"""The same line or polygon given twice, in one file or in two, counts once.

Points are de-duplicated by id or by name and distance
(:func:`jangkau.clean.assets.mark_duplicates`). A line or polygon is its
shape: two records of the same ``jenis`` whose shapes lie within a few
metres of each other everywhere (Hausdorff distance) are one asset, however
they are named or in which direction a line was drawn. Two assets of
different kinds may share a shape (a drain beside a road, a power line over
it) and are both kept.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.clean.assets import REJECTED_COLUMNS
from jangkau.io.read import records_as_text

_NAMES = {"garis": "garis", "area": "poligon"}


def drop_shape_duplicates(
    placed: gpd.GeoDataFrame, *, kind: str, metric_crs: object, tolerance_m: float = 5.0
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Keep one record per line or polygon; return the others as rejected rows.

    Parameters
    ----------
    placed
        Placed lines or polygons of every file (``jenis``, ``sumber``,
        ``baris``, ``perbaikan``, any CRS).
    kind
        ``garis`` or ``area``, for the reason's wording.
    metric_crs
        CRS in which ``tolerance_m`` is measured.
    tolerance_m
        Largest Hausdorff distance between two shapes that are one asset:
        a few metres absorbs digitising and rounding, never a parallel line.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The kept records in their order, and one ``REJECTED_COLUMNS`` row per
        dropped record whose ``alasan`` names the record kept. Of each group
        the record with the fewest repairs, then the earliest file and row, is kept.
    """
    if len(placed) < 2:
        return placed, pd.DataFrame(columns=REJECTED_COLUMNS)
    order = np.lexsort(
        (
            placed["baris"].to_numpy(),
            placed["sumber"].astype(str).to_numpy(),
            (placed["perbaikan"].fillna("") != "").to_numpy(),
        )
    )
    shapes = placed.geometry.to_crs(metric_crs).to_numpy()
    bounds = shapely.bounds(shapes)
    kinds = placed["jenis"].astype(str).to_numpy()
    # Shapes within the tolerance everywhere have bounding boxes within it too.
    left, right = shapely.STRtree(shapes).query(shapes, predicate="dwithin", distance=tolerance_m)
    close = (left < right) & (kinds[left] == kinds[right])
    close &= (np.abs(bounds[left] - bounds[right]) <= tolerance_m).all(axis=1)
    partners: dict[int, list[int]] = {}
    for a, b in zip(left[close], right[close], strict=True):
        partners.setdefault(int(a), []).append(int(b))
        partners.setdefault(int(b), []).append(int(a))
    kept: set[int] = set()
    reasons: dict[int, str] = {}
    for row in order:
        match = next(
            (
                other
                for other in partners.get(int(row), [])
                if other in kept
                and shapely.hausdorff_distance(shapes[row], shapes[other]) <= tolerance_m
            ),
            None,
        )
        if match is None:
            kept.add(int(row))
            continue
        gap = shapely.hausdorff_distance(shapes[row], shapes[match])
        reasons[int(row)] = (
            f"duplikat dari {placed['sumber'].iloc[match]} baris {placed['baris'].iloc[match]} "
            f"({_NAMES[kind]} {kinds[row]} sama, selisih paling jauh {gap:.1f} m)"
        )
    dropped = sorted(reasons)
    rows = placed.iloc[dropped]
    rejected = pd.DataFrame(
        {
            "sumber": rows["sumber"].to_numpy(),
            "baris": rows["baris"].to_numpy(dtype="int64"),
            "nama": rows["nama"].to_numpy(),
            "id_aset": rows["id_aset"].to_numpy() if "id_aset" in rows else None,
            "alasan": [reasons[i] for i in dropped],
            "data_asli": list(records_as_text(pd.DataFrame(rows.drop(columns="geometry"))))
            if dropped
            else [],
        },
        columns=REJECTED_COLUMNS,
    )
    keep = np.setdiff1d(np.arange(len(placed)), dropped)
    return placed.iloc[keep], rejected
