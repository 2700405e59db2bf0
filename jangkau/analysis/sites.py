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

Every kecamatan is handled at once: one lattice of points per kecamatan
(at most ``max_points``), from which each service takes every n-th point as
demand and as candidates, so the grid is built and tested for containment
only once per run; services run side by side on threads
(:mod:`jangkau.analysis.threads`). Distance searches run on points moved apart per
kecamatan, so they never pair a candidate with another kecamatan's demand.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.coverage import surface_arrays
from jangkau.analysis.crs import require_metric
from jangkau.analysis.lattice import SEPARATION, lattice_points
from jangkau.analysis.site_gains import Chosen, SiteRegion, exact_gains, within_reach
from jangkau.analysis.threads import map_threads
from jangkau.config.catalogue import service_radius

SITE_COLUMNS = [
    "layanan",
    "kode_kec",
    "kode_desa",
    "urutan",
    "tambahan_penduduk_terlayani",
    "cakupan_setelah",
]


def greedy_cover(
    reach: tuple[np.ndarray, np.ndarray],
    weights: np.ndarray,
    n_candidates: int,
    *,
    k: int,
    candidate_group: np.ndarray | None = None,
) -> list[int]:
    """Choose up to ``k`` candidates per group greedily, each adding the most uncovered weight.

    Parameters
    ----------
    reach
        ``(candidate, demand)`` index pairs: candidate covers demand point.
        Pairs should join a candidate only to demand of its own group.
    weights
        Weight of each demand point (0 where already covered).
    n_candidates
        Number of candidates.
    k
        Most candidates to choose per group; fewer when no candidate adds anything.
    candidate_group
        Group of each candidate (all one group when omitted); groups are
        served side by side, each choice in a group counting only its demand.

    Returns
    -------
    list of int
        Chosen candidates, in the order chosen (round by round; within a
        round, by group).
    """
    candidate, demand = reach
    group = np.zeros(n_candidates, dtype=int) if candidate_group is None else candidate_group
    remaining = weights.astype(float).copy()
    chosen: list[int] = []
    if n_candidates == 0:
        return chosen
    by_group = np.lexsort((np.arange(n_candidates), group))
    group_sorted = group[by_group]
    starts = np.flatnonzero(np.r_[True, group_sorted[1:] != group_sorted[:-1]])
    for _ in range(k):
        gain = np.bincount(candidate, weights=remaining[demand], minlength=n_candidates)
        # The best candidate of each group: the first of the highest gain.
        ranked = np.lexsort((-gain[by_group], group_sorted))
        best = by_group[ranked[starts]]
        best = best[gain[best] > 1e-9]
        if len(best) == 0:
            break
        chosen.extend(int(b) for b in best)
        picked = np.zeros(n_candidates, dtype=bool)
        picked[best] = True
        remaining[demand[picked[candidate]]] = 0.0
    return chosen


def propose_sites(
    desa: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    *,
    catalogue: pd.DataFrame,
    k: int = 3,
    max_points: int = 2000,
    surface: gpd.GeoDataFrame | None = None,
    desa_coverage: pd.DataFrame | None = None,
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
    desa_coverage
        Optional coverage per desa × service (``kode_desa``, ``layanan``,
        ``cakupan``, as :func:`jangkau.coverage.coverage_by_desa` returns):
        demand in fully covered desa and in desa with no coverage needs no
        distance check. The result is the same with or without it.

    Returns
    -------
    geopandas.GeoDataFrame
        ``SITE_COLUMNS`` and point geometry, in the metric CRS, in the order
        of ``gaps`` and then ``urutan``.
    """
    require_metric(desa, "desa")
    empty = gpd.GeoDataFrame([], columns=SITE_COLUMNS, geometry=[], crs=desa.crs)
    if k <= 0:
        return empty
    below = gaps.merge(catalogue[["layanan", "target_cakupan"]], on="layanan")
    below = below[below["cakupan"].notna() & (below["cakupan"] < below["target_cakupan"] - 1e-9)]
    populated = desa[(desa["penduduk"] > 0) & desa["kode_kec"].isin(below["kode_kec"])]
    populated = populated.reset_index(drop=True)
    if populated.empty:
        return empty
    kecamatan_codes, kecamatan_of = np.unique(populated["kode_kec"].to_numpy(), return_inverse=True)
    polygons = populated.geometry.to_numpy()
    area = shapely.area(polygons)
    kecamatan_area = np.bincount(kecamatan_of, weights=area, minlength=len(kecamatan_codes))
    # At least a metre apart, so a degenerate (zero-area) kecamatan cannot stall the grid.
    base = np.maximum(np.sqrt(kecamatan_area / max_points), 1.0)
    lattice = lattice_points(polygons, kecamatan_of, base)
    region = SiteRegion(
        populated=populated,
        kecamatan_of=kecamatan_of,
        polygons=polygons,
        area=area,
        people=populated["penduduk"].to_numpy(dtype=float),
        is_kelurahan=(populated["tipe"] == "kelurahan").to_numpy(),
        base=base,
        lattice=lattice,
        surface=surface_arrays(populated, surface),
    )
    standards = catalogue.set_index("layanan")
    totals = desa.groupby("kode_kec")["penduduk"].sum()

    def one_service(service_rows: tuple[str, pd.DataFrame]) -> pd.DataFrame | None:
        service, rows = service_rows
        active = np.isin(kecamatan_codes, rows["kode_kec"].to_numpy())
        if not active.any():
            return None
        radius = service_radius(catalogue, service, region.is_kelurahan)
        existing = facilities.loc[facilities["layanan"] == service].geometry.to_numpy()
        covered_share = None
        if desa_coverage is not None:
            mine = desa_coverage[desa_coverage["layanan"] == service]
            covered_share = (
                populated["kode_desa"]
                .map(mine.set_index("kode_desa")["cakupan"])
                .to_numpy(dtype=float, na_value=np.nan)
            )
        picks, pick_round = _choose(
            region, radius, existing, active=active, k=k, covered_share=covered_share
        )
        if len(picks) == 0:
            return None
        sites = lattice.points[picks]
        site_desa = lattice.owner[picks]
        site_kecamatan = kecamatan_of[site_desa]
        gain = exact_gains(region, radius, existing, Chosen(sites, site_kecamatan, pick_round))
        codes = kecamatan_codes[site_kecamatan]
        total = totals.reindex(codes).to_numpy(dtype=float)
        coverage = rows.set_index("kode_kec")["cakupan"].reindex(codes).to_numpy(dtype=float)
        target = float(standards.at[service, "target_cakupan"])
        frame = pd.DataFrame(
            {
                "layanan": service,
                "kode_kec": codes,
                "kode_desa": populated["kode_desa"].to_numpy()[site_desa],
                "urutan": pick_round + 1,
                "gain": gain,
                "total": total,
                "before": coverage * total,
                "target": target * total,
                "geometry": sites,
            }
        ).sort_values(["kode_kec", "urutan"], kind="stable")
        cumulative = frame.groupby("kode_kec", sort=False)["gain"].cumsum()
        after = frame["before"] + cumulative
        # A site is not proposed once the sites before it already reach the target.
        reached_before = (after - frame["gain"]) >= frame["target"] - 1e-6
        frame = frame.assign(
            tambahan_penduduk_terlayani=frame["gain"].round(1),
            cakupan_setelah=np.where(frame["total"] > 0, (after / frame["total"]).round(6), np.nan),
        )[~reached_before]
        return frame

    # Services are independent; GEOS releases the GIL, so they share the cores.
    frames = [
        f for f in map_threads(one_service, below.groupby("layanan", sort=False)) if f is not None
    ]
    if not frames:
        return empty
    result = pd.concat(frames, ignore_index=True)
    order = {key: i for i, key in enumerate(zip(below["kode_kec"], below["layanan"], strict=True))}
    result["_order"] = [
        order[key] for key in zip(result["kode_kec"], result["layanan"], strict=True)
    ]
    result = result.sort_values(["_order", "urutan"], kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(
        result[SITE_COLUMNS], geometry=result["geometry"].to_numpy(), crs=desa.crs
    )


def _choose(
    region: SiteRegion,
    radius: np.ndarray,
    existing: np.ndarray,
    *,
    active: np.ndarray,
    k: int,
    covered_share: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose sites for one service: lattice indices and the round (0-based) each was chosen in.

    ``covered_share`` is each desa's covered share, when known (NaN where not).
    """
    lattice, n_desa = region.lattice, len(region.polygons)
    kecamatan_of = region.kecamatan_of
    smallest = np.full(len(region.base), np.inf)
    np.minimum.at(smallest, kecamatan_of, radius)
    keep = active[kecamatan_of]
    # Demand a quarter radius apart, candidates half a radius apart (or coarser,
    # to stay under the point caps), both taken from the kecamatan's lattice.
    demand_step = np.maximum(np.floor(smallest / 4 / region.base), 1).astype(np.int64)
    candidate_step = np.maximum(np.floor(smallest / 2 / region.base), 2).astype(np.int64)
    demand = lattice.every(demand_step[kecamatan_of], keep=keep, n_owners=n_desa)
    candidates = lattice.every(candidate_step[kecamatan_of], keep=keep, n_owners=n_desa)
    demand_points = lattice.points[demand]
    demand_separated = lattice.separated[demand]
    demand_owner = lattice.owner[demand]
    per_desa = np.bincount(demand_owner, minlength=n_desa)
    weights = region.people[demand_owner] / per_desa[demand_owner]
    if region.surface is not None:
        # Desa with a population surface put their demand on its points instead of the grid.
        points, owner, share = region.surface
        surfaced = np.bincount(owner, weights=share, minlength=n_desa) > 0
        on_grid = ~surfaced[demand_owner]
        mine = keep[owner]
        shift = kecamatan_of[owner[mine]] * SEPARATION
        demand_points = np.concatenate([demand_points[on_grid], points[mine]])
        demand_separated = np.concatenate(
            [
                demand_separated[on_grid],
                shapely.points(shapely.get_x(points[mine]) + shift, shapely.get_y(points[mine])),
            ]
        )
        demand_owner = np.concatenate([demand_owner[on_grid], owner[mine]])
        weights = np.concatenate([weights[on_grid], region.people[owner[mine]] * share[mine]])
    demand_radius = radius[demand_owner]
    uncovered = weights > 0
    check = uncovered.copy()
    if covered_share is not None:
        # Polygon discs lie inside the true circles: a desa they cover wholly is
        # within reach everywhere, one they miss entirely needs no check either.
        owner_share = covered_share[demand_owner]
        uncovered &= ~(owner_share >= 1.0)
        check &= ~((owner_share >= 1.0) | (owner_share <= 0.0))
    checked = np.flatnonzero(check)
    uncovered[checked] &= ~within_reach(demand_points[checked], demand_radius[checked], existing)
    open_demand = np.flatnonzero(uncovered)
    if len(open_demand) == 0:
        return np.array([], dtype=int), np.array([], dtype=int)
    candidate_kecamatan = kecamatan_of[lattice.owner[candidates]]
    tree = shapely.STRtree(lattice.separated[candidates])
    pairs_candidate, pairs_demand = [], []
    for value in np.unique(demand_radius[open_demand]):
        group = open_demand[demand_radius[open_demand] == value]
        found, candidate = tree.query(demand_separated[group], predicate="dwithin", distance=value)
        pairs_candidate.append(candidate)
        pairs_demand.append(group[found])
    reach = (np.concatenate(pairs_candidate), np.concatenate(pairs_demand))
    chosen = greedy_cover(reach, weights, len(candidates), k=k, candidate_group=candidate_kecamatan)
    picks = candidates[chosen]
    # Rounds: within a kecamatan, picks come in the order chosen.
    pick_kecamatan = kecamatan_of[lattice.owner[picks]]
    order = np.argsort(pick_kecamatan, kind="stable")
    rounds = np.empty(len(picks), dtype=np.int64)
    rounds[order] = _position_in_run(pick_kecamatan[order])
    return picks, rounds


def _position_in_run(sorted_keys: np.ndarray) -> np.ndarray:
    """Return each item's position among equal neighbours in a sorted array."""
    if len(sorted_keys) == 0:
        return np.array([], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    lengths = np.diff(np.r_[starts, len(sorted_keys)])
    return np.arange(len(sorted_keys)) - np.repeat(starts, lengths)
