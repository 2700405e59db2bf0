"""The proposals step of the coverage stage: proposed sites, the kabupaten table, urgency.

Reads what :func:`jangkau.pipeline.stages.measure_coverage` wrote into the
work folder and adds to it (GeoParquet), like the other steps.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj

from jangkau.analysis.no_data import GAP_COLUMNS_WITHOUT_DATA, without_data
from jangkau.analysis.proposals import ProposalSettings, kabupaten_of, plan_sites, with_proposals
from jangkau.analysis.urgency import (
    kabupaten_only_counts,
    kabupaten_table,
    most_urgent_service,
    urgency_index,
    weight_sensitivity,
)
from jangkau.config.catalogue import index_weights, load_catalogue
from jangkau.config.region import Region
from jangkau.errors import InputError
from jangkau.io.geoparquet import read_geoparquet
from jangkau.io.read import read_records
from jangkau.pipeline.asset_step import (
    assets_that_serve,
    planning_points,
    read_surface,
    read_unlocated,
)
from jangkau.pipeline.beside import Started
from jangkau.pipeline.context import RunContext
from jangkau.pipeline.travel_step import travel_setting


def propose_and_rank(region: Region, work: Path) -> Path:
    """Write proposed sites and their report, the kabupaten table, urgency and its sensitivity.

    Adds the proposals' columns to the gap table :func:`measure_coverage` wrote.
    """
    catalogue = load_catalogue(region.layanan)
    desa = read_geoparquet(work / "desa.parquet")
    unlocated = read_unlocated(work)
    assets, no_data = assets_that_serve(region, work, catalogue, unlocated)
    gaps = pd.read_parquet(work / "kesenjangan.parquet")
    # Parsed once: each projection below would parse the text again (~10 ms each).
    metric = pyproj.CRS(RunContext.read(work).metric_crs)
    weights = index_weights()
    desa_metric = desa.to_crs(metric)
    # The kabupaten table, urgency and its sensitivity read none of the proposals'
    # columns: a second process writes them while the sites are planned.
    # No process may still be writing into the work folder when an error leaves here.
    with Started() as started:
        rankings = started.start(
            _write_rankings, work, gaps, catalogue, no_data, weights=weights, unlocated=unlocated
        )
        # Sites placed as if a service had no facility, when the run has no data on it,
        # would be a guess.
        sites, report = plan_sites(
            desa_metric,
            planning_points(assets.to_crs(metric)),
            gaps[~gaps["layanan"].isin(no_data)],
            catalogue=catalogue[~catalogue["layanan"].isin(no_data)],
            settings=ProposalSettings(
                maks_per_unit=region.usulan_k, anggaran=region.usulan_anggaran or None
            ),
            surface=read_surface(work, metric),
            candidate_sites=_candidate_sites(region, metric),
            kabupaten_only=kabupaten_only_counts(unlocated),
            # With a road file, services with a time standard are planned by travel time.
            travel=travel_setting(region, desa_metric),
        )
        gaps = without_data(with_proposals(gaps, sites, report), no_data, columns=["usulan"])
        report.to_parquet(work / "usulan_laporan.parquet")
        sites.to_crs(4326).to_parquet(work / "usulan_lokasi.parquet")
        gaps.to_parquet(work / "kesenjangan.parquet")
        rankings.result()
    return work


def _write_rankings(
    work: Path,
    gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    no_data: list[str],
    *,
    weights: dict[str, float],
    unlocated: pd.DataFrame | None,
) -> None:
    """Write the kabupaten table, the urgency index and its weight sensitivity (work folder)."""
    kabupaten = (
        pd.Series(kabupaten_of(gaps["kode_kec"]).to_numpy(), index=gaps["kode_kec"])
        .groupby(level=0)
        .first()
    )
    without_data(
        kabupaten_table(gaps, catalogue, kabupaten=kabupaten, weights=weights, unlocated=unlocated),
        no_data,
        columns=GAP_COLUMNS_WITHOUT_DATA,
    ).to_parquet(work / "kesenjangan_kabupaten.parquet")
    urgency = urgency_index(gaps, catalogue).rename("indeks_urgensi").to_frame()
    urgency["layanan_paling_mendesak"] = most_urgent_service(gaps, catalogue)
    urgency.rename_axis("kode_kec").reset_index().to_parquet(work / "urgensi.parquet")
    weight_sensitivity(gaps, catalogue).to_parquet(work / "kepekaan_bobot.parquet")


def _candidate_sites(region: Region, metric: object) -> gpd.GeoDataFrame | None:
    """Read the region's candidate sites (land the pemda owns), if it names a file."""
    spec = region.usulan_kandidat
    if spec is None:
        return None
    frame = read_records(spec.path, **spec.options)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        raise InputError(spec.path, "lokasi kandidat harus berupa berkas titik dengan CRS")
    frame = frame[frame.geometry.notna() & (frame.geom_type == "Point")]
    if frame.empty:
        raise InputError(spec.path, "tidak ada titik lokasi kandidat")
    return frame.to_crs(metric)
