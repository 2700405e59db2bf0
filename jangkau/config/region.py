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

    [jalan]           # optional road lines: travel time is measured on them
    file = "jalan_rbi50k.geojson"
    columns = { kelas = "REMARK" }     # optional: arah (one-way), kondisi
    jarak_titik_m = 100                # spacing of the population grid points
    kecepatan = { "Jalan Lokal" = 15 } # km/h replacing kecepatan_jalan.toml
    [[jalan.feri]]                     # a ferry route: landings [bujur, lintang], minutes
    nama = "Kayu Bangkoa - Barrang Lompo"
    dari = [119.41, -5.13]
    ke = [119.33, -5.05]
    menit = 45
    tunggu_menit = 30
    sumber = "jadwal dinas perhubungan"

    batas = { kode = "73.71", sumber = "../shared/data/wilayah_boundaries" }
                      # desa/kecamatan built by `jangkau boundaries` when missing

    [[aset]]          # asset lists; all other files in data_dir when absent
    file = "sekolah.csv"
    columns = { lintang = "lintang", bujur = "bujur" }

    [[daftar]]        # rosters: names and codes without coordinates (jangkau.clean.rosters)
    file = "rumah_sakit_daftar_kemenkes.csv"
    columns = { nama = "unit_kerja", jenis = "unit_kerja", id = "kode_instansi", kode_kab = "kode_kab" }

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

from jangkau.config.catalogue import load_kind_table
from jangkau.config.recognise import (
    FileSpec,
    Guesses,
    complete_columns,
    guess_rows,
    outline_bounds,
    recognise_file,
)
from jangkau.errors import InputError
from jangkau.io.integrity import check_file
from jangkau.io.read import is_supported, is_vector

READ_OPTIONS = ("sep", "encoding", "sheet", "header_row", "layer", "crs")


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
    jalan: FileSpec | None = None
    jalan_setelan: dict[str, Any] = field(default_factory=dict)
    aset: list[FileSpec] = field(default_factory=list)
    sistem_informasi: list[FileSpec] = field(default_factory=list)
    layanan: dict[str, dict[str, Any]] = field(default_factory=dict)
    jenis: dict[str, dict[str, str]] = field(default_factory=dict)
    jaringan: dict[str, dict[str, Any]] = field(default_factory=dict)
    crs: str | None = None
    usulan_k: int = 3
    usulan_anggaran: dict[str, int] = field(default_factory=dict)
    usulan_kandidat: FileSpec | None = None
    riwayat_n: int = 10
    terima_penurunan: bool = False
    ignored: dict[str, str] = field(default_factory=dict)
    daftar: list[FileSpec] = field(default_factory=list)
    tebakan_kolom: Guesses = field(default_factory=list)
    # id_aset of assets reported closed or heavily damaged when the run started
    # (the live status service's status.json): they do not serve in this run.
    aset_tidak_melayani: list[str] = field(default_factory=list)

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
        data["jalan"] = spec(data.get("jalan"))
        data["aset"] = [FileSpec(**item) for item in data["aset"]]
        data["sistem_informasi"] = [FileSpec(**i) for i in data.get("sistem_informasi", [])]
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


def resolve_region(settings: dict[str, Any]) -> Region:
    """Decide the role of every file in the region's folder.

    Files named in the settings keep the role given there; the others are
    recognised by geometry, column names and values
    (:mod:`jangkau.config.recognise`): polygons with desa codes are the desa
    layer, polygons with kecamatan codes the kecamatan layer, tables with a
    population column the population, lines the road file (travel time),
    points or tables with coordinates
    (named, or numbers that fall inside the desa layer's extent) asset lists,
    and names of known kinds without coordinates or place rosters (counted
    without location, :mod:`jangkau.clean.rosters`). Files not used (a
    kabupaten outline, points of no known kind) are listed
    in ``ignored`` with the reason, never silently skipped; every column
    role not stated in the settings is listed in ``tebakan_kolom``.

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
    registers = [_spec(data_dir, item) for item in settings.get("sistem_informasi", [])]
    rosters: list[FileSpec] = [_spec(data_dir, item) for item in settings.get("daftar", [])]
    roads = _road_spec(data_dir, settings.get("jalan"))
    explicit_paths = {
        Path(s.path).resolve()
        for s in [*named.values(), *assets, *rosters, *registers, roads]
        if s is not None
    }
    stated_columns = {s.path: dict(s.columns) for s in [*named.values(), *assets]}
    if "kandidat" in settings.get("usulan", {}):
        # Land offered for new facilities: read by the proposals, never as an asset list.
        explicit_paths.add((data_dir / settings["usulan"]["kandidat"]).resolve())

    kinds = load_kind_table(settings.get("jenis"))
    files = sorted(p for p in data_dir.iterdir() if p.is_file() and is_supported(p))
    files = [p for p in files if p.resolve() not in explicit_paths]
    for path in files:
        check_file(path)  # a damaged file is named as such, not as unrecognised
    # Vector files first: the desa layer's outline tells which numeric columns
    # of a table are coordinates inside the region.
    reasons: dict[Path, str] = {}
    recognised = {
        p: recognise_file(p, kinds=kinds, bounds=None, reasons=reasons)
        for p in files
        if is_vector(p)
    }
    outline = named.get("desa") or next(
        (spec for role, spec, _ in recognised.values() if role == "desa"), None
    )
    bounds = outline_bounds(outline)
    for path in files:
        if path not in recognised:
            recognised[path] = recognise_file(path, kinds=kinds, bounds=bounds, reasons=reasons)

    population_candidates: list[FileSpec] = []
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
        elif role == "jalan" and roads is not None:
            ignored[path.name] = f"berkas jalan lain; yang dipakai: {roads.name}"
        elif role == "jalan":
            roads = spec
        elif role == "sistem_informasi":
            registers.append(spec)
        elif role == "daftar" and "daftar" in settings:
            ignored[path.name] = "daftar fasilitas yang tidak disebut di berkas wilayah"
        elif role == "daftar":
            rosters.append(spec)
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
        guesses += complete_columns(spec, role, kinds=kinds, bounds=bounds)
    for spec in assets:
        guesses += complete_columns(spec, "aset", kinds=kinds, bounds=bounds)
    for spec in rosters:
        if not {"nama", "jenis"} & set(spec.columns):
            guesses += complete_columns(spec, "aset", kinds=kinds, bounds=bounds)
    # Every role not stated in the region file and not read from the values
    # was taken from the column's name: a guess too, listed with the others.
    by_content = {(row["berkas"], row["peran"]) for row in guesses}
    for spec in [*named.values(), *assets]:
        stated = stated_columns.get(spec.path, {})
        guesses += guess_rows(
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
        jalan=roads,
        jalan_setelan=_road_settings(settings.get("jalan")),
        aset=assets,
        sistem_informasi=registers,
        layanan=dict(settings.get("layanan", {})),
        jenis=dict(settings.get("jenis", {})),
        jaringan=dict(settings.get("jaringan", {})),
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
        daftar=rosters,
        tebakan_kolom=_unique_guesses(guesses),
    )


def _accept_drop(settings: dict[str, Any]) -> bool:
    """Read ``[masukan] terima_penurunan``: a record-count drop is expected (see pipeline.counts)."""
    value = settings.get("masukan", {}).get("terima_penurunan", False)
    if not isinstance(value, bool):
        raise InputError(
            f"{settings['name']}.toml", "[masukan] terima_penurunan harus true atau false"
        )
    return value


def _road_spec(data_dir: Path, section: dict[str, Any] | None) -> FileSpec | None:
    """Return the road file of a ``[jalan]`` section, or None when the region has none."""
    if not section or "file" not in section:
        return None
    return _spec(data_dir, section)


ROAD_SETTINGS = (
    "jarak_titik_m",
    "toleransi_sambung_m",
    "panjang_fragmen_min_m",
    "jarak_jalan_kaki_langsung_m",
    "tepi_daratan_m",
)


def _road_settings(section: dict[str, Any] | None) -> dict[str, Any]:
    """Return a ``[jalan]`` section's network settings and speed overrides, checked."""
    section = section or {}
    settings: dict[str, Any] = {}
    for key in ROAD_SETTINGS:
        if key in section:
            value = float(section[key])
            if not value >= 0 or (key == "jarak_titik_m" and value == 0):
                raise InputError("berkas wilayah", f"[jalan] {key} harus angka positif")
            settings[key] = value
    speeds = dict(section.get("kecepatan", {}))
    for name, value in speeds.items():
        if not float(value) > 0:
            raise InputError("berkas wilayah", f"[jalan] kecepatan '{name}' harus lebih dari 0")
    if speeds:
        settings["kecepatan"] = {k: float(v) for k, v in speeds.items()}
    if section.get("feri"):
        settings["feri"] = [dict(route) for route in section["feri"]]
    return settings


def _unique_guesses(guesses: Guesses) -> Guesses:
    # A file recognised by content is completed once more; keep the first reason.
    seen: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in guesses:
        seen.setdefault((row["berkas"], row["peran"], row["kolom"]), row)
    return list(seen.values())


def region_from_folder(data_dir: str | Path, name: str) -> Region:
    """Resolve a folder of files that has no region file."""
    return resolve_region({"name": name, "data_dir": str(Path(data_dir).resolve())})
