"""Publishing a run: every output written into a run folder, then put in place."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd

from jangkau.analysis.coverage import wide_coverage
from jangkau.analysis.gaps import overall_index
from jangkau.clean.assets import PLACED_COLUMNS, REJECTED_COLUMNS
from jangkau.config.catalogue import (
    distance_services,
    load_catalogue,
)
from jangkau.config.region import Region
from jangkau.io.atomic import copy_into_place, write_csv, write_text
from jangkau.pipeline.context import OutputPaths, metric_crs
from jangkau.pipeline.summary import run_quality_sections
from jangkau.publish.geopackage import write_geopackage, write_qgis_project
from jangkau.publish.layers import QGIS_LAYERS, catalogue_table, qgis_styles
from jangkau.publish.qgis import project_xml
from jangkau.publish.quality import changes as compare_runs
from jangkau.publish.quality import quality_html
from jangkau.publish.tables import write_gap_workbook
from jangkau.publish.travel_layers import add_travel_outputs, travel_page_data
from jangkau.publish.webassets import load_web_assets
from jangkau.publish.webmap import index_page, page_data, render_page


def _surface_label(work: Path, region: Region, desa: pd.DataFrame) -> pd.Series:
    """Say, per desa, how its people are spread: evenly, or by the finer surface."""
    label = pd.Series("merata per desa", index=desa.index)
    path = work / "permukaan_penduduk.parquet"
    if path.exists():
        covered = set(pd.read_parquet(path, columns=["kode_desa"])["kode_desa"])
        label[desa["kode_desa"].isin(covered)] = f"titik penduduk ({region.penduduk_rinci.name})"
    return label


def run_publish(region: Region, work: Path, outputs: OutputPaths) -> dict[str, str]:
    """Write the GeoPackage, the gap CSV and the map page; return their paths."""
    catalogue = load_catalogue(region.layanan)
    services = distance_services(catalogue)
    desa = gpd.read_parquet(work / "desa.parquet")
    kecamatan = gpd.read_parquet(work / "kecamatan.parquet")
    assets = gpd.read_parquet(work / "aset.parquet")
    rejected = pd.read_parquet(work / "aset_ditolak.parquet")
    desa_coverage = pd.read_parquet(work / "cakupan_desa.parquet")
    gaps = pd.read_parquet(work / "kesenjangan.parquet")
    proposals = gpd.read_parquet(work / "usulan_lokasi.parquet")

    desa_wide = wide_coverage(desa_coverage, "kode_desa")
    desa_wide = desa_wide.join(pd.read_parquet(work / "indeks_desa.parquet").set_index("kode_desa"))
    desa = desa.assign(permukaan_penduduk=_surface_label(work, region, desa))
    desa_layer = desa[
        [
            "kode_desa",
            "desa",
            "kode_kec",
            "kecamatan",
            "tipe",
            "penduduk",
            "permukaan_penduduk",
            "geometry",
        ]
    ].join(desa_wide, on="kode_desa")
    kec_wide = gaps[gaps["layanan"].isin(services)].pivot(
        index="kode_kec", columns="layanan", values="cakupan"
    )
    kec_wide = kec_wide[[s for s in services if s in kec_wide.columns]]
    kec_wide.columns = [f"cakupan_{c}" for c in kec_wide.columns]
    population = desa.groupby("kode_kec")["penduduk"].sum().rename("penduduk")
    kecamatan_layer = (
        kecamatan[["kode_kec", "kecamatan", "geometry"]]
        .join(population, on="kode_kec")
        .join(kec_wide, on="kode_kec")
    )
    kecamatan_layer["indeks_kesenjangan"] = kecamatan_layer["kode_kec"].map(overall_index(gaps))
    kecamatan_layer = kecamatan_layer[
        ["kode_kec", "kecamatan", "penduduk", *kec_wide.columns, "indeks_kesenjangan", "geometry"]
    ]
    asset_layer = assets[[*PLACED_COLUMNS, "geometry"]].drop(columns=["kecamatan_tertulis"])
    layers = {
        "kecamatan": kecamatan_layer,
        "desa": desa_layer,
        "aset": asset_layer,
        "aset_ditolak": rejected[REJECTED_COLUMNS],
        "kesenjangan": gaps,
        "layanan": catalogue_table(catalogue),
        "usulan_lokasi": proposals,
    }
    layers = add_travel_outputs(work, layers)
    run_dir, previous = _new_run_dir(outputs.processed / "riwayat")
    previous_gaps = (
        pd.read_csv(previous / "kesenjangan_kecamatan.csv", dtype={"kode_kec": str})
        if previous is not None and (previous / "kesenjangan_kecamatan.csv").exists()
        else None
    )
    changes = compare_runs(previous_gaps, gaps, previous_run=previous.name if previous else None)
    styles = qgis_styles(catalogue, services)
    gpkg = write_geopackage(run_dir / "coverage.gpkg", layers, styles=styles)
    write_qgis_project(
        run_dir / "coverage.qgz",
        project_xml(
            title=f"{region.title}: cakupan layanan",
            gpkg_name=gpkg.name,
            layers=[(name, kind, wkb) for name, kind, wkb in QGIS_LAYERS if name in layers],
            styles={layer: qml for layer, _, qml, default in styles if default},
        ),
    )
    write_csv(run_dir / "kesenjangan_kecamatan.csv", gaps)
    write_gap_workbook(run_dir / "kesenjangan_kecamatan.xlsx", gaps, catalogue)
    write_csv(run_dir / "perubahan.csv", changes)
    data = page_data(
        kecamatan_layer,
        desa_layer,
        assets,
        gaps,
        catalogue,
        proposals=proposals,
        changes=changes,
        title=region.title,
        data_date=dt.date.today().isoformat(),
        metric_crs=metric_crs(region, desa),
    )
    data["waktu"] = travel_page_data(work, desa_layer["kode_desa"].tolist())
    write_text(run_dir / "index.html", render_page(data, load_web_assets()))
    write_text(
        run_dir / "kualitas_data.html",
        quality_html(region.title, run_quality_sections(work, region)),
    )
    info = {"judul": region.title, "tanggal": dt.date.today().isoformat(), "proses": run_dir.name}
    write_text(run_dir / "info.json", json.dumps(info, ensure_ascii=False))
    # Everything is written: only now do the published files change, each in one rename.
    written = {}
    for label, name, folder in PUBLISHED:
        target = (outputs.maps if folder == "maps" else outputs.processed) / name
        copy_into_place(run_dir / name, target)
        written[label] = str(target)
    publish_index(outputs.maps.parent)
    _prune_history(outputs.processed / "riwayat", keep=region.riwayat_n)
    return written


# Files a run publishes: (label, file name in the run folder, destination folder).
PUBLISHED = [
    ("geopackage", "coverage.gpkg", "processed"),
    ("proyek_qgis", "coverage.qgz", "processed"),
    ("kesenjangan_csv", "kesenjangan_kecamatan.csv", "processed"),
    ("kesenjangan_xlsx", "kesenjangan_kecamatan.xlsx", "processed"),
    ("perubahan", "perubahan.csv", "processed"),
    ("kualitas_data", "kualitas_data.html", "processed"),
    ("peta", "index.html", "maps"),
    ("info_peta", "info.json", "maps"),
]


def _new_run_dir(history: Path) -> tuple[Path, Path | None]:
    """Create this run's folder under ``riwayat/``; return it and the latest finished run before it."""
    history.mkdir(parents=True, exist_ok=True)
    finished = sorted(p for p in history.iterdir() if p.is_dir() and (p / "info.json").exists())
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    run_dir = history / f"{stamp}-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir()
    return run_dir, (finished[-1] if finished else None)


def _prune_history(history: Path, *, keep: int) -> None:
    """Keep the last ``keep`` finished runs; drop older ones and any unfinished leftovers but the newest."""
    runs = sorted(p for p in history.iterdir() if p.is_dir())
    finished = [p for p in runs if (p / "info.json").exists()]
    for old in finished[:-keep] if keep > 0 else finished:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in [p for p in runs if p not in finished][:-1]:
        shutil.rmtree(leftover, ignore_errors=True)


def publish_index(maps_root: Path) -> Path:
    """Rewrite ``maps/index.html`` from the regions published under ``maps_root``."""
    entries = []
    for info in sorted(maps_root.glob("*/info.json")):
        if (info.parent / "index.html").exists():
            meta = json.loads(info.read_text(encoding="utf-8"))
            entries.append(
                {"folder": info.parent.name, "judul": meta["judul"], "tanggal": meta["tanggal"]}
            )
    return write_text(maps_root / "index.html", index_page(entries))
