"""An independent computation of the coverage definition, for checking published figures.

Straight-line buffers in the data's UTM zone, one desa at a time, population
even over each desa; it shares no code with jangkau.coverage.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from jangkau.analysis.crs import metric_crs_for
from jangkau.config.catalogue import load_catalogue


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
            near = points.iloc[points.sindex.query(polygon, predicate="dwithin", distance=radius)]
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


def proposals_recompute(gpkg) -> int:
    """Check every proposed site's figures against a recomputation; return how many were checked."""
    import pytest

    desa = gpd.read_file(gpkg, layer="desa")
    metric = metric_crs_for(desa)
    desa = desa.to_crs(metric)
    assets = gpd.read_file(gpkg, layer="aset").to_crs(metric)
    sites = gpd.read_file(gpkg, layer="usulan_lokasi").to_crs(metric)
    catalogue = gpd.read_file(gpkg, layer="layanan").set_index("layanan")
    assert sites.groupby(["layanan", "kode_kec"]).size().max() <= 3
    for (service, kode_kec), chain in sites.groupby(["layanan", "kode_kec"]):
        members = desa[desa["kode_kec"] == kode_kec]
        radii = catalogue.at[service, "radius_kelurahan_m"], catalogue.at[service, "radius_desa_m"]
        points = assets.loc[assets["layanan"] == service, "geometry"]
        before = covered_people(members, points, *radii)
        for site in chain.sort_values("urutan").itertuples():
            points = pd.concat(
                [points, gpd.GeoSeries([site.geometry], crs=metric)], ignore_index=True
            )
            after = covered_people(members, points, *radii)
            assert site.tambahan_penduduk_terlayani == pytest.approx(
                after - before, rel=0.01, abs=0.5
            )
            assert site.cakupan_setelah == pytest.approx(
                after / members["penduduk"].sum(), abs=1e-3
            )
            assert members.loc[members["kode_desa"] == site.kode_desa].contains(site.geometry).any()
            before = after
    return len(sites)


def worst_differences(gpkg) -> tuple[float, float]:
    """Return the largest gap (as a share) between published and recomputed coverage: kecamatan, desa."""
    exact_desa, exact_kecamatan = exact_coverage(gpkg)
    kecamatan = gpd.read_file(gpkg, layer="kecamatan").set_index("kode_kec")
    desa = gpd.read_file(gpkg, layer="desa").set_index("kode_desa")
    columns = list(exact_desa.columns)
    assert columns and set(columns) <= set(kecamatan.columns)
    worst_kecamatan = (kecamatan[columns] - exact_kecamatan[columns]).abs().max().max()
    worst_desa = (desa[columns] - exact_desa[columns]).abs().max().max()
    return float(worst_kecamatan), float(worst_desa)


def assert_within_half_a_point(gpkg) -> None:
    """Every published cakupan_* figure lies within 0.5 percentage points of :func:`exact_coverage`."""
    worst_kecamatan, worst_desa = worst_differences(gpkg)
    assert worst_kecamatan < 0.005 and worst_desa < 0.005, (worst_kecamatan, worst_desa)
