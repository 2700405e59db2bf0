"""Proposed sites for new facilities: as many as the standards ask for, placed near-optimally.

For each service with a distance standard that gets location proposals
(``usulan_lokasi`` in ``layanan.toml``), and each kabupaten of the region:

1. **Which units need sites, and how many.** The planning unit is the
   kecamatan (services planned per desa or kecamatan) or the kabupaten
   (hospitals, fire posts, …: ``tingkat_perencanaan``). A unit needs sites
   only when its coverage is below the service's target. Let ``n`` be how
   many sites a greedy choice inside the unit needs to bring its coverage to
   the target. A service with a count standard (residents per facility, or
   a minimum per desa or kecamatan) gets ``min(kekurangan, n)`` sites: the
   count says how many are missing, reach says how many of them bring
   people within reach; a count shortfall where coverage already meets the
   target is reported without locations. A service with a distance standard
   only gets ``n``. Never more than ``maks_per_unit`` (the planner sees when
   that cap binds); a region may set a budget per service for the whole
   kabupaten.
2. **Where.** Demand points lie on a grid at most a quarter radius apart
   over every populated desa of the kabupaten (or on the finer population
   surface), so demand on both sides of every kecamatan border counts;
   demand already within reach of an existing facility anywhere is left out.
   Candidates lie on a grid at most half a radius apart inside the units
   that need sites (or are the region's own candidate sites). When a point
   cap coarsens a grid, the report says so. The sites are chosen by solving
   the maximal covering problem for the whole kabupaten at once
   (:mod:`jangkau.analysis.mclp`: exact with HiGHS where it solves within
   its node limit), with each unit limited to its number of sites.
3. **What they add.** Each site's ``tambahan_penduduk_terlayani`` is
   computed exactly with the coverage's polygon method, across kecamatan
   borders, given the existing facilities and the sites before it (ordered
   by what each adds); ``cakupan_setelah`` is the coverage of the site's
   kecamatan after it and the sites before it.

The report (one row per service × kabupaten) gives the number of sites,
what they add, ``batas_atas`` (no choice of as many sites could bring more
people within reach on the demand grid) and ``selisih_optimal`` (the share
the chosen sites may fall short of that bound; 0 when proven optimal).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.coverage import surface_arrays
from jangkau.analysis.crs import require_metric
from jangkau.analysis.mclp import solve_grouped
from jangkau.analysis.site_gains import within_reach
from jangkau.analysis.site_search import (
    KabupatenArrays,
    grid_points,
    reach_matrix,
    site_rows,
    sites_to_reach,
)
from jangkau.analysis.threads import map_threads
from jangkau.config.catalogue import has_distance_standard, service_radius

SITE_COLUMNS = [
    "layanan",
    "kode_kec",
    "kode_desa",
    "urutan",
    "tambahan_penduduk_terlayani",
    "cakupan_setelah",
]
REPORT_COLUMNS = [
    "layanan",
    "kode_kab",
    "tingkat",
    "jumlah_usulan",
    "tambahan_penduduk_terlayani",
    "tambahan_model",
    "batas_atas",
    "selisih_optimal",
    "metode",
    "jarak_titik_permintaan_m",
    "jarak_titik_kandidat_m",
    "catatan",
]


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
    node_limit: int = 50


def kabupaten_of(kode_kec: pd.Series) -> pd.Series:
    """Return the kabupaten code of each kecamatan code (``73.09.01`` → ``73.09``)."""
    text = kode_kec.astype(str)
    dotted = text.str.contains(".", regex=False)
    return text.where(~dotted, text.str.rsplit(".", n=1).str[0]).where(dotted, text.str[:4])


def _units_in_need(
    gaps: pd.DataFrame,
    catalogue_row: pd.Series,
    kabupaten: pd.Series,
    kabupaten_only: pd.Series | None = None,
) -> pd.DataFrame:
    """Return the planning units of one service that need sites, with their shortfalls.

    Columns: ``unit`` (kode_kec, or kode_kab for kabupaten-level services),
    ``kode_kab``, ``penduduk``, ``penduduk_terlayani``, ``kekurangan``,
    ``tambahan_perlu`` (people to bring within reach to meet the target).
    """
    rows = gaps[gaps["layanan"] == catalogue_row["layanan"]].copy()
    rows["kode_kab"] = kabupaten.reindex(rows["kode_kec"]).to_numpy()
    rows["kekurangan"] = rows["kekurangan"].astype("Float64").fillna(0).astype(float)
    rows["penduduk_terlayani"] = rows["penduduk_terlayani"].astype(float).fillna(0.0)
    if catalogue_row["tingkat_perencanaan"] == "kabupaten":
        units = rows.groupby("kode_kab", as_index=False).agg(
            penduduk=("penduduk", "sum"),
            penduduk_terlayani=("penduduk_terlayani", "sum"),
            jumlah_fasilitas=("jumlah_fasilitas", "sum"),
        )
        if kabupaten_only is not None and len(kabupaten_only):
            # Facilities counted for the kabupaten but no kecamatan (roster rows).
            mine = kabupaten_only.index.get_level_values("layanan") == catalogue_row["layanan"]
            extra = pd.Series(
                kabupaten_only[mine].to_numpy(),
                index=kabupaten_only[mine].index.get_level_values("kode_kab"),
            )
            units["jumlah_fasilitas"] += units["kode_kab"].map(extra).fillna(0).to_numpy()
        norm = catalogue_row["penduduk_per_fasilitas"]
        need = np.ceil(units["penduduk"] / norm) if pd.notna(norm) else 0.0
        units["kekurangan"] = np.maximum(0.0, need - units["jumlah_fasilitas"])
        units["unit"] = units["kode_kab"]
    else:
        units = rows.rename(columns={"kode_kec": "unit"})
    target = float(catalogue_row["target_cakupan"])
    units["tambahan_perlu"] = np.maximum(
        0.0, target * units["penduduk"] - units["penduduk_terlayani"]
    )
    short = (units["tambahan_perlu"] > 0.5) | (units["kekurangan"] > 0)
    return units.loc[
        short,
        ["unit", "kode_kab", "penduduk", "penduduk_terlayani", "kekurangan", "tambahan_perlu"],
    ].reset_index(drop=True)


def _plan_one(
    kabupaten: KabupatenArrays,
    service: pd.Series,
    need: pd.DataFrame,
    existing: np.ndarray,
    candidate_sites: np.ndarray | None,
    covered_before: pd.Series,
    settings: ProposalSettings,
    catalogue: pd.DataFrame,
) -> tuple[pd.DataFrame, dict]:
    """Choose one service's sites in one kabupaten; return the sites and the report row."""
    code = service["layanan"]
    level = service["tingkat_perencanaan"]
    notes: list[str] = []
    radius = service_radius(catalogue, code, kabupaten.is_kelurahan)
    smallest = float(radius.min())
    demand = grid_points(kabupaten.polygons, smallest / 4, settings.max_demand)
    demand_points, demand_owner = demand.points, demand.owner
    per_desa = np.bincount(demand_owner, minlength=len(kabupaten.polygons))
    weight = kabupaten.people[demand_owner] / per_desa[demand_owner]
    if kabupaten.surface is not None:
        points, owner, share = kabupaten.surface
        surfaced = np.bincount(owner, weights=share, minlength=len(kabupaten.polygons)) > 0
        keep = ~surfaced[demand_owner]
        demand_points = np.concatenate([demand_points[keep], points])
        demand_owner = np.concatenate([demand_owner[keep], owner])
        weight = np.concatenate([weight[keep], kabupaten.people[owner] * share])
    demand_radius = radius[demand_owner]
    open_demand = ~within_reach(demand_points, demand_radius, existing) & (weight > 0)
    demand_points, demand_owner = demand_points[open_demand], demand_owner[open_demand]
    weight, demand_radius = weight[open_demand], demand_radius[open_demand]
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
        candidates, candidate_owner = candidate_sites[site_index[mine]], desa_index[mine]
        candidate_spacing = float("nan")
    else:
        owners = np.flatnonzero(in_need)
        grid = grid_points(kabupaten.polygons[owners], smallest / 2, settings.max_candidates)
        candidates, candidate_owner = grid.points, owners[grid.owner]
        candidate_spacing = grid.spacing
        if grid.coarsened:
            notes.append(f"titik kandidat dijarangkan ke {grid.spacing:.0f} m (batas jumlah titik)")
    reach = reach_matrix(demand_points, demand_radius, candidates)
    by_candidate = reach.tocsc()

    counted = pd.notna(service["penduduk_per_fasilitas"]) or service["minimum_per"] in (
        "desa",
        "kecamatan",
    )
    unit_index = {unit: i for i, unit in enumerate(units)}
    candidate_group = np.array([unit_index[u] for u in unit_of_desa[candidate_owner]], dtype=int)
    budget = np.zeros(len(units), dtype=int)
    for i, row in need.iterrows():
        in_unit_demand = np.isin(unit_of_desa[demand_owner], [row["unit"]])
        local = by_candidate[np.flatnonzero(in_unit_demand)][:, candidate_group == i]
        greedy_count = sites_to_reach(
            local.tocsc(),
            weight[in_unit_demand],
            row["tambahan_perlu"],
            max(settings.maks_per_unit, int(row["kekurangan"])),
        )
        if counted:
            # The count standard says how many are missing; reach says whether placing
            # them brings people within reach. More than either would not be needed.
            wanted = min(int(row["kekurangan"]), greedy_count)
            if row["kekurangan"] > 0 and wanted == 0:
                notes.append(
                    f"{row['unit']}: kekurangan {int(row['kekurangan'])} fasilitas tanpa usulan "
                    "lokasi (cakupan sudah memenuhi target)"
                )
        else:
            wanted = greedy_count
        if wanted > settings.maks_per_unit:
            notes.append(
                f"{row['unit']}: perlu lebih dari {settings.maks_per_unit} lokasi, "
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
        reached = by_candidate[:, candidate].indices
        if open_weight[reached].sum() > 0:
            useful.append(candidate)
            open_weight[reached] = 0.0
    chosen = np.array(useful, dtype=int)
    owner = candidate_owner[chosen]
    sites = site_rows(
        kabupaten, radius, existing, candidates[chosen], kabupaten.kode_kec[owner], covered_before
    )
    sites.insert(0, "layanan", code)
    sites.insert(1, "kode_kec", kabupaten.kode_kec[owner])
    sites.insert(2, "kode_desa", kabupaten.kode_desa[owner])
    report = {
        "layanan": code,
        "kode_kab": kabupaten.kode_kab,
        "tingkat": level,
        "jumlah_usulan": len(chosen),
        "tambahan_penduduk_terlayani": round(float(sites["tambahan_penduduk_terlayani"].sum()), 1),
        "tambahan_model": round(solution.covered, 1),
        "batas_atas": round(solution.upper_bound, 1),
        "selisih_optimal": round(solution.gap, 6),
        "metode": f"{solution.method}; terbukti optimal"
        if solution.proven_optimal
        else solution.method,
        "jarak_titik_permintaan_m": round(demand.spacing, 0),
        "jarak_titik_kandidat_m": round(candidate_spacing, 0),
        "catatan": "; ".join(notes),
    }
    return sites, report


def plan_sites(
    desa: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    *,
    catalogue: pd.DataFrame,
    settings: ProposalSettings | None = None,
    surface: gpd.GeoDataFrame | None = None,
    candidate_sites: gpd.GeoDataFrame | None = None,
    kabupaten_only: pd.Series | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Propose sites for every service and kabupaten that need them (see the module docstring).

    Parameters
    ----------
    desa
        Polygons in a metric CRS with ``kode_desa``, ``kode_kec``, ``tipe``, ``penduduk``.
    facilities
        Existing facilities (points, same CRS) with ``layanan``.
    gaps
        The gap table (``kode_kec``, ``layanan``, ``penduduk``,
        ``penduduk_terlayani``, ``kekurangan``).
    catalogue
        Services with radii, ``target_cakupan``, ``tingkat_perencanaan`` and ``usulan_lokasi``.
    settings
        Caps and budgets (:class:`ProposalSettings`).
    surface
        Optional population surface (points with ``kode_desa``, ``bobot``).
    candidate_sites
        Optional points where sites may go (land the pemda owns), same CRS;
        with a ``layanan`` column they serve only that service.
    kabupaten_only
        Facilities counted for a kabupaten but no kecamatan (without a
        location), per (``kode_kab``, ``layanan``): they count against the
        need of services planned per kabupaten.

    Returns
    -------
    tuple
        The sites (``SITE_COLUMNS`` and point geometry, metric CRS, by
        service, kabupaten and ``urutan``) and the report (``REPORT_COLUMNS``).
    """
    require_metric(desa, "desa")
    settings = settings or ProposalSettings()
    populated = desa[desa["penduduk"] > 0].reset_index(drop=True)
    kabupaten = pd.Series(
        kabupaten_of(populated["kode_kec"]).to_numpy(), index=populated["kode_kec"]
    )
    kabupaten = kabupaten[~kabupaten.index.duplicated()]
    surface_all = surface_arrays(populated, surface)
    places = []
    for code in sorted(kabupaten.unique()):
        rows = np.flatnonzero(kabupaten.reindex(populated["kode_kec"]).to_numpy() == code)
        part = None
        if surface_all is not None:
            points, owner, share = surface_all
            position = np.full(len(populated), -1)
            position[rows] = np.arange(len(rows))
            mine = position[owner] >= 0
            part = (points[mine], position[owner[mine]], share[mine])
        places.append(
            KabupatenArrays(
                kode_kab=code,
                kode_desa=populated["kode_desa"].to_numpy()[rows],
                kode_kec=populated["kode_kec"].to_numpy()[rows],
                polygons=populated.geometry.to_numpy()[rows],
                people=populated["penduduk"].to_numpy(dtype=float)[rows],
                is_kelurahan=(populated["tipe"] == "kelurahan").to_numpy()[rows],
                surface=part,
            )
        )
    services = catalogue[has_distance_standard(catalogue) & catalogue["usulan_lokasi"]]
    covered_before = gaps.set_index(["layanan", "kode_kec"])["penduduk_terlayani"].astype(float)

    def one_service(service: pd.Series) -> list[tuple[pd.DataFrame, dict]]:
        code = service["layanan"]
        need = _units_in_need(gaps, service, kabupaten, kabupaten_only)
        existing = facilities.loc[facilities["layanan"] == code].geometry.to_numpy()
        candidates = None
        if candidate_sites is not None:
            usable = candidate_sites
            if "layanan" in usable.columns:
                usable = usable[usable["layanan"].isna() | (usable["layanan"] == code)]
            candidates = usable.geometry.to_numpy()
        before = covered_before.xs(code, level="layanan") if code in covered_before.index else {}
        results = []
        for place in places:
            mine = need[need["kode_kab"] == place.kode_kab].reset_index(drop=True)
            if mine.empty:
                continue
            results.append(
                _plan_one(
                    place,
                    service,
                    mine,
                    existing,
                    candidates,
                    before,
                    settings,
                    catalogue,
                )
            )
        return results

    outcomes = map_threads(one_service, [row for _, row in services.iterrows()])
    site_frames = [sites for result in outcomes for sites, _ in result if len(sites)]
    reports = [report for result in outcomes for _, report in result]
    report = pd.DataFrame(reports, columns=REPORT_COLUMNS)
    if not site_frames:
        return gpd.GeoDataFrame([], columns=SITE_COLUMNS, geometry=[], crs=desa.crs), report
    sites = pd.concat(site_frames, ignore_index=True)
    return (
        gpd.GeoDataFrame(sites[SITE_COLUMNS], geometry=sites["geometry"].to_numpy(), crs=desa.crs),
        report,
    )


def with_proposals(gaps: pd.DataFrame, sites: pd.DataFrame, report: pd.DataFrame) -> pd.DataFrame:
    """Return the gap table with each row's proposals and how good the choice is.

    Adds ``usulan`` (proposed sites inside the kecamatan), and ``batas_atas``
    and ``selisih_optimal`` of the kabupaten-wide choice the row's kecamatan
    took part in (empty where no sites were sought for the service).
    """
    counts = sites.groupby(["kode_kec", "layanan"]).size() if len(sites) else pd.Series(dtype=int)
    keys = pd.MultiIndex.from_frame(gaps[["kode_kec", "layanan"]])
    result = gaps.assign(
        usulan=counts.reindex(keys).fillna(0).astype("int64").to_numpy(),
        kode_kab=kabupaten_of(gaps["kode_kec"]).to_numpy(),
    )
    solved = report.set_index(["kode_kab", "layanan"])[["batas_atas", "selisih_optimal"]]
    joined = result.join(solved, on=["kode_kab", "layanan"])
    return joined.drop(columns="kode_kab")
