"""Public facilities from OpenStreetMap, as an asset file ``jangkau run`` accepts.

Pure functions: the Overpass query for an outline, and the mapping of an
Overpass answer to asset records with the documented tag table
(``data/osm_tag.toml``). Fetching is :mod:`jangkau.io.fetch`'s job.
"""

from __future__ import annotations

import tomllib
from importlib import resources

import geopandas as gpd
import shapely

from jangkau.config.catalogue import KindTable

OSM_SOURCE = "OpenStreetMap (© kontributor OpenStreetMap, ODbL)"


def tag_rules() -> list[dict]:
    """Return the tag table, one rule per OSM tag."""
    text = (
        resources.files("jangkau.config")
        .joinpath("data", "osm_tag.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)["aturan"]


def overpass_query(outline: shapely.Geometry, *, timeout_s: int = 180) -> str:
    """Return the Overpass QL query for every tag of the table inside the outline's bounding box.

    Point rules ask for each feature's centre; line and polygon rules
    (``geometri``) ask for the full geometry of ways.
    """
    west, south, east, north = outline.bounds
    box = f"({south:.5f},{west:.5f},{north:.5f},{east:.5f})"
    parts = []
    for shaped in (False, True):
        by_key: dict[str, list[str]] = {}
        for rule in tag_rules():
            if bool(rule.get("geometri")) == shaped:
                by_key.setdefault(rule["kunci"], []).append(rule["nilai"])
        if not by_key:
            continue
        element = "way" if shaped else "nwr"
        lines = [
            f'  {element}["{key}"~"^({"|".join(values)})$"]{box};' for key, values in by_key.items()
        ]
        output = "out geom tags;" if shaped else "out center tags;"
        parts.append("(\n" + "\n".join(lines) + "\n);\n" + output + "\n")
    return f"[out:json][timeout:{timeout_s}];\n" + "".join(parts)


def _matching_rule(tags: dict[str, str]) -> dict | None:
    return next((r for r in tag_rules() if tags.get(r["kunci"]) == r["nilai"]), None)


def element_geometry(element: dict, rule: dict) -> shapely.Geometry | None:
    """Return a feature's geometry: a line or polygon for shaped rules with way geometry, else its centre."""
    vertices = [(float(v["lon"]), float(v["lat"])) for v in element.get("geometry") or []]
    if rule.get("geometri") and len(vertices) >= 2:
        closed = len(vertices) >= 4 and vertices[0] == vertices[-1]
        if rule["geometri"] == "area" and closed:
            return shapely.Polygon(vertices)
        return shapely.LineString(vertices)
    centre = element.get("center") or {"lat": element.get("lat"), "lon": element.get("lon")}
    if centre.get("lat") is None or centre.get("lon") is None:
        return None
    return shapely.Point(float(centre["lon"]), float(centre["lat"]))


def element_kind(tags: dict[str, str], kinds: KindTable) -> str | None:
    """Return the kind an OSM feature's tags (and name) give, by the tag table's order of rules."""
    for rule in tag_rules():
        if tags.get(rule["kunci"]) != rule["nilai"]:
            continue
        level = tags.get("isced:level", "").split(";")[0].strip()
        if level in rule.get("isced", {}):
            return rule["isced"][level]
        if rule.get("nama_menentukan"):
            named = kinds.classify(tags.get("name", ""))
            if named is not None:
                return named[0]
        return rule["jenis"]
    return None


def assets_from_overpass(
    answer: dict, *, outline: shapely.Geometry, kinds: KindTable
) -> tuple[gpd.GeoDataFrame, int]:
    """Map an Overpass JSON answer to asset records inside the outline.

    Returns
    -------
    (GeoDataFrame, int)
        Points, lines and polygons (EPSG:4326) with ``nama``, ``jenis``, ``osm_id``, ``tag``,
        ``sumber_data``; and how many features fell outside the outline.
    """
    rows, points, outside = [], [], 0
    for element in answer.get("elements", []):
        tags = element.get("tags", {})
        kind = element_kind(tags, kinds)
        if kind is None:
            continue
        rule = _matching_rule(tags)
        shape = element_geometry(element, rule)
        if shape is None:
            continue
        # Lines and polygons crossing the border are kept whole; the run clips them.
        inside = (
            outline.contains(shape) if shape.geom_type == "Point" else outline.intersects(shape)
        )
        if not inside:
            outside += 1
            continue
        matched = f"{rule['kunci']}={rule['nilai']}"
        rows.append(
            {
                "nama": tags.get("name") or tags.get("name:id") or f"({matched}, tanpa nama)",
                "jenis": kind,
                "osm_id": f"{element.get('type', 'node')}/{element.get('id')}",
                "tag": matched,
                "sumber_data": OSM_SOURCE,
            }
        )
        points.append(shape)
    columns = ["nama", "jenis", "osm_id", "tag", "sumber_data"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry=points, crs=4326), outside
