"""Turn asset records as delivered into placed facilities, or reject them with a reason.

Every record that enters :func:`place_assets` leaves it exactly once: in the
placed frame (with the repairs applied listed in ``perbaikan``) or in the
rejected frame (with ``alasan``).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.crs import require_metric
from jangkau.clean.coords import parse_coordinate, parse_pair
from jangkau.clean.locate import find_written_locations, locate_records, reread_metre_pairs
from jangkau.clean.names import name_key, stated_kecamatan_agrees
from jangkau.clean.place_evidence import doubted_locations
from jangkau.config.catalogue import KindTable
from jangkau.errors import InputError
from jangkau.io.read import records_as_text

STANDARD_COLUMNS = [
    "sumber",
    "baris",
    "nama",
    "jenis_tertulis",
    "id_aset",
    "desa_tertulis",
    "kecamatan_tertulis",
    "alamat_tertulis",
    "lintang_terbaca",
    "bujur_terbaca",
    "koordinat_tertulis",
    "perbaikan_terbaca",
    "data_asli",
]
PLACED_COLUMNS = [
    "layanan",
    "jenis",
    "nama",
    "kode_desa",
    "desa",
    "kode_kec",
    "kecamatan",
    "sumber",
    "baris",
    "perbaikan",
    "catatan",
    "id_aset",
    "lokasi_diragukan",
    "kecamatan_tertulis",
]
# Not in the aset layer: what the quality report and the gap table need of doubted points.
DOUBT_DETAIL_COLUMNS = ["tempat_tertulis", "jarak_tempat_tertulis_m"]
# ``nama`` and ``id_aset`` (as read) let whoever fixes the source file find the record.
REJECTED_COLUMNS = ["sumber", "baris", "nama", "id_aset", "alasan", "data_asli"]


def standardise_assets(
    raw: pd.DataFrame, *, columns: dict[str, str], source: str, default_jenis: str | None = None
) -> pd.DataFrame:
    """Bring one asset file's records to the standard columns.

    Coordinates are parsed here (latitude and longitude as written; which is
    which is decided by :func:`place_assets`). Vector geometry is taken in
    EPSG:4326. Where the location cannot be read, a map link or metres
    naming their UTM zone in any cell of the record are read instead, and
    noted in ``perbaikan_terbaca``.

    Parameters
    ----------
    raw
        Records as read by :mod:`jangkau.io.read` (with ``baris``; a geometry
        column for vector files).
    columns
        Original column for each role: ``lintang``, ``bujur`` or
        ``koordinat`` (unless the file has geometry), ``nama``, ``jenis``,
        ``id``, ``desa``, ``kecamatan``, ``alamat``.
    source
        File name, recorded as ``sumber``.
    default_jenis
        Kind for every record of a file that lists one kind only.

    Raises
    ------
    InputError
        When the file has no location column or neither a name nor a kind.
    """
    has_geometry = isinstance(raw, gpd.GeoDataFrame)
    if (
        not has_geometry
        and "koordinat" not in columns
        and not ("lintang" in columns and "bujur" in columns)
    ):
        raise InputError(source, "kolom koordinat tidak ditemukan (lintang/bujur atau Koordinat)")
    if "jenis" not in columns and default_jenis is None:
        raise InputError(source, "kolom jenis aset tidak ditemukan; isi 'jenis' di berkas wilayah")
    for role, column in columns.items():
        if column not in raw.columns:
            raise InputError(source, f"kolom '{column}' (untuk {role}) tidak ada di berkas")

    def column(role: str) -> pd.Series:
        if role in columns:
            return raw[columns[role]].astype("string").str.strip()
        return pd.Series(pd.NA, index=raw.index, dtype="string")

    out = pd.DataFrame(index=raw.index)
    out["sumber"] = source
    out["baris"] = raw["baris"].astype("int64")
    out["nama"] = column("nama")
    out["jenis_tertulis"] = column("jenis") if "jenis" in columns else default_jenis
    out["id_aset"] = column("id")
    out["desa_tertulis"] = column("desa")
    out["kecamatan_tertulis"] = column("kecamatan")
    out["alamat_tertulis"] = column("alamat")
    if has_geometry:
        geometry = raw.geometry.to_crs(4326) if raw.crs is not None else raw.geometry
        values = geometry.to_numpy()
        missing = shapely.is_missing(values) | shapely.is_empty(values)
        points = shapely.point_on_surface(np.where(missing, None, values))
        out["lintang_terbaca"] = np.where(missing, np.nan, shapely.get_y(points))
        out["bujur_terbaca"] = np.where(missing, np.nan, shapely.get_x(points))
        out["koordinat_tertulis"] = np.where(missing, "", "geometri")
    elif "koordinat" in columns:
        text = raw[columns["koordinat"]]
        pairs = [parse_pair(v) for v in text]
        out["lintang_terbaca"] = [p[0] for p in pairs]
        out["bujur_terbaca"] = [p[1] for p in pairs]
        out["koordinat_tertulis"] = text.fillna("").astype(str)
    else:
        lat_text, lon_text = raw[columns["lintang"]], raw[columns["bujur"]]
        out["lintang_terbaca"] = [parse_coordinate(v) for v in lat_text]
        out["bujur_terbaca"] = [parse_coordinate(v) for v in lon_text]
        out["koordinat_tertulis"] = [
            "" if _blank(a) and _blank(b) else f"{a or ''}; {b or ''}"
            for a, b in zip(lat_text, lon_text, strict=True)
        ]
    out["perbaikan_terbaca"] = ""
    if not has_geometry and "koordinat" not in columns:
        out["lintang_terbaca"], out["bujur_terbaca"] = reread_metre_pairs(
            raw[columns["lintang"]],
            raw[columns["bujur"]],
            out["lintang_terbaca"],
            out["bujur_terbaca"],
        )
    _read_map_links(raw, columns, out)
    out["data_asli"] = records_as_text(raw)
    return out[STANDARD_COLUMNS].reset_index(drop=True)


def _read_map_links(raw: pd.DataFrame, columns: dict[str, str], out: pd.DataFrame) -> None:
    """Fill coordinates from map links where the location could not be read (in place)."""
    unread = np.flatnonzero(
        np.isnan(out["lintang_terbaca"].to_numpy(dtype=float))
        | np.isnan(out["bujur_terbaca"].to_numpy(dtype=float))
    )
    if len(unread) == 0:
        return
    location = [columns[r] for r in ("lintang", "bujur", "koordinat") if r in columns]
    found = find_written_locations(raw, location_columns=location, rows=unread)
    for row, (lat, lon, text, note) in found.items():
        out.iloc[row, out.columns.get_loc("lintang_terbaca")] = lat
        out.iloc[row, out.columns.get_loc("bujur_terbaca")] = lon
        out.iloc[row, out.columns.get_loc("koordinat_tertulis")] = text
        out.iloc[row, out.columns.get_loc("perbaikan_terbaca")] = note


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()
    )


def place_assets(
    assets: pd.DataFrame,
    *,
    desa: gpd.GeoDataFrame,
    kinds: KindTable,
    tolerance_m: float = 100.0,
    duplicate_distance_m: float = 50.0,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Locate, repair, classify and de-duplicate standardised asset records.

    A reading is accepted when it falls inside a desa polygon, or within
    ``tolerance_m`` of one (simplified boundaries leave slivers along coasts
    and between desa; such points are assigned to the nearest desa and noted,
    never moved). When the coordinates as written fall outside, the swapped
    and sign-repaired readings are tried, and the first that falls inside is
    kept with the repair recorded; otherwise the record is rejected: the
    true place is unknown. Numbers too large for degrees are read as UTM
    metres in the region's zone or a neighbouring one, either column order,
    and kept only when exactly one reading falls inside
    (:func:`jangkau.clean.locate.locate_records`).

    Parameters
    ----------
    assets
        Output of :func:`standardise_assets`, any number of files concatenated.
    desa
        Desa polygons in a metric CRS with ``kode_desa``, ``desa``,
        ``kode_kec``, ``kecamatan``.
    kinds
        Kind table deciding ``jenis`` and ``layanan``.
    tolerance_m, duplicate_distance_m
        Distance within which a point outside every desa is still placed, and
        within which two records of the same service and name are one facility.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        Placed facilities (``PLACED_COLUMNS``, ``DOUBT_DETAIL_COLUMNS`` and
        ``koordinat_tertulis``, points in EPSG:4326; ``lokasi_diragukan`` from
        :func:`jangkau.clean.place_evidence.doubted_locations`) and
        rejected records (``REJECTED_COLUMNS``), together exactly the input records.
    """
    require_metric(desa, "desa")
    records = assets.reset_index(drop=True)
    reason = pd.Series(pd.NA, index=records.index, dtype="string")

    classified = [kinds.classify(v) for v in records["jenis_tertulis"]]
    jenis = pd.Series([c[0] if c else None for c in classified], dtype="string")
    layanan = pd.Series([c[1] if c else None for c in classified], dtype="string")
    unknown = (
        jenis.isna()
        & records["jenis_tertulis"].notna()
        & (records["jenis_tertulis"].astype(str).str.strip() != "")
    )
    jenis[unknown] = records.loc[unknown, "jenis_tertulis"].astype(str).str.strip()
    layanan[unknown] = "lainnya"
    reason[jenis.isna()] = "jenis aset kosong"

    lat = records["lintang_terbaca"].to_numpy(dtype=float)
    lon = records["bujur_terbaca"].to_numpy(dtype=float)
    written = records["koordinat_tertulis"].fillna("").astype(str).str.strip()
    empty = (written == "") | (written == ";")
    reason[reason.isna() & empty.to_numpy()] = "koordinat kosong"
    unreadable = ~empty.to_numpy() & (np.isnan(lat) | np.isnan(lon))
    reason[reason.isna() & unreadable] = [
        f"koordinat tidak terbaca: '{t}'" for t in written[reason.isna() & unreadable]
    ]
    zero = (lat == 0) | (lon == 0)
    reason[reason.isna() & zero] = "koordinat bernilai 0 (tidak diisi)"

    pending = reason.isna().to_numpy()
    located = locate_records(lat, lon, pending, desa=desa, tolerance_m=tolerance_m)
    for row, why in located.reasons.items():
        reason[row] = why
    chosen, distance = located.chosen, located.distance
    point_x, point_y = located.x, located.y
    repairs = np.array(
        [
            "; ".join(part for part in (read, found) if part)
            for read, found in zip(
                records["perbaikan_terbaca"].fillna("").astype(str), located.repairs, strict=True
            )
        ],
        dtype=object,
    )

    placed_mask = reason.isna().to_numpy()
    placed_rows = np.flatnonzero(placed_mask)
    desa_rows = desa.iloc[chosen[placed_rows]]
    placed = pd.DataFrame(
        {
            "layanan": layanan.to_numpy()[placed_rows],
            "jenis": jenis.to_numpy()[placed_rows],
            "nama": records["nama"].to_numpy()[placed_rows],
            "kode_desa": desa_rows["kode_desa"].to_numpy(),
            "desa": desa_rows["desa"].to_numpy(),
            "kode_kec": desa_rows["kode_kec"].to_numpy(),
            "kecamatan": desa_rows["kecamatan"].to_numpy(),
            "sumber": records["sumber"].to_numpy()[placed_rows],
            "baris": records["baris"].to_numpy()[placed_rows],
            "perbaikan": repairs[placed_rows],
            "catatan": [
                f"di luar poligon desa, {distance[i]:.0f} m dari desa terdekat"
                if distance[i] > 0
                else ""
                for i in placed_rows
            ],
            "id_aset": records["id_aset"].to_numpy()[placed_rows],
            "kecamatan_tertulis": records["kecamatan_tertulis"].to_numpy()[placed_rows],
            "desa_tertulis": _optional_column(records, "desa_tertulis")[placed_rows],
            "alamat_tertulis": _optional_column(records, "alamat_tertulis")[placed_rows],
            "koordinat_tertulis": records["koordinat_tertulis"].to_numpy()[placed_rows],
            "_input": placed_rows,
        }
    )
    placed = gpd.GeoDataFrame(
        placed,
        geometry=gpd.points_from_xy(point_x[placed_rows], point_y[placed_rows]),
        crs=4326,
    )
    doubts = doubted_locations(placed, desa=desa)
    placed[DOUBT_DETAIL_COLUMNS] = doubts[DOUBT_DETAIL_COLUMNS]
    placed["lokasi_diragukan"] = doubts["lokasi_diragukan"].astype(bool)
    placed["catatan"] = _join_notes(
        placed["catatan"], _place_name_notes(placed), doubts["catatan_lokasi"]
    )

    placed, duplicates = mark_duplicates(
        placed, metric_crs=desa.crs, distance_m=duplicate_distance_m
    )
    reason[duplicates.index.to_numpy()] = duplicates.to_numpy()

    rejected_rows = np.flatnonzero(reason.notna().to_numpy())
    rejected = pd.DataFrame(
        {
            "sumber": records["sumber"].to_numpy()[rejected_rows],
            "baris": records["baris"].to_numpy()[rejected_rows],
            "nama": records["nama"].to_numpy()[rejected_rows],
            "id_aset": records["id_aset"].to_numpy()[rejected_rows],
            "alasan": reason.to_numpy()[rejected_rows],
            "data_asli": records["data_asli"].to_numpy()[rejected_rows],
        },
        columns=REJECTED_COLUMNS,
    )
    placed = placed.drop(columns="_input").reset_index(drop=True)
    # The location as written stays beside the one used, for the quality report's repairs.
    return placed[
        [*PLACED_COLUMNS, *DOUBT_DETAIL_COLUMNS, "koordinat_tertulis", "geometry"]
    ], rejected


def _optional_column(records: pd.DataFrame, column: str) -> np.ndarray:
    """Return a column of the records, or an empty one where an older frame lacks it."""
    if column in records:
        return records[column].to_numpy(dtype=object)
    return np.full(len(records), None, dtype=object)


def _place_name_notes(placed: pd.DataFrame) -> pd.Series:
    """Note where a record's stated kecamatan disagrees with where its point lies.

    A former name, another spelling, or the kecamatan a place belonged to
    before a split (``riwayat_kecamatan.toml``) agrees: those are not errors.
    """
    # A file without a kecamatan column gives NA, which states nothing.
    stated = placed["kecamatan_tertulis"].astype(object).where(placed["kecamatan_tertulis"].notna())
    triples = list(zip(stated, placed["kode_kec"], placed["kecamatan"], strict=True))
    # Few distinct (written, located) pairs even in a province: judge each once.
    agrees = {t: stated_kecamatan_agrees(*t) for t in set(triples)}
    differs = pd.Series([not agrees[t] for t in triples], index=placed.index, dtype=bool)
    notes = pd.Series("", index=placed.index, dtype=object)
    notes[differs] = [
        f"kecamatan tertulis '{s}' berbeda dengan lokasi titik ({k}); lokasi dipakai"
        for s, k in zip(
            placed.loc[differs, "kecamatan_tertulis"], placed.loc[differs, "kecamatan"], strict=True
        )
    ]
    return notes


def _join_notes(*parts: pd.Series) -> pd.Series:
    frame = pd.concat(parts, axis=1).fillna("")
    columns = [frame[column].to_numpy(dtype=object) for column in frame.columns]
    joined = ["; ".join(v for v in row if v) for row in zip(*columns, strict=True)]
    return pd.Series(joined, index=frame.index, dtype=object)


def mark_duplicates(
    placed: gpd.GeoDataFrame, *, metric_crs: object, distance_m: float = 50.0
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Keep one record per facility; return the others' reasons by input position.

    Two records are one facility when they share an id (NPSN or similar) in
    the same file, or have the same service and normalised name and lie
    within ``distance_m`` of each other. Of each group the record with the
    fewest repairs, then the earliest, is kept.

    Returns
    -------
    (GeoDataFrame, Series)
        The kept records, and for each dropped record (indexed by ``_input``)
        an ``alasan`` starting ``duplikat`` that names the kept record.
    """
    order = placed.assign(_repairs=(placed["perbaikan"] != "").astype(int)).sort_values(
        ["_repairs", "sumber", "baris"], kind="stable"
    )
    metric = order.to_crs(metric_crs)
    x = shapely.get_x(metric.geometry.to_numpy())
    y = shapely.get_y(metric.geometry.to_numpy())
    reasons: dict[int, str] = {}
    kept_by_id: dict[tuple[str, str], int] = {}
    kept_by_name: dict[tuple[str, str], list[int]] = {}
    # Plain object arrays: iterating Arrow-backed strings one by one is slow in a province.
    sources = order["sumber"].to_numpy(dtype=object)
    label = {
        i: f"{s} baris {b}"
        for i, s, b in zip(order.index, sources, order["baris"].to_numpy(), strict=True)
    }
    columns = zip(
        order.index,
        order["id_aset"].to_numpy(dtype=object),
        sources,
        order["layanan"].to_numpy(dtype=object),
        order["nama"].to_numpy(dtype=object),
        strict=True,
    )
    for position, (index, identifier, source, service, nama) in enumerate(columns):
        identifier = "" if identifier is None or pd.isna(identifier) else str(identifier).strip()
        if identifier:
            key = (source, identifier)
            if key in kept_by_id:
                kept = kept_by_id[key]
                reasons[index] = f"duplikat dari {label[kept]} (id sama: {key[1]})"
                continue
        name = (service, name_key(nama))
        near = None
        if name[1]:
            for other in kept_by_name.get(name, []):
                gap = math.hypot(x[position] - x[other], y[position] - y[other])
                if gap <= distance_m:
                    near = (other, gap)
                    break
        if near is not None:
            kept = order.index[near[0]]
            reasons[index] = f"duplikat dari {label[kept]} (nama sama, berjarak {near[1]:.0f} m)"
            continue
        if identifier:
            kept_by_id[(source, identifier)] = index
        kept_by_name.setdefault(name, []).append(position)
    dropped = pd.Series(reasons, dtype=object)
    kept = placed.drop(index=list(reasons)).sort_values(["sumber", "baris"], kind="stable")
    by_input = pd.Series(
        dropped.to_numpy(), index=placed.loc[dropped.index, "_input"].to_numpy(), dtype=object
    )
    return kept, by_input
