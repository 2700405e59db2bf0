"""Recognise an asset file's columns by what they hold, where their names say nothing.

Published lists name their columns freely (``sekolah``, ``bentuk``, ``REMARK``,
``lat_``); this module reads the values instead:

- the kind column is the one whose values map to the kind table (a column of
  few distinct values before a column of names that start with a kind);
- the name column is the text column of mostly distinct values (addresses
  excluded);
- latitude and longitude are the two numeric (or numeric-text) columns that
  put most points inside the region, in whichever order;
- identifiers are read by pattern: 8-digit NPSN, Kemenkes ``P…`` facility
  codes, or digit codes distinct on every row; repeating digit codes
  (Dapodik ``kode_kec``, Kemendagri and BPS codes) are place codes, kept out
  of the other roles.

When two columns fit a role equally the file is refused, naming both
readings. Every guess comes back with its reason, for the quality report.
Pure functions: frames in, mappings out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from jangkau.clean.coords import parse_coordinate
from jangkau.config.catalogue import KindTable
from jangkau.config.detect import code_level, column_key
from jangkau.errors import InputError

# Indonesia's extent (lon/lat), used when the region's outline is not known.
INDONESIA_BOUNDS = (94.5, -11.5, 141.5, 6.5)
# Degrees added around the region's outline: points just outside still show
# which columns hold coordinates; placing them is decided later.
BOUNDS_MARGIN = 0.05
# Shares of the non-empty values a column must reach to take a role.
KIND_SHARE = 0.5
COORDINATE_SHARE = 0.5
NAME_DISTINCT = 0.8
PATTERN_SHARE = 0.9
# Rows looked at: enough to judge a column, bounded for province-size files.
SAMPLE_ROWS = 5000

NPSN = re.compile(r"\d{8}")
KEMENKES = re.compile(r"P\d{10}")
GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
# Plain digits, or Kemendagri's dotted form (73.09, 73.09.01, 73.09.01.2003);
# "119.63" is a longitude, not a code.
DIGITS = re.compile(r"\d+|\d{2}\.\d{2}(\.\d{2}(\.\d{4})?)?")
ADDRESS_NAME = re.compile(r"(^|_)(alamat|address|jalan|jl|lokasi)(_|$)")
ADDRESS_TEXT = re.compile(r"^(jl|jln|jalan|ds|dsn|dusun|kel|kp|kampung|lr|lorong|no)\b\.?", re.I)


@dataclass(frozen=True)
class ColumnGuess:
    """One column role decided from the values: which column, and why."""

    role: str
    column: str
    reason: str


def _values(frame: pd.DataFrame, column: str) -> pd.Series:
    values = frame[column].head(SAMPLE_ROWS).dropna().astype(str).str.strip()
    return values[values != ""]


def _share(mask: pd.Series | np.ndarray) -> float:
    return float(np.mean(mask)) if len(mask) else 0.0


def _numbers(values: pd.Series) -> np.ndarray:
    return np.array([parse_coordinate(v) for v in values], dtype=float)


def _code_kind(values: pd.Series) -> str | None:
    """Return what identifier or place code a column holds by its pattern, or None."""
    if values.empty:
        return None
    if _share(values.str.fullmatch(NPSN)) >= PATTERN_SHARE:
        return "NPSN 8 angka"
    if _share(values.str.fullmatch(KEMENKES)) >= PATTERN_SHARE:
        return "kode faskes Kemenkes (P + 10 angka)"
    if _share(values.str.fullmatch(GUID)) >= PATTERN_SHARE:
        return "kode unik (GUID)"
    if _share(values.str.fullmatch(DIGITS)) < PATTERN_SHARE:
        return None
    # Codes have one length; counts (staff, beds) vary in length and are no code.
    if values.str.len().nunique() != 1 or len(values.iloc[0]) < 4:
        return None
    if values.is_unique and len(values) > 1:
        return "kode angka yang berbeda di setiap baris"
    if _share(values.str.fullmatch(r"\d{6}")) >= PATTERN_SHARE:
        # Dapodik: 190000 a province, 190100 a kabupaten, 190104 a kecamatan.
        level = "provinsi" if values.iloc[0].endswith("0000") else "kabupaten"
        level = level if values.iloc[0].endswith("00") else "kecamatan"
        return f"kode wilayah: kode {level} Dapodik (6 angka)"
    level = values.map(code_level).value_counts()
    if not level.empty and level.iloc[0] >= PATTERN_SHARE * len(values):
        return f"kode wilayah: kode {level.index[0]} Kemendagri/BPS"
    return "kode wilayah (angka berulang)"


def _is_text(values: pd.Series) -> bool:
    return _share(values.str.contains(r"[A-Za-z]", regex=True)) >= PATTERN_SHARE


def _is_wording(values: pd.Series) -> bool:
    """Return True when values are mostly letters (names), not codes that hold a few."""
    letters = values.str.count(r"[A-Za-z]")
    others = values.str.count(r"[^A-Za-z\s]")
    return _share(letters > others) >= PATTERN_SHARE


def _kind_fit(values: pd.Series, kinds: KindTable) -> tuple[float, float]:
    """Return (share of values that map to a kind, share of distinct values)."""
    if values.empty:
        return 0.0, 1.0
    distinct = values.unique()
    mapped = {v: kinds.classify(v) is not None for v in distinct}
    return _share(values.map(mapped)), len(distinct) / len(values)


def _ambiguous(source: str, role: str, first: str, second: str, why: str) -> InputError:
    return InputError(
        source,
        f"kolom {role} tidak dapat ditentukan: '{first}' dan '{second}' sama cocoknya ({why}); "
        "sebutkan kolomnya di berkas wilayah",
    )


def _guess_kind(
    frame: pd.DataFrame, free: list[str], kinds: KindTable, source: str
) -> ColumnGuess | None:
    fits = {}
    for column in free:
        values = _values(frame, column)
        if _is_text(values):
            share, distinct = _kind_fit(values, kinds)
            if share >= KIND_SHARE:
                fits[column] = (share, distinct)
    if not fits:
        return None

    # A kind column repeats a few values; a column of names that merely start
    # with a kind ("SDN 13 Manarang") is the fallback.
    def rank(column: str) -> tuple[bool, float, float]:
        share, distinct = fits[column]
        return distinct >= NAME_DISTINCT, -round(share, 3), round(distinct, 3)

    ranked = sorted(fits, key=rank)
    best = ranked[0]
    if len(ranked) > 1 and rank(ranked[1]) == rank(best):
        raise _ambiguous(
            source,
            "jenis",
            best,
            ranked[1],
            f"{fits[best][0]:.0%} nilainya ada di tabel jenis aset",
        )
    reason = f"{fits[best][0]:.0%} nilainya ada di tabel jenis aset"
    if rank(best)[0]:
        reason += " (nama yang diawali jenis; tidak ada kolom jenis tersendiri)"
    return ColumnGuess("jenis", best, reason)


def _guess_name(
    frame: pd.DataFrame, free: list[str], kinds: KindTable, source: str
) -> ColumnGuess | None:
    fits = {}
    for column in free:
        values = _values(frame, column)
        if values.empty or not _is_wording(values) or ADDRESS_NAME.search(column_key(column)):
            continue
        if _share(values.str.match(ADDRESS_TEXT)) >= KIND_SHARE:
            continue
        distinct = values.nunique() / len(values)
        if distinct >= NAME_DISTINCT:
            # A few names repeat ("SD Inpres ..."): distinctness counts to a tenth,
            # then names that start with a kind win over other text.
            fits[column] = (round(distinct, 1), round(_kind_fit(values, kinds)[0], 3))
    if not fits:
        return None
    ranked = sorted(fits, key=lambda c: fits[c], reverse=True)
    best = ranked[0]
    if len(ranked) > 1 and fits[ranked[1]] == fits[best]:
        raise _ambiguous(
            source, "nama", best, ranked[1], f"{fits[best][0]:.0%} nilainya berbeda-beda"
        )
    return ColumnGuess("nama", best, f"teks yang {fits[best][0]:.0%} nilainya berbeda-beda")


def _guess_coordinates(
    frame: pd.DataFrame,
    free: list[str],
    fixed: dict[str, str],
    bounds: tuple[float, float, float, float] | None,
    source: str,
) -> list[ColumnGuess]:
    where = "wilayah" if bounds is not None else "Indonesia"
    west, south, east, north = (
        (bounds[0] - BOUNDS_MARGIN, bounds[1] - BOUNDS_MARGIN)
        + (bounds[2] + BOUNDS_MARGIN, bounds[3] + BOUNDS_MARGIN)
        if bounds is not None
        else INDONESIA_BOUNDS
    )
    sample = frame.head(SAMPLE_ROWS)
    numbers: dict[str, np.ndarray] = {}
    for column in [*fixed.values(), *free]:
        values = sample[column].astype("string").str.strip()
        parsed = _numbers(values.fillna(""))
        if column in fixed.values() or _share(~np.isnan(parsed[values.notna().to_numpy()])) >= 0.5:
            numbers[column] = parsed
    if not numbers:
        return []

    def inside(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)

    fits = {}
    for a, b in combinations(numbers, 2):
        if fixed and not set(fixed.values()) & {a, b}:
            continue
        straight, swapped = inside(numbers[a], numbers[b]), inside(numbers[b], numbers[a])
        filled = ~(np.isnan(numbers[a]) & np.isnan(numbers[b]))
        share = _share((straight | swapped)[filled])
        if share >= COORDINATE_SHARE:
            # Latitude is the column that is latitude in most rows; place_assets
            # still swaps single rows written the other way round.
            lat, lon = (a, b) if straight.sum() >= swapped.sum() else (b, a)
            fits[(lat, lon)] = round(share, 3)
    if not fits:
        return []
    ranked = sorted(fits, key=fits.get, reverse=True)
    best = ranked[0]
    if len(ranked) > 1 and fits[ranked[1]] == fits[best]:
        raise _ambiguous(
            source,
            "lintang/bujur",
            " + ".join(best),
            " + ".join(ranked[1]),
            f"keduanya menempatkan {fits[best]:.0%} titik di dalam {where}",
        )
    reason = f"angka yang menempatkan {fits[best]:.0%} titik di dalam {where}"
    return [
        ColumnGuess(role, column, reason)
        for role, column in zip(("lintang", "bujur"), best, strict=True)
        if fixed.get(role) != column
    ]


def guess_asset_columns(
    frame: pd.DataFrame,
    *,
    named: dict[str, str],
    kinds: KindTable,
    bounds: tuple[float, float, float, float] | None = None,
    has_geometry: bool = False,
    need_kind: bool = True,
    source: str = "",
) -> tuple[dict[str, str], list[ColumnGuess]]:
    """Complete an asset file's column roles from its values.

    Parameters
    ----------
    frame
        Records as read (text cells, ``baris``, a geometry column for vector files).
    named
        Roles already known (from column names or the region file); kept as they are.
    kinds
        The kind table the kind column's values are looked up in.
    bounds
        The region's outline (west, south, east, north) in degrees; Indonesia's
        extent when None.
    has_geometry
        True for a vector file: its location is its geometry.
    need_kind
        False when the region file gives the file's one kind.
    source
        File name, for messages.

    Returns
    -------
    tuple
        The completed ``{role: column}`` mapping and the guesses made here.

    Raises
    ------
    InputError
        When two columns fit a role equally.
    """
    columns = [c for c in frame.columns if c not in ("baris", "geometry")]
    found = dict(named)
    guesses: list[ColumnGuess] = []
    taken = set(found.values())
    codes = {}
    for column in columns:
        if column not in taken:
            kind = _code_kind(_values(frame, column))
            if kind is not None:
                codes[column] = kind
    if "id" not in found:
        ids = [c for c, kind in codes.items() if not kind.startswith("kode wilayah")]
        if ids:
            found["id"] = ids[0]
            guesses.append(ColumnGuess("id", ids[0], codes[ids[0]]))
    for column, kind in codes.items():
        if kind.startswith("kode wilayah"):
            guesses.append(ColumnGuess("kode wilayah (dicatat, tidak dipakai)", column, kind))
    taken = set(found.values()) | set(codes)
    if not has_geometry and "koordinat" not in found:
        fixed = {r: found[r] for r in ("lintang", "bujur") if r in found}
        if len(fixed) < 2:
            free = [c for c in columns if c not in taken]
            for guess in _guess_coordinates(frame, free, fixed, bounds, source):
                found[guess.role] = guess.column
                guesses.append(guess)
    taken = set(found.values()) | set(codes)
    if "nama" not in found:
        guess = _guess_name(frame, [c for c in columns if c not in taken], kinds, source)
        if guess is not None:
            found["nama"] = guess.column
            guesses.append(guess)
    if need_kind and "jenis" not in found:
        place = {found.get(r) for r in ("desa", "kecamatan", "lintang", "bujur", "koordinat")}
        free = [c for c in columns if c not in place and c not in codes and c != found.get("id")]
        guess = _guess_kind(frame, free, kinds, source)
        if guess is not None:
            found["jenis"] = guess.column
            guesses.append(guess)
    return found, guesses


def has_location(columns: dict[str, str], *, has_geometry: bool) -> bool:
    """Return True when the roles locate each record (geometry, one cell, or both degrees)."""
    return has_geometry or "koordinat" in columns or {"lintang", "bujur"} <= set(columns)


def is_roster(frame: pd.DataFrame, columns: dict[str, str], *, has_geometry: bool) -> bool:
    """Return True for an official roster: facility names of known kinds, codes, no place.

    A list that gives a desa, kecamatan or address but no coordinates is an
    asset list that lost its coordinates, not a roster: it must stop the run.
    """
    placed = {"desa", "kecamatan"} & set(columns) or any(
        ADDRESS_NAME.search(column_key(c)) for c in frame.columns
    )
    return (
        not has_location(columns, has_geometry=has_geometry)
        and {"nama", "jenis"} <= set(columns)
        and not placed
    )


def kind_values(frame: pd.DataFrame, column: str, *, limit: int = 3) -> str:
    """Return a few distinct values of a column, quoted, for a message."""
    values = _values(frame, column).unique()[:limit]
    return ", ".join(f"'{v}'" for v in values) if len(values) else "(kosong)"


def region_bounds(outline: object) -> tuple[float, float, float, float] | None:
    """Return a boundary layer's (west, south, east, north) in degrees, None without a CRS."""
    if getattr(outline, "crs", None) is None:
        return None
    west, south, east, north = outline.to_crs(4326).total_bounds
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return None
    return float(west), float(south), float(east), float(north)
