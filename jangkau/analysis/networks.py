"""Network measures: who lives within reach of a line network, and how much network there is.

Reach follows the coverage definition (README "How coverage is measured")
with the buffer of the network's lines in place of the facility discs: a
desa's reached population is its population × (area of the desa within
``jarak_jaringan_m`` of an operating line of the serving kinds) / (area of the
desa), or, where a finer population surface covers the desa, the weight of
its points within that distance. Length counts every line of the layanan
(operating or not, serving kinds or not), clipped to each desa.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.coverage import surface_arrays, with_surface_shares
from jangkau.analysis.crs import require_metric
from jangkau.analysis.geometry import QUAD_SEGMENTS, area_share_within
from jangkau.clean.condition import serves

NETWORK_LONG_COLUMNS = [
    "kode_desa",
    "kode_kec",
    "layanan",
    "jarak_jaringan_m",
    "penduduk",
    "luas_km2",
    "panjang_km",
    "penduduk_terjangkau",
    "terjangkau",
]


def length_by_polygon(polygons: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Return, per polygon, the length (in CRS units) of the lines inside it."""
    total = np.zeros(len(polygons))
    if len(lines) == 0 or len(polygons) == 0:
        return total
    line_index, polygon_index = shapely.STRtree(polygons).query(lines, predicate="intersects")
    pieces = shapely.intersection(lines[line_index], polygons[polygon_index])
    np.add.at(total, polygon_index, shapely.length(pieces))
    return total


def reached_fraction(
    polygons: np.ndarray,
    lines: np.ndarray,
    distance_m: float,
    *,
    surface: tuple | None = None,
) -> np.ndarray:
    """Return, per polygon, the share of its people within ``distance_m`` of any line.

    Parameters
    ----------
    polygons, lines
        Shapely geometries in one metric CRS.
    distance_m
        Reach from the network in metres.
    surface
        ``(points, polygon row of each point, weight)`` from
        :func:`jangkau.analysis.coverage.surface_arrays`: polygons holding surface
        weight use the weight of their points within reach.
    """
    fraction = np.zeros(len(polygons))
    if len(lines) == 0 or len(polygons) == 0 or not np.isfinite(distance_m):
        return fraction
    buffers = shapely.buffer(lines, distance_m, quad_segs=QUAD_SEGMENTS)
    fraction = area_share_within(polygons, buffers, lines)
    if surface is None:
        return fraction
    points = surface[0]
    hits = shapely.STRtree(lines).query(points, predicate="dwithin", distance=distance_m)
    reached = np.zeros(len(points), dtype=bool)
    reached[np.unique(hits[0])] = True
    return with_surface_shares(fraction, surface, reached)


def network_measures(
    desa: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    *,
    networks: pd.DataFrame,
    surface: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Return reach and length per desa for every network layanan that has lines.

    Parameters
    ----------
    desa
        Polygons in a metric CRS with ``kode_desa``, ``kode_kec``, ``penduduk``.
    lines
        Line assets in the same CRS with ``layanan``, ``jenis`` and optionally
        ``status_operasi`` (only operating lines reach anyone).
    networks
        Network services (:func:`jangkau.config.networks.load_networks`).
    surface
        Optional finer population surface (points with ``kode_desa`` and ``bobot``).

    Returns
    -------
    pandas.DataFrame
        ``NETWORK_LONG_COLUMNS``, one row per desa × network layanan with
        lines; ``terjangkau`` is NaN for a layanan without a reach distance.
    """
    require_metric(desa, "desa")
    require_metric(lines, "lines")
    polygons = desa.geometry.to_numpy()
    population = desa["penduduk"].to_numpy(dtype=float)
    arrays = surface_arrays(desa, surface)
    operating = serves(lines).to_numpy()
    frames = []
    for network in networks.itertuples(index=False):
        mine = (lines["layanan"] == network.layanan).to_numpy()
        if not mine.any():
            continue
        length = length_by_polygon(polygons, lines.geometry.to_numpy()[mine])
        distance = float(network.jarak_jaringan_m)
        if np.isfinite(distance):
            serving = mine & operating & lines["jenis"].isin(network.jenis_aset).to_numpy()
            fraction = reached_fraction(
                polygons, lines.geometry.to_numpy()[serving], distance, surface=arrays
            )
        else:
            fraction = np.full(len(polygons), np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "kode_desa": desa["kode_desa"].to_numpy(),
                    "kode_kec": desa["kode_kec"].to_numpy(),
                    "layanan": network.layanan,
                    "jarak_jaringan_m": distance,
                    "penduduk": population,
                    "luas_km2": shapely.area(polygons) / 1e6,
                    "panjang_km": length / 1_000.0,
                    "penduduk_terjangkau": population * fraction,
                    "terjangkau": fraction,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=NETWORK_LONG_COLUMNS)
    return pd.concat(frames, ignore_index=True)[NETWORK_LONG_COLUMNS]


def network_by_kecamatan(long: pd.DataFrame) -> pd.DataFrame:
    """Aggregate per kecamatan: Σ reached / Σ population, Σ length, Σ area."""
    grouped = long.groupby(["kode_kec", "layanan"], sort=False).agg(
        jarak_jaringan_m=("jarak_jaringan_m", "first"),
        penduduk=("penduduk", "sum"),
        luas_km2=("luas_km2", "sum"),
        panjang_km=("panjang_km", "sum"),
        penduduk_terjangkau=("penduduk_terjangkau", lambda s: s.sum(min_count=1)),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        grouped["terjangkau"] = np.where(
            grouped["penduduk"] > 0, grouped["penduduk_terjangkau"] / grouped["penduduk"], np.nan
        )
    return grouped.reset_index()


def network_columns(long: pd.DataFrame, key: str) -> pd.DataFrame:
    """Return per ``key``: ``terjangkau_<l>``, ``panjang_km_<l>``, ``km_per_km2_<l>``, ``km_per_1000_penduduk_<l>``.

    ``terjangkau_<l>`` only for a layanan with a reach distance.
    """
    if long.empty:
        return pd.DataFrame()
    columns = {}
    for service, group in long.groupby("layanan", sort=False):
        group = group.set_index(key)
        if np.isfinite(group["jarak_jaringan_m"].iloc[0]):
            columns[f"terjangkau_{service}"] = group["terjangkau"]
        columns[f"panjang_km_{service}"] = group["panjang_km"]
        with np.errstate(invalid="ignore", divide="ignore"):
            columns[f"km_per_km2_{service}"] = group["panjang_km"] / group["luas_km2"].where(
                group["luas_km2"] > 0
            )
            columns[f"km_per_1000_penduduk_{service}"] = group["panjang_km"] / (
                group["penduduk"].where(group["penduduk"] > 0) / 1_000.0
            )
    return pd.DataFrame(columns)
