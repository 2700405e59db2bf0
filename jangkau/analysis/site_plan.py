"""One service's proposed sites in one kabupaten: grids, reach, how many per unit, the choice.

The steps are described in :mod:`jangkau.analysis.proposals`, which runs this
for every service and kabupaten.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.mclp import solve_grouped
from jangkau.analysis.site_search import (
    KabupatenArrays,
    grid_points,
    near_points,
    reach_matrix,
    site_rows,
    sites_to_reach,
    within_reach,
)
from jangkau.analysis.travel_sites import (
    TravelSetting,
    grid_site_rows,
    on_network,
    reached_in_time,
    travel_reach,
)
from jangkau.config.catalogue import service_minutes


@dataclass(frozen=True)
class ProposalSettings:
    """How many sites a run may propose, and how finely it looks for them.

    Attributes
    ----------
    maks_per_unit
        Most sites per planning unit (kecamatan, or kabupaten) and service.
    anggaran
        Optional budget per service code: most sites per kabupaten.
    max_demand, max_candidates
        Point caps per service and kabupaten; grids coarsen to stay under them.
    max_candidates_travel
        Candidate cap when reach is measured by travel time (each candidate
        costs a shortest-path search over the network).
    node_limit
        Branch-and-bound nodes the exact solver may explore per service and
        kabupaten (a count, not a time: the same inputs give the same sites
        however busy the machine is); past it, the better of its incumbent
        and a greedy choice with swaps is kept, with its bound.
    """

    maks_per_unit: int = 3
    anggaran: dict[str, int] | None = None
    max_demand: int = 30000
    max_candidates: int = 3000
    max_candidates_travel: int = 250
    node_limit: int = 50


@dataclass(frozen=True)
class Demand:
    """Demand points of a kabupaten on one grid: coordinates, owner desa, people per point."""

    xy: np.ndarray
    owner: np.ndarray
    weight: np.ndarray
    spacing: float
    coarsened: bool


def _demand(kabupaten: KabupatenArrays, spacing: float, cap: int) -> Demand:
    """Return the kabupaten's demand points ``spacing`` apart (or coarser, under ``cap``).

    Built once per spacing and shared by every service that asks for it (services
    with equal radii): the grid does not depend on the service.
    """
    key = (round(spacing, 6), cap)
    found = kabupaten.demand_grids.get(key)
    if found is not None:
        return found
    grid = grid_points(kabupaten.polygons, spacing, cap)
    xy, owner = grid.xy, grid.owner
    per_desa = np.bincount(owner, minlength=len(kabupaten.polygons))
    weight = kabupaten.people[owner] / per_desa[owner]
    if kabupaten.surface is not None:
        points, surface_owner, share = kabupaten.surface
        surfaced = np.bincount(surface_owner, weights=share, minlength=len(kabupaten.polygons)) > 0
        keep = ~surfaced[owner]
        xy = np.concatenate([xy[keep], shapely.get_coordinates(points).reshape(-1, 2)])
        owner = np.concatenate([owner[keep], surface_owner])
        weight = np.concatenate([weight[keep], kabupaten.people[surface_owner] * share])
    demand = Demand(xy, owner, weight, grid.spacing, grid.coarsened)
    return kabupaten.demand_grids.setdefault(key, demand)


def _onto_roads(
    travel: TravelSetting, xy: np.ndarray, kabupaten: KabupatenArrays, in_need: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return candidate points moved onto the roads, kept where they land in a desa in need."""
    moved, _ = on_network(travel, xy)
    if len(moved) == 0:
        return moved.reshape(-1, 2), np.array([], dtype=int)
    tree = shapely.STRtree(kabupaten.polygons)
    # Roads often run along desa borders: a road point on a border counts for the first desa.
    point, desa = tree.query(shapely.points(moved), predicate="intersects")
    first = np.unique(point, return_index=True)[1]
    point, desa = point[first], desa[first]
    keep = in_need[desa]
    return moved[point[keep]], desa[keep]


def plan_one(
    kabupaten: KabupatenArrays,
    service: pd.Series,
    need: pd.DataFrame,
    existing: np.ndarray,
    candidate_sites: np.ndarray | None,
    covered_before: pd.Series,
    settings: ProposalSettings,
    catalogue: pd.DataFrame,
    travel: TravelSetting | None = None,
    *,
    existing_points: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Choose one service's sites in one kabupaten; return the sites and the report row.

    With ``travel``, reach is a trip on the road network within the time
    standard (:mod:`jangkau.analysis.travel_sites`); otherwise a straight-line radius.
    ``existing_points`` are the ``existing`` coordinates as points, when the
    caller built them once for all kabupaten.
    """
    code = service["layanan"]
    level = service["tingkat_perencanaan"]
    notes: list[str] = []
    # The service row is the catalogue's own: no search of the catalogue per job.
    radius = np.where(
        kabupaten.is_kelurahan, service["radius_kelurahan_m"], service["radius_desa_m"]
    ).astype(float)
    smallest = float(radius.min())
    demand = _demand(kabupaten, smallest / 4, settings.max_demand)
    demand_radius = radius[demand.owner]
    if travel is None:
        # Facilities farther than the largest radius from every demand point reach none of them.
        reached = within_reach(demand.xy, demand_radius, near_points(existing, demand.xy, radius))
    else:
        standard = service_minutes(catalogue, code, kabupaten.is_kelurahan)[demand.owner]
        reached = reached_in_time(travel, demand.xy, standard, existing)
        before_by_kecamatan = (
            pd.Series(demand.weight * reached).groupby(kabupaten.kode_kec[demand.owner]).sum()
        )
        demand_radius = standard  # per point: its time standard
    open_demand = ~reached & (demand.weight > 0)
    demand_xy, demand_owner = demand.xy[open_demand], demand.owner[open_demand]
    weight, demand_radius = demand.weight[open_demand], demand_radius[open_demand]
    if demand.coarsened:
        notes.append(f"titik permintaan dijarangkan ke {demand.spacing:.0f} m (batas jumlah titik)")

    unit_of_desa = (
        np.full(len(kabupaten.polygons), kabupaten.kode_kab, dtype=object)
        if level == "kabupaten"
        else kabupaten.kode_kec
    )
    units = need["unit"].tolist()
    in_need = np.isin(unit_of_desa, units)
    if candidate_sites is not None:
        tree = shapely.STRtree(kabupaten.polygons)
        site_index, desa_index = tree.query(candidate_sites, predicate="within")
        first = np.unique(site_index, return_index=True)[1]
        site_index, desa_index = site_index[first], desa_index[first]
        mine = in_need[desa_index]
        candidates = shapely.get_coordinates(candidate_sites[site_index[mine]])
        candidate_owner = desa_index[mine]
        candidate_spacing = float("nan")
    else:
        owners = np.flatnonzero(in_need)
        point_cap = settings.max_candidates if travel is None else settings.max_candidates_travel
        grid = grid_points(kabupaten.polygons[owners], smallest / 2, point_cap)
        candidates, candidate_owner = grid.xy, owners[grid.owner]
        candidate_spacing = grid.spacing
        if grid.coarsened:
            notes.append(f"titik kandidat dijarangkan ke {grid.spacing:.0f} m (batas jumlah titik)")
        if travel is not None:
            candidates, candidate_owner = _onto_roads(travel, candidates, kabupaten, in_need)
    if travel is None:
        reach = reach_matrix(demand_xy, demand_radius, candidates)
    else:
        reach = travel_reach(travel, demand_xy, demand_radius, candidates)
    by_candidate = reach.tocsc()
    # Candidate by candidate (a view): each unit's greedy count reads its candidates' rows.
    gains_of = by_candidate.T

    counted = pd.notna(service["penduduk_per_fasilitas"]) or service["minimum_per"] in (
        "desa",
        "kecamatan",
    )
    # Units looked up per desa, then spread to its points (-1: a desa in no unit in need).
    group_of_desa = pd.Index(units).get_indexer(unit_of_desa)
    candidate_group = group_of_desa[candidate_owner]
    budget = np.zeros(len(units), dtype=int)
    demand_group = group_of_desa[demand_owner]
    for i, (unit, shortfall, needed) in enumerate(
        zip(units, need["kekurangan"], need["tambahan_perlu"], strict=True)
    ):
        # Demand of other units weighs nothing here: the unit's own need, its own candidates.
        greedy_count = sites_to_reach(
            gains_of[np.flatnonzero(candidate_group == i)],
            np.where(demand_group == i, weight, 0.0),
            needed,
            max(settings.maks_per_unit, int(shortfall)),
        )
        if counted:
            # The count standard says how many are missing; reach says whether placing
            # them brings people within reach. More than either would not be needed.
            wanted = min(int(shortfall), greedy_count)
            if shortfall > 0 and wanted == 0:
                notes.append(
                    f"{unit}: kekurangan {int(shortfall)} fasilitas tanpa usulan "
                    "lokasi (cakupan sudah memenuhi target)"
                )
        else:
            wanted = greedy_count
        if wanted > settings.maks_per_unit:
            notes.append(
                f"{unit}: perlu lebih dari {settings.maks_per_unit} lokasi, "
                f"diusulkan {settings.maks_per_unit}"
            )
        budget[i] = min(wanted, settings.maks_per_unit)
    total = int(budget.sum())
    cap = (settings.anggaran or {}).get(code)
    if cap is not None and total > cap:
        notes.append(f"dibatasi anggaran: {cap} dari {total} lokasi yang diperlukan")
        total = int(cap)
    solution = solve_grouped(
        reach,
        weight,
        candidate_group,
        budget,
        total=total,
        node_limit=settings.node_limit,
    )
    # A site that brings no one more within reach than the sites before it is not proposed.
    open_weight, useful = weight.copy(), []
    for candidate in solution.chosen:
        reached = by_candidate.indices[
            by_candidate.indptr[candidate] : by_candidate.indptr[candidate + 1]
        ]
        if open_weight[reached].sum() > 0:
            useful.append(candidate)
            open_weight[reached] = 0.0
    chosen = np.array(useful, dtype=int)
    owner = candidate_owner[chosen]
    if travel is None:
        if existing_points is None:
            existing_points = (
                shapely.points(existing) if len(existing) else np.array([], dtype=object)
            )
        sites = site_rows(
            kabupaten,
            radius,
            existing_points,
            shapely.points(candidates[chosen]) if len(chosen) else np.array([], dtype=object),
            kabupaten.kode_kec[owner],
            covered_before,
        )
        measure = "jarak garis lurus"
    else:
        gains, after = grid_site_rows(
            reach,
            weight,
            kabupaten.kode_kec[demand_owner],
            chosen,
            kabupaten.kode_kec[owner],
            before_by_kecamatan,
            pd.Series(kabupaten.people).groupby(kabupaten.kode_kec).sum(),
        )
        sites = pd.DataFrame(
            {
                "urutan": np.arange(1, len(chosen) + 1),
                "tambahan_penduduk_terlayani": gains,
                "cakupan_setelah": after,
                "geometry": shapely.points(candidates[chosen])
                if len(chosen)
                else np.array([], dtype=object),
            }
        )
        measure = "waktu tempuh di jaringan jalan"
    sites = pd.DataFrame(
        {
            "layanan": np.full(len(sites), code, dtype=object),
            "kode_kec": kabupaten.kode_kec[owner],
            "kode_desa": kabupaten.kode_desa[owner],
            **{column: sites[column] for column in sites.columns},
        },
        index=sites.index,
    )
    report = {
        "layanan": code,
        "kode_kab": kabupaten.kode_kab,
        "tingkat": level,
        "jumlah_usulan": len(chosen),
        "tambahan_penduduk_terlayani": round(float(sites["tambahan_penduduk_terlayani"].sum()), 1),
        "tambahan_model": round(solution.covered, 1),
        "batas_atas": round(solution.upper_bound, 1),
        "selisih_optimal": round(solution.gap, 6),
        "metode": f"{solution.method}; terbukti optimal; ukuran: {measure}"
        if solution.proven_optimal
        else f"{solution.method}; ukuran: {measure}",
        "jarak_titik_permintaan_m": round(demand.spacing, 0),
        "jarak_titik_kandidat_m": round(candidate_spacing, 0),
        "catatan": "; ".join(notes),
    }
    return sites, report
