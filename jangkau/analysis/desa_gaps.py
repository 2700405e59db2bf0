"""The gap table per desa: coverage, nearest facility and rank within the kecamatan, per service.

One row per desa × catalogue service (``DESA_GAP_COLUMNS``):

- ``cakupan``, ``penduduk_terlayani``: as the coverage stage measured them
  (distance services; empty for count-only services).
- ``jumlah_fasilitas``: facilities of the service in the desa: placed
  points, plus ``tanpa_koordinat``: facilities known without a location
  whose record names this desa (:mod:`jangkau.clean.rosters`). Distances and
  coverage use placed points only; the per-desa minimum uses both.
- ``jarak_terdekat_m``: straight-line distance, in the run's metric CRS, from
  the desa's representative point (a point guaranteed inside its polygon) to
  the nearest facility of the service anywhere in the region, across
  kecamatan borders; empty when the region has none.
- ``indeks_kesenjangan``: 0–100, the uncovered share and, where the standard
  asks for one facility in every desa, a shortfall of 1 when the desa has
  none; combined as in the kecamatan index.
- ``peringkat_di_kecamatan`` of ``jumlah_desa_di_kecamatan``: 1 = the desa
  of its kecamatan that most needs the service (highest index; ties by more
  people out of reach, then by code).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.crs import require_metric
from jangkau.analysis.gaps import combine_index, counts_with_unlocated

DESA_GAP_COLUMNS = [
    "kode_desa",
    "desa",
    "kode_kec",
    "kecamatan",
    "layanan",
    "penduduk",
    "jumlah_fasilitas",
    "tanpa_koordinat",
    "penduduk_terlayani",
    "cakupan",
    "jarak_terdekat_m",
    "indeks_kesenjangan",
    "peringkat_di_kecamatan",
    "jumlah_desa_di_kecamatan",
]


def nearest_distance(places: np.ndarray, facilities: np.ndarray) -> np.ndarray:
    """Return, per place (point), the distance to the nearest facility; NaN when there is none."""
    if len(facilities) == 0:
        return np.full(len(places), np.nan)
    tree = shapely.STRtree(facilities)
    place_index, facility_index = tree.query_nearest(places, all_matches=False)
    distance = np.full(len(places), np.nan)
    distance[place_index] = shapely.distance(places[place_index], facilities[facility_index])
    return distance


def desa_gap_table(
    desa: gpd.GeoDataFrame,
    desa_coverage: pd.DataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    catalogue: pd.DataFrame,
    weights: dict[str, float],
    unlocated: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return one row per desa × service (``DESA_GAP_COLUMNS``).

    Parameters
    ----------
    desa
        ``kode_desa``, ``desa``, ``kode_kec``, ``kecamatan``, ``penduduk``,
        polygons in a metric CRS.
    desa_coverage
        Long coverage per desa × distance service (``coverage_by_desa``).
    facilities
        Placed assets with ``layanan`` and ``kode_desa``, in the same CRS.
    catalogue
        Services and their standards.
    weights
        Gap index weights (``bobot_tak_terjangkau``, ``bobot_kekurangan``).
    unlocated
        Facilities counted without a location (``layanan``, ``kode_desa``,
        empty where the record names no desa).
    """
    require_metric(desa, "desa")
    require_metric(facilities, "facilities")
    services = catalogue["layanan"].tolist()
    table, _ = counts_with_unlocated(
        facilities, unlocated, desa["kode_desa"], services, by="kode_desa"
    )
    info = desa.set_index("kode_desa")
    for column in ("desa", "kode_kec", "kecamatan", "penduduk"):
        table[column] = table["kode_desa"].map(info[column])
    coverage = desa_coverage.set_index(["kode_desa", "layanan"])
    keys = pd.MultiIndex.from_frame(table[["kode_desa", "layanan"]])
    table["penduduk_terlayani"] = coverage["penduduk_terlayani"].reindex(keys).round(1).to_numpy()
    table["cakupan"] = coverage["cakupan"].reindex(keys).to_numpy()

    centres = shapely.point_on_surface(desa.geometry.to_numpy())
    position = pd.Series(np.arange(len(desa)), index=desa["kode_desa"].to_numpy())
    # Converted once, not per service: each conversion of a text column costs as much as the search.
    row_service = table["layanan"].to_numpy()
    row_place = position[table["kode_desa"].to_numpy()].to_numpy()
    facility_service = facilities["layanan"].to_numpy()
    facility_points = facilities.geometry.to_numpy()
    distance = np.full(len(table), np.nan)
    for service in services:
        rows = np.flatnonzero(row_service == service)
        found = nearest_distance(centres, facility_points[facility_service == service])
        distance[rows] = found[row_place[rows]]
    table["jarak_terdekat_m"] = np.round(distance, 0)

    per_desa_minimum = set(catalogue.loc[catalogue["minimum_per"] == "desa", "layanan"])
    shortfall = pd.Series(
        np.where(
            table["layanan"].isin(per_desa_minimum),
            (table["jumlah_fasilitas"] == 0).astype(float),
            np.nan,
        ),
        index=table.index,
    )
    table["indeks_kesenjangan"] = combine_index(
        1 - table["cakupan"], shortfall, weights=weights
    ).to_numpy()
    return _rank_in_kecamatan(table)[DESA_GAP_COLUMNS]


def _rank_in_kecamatan(table: pd.DataFrame) -> pd.DataFrame:
    """Add each desa's rank among the desa of its kecamatan per service, and their number."""
    out_of_reach = table["penduduk"] - table["penduduk_terlayani"].fillna(table["penduduk"])
    scored = table.assign(_tak=out_of_reach).loc[table["indeks_kesenjangan"].notna()]
    order = scored.sort_values(
        ["layanan", "kode_kec", "indeks_kesenjangan", "_tak", "kode_desa"],
        ascending=[True, True, False, False, True],
        kind="stable",
    )
    rank = pd.Series(pd.NA, index=table.index, dtype="Int64")
    rank[order.index] = order.groupby(["layanan", "kode_kec"], sort=False).cumcount().to_numpy() + 1
    size = table.groupby(["layanan", "kode_kec"])["kode_desa"].transform("size")
    return table.assign(peringkat_di_kecamatan=rank, jumlah_desa_di_kecamatan=size.astype("int64"))
