"""The map page's view of the whole asset inventory: every class, coloured by condition.

Points travel in the facility rows the page carries anyway (see
``ASSET_FIELDS``: ``sumber``, ``kondisi`` and ``status`` are indexes into
this view's tables). Lines and polygons
(``aset_garis``, ``aset_area``) are simplified by the page's tolerance and
written compactly, because a province holds thousands of them: coordinates
as integers of 1e-5 degree (about 1 m), each after the first as the
difference from the one before, so most take two or three digits. The page
draws them only when the view is switched on (``peta_aset.js``).
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.clean.condition import CONDITIONS, STATUSES
from jangkau.config.catalogue import service_radius
from jangkau.publish.webtext import page_text

# An asset row on the page: [lat, lon, service index (-1: not in the catalogue), name,
# index into ``jenis``, index into ``desa_aset``, standard radius (m), identifier
# (NPSN...), note when its location is doubted, index into ``inventaris.sumber``,
# condition and operating status (indexes, see jangkau.publish.webinventory)];
# trailing blank fields are left out.
ASSET_FIELDS = [
    *("lat", "lon", "layanan", "nama", "jenis", "desa", "radius", "id", "diragukan"),
    *("sumber", "kondisi", "status"),
]

# A line or polygon on the page: [type ("g" line, "a" polygon), index into ``jenis``,
# index into ``sumber``, name, parts, condition index, status index]; trailing blanks
# are left out. Parts of a line: flat delta lists [x0, y0, dx1, dy1, ...] per part;
# of a polygon: per polygon a list of such rings (exterior first).
SHAPE_FIELDS = ["tipe", "jenis", "sumber", "nama", "bagian", "kondisi", "status"]
_SCALE = 1e5


class Lookup:
    """Numbers the distinct texts it is given, in the order first seen."""

    def __init__(self, texts: list[str] | None = None) -> None:
        self.index: dict[str, int] = {}
        for text in texts or []:
            self.number(text)

    def number(self, text: str) -> int:
        """Return the text's number, giving it the next one when new."""
        return self.index.setdefault(text, len(self.index))

    @property
    def texts(self) -> list[str]:
        """The texts in number order."""
        return list(self.index)


def condition_index(value: object) -> int | None:
    """Return the position of a condition in ``CONDITIONS``; None when empty or unknown."""
    return CONDITIONS.index(value) if value in CONDITIONS else None


def status_index(value: object) -> int | None:
    """Return the position of an operating status in ``STATUSES``; None when empty."""
    return STATUSES.index(value) if value in STATUSES else None


def column_or_blank(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return ``frame[column]``, or empty texts when a layer has no such column."""
    if column in frame:
        return frame[column].astype(object).where(frame[column].notna(), "")
    return pd.Series("", index=frame.index, dtype=object)


def _delta(ring: np.ndarray) -> list[int]:
    """Return a coordinate sequence as integer 1e-5 degree steps, flat: x0, y0, dx1, dy1, ..."""
    whole = np.round(np.asarray(ring)[:, :2] * _SCALE).astype(np.int64)
    steps = np.diff(whole, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return steps.ravel().tolist()


def _parts(geometry: shapely.Geometry) -> list:
    if geometry.geom_type in ("LineString", "MultiLineString"):
        return [_delta(shapely.get_coordinates(line)) for line in shapely.get_parts(geometry)]
    return [
        [
            _delta(shapely.get_coordinates(polygon.exterior)),
            *(_delta(shapely.get_coordinates(ring)) for ring in polygon.interiors),
        ]
        for polygon in shapely.get_parts(geometry)
    ]


def _web_shapes(frame: gpd.GeoDataFrame, *, metric_crs: object, tolerance_m: float) -> list:
    """Simplify for the page; a shape the tolerance would erase keeps its own outline."""
    original = frame.geometry.to_crs(metric_crs)
    simplified = original.simplify(tolerance_m, preserve_topology=True)
    kept = simplified.where(~simplified.is_empty, original)
    return list(gpd.GeoSeries(kept, crs=metric_crs).to_crs(4326))


def shape_rows(
    shapes: list[gpd.GeoDataFrame],
    *,
    kinds: Lookup,
    sources: Lookup,
    metric_crs: object,
    tolerance_m: float,
) -> list[list]:
    """Return the lines and polygons of the inventory as page rows (see ``SHAPE_FIELDS``).

    Parameters
    ----------
    shapes
        The ``aset_garis`` and ``aset_area`` layers (any CRS), with ``jenis``,
        ``nama``, ``sumber`` and, when written, ``kondisi`` and ``status_operasi``.
    kinds, sources
        The page's tables of class and source names; new names are added.
    metric_crs, tolerance_m
        Simplification in metres, as for the kecamatan and desa polygons.
    """
    rows: list[list] = []
    for frame in shapes:
        if frame is None or not len(frame):
            continue
        geometries = _web_shapes(frame, metric_crs=metric_crs, tolerance_m=tolerance_m)
        for geometry, kind, name, source, condition, status in zip(
            geometries,
            frame["jenis"],
            frame["nama"],
            frame["sumber"],
            column_or_blank(frame, "kondisi"),
            column_or_blank(frame, "status_operasi"),
            strict=True,
        ):
            line = geometry.geom_type in ("LineString", "MultiLineString")
            row = [
                "g" if line else "a",
                kinds.number(page_text(kind)),
                sources.number(page_text(source)),
                page_text(name),
                _parts(geometry),
                condition_index(condition),
                status_index(status),
            ]
            while row[-1] is None:
                row.pop()
            rows.append(row)
    return rows


def _escaped(values: Iterable[object]) -> list[str]:
    """Return :func:`page_text` of each value, escaping each distinct value once.

    A province's 40,000 assets repeat a few hundred kinds, places and
    files: escaping every cell again took most of the map page's time.
    """
    memo: dict[tuple[type, object], str] = {}
    texts = []
    # tolist: iterating an Arrow-backed column value by value is ten times slower.
    for value in values.tolist() if isinstance(values, pd.Series | np.ndarray) else values:
        key = (type(value), value)  # 1, 1.0 and True are equal keys but different texts
        try:
            text = memo.get(key)
        except TypeError:  # an unhashable value: escaped as it is
            text = page_text(value)
        if text is None:
            text = memo[key] = page_text(value)
        texts.append(text)
    return texts


def _doubt_notes(assets: pd.DataFrame) -> list[str | None]:
    """Return per asset its ``lokasi diragukan: …`` note, None when its location is not doubted."""
    if "lokasi_diragukan" not in assets:
        return [None] * len(assets)
    flags = assets["lokasi_diragukan"].fillna(False).astype(bool).to_numpy()
    notes = assets["catatan"].fillna("").astype(str) if "catatan" in assets else None
    result: list[str | None] = []
    for position, flag in enumerate(flags):
        if not flag:
            result.append(None)
            continue
        parts = [] if notes is None else notes.iloc[position].split("; ")
        result.append(
            next((p for p in parts if p.startswith("lokasi diragukan")), "lokasi diragukan")
        )
    return result


def asset_rows(
    assets: gpd.GeoDataFrame,
    desa: gpd.GeoDataFrame,
    catalogue: pd.DataFrame,
    services: list[str],
    sources: Lookup,
) -> tuple[dict[str, list[list]], list[str], list[str]]:
    """Return asset rows per service (see ``ASSET_FIELDS``) and the jenis and desa name tables.

    ``sources`` numbers the source files (new ones are added).
    """
    is_kelurahan = assets["kode_desa"].map(desa.set_index("kode_desa")["tipe"]).eq("kelurahan")
    reach = pd.Series(np.nan, index=assets.index)
    for service in set(assets["layanan"].tolist()) & set(services):
        mine = (assets["layanan"] == service).to_numpy()
        reach[mine] = service_radius(catalogue, service, is_kelurahan[mine].to_numpy())
    service_texts = _escaped(assets["layanan"])
    kind_texts = _escaped(assets["jenis"])
    place_texts = _escaped(assets["desa"])
    kinds = {text: i for i, text in enumerate(dict.fromkeys(kind_texts))}
    places = {text: i for i, text in enumerate(dict.fromkeys(place_texts))}
    position = {s: i for i, s in enumerate(services)}
    identifiers = assets["id_aset"] if "id_aset" in assets else pd.Series("", index=assets.index)
    groups: dict[str, list[list]] = {}
    # Rounded to 5 decimals (about 1 m), as whole arrays: per-point attribute access is slow.
    latitudes = np.round(shapely.get_y(assets.geometry.to_numpy()), 5).tolist()
    longitudes = np.round(shapely.get_x(assets.geometry.to_numpy()), 5).tolist()
    for row in zip(
        latitudes,
        longitudes,
        assets["layanan"].tolist(),
        service_texts,
        _escaped(assets["nama"]),
        kind_texts,
        place_texts,
        reach.tolist(),
        _escaped(identifiers.to_numpy()),
        _doubt_notes(assets),
        _escaped(column_or_blank(assets, "sumber")),
        column_or_blank(assets, "kondisi").tolist(),
        column_or_blank(assets, "status_operasi").tolist(),
        strict=True,
    ):
        lat, lon, service, service_text, name, kind, place, radius, ident, doubt = row[:10]
        source, condition, status = row[10:]
        record = [
            lat,
            lon,
            position.get(service, -1),
            name,
            kinds[kind],
            places[place],
            None if radius != radius else int(round(radius)),
            ident,
            None if doubt is None else page_text(doubt),
            sources.number(source),
            condition_index(condition),
            status_index(status),
        ]
        while record[-1] in (None, ""):  # trailing blanks cost 40,000 × a few bytes
            record.pop()
        groups.setdefault(service_text, []).append(record)
    return groups, list(kinds), list(places)
