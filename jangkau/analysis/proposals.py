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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.coverage import surface_arrays
from jangkau.analysis.crs import require_metric
from jangkau.analysis.site_plan import ProposalSettings, plan_one
from jangkau.analysis.site_search import KabupatenArrays
from jangkau.analysis.threads import map_processes
from jangkau.analysis.travel_sites import TravelSetting
from jangkau.config.catalogue import has_distance_standard

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


def kabupaten_of(kode_kec: pd.Series) -> pd.Series:
    """Return the kabupaten code of each kecamatan code (``73.09.01`` → ``73.09``)."""
    text = kode_kec.astype(str)
    dotted = text.str.contains(".", regex=False)
    return text.where(~dotted, text.str.rsplit(".", n=1).str[0]).where(dotted, text.str[:4])


def _units_in_need(
    rows: pd.DataFrame,
    catalogue_row: pd.Series,
    kabupaten_only: pd.Series | None = None,
) -> pd.DataFrame:
    """Return the planning units of one service that need sites, with their shortfalls.

    ``rows`` are the service's gap-table rows with their ``kode_kab``.
    Columns: ``unit`` (kode_kec, or kode_kab for kabupaten-level services),
    ``kode_kab``, ``penduduk``, ``penduduk_terlayani``, ``kekurangan``,
    ``tambahan_perlu`` (people to bring within reach to meet the target).
    """
    target = float(catalogue_row["target_cakupan"])
    if catalogue_row["tingkat_perencanaan"] != "kabupaten":
        # Column arrays, not frame operations: this runs for every service.
        shortfall = rows["kekurangan"].to_numpy(dtype=float, na_value=0.0)
        served = rows["penduduk_terlayani"].to_numpy(dtype=float, na_value=0.0)
        people = rows["penduduk"].to_numpy()
        added = np.maximum(0.0, target * people - served)
        short = (added > 0.5) | (shortfall > 0)
        return pd.DataFrame(
            {
                "unit": rows["kode_kec"].to_numpy()[short],
                "kode_kab": rows["kode_kab"].to_numpy()[short],
                "penduduk": people[short],
                "penduduk_terlayani": served[short],
                "kekurangan": shortfall[short],
                "tambahan_perlu": added[short],
            }
        )
    rows = rows.copy()
    rows["kekurangan"] = rows["kekurangan"].astype("Float64").fillna(0).astype(float)
    rows["penduduk_terlayani"] = rows["penduduk_terlayani"].astype(float).fillna(0.0)
    # Kabupaten-level services: the kecamatan rows summed per kabupaten.
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
    units["tambahan_perlu"] = np.maximum(
        0.0, target * units["penduduk"] - units["penduduk_terlayani"]
    )
    short = (units["tambahan_perlu"] > 0.5) | (units["kekurangan"] > 0)
    return units.loc[
        short,
        ["unit", "kode_kab", "penduduk", "penduduk_terlayani", "kekurangan", "tambahan_perlu"],
    ].reset_index(drop=True)


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
    travel: TravelSetting | None = None,
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
    travel
        Optional road network and trip rules: services with a time standard
        are then planned by travel time (the report's ``metode`` says which
        measure each row used).

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
    # Only the columns the needs read, with their kabupaten, split by service once.
    needed = gaps[
        ["layanan", "kode_kec", "penduduk", "penduduk_terlayani", "kekurangan", "jumlah_fasilitas"]
    ].assign(kode_kab=kabupaten.reindex(gaps["kode_kec"]).to_numpy())
    rows_of = dict(list(needed.groupby("layanan", sort=False)))
    # Facilities by service number: one text comparison per facility, not one per service.
    facility_service, facility_codes = pd.factorize(facilities["layanan"])
    service_number = {code: number for number, code in enumerate(facility_codes)}
    facility_geometry = facilities.geometry.to_numpy()

    def service_inputs(service: pd.Series) -> dict:
        code = service["layanan"]
        candidates = None
        if candidate_sites is not None:
            usable = candidate_sites
            if "layanan" in usable.columns:
                usable = usable[usable["layanan"].isna() | (usable["layanan"] == code)]
            candidates = usable.geometry.to_numpy()
        minutes = service[["waktu_kelurahan_menit", "waktu_desa_menit"]].astype(float)
        points = facility_geometry[facility_service == service_number.get(code, -2)]
        return {
            "need": _units_in_need(rows_of.get(code, needed.iloc[:0]), service, kabupaten_only),
            "existing": shapely.get_coordinates(points),
            # Built once per service, not per kabupaten (the proposals' gains cut their discs).
            "existing_points": shapely.points(shapely.get_coordinates(points))
            if len(points)
            else np.array([], dtype=object),
            "candidates": candidates,
            "before": covered_before.xs(code, level="layanan")
            if code in covered_before.index
            else {},
            "travel": travel if travel is not None and minutes.notna().all() else None,
        }

    # One job per service and kabupaten in need, in catalogue then kabupaten order.
    jobs = []
    for _, service in services.iterrows():
        inputs = service_inputs(service)
        need_of = dict(list(inputs["need"].groupby("kode_kab", sort=False)))
        for place in places:
            mine = need_of.get(place.kode_kab)
            if mine is not None and not mine.empty:
                jobs.append((place, service, mine.reset_index(drop=True), inputs))

    def one_job(job: tuple) -> tuple[pd.DataFrame, dict]:
        place, service, mine, inputs = job
        return plan_one(
            place,
            service,
            mine,
            inputs["existing"],
            inputs["candidates"],
            inputs["before"],
            settings,
            catalogue,
            inputs["travel"],
            existing_points=inputs["existing_points"],
        )

    # The bound and the swaps are numpy calls on small arrays: they hold the
    # GIL, so processes share the cores where threads would not.
    outcomes = [[outcome] for outcome in map_processes(one_job, jobs)]
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
