"""Recognise what an input file is and which column holds what.

Folders without a region file are read here: the role of each file (desa or
kecamatan layer, population, finer population, asset list, roster) from its
geometry, column names and values, and the columns of each role a region file
did not state. Every guess is returned as a row (berkas, peran, kolom, alasan)
for the quality report. This module reads files but never writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyogrio

from jangkau.clean.info_systems import register_columns
from jangkau.config.catalogue import KindTable
from jangkau.config.columns_by_content import (
    guess_asset_columns,
    has_location,
    is_roster,
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
from jangkau.io.read import is_vector, json_table_key, list_columns, read_records

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


def geometry_kind(path: Path, options: dict[str, Any]) -> str:
    """Return ``polygon``, ``point`` or the driver's geometry type of a vector file."""
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
        if types.str.contains("linestring").any():
            return "linestring"
    return geometry or "none"


def outline_bounds(spec: FileSpec | None) -> tuple[float, float, float, float] | None:
    """Return the desa layer's extent in degrees (None without a layer or a declared CRS)."""
    if spec is None:
        return None
    return region_bounds(read_records(spec.path, **spec.options, allow_missing_crs=True))


def guess_rows(name: str, roles: dict[str, str], reason: str) -> Guesses:
    """Return one quality-report row per role of file ``name``, all with ``reason``."""
    return [
        {"berkas": name, "peran": role, "kolom": str(column), "alasan": reason}
        for role, column in roles.items()
    ]


def complete_columns(
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


def recognise_file(
    path: Path, *, kinds: KindTable, bounds: tuple | None, reasons: dict[Path, str]
) -> tuple[str, FileSpec, Guesses]:
    """Return a file's role, its spec and the guesses that decided it.

    A file found not to be usable gets its reason in ``reasons``.
    """
    if is_vector(path):
        geometry = geometry_kind(path, {})
        if geometry == "polygon":
            # Polygon assets may name their desa and kecamatan like a boundary layer
            # does: a kind column of mostly known kinds (pasar, TPA, SD) tells them apart.
            if _kind_assets(path, kinds):
                return (
                    "aset",
                    FileSpec(path=str(path), columns=asset_columns(list_columns(path))),
                    [],
                )
            frame = read_records(path, allow_missing_crs=True)
            level = boundary_level(frame)
            if level in ("desa", "kecamatan"):
                spec = FileSpec(path=str(path), level=level)
                spec.columns = boundary_columns(frame, level)
                return level, spec, []
            if level == "kabupaten":
                return "kabupaten", FileSpec(path=str(path), level=level), []
            # Polygon assets (markets, parks, landfill sites) name their kind.
            if looks_like_assets(list_columns(path), has_points=True):
                return _asset_or_unknown_kind(
                    path, asset_columns(list_columns(path)), kinds, bounds, reasons
                )
            raise InputError(path, "poligon tanpa kode atau nama desa/kecamatan yang dikenali")
        if "linestring" in geometry:
            if _kind_assets(path, kinds):
                return (
                    "aset",
                    FileSpec(path=str(path), columns=asset_columns(list_columns(path))),
                    [],
                )
            return "jalan", FileSpec(path=str(path)), []
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
    if register_columns(columns) is not None and not looks_like_assets(columns, has_points=False):
        # The agencies' information systems: a register without geometry (issue 16).
        return "sistem_informasi", FileSpec(path=str(path)), []
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


def _kind_assets(path: Path, kinds: KindTable) -> bool:
    """Return True for a line or polygon file that lists assets: most of its kind column is known.

    Road files (RBI ``REMARK``, OSM ``highway``) write road functions, not
    kinds of the table, and stay road files for travel time; boundary layers
    hold no kind column of the table (``tipe`` holds Desa/Kelurahan) and stay
    boundaries, even though polygon assets may carry ``desa``/``kecamatan`` too.
    """
    roles = asset_columns(list_columns(path))
    if "jenis" not in roles:
        return False
    values = read_records(path, allow_missing_crs=True)[roles["jenis"]].dropna()
    return len(values) > 0 and values.map(kinds.classify).notna().mean() >= 0.5


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
    guesses = complete_columns(spec, "aset", kinds=kinds, bounds=bounds)
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
    if is_roster(frame, found, has_geometry=has_geometry):
        return "daftar", spec, rows
    return None, spec, rows
