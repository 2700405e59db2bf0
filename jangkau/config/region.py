"""Region files: which input files a region has and how to read them.

A region is described by ``regions/<name>.toml``; every section is optional
and overrides what is otherwise recognised from the files themselves::

    name = "maros"
    judul = "Kabupaten Maros"
    data_dir = "../shared/data/maros"   # relative to the project root

    [desa]            # boundary of desa/kelurahan
    file = "batas_desa.shp"
    columns = { kode_desa = "KDEPUM", desa = "WADMKD" }

    [kecamatan]       # boundary of kecamatan; derive = true builds it from desa
    file = "batas_kecamatan.geojson"

    [penduduk]        # population per desa or per kecamatan
    file = "penduduk_desa_model.csv"

    [penduduk_rinci]  # optional finer surface: points (or a lintang/bujur table) with counts
    file = "penduduk_grid.gpkg"
    columns = { jumlah = "jumlah" }

    [[aset]]          # asset lists; all other files in data_dir when absent
    file = "sekolah.csv"
    columns = { lintang = "lintang", bujur = "bujur" }

    [layanan.sd]      # a local norm replacing the national figure
    radius_desa_m = 2500

    [masukan]         # inputs
    terima_penurunan = true           # a file with far fewer records than last run is expected

    [usulan]          # proposed sites
    maks_per_kecamatan = 3            # most per planning unit and service
    anggaran = { puskesmas = 2 }      # most per kabupaten for a service
    kandidat = "lahan_pemda.geojson"  # points where sites may go (column layanan optional)

This module reads region files and lists folders; it never reads records.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyogrio

from jangkau.config.detect import (
    asset_columns,
    boundary_columns,
    boundary_level,
    looks_like_assets,
    population_columns,
)
from jangkau.errors import InputError
from jangkau.io.integrity import check_file
from jangkau.io.read import is_supported, is_vector, list_columns, read_records

READ_OPTIONS = ("sep", "encoding", "sheet", "header_row", "layer", "crs")


@dataclass
class FileSpec:
    """One input file, the role of each column that matters, and how to read it."""

    path: str
    columns: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    level: str | None = None
    jenis: str | None = None

    @property
    def name(self) -> str:
        """Return the file name, which outputs use as ``sumber``."""
        return Path(self.path).name


@dataclass
class Region:
    """Everything a run needs to know about one region's inputs."""

    name: str
    title: str
    data_dir: str
    desa: FileSpec
    kecamatan: FileSpec | None = None
    derive_kecamatan: bool = False
    penduduk: FileSpec | None = None
    penduduk_rinci: FileSpec | None = None
    aset: list[FileSpec] = field(default_factory=list)
    layanan: dict[str, dict[str, Any]] = field(default_factory=dict)
    jenis: dict[str, dict[str, str]] = field(default_factory=dict)
    crs: str | None = None
    usulan_k: int = 3
    usulan_anggaran: dict[str, int] = field(default_factory=dict)
    usulan_kandidat: FileSpec | None = None
    riwayat_n: int = 10
    terima_penurunan: bool = False
    ignored: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise for handing between flow tasks as a small value."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Region:
        """Rebuild a region from :meth:`to_json` output."""
        data = json.loads(text)

        def spec(value: dict | None) -> FileSpec | None:
            return FileSpec(**value) if value else None

        data["desa"] = spec(data["desa"])
        data["kecamatan"] = spec(data["kecamatan"])
        data["penduduk"] = spec(data["penduduk"])
        data["penduduk_rinci"] = spec(data.get("penduduk_rinci"))
        data["aset"] = [FileSpec(**item) for item in data["aset"]]
        data["usulan_kandidat"] = spec(data.get("usulan_kandidat"))
        return cls(**data)


def load_region_file(path: str | Path) -> dict[str, Any]:
    """Read a region TOML file; relative ``data_dir`` is taken from the project root.

    The project root is the parent of the folder holding the region file
    (``regions/``).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "berkas wilayah tidak ditemukan")
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"bukan TOML yang sah: {error}") from error
    root = path.resolve().parent.parent
    settings.setdefault("name", path.stem)
    data_dir = Path(settings.get("data_dir", f"data/raw/{settings['name']}"))
    settings["data_dir"] = str(data_dir if data_dir.is_absolute() else (root / data_dir))
    return settings


def _spec(data_dir: Path, section: dict[str, Any]) -> FileSpec:
    path = data_dir / section["file"]
    if not path.exists():
        raise InputError(path, "berkas yang disebut di berkas wilayah tidak ditemukan")
    return FileSpec(
        path=str(path),
        columns=dict(section.get("columns", {})),
        options={k: section[k] for k in READ_OPTIONS if k in section},
        level=section.get("level"),
        jenis=section.get("jenis"),
    )


def _geometry_kind(path: Path, options: dict[str, Any]) -> str:
    try:
        info = pyogrio.read_info(path, layer=options.get("layer"))
    except Exception as error:  # noqa: BLE001 - any driver failure is the file's problem
        raise InputError(path, f"tidak dapat dibaca sebagai data spasial ({error})") from error
    geometry = (info.get("geometry_type") or "").lower()
    if "polygon" in geometry:
        return "polygon"
    if "point" in geometry:
        return "point"
    if geometry in ("unknown", "geometry", "geometrycollection", ""):
        # GeoJSON with mixed single/multi parts declares no single type.
        types = (
            read_records(path, **options, allow_missing_crs=True)
            .geometry.dropna()
            .geom_type.str.lower()
        )
        if types.str.contains("polygon").any():
            return "polygon"
        if types.str.contains("point").any():
            return "point"
    return geometry or "none"


def resolve_region(settings: dict[str, Any]) -> Region:
    """Decide the role of every file in the region's folder.

    Files named in the settings keep the role given there; the others are
    recognised by geometry and column names: polygons with desa codes are the
    desa layer, polygons with kecamatan codes the kecamatan layer, tables with
    a population column the population, and points or tables with coordinate
    columns asset lists. Unrecognised files are listed in ``ignored`` with the
    reason, never silently skipped.

    Raises
    ------
    InputError
        When the folder is missing or no desa boundary can be found.
    """
    data_dir = Path(settings["data_dir"])
    name = settings["name"]
    if not data_dir.is_dir():
        raise InputError(data_dir, "folder data wilayah tidak ditemukan")
    named: dict[str, FileSpec] = {}
    for role in ("desa", "kecamatan", "penduduk", "penduduk_rinci"):
        if role in settings and "file" in settings[role]:
            named[role] = _spec(data_dir, settings[role])
    assets = [_spec(data_dir, item) for item in settings.get("aset", [])]
    explicit_paths = {Path(s.path).resolve() for s in [*named.values(), *assets]}
    if "kandidat" in settings.get("usulan", {}):
        # Land offered for new facilities: read by the proposals, never as an asset list.
        explicit_paths.add((data_dir / settings["usulan"]["kandidat"]).resolve())

    population_candidates: list[FileSpec] = []
    ignored: dict[str, str] = {}
    for path in sorted(p for p in data_dir.iterdir() if p.is_file() and is_supported(p)):
        if path.resolve() in explicit_paths:
            continue
        # An unrecognised file stops the run: silently leaving out a whole
        # asset list would show planners gaps that are not there.
        check_file(path)  # a damaged file is named as such, not as unrecognised
        role, spec = _recognise(path)
        if role in ("desa", "kecamatan") and role in named:
            ignored[path.name] = f"lapisan {role} lain; yang dipakai: {named[role].name}"
        elif role in ("desa", "kecamatan"):
            named[role] = spec
        elif role == "kabupaten":
            ignored[path.name] = "batas kabupaten: tidak diperlukan untuk perhitungan"
        elif role == "penduduk":
            population_candidates.append(spec)
        elif role == "penduduk_rinci" and role in named:
            ignored[path.name] = f"permukaan penduduk lain; yang dipakai: {named[role].name}"
        elif role == "penduduk_rinci":
            named[role] = spec
        elif "aset" in settings:
            ignored[path.name] = "daftar aset yang tidak disebut di berkas wilayah"
        else:
            assets.append(spec)

    if "desa" not in named:
        raise InputError(
            data_dir, "tidak ada berkas batas desa/kelurahan (poligon dengan kode desa)"
        )
    # Desa figures are finer than kecamatan totals; prefer them.
    population_candidates.sort(key=lambda s: s.level != "desa")
    if "penduduk" not in named and population_candidates:
        named["penduduk"] = population_candidates.pop(0)
    for extra in population_candidates:
        ignored[extra.name] = "tabel penduduk lain; yang dipakai: " + named["penduduk"].name
    for role, spec in named.items():
        _complete_columns(spec, role)
    for spec in assets:
        _complete_columns(spec, "aset")
    kecamatan_settings = settings.get("kecamatan", {})
    proposals = settings.get("usulan", {})
    return Region(
        name=name,
        title=settings.get("judul", f"Wilayah {name}"),
        data_dir=str(data_dir),
        desa=named["desa"],
        kecamatan=named.get("kecamatan"),
        derive_kecamatan=bool(kecamatan_settings.get("derive", False)) or "kecamatan" not in named,
        penduduk=named.get("penduduk"),
        penduduk_rinci=named.get("penduduk_rinci"),
        aset=assets,
        layanan=dict(settings.get("layanan", {})),
        jenis=dict(settings.get("jenis", {})),
        crs=settings.get("crs"),
        usulan_k=int(proposals.get("maks_per_kecamatan", proposals.get("k", 3))),
        usulan_anggaran={str(k).lower(): int(v) for k, v in proposals.get("anggaran", {}).items()},
        usulan_kandidat=(
            FileSpec(path=str(data_dir / proposals["kandidat"]))
            if "kandidat" in proposals
            else None
        ),
        riwayat_n=int(settings.get("riwayat", {}).get("simpan", 10)),
        terima_penurunan=_accept_drop(settings),
        ignored=ignored,
    )


def _accept_drop(settings: dict[str, Any]) -> bool:
    """Read ``[masukan] terima_penurunan``: a record-count drop is expected (see pipeline.counts)."""
    value = settings.get("masukan", {}).get("terima_penurunan", False)
    if not isinstance(value, bool):
        raise InputError(
            f"{settings['name']}.toml", "[masukan] terima_penurunan harus true atau false"
        )
    return value


def _complete_columns(spec: FileSpec, role: str) -> None:
    """Fill in the column roles (and level) a region file did not state; stated ones win."""
    path = Path(spec.path)
    if role in ("desa", "kecamatan"):
        spec.level = role
        # Only attributes matter here; a missing CRS is inferred when the stage reads the file.
        frame = read_records(path, **spec.options, allow_missing_crs=True)
        guessed = boundary_columns(frame, role)
    elif role == "penduduk":
        guessed = population_columns(list_columns(path))
        level = guessed.pop("level", None)
        spec.level = spec.level or level
    elif role == "penduduk_rinci":
        columns = list_columns(path)
        guessed = {k: v for k, v in asset_columns(columns).items() if k in ("lintang", "bujur")}
        value = population_columns(columns).get("value")
        if value:
            guessed["jumlah"] = value
    else:
        guessed = asset_columns(list_columns(path))
    spec.columns = {**guessed, **spec.columns}


def _recognise(path: Path) -> tuple[str, FileSpec]:
    if is_vector(path):
        geometry = _geometry_kind(path, {})
        if geometry == "polygon":
            frame = read_records(path, allow_missing_crs=True)
            level = boundary_level(frame)
            if level in ("desa", "kecamatan"):
                spec = FileSpec(path=str(path), level=level)
                spec.columns = boundary_columns(frame, level)
                return level, spec
            if level == "kabupaten":
                return "kabupaten", FileSpec(path=str(path), level=level)
            raise InputError(path, "poligon tanpa kode atau nama desa/kecamatan yang dikenali")
        columns = list_columns(path)
        if (
            geometry == "point"
            and population_columns(columns)
            and not looks_like_assets(columns, has_points=True)
        ):
            return "penduduk_rinci", FileSpec(path=str(path), level="titik")
        if looks_like_assets(columns, has_points=geometry == "point"):
            return "aset", FileSpec(path=str(path), columns=asset_columns(columns))
        raise InputError(path, f"geometri '{geometry}' tanpa kolom nama atau jenis aset")
    columns = list_columns(path)
    population = population_columns(columns)
    asset_roles = asset_columns(columns)
    if population and not looks_like_assets(columns, has_points=False):
        level = population.pop("level")
        return "penduduk", FileSpec(path=str(path), columns=population, level=level)
    if looks_like_assets(columns, has_points=False):
        return "aset", FileSpec(path=str(path), columns=asset_roles)
    if "nama" in asset_roles or "jenis" in asset_roles:
        raise InputError(path, "kolom koordinat tidak ditemukan (lintang/bujur atau Koordinat)")
    raise InputError(
        path,
        "tidak dikenali sebagai batas wilayah, penduduk, atau daftar aset; sebutkan perannya di berkas wilayah",
    )


def region_from_folder(data_dir: str | Path, name: str) -> Region:
    """Resolve a folder of files that has no region file."""
    return resolve_region({"name": name, "data_dir": str(Path(data_dir).resolve())})
