"""Which people a candidate site would reach within a time standard: the input of a covering model.

For proposed sites on a road network, a candidate site covers a demand
point (a population grid point) when the trip defined in
:mod:`jangkau.analysis.travel` from the point to the candidate takes at most
the point's time standard. :func:`candidate_cover` returns that relation as
a sparse boolean matrix (candidates × demand points), computed with one
bounded Dijkstra search per candidate road end (searches stop at the longest
standard), so a greedy or exact maximal-covering solver can use it as it
uses straight-line discs.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from jangkau.analysis.network import METRES_PER_MINUTE_AT_1_KMH, RoadNetwork
from jangkau.analysis.routing import Snapped, reversed_graph, snap, trip_minutes
from jangkau.analysis.travel import straight_walk_m, walk_on_land


def candidate_cover(
    network: RoadNetwork,
    candidates: np.ndarray,
    demand: np.ndarray,
    *,
    standard_minutes: np.ndarray,
    walking_kmh: float,
    land: shapely.Geometry,
    land_margin_m: float,
    direct_walk_beyond_m: float,
    batch: int = 64,
) -> sparse.csr_matrix:
    """Return a boolean matrix: row c, column d is True when candidate c reaches demand point d in time.

    Parameters
    ----------
    network
        The road network (metric CRS).
    candidates, demand
        Points in the network's CRS.
    standard_minutes
        Per demand point, its time standard.
    walking_kmh, land, land_margin_m, direct_walk_beyond_m
        As for :func:`jangkau.analysis.travel.travel_coverage_by_desa`
        (``land`` already widened by ``land_margin_m`` and prepared).
    batch
        Candidates searched together (memory: two rows of node times each).
    """
    walk = walking_kmh * METRES_PER_MINUTE_AT_1_KMH
    limit = float(np.max(standard_minutes)) if len(standard_minutes) else 0.0
    tree = shapely.STRtree(network.edge_lines()[network.road_edges()])
    people = walk_on_land(network, snap(network, demand, tree), demand, land, land_margin_m)
    sites = walk_on_land(network, snap(network, candidates, tree), candidates, land, land_margin_m)
    access = sites.distance_m / walk
    graph = reversed_graph(network)
    rows, cols = [], []
    for start in range(0, len(candidates), batch):
        chunk = np.arange(start, min(start + batch, len(candidates)))
        e = sites.edge[chunk]
        ends = np.concatenate([network.u[e], network.v[e]])
        reach = csgraph.dijkstra(graph, directed=True, indices=ends, limit=limit)
        w = network.minutes[e]
        for i, c in enumerate(chunk):
            # Time from every node to candidate c: through either end of its edge.
            via_u = np.where(network.forward[e[i]], reach[i] + sites.fraction[c] * w[i], np.inf)
            via_v = np.where(
                network.backward[e[i]],
                reach[len(chunk) + i] + (1.0 - sites.fraction[c]) * w[i],
                np.inf,
            )
            node_minutes = np.minimum(via_u, via_v) + access[c]
            one = Snapped(
                sites.edge[c : c + 1], sites.fraction[c : c + 1], sites.distance_m[c : c + 1]
            )
            minutes = trip_minutes(network, people, node_minutes, one, access[c : c + 1], walk)
            hit = np.flatnonzero(minutes <= standard_minutes + 1e-9)
            rows.append(np.full(len(hit), c))
            cols.append(hit)
    far = np.flatnonzero(people.distance_m > direct_walk_beyond_m)
    if len(far):
        for c in range(len(candidates)):
            straight = straight_walk_m(
                demand[far], candidates[c : c + 1], land=land, reach_m=limit * walk
            )
            hit = far[straight / walk <= standard_minutes[far] + 1e-9]
            rows.append(np.full(len(hit), c))
            cols.append(hit)
    row = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
    col = np.concatenate(cols) if cols else np.array([], dtype=np.int64)
    matrix = sparse.csr_matrix(
        (np.ones(len(row), dtype=bool), (row, col)), shape=(len(candidates), len(demand))
    )
    matrix.sum_duplicates()
    return matrix.astype(bool)
