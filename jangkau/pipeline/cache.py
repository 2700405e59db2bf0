"""The stage cache: results kept under a hash of their inputs, settings, code and libraries.

An entry is the folder ``CACHE/STAGE-KEY``: the stage's files and a marker
``selesai`` listing them. Runs of one region may share a cache at the same
time (two flows, a flow and the command line), so entries follow three rules:

- **Written whole, published once.** A run writes a new entry into its own
  staging folder and publishes it with one ``os.rename`` of that folder, so
  readers see all of an entry or none of it. If the entry already exists,
  another run got there first; same key means same content, so the staging
  folder is discarded and the existing entry is never touched.
- **Read only when complete.** A reader copies exactly the files the marker
  lists. An entry that vanishes meanwhile (pruned) is a miss: the stage is
  computed instead.
- **Pruned only when idle.** A reader refreshes the marker's time before it
  copies. Entries beyond the newest ``KEEP_PER_STAGE`` of a stage are removed
  only when unused for ``PRUNE_AFTER_S`` seconds, far longer than copying an
  entry takes, so an entry being read is not removed (and if a reader stalls
  that long, it sees a miss, never half an entry: removal first renames the
  entry away in one step).
"""

from __future__ import annotations

import errno
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import geopandas
import numpy
import pandas
import pyarrow
import pyogrio
import pyproj
import pyproj.database
import shapely

from jangkau.config.region import Region

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
        "inferensi_crs_batas.parquet",
    ],
    "aset": [
        "aset.parquet",
        "aset_ditolak.parquet",
        "aset_dibaca.parquet",
        "inferensi_crs.parquet",
        "aset_garis.parquet",
        "aset_area.parquet",
        "sistem_informasi.parquet",
        "tanpa_koordinat.parquet",
        "daftar_pencocokan.parquet",
    ],
    "cakupan": [
        "cakupan_desa.parquet",
        "kesenjangan.parquet",
        "indeks_desa.parquet",
        "usulan_lokasi.parquet",
        "usulan_laporan.parquet",
        "kesenjangan_desa.parquet",
        "kesenjangan_kabupaten.parquet",
        "urgensi.parquet",
        "kepekaan_bobot.parquet",
        "cakupan_rusak_berat_desa.parquet",
        "jaringan_desa.parquet",
        "sinyal_desa.parquet",
        # Travel time (only for a region with a road file; see pipeline/travel_step.py).
        "cakupan_waktu_desa.parquet",
        "jalan.parquet",
        "kecepatan_jalan.parquet",
        "jaringan_laporan.parquet",
        "jaringan_sambungan.parquet",
        # What the live status service recomputes travel time from (pipeline/live_base.py).
        "waktu_dasar_ruas.parquet",
        "waktu_dasar_simpul.parquet",
        "waktu_dasar_titik.parquet",
        "waktu_dasar_fasilitas.parquet",
        "waktu_dasar_daratan.parquet",
    ],
}
MARKER = "selesai"
KEEP_PER_STAGE = 3
PRUNE_AFTER_S = 600.0
# Folders a removal moves an entry to before deleting it: invisible to readers at once.
_DISCARDED = ".hapus-"


def library_versions() -> dict[str, str]:
    """Return the versions of Python and of the libraries whose answers the stages keep.

    Geometry (GEOS), projections (PROJ and its EPSG database), file reading
    (GDAL, calamine) and arithmetic (numpy, pandas) can change a number from
    one release to the next, so each is part of every stage key.
    """
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "geopandas": geopandas.__version__,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "pyproj": pyproj.__version__,
        "proj": pyproj.proj_version_str,
        "epsg": str(pyproj.database.get_database_metadata("EPSG.VERSION")),
        "pyogrio": pyogrio.__version__,
        "gdal": pyogrio.__gdal_version_string__,
        "python-calamine": importlib.metadata.version("python-calamine"),
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
    package = Path(__file__).parents[1]
    members = [*package.rglob("*.py"), *package.rglob("*.toml")]
    for member in sorted(members, key=lambda p: p.relative_to(package).as_posix()):
        digest.update(member.relative_to(package).as_posix().encode())
        digest.update(member.read_bytes())


def stage_keys(region: Region) -> dict[str, str]:
    """Return each cached stage's key.

    A key hashes the stage's input files' contents, the settings it reads, the
    package's code, :func:`library_versions`, and everything the stages before
    it depend on. File times play no part: an unchanged file copied anew keeps
    its key.
    """
    keys, chained = {}, hashlib.sha256()
    _code_digest(chained)
    chained.update(json.dumps(library_versions(), sort_keys=True).encode())
    parts = {
        "batas": [region.desa, region.kecamatan, region.penduduk, region.penduduk_rinci],
        "aset": [*region.aset, *region.daftar, *region.sistem_informasi],
        "cakupan": [region.usulan_kandidat, region.jalan],
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
                json.dumps(
                    [
                        region.layanan,
                        region.usulan_k,
                        region.usulan_anggaran,
                        region.jalan_setelan,
                        sorted(region.aset_tidak_melayani),
                        region.jaringan,
                    ],
                    sort_keys=True,
                    default=str,
                ).encode()
            )
        keys[stage] = chained.copy().hexdigest()[:20]
    return keys


def _take(entry: Path, stage: str, work: Path) -> bool:
    """Copy a complete entry's files into ``work``; False when it is absent, partial or vanishes."""
    marker = entry / MARKER
    copied: list[str] = []
    try:
        names = json.loads(marker.read_text(encoding="utf-8"))
        if not isinstance(names, list) or not set(names) <= set(STAGE_FILES[stage]):
            return False
        os.utime(marker)  # last use: keeps pruning away while we copy
        for name in names:
            shutil.copyfile(entry / name, work / name)
            copied.append(name)
    except (OSError, ValueError):
        # Not there, written by an older layout, or pruned under us: compute instead.
        for name in copied:
            (work / name).unlink(missing_ok=True)
        return False
    return True


def _complete(entry: Path, stage: str) -> bool:
    try:
        names = json.loads((entry / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(names, list)
        and set(names) <= set(STAGE_FILES[stage])
        and all((entry / name).is_file() for name in names)
    )


def _discard(path: Path) -> None:
    """Remove a cache folder: first renamed away in one step, so no reader sees it half gone."""
    gone = path.parent / f"{_DISCARDED}{uuid.uuid4().hex}"
    try:
        os.rename(path, gone)
    except FileNotFoundError:
        return  # another run removed it first
    shutil.rmtree(gone, ignore_errors=True)


def _rename_unless_taken(source: Path, target: Path) -> bool:
    try:
        os.rename(source, target)
    except OSError as error:
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
            return False
        raise
    return True


def _store(entry: Path, stage: str, work: Path) -> None:
    """Publish ``work``'s files of ``stage`` as ``entry``, unless another run already did."""
    staging = entry.parent / f".{entry.name}-{uuid.uuid4().hex}"
    staging.mkdir(parents=True)
    try:
        names = [name for name in STAGE_FILES[stage] if (work / name).exists()]
        for name in names:
            shutil.copyfile(work / name, staging / name)
        (staging / MARKER).write_text(json.dumps(names), encoding="utf-8")
        # Taken: same key, same content, and someone may be reading it. Leave it alone,
        # unless it is damaged (a file deleted by hand), which would make every run miss.
        if not _rename_unless_taken(staging, entry) and not _complete(entry, stage):
            _discard(entry)
            _rename_unless_taken(staging, entry)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # already gone once published


def _last_use(path: Path) -> float | None:
    for member in (path / MARKER, path):
        try:
            return member.stat().st_mtime
        except FileNotFoundError:
            continue
    return None


def prune(cache_dir: Path, stage: str, *, now: float | None = None) -> list[Path]:
    """Remove a stage's idle entries beyond the newest few, and leftovers of killed runs.

    Returns
    -------
    list of Path
        The entries and folders removed.
    """
    now = time.time() if now is None else now
    entries = []
    for path in cache_dir.glob(f"{stage}-*"):
        used = _last_use(path)
        if used is not None:
            entries.append((used, path.name, path))
    entries.sort(reverse=True)
    idle = [path for used, _, path in entries[KEEP_PER_STAGE:] if now - used > PRUNE_AFTER_S]
    # Staging folders of runs killed mid-write; a live writer's is younger than the limit.
    idle += [
        path
        for path in cache_dir.glob(f".{stage}-*")
        if now - (_last_use(path) or now) > PRUNE_AFTER_S
    ]
    for path in idle:
        _discard(path)
    # Removals interrupted by a kill: nobody reads these.
    for path in cache_dir.glob(f"{_DISCARDED}*"):
        shutil.rmtree(path, ignore_errors=True)
    return idle


def cached_stage(stage: str, run: Callable[[Region, Path], Path]) -> Callable[..., Path]:
    """Return ``run`` wrapped so that its results are reused under the same content key."""

    def wrapped(region: Region, work: Path, *, cache_dir: Path | None = None) -> Path:
        if cache_dir is None:
            return run(region, work)
        entry = cache_dir / f"{stage}-{stage_keys(region)[stage]}"
        if _take(entry, stage, work):
            (work / f"dipakai_ulang_{stage}").touch()
            return work
        run(region, work)
        _store(entry, stage, work)
        prune(cache_dir, stage)
        return work

    wrapped.__name__ = run.__name__.lstrip("_")
    wrapped.__doc__ = (run.__doc__ or "") + (
        "\n\n    With ``cache_dir``, a result cached under the same content key is reused instead."
    )
    return wrapped


def reused_stages(work: Path) -> list[str]:
    """Return the stages whose results this run took from the cache."""
    return sorted(p.name.removeprefix("dipakai_ulang_") for p in work.glob("dipakai_ulang_*"))
