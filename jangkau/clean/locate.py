"""Find where an asset record lies: read map links, try repairs, convert UTM metres.

:func:`find_written_locations` reads coordinates from map links (or metres
naming their UTM zone) in any cell of a record whose location columns could
not be read. :func:`locate_records`
decides, for records with two numbers, which reading puts them in the
region: degrees as written, swapped, with a lost minus sign; or, when the
numbers are metres, UTM easting/northing in the region's own zone or a
neighbouring one (south or north), in either column order. A reading is
accepted only when exactly one such candidate puts the point in the region;
every repair is named in Bahasa Indonesia for the ``perbaikan`` column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from jangkau.analysis.crs import utm_at_centre
from jangkau.clean.coords import parse_map_link, parse_thousands, parse_utm_text

SWAPPED = "lintang dan bujur tertukar"
LOST_MINUS = "tanda minus lintang hilang"
FROM_LINK = "koordinat dibaca dari tautan peta"
# Degrees never exceed 180 in magnitude; larger numbers in a degree column are metres.
DEGREE_LIMIT = 180.0


def find_written_locations(
    raw: pd.DataFrame, *, location_columns: list[str], rows: np.ndarray
) -> dict[int, tuple[float, float, str, str]]:
    """Read a map link, or metres naming their UTM zone, from the cells of the given records.

    The location columns are searched first, then every other column (an
    office may paste the link under ``Keterangan`` or ``Link``).

    Parameters
    ----------
    raw
        Records as read, positions matching ``rows``.
    location_columns
        Columns that should have held the coordinates.
    rows
        Positions of the records whose coordinates could not be read.

    Returns
    -------
    dict
        For each record with a readable cell: latitude, longitude, the cell
        text and the repair note.
    """
    others = [c for c in raw.columns if c not in location_columns and c != "baris"]
    searched = [c for c in location_columns if c in raw.columns] + others
    found: dict[int, tuple[float, float, str, str]] = {}
    for row in rows:
        for column in searched:
            cell = raw[column].iloc[row]
            if not isinstance(cell, str):
                continue
            reading = _read_cell(cell)
            if reading is not None:
                lat, lon, note = reading
                if column not in location_columns:
                    note = f"{note} (kolom '{column}')"
                found[int(row)] = (lat, lon, cell.strip(), note)
                break
    return found


def _read_cell(cell: str) -> tuple[float, float, str] | None:
    link = parse_map_link(cell)
    if link is not None:
        return link[0], link[1], FROM_LINK
    utm = parse_utm_text(cell)
    if utm is None:
        return None
    zone, south, easting, northing = utm
    epsg = (32700 if south else 32600) + zone
    lon, lat = pyproj.Transformer.from_crs(epsg, 4326, always_xy=True).transform(
        easting, northing, errcheck=False
    )
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    return lat, lon, f"koordinat UTM zona {_zone_label(epsg)} (meter) diubah ke derajat"


def reread_metre_pairs(
    lat_text: pd.Series, lon_text: pd.Series, lat: pd.Series, lon: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Re-read ``785.432`` as metres where the other cell of the pair is metres.

    Returns new latitude and longitude values (inputs are not changed).
    """
    lat, lon = lat.copy(), lon.copy()
    for values, texts, partner in ((lat, lat_text, lon), (lon, lon_text, lat)):
        candidates = np.flatnonzero(
            (np.abs(partner.to_numpy(dtype=float)) > DEGREE_LIMIT)
            & (np.abs(values.to_numpy(dtype=float)) < 1000)
        )
        for row in candidates:
            metres = parse_thousands(texts.iloc[row])
            if not math.isnan(metres):
                values.iloc[row] = metres
    return lat, lon


@dataclass
class Located:
    """Where each record landed: desa position (-1: not placed), repair, distance, lon/lat."""

    chosen: np.ndarray
    repairs: np.ndarray
    distance: np.ndarray
    x: np.ndarray
    y: np.ndarray
    reasons: dict[int, str]


def _degree_candidates(
    lat: np.ndarray, lon: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Return the readings to try, most literal first: as written, swapped, sign-repaired."""
    return [
        (lat, lon, ""),
        (lon, lat, SWAPPED),
        (-lat, lon, LOST_MINUS),
        (-lon, lat, f"{SWAPPED}; {LOST_MINUS}"),
    ]


def _place(
    tree: shapely.STRtree, points: np.ndarray, tolerance_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (point position, desa position, distance) for points inside or near a desa."""
    finite = np.flatnonzero(np.isfinite(shapely.get_x(points)) & np.isfinite(shapely.get_y(points)))
    points = points[finite]
    # Most points lie inside a desa: a containment query settles them; only the rest
    # need the slower nearest-within-tolerance search.
    inside_point, inside_desa = tree.query(points, predicate="within")
    first = np.unique(inside_point, return_index=True)[1]
    inside_point, inside_desa = inside_point[first], inside_desa[first]
    rest = np.setdiff1d(np.arange(len(points)), inside_point)
    (near_point, near_desa), near_dist = tree.query_nearest(
        points[rest], max_distance=tolerance_m, return_distance=True, all_matches=False
    )
    point_index = np.concatenate([inside_point, rest[near_point]])
    desa_index = np.concatenate([inside_desa, near_desa])
    dist = np.concatenate([np.zeros(len(inside_point)), near_dist])
    return finite[point_index], desa_index, dist


def utm_zone_candidates(desa: gpd.GeoDataFrame) -> list[int]:
    """Return the EPSG codes tried for metres: the region's UTM zone and its neighbours, S then N."""
    zone = utm_at_centre(desa).to_epsg() % 100
    zones = [zone, (zone - 2) % 60 + 1, zone % 60 + 1]
    return [32700 + z for z in zones] + [32600 + z for z in zones]


def _zone_label(epsg: int) -> str:
    return f"{epsg % 100}{'S' if epsg // 100 == 327 else 'N'}"


def locate_records(
    lat: np.ndarray,
    lon: np.ndarray,
    pending: np.ndarray,
    *,
    desa: gpd.GeoDataFrame,
    tolerance_m: float,
) -> Located:
    """Place each pending record in a desa, or give the reason it cannot be placed.

    Parameters
    ----------
    lat, lon
        Numbers read from the latitude and longitude columns (or a pair).
    pending
        Records still to place (the others already have a reason).
    desa
        Desa polygons in a metric CRS.
    tolerance_m
        Distance from the nearest desa within which a point is still placed.

    Returns
    -------
    Located
        ``reasons`` holds a rejection reason for each pending record not placed.
    """
    n = len(lat)
    located = Located(
        chosen=np.full(n, -1),
        repairs=np.array([""] * n, dtype=object),
        distance=np.zeros(n),
        x=np.full(n, np.nan),
        y=np.full(n, np.nan),
        reasons={},
    )
    tree = shapely.STRtree(desa.geometry.to_numpy())
    metres = pending & (np.maximum(np.abs(lat), np.abs(lon)) > DEGREE_LIMIT)
    degrees = pending & ~metres
    for cand_lat, cand_lon, repair in _degree_candidates(lat, lon):
        todo = np.flatnonzero(degrees & (located.chosen < 0))
        if len(todo) == 0:
            break
        todo = todo[(np.abs(cand_lat[todo]) <= 90) & (np.abs(cand_lon[todo]) <= 180)]
        if len(todo) == 0:
            continue
        projected = gpd.GeoSeries(
            gpd.points_from_xy(cand_lon[todo], cand_lat[todo]), crs=4326
        ).to_crs(desa.crs)
        point_index, desa_index, dist = _place(tree, projected.to_numpy(), tolerance_m)
        rows = todo[point_index]
        located.chosen[rows] = desa_index
        located.repairs[rows] = repair
        located.distance[rows] = dist
        located.x[rows] = cand_lon[rows]
        located.y[rows] = cand_lat[rows]
    for i in np.flatnonzero(degrees & (located.chosen < 0)):
        located.reasons[int(i)] = (
            f"di luar kabupaten: lintang {lat[i]:.6f}, bujur {lon[i]:.6f} "
            "(juga dicoba ditukar dan tanda minus)"
        )
    _locate_metres(located, lat, lon, np.flatnonzero(metres), desa, tree, tolerance_m)
    return located


def _locate_metres(
    located: Located,
    lat: np.ndarray,
    lon: np.ndarray,
    todo: np.ndarray,
    desa: gpd.GeoDataFrame,
    tree: shapely.STRtree,
    tolerance_m: float,
) -> None:
    """Read metre pairs as UTM in every candidate zone and order; keep unambiguous fits."""
    if len(todo) == 0:
        return
    zones = utm_zone_candidates(desa)
    # Easting and northing are never negative: a minus typed before metres carries no meaning.
    northing_column, easting_column = np.abs(lat[todo]), np.abs(lon[todo])
    hits: dict[int, list[tuple[int, bool, int, float, float, float]]] = {}
    for epsg in zones:
        to_desa = pyproj.Transformer.from_crs(epsg, desa.crs, always_xy=True)
        to_degrees = pyproj.Transformer.from_crs(epsg, 4326, always_xy=True)
        for swapped in (False, True):
            east, north = (
                (northing_column, easting_column) if swapped else (easting_column, northing_column)
            )
            x, y = to_desa.transform(east, north, errcheck=False)
            point_index, desa_index, dist = _place(
                tree, shapely.points(np.asarray(x), np.asarray(y)), tolerance_m
            )
            if len(point_index) == 0:
                continue
            lon_deg, lat_deg = to_degrees.transform(east[point_index], north[point_index])
            for k, p in enumerate(point_index):
                hits.setdefault(int(todo[p]), []).append(
                    (epsg, swapped, int(desa_index[k]), float(dist[k]), lon_deg[k], lat_deg[k])
                )
    tried = ", ".join(_zone_label(z) for z in zones)
    for row in todo:
        found = hits.get(int(row), [])
        if len(found) > 1:
            where = ", ".join(
                f"zona {_zone_label(e)}{' (ditukar)' if s else ''}" for e, s, *_ in found
            )
            located.reasons[int(row)] = (
                f"koordinat dalam meter (lintang {lat[row]:.2f}, bujur {lon[row]:.2f}) jatuh di "
                f"kabupaten pada lebih dari satu tafsiran UTM ({where}); tidak ditebak"
            )
            continue
        if not found:
            located.reasons[int(row)] = (
                f"di luar kabupaten: lintang {lat[row]:.2f}, bujur {lon[row]:.2f} bukan derajat, "
                f"dan sebagai meter UTM (zona {tried}, kedua urutan) tidak jatuh di kabupaten"
            )
            continue
        epsg, swapped, desa_index, dist, lon_deg, lat_deg = found[0]
        notes = [f"koordinat UTM zona {_zone_label(epsg)} (meter) diubah ke derajat"]
        if swapped:
            notes.append(SWAPPED)
        if lat[row] < 0 or lon[row] < 0:
            notes.append("tanda minus pada nilai meter diabaikan")
        located.chosen[row] = desa_index
        located.repairs[row] = "; ".join(notes)
        located.distance[row] = dist
        located.x[row] = lon_deg
        located.y[row] = lat_deg
