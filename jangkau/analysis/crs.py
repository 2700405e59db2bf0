"""Choose and check the metric CRS that distances and areas are measured in."""

from __future__ import annotations

import math

import geopandas as gpd
import pyproj


def utm_epsg(longitude: float, latitude: float) -> int:
    """Return the EPSG code of the WGS 84 UTM zone holding a point.

    Examples
    --------
    >>> utm_epsg(119.6, -5.0)  # Maros
    32750
    """
    zone = int(math.floor((longitude + 180.0) / 6.0)) % 60 + 1
    return (32700 if latitude < 0 else 32600) + zone


def metric_crs_for(frame: gpd.GeoDataFrame) -> pyproj.CRS:
    """Return the UTM CRS for the centre of a frame's extent.

    The centre of the bounding box in geographic coordinates decides, so a
    kabupaten whose desa straddle a zone edge is measured in one zone.
    """
    if frame.crs is None:
        raise ValueError("frame has no CRS; cannot choose a metric CRS")
    geographic = frame.to_crs(4326) if not frame.crs.is_geographic else frame
    minx, miny, maxx, maxy = geographic.total_bounds
    return pyproj.CRS.from_epsg(utm_epsg((minx + maxx) / 2, (miny + maxy) / 2))


def require_metric(frame: gpd.GeoDataFrame, what: str) -> None:
    """Raise when a frame is not in a projected CRS with metre units."""
    crs = frame.crs
    if crs is None or crs.is_geographic:
        raise ValueError(
            f"{what} must be in a metric (projected) CRS, got {crs}: "
            "distances in degrees are meaningless; reproject with metric_crs_for()"
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in ("metre", "meter", "m"):
        raise ValueError(f"{what} must use metres, its CRS uses {unit!r}")
