"""The run's stages as functions from files to files.

Each stage reads what earlier stages wrote into a work folder, calls the
pure functions of the library, and writes its results back (GeoParquet).
Flows wrap these functions as tasks and hand each other only paths and the
region as JSON, so nothing large passes through an orchestrator; the
``local`` runner calls them in order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from jangkau import clean, coverage, publish, qgis, reconcile, report
from jangkau.catalogue import (
    CATALOGUE_COLUMNS,
    distance_services,
    index_weights,
    load_catalogue,
    load_kind_table,
)
from jangkau.crs import metric_crs_for
from jangkau.read import InputError, read_records, read_table
from jangkau.region import Region, load_region_file, region_from_folder, resolve_region
from jangkau.sites import propose_sites
from jangkau.standards import desa_index, gap_table, overall_index
from jangkau.webassets import load_web_assets


@dataclass(frozen=True)
class OutputPaths:
    """Where a region's published outputs go."""

    processed: Path
    maps: Path

    @classmethod
    def under(cls, root: str | Path, name: str) -> OutputPaths:
        """Return the standard layout ``ROOT/data/processed/NAME`` and ``ROOT/maps/NAME``."""
        root = Path(root)
        return cls(processed=root / "data" / "processed" / name, maps=root / "maps" / name)


def prepare_region(
    *,
    region_file: str | Path | None = None,
    data_dir: str | Path | None = None,
    name: str | None = None,
) -> Region:
    """Resolve a region from its region file, or from a bare folder of files.

    A region file with ``generator = "demo"`` gets its inputs generated into
    its ``data_dir`` when that folder holds none yet.
    """
    if region_file is not None:
        settings = load_region_file(region_file)
        if data_dir is not None:
            settings["data_dir"] = str(Path(data_dir).resolve())
        if settings.get("generator") == "demo":
            from jangkau.demo import write_demo

            folder = Path(settings["data_dir"])
            if not folder.is_dir() or not any(folder.iterdir()):
                write_demo(folder)
        if name is not None:
            settings["name"] = name
        return resolve_region(settings)
    if data_dir is None or name is None:
        raise ValueError("give a region file, or both data_dir and name")
    return region_from_folder(data_dir, name)


def new_work_dir(outputs: OutputPaths) -> Path:
    """Create a fresh folder for one run's intermediate files."""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    work = (
        outputs.processed.parent / f".kerja-{outputs.processed.name}-{stamp}-{uuid.uuid4().hex[:6]}"
    )
    work.mkdir(parents=True, exist_ok=False)
    return work


def _metric_crs(region: Region, desa: gpd.GeoDataFrame) -> object:
    return region.crs if region.crs else metric_crs_for(desa)


def _run_boundaries(region: Region, work: Path) -> Path:
    """Read, repair and reconcile boundaries and population; write ``desa`` and ``kecamatan``."""
    source = region.desa.name
    desa_raw = read_records(region.desa.path, **region.desa.options)
    desa, desa_repairs = reconcile.standardise_desa(
        desa_raw, columns=region.desa.columns, source=source
    )
    metric = _metric_crs(region, desa)
    kecamatan_layer, kecamatan_repairs = None, pd.DataFrame(columns=reconcile.REPAIR_COLUMNS)
    if region.kecamatan is not None and not region.derive_kecamatan:
        raw = read_records(region.kecamatan.path, **region.kecamatan.options)
        kecamatan_layer, kecamatan_repairs = reconcile.standardise_kecamatan(
            raw, columns=region.kecamatan.columns, source=region.kecamatan.name
        )
    kecamatan, agreement = reconcile.reconcile_kecamatan(
        desa,
        kecamatan_layer,
        metric_crs=metric,
        source=region.kecamatan.name if region.kecamatan else source,
    )
    spec = region.penduduk
    table = read_table(spec.path, **spec.options) if spec is not None else None
    desa, name_matches = reconcile.attach_population(
        desa,
        table,
        columns=spec.columns if spec else {},
        level=spec.level if spec else None,
        metric_crs=metric,
        source=spec.name if spec else "",
    )
    surface_spec = region.penduduk_rinci
    if surface_spec is not None:
        surface, surface_report = reconcile.population_surface(
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
    metric = _metric_crs(region, desa)
    frames = []
    for spec in region.aset:
        raw = read_records(spec.path, **spec.options)
        frames.append(
            clean.standardise_assets(
                raw, columns=spec.columns, source=spec.name, default_jenis=spec.jenis
            )
        )
    if frames:
        records = pd.concat(frames, ignore_index=True)
    else:
        records = pd.DataFrame(columns=clean.STANDARD_COLUMNS)
    kinds = load_kind_table(region.jenis)
    placed, rejected = clean.place_assets(records, desa=desa.to_crs(metric), kinds=kinds)
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
    metric = _metric_crs(region, desa)
    surface = _surface(work, metric)
    desa_coverage = coverage.coverage_by_desa(
        desa.to_crs(metric), assets.to_crs(metric), catalogue=catalogue, surface=surface
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


def catalogue_table(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Return the catalogue as the GeoPackage ``layanan`` table (kinds as text)."""
    table = catalogue.copy()
    table["jenis_aset"] = table["jenis_aset"].map(", ".join)
    return table[CATALOGUE_COLUMNS]


# Layers in the QGIS project, top to bottom: (name, geometry kind, QGIS wkb type).
QGIS_LAYERS = [
    ("usulan_lokasi", "Point", "Point"),
    ("aset", "Point", "Point"),
    ("desa", "Polygon", "MultiPolygon"),
    ("kecamatan", "Polygon", "MultiPolygon"),
    ("kesenjangan", "No geometry", "NoGeometry"),
    ("aset_ditolak", "No geometry", "NoGeometry"),
    ("layanan", "No geometry", "NoGeometry"),
]


def qgis_styles(catalogue: pd.DataFrame, services: list[str]) -> list[tuple[str, str, str, bool]]:
    """Return the QML styles to store: one per coverage service for kecamatan and desa, one for points."""
    names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    styles = []
    for layer, name_field in (("kecamatan", "kecamatan"), ("desa", "desa")):
        for index, service in enumerate(services):
            qml = qgis.coverage_style(f"cakupan_{service}", name_field)
            styles.append((layer, f"cakupan {names[service]}", qml, index == 0))
    styles.append(("aset", "aset per layanan", qgis.asset_style(list(names.items())), True))
    styles.append(("usulan_lokasi", "usulan lokasi", qgis.proposal_style(), True))
    return styles


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

    desa_wide = coverage.wide_coverage(desa_coverage, "kode_desa")
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
    asset_layer = assets[[*clean.PLACED_COLUMNS, "geometry"]].drop(columns=["kecamatan_tertulis"])
    layers = {
        "kecamatan": kecamatan_layer,
        "desa": desa_layer,
        "aset": asset_layer,
        "aset_ditolak": rejected[clean.REJECTED_COLUMNS],
        "kesenjangan": gaps,
        "layanan": catalogue_table(catalogue),
        "usulan_lokasi": proposals,
    }
    run_dir, previous = _new_run_dir(outputs.processed / "riwayat")
    previous_gaps = (
        pd.read_csv(previous / "kesenjangan_kecamatan.csv", dtype={"kode_kec": str})
        if previous is not None and (previous / "kesenjangan_kecamatan.csv").exists()
        else None
    )
    changes = report.changes(previous_gaps, gaps, previous_run=previous.name if previous else None)
    styles = qgis_styles(catalogue, services)
    gpkg = publish.write_geopackage(run_dir / "coverage.gpkg", layers, styles=styles)
    publish.write_qgis_project(
        run_dir / "coverage.qgz",
        qgis.project_xml(
            title=f"{region.title}: cakupan layanan",
            gpkg_name=gpkg.name,
            layers=[(name, kind, wkb) for name, kind, wkb in QGIS_LAYERS if name in layers],
            styles={layer: qml for layer, _, qml, default in styles if default},
        ),
    )
    publish.write_csv(run_dir / "kesenjangan_kecamatan.csv", gaps)
    publish.write_gap_workbook(run_dir / "kesenjangan_kecamatan.xlsx", gaps, catalogue)
    publish.write_csv(run_dir / "perubahan.csv", changes)
    data = publish.page_data(
        kecamatan_layer,
        desa_layer,
        assets,
        gaps,
        catalogue,
        proposals=proposals,
        changes=changes,
        title=region.title,
        data_date=dt.date.today().isoformat(),
        metric_crs=_metric_crs(region, desa),
    )
    publish.write_text(run_dir / "index.html", publish.render_page(data, load_web_assets()))
    publish.write_text(
        run_dir / "kualitas_data.html",
        report.quality_html(region.title, _quality_sections(work, region)),
    )
    info = {"judul": region.title, "tanggal": dt.date.today().isoformat(), "proses": run_dir.name}
    publish.write_text(run_dir / "info.json", json.dumps(info, ensure_ascii=False))
    # Everything is written: only now do the published files change, each in one rename.
    written = {}
    for label, name, folder in PUBLISHED:
        target = (outputs.maps if folder == "maps" else outputs.processed) / name
        publish.copy_into_place(run_dir / name, target)
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
    return publish.write_text(maps_root / "index.html", publish.index_page(entries))


# What each cached stage writes into the work folder, and what its result depends on.
STAGE_FILES = {
    "batas": [
        "desa.parquet",
        "kecamatan.parquet",
        "perbaikan_batas.parquet",
        "selisih_batas.parquet",
        "pencocokan_nama.parquet",
        "permukaan_penduduk.parquet",
        "permukaan_laporan.parquet",
    ],
    "aset": ["aset.parquet", "aset_ditolak.parquet", "aset_dibaca.parquet"],
    "cakupan": [
        "cakupan_desa.parquet",
        "kesenjangan.parquet",
        "indeks_desa.parquet",
        "usulan_lokasi.parquet",
    ],
}


def _file_digest(path: str | Path, digest: object) -> None:
    path = Path(path)
    # A shapefile's attributes and CRS live in its sidecars; they are part of its content.
    siblings = (
        sorted(path.parent.glob(path.stem + ".*")) if path.suffix.lower() == ".shp" else [path]
    )
    for member in siblings:
        digest.update(member.name.encode())
        digest.update(member.read_bytes())


def _code_digest(digest: object) -> None:
    package = Path(__file__).parent
    for member in sorted([*package.glob("*.py"), *package.glob("data/*.toml")]):
        digest.update(member.read_bytes())


def stage_keys(region: Region) -> dict[str, str]:
    """Return each cached stage's key: a hash of its input files' contents, settings and code.

    File times play no part: an unchanged file copied anew keeps its key.
    """
    settings = Region.from_json(region.to_json())
    settings.data_dir = ""
    keys, chained = {}, hashlib.sha256()
    _code_digest(chained)
    parts = {
        "batas": [region.desa, region.kecamatan, region.penduduk, region.penduduk_rinci],
        "aset": region.aset,
        "cakupan": [],
    }
    for stage, specs in parts.items():
        for spec in specs:
            if spec is not None:
                _file_digest(spec.path, chained)
                chained.update(
                    json.dumps(
                        [spec.columns, spec.options, spec.level, spec.jenis], sort_keys=True
                    ).encode()
                )
        if stage == "batas":
            chained.update(
                json.dumps([region.derive_kecamatan, region.crs], sort_keys=True).encode()
            )
        elif stage == "aset":
            chained.update(json.dumps(region.jenis, sort_keys=True).encode())
        else:
            chained.update(
                json.dumps([region.layanan, region.usulan_k], sort_keys=True, default=str).encode()
            )
        keys[stage] = chained.copy().hexdigest()[:20]
    return keys


def _cached(stage: str, run: Callable[[Region, Path], Path]) -> Callable[..., Path]:
    def cached_stage(region: Region, work: Path, *, cache_dir: Path | None = None) -> Path:
        if cache_dir is None:
            return run(region, work)
        entry = cache_dir / f"{stage}-{stage_keys(region)[stage]}"
        if (entry / "selesai").exists():
            for name in STAGE_FILES[stage]:
                if (entry / name).exists():
                    shutil.copyfile(entry / name, work / name)
            (work / f"dipakai_ulang_{stage}").touch()
            return work
        run(region, work)
        staging = cache_dir / f".{entry.name}-{uuid.uuid4().hex[:6]}"
        staging.mkdir(parents=True)
        for name in STAGE_FILES[stage]:
            if (work / name).exists():
                shutil.copyfile(work / name, staging / name)
        (staging / "selesai").touch()
        shutil.rmtree(entry, ignore_errors=True)
        os.replace(staging, entry)
        for old in sorted(cache_dir.glob(f"{stage}-*"), key=lambda p: p.stat().st_mtime)[:-3]:
            shutil.rmtree(old, ignore_errors=True)
        return work

    cached_stage.__name__ = run.__name__.lstrip("_")
    cached_stage.__doc__ = (run.__doc__ or "") + (
        "\n\n    With ``cache_dir``, a result cached under the same content key is reused instead."
    )
    return cached_stage


run_boundaries = _cached("batas", _run_boundaries)
run_assets = _cached("aset", _run_assets)
run_coverage = _cached("cakupan", _run_coverage)


def reused_stages(work: Path) -> list[str]:
    """Return the stages whose results this run took from the cache."""
    return sorted(p.name.removeprefix("dipakai_ulang_") for p in work.glob("dipakai_ulang_*"))


def run_all(
    region: Region,
    outputs: OutputPaths,
    *,
    keep_work: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Run every stage in order with no orchestration (the ``local`` runner).

    Returns
    -------
    dict
        ``keluaran`` (paths written) and ``ringkasan`` (:func:`run_summary`).
    """
    work = new_work_dir(outputs)
    try:
        for label, stage in (
            ("batas wilayah dan penduduk", run_boundaries),
            (f"aset ({len(region.aset)} berkas)", run_assets),
            ("cakupan, kesenjangan dan usulan lokasi", run_coverage),
        ):
            if progress:
                progress(f"{region.name}: {label}")
            stage(region, work, cache_dir=outputs.processed / ".cache")
        if progress:
            progress(f"{region.name}: menerbitkan")
        written = run_publish(region, work, outputs)
        return {"keluaran": written, "ringkasan": run_summary(work, region)}
    finally:
        if not keep_work:
            shutil.rmtree(work, ignore_errors=True)


def _quality_sections(work: Path, region: Region) -> list:
    """Return the data-quality sections of a run, built once and kept in its work folder.

    Both the report page and the run summary show them.
    """
    saved = work / "kualitas.pkl"
    if saved.exists():
        return pickle.loads(saved.read_bytes())
    sections = _build_quality_sections(work, region)
    saved.write_bytes(pickle.dumps(sections))
    return sections


def _build_quality_sections(work: Path, region: Region) -> list:
    return report.quality_sections(
        read_counts=pd.read_parquet(work / "aset_dibaca.parquet").set_index("sumber")["dibaca"],
        placed=pd.read_parquet(
            work / "aset.parquet",
            columns=[
                "sumber",
                "baris",
                "nama",
                "perbaikan",
                "catatan",
                "kecamatan",
                "kecamatan_tertulis",
            ],
        ),
        rejected=pd.read_parquet(work / "aset_ditolak.parquet"),
        boundary_repairs=pd.read_parquet(work / "perbaikan_batas.parquet"),
        boundary_agreement=pd.read_parquet(work / "selisih_batas.parquet"),
        name_matches=pd.read_parquet(work / "pencocokan_nama.parquet"),
        ignored=region.ignored,
        surface_report=(
            pd.read_parquet(work / "permukaan_laporan.parquet")
            if (work / "permukaan_laporan.parquet").exists()
            else None
        ),
    )


def run_summary(work: Path, region: Region) -> dict[str, object]:
    """Summarise a finished run: records read, placed and rejected, and the weakest coverage.

    Returns
    -------
    dict
        ``markdown`` (the data-quality report in Bahasa Indonesia, for a
        Prefect artifact), ``teks`` (a short summary for a terminal) and
        ``kesenjangan`` (the gap table as records).
    """
    sections = _quality_sections(work, region)
    per_source = sections[0][2]
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
        report.quality_markdown(region.title, sections)
        + "\n\n## Cakupan terendah\n\n"
        + "\n".join(worst_lines)
    )
    records = gaps.astype(object).where(gaps.notna(), None).to_dict(orient="records")
    return {"markdown": markdown, "teks": text, "kesenjangan": records}


def fetch_boundaries(kode: str, *, source: str | None, out: Path) -> dict[str, object]:
    """Write a region folder with the desa, kecamatan and kabupaten layers of one kabupaten code.

    Parameters
    ----------
    kode
        Kemendagri code ``PP.KK`` (e.g. ``73.09``).
    source
        Local folder of dumps, a base URL, or None for the data set's repository.
    out
        Folder to write ``batas_desa.gpkg``, ``batas_kecamatan.gpkg``,
        ``batas_kabupaten.gpkg`` and ``sumber_batas.toml`` into.
    """
    from jangkau import fetch, wilayah

    texts, described = fetch.read_boundary_dumps(wilayah.dump_paths(kode), source)
    layers = wilayah.region_layers(kode, texts)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in ("desa", "kecamatan", "kabupaten"):
        path = out / f"batas_{name}.gpkg"
        publish.write_geopackage(path, {name: layers[name]})
        written[name] = len(layers[name])
    repairs = pd.concat(layers["perbaikan"], ignore_index=True)
    lines = [
        "# Sumber batas wilayah (ditulis oleh `jangkau boundaries`)",
        f'kode = "{kode}"',
        f"sumber = {json.dumps(described, ensure_ascii=False)}",
        'lisensi = "MIT (wilayah_boundaries)"',
        f'diambil = "{dt.date.today().isoformat()}"',
        "",
        "[tanggal_data]",
        *(
            f'{role} = "{wilayah.dump_date(text) or "tidak tercatat"}"'
            for role, text in texts.items()
        ),
        "",
        "[poligon_diperbaiki]",
        *(
            f"{json.dumps(r.kode)} = {json.dumps(r.perbaikan, ensure_ascii=False)}"
            for r in repairs.itertuples()
        ),
    ]
    # TOML, not JSON: a .json file in a region folder would be read as GeoJSON.
    publish.write_text(out / "sumber_batas.toml", "\n".join(lines) + "\n")
    return {"jumlah": written, "folder": str(out), "sumber": described}


def fetch_osm_assets(
    target: str, *, root: Path, source: str | None, out: Path | None, url: str | None
) -> dict[str, object]:
    """Write ``aset_osm.geojson``: public facilities from OpenStreetMap inside a kabupaten.

    Parameters
    ----------
    target
        A Kemendagri code (``73.09``; its outline comes from the
        wilayah_boundaries dumps) or a region name (``regions/NAME.toml``;
        its outline is the union of its desa).
    root
        Project root holding ``regions/`` and ``data/``.
    source
        Where the boundary dumps are, for a code (see :func:`fetch_boundaries`).
    out
        Folder to write into; by default the region's or code's ``data/raw`` folder.
    url
        Overpass endpoint; the public one by default.
    """
    from jangkau import fetch, osm, wilayah

    if (root / "regions" / f"{target}.toml").exists():
        region = prepare_region(region_file=root / "regions" / f"{target}.toml")
        desa, _ = reconcile.standardise_desa(
            read_records(region.desa.path, **region.desa.options),
            columns=region.desa.columns,
            source=region.desa.name,
        )
        outline = desa.geometry.union_all()
        folder = out or root / "data" / "raw" / region.name
    else:
        texts, _ = fetch.read_boundary_dumps(wilayah.dump_paths(target), source)
        outline = wilayah.region_layers(target, texts)["kabupaten"].geometry.union_all()
        folder = out or root / "data" / "raw" / target
    answer = fetch.overpass(
        osm.overpass_query(outline),
        cache_dir=root / "data" / "cache" / "osm",
        url=url or fetch.OVERPASS_URL,
    )
    assets, outside = osm.assets_from_overpass(answer, outline=outline, kinds=load_kind_table())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "aset_osm.geojson"
    with publish.replacing(path) as temporary:
        assets.to_file(temporary, driver="GeoJSON")
    return {"jumlah": len(assets), "di_luar": outside, "berkas": str(path)}
