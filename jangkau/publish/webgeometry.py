"""Polygons for the offline map page: simplified for the web, rounded, with label points."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely


def _web_geometries(
    frame: gpd.GeoDataFrame, *, metric_crs: object, tolerance_m: float
) -> list[dict]:
    """Simplify polygons for the web (in metres) and round coordinates to about 1 m."""
    simplified = frame.to_crs(metric_crs).simplify(tolerance_m, preserve_topology=True).to_crs(4326)
    rounded = shapely.transform(simplified.to_numpy(), lambda xy: np.round(xy, 5))
    return [json.loads(text) for text in shapely.to_geojson(rounded)]


def _label_points(frame: gpd.GeoDataFrame) -> list[list[float]]:
    """Return a point inside each polygon (lat, lon) where its name is written."""
    points = frame.to_crs(4326).representative_point()
    return [[round(p.y, 5), round(p.x, 5)] for p in points]


def web_tolerance(frame: gpd.GeoDataFrame, *, metric_crs: object) -> float:
    """Return a simplification tolerance that grows with the extent (15 m for a kabupaten)."""
    minx, miny, maxx, maxy = frame.to_crs(metric_crs).total_bounds
    return float(max(10.0, np.hypot(maxx - minx, maxy - miny) / 4000))


def polygon_features(
    frame: gpd.GeoDataFrame, properties: list[dict], *, metric_crs: object, tolerance_m: float
) -> dict:
    """Return the polygons as a GeoJSON collection for the page, each with its label point ``t``.

    ``properties`` (one dict per polygon) are given the label point in place.
    """
    geometries = _web_geometries(frame, metric_crs=metric_crs, tolerance_m=tolerance_m)
    for props, point in zip(properties, _label_points(frame), strict=True):
        props["t"] = point
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": g, "properties": p}
            for g, p in zip(geometries, properties, strict=True)
        ],
    }
