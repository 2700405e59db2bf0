"""The road network as a graph: how road lines become nodes and edges.

Building (the checkable definition):

- every vertex of every road line is a node; lines that share a vertex (same
  coordinates to the centimetre, in the run's metric CRS) meet there. Lines
  that cross without a shared vertex (a bridge over a road) do not meet;
- each pair of consecutive vertices is an edge whose time in minutes is its
  length at the line's speed; a one-way line (``arah`` 1 or -1) is passable
  in one direction only;
- a line end that touches no other line and lies within
  ``toleransi_sambung_m`` of another line is joined to the nearest point of
  it (a new vertex there) by a short edge at the end's line speed (every
  join is reported);
- separate pieces of the network shorter in total than
  ``panjang_fragmen_min_m`` are dropped (reported); the largest piece and
  longer pieces (an island's own roads) are kept.

Travel times over the built network are in :mod:`jangkau.analysis.routing`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

METRES_PER_MINUTE_AT_1_KMH = 1000.0 / 60.0
# Coordinates closer than this are one vertex (metres).
VERTEX_GRID_M = 0.01


@dataclass(frozen=True)
class RoadNetwork:
    """A noded road network: node coordinates and directed-capable edges.

    ``forward[e]`` says the edge may be travelled from ``u[e]`` to ``v[e]``,
    ``backward[e]`` from ``v[e]`` to ``u[e]``.
    """

    nodes: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    minutes: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    kelas: np.ndarray
    km_per_jam: np.ndarray
    joined: np.ndarray
    report: dict = field(default_factory=dict)
    ferry: np.ndarray | None = None
    closed: np.ndarray | None = None

    def road_edges(self) -> np.ndarray:
        """Return the numbers of the edges a walk may reach (not ferry crossings, not closed)."""
        blocked = np.zeros(len(self.u), dtype=bool)
        for mask in (self.ferry, self.closed):
            if mask is not None:
                blocked |= mask
        return np.flatnonzero(~blocked)

    def without(self, edges: np.ndarray) -> RoadNetwork:
        """Return the network with ``edges`` closed: passable in neither direction, no road point.

        Edge numbers stay as they are, so places snapped to an open edge keep their place.
        """
        closed = np.zeros(len(self.u), dtype=bool)
        closed[np.asarray(edges, dtype=np.int64)] = True
        if self.closed is not None:
            closed |= self.closed
        network = dataclasses.replace(
            self, forward=self.forward & ~closed, backward=self.backward & ~closed, closed=closed
        )
        object.__setattr__(network, "_edge_lines", self.edge_lines())  # the same edges
        return network

    @property
    def edge_count(self) -> int:
        """Return the number of edges."""
        return len(self.u)

    def edge_lines(self) -> np.ndarray:
        """Return each edge as a two-point shapely line (made once per network; do not modify)."""
        lines = self.__dict__.get("_edge_lines")
        if lines is None:
            lines = shapely.linestrings(
                np.stack([self.nodes[self.u], self.nodes[self.v]], axis=1).reshape(-1, 2, 2)
            )
            # A frozen dataclass: the cache is set past its guard (the edges never change).
            object.__setattr__(self, "_edge_lines", lines)
        return lines


def _segments(roads: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Split lines into consecutive-vertex segments, with each segment's line and node ids."""
    parts = shapely.get_parts(roads.geometry.to_numpy())
    part_line = np.repeat(
        np.arange(len(roads)), shapely.get_num_geometries(roads.geometry.to_numpy())
    )
    coords, part_of_coord = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords / VERTEX_GRID_M).astype(np.int64)
    unique_keys, node_of_coord = np.unique(keys, axis=0, return_inverse=True)
    node_of_coord = node_of_coord.ravel()
    # A segment joins coordinate i to i+1 when both belong to the same part.
    same_part = part_of_coord[:-1] == part_of_coord[1:]
    start = np.flatnonzero(same_part)
    u, v = node_of_coord[start], node_of_coord[start + 1]
    line = part_line[part_of_coord[start]]
    keep = u != v
    first = np.r_[True, part_of_coord[1:] != part_of_coord[:-1]]
    last = np.r_[part_of_coord[1:] != part_of_coord[:-1], True]
    ends = np.concatenate([node_of_coord[first], node_of_coord[last]])
    end_line = np.concatenate([part_line[part_of_coord[first]], part_line[part_of_coord[last]]])
    return {
        "nodes": unique_keys * VERTEX_GRID_M,
        "u": u[keep],
        "v": v[keep],
        "line": line[keep],
        "ends": ends,
        "end_line": end_line,
    }


def _join_loose_ends(
    nodes: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    line: np.ndarray,
    ends: np.ndarray,
    end_line: np.ndarray,
    tolerance_m: float,
) -> tuple[np.ndarray, ...]:
    """Join each loose line end to the nearest point of another line within the tolerance.

    The edge met is split at that point (a new node) unless the point is one
    of its ends. Returns the new node table, the edges (u, v, line) with the
    splits made, and the joins (end node, met node, distance, line of the end).
    """
    degree = np.bincount(np.concatenate([u, v]), minlength=len(nodes))
    loose = np.unique(ends[degree[ends] == 1])
    empty = np.array([], dtype=np.int64)
    if len(loose) == 0 or tolerance_m <= 0:
        return nodes, u, v, line, empty, empty, np.array([]), empty
    loose_line = pd.Series(end_line, index=ends).groupby(level=0).first().loc[loose].to_numpy()
    segments = shapely.linestrings(np.stack([nodes[u], nodes[v]], axis=1).reshape(-1, 2, 2))
    points = shapely.points(nodes[loose])
    which, edge = shapely.STRtree(segments).query(points, predicate="dwithin", distance=tolerance_m)
    other = line[edge] != loose_line[which]
    which, edge = which[other], edge[other]
    if len(which) == 0:
        return nodes, u, v, line, empty, empty, np.array([]), empty
    distance = shapely.distance(points[which], segments[edge])
    best = (
        pd.DataFrame({"p": which, "e": edge, "d": distance})
        .sort_values(["p", "d", "e"])
        .drop_duplicates("p")
    )
    which, edge, distance = best["p"].to_numpy(), best["e"].to_numpy(), best["d"].to_numpy()
    length = shapely.length(segments[edge])
    along = shapely.line_locate_point(segments[edge], points[which])
    at_u, at_v = along <= VERTEX_GRID_M, along >= length - VERTEX_GRID_M
    met = np.where(at_u, u[edge], np.where(at_v, v[edge], -1))
    split = met < 0
    # An end lying on another line (no shared vertex) becomes a vertex of it: no joining edge.
    touching = split & (distance <= VERTEX_GRID_M)
    met[touching] = loose[which[touching]]
    fresh = split & ~touching
    new_xy = shapely.get_coordinates(
        shapely.line_interpolate_point(segments[edge[fresh]], along[fresh])
    )
    met[fresh] = len(nodes) + np.arange(fresh.sum())
    nodes = np.vstack([nodes, new_xy])
    keep = np.ones(len(u), dtype=bool)
    extra_u, extra_v, extra_line = [], [], []
    splits = pd.DataFrame({"e": edge[split], "a": along[split], "n": met[split]})
    for e, group in splits.sort_values(["e", "a"]).groupby("e"):
        chain = [u[e], *group["n"].tolist(), v[e]]
        keep[e] = False
        extra_u += chain[:-1]
        extra_v += chain[1:]
        extra_line += [line[e]] * (len(chain) - 1)
    u = np.concatenate([u[keep], np.asarray(extra_u, dtype=np.int64)])
    v = np.concatenate([v[keep], np.asarray(extra_v, dtype=np.int64)])
    line = np.concatenate([line[keep], np.asarray(extra_line, dtype=np.int64)])
    end_nodes = loose[which]
    pair = np.sort(np.stack([end_nodes, met], axis=1), axis=1)
    first = ~pd.DataFrame(pair).duplicated().to_numpy() & (end_nodes != met)
    return (
        nodes,
        u,
        v,
        line,
        end_nodes[first],
        met[first],
        distance[first],
        loose_line[which][first],
    )


def build_network(
    roads: gpd.GeoDataFrame, *, tolerance_m: float, min_fragment_m: float
) -> RoadNetwork:
    """Node road lines into a network; join loose ends and drop small separate pieces.

    Parameters
    ----------
    roads
        Lines in a metric CRS with ``kelas``, ``km_per_jam`` and ``arah``
        (:func:`jangkau.clean.roads.standardise_roads`).
    tolerance_m
        Loose line ends within this distance of another line are joined to it.
    min_fragment_m
        Separate pieces shorter than this in total are dropped.

    Returns
    -------
    RoadNetwork
        With ``report``: ``panjang_km_per_kelas``, ``sambungan`` (joins made:
        ``x``, ``y``, ``jarak_m``, ``kelas``), ``fragmen_dibuang`` (count,
        km), ``komponen_terpisah`` (kept separate pieces).
    """
    if len(roads) == 0:
        raise ValueError("no road lines")
    parts = _segments(roads)
    nodes, u, v, line = parts["nodes"], parts["u"], parts["v"], parts["line"]
    nodes, u, v, line, join_a, join_b, join_distance, join_line = _join_loose_ends(
        nodes, u, v, line, parts["ends"], parts["end_line"], tolerance_m
    )
    is_join = np.r_[np.zeros(len(u), dtype=bool), np.ones(len(join_a), dtype=bool)]
    u = np.concatenate([u, join_a]).astype(np.int64)
    v = np.concatenate([v, join_b]).astype(np.int64)
    line = np.concatenate([line, join_line]).astype(np.int64)
    direction = roads["arah"].to_numpy()[line]
    direction[is_join] = 0
    length = np.hypot(*(nodes[u] - nodes[v]).T)
    speed = roads["km_per_jam"].to_numpy(dtype=float)[line]
    kelas = roads["kelas"].to_numpy()[line]

    graph = sparse.coo_matrix((np.ones(len(u)), (u, v)), shape=(len(nodes), len(nodes)))
    count, label = csgraph.connected_components(graph, directed=False)
    piece_length = np.bincount(label[u], weights=length, minlength=count)
    largest = int(np.argmax(piece_length))
    keep_piece = (piece_length >= min_fragment_m) | (np.arange(count) == largest)
    used = np.bincount(label[u], minlength=count) > 0
    keep_edge = keep_piece[label[u]]
    dropped = used & ~keep_piece
    kept_separate = used & keep_piece & (np.arange(count) != largest)

    nodes_used = np.unique(np.concatenate([u[keep_edge], v[keep_edge]]))
    renumber = np.full(len(nodes), -1, dtype=np.int64)
    renumber[nodes_used] = np.arange(len(nodes_used))
    u, v = renumber[u[keep_edge]], renumber[v[keep_edge]]
    length, speed, kelas = length[keep_edge], speed[keep_edge], kelas[keep_edge]
    direction, is_join = direction[keep_edge], is_join[keep_edge]

    by_class = pd.Series(length[~is_join]).groupby(kelas[~is_join]).sum() / 1000.0
    end_xy = nodes[join_a] if len(join_a) else np.empty((0, 2))
    report = {
        "garis": len(roads),
        "ruas": int((~is_join).sum()),
        "panjang_km_per_kelas": by_class.round(3).to_dict(),
        "sambungan": pd.DataFrame(
            {
                "x": end_xy[:, 0],
                "y": end_xy[:, 1],
                "jarak_m": join_distance,
                "kelas": roads["kelas"].to_numpy()[join_line] if len(join_line) else [],
            }
        ),
        "fragmen_dibuang": int(dropped.sum()),
        "fragmen_dibuang_km": float(piece_length[dropped].sum() / 1000.0),
        "komponen_terpisah": int(kept_separate.sum()),
        "komponen_terpisah_km": float(piece_length[kept_separate].sum() / 1000.0),
    }
    return RoadNetwork(
        nodes=nodes[nodes_used],
        u=u,
        v=v,
        length_m=length,
        minutes=length / (speed * METRES_PER_MINUTE_AT_1_KMH),
        forward=direction >= 0,
        backward=direction <= 0,
        kelas=kelas,
        km_per_jam=speed,
        joined=is_join,
        report=report,
    )
