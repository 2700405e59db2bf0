"""Roads from OpenStreetMap, as a road file ``jangkau run`` accepts (``[jalan]``).

Pure functions: the Overpass query for an outline's bounding box, and the
mapping of an Overpass answer (ways with their geometry) to road lines with
``highway``, ``oneway``, ``name`` and ``osm_id``. Ways whose ``highway`` value
has no speed in ``kecepatan_jalan.toml`` (``construction``, ``proposed``,
``platform`` …) are left out and counted, since no trip can use them.
Fetching is :mod:`jangkau.io.fetch`'s job.
"""

from __future__ import annotations

import geopandas as gpd
import shapely

from jangkau.clean.roads import speed_table

ROAD_COLUMNS = ["highway", "oneway", "name", "osm_id"]


def roads_query(outline: shapely.Geometry, *, timeout_s: int = 300) -> str:
    """Return the Overpass QL query for every ``highway`` way in the outline's bounding box."""
    west, south, east, north = outline.bounds
    box = f"({south:.5f},{west:.5f},{north:.5f},{east:.5f})"
    return f'[out:json][timeout:{timeout_s}];\nway["highway"]{box};\nout geom tags;\n'


def roads_from_overpass(
    answer: dict, *, outline: shapely.Geometry
) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Map an Overpass answer to road lines that touch the outline.

    Roads crossing the edge are kept whole: a trip may leave the kabupaten
    and come back. Returns the lines (EPSG:4326) and, per ``highway`` value
    left out, how many ways had it.
    """
    known = {k.lower() for k in speed_table()["kelas"]}
    rows, lines, skipped = [], [], {}
    for element in answer.get("elements", []):
        tags = element.get("tags", {})
        value = tags.get("highway")
        geometry = element.get("geometry") or []
        if element.get("type") != "way" or value is None or len(geometry) < 2:
            continue
        if value.lower() not in known:
            skipped[value] = skipped.get(value, 0) + 1
            continue
        line = shapely.LineString([(float(p["lon"]), float(p["lat"])) for p in geometry])
        if not line.intersects(outline):
            continue
        rows.append(
            {
                "highway": value,
                "oneway": tags.get("oneway", "no"),
                "name": tags.get("name"),
                "osm_id": f"way/{element.get('id')}",
            }
        )
        lines.append(line)
    frame = gpd.GeoDataFrame(rows, columns=ROAD_COLUMNS, geometry=lines, crs=4326)
    return frame, skipped
