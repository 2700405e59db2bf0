"""Line and polygon assets: split from points, repaired, clipped to the region, placed.

Asset files may hold points, lines and polygons, even mixed in one file.
:func:`split_by_geometry` sends each record to one of the three; points go
on to :func:`jangkau.clean.assets.place_assets`, lines and polygons to
:func:`place_shapes`. Every record of a file leaves exactly once: placed
(``aset``, ``aset_garis`` or ``aset_area``, repairs in ``perbaikan``) or
rejected with ``alasan``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.crs import require_metric
from jangkau.clean.assets import PLACED_COLUMNS, REJECTED_COLUMNS
from jangkau.config.catalogue import KindTable
from jangkau.io.read import records_as_text

LINE, AREA, POINT = "garis", "area", "titik"
SHAPE_COLUMNS = {LINE: "panjang_km", AREA: "luas_ha"}
# Shares of length or area lost to clipping below this are float noise along the border.
_CLIP_NOTE_SHARE = 0.001
_NAMES = {LINE: "garis", AREA: "poligon"}


def geometry_class(geometries: np.ndarray) -> np.ndarray:
    """Return ``titik``, ``garis`` or ``area`` per geometry (missing and empty: ``titik``).

    A geometry collection takes the class of its highest-dimension part; the
    lower parts are dropped by :func:`place_shapes`, which records it.
    """
    geometries = np.asarray(geometries, dtype=object)
    out = np.full(len(geometries), POINT, dtype=object)
    present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    dimension = np.full(len(geometries), -1)
    dimension[present] = shapely.get_dimensions(geometries[present])
    out[dimension == 1] = LINE
    out[dimension == 2] = AREA
    return out


def split_by_geometry(raw: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Split one file's records into points, lines and polygons (``baris`` kept)."""
    classes = geometry_class(raw.geometry.to_numpy())
    return {kind: raw[classes == kind] for kind in (POINT, LINE, AREA) if (classes == kind).any()}


def _highest_parts(geometry: shapely.Geometry, dimension: int) -> shapely.Geometry:
    """Return the parts of ``geometry`` of ``dimension`` (a collection's others dropped)."""
    parts = shapely.get_parts(geometry)
    kept = parts[shapely.get_dimensions(parts) == dimension]
    return shapely.union_all(kept) if len(kept) != 1 else kept[0]


def _repair(
    geometry: shapely.Geometry, kind: str
) -> tuple[shapely.Geometry | None, list[str], str]:
    """Return the repaired geometry, the repairs made, and a rejection reason ('' if none)."""
    dimension = 1 if kind == LINE else 2
    repairs: list[str] = []
    if shapely.get_type_id(geometry) == 7:  # GeometryCollection
        repairs.append(f"koleksi geometri campuran: hanya bagian {_NAMES[kind]} dipakai")
        geometry = _highest_parts(geometry, dimension)
    before = shapely.get_num_coordinates(geometry)
    geometry = shapely.remove_repeated_points(geometry, tolerance=0.0)
    removed = before - shapely.get_num_coordinates(geometry)
    if removed:
        repairs.append(f"{removed} titik sudut berulang dihapus")
    if kind == LINE:
        if shapely.length(geometry) == 0:
            return None, repairs, "garis panjang nol (semua titik sudut sama)"
        if not shapely.is_simple(geometry):
            repairs.append(
                "garis memotong atau menumpuk dirinya sendiri (bagian yang menumpuk dihitung sekali)"
            )
        return geometry, repairs, ""
    if not shapely.is_valid(geometry):
        reason = shapely.is_valid_reason(geometry)
        geometry = _highest_parts(shapely.make_valid(geometry), 2)
        repairs.append(f"poligon tidak valid diperbaiki ({reason})")
    if shapely.is_empty(geometry) or shapely.area(geometry) == 0:
        return None, repairs, "poligon luas nol"
    return geometry, repairs, ""


def _measure(geometry: np.ndarray, kind: str) -> np.ndarray:
    return shapely.length(geometry) if kind == LINE else shapely.area(geometry)


def _clip_to_desa(
    shapes: np.ndarray, desa: gpd.GeoDataFrame, kind: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each shape clipped to the desa, the desa row holding most of it, and the kept share.

    Shapes wholly outside get ``None``, row -1 and share 0.
    """
    polygons = desa.geometry.to_numpy()
    shape_index, desa_index = shapely.STRtree(polygons).query(shapes, predicate="intersects")
    pieces = shapely.intersection(shapes[shape_index], polygons[desa_index])
    amount = _measure(pieces, kind)
    clipped = np.full(len(shapes), None, dtype=object)
    owner = np.full(len(shapes), -1)
    kept = np.zeros(len(shapes))
    # Measured as dissolved, like the clipped part: a line doubling back is not "cut off".
    total = _measure(shapely.union(shapes, shapes), kind)
    positive = amount > 0
    shape_index, desa_index = shape_index[positive], desa_index[positive]
    pieces, amount = pieces[positive], amount[positive]
    # Pieces grouped by shape in their query order (a stable sort): plain arrays, since a
    # pandas group per shape costs more than the geometry for ten thousand lines.
    order = np.argsort(shape_index, kind="stable")
    grouped = shape_index[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(order) else []
    ends = np.r_[starts[1:], len(order)] if len(order) else []
    dimension = 1 if kind == LINE else 2
    for start, end in zip(starts, ends, strict=True):
        members = order[start:end]
        shape = grouped[start]
        owner[shape] = desa_index[members[np.argmax(amount[members])]]
        # Pieces along a shared border appear in both desa: the union counts them once.
        clipped[shape] = _highest_parts(shapely.union_all(pieces[members]), dimension)
    done = owner >= 0
    if done.any():
        kept[done] = np.minimum(1.0, _measure(clipped[done], kind) / total[done])
    return clipped, owner, kept


def place_shapes(
    raw: gpd.GeoDataFrame,
    *,
    kind: str,
    columns: dict[str, str],
    source: str,
    desa: gpd.GeoDataFrame,
    kinds: KindTable,
    default_jenis: str | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Repair, clip, classify and place the line (``garis``) or polygon (``area``) records of a file.

    Repeated vertices are removed, invalid polygons repaired with
    ``make_valid`` (the reason GEOS gives is recorded), geometry collections
    keep their parts of the record's class; zero-length lines and zero-area
    polygons are rejected. Parts outside every desa are cut off and the share
    cut is recorded; a record wholly outside is rejected. A record belongs to
    the desa holding most of its length or area.

    Parameters
    ----------
    raw
        The file's records of one class (from :func:`split_by_geometry`), with ``baris``.
    kind
        ``garis`` or ``area``.
    columns
        Original column per role (``nama``, ``jenis``, ``id``, ``kecamatan``).
    source
        File name, recorded as ``sumber``.
    desa
        Desa polygons in the run's metric CRS (``kode_desa``, ``desa``, ``kode_kec``, ``kecamatan``).
    kinds
        Kind table deciding ``jenis`` and ``layanan``.
    default_jenis
        Kind for every record of a file that lists one kind only.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        Placed records (``PLACED_COLUMNS`` plus ``panjang_km`` or ``luas_ha``,
        EPSG:4326) and rejected ones (``REJECTED_COLUMNS``), together exactly the input.
    """
    require_metric(desa, "desa")
    records = raw.reset_index(drop=True)

    def column(role: str) -> np.ndarray:
        if role in columns and columns[role] in records:
            values = records[columns[role]].astype("string").str.strip()
            return values.astype(object).where(values.notna(), None).to_numpy()
        return np.full(len(records), None, dtype=object)

    written_kind = column("jenis") if "jenis" in columns else np.full(len(records), default_jenis)
    classified = [kinds.classify(v) for v in written_kind]
    jenis = np.array([c[0] if c else None for c in classified], dtype=object)
    layanan = np.array([c[1] if c else None for c in classified], dtype=object)
    for i, text in enumerate(written_kind):
        if jenis[i] is None and text is not None and str(text).strip():
            jenis[i], layanan[i] = str(text).strip(), "lainnya"

    geometry = records.geometry.to_crs(desa.crs) if records.crs else records.geometry
    if records.crs is None:
        geometry = gpd.GeoSeries(geometry, crs=4326).to_crs(desa.crs)
    shapes = np.full(len(records), None, dtype=object)
    repairs: list[list[str]] = [[] for _ in range(len(records))]
    reason = np.full(len(records), "", dtype=object)
    for i, shape in enumerate(geometry.to_numpy()):
        if jenis[i] is None:
            reason[i] = "jenis aset kosong"
            continue
        shapes[i], repairs[i], reason[i] = _repair(shape, kind)
    usable = np.flatnonzero(reason == "")
    clipped, owner, kept = _clip_to_desa(shapes[usable].astype(object), desa, kind)
    for position, row in enumerate(usable):
        if owner[position] < 0:
            reason[row] = (
                f"{_NAMES[kind]} seluruhnya di luar wilayah (tidak menyentuh desa mana pun)"
            )
        elif kept[position] < 1 - _CLIP_NOTE_SHARE:
            repairs[row].append(
                f"dipotong di batas wilayah: {100 * (1 - kept[position]):.1f} % "
                f"{'panjang' if kind == LINE else 'luas'} di luar dibuang"
            )
        shapes[row] = clipped[position]
    placed_rows = np.flatnonzero(reason == "")
    owner_of = dict(zip(usable, owner, strict=True))
    desa_rows = desa.iloc[[owner_of[r] for r in placed_rows]]
    measure = _measure(shapes[placed_rows].astype(object), kind)
    placed = gpd.GeoDataFrame(
        {
            "layanan": layanan[placed_rows],
            "jenis": jenis[placed_rows],
            "nama": column("nama")[placed_rows],
            "kode_desa": desa_rows["kode_desa"].to_numpy(),
            "desa": desa_rows["desa"].to_numpy(),
            "kode_kec": desa_rows["kode_kec"].to_numpy(),
            "kecamatan": desa_rows["kecamatan"].to_numpy(),
            "sumber": source,
            "baris": records["baris"].to_numpy(dtype="int64")[placed_rows],
            "perbaikan": ["; ".join(repairs[r]) for r in placed_rows],
            "catatan": "",
            "id_aset": column("id")[placed_rows],
            "lokasi_diragukan": False,
            "kecamatan_tertulis": column("kecamatan")[placed_rows],
            SHAPE_COLUMNS[kind]: measure / (1_000.0 if kind == LINE else 10_000.0),
        },
        geometry=gpd.GeoSeries(shapes[placed_rows], crs=desa.crs).to_crs(4326).to_numpy(),
        crs=4326,
    )
    rejected_rows = np.flatnonzero(reason != "")
    text = records_as_text(records.iloc[rejected_rows]) if len(rejected_rows) else []
    rejected = pd.DataFrame(
        {
            "sumber": source,
            "baris": records["baris"].to_numpy(dtype="int64")[rejected_rows],
            "nama": column("nama")[rejected_rows],
            "id_aset": column("id")[rejected_rows],
            "alasan": reason[rejected_rows],
            "data_asli": list(text),
        },
        columns=REJECTED_COLUMNS,
    )
    return placed[[*PLACED_COLUMNS, SHAPE_COLUMNS[kind], "geometry"]], rejected
