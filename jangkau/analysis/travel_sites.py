"""Proposed sites by travel time: who a site would reach by road within the time standard.

When the region has a road network, the maximal-covering step of
:mod:`jangkau.analysis.proposals` measures reach by the trip defined in
:mod:`jangkau.analysis.travel` instead of a straight-line radius:

- demand is the same population grid (points with their share of the desa's
  people); a point already reached in time by an existing facility is left out;
- candidate sites lie on the network: each point of the candidate grid moves
  to its nearest road point (a region's own candidate sites stay where the
  land is, and are reached by their walk from the road);
- a candidate reaches a demand point when the trip between them takes at most
  the point's time standard (:func:`jangkau.analysis.travel_cover.candidate_cover`);
- what each site adds is counted on the same grid, in the order chosen: the
  people of the grid points it newly reaches (the polygon method of the
  straight-line case has no counterpart for trips).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse
import shapely

from jangkau.analysis.network import METRES_PER_MINUTE_AT_1_KMH, RoadNetwork
from jangkau.analysis.routing import minutes_to_nearest, snap, trip_minutes
from jangkau.analysis.travel import straight_walk_m, walk_on_land
from jangkau.analysis.travel_cover import candidate_cover


@dataclass(frozen=True)
class TravelSetting:
    """A road network and the trip rules of :mod:`jangkau.analysis.travel` (metric CRS).

    ``land`` is the union of the region's desa widened by ``land_margin_m``.
    """

    network: RoadNetwork
    walking_kmh: float
    land: shapely.Geometry
    land_margin_m: float
    direct_walk_beyond_m: float

    @property
    def walk(self) -> float:
        """Walking speed in metres per minute."""
        return self.walking_kmh * METRES_PER_MINUTE_AT_1_KMH

    def tree(self) -> shapely.STRtree:
        """Return an index of the road edges (ferry crossings are no road point)."""
        return shapely.STRtree(self.network.edge_lines()[self.network.road_edges()])


def reached_in_time(
    setting: TravelSetting, xy: np.ndarray, standard: np.ndarray, sites: np.ndarray
) -> np.ndarray:
    """Return, per point (coordinates), whether a site (coordinates) is within its time standard."""
    if len(sites) == 0 or len(xy) == 0:
        return np.zeros(len(xy), dtype=bool)
    network, walk, tree = setting.network, setting.walk, setting.tree()
    points, site_points = shapely.points(xy), shapely.points(sites)
    margin = setting.land_margin_m
    on_road = walk_on_land(network, snap(network, points, tree), points, setting.land, margin)
    placed = walk_on_land(
        network, snap(network, site_points, tree), site_points, setting.land, margin
    )
    access = placed.distance_m / walk
    node_minutes = minutes_to_nearest(network, placed, access)
    minutes = trip_minutes(network, on_road, node_minutes, placed, access, walk)
    far = np.flatnonzero(on_road.distance_m > setting.direct_walk_beyond_m)
    if len(far):
        reach_m = float(np.max(standard)) * walk
        straight = straight_walk_m(points[far], site_points, land=setting.land, reach_m=reach_m)
        minutes[far] = np.minimum(minutes[far], straight / walk)
    return minutes <= standard + 1e-9


def on_network(setting: TravelSetting, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the points moved to their nearest road points, and which points were kept.

    Points that land on the same road point are kept once (the first).
    """
    if len(xy) == 0:
        return xy, np.array([], dtype=int)
    network = setting.network
    placed = snap(network, shapely.points(xy), setting.tree())
    road = shapely.line_interpolate_point(
        network.edge_lines()[placed.edge], placed.fraction, normalized=True
    )
    moved = shapely.get_coordinates(road)
    kept = np.sort(np.unique(np.round(moved, 3), axis=0, return_index=True)[1])
    return moved[kept], kept


def travel_reach(
    setting: TravelSetting, demand: np.ndarray, standard: np.ndarray, candidates: np.ndarray
) -> scipy.sparse.csr_matrix:
    """Return the demand × candidate matrix: 1 where the trip takes at most the demand's standard."""
    if len(demand) == 0 or len(candidates) == 0:
        return scipy.sparse.csr_matrix((len(demand), len(candidates)))
    cover = candidate_cover(
        setting.network,
        shapely.points(candidates),
        shapely.points(demand),
        standard_minutes=standard,
        walking_kmh=setting.walking_kmh,
        land=setting.land,
        land_margin_m=setting.land_margin_m,
        direct_walk_beyond_m=setting.direct_walk_beyond_m,
    )
    return scipy.sparse.csr_matrix(cover.T, dtype=float)


def grid_site_rows(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    demand_kecamatan: np.ndarray,
    chosen: np.ndarray,
    site_kecamatan: np.ndarray,
    covered_before: pd.Series,
    people: pd.Series,
) -> tuple[np.ndarray, np.ndarray]:
    """Return each chosen site's gain on the grid (in order) and its kecamatan's coverage after it.

    ``weight`` holds the people of the demand points not yet reached;
    ``covered_before`` and ``people`` are per kecamatan.
    """
    by_candidate = reach.tocsc()
    open_weight = np.asarray(weight, dtype=float).copy()
    gains, after = [], []
    added: dict[str, float] = {}
    for site, kecamatan in zip(chosen, site_kecamatan, strict=True):
        rows = by_candidate.indices[by_candidate.indptr[site] : by_candidate.indptr[site + 1]]
        fresh = rows[open_weight[rows] > 0]
        gains.append(float(open_weight[fresh].sum()))
        for code, amount in (
            pd.Series(open_weight[fresh]).groupby(demand_kecamatan[fresh]).sum().items()
        ):
            added[code] = added.get(code, 0.0) + float(amount)
        open_weight[fresh] = 0.0
        total = float(people.get(kecamatan, 0.0))
        reached = float(covered_before.get(kecamatan, 0.0)) + added.get(kecamatan, 0.0)
        after.append(reached / total if total > 0 else np.nan)
    return np.round(np.array(gains), 1), np.round(np.array(after), 6)
