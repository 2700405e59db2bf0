"""The run's compute stages as functions from files to files.

Each stage reads what earlier stages wrote into a work folder, calls the
pure functions of the library, and writes its results back (GeoParquet).
Flows wrap these functions as tasks and hand each other only paths and the
region as JSON, so nothing large passes through an orchestrator; the
``local`` runner calls them in order.
"""

from __future__ import annotations

import glob
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from jangkau.analysis.coverage import coverage_by_desa
from jangkau.analysis.desa_gaps import desa_gap_table
from jangkau.analysis.gaps import desa_index, gap_table
from jangkau.analysis.networks import network_measures
from jangkau.analysis.no_data import (
    GAP_COLUMNS_WITHOUT_DATA,
    without_data,
)
from jangkau.analysis.threads import fork_is_safe, map_processes
from jangkau.analysis.towers import tower_measures
from jangkau.clean.asset_geometry import AREA, LINE
from jangkau.clean.asset_ids import assign_asset_ids
from jangkau.clean.assets import STANDARD_COLUMNS, place_assets
from jangkau.clean.boundaries import (
    REPAIR_COLUMNS,
    reconcile_kecamatan,
    standardise_desa,
    standardise_kecamatan,
)
from jangkau.clean.population import attach_population, population_surface
from jangkau.clean.rosters import ROSTER_COLUMNS, match_rosters, standardise_roster
from jangkau.clean.shape_duplicates import drop_shape_duplicates
from jangkau.clean.unlocated import count_unlocated
from jangkau.config.catalogue import (
    index_weights,
    load_catalogue,
    load_kind_table,
)
from jangkau.config.networks import load_networks
from jangkau.config.region import FileSpec, Region
from jangkau.config.towers import tower_reach
from jangkau.errors import InputError
from jangkau.io.geoparquet import read_geoparquet
from jangkau.io.read import read_records, read_table
from jangkau.pipeline.asset_step import (
    UNLOCATED_FILE,
    assets_that_serve,
    closure_coverage,
    combine_shapes,
    planning_points,
    read_lines,
    read_registers,
    read_surface,
    read_unlocated,
    with_condition,
)
from jangkau.pipeline.cache import cached_stage
from jangkau.pipeline.context import CONTEXT_FILE, RunContext, decide_run_context
from jangkau.pipeline.proposal_step import propose_and_rank
from jangkau.pipeline.reading import CRS_NOTE_COLUMNS, read_asset_file, read_inferring_crs
from jangkau.pipeline.travel_step import run_travel

ROSTER_LEDGER_FILE = "daftar_pencocokan.parquet"


def _run_boundaries(region: Region, work: Path) -> Path:
    """Read, repair and reconcile boundaries and population; write ``desa`` and ``kecamatan``."""
    source = region.desa.name
    crs_notes: list[dict[str, str]] = []
    desa_raw = read_inferring_crs(region.desa, outline=None, notes=crs_notes)
    desa, desa_repairs = standardise_desa(desa_raw, columns=region.desa.columns, source=source)
    # The run's metric CRS is decided here, once; every later stage reads it back.
    context = decide_run_context(region, desa)
    context.write(work)
    metric = context.metric_crs
    kecamatan_layer, kecamatan_repairs = None, pd.DataFrame(columns=REPAIR_COLUMNS)
    if region.kecamatan is not None and not region.derive_kecamatan:
        raw = read_inferring_crs(region.kecamatan, outline=desa, notes=crs_notes)
        kecamatan_layer, kecamatan_repairs = standardise_kecamatan(
            raw, columns=region.kecamatan.columns, source=region.kecamatan.name
        )
    kecamatan, agreement = reconcile_kecamatan(
        desa,
        kecamatan_layer,
        metric_crs=metric,
        source=region.kecamatan.name if region.kecamatan else source,
    )
    spec = region.penduduk
    table = read_table(spec.path, **spec.options) if spec is not None else None
    desa, name_matches = attach_population(
        desa,
        table,
        columns=spec.columns if spec else {},
        level=spec.level if spec else None,
        metric_crs=metric,
        source=spec.name if spec else "",
    )
    surface_spec = region.penduduk_rinci
    if surface_spec is not None:
        surface, surface_report = population_surface(
            read_inferring_crs(surface_spec, outline=desa, notes=crs_notes),
            columns=surface_spec.columns,
            desa=desa.to_crs(metric),
            source=surface_spec.name,
        )
        surface.to_crs(4326).to_parquet(work / "permukaan_penduduk.parquet")
        pd.DataFrame([surface_report]).to_parquet(work / "permukaan_laporan.parquet")
    desa.to_parquet(work / "desa.parquet")
    kecamatan.to_parquet(work / "kecamatan.parquet")
    pd.concat([desa_repairs, kecamatan_repairs], ignore_index=True).astype(str).to_parquet(
        work / "perbaikan_batas.parquet"
    )
    agreement.to_parquet(work / "selisih_batas.parquet")
    name_matches.astype(str).to_parquet(work / "pencocokan_nama.parquet")
    pd.DataFrame(crs_notes, columns=CRS_NOTE_COLUMNS).to_parquet(
        work / "inferensi_crs_batas.parquet"
    )
    return work


def _run_assets(region: Region, work: Path) -> Path:
    """Read every asset file, then place, repair, classify and de-duplicate the records.

    Points, lines and polygons (even mixed in one file) go to ``aset``,
    ``aset_garis`` and ``aset_area``; condition and status join each by file and row.
    """
    desa = read_geoparquet(work / "desa.parquet")
    metric = RunContext.read(work).metric_crs
    kinds = load_kind_table(region.jenis)
    desa_metric = desa.to_crs(metric)
    frames, conditions, read_counts = [], [], []
    shapes: dict[str, list[pd.DataFrame]] = {LINE: [], AREA: [], "ditolak": []}
    boundary_notes = work / "inferensi_crs_batas.parquet"
    crs_notes = [pd.read_parquet(boundary_notes)] if boundary_notes.exists() else []

    def read_file(spec: FileSpec) -> dict:
        return read_asset_file(spec, desa=desa, desa_metric=desa_metric, kinds=kinds)

    # Files are independent and their reading is mostly pure Python: forked processes share
    # the cores. Threads would not (the GIL) and would share the desa's prepared geometries.
    sizes = [_file_bytes(spec.path) for spec in region.aset]
    reads = (
        # The largest files first: one left to the end would be read while a core idles.
        map_processes(read_file, region.aset, sizes=sizes)
        if sum(sizes) >= FORK_READING_FROM_BYTES and fork_is_safe()
        else [read_file(spec) for spec in region.aset]
    )
    for spec, read in zip(region.aset, reads, strict=True):
        crs_notes.append(read["crs"])
        read_counts.append({"sumber": spec.name, "dibaca": read["dibaca"]})
        conditions.append(read["kondisi"])
        frames += read["titik"]
        for kind in (LINE, AREA, "ditolak"):
            shapes[kind] += read[kind]
    if frames:
        records = pd.concat(frames, ignore_index=True)
    else:
        records = pd.DataFrame(columns=STANDARD_COLUMNS)
    placed, rejected = place_assets(records, desa=desa_metric, kinds=kinds)
    point_rejected = rejected  # counting without location concerns point records only
    condition = pd.concat(conditions, ignore_index=True) if conditions else None
    placed = with_condition(placed, condition)
    lines = with_condition(combine_shapes(shapes[LINE], LINE), condition)
    areas = with_condition(combine_shapes(shapes[AREA], AREA), condition)
    # The same line or polygon given twice (in one file or two) counts once.
    lines, line_twins = drop_shape_duplicates(lines, kind=LINE, metric_crs=metric)
    areas, area_twins = drop_shape_duplicates(areas, kind=AREA, metric_crs=metric)
    shapes["ditolak"] += [t for t in (line_twins, area_twins) if len(t)]
    systems, system_rejects = read_registers(region)
    rejected = pd.concat([rejected, *shapes["ditolak"], system_rejects], ignore_index=True)
    systems.to_parquet(work / "sistem_informasi.parquet")
    # Every record, point, line or polygon, gets the id reports name it by, unique over
    # the three layers (README "Asset identifiers").
    placed, lines, areas = _with_asset_ids(placed, lines, areas)
    for spec in region.aset:
        if not any((layer["sumber"] == spec.name).any() for layer in (placed, lines, areas)):
            # A file that only repeats another (the same network twice) is no misreading.
            reasons = rejected.loc[rejected["sumber"] == spec.name, "alasan"].astype(str)
            if len(reasons) and reasons.str.startswith("duplikat dari").all():
                continue
            raise InputError(
                spec.path, "tidak ada satu baris pun yang dapat dipakai (semua ditolak)"
            )
    placed.to_parquet(work / "aset.parquet")
    lines.to_parquet(work / "aset_garis.parquet")
    areas.to_parquet(work / "aset_area.parquet")
    rejected.to_parquet(work / "aset_ditolak.parquet")
    _count_without_location(region, work, records, placed, point_rejected, desa=desa, kinds=kinds)
    pd.DataFrame(read_counts, columns=["sumber", "dibaca"]).to_parquet(work / "aset_dibaca.parquet")
    # One line per file whose CRS was inferred (boundaries and assets), for the quality report.
    pd.concat(crs_notes, ignore_index=True).to_parquet(work / "inferensi_crs.parquet")
    return work


# Below this many bytes of asset files (a kabupaten's ~0.1 MB) reading them all takes
# less than forking this process and sending the frames back; a province's ~4 MB more.
FORK_READING_FROM_BYTES = 1_000_000


def _file_bytes(path: str | Path) -> int:
    """Return the size of an asset file, with a shapefile's companions."""
    path = Path(path)
    return sum(
        part.stat().st_size
        for part in path.parent.glob(f"{glob.escape(path.stem)}.*")
        if part.is_file()
    )


def _count_without_location(
    region: Region,
    work: Path,
    records: pd.DataFrame,
    placed: pd.DataFrame,
    rejected: pd.DataFrame,
    *,
    desa: pd.DataFrame,
    kinds: object,
) -> None:
    """Write the facilities known without a location and the roster ledger.

    ``tanpa_koordinat``: records rejected only for their location and roster
    rows matched to no placed facility, each counted or not with why;
    ``daftar_pencocokan``: what became of every roster row.
    """
    unlocated = count_unlocated(records, rejected, placed, desa=desa, kinds=kinds)
    rosters = [
        standardise_roster(
            read_records(spec.path, **spec.options), columns=spec.columns, source=spec.name
        )
        for spec in region.daftar
    ]
    roster_rows = (
        pd.concat(rosters, ignore_index=True) if rosters else pd.DataFrame(columns=ROSTER_COLUMNS)
    )
    from_rosters, ledger = match_rosters(
        roster_rows, placed=placed, unlocated=unlocated, desa=desa, kinds=kinds, records=records
    )
    frames = [f for f in (unlocated, from_rosters) if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else unlocated
    table.astype({"dihitung": bool}).to_parquet(work / UNLOCATED_FILE)
    ledger.to_parquet(work / ROSTER_LEDGER_FILE)


def _run_coverage(region: Region, work: Path) -> Path:
    """Coverage per desa; gaps per kecamatan, desa and kabupaten; urgency; proposed sites."""
    measure_coverage(region, work)
    propose_and_rank(region, work)
    return work


def measure_coverage(region: Region, work: Path) -> Path:
    """Write coverage per desa and the gap tables per kecamatan and desa."""
    catalogue = load_catalogue(region.layanan)
    desa = read_geoparquet(work / "desa.parquet")
    kecamatan = read_geoparquet(work / "kecamatan.parquet")
    unlocated = read_unlocated(work)
    assets, no_data = assets_that_serve(region, work, catalogue, unlocated)
    metric = RunContext.read(work).metric_crs
    surface = read_surface(work, metric)
    desa_metric, assets_metric = desa.to_crs(metric), assets.to_crs(metric)
    desa_coverage = without_data(
        coverage_by_desa(desa_metric, assets_metric, catalogue=catalogue, surface=surface),
        no_data,
        columns=["penduduk_terlayani", "cakupan"],
    )
    closure_coverage(
        desa_metric, assets_metric, desa_coverage, catalogue=catalogue, surface=surface
    ).to_parquet(work / "cakupan_rusak_berat_desa.parquet")
    network_measures(
        desa_metric,
        read_lines(work, metric),
        networks=load_networks(region.jaringan),
        surface=surface,
    ).to_parquet(work / "jaringan_desa.parquet")
    tower_measures(desa_metric, assets_metric, reach=tower_reach(), surface=surface).to_parquet(
        work / "sinyal_desa.parquet"
    )
    if run_travel(
        region,
        work,
        desa=desa_metric,
        facilities=planning_points(assets_metric),
        catalogue=catalogue,
        surface=surface,
    ):
        times = work / "cakupan_waktu_desa.parquet"
        without_data(
            pd.read_parquet(times),
            no_data,
            columns=["penduduk_terlayani_waktu", "cakupan_waktu", "waktu_median", "waktu_p90"],
        ).to_parquet(times)
    weights = index_weights()
    gaps = without_data(
        gap_table(
            kecamatan,
            desa,
            desa_coverage,
            assets,
            catalogue=catalogue,
            weights=weights,
            unlocated=unlocated,
        ),
        no_data,
        columns=GAP_COLUMNS_WITHOUT_DATA,
        note_column="catatan",
    )
    # A desa's overall index averages the services measured: one without data has no term.
    measured = catalogue[~catalogue["layanan"].isin(no_data)]
    desa_gap = desa_index(
        desa, desa_coverage, assets, catalogue=measured, weights=weights, unlocated=unlocated
    )
    desa_gap.rename("indeks_kesenjangan").reset_index().to_parquet(work / "indeks_desa.parquet")
    without_data(
        desa_gap_table(
            desa_metric,
            desa_coverage,
            assets_metric,
            catalogue=catalogue,
            weights=weights,
            unlocated=unlocated,
        ),
        no_data,
        columns=["indeks_kesenjangan", "peringkat_di_kecamatan"],
    ).to_parquet(work / "kesenjangan_desa.parquet")
    desa_coverage.to_parquet(work / "cakupan_desa.parquet")
    gaps.to_parquet(work / "kesenjangan.parquet")
    return work


def _with_asset_ids(*layers: gpd.GeoDataFrame) -> list[gpd.GeoDataFrame]:
    """Return the asset layers with ``id_aset`` assigned over all of them at once."""
    columns = ["sumber", "baris", "nama", "jenis", "id_aset", "geometry"]
    together = gpd.GeoDataFrame(
        pd.concat([layer[columns].to_crs(4326) for layer in layers], ignore_index=True),
        geometry="geometry",
        crs=4326,
    )
    ids = assign_asset_ids(together)["id_aset"].to_numpy()
    bounds = np.cumsum([0, *(len(layer) for layer in layers)])
    return [
        layer.assign(id_aset=ids[start:end])
        for layer, start, end in zip(layers, bounds[:-1], bounds[1:], strict=True)
    ]


_boundaries_stage = cached_stage("batas", _run_boundaries)


def run_boundaries(region: Region, work: Path, *, cache_dir: Path | None = None) -> Path:
    """Read, repair and reconcile boundaries and population; decide the run's metric CRS.

    Writes ``desa``, ``kecamatan`` and the run context (``konteks.json``).
    With ``cache_dir``, a result cached under the same content key is reused instead.
    """
    _boundaries_stage(region, work, cache_dir=cache_dir)
    if not (work / CONTEXT_FILE).exists():
        # Reused from the cache, which keeps the stage's tables only: the same desa and
        # code (both in the cache key) give the same decision.
        decide_run_context(region, read_geoparquet(work / "desa.parquet")).write(work)
    return work


run_assets = cached_stage("aset", _run_assets)


run_coverage = cached_stage("cakupan", _run_coverage)
