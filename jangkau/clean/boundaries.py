"""Boundaries: standard columns, polygon repairs, and agreement between the desa and kecamatan layers."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.threads import map_threads, thread_count
from jangkau.clean.names import match_names, nearest_names
from jangkau.errors import InputError

DESA_COLUMNS = ["kode_desa", "desa", "kode_kec", "kecamatan", "tipe"]


KECAMATAN_COLUMNS = ["kode_kec", "kecamatan"]


REPAIR_COLUMNS = ["sumber", "baris", "kode", "nama", "perbaikan"]


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def settlement_type(code: str, stated: object = None) -> str:
    """Return ``"kelurahan"`` or ``"desa"`` from the stated type, else from the code.

    Kemendagri desa codes end in a 4-digit segment whose first digit is 1 for
    a kelurahan and 2 for a desa.
    """
    text = str(stated).strip().lower() if stated is not None and not pd.isna(stated) else ""
    if text.startswith("kel"):
        return "kelurahan"
    if text.startswith("desa"):
        return "desa"
    last = str(code).rsplit(".", 1)[-1]
    return "kelurahan" if last[:1] == "1" else "desa"


def repair_polygons(
    frame: gpd.GeoDataFrame, *, source: str, code_column: str, name_column: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Make every polygon valid and report each repair.

    Parameters
    ----------
    frame
        Polygons with ``baris`` and the named code and name columns.
    source
        File name, for the report.
    code_column, name_column
        Columns identifying each polygon in the report.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The repaired copy, and one report row per repaired polygon
        (``REPAIR_COLUMNS``).

    Raises
    ------
    InputError
        When a feature has no geometry at all.
    """
    geometry = frame.geometry.to_numpy()
    missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    if missing.any():
        row = int(frame.loc[missing, "baris"].iloc[0])
        raise InputError(source, "poligon wilayah tanpa geometri", row=row)
    invalid = ~shapely.is_valid(geometry)
    reports = []
    if invalid.any():
        reasons = shapely.is_valid_reason(geometry[invalid])
        fixed = shapely.make_valid(geometry[invalid])
        # make_valid may return a collection with stray lines; keep the polygonal part.
        fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
        geometry = geometry.copy()
        geometry[invalid] = fixed
        for (_, row), reason in zip(frame.loc[invalid].iterrows(), reasons, strict=True):
            reports.append(
                {
                    "sumber": source,
                    "baris": int(row["baris"]),
                    "kode": row[code_column],
                    "nama": row[name_column],
                    "perbaikan": f"poligon tidak sah diperbaiki ({reason})",
                }
            )
    repaired = frame.copy()
    repaired = repaired.set_geometry(gpd.GeoSeries(geometry, crs=frame.crs, index=frame.index))
    return repaired, pd.DataFrame(reports, columns=REPAIR_COLUMNS)


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geometry


KOTA_OR_KABUPATEN = re.compile(r"^(kabupaten|kab\.|kota)\s", re.IGNORECASE)


def kabupaten_title(name: object) -> object:
    """Return a kabupaten's name as planners write it: ``Kabupaten Maros``, ``Kota Makassar``.

    RBI layers write a kabupaten bare (``WADMKK`` = ``Maros``) and a city with
    its word (``Kota Makassar``); the wilayah dumps write both in full.
    Missing names stay missing.
    """
    if name is None or pd.isna(name) or not str(name).strip():
        return pd.NA
    text = " ".join(str(name).split())
    return text if KOTA_OR_KABUPATEN.match(text) else f"Kabupaten {text}"


def standardise_desa(
    raw: gpd.GeoDataFrame, *, columns: dict[str, str], source: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return desa polygons with the standard columns, repaired, in EPSG:4326.

    Parameters
    ----------
    raw
        The desa layer as read (``baris`` plus original columns).
    columns
        Original column for each of ``kode_desa``, ``desa``, and optionally
        ``kode_kec``, ``kecamatan``, ``tipe``, ``kode_bps``.
    source
        File name, for messages and the repair report.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        ``DESA_COLUMNS`` (+ ``kode_bps`` when given) and geometry; and the
        polygon repair report.
    """
    for role in ("kode_desa", "desa"):
        if role not in columns or columns[role] not in raw.columns:
            raise InputError(
                source, f"kolom untuk '{role}' tidak ditemukan; sebutkan di berkas wilayah"
            )
    out = pd.DataFrame(index=raw.index)
    out["kode_desa"] = _text(raw[columns["kode_desa"]])
    out["desa"] = _text(raw[columns["desa"]])
    blank = out["kode_desa"].isna() | (out["kode_desa"] == "")
    if blank.any():
        raise InputError(source, "desa tanpa kode", row=int(raw.loc[blank, "baris"].iloc[0]))
    duplicated = out["kode_desa"].duplicated()
    if duplicated.any():
        row = int(raw.loc[duplicated, "baris"].iloc[0])
        code = out.loc[duplicated, "kode_desa"].iloc[0]
        raise InputError(source, f"kode desa {code} muncul lebih dari sekali", row=row)
    if "kode_kec" in columns:
        out["kode_kec"] = _text(raw[columns["kode_kec"]])
    else:
        out["kode_kec"] = out["kode_desa"].str.rsplit(".", n=1).str[0]
    out["kecamatan"] = _text(raw[columns["kecamatan"]]) if "kecamatan" in columns else pd.NA
    stated = raw[columns["tipe"]] if "tipe" in columns else pd.Series(None, index=raw.index)
    out["tipe"] = [settlement_type(c, s) for c, s in zip(out["kode_desa"], stated, strict=True)]
    if "kode_bps" in columns:
        out["kode_bps"] = _text(raw[columns["kode_bps"]])
    if "kabupaten" in columns:
        out["kabupaten"] = raw[columns["kabupaten"]].map(kabupaten_title).astype(object)
    out["baris"] = raw["baris"]
    frame = gpd.GeoDataFrame(out, geometry=raw.geometry.values, crs=raw.crs).to_crs(4326)
    repaired, report = repair_polygons(
        frame, source=source, code_column="kode_desa", name_column="desa"
    )
    return repaired.drop(columns="baris").reset_index(drop=True), report


def standardise_kecamatan(
    raw: gpd.GeoDataFrame, *, columns: dict[str, str], source: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return kecamatan polygons with ``kode_kec``, ``kecamatan``, repaired, in EPSG:4326."""
    if "kode_kec" not in columns and "kecamatan" not in columns:
        raise InputError(source, "kolom kode atau nama kecamatan tidak ditemukan")
    out = pd.DataFrame(index=raw.index)
    out["kode_kec"] = _text(raw[columns["kode_kec"]]) if "kode_kec" in columns else pd.NA
    out["kecamatan"] = _text(raw[columns["kecamatan"]]) if "kecamatan" in columns else pd.NA
    out["baris"] = raw["baris"]
    frame = gpd.GeoDataFrame(out, geometry=raw.geometry.values, crs=raw.crs).to_crs(4326)
    repaired, report = repair_polygons(
        frame, source=source, code_column="kode_kec", name_column="kecamatan"
    )
    return repaired.drop(columns="baris").reset_index(drop=True), report


def derive_kecamatan(desa: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve desa polygons into kecamatan polygons (``kode_kec``, ``kecamatan``).

    With a ``kabupaten`` column in the desa layer, each kecamatan keeps its
    kabupaten's name too.
    """
    names = desa.groupby("kode_kec", sort=True)["kecamatan"].agg(_most_common)
    dissolved = _dissolve(desa, by="kode_kec")
    dissolved["kecamatan"] = names
    columns = ["kode_kec", "kecamatan"]
    if "kabupaten" in desa:
        dissolved["kabupaten"] = desa.groupby("kode_kec", sort=True)["kabupaten"].agg(_most_common)
        columns.append("kabupaten")
    return dissolved.reset_index()[[*columns, "geometry"]]


def _dissolve(frame: gpd.GeoDataFrame, *, by: str) -> gpd.GeoDataFrame:
    """Return ``frame[[by, geometry]].dissolve(by=by, sort=True)``, the unions made on threads.

    Each group's polygons are united by the same GEOS call geopandas makes,
    in the same order, so the shapes are the same; GEOS releases the GIL, so
    the groups share the cores (a province's kecamatan are most of this stage).
    """
    groups = frame.groupby(by, sort=True).indices
    geometries = frame.geometry.to_numpy()
    keys = list(groups)
    chunks = np.array_split(np.arange(len(keys)), max(1, min(thread_count(), len(keys))))

    def unite(chunk: np.ndarray) -> list:
        return [shapely.union_all(geometries[groups[keys[i]]]) for i in chunk]

    united = [shape for part in map_threads(unite, chunks) for shape in part]
    index = frame.groupby(by, sort=True).size().index
    return gpd.GeoDataFrame(
        {"geometry": gpd.GeoSeries(united, index=index, crs=frame.crs)}, crs=frame.crs
    )


def _most_common(values: pd.Series) -> object:
    counts = values.dropna().value_counts()
    return counts.index[0] if len(counts) else pd.NA


def reconcile_kecamatan(
    desa: gpd.GeoDataFrame, kecamatan: gpd.GeoDataFrame | None, *, metric_crs: object, source: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Match a kecamatan layer to the desa layer and measure how far they disagree.

    Codes decide where both layers have them; names otherwise. Kecamatan
    names come from the desa layer (it carries codes and names together);
    where the kecamatan layer spells a name differently, the report says so.
    Without a kecamatan layer, kecamatan are derived from the desa.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        Kecamatan polygons in EPSG:4326 (``kode_kec``, ``kecamatan``,
        ``sumber_geometri``), and one report row per kecamatan:
        ``kode_kec``, ``kecamatan``, ``nama_di_lapisan_kecamatan``,
        ``luas_dari_desa_km2``, ``luas_lapisan_kecamatan_km2``, ``selisih_luas_persen``.

    Raises
    ------
    InputError
        When a kecamatan of the desa layer has no counterpart in the kecamatan layer.
    """
    derived = derive_kecamatan(desa)
    derived_area = derived.to_crs(metric_crs).area / 1e6
    report = pd.DataFrame(
        {
            "kode_kec": derived["kode_kec"],
            "kecamatan": derived["kecamatan"],
            "nama_di_lapisan_kecamatan": pd.NA,
            "luas_dari_desa_km2": derived_area.to_numpy(),
            "luas_lapisan_kecamatan_km2": np.nan,
            "selisih_luas_persen": np.nan,
        }
    )
    if kecamatan is None:
        result = derived.copy()
        result["sumber_geometri"] = "gabungan poligon desa"
        return result, report
    layer = kecamatan.copy()
    by_code = layer["kode_kec"].notna().all() and layer["kode_kec"].isin(derived["kode_kec"]).any()
    if by_code:
        layer_index = dict(zip(layer["kode_kec"], layer.index, strict=True))
        matched = {code: layer_index.get(code) for code in derived["kode_kec"]}
    else:
        mapping = match_names(layer["kecamatan"], derived["kecamatan"].dropna())
        by_name = {
            target: idx
            for idx, target in zip(layer.index, layer["kecamatan"].map(mapping), strict=True)
            if target
        }
        matched = {
            code: by_name.get(name)
            for code, name in zip(derived["kode_kec"], derived["kecamatan"], strict=True)
        }
    missing = [code for code, idx in matched.items() if idx is None]
    if missing:
        names = derived.set_index("kode_kec").loc[missing, "kecamatan"].tolist()
        hint = ", ".join(
            f"{n} (mirip: {', '.join(nearest_names(n, layer['kecamatan'].dropna()))})"
            for n in names
        )
        raise InputError(source, f"kecamatan di lapisan desa tanpa pasangan: {hint}")
    order = [matched[code] for code in derived["kode_kec"]]
    geometry = layer.loc[order].geometry.to_numpy()
    result = gpd.GeoDataFrame(
        {
            "kode_kec": derived["kode_kec"].to_numpy(),
            "kecamatan": derived["kecamatan"].to_numpy(),
            "sumber_geometri": source,
        },
        geometry=geometry,
        crs=4326,
    )
    if "kabupaten" in derived:
        result.insert(2, "kabupaten", derived["kabupaten"].to_numpy())
    layer_area = result.to_crs(metric_crs).area.to_numpy() / 1e6
    report["nama_di_lapisan_kecamatan"] = layer.loc[order, "kecamatan"].to_numpy()
    report["luas_lapisan_kecamatan_km2"] = layer_area
    report["selisih_luas_persen"] = (
        100 * np.abs(layer_area - report["luas_dari_desa_km2"]) / report["luas_dari_desa_km2"]
    )
    return result, report
