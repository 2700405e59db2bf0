"""Population: counts as typed, tables joined to desa by code or name, and the finer surface."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.clean.counts import parse_count, parse_counts
from jangkau.clean.names import name_key, nearest_names
from jangkau.clean.population_kecamatan import (
    MATCH_COLUMNS,
    largest_remainder,
    spread_kecamatan_totals,
)
from jangkau.errors import InputError

__all__ = ["attach_population", "largest_remainder", "parse_count", "population_surface"]


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def _row_numbers(table: pd.DataFrame) -> list[int]:
    if "baris" in table:
        return table["baris"].tolist()
    return list(range(1, len(table) + 1))


def _check_columns(
    table: pd.DataFrame, *, columns: dict[str, str], level: str | None, source: str
) -> None:
    """Refuse, in one line, a table whose value or place columns are missing."""
    if "value" not in columns:
        raise InputError(
            source, "kolom jumlah penduduk tidak dikenali; isi 'columns.value' di berkas wilayah"
        )
    absent = [c for c in columns.values() if c not in table.columns]
    if absent:
        raise InputError(
            source,
            f"kolom '{absent[0]}' tidak ada di berkas (kolom: {', '.join(map(str, table.columns))})",
        )
    places = ("kode_desa", "desa") if level == "desa" else ("kode_kec", "kecamatan")
    if not any(role in columns for role in places):
        raise InputError(
            source,
            f"kolom {' atau '.join(places)} tidak dikenali untuk tabel penduduk per "
            f"{level or 'kecamatan'}; isi 'columns' di berkas wilayah",
        )


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

    Counts are read column by column (:func:`jangkau.clean.counts.parse_counts`).
    Per-desa tables join by code, or by desa and kecamatan name when they
    carry no code. Per-kecamatan tables (BPS style, names only) join by
    kecamatan code or name, and each kecamatan total is spread over its desa
    in proportion to area, rounded so that the desa sum to the total; a
    kecamatan formed after the table's year shares its parent's figure (see
    :func:`jangkau.clean.population_kecamatan.spread_kecamatan_totals`).

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The desa with ``penduduk`` (int), ``sumber_penduduk`` and
        ``catatan_penduduk`` (empty unless a figure was shared after a
        split); and a report of name reconciliations (``sumber``,
        ``nama_di_berkas``, ``dicocokkan_dengan``).

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
    _check_columns(table, columns=columns, level=level, source=source)
    values = parse_counts(table[columns["value"]], source=source, row_numbers=_row_numbers(table))
    unreadable = values.isna()
    if unreadable.any():
        raise InputError(
            source,
            f"angka penduduk kosong di kolom '{columns['value']}'",
            row=int(_row_numbers(table)[int(np.flatnonzero(unreadable.to_numpy())[0])]),
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
        result["catatan_penduduk"] = ""
        return result, pd.DataFrame(
            matches, columns=["sumber", "nama_di_berkas", "dicocokkan_dengan"]
        )

    # Kecamatan totals spread over desa by area (and over split kecamatan).
    spread, kecamatan_matches = spread_kecamatan_totals(
        result, table, values, columns=columns, metric_crs=metric_crs, source=source
    )
    return spread, pd.concat(
        [pd.DataFrame(matches, columns=MATCH_COLUMNS), kecamatan_matches], ignore_index=True
    )


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
    # Modelled surfaces hold fractional people per point: weights, not whole counts.
    counts = parse_counts(
        raw[columns["jumlah"]], source=source, row_numbers=_row_numbers(raw), whole=False
    ).to_numpy(dtype=float)
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
