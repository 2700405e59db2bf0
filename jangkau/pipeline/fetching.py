"""Commands that fetch public sources: boundaries of a Kemendagri code, OpenStreetMap facilities."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from jangkau.clean.boundaries import standardise_desa
from jangkau.config.catalogue import (
    load_kind_table,
)
from jangkau.io.atomic import replacing, write_text
from jangkau.io.fetch import OVERPASS_URL, overpass, read_boundary_dumps
from jangkau.io.read import read_records
from jangkau.pipeline.context import prepare_region
from jangkau.publish.geopackage import write_geopackage
from jangkau.sources.osm import assets_from_overpass, overpass_query
from jangkau.sources.wilayah import dump_date, dump_paths, region_layers


def fetch_boundaries(kode: str, *, source: str | None, out: Path) -> dict[str, object]:
    """Write a region folder with the desa, kecamatan and kabupaten layers of one kabupaten code.

    Parameters
    ----------
    kode
        Kemendagri code ``PP.KK`` (e.g. ``73.09``).
    source
        Local folder of dumps, a base URL, or None for the data set's repository.
    out
        Folder to write ``batas_desa.gpkg``, ``batas_kecamatan.gpkg``,
        ``batas_kabupaten.gpkg`` and ``sumber_batas.toml`` into.
    """
    texts, described = read_boundary_dumps(dump_paths(kode), source)
    layers = region_layers(kode, texts)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in ("desa", "kecamatan", "kabupaten"):
        path = out / f"batas_{name}.gpkg"
        write_geopackage(path, {name: layers[name]})
        written[name] = len(layers[name])
    repairs = pd.concat(layers["perbaikan"], ignore_index=True)
    lines = [
        "# Sumber batas wilayah (ditulis oleh `jangkau boundaries`)",
        f'kode = "{kode}"',
        f"sumber = {json.dumps(described, ensure_ascii=False)}",
        'lisensi = "MIT (wilayah_boundaries)"',
        f'diambil = "{dt.date.today().isoformat()}"',
        "",
        "[tanggal_data]",
        *(f'{role} = "{dump_date(text) or "tidak tercatat"}"' for role, text in texts.items()),
        "",
        "[poligon_diperbaiki]",
        *(
            f"{json.dumps(r.kode)} = {json.dumps(r.perbaikan, ensure_ascii=False)}"
            for r in repairs.itertuples()
        ),
    ]
    # TOML, not JSON: a .json file in a region folder would be read as GeoJSON.
    write_text(out / "sumber_batas.toml", "\n".join(lines) + "\n")
    return {"jumlah": written, "folder": str(out), "sumber": described}


def fetch_osm_assets(
    target: str,
    *,
    root: Path,
    source: str | None,
    out: Path | None,
    url: str | None,
    roads: bool = False,
) -> dict[str, object]:
    """Write ``aset_osm.geojson``: public facilities from OpenStreetMap inside a kabupaten.

    Parameters
    ----------
    target
        A Kemendagri code (``73.09``; its outline comes from the
        wilayah_boundaries dumps) or a region name (``regions/NAME.toml``;
        its outline is the union of its desa).
    root
        Project root holding ``regions/`` and ``data/``.
    source
        Where the boundary dumps are, for a code (see :func:`fetch_boundaries`).
    out
        Folder to write into; by default the region's or code's ``data/raw`` folder.
    url
        Overpass endpoint; the public one by default.
    roads
        Also write ``jalan_osm.geojson``: the ``highway=*`` ways touching the
        outline, a road file for travel time (``[jalan]``).
    """
    if (root / "regions" / f"{target}.toml").exists():
        region = prepare_region(region_file=root / "regions" / f"{target}.toml")
        desa, _ = standardise_desa(
            read_records(region.desa.path, **region.desa.options),
            columns=region.desa.columns,
            source=region.desa.name,
        )
        outline = desa.geometry.union_all()
        folder = out or root / "data" / "raw" / region.name
    else:
        texts, _ = read_boundary_dumps(dump_paths(target), source)
        outline = region_layers(target, texts)["kabupaten"].geometry.union_all()
        folder = out or root / "data" / "raw" / target
    answer = overpass(
        overpass_query(outline),
        cache_dir=root / "data" / "cache" / "osm",
        url=url or OVERPASS_URL,
    )
    assets, outside = assets_from_overpass(answer, outline=outline, kinds=load_kind_table())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "aset_osm.geojson"
    with replacing(path) as temporary:
        assets.to_file(temporary, driver="GeoJSON")
    result = {"jumlah": len(assets), "di_luar": outside, "berkas": str(path)}
    if roads:
        result.update(_fetch_osm_roads(outline, folder=folder, root=root, url=url))
    return result


def _fetch_osm_roads(outline: object, *, folder: Path, root: Path, url: str | None) -> dict:
    """Write ``jalan_osm.geojson`` from OpenStreetMap; return its path and what was left out."""
    from jangkau.sources.osm_roads import roads_from_overpass, roads_query

    answer = overpass(
        roads_query(outline), cache_dir=root / "data" / "cache" / "osm", url=url or OVERPASS_URL
    )
    lines, skipped = roads_from_overpass(answer, outline=outline)
    path = folder / "jalan_osm.geojson"
    with replacing(path) as temporary:
        lines.to_file(temporary, driver="GeoJSON")
    return {"jalan": len(lines), "jalan_dilewati": skipped, "berkas_jalan": str(path)}
