"""Choose and check the metric CRS that distances and areas are measured in.

A run measures every distance and area in one projected CRS, decided once
per run by :func:`metric_crs_for` (the pipeline stores the choice in the
run's work folder; see :mod:`jangkau.pipeline.context`). The rule:

1. A CRS set in the region file (``crs``) wins.
2. A region whose desa all lie between the meridians of one UTM zone (with
   a tolerance of :data:`ZONE_TOLERANCE_DEG`) is measured in that zone
   (EPSG:327xx south of the equator, EPSG:326xx north of it): within its
   zone UTM's scale error stays under 0.1 %.
3. A wider region gets a transverse Mercator centred on it: central
   meridian in the middle of its longitude extent, latitude of origin 0,
   false easting 500 000 m, false northing 10 000 000 m south of the
   equator, WGS 84, and the scale factor that halves the worst scale error
   between the central meridian and the far edge. A region too wide for
   any single transverse Mercator to stay within :data:`MAX_SCALE_ERROR`
   (about 800 km across at the equator) stops the run: its region file must
   set ``crs``.

Every choice is returned with the largest scale error |k − 1| it has over
the region's extent, computed by PROJ, so the run can record it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj

# The largest scale error |k - 1| a chosen CRS may have anywhere in the region:
# 0.1 % in distances, about 0.2 % in areas.
MAX_SCALE_ERROR = 0.001

# How far (degrees of longitude, about 1.1 km) desa may reach past a UTM zone's
# meridians and still be measured in that zone. Kept small because UTM's scale
# error at the equator is already 0.098 % on the zone edge and passes 0.1 % at
# 0.02 degrees beyond it.
ZONE_TOLERANCE_DEG = 0.01

# The sphere of the transverse Mercator scale formula k(x) = k0 (1 + x^2 / 2R^2).
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class MetricChoice:
    """A run's metric CRS, why it was chosen, and its worst scale error over the region.

    Attributes
    ----------
    crs
        ``EPSG:NNNN`` or a PROJ string; what ``GeoDataFrame.to_crs`` is given.
    basis
        Why it was chosen, in Bahasa Indonesia (the GIS officer reads it).
    max_scale_error
        Largest |k − 1| over the region's extent (None when PROJ cannot say,
        e.g. for an unusual CRS set in a region file).
    """

    crs: str
    basis: str
    max_scale_error: float | None


def utm_epsg(longitude: float, latitude: float) -> int:
    """Return the EPSG code of the WGS 84 UTM zone holding a point.

    Examples
    --------
    >>> utm_epsg(119.6, -5.0)  # Maros
    32750
    """
    zone = int(math.floor((longitude + 180.0) / 6.0)) % 60 + 1
    return (32700 if latitude < 0 else 32600) + zone


def utm_at_centre(frame: gpd.GeoDataFrame) -> pyproj.CRS:
    """Return the UTM zone at the centre of a frame's extent.

    For guesses and tolerances (which zone metres typed by an office are
    likely in, a 100 m margin around a region), never for measuring: the
    run's measuring CRS is :func:`metric_crs_for`'s choice.
    """
    geographic = (
        frame.to_crs(4326) if frame.crs is not None and not frame.crs.is_geographic else frame
    )
    minx, miny, maxx, maxy = geographic.total_bounds
    return pyproj.CRS.from_epsg(utm_epsg((minx + maxx) / 2, (miny + maxy) / 2))


def max_scale_error(crs: str, bounds: tuple[float, float, float, float]) -> float | None:
    """Return the largest |k − 1| of a projected CRS over a lon/lat box, from PROJ.

    The box is sampled on a 21 × 21 grid plus the equator, when the box
    crosses it: a transverse Mercator's extremes lie on the box's edges
    (farthest from the central meridian, nearest the equator) and on its
    central meridian, which the grid's middle column holds when the meridian
    is in the middle of the box.
    """
    minx, miny, maxx, maxy = bounds
    lons = np.linspace(minx, maxx, 21)
    lats = np.linspace(miny, maxy, 21)
    if miny < 0 < maxy:
        lats = np.append(lats, 0.0)
    lon, lat = (grid.ravel() for grid in np.meshgrid(lons, lats))
    try:
        factors = pyproj.Proj(pyproj.CRS(crs)).get_factors(lon, lat)
    except (pyproj.exceptions.CRSError, pyproj.exceptions.ProjError):
        return None
    scales = np.concatenate([factors.meridional_scale, factors.parallel_scale])
    if not np.isfinite(scales).all():
        return None
    return float(np.abs(scales - 1.0).max())


def _transverse_mercator(bounds: tuple[float, float, float, float]) -> MetricChoice:
    """Return the transverse Mercator centred on a lon/lat box, or raise when none is good enough."""
    minx, miny, maxx, maxy = bounds
    central = round((minx + maxx) / 2, 4)
    half_width = max(maxx - central, central - minx)
    # x grows with cos(latitude): the far edge is farthest out where it is nearest the equator.
    nearest_equator = 0.0 if miny <= 0 <= maxy else min(abs(miny), abs(maxy))
    x = EARTH_RADIUS_M * math.atanh(
        math.cos(math.radians(nearest_equator)) * math.sin(math.radians(half_width))
    )
    stretch = x**2 / (2 * EARTH_RADIUS_M**2)
    # k runs from k0 on the central meridian to k0 (1 + stretch) on the far edge;
    # k0 = 2 / (2 + stretch) puts both the same distance from 1.
    k0 = round(2 / (2 + stretch), 8)
    width_km = 2 * x / 1000
    too_wide = (
        f"wilayah selebar kira-kira {width_km:.0f} km (bujur {minx:.2f}°–{maxx:.2f}° BT) terlalu "
        "lebar untuk satu proyeksi transverse Mercator dengan galat skala di bawah "
        f"{100 * MAX_SCALE_ERROR:.1f} % (batasnya sekitar 800 km di khatulistiwa)"
    ).replace(".", ",") + (
        "; tetapkan `crs` di berkas wilayah (proyeksi yang sesuai untuk wilayah itu) "
        "atau jalankan wilayah itu per bagian"
    )
    if stretch / (2 + stretch) >= MAX_SCALE_ERROR:
        raise ValueError(too_wide)
    south = (miny + maxy) / 2 < 0
    crs = (
        f"+proj=tmerc +lat_0=0 +lon_0={central:.4f} +k_0={k0:.8f} +x_0=500000 "
        f"+y_0={10_000_000 if south else 0} +datum=WGS84 +units=m +no_defs +type=crs"
    )
    error = max_scale_error(crs, bounds)
    if error is None or error >= MAX_SCALE_ERROR:
        raise ValueError(too_wide)
    basis = (
        f"transverse Mercator khusus wilayah ini: desa-desanya (bujur {minx:.2f}°–{maxx:.2f}° BT) "
        f"tidak muat dalam satu zona UTM; meridian tengah {central:.4f}°, faktor skala {k0:.8f}"
    )
    return MetricChoice(crs=crs, basis=basis, max_scale_error=error)


def metric_crs_for(frame: gpd.GeoDataFrame, *, explicit: str | None = None) -> MetricChoice:
    """Decide the metric CRS of a run from its desa (the rule is in the module docstring).

    Parameters
    ----------
    frame
        The region's desa, in any CRS.
    explicit
        A CRS set in the region file; it wins.

    Raises
    ------
    ValueError
        When the frame has no CRS, or the region is too wide for one
        transverse Mercator (the message, in Bahasa Indonesia, names the
        option: set ``crs`` in the region file).
    """
    if frame.crs is None:
        raise ValueError("frame has no CRS; cannot choose a metric CRS")
    geographic = frame.to_crs(4326) if not frame.crs.is_geographic else frame
    minx, miny, maxx, maxy = (float(v) for v in geographic.total_bounds)
    bounds = (minx, miny, maxx, maxy)
    if explicit:
        return MetricChoice(
            crs=explicit,
            basis="ditetapkan di berkas wilayah (crs)",
            max_scale_error=max_scale_error(explicit, bounds),
        )
    epsg = utm_epsg((minx + maxx) / 2, (miny + maxy) / 2)
    zone = epsg % 100
    west, east = -180.0 + 6.0 * (zone - 1), -180.0 + 6.0 * zone
    if minx >= west - ZONE_TOLERANCE_DEG and maxx <= east + ZONE_TOLERANCE_DEG:
        crs = f"EPSG:{epsg}"
        hemisphere = "S" if epsg >= 32700 else "N"
        basis = (
            f"zona UTM {zone}{hemisphere}: semua desa berada di antara meridian batas zona "
            f"({west:g}°–{east:g}° BT, toleransi {ZONE_TOLERANCE_DEG:g}°)".replace(".", ",")
        )
        return MetricChoice(crs=crs, basis=basis, max_scale_error=max_scale_error(crs, bounds))
    return _transverse_mercator(bounds)


def require_metric(frame: gpd.GeoDataFrame, what: str) -> None:
    """Raise when a frame is not in a projected CRS with metre units."""
    crs = frame.crs
    if crs is None or crs.is_geographic:
        raise ValueError(
            f"{what} must be in a metric (projected) CRS, got {crs}: "
            "distances in degrees are meaningless; reproject to the run's metric CRS"
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in ("metre", "meter", "m"):
        raise ValueError(f"{what} must use metres, its CRS uses {unit!r}")
