"""The published layers assembled from a run's results, and their QGIS styles."""

from __future__ import annotations

import pandas as pd

from jangkau.config.catalogue import (
    CATALOGUE_COLUMNS,
)
from jangkau.publish.qgis import asset_style, coverage_style, proposal_style


def catalogue_table(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Return the catalogue as the GeoPackage ``layanan`` table (kinds as text)."""
    table = catalogue.copy()
    table["jenis_aset"] = table["jenis_aset"].map(", ".join)
    return table[CATALOGUE_COLUMNS]


# Layers in the QGIS project, top to bottom: (name, geometry kind, QGIS wkb type).
QGIS_LAYERS = [
    ("usulan_lokasi", "Point", "Point"),
    ("aset", "Point", "Point"),
    ("jalan", "Line", "LineString"),
    ("desa", "Polygon", "MultiPolygon"),
    ("kecamatan", "Polygon", "MultiPolygon"),
    ("kesenjangan", "No geometry", "NoGeometry"),
    ("aset_ditolak", "No geometry", "NoGeometry"),
    ("layanan", "No geometry", "NoGeometry"),
]


def qgis_styles(catalogue: pd.DataFrame, services: list[str]) -> list[tuple[str, str, str, bool]]:
    """Return the QML styles to store: one per coverage service for kecamatan and desa, one for points."""
    names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    styles = []
    for layer, name_field in (("kecamatan", "kecamatan"), ("desa", "desa")):
        for index, service in enumerate(services):
            qml = coverage_style(f"cakupan_{service}", name_field)
            styles.append((layer, f"cakupan {names[service]}", qml, index == 0))
    styles.append(("aset", "aset per layanan", asset_style(list(names.items())), True))
    styles.append(("usulan_lokasi", "usulan lokasi", proposal_style(), True))
    return styles
