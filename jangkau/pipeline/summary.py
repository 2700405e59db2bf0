"""A finished run's summary: records read, placed and rejected, the weakest coverage."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from jangkau.config.region import Region
from jangkau.pipeline.cache import reused_stages
from jangkau.pipeline.context import RunContext
from jangkau.publish.quality import (
    doubted_table,
    quality_markdown,
    quality_sections,
    source_summary,
)
from jangkau.publish.quality_unlocated import unlocated_sections
from jangkau.publish.travel_layers import network_quality_sections

PLACED_FOR_REPORT = [
    "sumber",
    "baris",
    "nama",
    "perbaikan",
    "catatan",
    "kecamatan",
    "kecamatan_tertulis",
    "id_aset",
    "koordinat_tertulis",
]


def _all_placed(work: Path) -> gpd.GeoDataFrame:
    """Return placed points, lines and polygons together (the report counts every record)."""
    frames = [gpd.read_parquet(work / "aset.parquet", columns=[*PLACED_FOR_REPORT, "geometry"])]
    for name, label in (("aset_garis.parquet", "garis"), ("aset_area.parquet", "poligon")):
        if (work / name).exists():
            shapes = gpd.read_parquet(work / name)
            if len(shapes):
                frames.append(shapes.assign(koordinat_tertulis=f"geometri {label}"))
    placed = pd.concat([f[[*PLACED_FOR_REPORT, "geometry"]] for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(placed, geometry="geometry", crs=frames[0].crs)


def _placed_for_report(work: Path) -> pd.DataFrame:
    """Return the placed records the report shows, with the point used as degrees."""
    placed = _all_placed(work)
    # A line or polygon is shown by a point on it.
    points = gpd.GeoSeries(placed.geometry.representative_point(), crs=placed.crs).to_crs(4326)
    return pd.DataFrame(placed.drop(columns="geometry")).assign(
        lintang_dipakai=points.y.to_numpy(), bujur_dipakai=points.x.to_numpy()
    )


def _optional(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.exists() else None


def run_quality_sections(work: Path, region: Region) -> list:
    """Return the data-quality sections of a run, read from its work folder.

    Both the report page and the run summary show them.
    """
    crs_notes = [
        frame
        for frame in (
            _optional(work / "inferensi_crs_batas.parquet"),
            _optional(work / "inferensi_crs.parquet"),
        )
        if frame is not None and len(frame)
    ]
    asset_sections = quality_sections(
        read_counts=pd.read_parquet(work / "aset_dibaca.parquet").set_index("sumber")["dibaca"],
        placed=_placed_for_report(work),
        rejected=pd.read_parquet(work / "aset_ditolak.parquet"),
        boundary_repairs=pd.read_parquet(work / "perbaikan_batas.parquet"),
        boundary_agreement=pd.read_parquet(work / "selisih_batas.parquet"),
        name_matches=pd.read_parquet(work / "pencocokan_nama.parquet"),
        ignored=region.ignored,
        surface_report=_optional(work / "permukaan_laporan.parquet"),
        crs_inferences=pd.concat(crs_notes).drop_duplicates() if crs_notes else None,
        column_guesses=region.tebakan_kolom,
        doubted=doubted_table(
            pd.read_parquet(
                work / "aset.parquet",
                columns=[*PLACED_FOR_REPORT, "desa", "lokasi_diragukan", "jarak_tempat_tertulis_m"],
            )
        ),
    )
    # After the rejected rows: which of them, and which roster rows, still count.
    unlocated = unlocated_sections(
        _optional(work / "tanpa_koordinat.parquet"), _optional(work / "daftar_pencocokan.parquet")
    )
    return [*asset_sections[:6], *unlocated, *asset_sections[6:], *network_quality_sections(work)]


def run_summary(work: Path, region: Region) -> dict[str, object]:
    """Summarise a finished run: records read, placed and rejected, and the weakest coverage.

    Returns
    -------
    dict
        ``markdown`` (the data-quality report in Bahasa Indonesia, for a
        Prefect artifact), ``teks`` (a short summary for a terminal) and
        ``kesenjangan`` (the gap table as records).
    """
    sections = run_quality_sections(work, region)
    per_source = source_summary(
        pd.read_parquet(work / "aset_dibaca.parquet").set_index("sumber")["dibaca"],
        pd.DataFrame(_all_placed(work)[PLACED_FOR_REPORT]),
        pd.read_parquet(work / "aset_ditolak.parquet"),
    )
    gaps = pd.read_parquet(work / "kesenjangan.parquet")
    measured = gaps.dropna(subset=["cakupan"])
    worst = measured.sort_values("cakupan", kind="stable").groupby("layanan", sort=False).head(1)
    worst_lines = [
        f"- {row.layanan}: {row.kecamatan} ({100 * row.cakupan:.1f} %)"
        for row in worst.itertuples()
    ]
    text = (
        f"Aset: {int(per_source['dibaca'].sum())} dibaca, {int(per_source['ditempatkan'].sum())} ditempatkan, "
        f"{int(per_source['ditolak'].sum())} ditolak.\n"
        + "Cakupan terendah per layanan:\n"
        + "\n".join(worst_lines)
    )
    crs_line = RunContext.read(work).describe()
    text += "\n" + crs_line
    network = work / "jaringan_laporan.parquet"
    if network.exists():
        spacing = pd.read_parquet(network, columns=["jarak_titik_m"])["jarak_titik_m"].iloc[0]
        text += f"\nWaktu tempuh di jaringan jalan: titik penduduk berjarak {spacing:g} m."
    reused = reused_stages(work)
    text += (
        f"\nDipakai ulang dari cache (masukan tidak berubah): {', '.join(reused)}"
        if reused
        else "\nSemua tahap dihitung (tidak ada hasil tersimpan untuk masukan ini)."
    )
    if region.ignored:
        text += "\nBerkas yang tidak dipakai:\n" + "\n".join(
            f"- {n}: {w}" for n, w in region.ignored.items()
        )
    markdown = (
        quality_markdown(region.title, sections)
        + "\n\n## Cakupan terendah\n\n"
        + "\n".join(worst_lines)
        + "\n\n## Proyeksi ukur\n\n"
        + crs_line
    )
    records = gaps.astype(object).where(gaps.notna(), None).to_dict(orient="records")
    return {"markdown": markdown, "teks": text, "kesenjangan": records}
