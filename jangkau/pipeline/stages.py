"""The run's compute stages as functions from files to files.

Each stage reads what earlier stages wrote into a work folder, calls the
pure functions of the library, and writes its results back (GeoParquet).
Flows wrap these functions as tasks and hand each other only paths and the
region as JSON, so nothing large passes through an orchestrator; the
``local`` runner calls them in order.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from jangkau.analysis.coverage import coverage_by_desa
from jangkau.analysis.gaps import desa_index, gap_table
from jangkau.analysis.sites import propose_sites
from jangkau.clean.assets import STANDARD_COLUMNS, place_assets, standardise_assets
from jangkau.clean.boundaries import (
    REPAIR_COLUMNS,
    reconcile_kecamatan,
    standardise_desa,
    standardise_kecamatan,
)
from jangkau.clean.population import attach_population, population_surface
from jangkau.config.catalogue import (
    index_weights,
    load_catalogue,
    load_kind_table,
)
from jangkau.config.region import Region
from jangkau.errors import InputError
from jangkau.io.read import read_records, read_table
from jangkau.pipeline.cache import cached_stage
from jangkau.pipeline.context import metric_crs
from jangkau.pipeline.travel_step import run_travel


def _run_boundaries(region: Region, work: Path) -> Path:
    """Read, repair and reconcile boundaries and population; write ``desa`` and ``kecamatan``."""
    source = region.desa.name
    desa_raw = read_records(region.desa.path, **region.desa.options)
    desa, desa_repairs = standardise_desa(desa_raw, columns=region.desa.columns, source=source)
    metric = metric_crs(region, desa)
    kecamatan_layer, kecamatan_repairs = None, pd.DataFrame(columns=REPAIR_COLUMNS)
    if region.kecamatan is not None and not region.derive_kecamatan:
        raw = read_records(region.kecamatan.path, **region.kecamatan.options)
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
            read_records(surface_spec.path, **surface_spec.options),
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
    return work


def _run_assets(region: Region, work: Path) -> Path:
    """Read every asset file, then place, repair, classify and de-duplicate the records."""
    desa = gpd.read_parquet(work / "desa.parquet")
    metric = metric_crs(region, desa)
    frames = []
    for spec in region.aset:
        raw = read_records(spec.path, **spec.options)
        frames.append(
            standardise_assets(
                raw, columns=spec.columns, source=spec.name, default_jenis=spec.jenis
            )
        )
    if frames:
        records = pd.concat(frames, ignore_index=True)
    else:
        records = pd.DataFrame(columns=STANDARD_COLUMNS)
    kinds = load_kind_table(region.jenis)
    placed, rejected = place_assets(records, desa=desa.to_crs(metric), kinds=kinds)
    for spec in region.aset:
        if not (placed["sumber"] == spec.name).any():
            raise InputError(
                spec.path, "tidak ada satu baris pun yang dapat dipakai (semua ditolak)"
            )
    placed.to_parquet(work / "aset.parquet")
    rejected.to_parquet(work / "aset_ditolak.parquet")
    counts = records.groupby("sumber").size().rename("dibaca").reset_index()
    counts.to_parquet(work / "aset_dibaca.parquet")
    return work


def _surface(work: Path, metric: object) -> gpd.GeoDataFrame | None:
    path = work / "permukaan_penduduk.parquet"
    return gpd.read_parquet(path).to_crs(metric) if path.exists() else None


def _run_coverage(region: Region, work: Path) -> Path:
    """Compute coverage per desa and the gap table per kecamatan × service."""
    catalogue = load_catalogue(region.layanan)
    desa = gpd.read_parquet(work / "desa.parquet")
    kecamatan = gpd.read_parquet(work / "kecamatan.parquet")
    assets = gpd.read_parquet(work / "aset.parquet")
    metric = metric_crs(region, desa)
    surface = _surface(work, metric)
    desa_coverage = coverage_by_desa(
        desa.to_crs(metric), assets.to_crs(metric), catalogue=catalogue, surface=surface
    )
    run_travel(
        region,
        work,
        desa=desa.to_crs(metric),
        facilities=assets.to_crs(metric),
        catalogue=catalogue,
        surface=surface,
    )
    weights = index_weights()
    gaps = gap_table(kecamatan, desa, desa_coverage, assets, catalogue=catalogue, weights=weights)
    desa_gap = desa_index(desa, desa_coverage, assets, catalogue=catalogue, weights=weights)
    desa_gap.rename("indeks_kesenjangan").reset_index().to_parquet(work / "indeks_desa.parquet")
    proposals = propose_sites(
        desa.to_crs(metric),
        assets.to_crs(metric),
        gaps,
        catalogue=catalogue,
        k=region.usulan_k,
        surface=surface,
        desa_coverage=desa_coverage,
    )
    proposals.to_crs(4326).to_parquet(work / "usulan_lokasi.parquet")
    desa_coverage.to_parquet(work / "cakupan_desa.parquet")
    gaps.to_parquet(work / "kesenjangan.parquet")
    return work


run_boundaries = cached_stage("batas", _run_boundaries)


run_assets = cached_stage("aset", _run_assets)


run_coverage = cached_stage("cakupan", _run_coverage)
