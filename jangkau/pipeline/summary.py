"""A finished run's summary: records read, placed and rejected, the weakest coverage."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from jangkau.analysis.no_data import services_without_data
from jangkau.config.catalogue import distance_services, load_catalogue
from jangkau.config.labels import labels
from jangkau.config.region import Region
from jangkau.io.geoparquet import read_geoparquet
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


def _work_frame(
    work: Path, name: str, read: dict[str, pd.DataFrame] | None, columns: list[str] | None = None
) -> pd.DataFrame:
    """Return a work file's frame (or ``columns`` of it): the one the caller read, else read now."""
    if read and name in read:
        return read[name] if columns is None else read[name][columns]
    if columns is not None and "geometry" not in columns:
        return pd.read_parquet(work / name, columns=columns)
    return read_geoparquet(work / name, columns=columns)


def _all_placed(work: Path, read: dict[str, pd.DataFrame] | None = None) -> gpd.GeoDataFrame:
    """Return placed points, lines and polygons together (the report counts every record).

    ``read``: work files already read in full, by file name (not read again).
    """
    frames = [_work_frame(work, "aset.parquet", read, [*PLACED_FOR_REPORT, "geometry"])]
    for name, label in (("aset_garis.parquet", "garis"), ("aset_area.parquet", "poligon")):
        if (work / name).exists():
            shapes = _work_frame(work, name, read)
            if len(shapes):
                frames.append(shapes.assign(koordinat_tertulis=f"geometri {label}"))
    placed = pd.concat([f[[*PLACED_FOR_REPORT, "geometry"]] for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(placed, geometry="geometry", crs=frames[0].crs)


def _placed_for_report(work: Path, read: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Return the placed records the report shows, with the point used as degrees."""
    placed = _all_placed(work, read)
    # A line or polygon is shown by a point on it.
    points = gpd.GeoSeries(placed.geometry.representative_point(), crs=placed.crs).to_crs(4326)
    return pd.DataFrame(placed.drop(columns="geometry")).assign(
        lintang_dipakai=points.y.to_numpy(), bujur_dipakai=points.x.to_numpy()
    )


def _optional(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.exists() else None


def left_out_assets(work: Path, region: Region) -> pd.DataFrame:
    """Return the assets the live status closed, which this run left out of every figure.

    One row per ``id_aset`` of ``region.aset_tidak_melayani``: its name,
    service and place from the run's ``aset`` table (empty, with a note, for an
    identifier the run's files no longer hold).
    """
    columns = ["id_aset", "nama", "layanan", "desa", "kecamatan", "keterangan"]
    if not region.aset_tidak_melayani:
        return pd.DataFrame(columns=columns)
    assets = pd.read_parquet(
        work / "aset.parquet", columns=["id_aset", "nama", "layanan", "desa", "kecamatan"]
    ).drop_duplicates("id_aset")
    table = (
        pd.DataFrame({"id_aset": sorted(region.aset_tidak_melayani)})
        .merge(assets, on="id_aset", how="left")
        .astype(object)
    )
    found = table["layanan"].notna()
    table["keterangan"] = [
        "tidak melayani menurut status langsung (status.json): tidak dihitung dalam cakupan, "
        "kesenjangan dan usulan"
        if here
        else "tidak ada di data aset proses ini"
        for here in found
    ]
    return table.where(table.notna(), "")[columns].reset_index(drop=True)


def no_data_services(work: Path, region: Region) -> list[str]:
    """Return the services of the run without any asset in the region (figures unknown)."""
    services = load_catalogue(region.layanan)["layanan"].tolist()
    return services_without_data(
        pd.read_parquet(work / "aset.parquet", columns=["layanan"]),
        _optional(work / "tanpa_koordinat.parquet"),
        services,
    )


def _no_data_table(work: Path, region: Region) -> pd.DataFrame:
    catalogue = load_catalogue(region.layanan).set_index("layanan")
    missing = no_data_services(work, region)
    return pd.DataFrame(
        {
            "layanan": missing,
            "nama": [catalogue.at[s, "nama"] for s in missing],
            "keterangan": [labels()["data"]["tidak_ada_data"]] * len(missing),
        },
        columns=["layanan", "nama", "keterangan"],
    )


def population_sources(work: Path) -> pd.DataFrame:
    """Return where the desa population figures come from, with how many desa each.

    A table per kecamatan is spread over its desa by area: that guess is
    stated here, and per desa in the ``desa`` layer's ``sumber_penduduk``.
    """
    desa = pd.read_parquet(work / "desa.parquet")
    if "sumber_penduduk" not in desa:
        return pd.DataFrame(columns=["sumber_penduduk", "jumlah_desa"])
    return desa.groupby("sumber_penduduk", sort=True).size().rename("jumlah_desa").reset_index()


def run_quality_sections(
    work: Path, region: Region, *, read: dict[str, pd.DataFrame] | None = None
) -> list:
    """Return the data-quality sections of a run, read from its work folder.

    Both the report page and the run summary show them. ``read``: work files
    the caller already read in full, by file name (``aset.parquet``,
    ``aset_garis.parquet``, ``aset_area.parquet``), used instead of reading them again.
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
        placed=_placed_for_report(work, read),
        rejected=pd.read_parquet(work / "aset_ditolak.parquet"),
        boundary_repairs=pd.read_parquet(work / "perbaikan_batas.parquet"),
        boundary_agreement=pd.read_parquet(work / "selisih_batas.parquet"),
        name_matches=pd.read_parquet(work / "pencocokan_nama.parquet"),
        ignored=region.ignored,
        surface_report=_optional(work / "permukaan_laporan.parquet"),
        crs_inferences=pd.concat(crs_notes).drop_duplicates() if crs_notes else None,
        column_guesses=region.tebakan_kolom,
        doubted=doubted_table(
            pd.DataFrame(
                _work_frame(
                    work,
                    "aset.parquet",
                    read,
                    [*PLACED_FOR_REPORT, "desa", "lokasi_diragukan", "jarak_tempat_tertulis_m"],
                )
            )
        ),
    )
    # After the rejected rows: which of them, and which roster rows, still count.
    unlocated = unlocated_sections(
        _optional(work / "tanpa_koordinat.parquet"), _optional(work / "daftar_pencocokan.parquet")
    )
    run_sections = [
        (
            "Layanan tanpa data",
            "Tidak ada satu pun aset layanan ini di berkas masukan (berkasnya tidak ada atau tidak "
            "memuat jenis ini). Cakupan, kekurangan, indeks dan peringkatnya tidak diketahui dan "
            "dibiarkan kosong di semua tabel (bukan 0 %); tidak ada usulan lokasi. Tambahkan daftar "
            "asetnya lalu jalankan ulang.",
            _no_data_table(work, region),
        ),
        (
            "Aset yang tidak dihitung karena status langsung",
            "Aset yang dilaporkan tutup atau rusak berat di status langsung (jangkau pantau) saat "
            "proses dimulai: tetap di lapisan aset, tetapi tidak dihitung dalam cakupan, "
            "kesenjangan dan usulan lokasi proses ini.",
            left_out_assets(work, region),
        ),
        (
            "Asal angka penduduk desa",
            "Dari mana angka penduduk setiap desa/kelurahan. Angka per kecamatan yang dibagi ke "
            "desa menurut luas adalah perkiraan, bukan angka desa yang tercatat; lihat kolom "
            "sumber_penduduk di lapisan desa.",
            population_sources(work),
        ),
    ]
    return [
        *run_sections,
        *asset_sections[:6],
        *unlocated,
        *asset_sections[6:],
        *network_quality_sections(work),
    ]


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
    # A service with no asset at all has no lowest figure: it is unknown, never 0 %.
    measurable = set(distance_services(load_catalogue(region.layanan)))
    worst_lines += [
        f"- {service}: {labels()['data']['tidak_ada_data']} (tidak ada aset di wilayah)"
        for service in no_data_services(work, region)
        if service in measurable
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
    left_out = left_out_assets(work, region)
    if len(left_out):
        text += (
            f"\nAset tidak dihitung karena status langsung (tutup/rusak berat): {len(left_out)}\n"
            + "\n".join(
                f"- {r.id_aset}: {r.nama or '?'} ({r.layanan or '?'}, Kec. {r.kecamatan or '?'})"
                for r in left_out.itertuples()
            )
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
