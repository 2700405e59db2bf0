"""An independent computation of travel-time coverage, for checking published figures.

Plain networkx Dijkstra over a road layer (one row per straight edge, as the
``jalan`` layer publishes it), with every grid point and facility inserted
into the graph as its own node where it meets its nearest edge. It shares no
code with ``jangkau.analysis.network`` or ``jangkau.analysis.travel``: the
lattice, the snapping, the splitting of edges and the shortest paths are all
written here from the README's definition.
"""

from __future__ import annotations

import math
from collections import defaultdict

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point


def lattice(desa: gpd.GeoDataFrame, spacing: float) -> list[tuple[int, float, float]]:
    """Return (desa row, x, y) for every lattice point strictly inside a desa (or its surface point)."""
    out = []
    for row, polygon in enumerate(desa.geometry):
        minx, miny, maxx, maxy = polygon.bounds
        found = False
        for i in range(math.ceil(minx / spacing), math.floor(maxx / spacing) + 1):
            for j in range(math.ceil(miny / spacing), math.floor(maxy / spacing) + 1):
                if polygon.contains(Point(i * spacing, j * spacing)):
                    out.append((row, i * spacing, j * spacing))
                    found = True
        if not found:
            spot = polygon.representative_point()
            out.append((row, spot.x, spot.y))
    return out


class _Subset:
    """Nearest-edge queries over some of the edges, answering in all-edge numbers."""

    def __init__(self, edges: list, chosen: list[int]) -> None:
        self.chosen = np.asarray(chosen)
        self.tree = shapely.STRtree([edges[e] for e in chosen])

    def query_nearest(self, point, all_matches=True):
        return self.chosen[self.tree.query_nearest(point, all_matches=all_matches)]


def _nearest_edge(edges: list, tree: _Subset, x: float, y: float) -> tuple[int, float]:
    point = Point(x, y)
    candidates = tree.query_nearest(point, all_matches=True)
    best = min(candidates, key=lambda e: (edges[e].distance(point), e))
    return int(best), edges[best].distance(point)


def trip_times(
    roads: gpd.GeoDataFrame,
    starts: list[tuple[float, float]],
    sites: list[tuple[float, float]],
    *,
    walk_kmh: float,
    direct_beyond_m: float,
    land,
    reach_m: float,
) -> np.ndarray:
    """Return minutes from each start to the nearest site, by the README's trip definition.

    No walk leaves ``land``. A start farther than ``direct_beyond_m`` from
    every road, or whose walk to its road would leave the land, may walk
    straight to a site up to ``reach_m`` away along a line inside ``land``.
    """
    if not sites:
        return np.full(len(starts), np.inf)
    walk = walk_kmh * 1000 / 60
    edges = list(roads.geometry)
    # People board ferries at the landings: a walk reaches roads, never a crossing.
    walkable = [e for e, ferry in enumerate(roads.get("feri", [False] * len(edges))) if not ferry]
    tree = _Subset(edges, walkable)
    attach: dict[int, list] = defaultdict(list)
    on_road: set[int] = set()
    graph = nx.DiGraph()

    def add(a, b, minutes):
        if graph.has_edge(a, b):
            minutes = min(minutes, graph[a][b]["w"])
        graph.add_edge(a, b, w=minutes)

    for kind, items in (("p", starts), ("f", sites)):
        for index, (x, y) in enumerate(items):
            edge, distance = _nearest_edge(edges, tree, x, y)
            along = edges[edge].project(Point(x, y))
            walk_line = LineString([(x, y), edges[edge].interpolate(along)])
            if distance > 0 and not land.covers(walk_line):
                continue  # the walk to the road would cross the sea: no trip by road
            attach[edge].append((along, (kind, index), distance))
            if kind == "p":
                on_road.add(index)
    for e, (line, speed, one_way) in enumerate(
        zip(edges, roads["km_per_jam"], roads["satu_arah"], strict=True)
    ):
        (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
        stops = [(0.0, ("n", round(x0, 2), round(y0, 2)))]
        stops += [(along, ("a", who)) for along, who, _ in attach.get(e, [])]
        stops += [(line.length, ("n", round(x1, 2), round(y1, 2)))]
        stops.sort(key=lambda s: s[0])
        per_metre = 1 / (speed * 1000 / 60)
        for (a_at, a), (b_at, b) in zip(stops, stops[1:], strict=False):
            add(a, b, (b_at - a_at) * per_metre)
            if not one_way:
                add(b, a, (b_at - a_at) * per_metre)
    for attachments in attach.values():
        for _, (kind, index), distance in attachments:
            if kind == "p":
                add(("start", index), ("a", (kind, index)), distance / walk)
            else:
                add(("a", (kind, index)), ("site", index), distance / walk)
    sources = [("site", j) for j in range(len(sites)) if graph.has_node(("site", j))]
    if not sources:
        sources = []
    reverse = graph.reverse(copy=False)
    lengths = nx.multi_source_dijkstra_path_length(reverse, sources, weight="w") if sources else {}
    minutes = np.array([lengths.get(("start", i), np.inf) for i in range(len(starts))])
    site_points = [Point(s) for s in sites]
    for i, (x, y) in enumerate(starts):
        point = Point(x, y)
        road_distance = min(edges[e].distance(point) for e in tree.query_nearest(point))
        if road_distance <= direct_beyond_m and i in on_road:
            continue
        for site in site_points:
            walk_line = LineString([point, site])
            if walk_line.length <= reach_m and land.covers(walk_line):
                minutes[i] = min(minutes[i], walk_line.length / walk)
    return minutes


def independent_coverage(
    desa: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    standards: dict[str, tuple[float, float]],
    *,
    spacing: float,
    walk_kmh: float,
    direct_beyond_m: float,
    land_margin_m: float = 50.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (desa, kecamatan) travel-time coverage per service, long, recomputed independently.

    ``standards`` maps a service to its (kelurahan, desa) minutes; population
    even over each desa's lattice points.
    """
    points = lattice(desa, spacing)
    starts = [(x, y) for _, x, y in points]
    owner = np.array([row for row, _, _ in points])
    rows = []
    for service, (kelurahan_minutes, desa_minutes) in standards.items():
        chosen = facilities[facilities["layanan"] == service]
        sites = [(p.x, p.y) for p in chosen.geometry]
        minutes = trip_times(
            roads,
            starts,
            sites,
            walk_kmh=walk_kmh,
            direct_beyond_m=direct_beyond_m,
            land=desa.geometry.union_all().buffer(land_margin_m),
            reach_m=max(kelurahan_minutes, desa_minutes) * walk_kmh * 1000 / 60,
        )
        for row, place in enumerate(desa.itertuples()):
            limit = kelurahan_minutes if place.tipe == "kelurahan" else desa_minutes
            mine = minutes[owner == row]
            share = float(np.mean(mine <= limit + 1e-9))
            rows.append(
                {
                    "kode_desa": place.kode_desa,
                    "kode_kec": place.kode_kec,
                    "layanan": service,
                    "penduduk": place.penduduk,
                    "terlayani": place.penduduk * share,
                    "cakupan_waktu": share,
                    "waktu_median": float(np.sort(mine)[math.ceil(0.5 * len(mine)) - 1]),
                }
            )
    by_desa = pd.DataFrame(rows)
    by_kec = by_desa.groupby(["kode_kec", "layanan"])[["penduduk", "terlayani"]].sum()
    by_kec["cakupan_waktu"] = by_kec["terlayani"] / by_kec["penduduk"]
    return by_desa, by_kec.reset_index()
