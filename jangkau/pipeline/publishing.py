"""Publishing a run: every output written into a run folder, then published in one rename.

See :mod:`jangkau.pipeline.history` for the run folders and the ``terkini``
pointer. The caller holds the region's lock (:mod:`jangkau.pipeline.lock`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd

from jangkau.clean.assets import PLACED_COLUMNS, REJECTED_COLUMNS
from jangkau.clean.rosters import ROSTER_LEDGER_COLUMNS
from jangkau.clean.unlocated import UNLOCATED_COLUMNS
from jangkau.config.catalogue import (
    distance_services,
    load_catalogue,
)
from jangkau.config.networks import load_networks
from jangkau.config.region import Region
from jangkau.io.atomic import write_csv, write_text
from jangkau.io.geoparquet import read_geoparquet
from jangkau.pipeline.beside import Started, results
from jangkau.pipeline.context import OutputPaths, RunContext
from jangkau.pipeline.counts import keep_record_counts
from jangkau.pipeline.history import (
    finish_run,
    new_run_dir,
    prepare_history,
    previous_run,
    prune_history,
    publish_run,
    run_id,
)
from jangkau.pipeline.live_base import publish_live_base
from jangkau.pipeline.stages import ROSTER_LEDGER_FILE, UNLOCATED_FILE
from jangkau.pipeline.summary import run_quality_sections
from jangkau.publish.asset_layers import add_asset_outputs
from jangkau.publish.foliummap import render_page
from jangkau.publish.geopackage import write_geopackage, write_qgis_project
from jangkau.publish.layers import (
    catalogue_table,
    desa_layer,
    kecamatan_layer,
    qgis_project,
    qgis_styles,
)
from jangkau.publish.quality import quality_html, rejected_for_agency
from jangkau.publish.run_changes import changes as compare_runs
from jangkau.publish.tables import (
    WorkbookContext,
    unlocated_sheet,
    write_excel_csv,
    write_gap_workbook,
)
from jangkau.publish.travel_layers import add_travel_outputs, travel_page_data
from jangkau.publish.webassets import load_web_assets
from jangkau.publish.webmap import index_page, page_data

# In the work folder: the printed documents, written beside the rest, then moved in.
DOCUMENTS_FOLDER = "dokumen"


def _surface_label(work: Path, region: Region, desa: pd.DataFrame) -> pd.Series:
    """Say, per desa, how its people are spread: evenly, or by the finer surface."""
    label = pd.Series("merata per desa", index=desa.index)
    path = work / "permukaan_penduduk.parquet"
    if path.exists():
        covered = set(pd.read_parquet(path, columns=["kode_desa"])["kode_desa"])
        label[desa["kode_desa"].isin(covered)] = f"titik penduduk ({region.penduduk_rinci.name})"
    return label


def _optional_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """Return a work table, or an empty one with its columns for a work folder from before it."""
    return pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=columns)


def run_publish(region: Region, work: Path, outputs: OutputPaths) -> dict[str, str]:
    """Write the GeoPackage, the gap CSV and the map page; return their paths."""
    catalogue = load_catalogue(region.layanan)
    services = distance_services(catalogue)
    desa = read_geoparquet(work / "desa.parquet")
    kecamatan = read_geoparquet(work / "kecamatan.parquet")
    assets = read_geoparquet(work / "aset.parquet")
    rejected = pd.read_parquet(work / "aset_ditolak.parquet")
    desa_coverage = pd.read_parquet(work / "cakupan_desa.parquet")
    gaps = pd.read_parquet(work / "kesenjangan.parquet")
    proposals = read_geoparquet(work / "usulan_lokasi.parquet")
    context = RunContext.read(work)

    urgency = pd.read_parquet(work / "urgensi.parquet")
    desa = desa.assign(permukaan_penduduk=_surface_label(work, region, desa))
    desa_layer_frame = desa_layer(
        desa, desa_coverage, pd.read_parquet(work / "indeks_desa.parquet")
    )
    names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    kecamatan_layer_frame = kecamatan_layer(
        kecamatan, desa, gaps, urgency, services=services, names=names
    )
    prepare_history(outputs)
    previous = previous_run(outputs)
    run_dir = new_run_dir(outputs)
    sources = _input_sources(work, region, desa_count=len(desa))
    date = dt.date.today().isoformat()
    metric_crs = f"{context.metric_crs} ({context.crs_basis})"
    # No process may still be writing into the work folder when an error leaves here.
    with Started() as started:
        # The printed documents are the longest part of publishing: each is started in a
        # process of its own as soon as its inputs exist (the report before the asset layers).
        report = started.start(
            _write_report,
            work / DOCUMENTS_FOLDER,
            title=region.title,
            data_date=date,
            run=run_id(run_dir),
            measured=metric_crs,
            sources=sources,
            kecamatan=kecamatan_layer_frame,
            desa=desa_layer_frame,
            assets=assets,
            proposals=proposals,
            gaps=gaps,
            catalogue=catalogue,
            services=services,
            metric_crs=context.metric_crs,
        )
        unlocated = _optional_table(work / UNLOCATED_FILE, UNLOCATED_COLUMNS)
        roster_ledger = _optional_table(work / ROSTER_LEDGER_FILE, ROSTER_LEDGER_COLUMNS)
        desa_gaps = pd.read_parquet(work / "kesenjangan_desa.parquet")
        asset_layer = assets[[*PLACED_COLUMNS, "geometry"]].drop(columns=["kecamatan_tertulis"])
        layers = {
            "kecamatan": kecamatan_layer_frame,
            "desa": desa_layer_frame,
            "aset": asset_layer,
            "aset_ditolak": rejected[REJECTED_COLUMNS],
            "tanpa_koordinat": unlocated.astype({"baris": "int64", "dihitung": bool}),
            "daftar_pencocokan": roster_ledger,
            "kesenjangan": gaps,
            "kesenjangan_desa": desa_gaps,
            "kesenjangan_kabupaten": pd.read_parquet(work / "kesenjangan_kabupaten.parquet"),
            "usulan_laporan": pd.read_parquet(work / "usulan_laporan.parquet"),
            "kepekaan_bobot": pd.read_parquet(work / "kepekaan_bobot.parquet"),
            "layanan": catalogue_table(catalogue),
            "usulan_lokasi": proposals,
            "crs_metrik": context.table(),
        }
        # Each work file read once: the asset layers, the quality page and the map share them.
        read = {"aset.parquet": assets} | {
            name: read_geoparquet(work / name)
            for name in ("aset_garis.parquet", "aset_area.parquet")
            if (work / name).exists()
        }
        layers = add_asset_outputs(work, layers, networks=load_networks(region.jaringan), read=read)
        workbook = started.start(
            _write_workbook,
            work / DOCUMENTS_FOLDER,
            context=WorkbookContext(
                title=region.title, data_date=date, sources=sources, metric_crs=metric_crs
            ),
            gaps=gaps,
            desa_gaps=desa_gaps,
            catalogue=catalogue,
            urgency=urgency,
            extra_sheets={
                title: layers[name]
                for name, title in (
                    ("rekap_aset", "Rekap aset"),
                    ("sistem_informasi", "Sistem informasi"),
                )
                if name in layers
            },
            unlocated=unlocated_sheet(unlocated, names),
        )
        # Last, so that cakupan_waktu_X stands right beside cakupan_X (issue 15's contract).
        layers = add_travel_outputs(work, layers)
        previous_gaps = (
            pd.read_csv(previous / "kesenjangan_kecamatan.csv", dtype={"kode_kec": str})
            if previous is not None and (previous / "kesenjangan_kecamatan.csv").exists()
            else None
        )
        changes = compare_runs(
            previous_gaps, gaps, previous_run=previous.name if previous else None
        )
        styles = qgis_styles(catalogue, services, columns=layers)
        # The description names the run behind the file, for whoever opens it in QGIS.
        gpkg = write_geopackage(
            run_dir / "coverage.gpkg",
            layers,
            styles=styles,
            description=f"jangkau, proses {run_id(run_dir)}",
        )
        write_qgis_project(
            run_dir / "coverage.qgz",
            qgis_project(
                layers,
                catalogue,
                services,
                title=f"{region.title}: cakupan layanan",
                gpkg_name=gpkg.name,
            ),
        )
        write_csv(run_dir / "kesenjangan_kecamatan.csv", gaps)
        write_excel_csv(run_dir / "kesenjangan_kecamatan_excel.csv", gaps)
        write_csv(run_dir / "kesenjangan_desa.csv", desa_gaps)
        write_csv(run_dir / "perubahan.csv", changes)
        write_csv(run_dir / "baris_ditolak.csv", rejected_for_agency(rejected))
        data = page_data(
            kecamatan_layer_frame,
            desa_layer_frame,
            assets,
            gaps,
            catalogue,
            desa_gaps=desa_gaps,
            proposals=proposals,
            changes=changes,
            title=region.title,
            data_date=dt.date.today().isoformat(),
            metric_crs=context.metric_crs,
            shapes=[layers[n] for n in ("aset_garis", "aset_area") if n in layers],
        )
        data["waktu"] = travel_page_data(work, desa_layer_frame["kode_desa"].tolist())
        write_text(run_dir / "index.html", render_page(data, load_web_assets()))
        write_text(
            run_dir / "kualitas_data.html",
            quality_html(region.title, run_quality_sections(work, region, read=read)),
        )
        for written_document in results(workbook, report):
            os.replace(written_document, run_dir / written_document.name)
    info = {
        "judul": region.title,
        "tanggal": dt.date.today().isoformat(),
        "proses": run_id(run_dir),
        # Assets left out of this run's coverage because reported out of service live.
        "aset_tidak_melayani": sorted(region.aset_tidak_melayani),
    }
    write_text(run_dir / "info.json", json.dumps(info, ensure_ascii=False))
    publish_live_base(work, run_dir)
    keep_record_counts(work, region, run_dir)
    # Everything is written: only now do the published files change, all in one rename.
    written = publish_run(finish_run(run_dir), outputs)
    publish_index(outputs.maps.parent)
    prune_history(outputs, keep=region.riwayat_n, work=work)
    return written


def _write_workbook(
    folder: Path,
    *,
    context: WorkbookContext,
    gaps: pd.DataFrame,
    desa_gaps: pd.DataFrame,
    catalogue: pd.DataFrame,
    urgency: pd.DataFrame,
    extra_sheets: dict[str, pd.DataFrame],
    unlocated: pd.DataFrame,
) -> Path:
    """Write the planners' workbook into ``folder`` (a plain write); return its path.

    Runs beside the rest of publishing (:class:`~jangkau.pipeline.beside.Beside`).
    """
    folder.mkdir(parents=True, exist_ok=True)
    return write_gap_workbook(
        folder / "kesenjangan_kecamatan.xlsx",
        gaps,
        catalogue,
        context=context,
        desa_gaps=desa_gaps,
        urgency=urgency.set_index("kode_kec")["indeks_urgensi"],
        extra_sheets=extra_sheets,
        unlocated=unlocated,
        atomic=False,
    )


def _write_report(
    folder: Path,
    *,
    title: str,
    data_date: str,
    run: str,
    measured: str,
    sources: pd.DataFrame,
    **layers: object,
) -> Path:
    """Write ``laporan.pdf`` into ``folder`` (a plain write); return its path.

    Runs beside the rest of publishing (:class:`~jangkau.pipeline.beside.Beside`).
    ``measured`` says how distances were measured (CRS and why); ``layers``
    are :func:`~jangkau.publish.report_pdf.write_report_pdf`'s frames, with
    ``kecamatan`` and ``desa`` as built before the asset and travel-time
    columns join them.
    """
    # Imported here: reportlab and Pillow are imported only by the process drawing the PDF.
    from jangkau.publish.report_pdf import ReportContext, write_report_pdf

    folder.mkdir(parents=True, exist_ok=True)
    context = ReportContext(
        title=title, data_date=data_date, run_id=run, metric_crs=measured, sources=sources
    )
    return write_report_pdf(folder / "laporan.pdf", context=context, atomic=False, **layers)


def _input_sources(work: Path, region: Region, *, desa_count: int) -> pd.DataFrame:
    """Return the run's input files: what each gave the run and how many records were read."""
    read = pd.read_parquet(work / "aset_dibaca.parquet").set_index("sumber")["dibaca"]
    rows = [(region.desa.name, "batas desa/kelurahan", desa_count)]
    if region.kecamatan is not None and not region.derive_kecamatan:
        rows.append((region.kecamatan.name, "batas kecamatan", None))
    if region.penduduk is not None:
        rows.append((region.penduduk.name, "penduduk", None))
    if region.penduduk_rinci is not None:
        rows.append((region.penduduk_rinci.name, "sebaran penduduk (titik)", None))
    rows += [(spec.name, "daftar aset", int(read.get(spec.name, 0))) for spec in region.aset]
    ledger = work / ROSTER_LEDGER_FILE
    roster_rows = (
        pd.read_parquet(ledger, columns=["sumber"])["sumber"].value_counts()
        if ledger.exists()
        else pd.Series(dtype="int64")
    )
    rows += [
        (spec.name, "daftar resmi tanpa koordinat", int(roster_rows.get(spec.name, 0)))
        for spec in region.daftar
    ]
    if region.usulan_kandidat is not None:
        rows.append((region.usulan_kandidat.name, "lokasi kandidat usulan", None))
    return pd.DataFrame(rows, columns=["berkas", "peran", "baris"])


def publish_index(maps_root: Path) -> Path:
    """Rewrite ``maps/index.html`` (in one rename) from the regions published under ``maps_root``.

    Each region's ``info.json`` is read through its pointer, so the index
    lists what is published now.
    """
    entries = []
    for info in sorted(maps_root.glob("*/info.json")):
        if (info.parent / "index.html").exists():
            meta = json.loads(info.read_text(encoding="utf-8"))
            entries.append(
                {"folder": info.parent.name, "judul": meta["judul"], "tanggal": meta["tanggal"]}
            )
    return write_text(maps_root / "index.html", index_page(entries))
