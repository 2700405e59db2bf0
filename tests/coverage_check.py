"""An independent computation of the coverage definition, for checking published figures.

Straight-line buffers in the data's UTM zone, one desa at a time, population
even over each desa; it shares no code with jangkau.coverage.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from jangkau.catalogue import load_catalogue
from jangkau.crs import metric_crs_for


def exact_coverage(gpkg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return desa and kecamatan coverage (wide, ``cakupan_<layanan>``) recomputed from a GeoPackage."""
    desa = gpd.read_file(gpkg, layer="desa")
    assets = gpd.read_file(gpkg, layer="aset")
    metric = metric_crs_for(desa)
    desa, assets = desa.to_crs(metric), assets.to_crs(metric)
    catalogue = load_catalogue()
    catalogue = catalogue[catalogue["radius_desa_m"].notna()]
    desa_rows = {}
    for service in catalogue.itertuples():
        points = assets.loc[assets["layanan"] == service.layanan, "geometry"]
        shares = []
        for polygon, tipe in zip(desa.geometry, desa["tipe"], strict=True):
            radius = service.radius_kelurahan_m if tipe == "kelurahan" else service.radius_desa_m
            near = points[points.distance(polygon) <= radius]
            if near.empty:
                shares.append(0.0)
                continue
            reach = shapely.union_all(near.buffer(radius, quad_segs=64).to_numpy())
            shares.append(polygon.intersection(reach).area / polygon.area)
        desa_rows[f"cakupan_{service.layanan}"] = shares
    by_desa = pd.DataFrame(desa_rows, index=desa["kode_desa"])
    people = desa.set_index("kode_desa")["penduduk"]
    covered = by_desa.mul(people, axis=0)
    kode_kec = desa.set_index("kode_desa")["kode_kec"]
    by_kecamatan = covered.groupby(kode_kec).sum().div(people.groupby(kode_kec).sum(), axis=0)
    return by_desa, by_kecamatan


def covered_people(
    desa: gpd.GeoDataFrame, points: gpd.GeoSeries, radius_kelurahan: float, radius_desa: float
) -> float:
    """Covered population of the given desa (metric CRS), one desa at a time."""
    total = 0.0
    for polygon, tipe, people in zip(desa.geometry, desa["tipe"], desa["penduduk"], strict=True):
        radius = radius_kelurahan if tipe == "kelurahan" else radius_desa
        near = points[points.distance(polygon) <= radius]
        if near.empty:
            continue
        reach = shapely.union_all(near.buffer(radius, quad_segs=64).to_numpy())
        total += people * polygon.intersection(reach).area / polygon.area
    return total
