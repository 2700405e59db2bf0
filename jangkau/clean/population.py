"""Population: counts as typed, tables joined to desa by code or name, and the finer surface."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.clean.boundaries import _most_common
from jangkau.clean.names import match_names, name_key, nearest_names
from jangkau.errors import InputError


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def parse_count(value: object) -> float:
    """Read a population count typed with thousands dots or a decimal comma.

    Examples
    --------
    >>> parse_count("50.540")
    50540.0
    >>> parse_count("1 234")
    1234.0
    >>> parse_count("12,5")
    12.5
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    text = str(value).strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return np.nan
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        return float(text.replace(".", ""))
    if re.fullmatch(r"\d{1,3}(,\d{3}){2,}", text):
        return float(text.replace(",", ""))
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return np.nan


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


def attach_population(
    desa: gpd.GeoDataFrame,
    table: pd.DataFrame | None,
    *,
    columns: dict[str, str],
    level: str | None,
    metric_crs: object,
    source: str,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Give every desa its population.

    Per-desa tables join by code, or by desa and kecamatan name when they
    carry no code. Per-kecamatan tables (BPS style, names only) join by
    kecamatan code or name, and each kecamatan total is spread over its desa
    in proportion to area, rounded so that the desa sum to the total.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The desa with ``penduduk`` (int) and ``sumber_penduduk``; and a
        report of name reconciliations (``sumber``, ``nama_di_berkas``, ``dicocokkan_dengan``).

    Raises
    ------
    InputError
        When a place in the table matches nothing (naming its nearest
        candidates), a value is unreadable, or a desa gets no population.
    """
    result = desa.copy()
    matches: list[dict[str, object]] = []
    if table is None:
        raise InputError(source or "penduduk", "tidak ada tabel penduduk untuk wilayah ini")
    values = table[columns["value"]].map(parse_count)
    unreadable = values.isna()
    if unreadable.any():
        row = int(table.loc[unreadable, "baris"].iloc[0])
        raise InputError(
            source,
            f"nilai penduduk '{table.loc[unreadable, columns['value']].iloc[0]}' tidak terbaca",
            row=row,
        )
    if level == "desa":
        if "kode_desa" in columns:
            keys = table[columns["kode_desa"]].astype("string").str.strip()
            known = set(result["kode_desa"])
            # A province-wide table may serve one kabupaten: rows of other kabupaten are
            # skipped (and reported); an unknown code inside this kabupaten is an error.
            kabupaten = {code[:5] for code in known}
            elsewhere = ~keys.str[:5].isin(kabupaten)
            if elsewhere.any():
                matches.append(
                    {
                        "sumber": source,
                        "nama_di_berkas": f"{int(elsewhere.sum())} baris kode desa di luar wilayah",
                        "dicocokkan_dengan": "dilewati",
                    }
                )
            keys, values = keys[~elsewhere], values[~elsewhere]
            unknown = ~keys.isin(known)
            if unknown.any():
                row = int(table.loc[unknown[unknown].index, "baris"].iloc[0])
                raise InputError(
                    source, f"kode desa {keys[unknown].iloc[0]} tidak ada di batas desa", row=row
                )
            per_desa = pd.Series(values.to_numpy(), index=keys.to_numpy()).groupby(level=0).sum()
        else:
            labels = (
                result["kecamatan"].fillna("").map(name_key) + "/" + result["desa"].map(name_key)
            )
            lookup = dict(zip(labels, result["kode_desa"], strict=True))
            kec = table[columns["kecamatan"]] if "kecamatan" in columns else None
            codes = []
            for i, desa_name in enumerate(table[columns["desa"]]):
                label = (
                    (name_key(kec.iloc[i]) if kec is not None else "") + "/" + name_key(desa_name)
                )
                code = lookup.get(label)
                if code is None and kec is None:
                    hits = [
                        c for lab, c in lookup.items() if lab.endswith("/" + name_key(desa_name))
                    ]
                    code = hits[0] if len(hits) == 1 else None
                if code is None:
                    hint = ", ".join(nearest_names(desa_name, result["desa"]))
                    raise InputError(
                        source,
                        f"desa '{desa_name}' tidak ditemukan di batas desa (mirip: {hint})",
                        row=int(table["baris"].iloc[i]),
                    )
                codes.append(code)
            per_desa = pd.Series(values.to_numpy(), index=codes).groupby(level=0).sum()
        missing = ~result["kode_desa"].isin(per_desa.index)
        if missing.any():
            names = result.loc[missing, "desa"].head(5).tolist()
            raise InputError(
                source, f"{int(missing.sum())} desa tanpa angka penduduk, mis. {', '.join(names)}"
            )
        result["penduduk"] = result["kode_desa"].map(per_desa).round().astype("int64")
        result["sumber_penduduk"] = f"{source}: {columns['value']} per desa"
        return result, pd.DataFrame(
            matches, columns=["sumber", "nama_di_berkas", "dicocokkan_dengan"]
        )

    # Kecamatan totals spread over desa by area.
    kecamatan_names = result.groupby("kode_kec")["kecamatan"].agg(_most_common)
    if "kode_kec" in columns:
        keys = table[columns["kode_kec"]].astype("string").str.strip()
        kode_bps = result.groupby("kode_kec")["kode_bps"].first() if "kode_bps" in result else None
        bridge = {str(v): k for k, v in kode_bps.items()} if kode_bps is not None else {}
        codes = [k if k in kecamatan_names.index else bridge.get(k) for k in keys]
    else:
        stated = table[columns["kecamatan"]]
        mapping = match_names(stated, kecamatan_names.dropna())
        by_name = {name: code for code, name in kecamatan_names.items()}
        codes = []
        for i, name in enumerate(stated):
            target = mapping.get(name)
            if target is None:
                hint = ", ".join(nearest_names(name, kecamatan_names.dropna()))
                raise InputError(
                    source,
                    f"kecamatan '{name}' tidak ditemukan di batas desa (mirip: {hint})",
                    row=int(table["baris"].iloc[i]),
                )
            if name_key(name) != name_key(target):
                matches.append(
                    {"sumber": source, "nama_di_berkas": name, "dicocokkan_dengan": target}
                )
            codes.append(by_name[target])
    if any(c is None for c in codes):
        i = codes.index(None)
        raise InputError(
            source,
            f"kode kecamatan {keys.iloc[i]} tidak ada di batas desa",
            row=int(table["baris"].iloc[i]),
        )
    totals = pd.Series(values.to_numpy(), index=codes).groupby(level=0).sum()
    missing = sorted(set(kecamatan_names.index) - set(totals.index))
    if missing:
        names = [str(kecamatan_names[c]) for c in missing]
        raise InputError(source, f"kecamatan tanpa angka penduduk: {', '.join(names)}")
    area = result.to_crs(metric_crs).area.to_numpy()
    population = np.zeros(len(result), dtype=np.int64)
    for code, total in totals.items():
        members = np.flatnonzero(result["kode_kec"].to_numpy() == code)
        population[members] = largest_remainder(area[members], int(round(total)))
    result["penduduk"] = population
    result["sumber_penduduk"] = (
        f"{source}: {columns['value']} per kecamatan, dibagi ke desa menurut luas"
    )
    return result, pd.DataFrame(matches, columns=["sumber", "nama_di_berkas", "dicocokkan_dengan"])


def population_surface(
    raw: pd.DataFrame, *, columns: dict[str, str], desa: gpd.GeoDataFrame, source: str
) -> tuple[gpd.GeoDataFrame, dict[str, object]]:
    """Turn a finer population layer (points with counts) into weights within each desa.

    Each desa keeps its official total; the surface only says where inside the
    desa its people live. ``bobot`` is a point's share of its desa's counted
    people. Points outside every desa are left out and counted in the report.

    Parameters
    ----------
    raw
        Points as read (GeoDataFrame; polygons are reduced to a point on their
        surface), or a table with ``lintang``/``bujur`` columns.
    columns
        ``jumlah`` (the count) and, for tables, ``lintang`` and ``bujur``.
    desa
        Desa polygons in a metric CRS with ``kode_desa``.
    source
        File name, for messages and the report.

    Returns
    -------
    (GeoDataFrame, dict)
        Points in the desa's CRS with ``kode_desa``, ``bobot``; and a report:
        ``sumber``, ``titik_dibaca``, ``titik_dipakai``, ``desa_dengan_titik``.
    """
    from jangkau.clean.coords import parse_coordinate

    if "jumlah" not in columns:
        raise InputError(
            source, "kolom jumlah penduduk tidak ditemukan; isi 'columns.jumlah' di berkas wilayah"
        )
    counts = raw[columns["jumlah"]].map(parse_count).to_numpy(dtype=float)
    if isinstance(raw, gpd.GeoDataFrame):
        geometry = raw.geometry.to_crs(desa.crs).to_numpy()
        missing = shapely.is_missing(geometry)
        geometry = np.where(
            missing, None, shapely.point_on_surface(np.where(missing, None, geometry))
        )
    else:
        if "lintang" not in columns or "bujur" not in columns:
            raise InputError(source, "kolom lintang/bujur tidak ditemukan")
        lat = raw[columns["lintang"]].map(parse_coordinate).to_numpy(dtype=float)
        lon = raw[columns["bujur"]].map(parse_coordinate).to_numpy(dtype=float)
        geometry = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(desa.crs).to_numpy()
    usable = ~shapely.is_missing(geometry) & np.isfinite(counts) & (counts > 0)
    points = gpd.GeoDataFrame(
        {"jumlah": counts[usable]}, geometry=list(geometry[usable]), crs=desa.crs
    )
    joined = gpd.sjoin(points, desa[["kode_desa", "geometry"]], how="inner", predicate="within")
    joined = joined[~joined.index.duplicated()]
    totals = joined.groupby("kode_desa")["jumlah"].transform("sum")
    surface = gpd.GeoDataFrame(
        {
            "kode_desa": joined["kode_desa"].to_numpy(),
            "bobot": (joined["jumlah"] / totals).to_numpy(),
        },
        geometry=joined.geometry.to_numpy(),
        crs=desa.crs,
    )
    report = {
        "sumber": source,
        "titik_dibaca": len(raw),
        "titik_dipakai": len(surface),
        "desa_dengan_titik": int(surface["kode_desa"].nunique()),
    }
    if surface.empty:
        raise InputError(source, "tidak ada titik penduduk yang jatuh di dalam desa")
    return surface, report
