"""Per-kecamatan population tables: find each row's kecamatan, spread totals over desa.

BPS tables give one figure per kecamatan, by BPS code, Kemendagri code or
name only, sometimes in English, sometimes from a census taken before a
kecamatan was split. This module joins such a table to the desa layer and
spreads each figure over the desa by area.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from jangkau.clean.boundaries import _most_common
from jangkau.clean.names import (
    former_kecamatan_names,
    match_names,
    name_key,
    nearest_names,
    split_from,
)
from jangkau.errors import InputError

MATCH_COLUMNS = ["sumber", "nama_di_berkas", "dicocokkan_dengan"]
YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
# Names of a table's total row ("Jumlah", "Total", "Kabupaten Maros").
TOTAL_ROW = re.compile(r"^(jumlah|total|kabupaten|kab|kota)\b", re.IGNORECASE)


def table_year(value_column: str, source: str) -> int | None:
    """Return the year a population table describes: from its value column, else its file name."""
    for text in (str(value_column), str(source)):
        match = YEAR.search(text)
        if match:
            return int(match.group(0))
    return None


def spread_kecamatan_totals(
    desa: gpd.GeoDataFrame,
    table: pd.DataFrame,
    values: pd.Series,
    *,
    columns: dict[str, str],
    metric_crs: object,
    source: str,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Join a per-kecamatan table to the desa and spread each total over its desa by area.

    Rows are joined by Kemendagri code, by BPS code through the desa layer's
    ``kode_bps``, or by name (current names, other spellings and former
    names from ``riwayat_kecamatan.toml``); codes the boundaries do not know
    fall back to the row's name when it has one. A last row that only
    repeats the sum of the others (``Jumlah``) is skipped and reported.

    **Tables from before a split.** A kecamatan present in the boundaries
    but not in the table, formed (per ``riwayat_kecamatan.toml``) by
    splitting a parent that the table does hold, in a year after the
    table's (or the table's year is unknown), shares the parent's figure:
    the parent's total is spread over the desa of parent and child together
    in proportion to desa area, so the child gets the area share of its desa
    and the total is kept exactly. Such desa carry a ``catatan_penduduk``,
    and the name-match report gets a row. The finer population surface, when
    given, only places people inside each desa; it does not change this
    split.

    Parameters
    ----------
    desa
        Desa with ``kode_desa``, ``kode_kec``, ``kecamatan`` and optionally ``kode_bps``.
    table
        The table as read, with ``baris``.
    values
        The table's counts (already parsed), aligned with ``table``.
    columns
        ``kode_kec`` and/or ``kecamatan``, and ``value``.
    metric_crs
        CRS in which desa areas are measured.
    source
        File name, for messages and reports.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        Desa with ``penduduk``, ``sumber_penduduk`` and ``catatan_penduduk``;
        name-match report rows (``sumber``, ``nama_di_berkas``, ``dicocokkan_dengan``).
    """
    result = desa.copy()
    kecamatan_names = result.groupby("kode_kec")["kecamatan"].agg(_most_common)
    table, values, matches = _drop_total_row(table, values, columns=columns, source=source)
    codes, code_matches = _kecamatan_codes(
        table, columns=columns, desa=result, kecamatan_names=kecamatan_names, source=source
    )
    matches.extend(code_matches)
    seen: dict[object, int] = {}
    for i, code in enumerate(codes):
        if code in seen:
            raise InputError(
                source,
                f"kecamatan {kecamatan_names[code]} muncul dua kali "
                f"(baris {table['baris'].iloc[seen[code]]} dan {table['baris'].iloc[i]})",
                row=int(table["baris"].iloc[i]),
            )
        seen[code] = i
    totals = pd.Series(values.to_numpy(), index=codes)
    year = table_year(columns["value"], source)
    group_of = {code: code for code in totals.index}
    notes: dict[object, str] = {}
    for split in split_from(kecamatan_names):
        child, parent = split["kode"], split["induk_kode"]
        if child in totals.index or parent not in group_of:
            continue
        if year is not None and split["tahun"] is not None and year >= split["tahun"]:
            continue  # the table should hold the child: left to the missing check below
        group_of[child] = group_of[parent]
        when = f"tahun {year}" if year is not None else "tahun tidak diketahui"
        note = (
            f"angka {split['induk_nama']} ({when}, sebelum {split['nama']} dibentuk "
            f"{split['tahun']}) dibagi ke desa {split['induk_nama']} dan {split['nama']} "
            "menurut luas"
        )
        notes[parent] = notes[child] = note
        matches.append(
            {
                "sumber": source,
                "nama_di_berkas": f"{split['induk_nama']} ({when})",
                "dicocokkan_dengan": (
                    f"{split['induk_nama']} + {split['nama']}: dibagi menurut luas desa; "
                    f"{split['nama']} dibentuk {split['tahun']} ({split['sumber']})"
                ),
            }
        )
    missing = sorted(set(kecamatan_names.index) - set(group_of))
    if missing:
        names = [str(kecamatan_names[c]) for c in missing]
        raise InputError(
            source,
            f"kecamatan tanpa angka penduduk: {', '.join(names)}"
            + (f" (tabel tahun {year})" if year is not None else ""),
        )
    area = result.to_crs(metric_crs).area.to_numpy()
    groups = result["kode_kec"].map(group_of).to_numpy()
    population = np.zeros(len(result), dtype=np.int64)
    for code, total in totals.items():
        members = np.flatnonzero(groups == code)
        population[members] = largest_remainder(area[members], int(round(total)))
    result["penduduk"] = population
    result["sumber_penduduk"] = (
        f"{source}: {columns['value']} per kecamatan, dibagi ke desa menurut luas"
    )
    result["catatan_penduduk"] = pd.Series(
        [notes.get(code, "") for code in result["kode_kec"]], index=result.index, dtype=object
    )
    return result, pd.DataFrame(matches, columns=MATCH_COLUMNS)


def largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    """Split an integer total in proportion to ``shares`` so the parts sum to it exactly."""
    shares = np.asarray(shares, dtype=float)
    if total == 0 or shares.sum() <= 0:
        return np.zeros(len(shares), dtype=np.int64)
    exact = shares / shares.sum() * total
    floor = np.floor(exact).astype(np.int64)
    remaining = int(total - floor.sum())
    order = np.argsort(-(exact - floor), kind="stable")
    floor[order[:remaining]] += 1
    return floor


def _drop_total_row(
    table: pd.DataFrame, values: pd.Series, *, columns: dict[str, str], source: str
) -> tuple[pd.DataFrame, pd.Series, list[dict[str, object]]]:
    """Skip a last row named like a total whose figure equals the sum of the others."""
    name_column = columns.get("kecamatan")
    if name_column is None or len(table) < 2:
        return table, values, []
    last = str(table[name_column].iloc[-1]).strip()
    if TOTAL_ROW.match(last) and values.iloc[-1] == values.iloc[:-1].sum():
        note = {
            "sumber": source,
            "nama_di_berkas": f"{last} (baris {table['baris'].iloc[-1]})",
            "dicocokkan_dengan": "baris jumlah, dilewati (sama dengan jumlah baris lain)",
        }
        return table.iloc[:-1], values.iloc[:-1], [note]
    return table, values, []


def _kecamatan_codes(
    table: pd.DataFrame,
    *,
    columns: dict[str, str],
    desa: gpd.GeoDataFrame,
    kecamatan_names: pd.Series,
    source: str,
) -> tuple[list[object], list[dict[str, object]]]:
    """Return the boundary kecamatan code of every table row, and name-match notes."""
    matches: list[dict[str, object]] = []
    codes: list[object] = [None] * len(table)
    if "kode_kec" in columns:
        bridge: dict[str, object] = {}
        if "kode_bps" in desa:
            for code, bps in desa.groupby("kode_kec")["kode_bps"].first().items():
                if pd.notna(bps):
                    bridge[str(bps).strip()] = code
        keys = table[columns["kode_kec"]].astype("string").str.strip().fillna("")
        codes = [k if k in kecamatan_names.index else bridge.get(k) for k in keys]
        unknown = [i for i, c in enumerate(codes) if c is None]
        if unknown and "kecamatan" not in columns:
            i = unknown[0]
            raise InputError(
                source,
                f"kode kecamatan {keys.iloc[i]} tidak ada di batas desa "
                "(batas tanpa kode BPS; tambahkan kolom nama kecamatan)",
                row=int(table["baris"].iloc[i]),
            )
        if unknown:
            matches.append(
                {
                    "sumber": source,
                    "nama_di_berkas": (
                        f"{len(unknown)} kode kecamatan ({columns['kode_kec']}, "
                        f"mis. {keys.iloc[unknown[0]]}) tidak ada di batas desa"
                    ),
                    "dicocokkan_dengan": "dicocokkan lewat nama kecamatan",
                }
            )
    todo = [i for i, c in enumerate(codes) if c is None]
    if not todo:
        return codes, matches
    stated = table[columns["kecamatan"]]
    candidates = {str(name): code for code, name in kecamatan_names.dropna().items()}
    for alias, code in former_kecamatan_names(kecamatan_names.dropna()).items():
        candidates.setdefault(alias, code)
    mapping = match_names(stated.iloc[todo], list(candidates))
    for i in todo:
        name = stated.iloc[i]
        target = mapping.get(name)
        if target is None:
            hint = ", ".join(nearest_names(name, kecamatan_names.dropna()))
            raise InputError(
                source,
                f"kecamatan '{name}' tidak ditemukan di batas desa (mirip: {hint})",
                row=int(table["baris"].iloc[i]),
            )
        code = candidates[target]
        current = kecamatan_names[code]
        if name_key(name) != name_key(current):
            why = "" if name_key(target) == name_key(current) else f" (nama lama/lain: {target})"
            matches.append(
                {"sumber": source, "nama_di_berkas": name, "dicocokkan_dengan": current + why}
            )
        codes[i] = code
    return codes, matches
