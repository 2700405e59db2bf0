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

from jangkau.config.catalogue import KindTable, load_kind_table
from jangkau.config.columns_by_content import (
    guess_asset_columns,
    has_location,
    kind_values,
    region_bounds,
)
from jangkau.config.detect import (
    asset_columns,
    boundary_columns,
    boundary_level,
    looks_like_assets,
    population_columns,
)
from jangkau.errors import InputError
from jangkau.io.read import (
    is_supported,
    is_vector,
    json_table_key,
    list_columns,
    read_records,
)

READ_OPTIONS = ("sep", "encoding", "sheet", "header_row", "layer", "crs")
ROSTER_REASON = "daftar fasilitas tanpa koordinat (dihitung pada tahap berikut)"
# One row per column role that was guessed: berkas, peran, kolom, alasan.
Guesses = list[dict[str, str]]


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
    ignored: dict[str, str] = field(default_factory=dict)
    daftar: list[FileSpec] = field(default_factory=list)
    tebakan_kolom: Guesses = field(default_factory=list)

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
        data["daftar"] = [FileSpec(**item) for item in data.get("daftar", [])]
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
    stated_columns = {s.path: dict(s.columns) for s in [*named.values(), *assets]}
    if "kandidat" in settings.get("usulan", {}):
        # Land offered for new facilities: read by the proposals, never as an asset list.
        explicit_paths.add((data_dir / settings["usulan"]["kandidat"]).resolve())

    kinds = load_kind_table(settings.get("jenis"))
    files = sorted(p for p in data_dir.iterdir() if p.is_file() and is_supported(p))
    files = [p for p in files if p.resolve() not in explicit_paths]
    # Vector files first: the desa layer's outline tells which numeric columns
    # of a table are coordinates inside the region.
    reasons: dict[Path, str] = {}
    recognised = {
        p: _recognise(p, kinds=kinds, bounds=None, reasons=reasons) for p in files if is_vector(p)
    }
    outline = named.get("desa") or next(
        (spec for role, spec, _ in recognised.values() if role == "desa"), None
    )
    bounds = _outline_bounds(outline)
    for path in files:
        if path not in recognised:
            recognised[path] = _recognise(path, kinds=kinds, bounds=bounds, reasons=reasons)

    population_candidates: list[FileSpec] = []
    rosters: list[FileSpec] = []
    ignored: dict[str, str] = {}
    guesses: Guesses = []
    for path in files:
        # An unrecognised file has stopped the run in _recognise: silently leaving
        # out a whole asset list would show planners gaps that are not there.
        role, spec, file_guesses = recognised[path]
        guesses += file_guesses
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
        elif role == "daftar":
            rosters.append(spec)
            ignored[path.name] = ROSTER_REASON
        elif role == "tanpa_jenis":
            ignored[path.name] = reasons[path]
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
        guesses += _complete_columns(spec, role, kinds=kinds, bounds=bounds)
    for spec in assets:
        guesses += _complete_columns(spec, "aset", kinds=kinds, bounds=bounds)
    # Every role not stated in the region file and not read from the values
    # was taken from the column's name: a guess too, listed with the others.
    by_content = {(row["berkas"], row["peran"]) for row in guesses}
    for spec in [*named.values(), *assets]:
        stated = stated_columns.get(spec.path, {})
        guesses += _guess_rows(
            spec.name,
            {
                role: column
                for role, column in spec.columns.items()
                if stated.get(role) != column and (spec.name, role) not in by_content
            },
            "nama kolom",
        )
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
        ignored=ignored,
        daftar=rosters,
        tebakan_kolom=_unique_guesses(guesses),
    )


def _outline_bounds(spec: FileSpec | None) -> tuple[float, float, float, float] | None:
    """Return the desa layer's extent in degrees (None without a layer or a declared CRS)."""
    if spec is None:
        return None
    return region_bounds(read_records(spec.path, **spec.options, allow_missing_crs=True))


def _guess_rows(name: str, roles: dict[str, str], reason: str) -> Guesses:
    return [
        {"berkas": name, "peran": role, "kolom": str(column), "alasan": reason}
        for role, column in roles.items()
    ]


def _unique_guesses(guesses: Guesses) -> Guesses:
    # A file recognised by content is completed once more; keep the first reason.
    seen: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in guesses:
        seen.setdefault((row["berkas"], row["peran"], row["kolom"]), row)
    return list(seen.values())


def _complete_columns(
    spec: FileSpec, role: str, *, kinds: KindTable, bounds: tuple | None
) -> Guesses:
    """Fill in the column roles (and level) a region file did not state; stated ones win.

    Returns the guesses made from the values, one row per role, for the quality report.
    """
    path = Path(spec.path)
    content: Guesses = []
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
        known = {**guessed, **spec.columns}
        vector = is_vector(path)
        if (
            not has_location(known, has_geometry=vector)
            or "nama" not in known
            or ("jenis" not in known and spec.jenis is None)
        ):
            frame = read_records(path, **spec.options, allow_missing_crs=True)
            completed, found = guess_asset_columns(
                frame,
                named=known,
                kinds=kinds,
                bounds=bounds,
                has_geometry=vector,
                need_kind=spec.jenis is None,
                source=spec.name,
            )
            guessed.update({k: v for k, v in completed.items() if k not in spec.columns})
            content = [
                {"berkas": spec.name, "peran": g.role, "kolom": g.column, "alasan": g.reason}
                for g in found
            ]
    spec.columns = {**guessed, **spec.columns}
    return content


def _recognise(
    path: Path, *, kinds: KindTable, bounds: tuple | None, reasons: dict[Path, str]
) -> tuple[str, FileSpec, Guesses]:
    """Return a file's role, its spec and the guesses that decided it.

    A file found not to be usable gets its reason in ``reasons``.
    """
    if is_vector(path):
        geometry = _geometry_kind(path, {})
        if geometry == "polygon":
            frame = read_records(path, allow_missing_crs=True)
            level = boundary_level(frame)
            if level in ("desa", "kecamatan"):
                spec = FileSpec(path=str(path), level=level)
                spec.columns = boundary_columns(frame, level)
                return level, spec, []
            if level == "kabupaten":
                return "kabupaten", FileSpec(path=str(path), level=level), []
            raise InputError(path, "poligon tanpa kode atau nama desa/kecamatan yang dikenali")
        columns = list_columns(path)
        if (
            geometry == "point"
            and population_columns(columns)
            and not looks_like_assets(columns, has_points=True)
        ):
            return "penduduk_rinci", FileSpec(path=str(path), level="titik"), []
        if looks_like_assets(columns, has_points=geometry == "point"):
            return _asset_or_unknown_kind(path, asset_columns(columns), kinds, bounds, reasons)
        if geometry == "point":
            role, spec, guesses = _by_content(
                path, columns, kinds, bounds, reasons, has_geometry=True
            )
            if role is not None:
                return role, spec, guesses
        raise InputError(path, f"geometri '{geometry}' tanpa kolom nama atau jenis aset")
    columns = list_columns(path)
    population = population_columns(columns)
    asset_roles = asset_columns(columns)
    guesses: Guesses = []
    if path.suffix.lower() == ".json":
        # Not vector, so a table of records rather than GeoJSON.
        key = json_table_key(path)
        guesses.append(
            {
                "berkas": path.name,
                "peran": "bentuk berkas",
                "kolom": key or "",
                "alasan": "JSON berisi daftar rekaman: dibaca sebagai tabel"
                + (f" (daftar di bawah kunci '{key}')" if key else ""),
            }
        )
    if population and not looks_like_assets(columns, has_points=False):
        level = population.pop("level")
        return "penduduk", FileSpec(path=str(path), columns=population, level=level), guesses
    if looks_like_assets(columns, has_points=False):
        role, spec, found = _asset_or_unknown_kind(path, asset_roles, kinds, bounds, reasons)
        return role, spec, guesses + found
    role, spec, found = _by_content(path, columns, kinds, bounds, reasons, has_geometry=False)
    if role is not None:
        return role, spec, guesses + found
    if "nama" in asset_roles or "jenis" in asset_roles:
        raise InputError(path, "kolom koordinat tidak ditemukan (lintang/bujur atau Koordinat)")
    raise InputError(
        path,
        "tidak dikenali sebagai batas wilayah, penduduk, atau daftar aset; sebutkan perannya di berkas wilayah",
    )


def _asset_or_unknown_kind(
    path: Path,
    roles: dict[str, str],
    kinds: KindTable,
    bounds: tuple | None,
    reasons: dict[Path, str],
) -> tuple[str, FileSpec, Guesses]:
    """Return an asset list, or a file to list as unused when no column holds a known kind."""
    spec = FileSpec(path=str(path), columns=roles)
    if "jenis" in roles:
        return "aset", spec, []
    guesses = _complete_columns(spec, "aset", kinds=kinds, bounds=bounds)
    if "jenis" in spec.columns:
        return "aset", spec, guesses
    frame = read_records(path, allow_missing_crs=True)
    # Show the values of the column most like a kind: words, repeated over rows.
    others = [
        c
        for c in frame.columns
        if c not in ("baris", "geometry", *spec.columns.values())
        and frame[c].astype("string").str.contains(r"[A-Za-z]+ [A-Za-z]+", regex=True).any()
    ]
    repeated = min(others, key=lambda c: frame[c].nunique(), default=None)
    example = f" (mis. {repeated}: {kind_values(frame, repeated)})" if repeated else ""
    reasons[path] = (
        f"jenis aset tidak dikenal: tidak ada kolom yang nilainya ada di tabel jenis aset{example}; "
        "tambahkan aliasnya di [jenis] berkas wilayah untuk memakainya"
    )
    return "tanpa_jenis", spec, guesses


def _by_content(
    path: Path,
    columns: list[str],
    kinds: KindTable,
    bounds: tuple | None,
    reasons: dict[Path, str],
    *,
    has_geometry: bool,
) -> tuple[str | None, FileSpec, Guesses]:
    """Recognise an asset list or a roster from its values; role None when neither fits."""
    frame = read_records(path, allow_missing_crs=True)
    found, content = guess_asset_columns(
        frame,
        named=asset_columns(columns),
        kinds=kinds,
        bounds=bounds,
        has_geometry=has_geometry,
        source=path.name,
    )
    spec = FileSpec(path=str(path), columns=found)
    rows = [
        {"berkas": path.name, "peran": g.role, "kolom": g.column, "alasan": g.reason}
        for g in content
    ]
    located = has_location(found, has_geometry=has_geometry)
    if located and "jenis" in found:
        return "aset", spec, rows
    if located and "nama" in found:
        return _asset_or_unknown_kind(path, found, kinds, bounds, reasons)
    if not located and "jenis" in found and "nama" in found:
        # Names and codes of facilities without a place: an official roster.
        return "daftar", spec, rows
    return None, spec, rows


def region_from_folder(data_dir: str | Path, name: str) -> Region:
    """Resolve a folder of files that has no region file."""
    return resolve_region({"name": name, "data_dir": str(Path(data_dir).resolve())})
