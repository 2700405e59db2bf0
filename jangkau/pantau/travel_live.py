"""Live travel-time coverage: closed roads and assets out of service, on the published network.

A ``jalan putus`` event closes road edges of the published network: those
within its ``radius_m`` of its point, or, without a radius, the one nearest
edge within ``ruas_terdekat_maks_m`` (``pantau.toml``). A closed edge can be
travelled in neither direction and is no road point: people whose walk reached
the road on it walk to the nearest open road instead. Ferry crossings are not
roads and are never closed by a report.

Each service whose travel times could differ from the run's (a road is closed,
or an asset of it serves now when the run did not count it, or the reverse) is
measured twice with the run's own trip definition
(:func:`jangkau.analysis.travel.point_minutes`): as the run had it and as it is
now. Only the population points placed on a closed edge are placed again; the
rest keep the run's places. A desa whose covered share is the same both times
keeps its published figure; the others are reported with the published figure
before and the new one after. With no road closed and the assets the run
counted, nothing differs, so closing an event restores the published figures
exactly.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.routing import Snapped, snap
from jangkau.analysis.travel import point_minutes, straight_walk_m, walk_on_land
from jangkau.pantau.baseline import Baseline
from jangkau.pantau.recompute import (
    CHANGE_TOLERANCE,
    DESA_COLUMNS,
    alerts,
    kecamatan_changes,
)
from jangkau.pantau.travel_base import TravelBase

ROAD_CUT = "jalan putus"
# Results kept between updates before the cache starts again (a few MB at Makassar's size).
CACHE_ENTRIES = 500


def closed_edges(
    base: TravelBase, events: list[dict[str, Any]], *, crs: object, nearest_within_m: float
) -> dict[int, np.ndarray]:
    """Return, per open ``jalan putus`` event id, the road edges it closes (maybe none).

    ``events`` are the open events (:func:`jangkau.pantau.state.open_events` rows).
    """
    cuts = [e for e in events if e["jenis"] == ROAD_CUT]
    if not cuts:
        return {}
    points = gpd.GeoSeries(
        gpd.points_from_xy([e["bujur"] for e in cuts], [e["lintang"] for e in cuts]), crs=4326
    ).to_crs(crs)
    roads = base.network.road_edges()
    found = {}
    for event, point in zip(cuts, points.to_numpy(), strict=True):
        radius = float(event["radius_m"] or 0.0)
        if radius > 0:
            hits = base.tree.query(point, predicate="dwithin", distance=radius)
            found[event["id"]] = np.sort(roads[hits])
            continue
        hits, distance = base.tree.query_nearest(
            point, max_distance=nearest_within_m, return_distance=True, all_matches=True
        )
        # Several edges equally near (a junction): the lowest number, as snapping decides ties.
        found[event["id"]] = np.sort(roads[hits])[:1] if len(hits) else np.array([], np.int64)
    return found


def _placed_without(base: TravelBase, closed: np.ndarray) -> tuple[Any, Snapped, np.ndarray, Any]:
    """Return the network without ``closed``, the points' places on it, far flags, its road index."""
    if len(closed) == 0:
        return base.network, base.on_road, base.far, base.tree
    network = base.network.without(closed)
    tree = shapely.STRtree(network.edge_lines()[network.road_edges()])
    moved = np.flatnonzero(np.isin(base.on_road.edge, closed))
    edge, fraction = base.on_road.edge.copy(), base.on_road.fraction.copy()
    distance = base.on_road.distance_m.copy()
    if len(moved):
        points = base.points[moved]
        again = walk_on_land(
            network, snap(network, points, tree), points, base.land, base.land_margin_m
        )
        edge[moved], fraction[moved], distance[moved] = again.edge, again.fraction, again.distance_m
    on_road = Snapped(edge=edge, fraction=fraction, distance_m=distance)
    return network, on_road, distance > base.direct_walk_beyond_m, tree


def _covered_share(base: TravelBase, service: str, minutes: np.ndarray) -> np.ndarray:
    standard = base.standard[service]
    covered = minutes <= standard[base.owner] + 1e-9
    n = len(base.desa)
    share = np.bincount(base.owner, weights=base.weight * covered, minlength=n)
    totals = np.bincount(base.owner, weights=base.weight, minlength=n)
    return np.where(totals > 0, share / np.where(totals > 0, totals, 1.0), 0.0)


def travel_changes(
    base: TravelBase,
    *,
    aset: gpd.GeoDataFrame,
    not_serving: set[str],
    excluded: frozenset[str],
    closed: np.ndarray,
    desa_names: pd.DataFrame,
    cache: dict | None = None,
) -> pd.DataFrame:
    """Return the desa × service whose travel-time coverage differs now (``DESA_COLUMNS``).

    Parameters
    ----------
    base
        The run's travel-time base.
    aset
        The published assets in the metric CRS (``id_aset``, ``layanan``, points):
        where an asset the run left out stands, should it serve again.
    not_serving, excluded
        ``id_aset`` not serving now; those the run left out.
    closed
        Road edges closed now.
    desa_names
        ``kode_desa``, ``desa``, ``kecamatan`` of the published desa.
    cache
        Optional dict kept between calls on the same base.
    """
    cache = {} if cache is None else cache
    if len(cache) > CACHE_ENTRIES:
        # Many different states over a long day: start again rather than grow without end.
        cache.clear()
    closed = np.unique(np.asarray(closed, dtype=np.int64))
    frames = []
    for service in base.standard:
        run_sites = base.sites.loc[base.sites["layanan"] == service]
        back = aset.loc[
            (aset["layanan"] == service).to_numpy()
            & aset["id_aset"].isin(excluded).to_numpy()
            & ~aset["id_aset"].isin(not_serving).to_numpy()
        ]
        now = pd.concat(
            [run_sites.loc[~run_sites["id_aset"].isin(not_serving)], back[["id_aset", "geometry"]]]
        )
        if len(closed) == 0 and len(back) == 0 and len(now) == len(run_sites):
            continue  # the run's roads and facilities: its figures stand
        key = ("waktu", service, closed.tobytes(), frozenset(now["id_aset"]))
        if key not in cache:
            cache[key] = _service_changes(base, service, run_sites, now, closed, desa_names, cache)
        frames.append(cache[key])
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DESA_COLUMNS)


def _straight(
    base: TravelBase, service: str, sites: gpd.GeoDataFrame, far: np.ndarray, cache: dict
) -> np.ndarray:
    """Return the far points' straight walks to ``sites`` (metres), in the order of ``far``.

    They do not depend on the roads: those of the points far from the run's roads
    are kept per set of sites; points far only from the open roads are measured each time.
    The update runs on one thread, so the prepared land may answer.
    """
    points = base.points
    key = ("lurus", service, frozenset(sites["id_aset"]))
    if key not in cache:
        cache[key] = straight_walk_m(
            points[base.far],
            sites.geometry.to_numpy(),
            land=base.land,
            reach_m=base.reach_m(service),
            own_land=True,
        )
    known = np.full(len(points), np.nan)
    known[base.far] = cache[key]
    extra = far & ~base.far
    if extra.any():
        known[extra] = straight_walk_m(
            points[extra],
            sites.geometry.to_numpy(),
            land=base.land,
            reach_m=base.reach_m(service),
            own_land=True,
        )
    return known[far]


def _minutes(
    base: TravelBase, service: str, sites: gpd.GeoDataFrame, placed: tuple, cache: dict
) -> np.ndarray:
    network, on_road, far, tree = placed
    return point_minutes(
        network,
        base.points,
        on_road,
        far,
        sites.geometry.to_numpy(),
        tree=tree,
        land=base.land,
        land_margin_m=base.land_margin_m,
        walk=base.walk,
        reach_m=base.reach_m(service),
        straight_m=_straight(base, service, sites, far, cache) if far.any() else None,
    )


def _run_share(base: TravelBase, service: str, cache: dict) -> np.ndarray:
    """Return the covered share per desa as the run had it, recomputed (kept in ``cache``)."""
    if ("dasar", service) not in cache:
        run_sites = base.sites.loc[base.sites["layanan"] == service]
        placed = (base.network, base.on_road, base.far, base.tree)
        cache[("dasar", service)] = _covered_share(
            base, service, _minutes(base, service, run_sites, placed, cache)
        )
    return cache[("dasar", service)]


def _service_changes(
    base: TravelBase,
    service: str,
    run_sites: gpd.GeoDataFrame,
    now: gpd.GeoDataFrame,
    closed: np.ndarray,
    desa_names: pd.DataFrame,
    cache: dict,
) -> pd.DataFrame:
    before_share = _run_share(base, service, cache)
    # The points placed on the open roads: one placement per set of closed roads, shared by
    # every service, and only the latest kept (it holds a copy of the network).
    if cache.get("tempat", (None,))[0] != closed.tobytes():
        cache["tempat"] = (closed.tobytes(), _placed_without(base, closed))
    placed = cache["tempat"][1]
    after_share = _covered_share(base, service, _minutes(base, service, now, placed, cache))
    changed = np.flatnonzero(np.abs(after_share - before_share) > CHANGE_TOLERANCE)
    if len(changed) == 0:
        return pd.DataFrame(columns=DESA_COLUMNS)
    rows = base.desa.iloc[changed]
    names = desa_names.set_index("kode_desa").reindex(rows["kode_desa"])
    before = base.published[service][changed]
    after = after_share[changed]
    people = rows["penduduk"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "kode_desa": rows["kode_desa"].to_numpy(),
            "desa": names["desa"].to_numpy(),
            "kode_kec": rows["kode_kec"].to_numpy(),
            "kecamatan": names["kecamatan"].to_numpy(),
            "layanan": service,
            "penduduk": people,
            "cakupan_sebelum": before,
            "cakupan_sesudah": after,
            "penduduk_kehilangan_layanan": people * (before - after),
        }
    )


def live_travel(
    baseline: Baseline,
    events: list[dict[str, Any]],
    *,
    not_serving: set[str],
    nearest_within_m: float,
    service_names: dict[str, str],
    cache: dict | None = None,
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """Return the open events with the roads each closes, and the travel-time changes.

    Returns
    -------
    tuple
        The events (a ``jalan putus`` event gains ``ruas_ditutup``, the number
        of road edges it closes, and ``panjang_ruas_ditutup_m``), the changed
        desa and kecamatan (``DESA_COLUMNS``, ``KECAMATAN_COLUMNS``, figures of
        ``cakupan_waktu_<layanan>``) and their alerts (``ukuran`` = ``waktu tempuh``).
        Empty frames without a travel-time base.
    """
    base = baseline.waktu
    if base is None:
        empty = pd.DataFrame(columns=DESA_COLUMNS)
        return events, empty, kecamatan_changes(baseline, empty), []
    if cache is not None:
        # The first update (at the service's start) measures the run's own trips, so
        # the first report does not wait for them.
        for service in base.standard:
            _run_share(base, service, cache)
    closures = closed_edges(base, events, crs=baseline.aset.crs, nearest_within_m=nearest_within_m)
    events = [
        {
            **event,
            "ruas_ditutup": len(closures[event["id"]]),
            "panjang_ruas_ditutup_m": round(
                float(base.network.length_m[closures[event["id"]]].sum()), 1
            ),
        }
        if event["id"] in closures
        else event
        for event in events
    ]
    closed = np.concatenate(list(closures.values())) if closures else np.array([], dtype=np.int64)
    desa = travel_changes(
        base,
        aset=baseline.aset,
        not_serving=not_serving,
        excluded=baseline.excluded,
        closed=closed,
        desa_names=baseline.desa[["kode_desa", "desa", "kecamatan"]],
        cache=cache,
    )
    kecamatan = kecamatan_changes(baseline, desa, prefix="cakupan_waktu_")
    found = [
        {
            **alert,
            "ukuran": "waktu tempuh",
            "pesan": alert["pesan"].replace("Cakupan ", "Cakupan waktu tempuh ", 1),
        }
        for alert in alerts(kecamatan, service_names=service_names)
    ]
    return events, desa, kecamatan, found
