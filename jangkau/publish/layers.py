"""The published layers assembled from a run's results, their QGIS styles and the QGIS project."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import geopandas as gpd
import pandas as pd

from jangkau.analysis.coverage import wide_coverage
from jangkau.config.catalogue import CATALOGUE_COLUMNS
from jangkau.config.labels import labels
from jangkau.publish.qgis import (
    ProjectLayer,
    asset_style,
    coverage_style,
    project_xml,
    proposal_style,
)


def catalogue_table(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Return the catalogue as the GeoPackage ``layanan`` table (kinds as text)."""
    table = catalogue.copy()
    table["jenis_aset"] = table["jenis_aset"].map(", ".join)
    return table[CATALOGUE_COLUMNS]


# Layers in the QGIS project, top to bottom: (name, geometry kind, QGIS wkb type, shown on
# open). The shown ones are one service's map; the rest wait, unticked, in a collapsed group.
QGIS_LAYERS = [
    ("usulan_lokasi", "Point", "Point", True),
    ("aset", "Point", "Point", True),
    ("jalan", "Line", "LineString", False),
    ("aset_garis", "Line", "MultiLineString", False),
    ("aset_area", "Polygon", "MultiPolygon", False),
    ("desa", "Polygon", "MultiPolygon", False),
    ("kesenjangan", "No geometry", "NoGeometry", False),
    ("kesenjangan_desa", "No geometry", "NoGeometry", False),
    ("kesenjangan_kabupaten", "No geometry", "NoGeometry", False),
    ("usulan_laporan", "No geometry", "NoGeometry", False),
    ("kepekaan_bobot", "No geometry", "NoGeometry", False),
    ("aset_ditolak", "No geometry", "NoGeometry", False),
    ("rekap_aset", "No geometry", "NoGeometry", False),
    ("sistem_informasi", "No geometry", "NoGeometry", False),
    ("tanpa_koordinat", "No geometry", "NoGeometry", False),
    ("daftar_pencocokan", "No geometry", "NoGeometry", False),
    ("layanan", "No geometry", "NoGeometry", False),
    ("crs_metrik", "No geometry", "NoGeometry", False),
    ("kecepatan_jalan", "No geometry", "NoGeometry", False),
    ("kecamatan", "Polygon", "MultiPolygon", True),
]

# Per-service columns: prefix to the alias entry in label.toml (longest prefix first).
_SERVICE_COLUMNS = (
    "cakupan_jika_rusak_berat_tutup",
    "cakupan_waktu",
    "waktu_median",
    "waktu_p90",
    "cakupan",
    "km_per_1000_penduduk",
    "km_per_km2",
    "panjang_km",
    "terjangkau",
)
# Network columns may name a network service that is no point service (listrik, jalan).
_NETWORK_COLUMNS = ("km_per_1000_penduduk", "km_per_km2", "panjang_km", "terjangkau")


def field_aliases(columns: list[str], names: dict[str, str]) -> dict[str, str]:
    """Return the Bahasa Indonesia alias of each column that has one (``label.toml``, ``alias_qgis``).

    Parameters
    ----------
    columns
        The layer's columns.
    names
        Service code to its name (``layanan`` to ``nama`` of the catalogue).
    """
    words = labels()["alias_qgis"]
    aliases = {}
    for column in columns:
        if column in words and column not in _SERVICE_COLUMNS:
            aliases[column] = words[column]
            continue
        for prefix in _SERVICE_COLUMNS:
            service = column.removeprefix(f"{prefix}_")
            if not column.startswith(f"{prefix}_"):
                continue
            if prefix not in _NETWORK_COLUMNS and service in names:
                aliases[column] = words[prefix].format(layanan=names[service])
                break
            if prefix in _NETWORK_COLUMNS:
                aliases[column] = words[prefix].format(
                    layanan=f"jaringan {service.replace('_', ' ')}"
                )
                break
    return aliases


def _service_styles(
    catalogue: pd.DataFrame, services: list[str], columns: dict[str, list[str]]
) -> dict[str, list[tuple[str, str]]]:
    """Return ``(style name, QML)`` per layer, the first distance service's style first."""
    names = dict(zip(catalogue["layanan"], catalogue["nama"], strict=True))
    words = labels()["proyek_qgis"]
    styles: dict[str, list[tuple[str, str]]] = {}
    for layer in ("kecamatan", "desa"):  # each labelled by its own name column
        aliases = field_aliases(list(columns.get(layer, [])), names)
        styles[layer] = [
            (
                words["gaya_cakupan"].format(layanan=names[service]),
                coverage_style(f"cakupan_{service}", layer, aliases=aliases),
            )
            for service in services
        ]
    for layer, style in (("aset", asset_style), ("usulan_lokasi", proposal_style)):
        styles[layer] = [
            (names[service], style(list(names.items()), shown={service})) for service in services
        ]
        styles[layer].append((words["gaya_semua"], style(list(names.items()))))
    return styles


def qgis_styles(
    catalogue: pd.DataFrame, services: list[str], *, columns: Mapping[str, Iterable[str]]
) -> list[tuple[str, str, str, bool]]:
    """Return the QML styles to store in the GeoPackage.

    One per distance service for kecamatan and desa (the first the default),
    one for ``aset`` and one for ``usulan_lokasi`` drawing every service, so
    a layer dragged into QGIS shows all its features.

    Parameters
    ----------
    catalogue
        Standards, one row per service.
    services
        Distance services, in catalogue order.
    columns
        Each layer's columns (a frame iterates over its columns), for the aliases.
    """
    per_layer = _service_styles(catalogue, services, {k: list(v) for k, v in columns.items()})
    styles = [
        (layer, name, qml, index == 0)
        for layer in ("kecamatan", "desa")
        for index, (name, qml) in enumerate(per_layer[layer])
    ]
    styles.append(("aset", "aset per layanan", per_layer["aset"][-1][1], True))
    styles.append(("usulan_lokasi", "usulan lokasi", per_layer["usulan_lokasi"][-1][1], True))
    return styles


def qgis_project(
    layers: Mapping[str, pd.DataFrame],
    catalogue: pd.DataFrame,
    services: list[str],
    *,
    title: str,
    gpkg_name: str,
) -> str:
    """Return the project XML: the first distance service's map shown, the rest one click away.

    Shown on open: ``kecamatan`` shaded by the first service's coverage and
    labelled, with that service's assets and proposals. The other services
    are the layers' other styles (*Layer → Styles*) and unticked classes of
    the ``aset`` and ``usulan_lokasi`` legends; every other layer waits,
    unticked, in a collapsed group.

    Raises
    ------
    ValueError
        When a map layer is not in EPSG:4326, the CRS the project declares.
    """
    for name, frame in layers.items():
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs.to_epsg() != 4326:
            raise ValueError(f"layer {name} is in {frame.crs}, the QGIS project declares EPSG:4326")
    per_layer = _service_styles(catalogue, services, {k: list(v) for k, v in layers.items()})
    project_layers = [
        ProjectLayer(name, geometry, wkb, tuple(per_layer.get(name, ())), shown)
        for name, geometry, wkb, shown in QGIS_LAYERS
        if name in layers
    ]
    return project_xml(
        title=title,
        gpkg_name=gpkg_name,
        layers=project_layers,
        group=labels()["proyek_qgis"]["grup_lain"],
    )


DESA_LAYER_COLUMNS = [
    "kode_desa",
    "desa",
    "kode_kec",
    "kecamatan",
    "kabupaten",
    "tipe",
    "penduduk",
    "sumber_penduduk",
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


def unlocated_by_kecamatan(gaps: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Return per ``kode_kec`` the facilities counted without a location, and which.

    ``tanpa_koordinat`` is their number over all services;
    ``tanpa_koordinat_rincian`` says which (``SMP 1, SD 2``), in catalogue
    order, empty when none.
    """
    if "tanpa_koordinat" not in gaps:
        codes = gaps["kode_kec"].unique()
        return pd.DataFrame(
            {"tanpa_koordinat": 0, "tanpa_koordinat_rincian": ""}, index=pd.Index(codes)
        )
    counted = gaps[gaps["tanpa_koordinat"] > 0]
    text: dict[str, list[str]] = {}
    for code, service, number in zip(
        counted["kode_kec"], counted["layanan"], counted["tanpa_koordinat"], strict=True
    ):
        text.setdefault(code, []).append(f"{names.get(service, service)} {number}")
    table = gaps.groupby("kode_kec")["tanpa_koordinat"].sum().astype("int64").to_frame()
    table["tanpa_koordinat_rincian"] = [", ".join(text.get(c, [])) for c in table.index]
    return table


def kecamatan_layer(
    kecamatan: gpd.GeoDataFrame,
    desa: pd.DataFrame,
    gaps: pd.DataFrame,
    urgency: pd.DataFrame,
    *,
    services: list[str],
    names: dict[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Return the ``kecamatan`` layer: population, coverage per service, urgency.

    Also the facilities counted without a location (``tanpa_koordinat``, and
    ``tanpa_koordinat_rincian`` naming them per service with ``names``).
    """
    wide = coverage_columns(gaps, services)
    population = desa.groupby("kode_kec")["penduduk"].sum().rename("penduduk")
    named = ["kabupaten"] if "kabupaten" in kecamatan else []
    layer = (
        kecamatan[["kode_kec", "kecamatan", *named, "geometry"]]
        .join(population, on="kode_kec")
        .join(wide, on="kode_kec")
        .join(
            urgency.set_index("kode_kec")[["indeks_urgensi", "layanan_paling_mendesak"]],
            on="kode_kec",
        )
        .join(unlocated_by_kecamatan(gaps, names or {}), on="kode_kec")
    )
    layer["tanpa_koordinat"] = layer["tanpa_koordinat"].fillna(0).astype("int64")
    layer["tanpa_koordinat_rincian"] = layer["tanpa_koordinat_rincian"].fillna("")
    # The layer's overall index is the weighted urgency (see analysis.urgency).
    layer = layer.rename(columns={"indeks_urgensi": "indeks_kesenjangan"})
    return layer[
        [
            "kode_kec",
            "kecamatan",
            *named,
            "penduduk",
            *wide.columns,
            "indeks_kesenjangan",
            "layanan_paling_mendesak",
            "tanpa_koordinat",
            "tanpa_koordinat_rincian",
            "geometry",
        ]
    ]


def desa_layer(
    desa: gpd.GeoDataFrame, desa_coverage: pd.DataFrame, desa_index: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Return the ``desa`` layer: population, how it is spread, coverage per service, gap index."""
    wide = wide_coverage(desa_coverage, "kode_desa").join(desa_index.set_index("kode_desa"))
    # kabupaten: the name, when the boundary files carry it (a province run);
    # sumber_penduduk: where the figure comes from (spread by area from a kecamatan total?).
    optional = {"kabupaten", "sumber_penduduk"}
    columns = [c for c in DESA_LAYER_COLUMNS if c not in optional or c in desa]
    return desa[[*columns, "geometry"]].join(wide, on="kode_desa")


def join_beside(
    frame: pd.DataFrame,
    added: pd.DataFrame,
    key: str,
    *,
    followers: Callable[[str], list[str]],
) -> pd.DataFrame:
    """Join ``added`` on ``key``, each column of ``added`` placed where a reader looks for it.

    ``followers(column)`` names the added columns that belong right after a
    column of ``frame`` (as ``cakupan_waktu_X`` after ``cakupan_X``); the other
    added columns come after all of ``frame``'s, and ``geometry`` stays last.
    """
    joined = frame.join(added, on=key)
    order = []
    for column in frame.columns:
        if column == "geometry":
            continue
        order.append(column)
        order += [c for c in followers(column) if c in added.columns]
    order += [c for c in added.columns if c not in order]
    if "geometry" in frame.columns:
        order.append("geometry")
    return joined[order]
