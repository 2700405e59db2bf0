"""Ferry crossings added to a road network: stated duration plus waiting time.

A region lists its ferry routes in its region file (``[[jalan.feri]]``: the
two landing points as ``dari`` / ``ke`` = [bujur, lintang], ``menit`` for
the crossing, ``tunggu_menit`` for the wait, ``nama``, ``sumber``). Each
route becomes one edge, passable both ways, between the road vertices
nearest its two landings; its time is the walk from that vertex to the
landing, the wait, the crossing, and the walk from the other landing to the
road vertex there (walking speed: ``jalan kaki``). A crossing is never the
road point a walk reaches: people board at the landings.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from jangkau.analysis.network import METRES_PER_MINUTE_AT_1_KMH, RoadNetwork

FERRY_CLASS = "feri"


def ferry_routes(routes: list[dict], *, crs: object) -> gpd.GeoDataFrame:
    """Return ferry routes from region-file entries: two landing points each, in ``crs``.

    Raises
    ------
    ValueError
        When a route lacks its landings or gives a time that is not a positive number.
    """
    rows = []
    for number, route in enumerate(routes, start=1):
        name = route.get("nama", f"feri {number}")
        try:
            start, end = [float(v) for v in route["dari"]], [float(v) for v in route["ke"]]
            minutes, wait = float(route["menit"]), float(route.get("tunggu_menit", 0.0))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"feri '{name}': perlu dari = [bujur, lintang], ke = [...], menit"
            ) from error
        if len(start) != 2 or len(end) != 2 or not minutes > 0 or not wait >= 0:
            raise ValueError(f"feri '{name}': titik atau waktu tidak sah")
        rows.append({"nama": name, "menit": minutes, "tunggu_menit": wait, "xy": [*start, *end]})
    if not rows:
        return gpd.GeoDataFrame(
            columns=["nama", "menit", "tunggu_menit", "dari", "ke"], geometry=[], crs=crs
        )
    xy = np.array([r["xy"] for r in rows])
    start = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4326).to_crs(crs)
    end = gpd.GeoSeries(gpd.points_from_xy(xy[:, 2], xy[:, 3]), crs=4326).to_crs(crs)
    frame = gpd.GeoDataFrame(
        {k: [r[k] for r in rows] for k in ("nama", "menit", "tunggu_menit")},
        geometry=start.to_numpy(),
        crs=crs,
    )
    frame["ke"] = end.to_numpy()
    return frame


def add_ferries(
    network: RoadNetwork, routes: gpd.GeoDataFrame, *, walking_kmh: float
) -> RoadNetwork:
    """Return the network with one two-way edge per ferry route (see the module docstring)."""
    if len(routes) == 0:
        return dataclasses.replace(network, ferry=np.zeros(network.edge_count, dtype=bool))
    tree = cKDTree(network.nodes)
    start_xy = np.column_stack([routes.geometry.x, routes.geometry.y])
    end_xy = np.column_stack([gpd.GeoSeries(routes["ke"]).x, gpd.GeoSeries(routes["ke"]).y])
    start_walk, start_node = tree.query(start_xy)
    end_walk, end_node = tree.query(end_xy)
    same = np.flatnonzero(start_node == end_node)
    if len(same):
        name = routes["nama"].iloc[same[0]]
        raise ValueError(f"feri '{name}': kedua dermaga terdekat ke titik jalan yang sama")
    walk = walking_kmh * METRES_PER_MINUTE_AT_1_KMH
    minutes = (
        routes["menit"].to_numpy()
        + routes["tunggu_menit"].to_numpy()
        + (start_walk + end_walk) / walk
    )
    length = np.hypot(*(network.nodes[start_node] - network.nodes[end_node]).T)
    n = len(routes)
    report = dict(network.report)
    report["feri"] = n
    return RoadNetwork(
        nodes=network.nodes,
        u=np.concatenate([network.u, start_node]),
        v=np.concatenate([network.v, end_node]),
        length_m=np.concatenate([network.length_m, length]),
        minutes=np.concatenate([network.minutes, minutes]),
        forward=np.concatenate([network.forward, np.ones(n, dtype=bool)]),
        backward=np.concatenate([network.backward, np.ones(n, dtype=bool)]),
        kelas=np.concatenate([network.kelas, np.full(n, FERRY_CLASS, dtype=object)]),
        km_per_jam=np.concatenate(
            [network.km_per_jam, length / np.maximum(minutes, 1e-9) / METRES_PER_MINUTE_AT_1_KMH]
        ),
        joined=np.concatenate([network.joined, np.zeros(n, dtype=bool)]),
        report=report,
        ferry=np.concatenate([np.zeros(network.edge_count, dtype=bool), np.ones(n, dtype=bool)]),
    )
