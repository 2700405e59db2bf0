"""Travel times over a built road network, from many facilities at once.

Points (facilities, desa, grid cells) are placed on their nearest road edge
(:func:`snap`). Travel times are computed backwards from the facilities with
one Dijkstra run per service (:func:`minutes_to_nearest`,
``scipy.sparse.csgraph``): a virtual source joined to the ends of each
facility's road edge by its access time, so the result at every node is the
time from that node to the nearest facility of the service.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from jangkau.analysis.network import RoadNetwork


@dataclass(frozen=True)
class Snapped:
    """Points placed on their nearest edge: edge, fraction along it from ``u``, distance off it."""

    edge: np.ndarray
    fraction: np.ndarray
    distance_m: np.ndarray


def snap(network: RoadNetwork, points: np.ndarray, tree: shapely.STRtree | None = None) -> Snapped:
    """Place each point on the nearest point of the nearest road edge (ties: lowest edge number).

    ``tree`` is an STRtree of ``network.edge_lines()[network.road_edges()]``
    (built here when not given); ferry crossings are never a road point.
    """
    roads = network.road_edges()
    lines = network.edge_lines()
    tree = tree or shapely.STRtree(lines[roads])
    points = np.asarray(points, dtype=object)
    if len(points) == 0:
        return Snapped(np.array([], dtype=np.int64), np.array([]), np.array([]))
    (which, edge), distance = tree.query_nearest(points, return_distance=True, all_matches=True)
    first = pd.DataFrame({"p": which, "e": edge, "d": distance}).sort_values(["p", "e"])
    first = first.drop_duplicates("p")
    if len(first) != len(points):
        raise ValueError("every point to snap needs coordinates (empty points given)")
    edge, distance = roads[first["e"].to_numpy()], first["d"].to_numpy()
    fraction = shapely.line_locate_point(lines[edge], points, normalized=True)
    return Snapped(edge=edge, fraction=np.nan_to_num(fraction), distance_m=distance)


def minutes_to_nearest(
    network: RoadNetwork, sources: Snapped, access_minutes: np.ndarray
) -> np.ndarray:
    """Return, per node, the minutes to the nearest source over the network (inf: unreachable).

    Parameters
    ----------
    network
        The road network.
    sources
        Facilities snapped to edges.
    access_minutes
        Per facility, the minutes from its road point to the facility itself.
    """
    n = len(network.nodes)
    if len(sources.edge) == 0:
        return np.full(n, np.inf)
    e, s = sources.edge, sources.fraction
    w = network.minutes[e]
    # From node u the facility is s*w along its edge (needs u->v); from v, (1-s)*w (needs v->u).
    usable = np.isfinite(access_minutes)  # a facility off the land has no road access
    reach_u, reach_v = network.forward[e] & usable, network.backward[e] & usable
    # scipy drops explicit zeros as non-edges, so every source edge carries +1 minute, taken off after.
    super_node = n
    graph = reversed_graph(
        network,
        extra_rows=np.full(reach_u.sum() + reach_v.sum(), super_node),
        extra_cols=np.concatenate([network.u[e][reach_u], network.v[e][reach_v]]),
        extra_weights=np.concatenate(
            [
                1.0 + access_minutes[reach_u] + s[reach_u] * w[reach_u],
                1.0 + access_minutes[reach_v] + (1.0 - s[reach_v]) * w[reach_v],
            ]
        ),
        size=n + 1,
    )
    times = csgraph.dijkstra(graph, directed=True, indices=super_node)
    return times[:n] - 1.0


def reversed_graph(
    network: RoadNetwork,
    *,
    extra_rows: np.ndarray | None = None,
    extra_cols: np.ndarray | None = None,
    extra_weights: np.ndarray | None = None,
    size: int | None = None,
) -> sparse.csr_matrix:
    """Return the network reversed (an edge passable u->v becomes v->u) as a sparse matrix.

    A search outward on it gives times *to* its start. Parallel edges (two
    lines between the same vertices) keep the quicker one; extra edges may be added.
    """
    rows = np.concatenate([network.v[network.forward], network.u[network.backward]])
    cols = np.concatenate([network.u[network.forward], network.v[network.backward]])
    weight = np.concatenate([network.minutes[network.forward], network.minutes[network.backward]])
    if extra_rows is not None:
        rows = np.concatenate([rows, extra_rows])
        cols = np.concatenate([cols, extra_cols])
        weight = np.concatenate([weight, extra_weights])
    size = size or len(network.nodes)
    frame = pd.DataFrame({"r": rows, "c": cols, "w": weight}).groupby(["r", "c"])["w"].min()
    index = frame.index.to_frame().to_numpy()
    return sparse.csr_matrix((frame.to_numpy(), (index[:, 0], index[:, 1])), shape=(size, size))


def trip_minutes(
    network: RoadNetwork,
    points: Snapped,
    node_minutes: np.ndarray,
    facilities: Snapped,
    facility_access_minutes: np.ndarray,
    walk_metres_per_minute: float,
) -> np.ndarray:
    """Return, per point, walk to its road point + road to the nearest facility (inf: none)."""
    e, t = points.edge, points.fraction
    w = network.minutes[e]
    via_u = np.where(network.backward[e], t * w + node_minutes[network.u[e]], np.inf)
    via_v = np.where(network.forward[e], (1.0 - t) * w + node_minutes[network.v[e]], np.inf)
    best = np.minimum(via_u, via_v)
    # A facility on the point's own edge is reached along the edge, without a node.
    if len(facilities.edge):
        same = pd.DataFrame({"e": e, "p": np.arange(len(e))}).merge(
            pd.DataFrame(
                {"e": facilities.edge, "s": facilities.fraction, "a": facility_access_minutes}
            ),
            on="e",
        )
        if len(same):
            edge = same["e"].to_numpy()
            gap = same["s"].to_numpy() - t[same["p"].to_numpy()]
            allowed = np.where(gap >= 0, network.forward[edge], network.backward[edge])
            direct = np.where(
                allowed, np.abs(gap) * network.minutes[edge] + same["a"].to_numpy(), np.inf
            )
            along = pd.Series(direct).groupby(same["p"].to_numpy()).min()
            best[along.index.to_numpy()] = np.minimum(
                best[along.index.to_numpy()], along.to_numpy()
            )
    return points.distance_m / walk_metres_per_minute + best
