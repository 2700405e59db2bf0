"""The stage cache: results kept under a hash of their inputs' contents, settings and code."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

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
    ],
    "aset": ["aset.parquet", "aset_ditolak.parquet", "aset_dibaca.parquet"],
    "cakupan": [
        "cakupan_desa.parquet",
        "kesenjangan.parquet",
        "indeks_desa.parquet",
        "usulan_lokasi.parquet",
        # Travel time (only for a region with a road file; see pipeline/travel_step.py).
        "cakupan_waktu_desa.parquet",
        "jalan.parquet",
        "kecepatan_jalan.parquet",
        "jaringan_laporan.parquet",
        "jaringan_sambungan.parquet",
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
    package = Path(__file__).parents[1]
    members = [*package.rglob("*.py"), *package.rglob("*.toml")]
    for member in sorted(members, key=lambda p: p.relative_to(package).as_posix()):
        digest.update(member.relative_to(package).as_posix().encode())
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
        "cakupan": [region.jalan],
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
                    [region.layanan, region.usulan_k, region.jalan_setelan],
                    sort_keys=True,
                    default=str,
                ).encode()
            )
        keys[stage] = chained.copy().hexdigest()[:20]
    return keys


def cached_stage(stage: str, run: Callable[[Region, Path], Path]) -> Callable[..., Path]:
    """Return ``run`` wrapped so that its results are reused under the same content key."""

    def wrapped(region: Region, work: Path, *, cache_dir: Path | None = None) -> Path:
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

    wrapped.__name__ = run.__name__.lstrip("_")
    wrapped.__doc__ = (run.__doc__ or "") + (
        "\n\n    With ``cache_dir``, a result cached under the same content key is reused instead."
    )
    return wrapped


def reused_stages(work: Path) -> list[str]:
    """Return the stages whose results this run took from the cache."""
    return sorted(p.name.removeprefix("dipakai_ulang_") for p in work.glob("dipakai_ulang_*"))
