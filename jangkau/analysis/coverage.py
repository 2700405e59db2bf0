"""Coverage: the share of each desa's people within reach of a service.

Definition (the documented, checkable figure): for service S with radius r,
the covered population of a desa is its population times the share of its
area that lies within r (straight line, in the run's metric CRS) of any
facility of S. Kecamatan coverage is the sum of covered population over the
sum of population of its desa. A kelurahan and a desa may use different radii.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.crs import require_metric
from jangkau.analysis.geometry import QUAD_SEGMENTS, cut_away
from jangkau.analysis.threads import map_threads
from jangkau.config.catalogue import distance_services, service_radius


def covered_fraction(
    polygons: np.ndarray, points: np.ndarray, radius_m: float, *, quad_segs: int = QUAD_SEGMENTS
) -> np.ndarray:
    """Return, per polygon, the share of its area within ``radius_m`` of any point.

    Exactly the area of the polygon inside the union of the discs, computed
    polygon by polygon from only the discs that touch it: the nearest few
    discs are cut away one at a time (most desa are settled by then), and
    the rest, united, in one cut.

    Parameters
    ----------
    polygons, points
        Shapely geometries in one metric CRS.
    radius_m
        Reach in metres.
    quad_segs
        Segments per quarter circle of each disc.

    Returns
    -------
    numpy.ndarray
        Fractions in [0, 1], one per polygon.
    """
    polygons = np.asarray(polygons, dtype=object)
    area = shapely.area(polygons)
    if len(points) == 0 or len(polygons) == 0 or not np.isfinite(radius_m):
        return np.zeros(len(polygons))
    points = np.asarray(points, dtype=object)
    discs = shapely.buffer(points, radius_m, quad_segs=quad_segs)
    polygon_index, disc_index = shapely.STRtree(discs).query(polygons, predicate="intersects")
    nearness = shapely.distance(
        shapely.point_on_surface(polygons)[polygon_index], points[disc_index]
    )
    uncovered = cut_away(polygons, discs, (polygon_index, disc_index), nearness=nearness)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(area > 0, 1.0 - shapely.area(uncovered) / area, 0.0)
    return np.clip(fraction, 0.0, 1.0)


def surface_arrays(desa: gpd.GeoDataFrame, surface: gpd.GeoDataFrame | None) -> tuple | None:
    """Return (points, desa row of each point, weight) of a population surface, or None."""
    if surface is None or len(surface) == 0:
        return None
    row_of = {code: i for i, code in enumerate(desa["kode_desa"])}
    owner = surface["kode_desa"].map(row_of)
    keep = owner.notna().to_numpy()
    return (
        surface.geometry.to_numpy()[keep],
        owner.to_numpy()[keep].astype(int),
        surface["bobot"].to_numpy(dtype=float)[keep],
    )


def desa_fractions(
    polygons: np.ndarray,
    radius: np.ndarray,
    facility_points: np.ndarray,
    *,
    surface: tuple | None = None,
) -> np.ndarray:
    """Return each desa's covered share of people, given its own radius.

    People are even over each desa (the documented definition), except in desa
    that a finer population surface covers: there the share is the weight of
    surface points within reach over the desa's total surface weight.
    """
    fraction = np.zeros(len(polygons))
    for value in np.unique(radius[np.isfinite(radius)]):
        members = radius == value
        fraction[members] = covered_fraction(polygons[members], facility_points, float(value))
    if surface is None:
        return fraction
    points, owner, _ = surface
    reached = np.zeros(len(points), dtype=bool)
    if len(facility_points):
        tree = shapely.STRtree(facility_points)
        point_radius = radius[owner]
        for value in np.unique(point_radius[np.isfinite(point_radius)]):
            group = np.flatnonzero(point_radius == value)
            hits = tree.query(points[group], predicate="dwithin", distance=float(value))
            reached[group[np.unique(hits[0])]] = True
    return with_surface_shares(fraction, surface, reached)


def with_surface_shares(fraction: np.ndarray, surface: tuple, reached: np.ndarray) -> np.ndarray:
    """Return ``fraction`` with each polygon holding surface weight given its reached share.

    Parameters
    ----------
    fraction
        Share of people within reach per polygon, from the even-spread definition.
    surface
        ``(points, polygon row of each point, weight)`` from :func:`surface_arrays`.
    reached
        Per surface point, True when it is within reach.
    """
    _, owner, weight = surface
    totals = np.bincount(owner, weights=weight, minlength=len(fraction))
    covered = np.bincount(owner, weights=weight * reached, minlength=len(fraction))
    has_surface = totals > 0
    shares = fraction.copy()
    shares[has_surface] = covered[has_surface] / totals[has_surface]
    return shares


def coverage_by_desa(
    desa: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    catalogue: pd.DataFrame,
    surface: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Compute coverage of every distance-standard service for every desa.

    Parameters
    ----------
    desa
        Polygons in a metric CRS with ``kode_desa``, ``kode_kec``, ``tipe``
        (``desa`` or ``kelurahan``) and ``penduduk``.
    facilities
        Points in the same CRS with ``layanan``.
    catalogue
        Service catalogue (:func:`jangkau.catalogue.load_catalogue`).
    surface
        Optional finer population surface: points in the same CRS with
        ``kode_desa`` and ``bobot`` (share of the desa's people at the point).

    Returns
    -------
    pandas.DataFrame
        One row per desa × service: ``kode_desa``, ``kode_kec``, ``layanan``,
        ``radius_m``, ``penduduk``, ``penduduk_terlayani``, ``cakupan``
        (share of the desa's area within reach, which equals the covered
        share of its people).
    """
    require_metric(desa, "desa")
    require_metric(facilities, "facilities")
    if desa.crs != facilities.crs:
        raise ValueError("desa and facilities must share one metric CRS")
    polygons = desa.geometry.to_numpy()
    is_kelurahan = (desa["tipe"] == "kelurahan").to_numpy()
    population = desa["penduduk"].to_numpy(dtype=float)
    arrays = surface_arrays(desa, surface)

    def one_service(service: str) -> pd.DataFrame:
        points = facilities.loc[facilities["layanan"] == service].geometry.to_numpy()
        radius = service_radius(catalogue, service, is_kelurahan)
        fraction = desa_fractions(polygons, radius, points, surface=arrays)
        return pd.DataFrame(
            {
                "kode_desa": desa["kode_desa"].to_numpy(),
                "kode_kec": desa["kode_kec"].to_numpy(),
                "layanan": service,
                "radius_m": radius,
                "penduduk": population,
                "penduduk_terlayani": population * fraction,
                "cakupan": fraction,
            }
        )

    frames = map_threads(one_service, distance_services(catalogue))
    columns = [
        "kode_desa",
        "kode_kec",
        "layanan",
        "radius_m",
        "penduduk",
        "penduduk_terlayani",
        "cakupan",
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def coverage_by_kecamatan(desa_coverage: pd.DataFrame) -> pd.DataFrame:
    """Aggregate desa coverage: Σ covered population / Σ population per kecamatan × service."""
    grouped = desa_coverage.groupby(["kode_kec", "layanan"], sort=False)[
        ["penduduk", "penduduk_terlayani"]
    ].sum(min_count=1)
    grouped["cakupan"] = np.where(
        grouped["penduduk"] > 0,
        grouped["penduduk_terlayani"] / grouped["penduduk"].where(grouped["penduduk"] > 0),
        np.nan,
    )
    return grouped.reset_index()


def wide_coverage(long: pd.DataFrame, key: str) -> pd.DataFrame:
    """Pivot coverage to one ``cakupan_<layanan>`` column per service, indexed by ``key``."""
    if long.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(long["layanan"]))
    wide = long.pivot(index=key, columns="layanan", values="cakupan")[order]
    wide.columns = [f"cakupan_{c}" for c in wide.columns]
    return wide
