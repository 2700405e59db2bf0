"""An independent computation of the coverage definition, for checking published figures.

Straight-line buffers, one desa at a time, population even over each desa.
It shares no code with ``jangkau.analysis`` and makes its own choice of CRS:
every desa is measured in an azimuthal equidistant projection centred on its
own centroid (``+proj=aeqd``). Within the few tens of kilometres a service
radius reaches around a desa, that projection's scale error is below 1e-5
(it grows as (d/R)^2 / 6), so distances from nearby facilities and the desa's
area are true to far below 0.01 %, whatever metric CRS the project chose.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from jangkau.config.catalogue import load_catalogue

# Metres per degree, as lower bounds, to widen a lon/lat search box by a radius
# (a superset: the exact test is done in the desa's own projection).
_METRES_PER_DEGREE_LATITUDE = 110_000.0
_METRES_PER_DEGREE_LONGITUDE_AT_EQUATOR = 111_000.0


class _LocalDesa:
    """One desa in its own azimuthal equidistant projection."""

    def __init__(self, polygon: shapely.Geometry) -> None:
        centre = polygon.centroid
        self.projection = pyproj.Proj(
            f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +ellps=WGS84 +units=m +no_defs"
        )
        self.lonlat = polygon
        self.polygon = self.project(polygon)
        self.area = self.polygon.area

    def project(self, geometry: object) -> object:
        """Project lon/lat geometries (one, or an array) into this desa's plane."""

        def forward(coordinates: np.ndarray) -> np.ndarray:
            x, y = self.projection(coordinates[:, 0], coordinates[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(geometry, forward)

    def share_within(self, points: gpd.GeoSeries, radius: float) -> float:
        """Return the share of the desa's area within ``radius`` metres of any of ``points`` (lon/lat)."""
        minx, miny, maxx, maxy = self.lonlat.bounds
        far_latitude = math.radians(max(abs(miny), abs(maxy)))
        dlat = 1.5 * radius / _METRES_PER_DEGREE_LATITUDE
        dlon = 1.5 * radius / (_METRES_PER_DEGREE_LONGITUDE_AT_EQUATOR * math.cos(far_latitude))
        box = shapely.box(minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)
        candidates = points.iloc[points.sindex.query(box, predicate="intersects")]
        if candidates.empty:
            return 0.0
        local = self.project(candidates.to_numpy())
        near = local[shapely.distance(local, self.polygon) <= radius]
        if len(near) == 0:
            return 0.0
        reach = shapely.union_all(shapely.buffer(near, radius, quad_segs=64))
        return self.polygon.intersection(reach).area / self.area


def _lonlat(gpkg, layer: str) -> gpd.GeoDataFrame:
    frame = gpd.read_file(gpkg, layer=layer)
    return frame.to_crs(4326) if frame.crs is None or not frame.crs.equals(4326) else frame


def _serving(gpkg) -> gpd.GeoDataFrame:
    """Return the operating facilities: points, and polygons of distance services (issue 16)."""
    layers = [_lonlat(gpkg, "aset")]
    if "aset_area" in pyogrio.list_layers(gpkg)[:, 0]:
        distance = load_catalogue().query("radius_desa_m.notna()")["layanan"]
        areas = _lonlat(gpkg, "aset_area")
        layers.append(areas[areas["layanan"].isin(distance)])
    assets = gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), crs=4326)
    if "status_operasi" in assets:
        # Assets that do not operate (or are still being built) serve no one (issue 16).
        assets = assets[~assets["status_operasi"].isin(["tidak beroperasi", "dalam pembangunan"])]
    return assets


def exact_coverage(gpkg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return desa and kecamatan coverage (wide, ``cakupan_<layanan>``) recomputed from a GeoPackage."""
    desa = _lonlat(gpkg, "desa")
    assets = _serving(gpkg)
    catalogue = load_catalogue()
    catalogue = catalogue[catalogue["radius_desa_m"].notna()]
    points = {
        service: assets.loc[assets["layanan"] == service, "geometry"].reset_index(drop=True)
        for service in catalogue["layanan"]
    }
    rows = []
    for polygon, tipe in zip(desa.geometry, desa["tipe"], strict=True):
        local = _LocalDesa(polygon)
        rows.append(
            {
                f"cakupan_{service.layanan}": local.share_within(
                    points[service.layanan],
                    service.radius_kelurahan_m if tipe == "kelurahan" else service.radius_desa_m,
                )
                for service in catalogue.itertuples()
            }
        )
    by_desa = pd.DataFrame(rows, index=desa["kode_desa"])
    people = desa.set_index("kode_desa")["penduduk"]
    covered = by_desa.mul(people, axis=0)
    kode_kec = desa.set_index("kode_desa")["kode_kec"]
    by_kecamatan = covered.groupby(kode_kec).sum().div(people.groupby(kode_kec).sum(), axis=0)
    return by_desa, by_kecamatan


def covered_by_desa(
    desa: gpd.GeoDataFrame, points: gpd.GeoSeries, radius_kelurahan: float, radius_desa: float
) -> np.ndarray:
    """Covered population of each given desa (lon/lat), one desa at a time in its own projection."""
    points = points.reset_index(drop=True)
    return np.array(
        [
            people
            * _LocalDesa(polygon).share_within(
                points, radius_kelurahan if tipe == "kelurahan" else radius_desa
            )
            for polygon, tipe, people in zip(
                desa.geometry, desa["tipe"], desa["penduduk"], strict=True
            )
        ]
    )


def _search_box(point: shapely.Point, radius: float) -> shapely.Polygon:
    """A lon/lat box holding every place within ``radius`` metres of a point (a superset)."""
    dlat = 1.5 * radius / _METRES_PER_DEGREE_LATITUDE
    dlon = (
        1.5
        * radius
        / (_METRES_PER_DEGREE_LONGITUDE_AT_EQUATOR * math.cos(math.radians(abs(point.y) + dlat)))
    )
    return shapely.box(point.x - dlon, point.y - dlat, point.x + dlon, point.y + dlat)


def measuring_scale_error(gpkg) -> float:
    """Return the largest scale error |k − 1| of the CRS the project measured in, over the desa.

    The CRS is the one the GeoPackage's ``crs_metrik`` table names; its
    scale error is computed here with PROJ on a grid over the desa's extent,
    and the table's own figure must not understate it.
    """
    desa = _lonlat(gpkg, "desa")
    declared = pyogrio.read_dataframe(gpkg, layer="crs_metrik")
    minx, miny, maxx, maxy = desa.total_bounds
    lon, lat = np.meshgrid(np.linspace(minx, maxx, 41), np.linspace(miny, maxy, 41))
    factors = pyproj.Proj(pyproj.CRS(declared["crs"].iloc[0])).get_factors(lon.ravel(), lat.ravel())
    error = float(np.abs(np.asarray(factors.meridional_scale) - 1.0).max())
    assert declared["galat_skala_maks"].iloc[0] >= error - 1e-6, (declared, error)
    return error


def proposals_recompute(gpkg) -> int:
    """Check every proposed site's figures against a recomputation; return how many were checked.

    The project computes a site's figures exactly in its metric CRS, where a
    radius of r map metres reaches r / k true metres, k within 1 ± the CRS's
    scale error. Each figure must lie between the recomputations at those two
    true radii (within 1 %, or half a person).
    """
    desa = _lonlat(gpkg, "desa")
    assets = _serving(gpkg)
    sites = _lonlat(gpkg, "usulan_lokasi")
    catalogue = gpd.read_file(gpkg, layer="layanan").set_index("layanan")
    error = measuring_scale_error(gpkg)
    stretches = (1 / (1 + error), 1 / (1 - error))
    assert sites.groupby(["layanan", "kode_kec"]).size().max() <= 3
    # Sites are chosen per kabupaten; each one's gain counts people on both sides of
    # kecamatan borders, given the existing facilities and the sites before it.
    desa["kode_kab"] = desa["kode_kec"].str.rsplit(".", n=1).str[0]
    sites["kode_kab"] = sites["kode_kec"].str.rsplit(".", n=1).str[0]
    for (service, kode_kab), chain in sites.groupby(["layanan", "kode_kab"]):
        members = desa[desa["kode_kab"] == kode_kab].reset_index(drop=True)
        radii = catalogue.at[service, "radius_kelurahan_m"], catalogue.at[service, "radius_desa_m"]
        points = assets.loc[assets["layanan"] == service, "geometry"]
        covered = [covered_by_desa(members, points, *(s * r for r in radii)) for s in stretches]
        assert chain["urutan"].tolist() == sorted(chain["urutan"]), "sites not in order"
        for site in chain.sort_values("urutan").itertuples():
            points = pd.concat(
                [points, gpd.GeoSeries([site.geometry], crs=4326)], ignore_index=True
            )
            # Only desa within reach of the new site can change.
            reach = members.sindex.query(_search_box(site.geometry, max(radii)))
            mine = (members["kode_kec"] == site.kode_kec).to_numpy()
            people = members.loc[mine, "penduduk"].sum()
            gains, after = [], []
            for stretch, before in zip(stretches, covered, strict=True):
                changed = covered_by_desa(
                    members.iloc[reach], points, *(stretch * r for r in radii)
                )
                gains.append(float(changed.sum() - before[reach].sum()))
                before[reach] = changed
                after.append(float(before[mine].sum()))
            slack = max(0.5, 0.01 * max(abs(g) for g in gains))
            assert min(gains) - slack <= site.tambahan_penduduk_terlayani <= max(gains) + slack, (
                site,
                gains,
            )
            assert min(after) / people - 1e-3 <= site.cakupan_setelah <= max(after) / people + 1e-3
            assert members.loc[members["kode_desa"] == site.kode_desa].contains(site.geometry).any()
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


def covered_people(
    desa: gpd.GeoDataFrame, points: gpd.GeoSeries, radius_kelurahan: float, radius_desa: float
) -> float:
    """Covered population of the given desa, all in one metric CRS, one desa at a time.

    For tests that build their geometry directly in metres (no projection choice involved).
    """
    total = 0.0
    for polygon, tipe, people in zip(desa.geometry, desa["tipe"], desa["penduduk"], strict=True):
        radius = radius_kelurahan if tipe == "kelurahan" else radius_desa
        near = points[points.distance(polygon) <= radius]
        if near.empty:
            continue
        reach = shapely.union_all(near.buffer(radius, quad_segs=64).to_numpy())
        total += people * polygon.intersection(reach).area / polygon.area
    return total
