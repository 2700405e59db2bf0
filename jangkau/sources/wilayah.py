"""Boundaries by Kemendagri code from the public ``wilayah_boundaries`` data set (MIT licence).

The data set publishes SQL dumps: one per kabupaten for desa
(``db/kel/PP/wilayah_boundaries_kel_PP.KK.sql``) and one per province for
kecamatan and kabupaten (``db/kec/wilayah_boundaries_kec_PP.sql``,
``db/kab/wilayah_boundaries_kab_PP.sql``). Each row is
``(kode, nama, lat, lng, path)``, where ``path`` holds rings of
``[lat, lng]`` pairs, latitude first: one polygon (outer ring then holes) or a
list of polygons. This module parses dump text into frames; fetching files
is :mod:`jangkau.io.fetch`'s job.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.clean.boundaries import kabupaten_title, repair_polygons, settlement_type

_ROW = re.compile(r"\('((?:[^']|'')*)','((?:[^']|'')*)',\s*(-?[\d.]+),\s*(-?[\d.]+),\s*'([^']*)'\)")
_UPDATED = re.compile(r"updated_at:\s*([0-9-]+ [0-9:]+)")


def dump_paths(kode: str) -> dict[str, str]:
    """Return the data set's relative paths of the desa, kecamatan and kabupaten dumps for a kabupaten code."""
    if not re.fullmatch(r"\d{2}\.\d{2}", kode):
        raise ValueError(f"kode kabupaten/kota harus berbentuk PP.KK (mis. 73.09), bukan '{kode}'")
    province = kode[:2]
    return {
        "desa": f"db/kel/{province}/wilayah_boundaries_kel_{kode}.sql",
        "kecamatan": f"db/kec/wilayah_boundaries_kec_{province}.sql",
        "kabupaten": f"db/kab/wilayah_boundaries_kab_{province}.sql",
    }


def _ring(points: list) -> np.ndarray:
    # The dumps write [lat, lng]; shapely wants (x = lng, y = lat).
    return np.asarray(points, dtype=float)[:, ::-1]


def path_geometry(path: str) -> shapely.Geometry:
    """Build a (multi)polygon from a dump's ``path``: rings of [lat, lng], nested 3 or 4 deep."""
    rings = json.loads(path)
    depth, probe = 0, rings
    while isinstance(probe, list) and probe:
        depth, probe = depth + 1, probe[0]
    polygons = [rings] if depth == 3 else rings
    parts = [
        shapely.Polygon(_ring(p[0]), [_ring(h) for h in p[1:]])
        for p in polygons
        if p and len(p[0]) >= 3
    ]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def parse_dump(text: str) -> gpd.GeoDataFrame:
    """Parse one dump into ``kode``, ``nama`` and polygons in EPSG:4326 (as written, unrepaired)."""
    rows = _ROW.findall(text)
    return gpd.GeoDataFrame(
        {
            "kode": [r[0].replace("''", "'") for r in rows],
            "nama": [r[1].replace("''", "'") for r in rows],
        },
        geometry=[path_geometry(r[4]) for r in rows],
        crs=4326,
    )


def dump_date(text: str) -> str | None:
    """Return the ``updated_at`` stamp of a dump's header, if it has one."""
    match = _UPDATED.search(text[:3000])
    return match.group(1) if match else None


def region_layers(kode: str, dumps: dict[str, str]) -> dict[str, gpd.GeoDataFrame]:
    """Build the desa, kecamatan and kabupaten layers of one kabupaten from dump texts.

    Parameters
    ----------
    kode
        Kemendagri kabupaten/kota code, ``PP.KK``.
    dumps
        Dump text for ``desa``, ``kecamatan`` and ``kabupaten``.

    Returns
    -------
    dict
        ``desa`` (``kode_desa``, ``desa``, ``kode_kec``, ``kecamatan``, ``tipe``,
        ``kabupaten``: its name), ``kecamatan`` (``kode_kec``, ``kecamatan``,
        ``kabupaten``), ``kabupaten`` (``kode``,
        ``nama``), and ``perbaikan`` (polygons repaired), all valid, EPSG:4326.
    """
    desa = parse_dump(dumps["desa"])
    desa = desa[desa["kode"].str.startswith(kode + ".")]
    kecamatan = parse_dump(dumps["kecamatan"])
    kecamatan = kecamatan[kecamatan["kode"].str.startswith(kode + ".")]
    kabupaten = parse_dump(dumps["kabupaten"])
    kabupaten = kabupaten[kabupaten["kode"] == kode]
    if desa.empty:
        raise ValueError(f"tidak ada desa dengan kode {kode}.* di berkas desa")
    names = dict(zip(kecamatan["kode"], kecamatan["nama"], strict=True))
    # The kabupaten's name travels with its desa and kecamatan (popups, reports of a province).
    regency = kabupaten_title(kabupaten["nama"].iloc[0]) if len(kabupaten) else pd.NA
    desa = desa.assign(
        kode_desa=desa["kode"],
        desa=desa["nama"],
        kode_kec=desa["kode"].str.rsplit(".", n=1).str[0],
    )
    desa["kecamatan"] = desa["kode_kec"].map(names)
    desa["tipe"] = desa["kode_desa"].map(settlement_type)
    desa["kabupaten"] = regency
    kecamatan = kecamatan.rename(columns={"kode": "kode_kec", "nama": "kecamatan"})
    kecamatan.insert(2, "kabupaten", regency)
    layers = {
        "desa": desa[
            ["kode_desa", "desa", "kode_kec", "kecamatan", "tipe", "kabupaten", "geometry"]
        ],
        "kecamatan": kecamatan,
        "kabupaten": kabupaten,
    }
    reports = []
    for name, key in (("desa", "kode_desa"), ("kecamatan", "kode_kec"), ("kabupaten", "kode")):
        frame = layers[name].reset_index(drop=True)
        frame.insert(0, "baris", range(1, len(frame) + 1))
        label = "desa" if name == "desa" else ("kecamatan" if name == "kecamatan" else "nama")
        repaired, report = repair_polygons(frame, source=name, code_column=key, name_column=label)
        layers[name] = repaired.drop(columns="baris")
        reports.append(report)
    layers["perbaikan"] = reports
    return layers
