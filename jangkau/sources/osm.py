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
    """Return the Overpass QL query for every tag of the table inside the outline's bounding box."""
    west, south, east, north = outline.bounds
    box = f"({south:.5f},{west:.5f},{north:.5f},{east:.5f})"
    by_key: dict[str, list[str]] = {}
    for rule in tag_rules():
        by_key.setdefault(rule["kunci"], []).append(rule["nilai"])
    lines = [f'  nwr["{key}"~"^({"|".join(values)})$"]{box};' for key, values in by_key.items()]
    return f"[out:json][timeout:{timeout_s}];\n(\n" + "\n".join(lines) + "\n);\nout center tags;\n"


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
        Points (EPSG:4326) with ``nama``, ``jenis``, ``osm_id``, ``tag``,
        ``sumber_data``; and how many features fell outside the outline.
    """
    rows, points, outside = [], [], 0
    for element in answer.get("elements", []):
        tags = element.get("tags", {})
        kind = element_kind(tags, kinds)
        if kind is None:
            continue
        centre = element.get("center") or {"lat": element.get("lat"), "lon": element.get("lon")}
        if centre.get("lat") is None or centre.get("lon") is None:
            continue
        point = shapely.Point(float(centre["lon"]), float(centre["lat"]))
        if not outline.contains(point):
            outside += 1
            continue
        matched = next(
            f"{r['kunci']}={r['nilai']}" for r in tag_rules() if tags.get(r["kunci"]) == r["nilai"]
        )
        rows.append(
            {
                "nama": tags.get("name") or tags.get("name:id") or f"({matched}, tanpa nama)",
                "jenis": kind,
                "osm_id": f"{element.get('type', 'node')}/{element.get('id')}",
                "tag": matched,
                "sumber_data": OSM_SOURCE,
            }
        )
        points.append(point)
    columns = ["nama", "jenis", "osm_id", "tag", "sumber_data"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry=points, crs=4326), outside
