"""Proposed sites for new facilities: greedy maximal covering per kecamatan and service.

For every distance-standard service and every kecamatan whose coverage is
below the service's target, up to ``k`` sites are chosen one at a time from
candidate points on a regular grid inside the kecamatan's populated desa.
Each choice is the candidate that reaches the most people not yet within
reach, judged on demand points spread evenly over each desa (the documented
population surface: people even over each desa). The figures reported for a
chosen site are then computed exactly, with the same polygon method as the
coverage itself: ``tambahan_penduduk_terlayani`` is the kecamatan's covered
population with the site minus without it, given the sites chosen before it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.coverage import QUAD_SEGMENTS, covered_parts, desa_fractions, surface_arrays
from jangkau.crs import require_metric

SITE_COLUMNS = [
    "layanan",
    "kode_kec",
    "kode_desa",
    "urutan",
    "tambahan_penduduk_terlayani",
    "cakupan_setelah",
]


def grid_points(polygons: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Return grid points (spacing apart) inside each polygon, and the polygon each lies in.

    A polygon too small to hold a grid point gets one point on its surface,
    so no populated desa is left without demand or candidates.
    """
    points, owners = [], []
    for index, polygon in enumerate(polygons):
        minx, miny, maxx, maxy = polygon.bounds
        xs = np.arange(minx + spacing / 2, maxx, spacing)
        ys = np.arange(miny + spacing / 2, maxy, spacing)
        grid = (
            shapely.points(*(a.ravel() for a in np.meshgrid(xs, ys)))
            if len(xs) and len(ys)
            else np.array([])
        )
        inside = (
            grid[shapely.contains_xy(polygon, shapely.get_x(grid), shapely.get_y(grid))]
            if len(grid)
            else grid
        )
        if len(inside) == 0:
            inside = np.array([shapely.point_on_surface(polygon)])
        points.append(inside)
        owners.append(np.full(len(inside), index))
    if not points:
        return np.array([], dtype=object), np.array([], dtype=int)
    return np.concatenate(points), np.concatenate(owners)


def greedy_cover(
    reach: tuple[np.ndarray, np.ndarray], weights: np.ndarray, n_candidates: int, *, k: int
) -> list[int]:
    """Choose up to ``k`` candidates greedily, each adding the most uncovered weight.

    Parameters
    ----------
    reach
        ``(candidate, demand)`` index pairs: candidate covers demand point.
    weights
        Weight of each demand point (0 where already covered).
    n_candidates
        Number of candidates.
    k
        Most candidates to choose; fewer when no candidate adds anything.
    """
    candidate, demand = reach
    remaining = weights.astype(float).copy()
    chosen: list[int] = []
    for _ in range(k):
        gain = np.bincount(candidate, weights=remaining[demand], minlength=n_candidates)
        best = int(np.argmax(gain)) if n_candidates else -1
        if best < 0 or gain[best] <= 1e-9:
            break
        chosen.append(best)
        remaining[demand[candidate == best]] = 0.0
    return chosen


def propose_sites(
    desa: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    *,
    catalogue: pd.DataFrame,
    k: int = 3,
    max_points: int = 4000,
    surface: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Propose up to ``k`` new sites per distance service and kecamatan below target.

    Parameters
    ----------
    desa
        Polygons in a metric CRS with ``kode_desa``, ``kode_kec``, ``tipe``, ``penduduk``.
    facilities
        Existing facilities (points, same CRS) with ``layanan``.
    gaps
        The gap table (``kode_kec``, ``layanan``, ``cakupan``).
    catalogue
        Services with radii and ``target_cakupan``.
    k
        Most sites per kecamatan and service.
    max_points
        Cap on demand points per kecamatan; the grid coarsens to stay under it.
    surface
        Optional population surface (points with ``kode_desa``, ``bobot``):
        where present, demand sits on its points instead of an even grid.

    Returns
    -------
    geopandas.GeoDataFrame
        ``SITE_COLUMNS`` and point geometry, in the metric CRS.
    """
    require_metric(desa, "desa")
    rows: list[dict] = []
    geometries: list[shapely.Geometry] = []
    if k <= 0:
        return gpd.GeoDataFrame(rows, columns=SITE_COLUMNS, geometry=geometries, crs=desa.crs)
    standards = catalogue.set_index("layanan")
    below = gaps.merge(catalogue[["layanan", "target_cakupan"]], on="layanan")
    below = below[below["cakupan"].notna() & (below["cakupan"] < below["target_cakupan"] - 1e-9)]
    by_kecamatan = dict(tuple(desa.groupby("kode_kec", sort=False)))
    by_service = {
        service: points.geometry.to_numpy()
        for service, points in facilities.groupby("layanan", sort=False)
    }
    for row in below.itertuples(index=False):
        everyone = by_kecamatan.get(row.kode_kec)
        if everyone is None:
            continue
        members = everyone[everyone["penduduk"] > 0]
        if members.empty:
            continue
        radii = (
            standards.at[row.layanan, "radius_kelurahan_m"],
            standards.at[row.layanan, "radius_desa_m"],
        )
        everyone_radius = np.where(everyone["tipe"].to_numpy() == "kelurahan", *radii)
        radius = everyone_radius[(everyone["penduduk"] > 0).to_numpy()]
        # Only facilities within reach of the kecamatan can matter to it.
        existing = _near(
            by_service.get(row.layanan, np.array([], dtype=object)),
            everyone.geometry.to_numpy(),
            float(np.nanmax(everyone_radius)),
        )
        chosen = _choose(members, radius, existing, k=k, max_points=max_points, surface=surface)
        total = float(everyone["penduduk"].sum())
        before = float(row.cakupan) * total
        sites = list(existing)
        target = float(standards.at[row.layanan, "target_cakupan"]) * total
        exact = _ExactCoverage(everyone, everyone_radius, existing) if surface is None else None
        for order, (site, owner) in enumerate(chosen, start=1):
            if before >= target - 1e-6:
                break
            sites.append(site)
            if exact is not None:
                after = exact.add(site)
            else:
                after = _covered_people(
                    everyone, everyone_radius, np.array(sites, dtype=object), surface
                )
            rows.append(
                {
                    "layanan": row.layanan,
                    "kode_kec": row.kode_kec,
                    "kode_desa": owner,
                    "urutan": order,
                    "tambahan_penduduk_terlayani": round(after - before, 1),
                    "cakupan_setelah": round(after / total, 6) if total > 0 else np.nan,
                }
            )
            geometries.append(site)
            before = after
    return gpd.GeoDataFrame(rows, columns=SITE_COLUMNS, geometry=geometries, crs=desa.crs)


class _ExactCoverage:
    """The covered part of each desa, kept up to date as sites are added one at a time.

    Same definition as :func:`jangkau.coverage.covered_fraction` (union of
    discs, intersected with each desa), computed once for the existing
    facilities and then grown by each new site's disc.
    """

    def __init__(self, desa: gpd.GeoDataFrame, radius: np.ndarray, existing: np.ndarray) -> None:
        self.polygons = desa.geometry.to_numpy()
        self.radius = radius
        self.area = shapely.area(self.polygons)
        self.people = desa["penduduk"].to_numpy(dtype=float)
        self.covered = np.empty(len(self.polygons), dtype=object)
        for value in np.unique(radius):
            group = radius == value
            self.covered[group] = covered_parts(self.polygons[group], existing, float(value))

    def people_covered(self) -> float:
        share = np.where(self.area > 0, shapely.area(self.covered) / self.area, 0.0)
        return float((self.people * np.clip(share, 0, 1)).sum())

    def add(self, site: shapely.Geometry) -> float:
        centres = np.full(len(self.polygons), site, dtype=object)
        discs = shapely.buffer(centres, self.radius, quad_segs=QUAD_SEGMENTS)
        touched = shapely.intersects(discs, self.polygons)
        grown = shapely.intersection(discs[touched], self.polygons[touched])
        self.covered[touched] = shapely.union(self.covered[touched], grown)
        return self.people_covered()


def _covered_people(
    desa: gpd.GeoDataFrame, radius: np.ndarray, points: np.ndarray, surface: gpd.GeoDataFrame | None
) -> float:
    """Covered population of a set of desa, exactly as the coverage itself counts it."""
    polygons = desa.geometry.to_numpy()
    near = _near(points, polygons, float(np.nanmax(radius)))
    fraction = desa_fractions(polygons, radius, near, surface=surface_arrays(desa, surface))
    return float((desa["penduduk"].to_numpy(dtype=float) * fraction).sum())


def _near(points: np.ndarray, polygons: np.ndarray, radius: float) -> np.ndarray:
    """Return the points within ``radius`` of any polygon (only they can cover it)."""
    if len(points) == 0:
        return points
    extent = shapely.box(*shapely.total_bounds(polygons))
    return points[shapely.dwithin(points, extent, radius)]


def _choose(
    members: gpd.GeoDataFrame,
    radius: np.ndarray,
    existing: np.ndarray,
    *,
    k: int,
    max_points: int,
    surface: gpd.GeoDataFrame | None,
) -> list[tuple[shapely.Geometry, str]]:
    polygons = members.geometry.to_numpy()
    area = float(shapely.area(polygons).sum())
    smallest = float(np.nanmin(radius))
    demand_spacing = max(smallest / 4, np.sqrt(area / max_points))
    demand, demand_owner = grid_points(polygons, demand_spacing)
    candidates, candidate_owner = grid_points(
        polygons, max(smallest / 2, np.sqrt(area / (max_points / 4)))
    )
    per_desa = np.bincount(demand_owner, minlength=len(members))
    weights = members["penduduk"].to_numpy(dtype=float)[demand_owner] / per_desa[demand_owner]
    arrays = surface_arrays(members, surface)
    if arrays is not None:
        # Desa with a population surface put their demand on its points instead of the grid.
        points, owner, share = arrays
        surfaced = np.bincount(owner, weights=share, minlength=len(members)) > 0
        keep = ~surfaced[demand_owner]
        demand = np.concatenate([demand[keep], points])
        demand_owner = np.concatenate([demand_owner[keep], owner])
        weights = np.concatenate(
            [weights[keep], members["penduduk"].to_numpy(dtype=float)[owner] * share]
        )
    demand_radius = radius[demand_owner]
    covered = np.zeros(len(demand), dtype=bool)
    existing_tree = shapely.STRtree(existing) if len(existing) else None
    for value in np.unique(demand_radius):
        group = np.flatnonzero(demand_radius == value)
        if existing_tree is not None:
            hits = existing_tree.query(demand[group], predicate="dwithin", distance=float(value))
            covered[group[np.unique(hits[0])]] = True
    weights[covered] = 0.0
    pairs_candidate, pairs_demand = [], []
    tree = shapely.STRtree(candidates)
    for value in np.unique(demand_radius):
        group = np.flatnonzero(demand_radius == value)
        demand_index, candidate_index = tree.query(
            demand[group], predicate="dwithin", distance=float(value)
        )
        pairs_candidate.append(candidate_index)
        pairs_demand.append(group[demand_index])
    reach = (np.concatenate(pairs_candidate), np.concatenate(pairs_demand))
    picks = greedy_cover(reach, weights, len(candidates), k=k)
    codes = members["kode_desa"].to_numpy()
    return [(candidates[i], codes[candidate_owner[i]]) for i in picks]
