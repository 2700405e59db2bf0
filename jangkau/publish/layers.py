"""The published layers assembled from a run's results, and their QGIS styles."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from jangkau.analysis.coverage import wide_coverage
from jangkau.config.catalogue import CATALOGUE_COLUMNS
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
    ("kesenjangan_desa", "No geometry", "NoGeometry"),
    ("kesenjangan_kabupaten", "No geometry", "NoGeometry"),
    ("usulan_laporan", "No geometry", "NoGeometry"),
    ("kepekaan_bobot", "No geometry", "NoGeometry"),
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


DESA_LAYER_COLUMNS = [
    "kode_desa",
    "desa",
    "kode_kec",
    "kecamatan",
    "tipe",
    "penduduk",
    "permukaan_penduduk",
    "catatan_penduduk",
]


def coverage_columns(gaps: pd.DataFrame, services: list[str]) -> pd.DataFrame:
    """Return kecamatan coverage wide: one ``cakupan_<layanan>`` column per distance service.

    The one pivot of the gap table every output (layer, map, workbook) shares.
    """
    wide = gaps[gaps["layanan"].isin(services)].pivot(
        index="kode_kec", columns="layanan", values="cakupan"
    )
    wide = wide[[s for s in services if s in wide.columns]]
    wide.columns = [f"cakupan_{c}" for c in wide.columns]
    return wide


def kecamatan_layer(
    kecamatan: gpd.GeoDataFrame,
    desa: pd.DataFrame,
    gaps: pd.DataFrame,
    urgency: pd.DataFrame,
    *,
    services: list[str],
) -> gpd.GeoDataFrame:
    """Return the ``kecamatan`` layer: population, coverage per service, urgency."""
    wide = coverage_columns(gaps, services)
    population = desa.groupby("kode_kec")["penduduk"].sum().rename("penduduk")
    layer = (
        kecamatan[["kode_kec", "kecamatan", "geometry"]]
        .join(population, on="kode_kec")
        .join(wide, on="kode_kec")
        .join(
            urgency.set_index("kode_kec")[["indeks_urgensi", "layanan_paling_mendesak"]],
            on="kode_kec",
        )
    )
    # The layer's overall index is the weighted urgency (see analysis.urgency).
    layer = layer.rename(columns={"indeks_urgensi": "indeks_kesenjangan"})
    return layer[
        [
            "kode_kec",
            "kecamatan",
            "penduduk",
            *wide.columns,
            "indeks_kesenjangan",
            "layanan_paling_mendesak",
            "geometry",
        ]
    ]


def desa_layer(
    desa: gpd.GeoDataFrame, desa_coverage: pd.DataFrame, desa_index: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Return the ``desa`` layer: population, how it is spread, coverage per service, gap index."""
    wide = wide_coverage(desa_coverage, "kode_desa").join(desa_index.set_index("kode_desa"))
    return desa[[*DESA_LAYER_COLUMNS, "geometry"]].join(wide, on="kode_desa")
