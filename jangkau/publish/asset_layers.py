"""Asset outputs: line and polygon layers, condition, network measures, the asset register.

The GeoPackage gains ``aset_garis`` and ``aset_area`` (the columns of
``aset``, plus ``panjang_km`` / ``luas_ha``), ``kondisi`` and
``status_operasi`` on all three asset layers, and the table ``rekap_aset``.
The ``desa`` and ``kecamatan`` layers gain ``cakupan_jika_rusak_berat_tutup_<layanan>``
beside each ``cakupan_<layanan>``, and per network layanan with lines
``terjangkau_<layanan>``, ``panjang_km_<layanan>``, ``km_per_km2_<layanan>``
and ``km_per_1000_penduduk_<layanan>``; with BTS towers,
``terjangkau_sinyal_seluler`` and ``terjangkau_sinyal_<2g|3g|4g|5g>``. The ``layanan`` table gains
``jarak_jaringan_m`` (with ``sumber_jarak_jaringan``); network services not
in the catalogue get a row of their own. The agencies' information systems,
when a register was given, are the table ``sistem_informasi``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from jangkau.analysis.coverage import coverage_by_kecamatan
from jangkau.analysis.networks import network_by_kecamatan, network_columns
from jangkau.analysis.register import asset_register
from jangkau.analysis.towers import tower_columns, tower_service_rows
from jangkau.clean.asset_attributes import ATTRIBUTE_COLUMNS, with_blank_attributes
from jangkau.clean.asset_geometry import SHAPE_COLUMNS
from jangkau.clean.assets import PLACED_COLUMNS
from jangkau.clean.condition import CONDITION_OUTPUT
from jangkau.config.towers import tower_reach
from jangkau.io.geoparquet import read_geoparquet
from jangkau.publish.layers import join_beside

CLOSURE_PREFIX = "cakupan_jika_rusak_berat_tutup_"


def _read(
    work: Path, name: str, read: dict[str, pd.DataFrame] | None = None
) -> pd.DataFrame | None:
    if read and name in read:
        return read[name]
    path = work / name
    if not path.exists():
        return None
    return read_geoparquet(path) if name.startswith("aset") else pd.read_parquet(path)


def _asset_layer(frame: gpd.GeoDataFrame, extra: list[str]) -> gpd.GeoDataFrame:
    columns = [c for c in PLACED_COLUMNS if c != "kecamatan_tertulis"]
    for column in CONDITION_OUTPUT:
        if column not in frame:
            frame = frame.assign(**{column: ""})
    frame = with_blank_attributes(frame)
    frame = frame[[*columns, *extra, *CONDITION_OUTPUT, *ATTRIBUTE_COLUMNS, "geometry"]]
    if "panjang_km" in extra:
        # One geometry type per layer (QGIS and the GeoPackage declare one): all multi-part.
        frame = frame.set_geometry(
            [
                shapely.MultiLineString([g]) if g.geom_type == "LineString" else g
                for g in frame.geometry
            ],
            crs=frame.crs,
        )
    return frame


def _closure_wide(long: pd.DataFrame, key: str) -> pd.DataFrame:
    wide = long.pivot(index=key, columns="layanan", values="cakupan")
    wide = wide[list(dict.fromkeys(long["layanan"]))]
    wide.columns = [f"{CLOSURE_PREFIX}{c}" for c in wide.columns]
    return wide


def _closure_twin(column: str) -> list[str]:
    if column.startswith("cakupan_") and not column.startswith("cakupan_waktu_"):
        return [f"{CLOSURE_PREFIX}{column.removeprefix('cakupan_')}"]
    return []


def _join_beside(frame: pd.DataFrame, added: pd.DataFrame, key: str) -> pd.DataFrame:
    """Join ``added`` on ``key``; closure columns right after their ``cakupan_<l>``, geometry last."""
    if added.empty:
        return frame
    return join_beside(frame, added, key, followers=_closure_twin)


def service_table(catalogue_table: pd.DataFrame, networks: pd.DataFrame) -> pd.DataFrame:
    """Return the ``layanan`` table with ``jarak_jaringan_m`` and its source; new rows for networks."""
    table = catalogue_table.copy()
    network = networks.set_index("layanan")
    table["jarak_jaringan_m"] = table["layanan"].map(network["jarak_jaringan_m"])
    table["sumber_jarak_jaringan"] = table["layanan"].map(network["sumber_jarak_jaringan"])
    missing = networks[~networks["layanan"].isin(table["layanan"])]
    rows = pd.DataFrame(
        {
            "layanan": missing["layanan"],
            "nama": missing["nama"],
            "jenis_aset": missing["jenis_aset"].map(", ".join),
            "jarak_jaringan_m": missing["jarak_jaringan_m"],
            "sumber_jarak_jaringan": missing["sumber_jarak_jaringan"],
            "sumber_standar": missing["sumber_jarak_jaringan"],
            "sumber_target_cakupan": (
                "(bawaan) Tidak berlaku: layanan jaringan dinilai dengan terjangkau_<kode> "
                "(bagian penduduk dalam jarak_jaringan_m dari jaringan), bukan cakupan fasilitas."
            ),
        }
    )
    return pd.concat([table, rows], ignore_index=True) if len(rows) else table


def add_asset_outputs(
    work: Path,
    layers: dict[str, pd.DataFrame],
    *,
    networks: pd.DataFrame,
    read: dict[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """Return ``layers`` with the asset condition, line/polygon, network and register outputs.

    ``read``: work files the caller already read in full, by file name, used
    instead of reading them again.
    """
    layers = dict(layers)
    points = _read(work, "aset.parquet", read)
    lines = _read(work, "aset_garis.parquet", read)
    areas = _read(work, "aset_area.parquet", read)
    layers["aset"] = _asset_layer(points, [])
    shape_layers = []
    for name, frame, kind in (("aset_garis", lines, "garis"), ("aset_area", areas, "area")):
        if frame is not None and len(frame):
            layers[name] = _asset_layer(frame, [SHAPE_COLUMNS[kind]])
            shape_layers.append(frame)
    layers["rekap_aset"] = asset_register(points, *shape_layers)
    systems = _read(work, "sistem_informasi.parquet")
    if systems is not None and len(systems):
        layers["sistem_informasi"] = systems
    layers["layanan"] = service_table(layers["layanan"], networks)
    signal = _read(work, "sinyal_desa.parquet")
    if signal is not None and len(signal):
        layers["layanan"] = pd.concat(
            [layers["layanan"], tower_service_rows(points, tower_reach())], ignore_index=True
        )
    closure = _read(work, "cakupan_rusak_berat_desa.parquet")
    reach = _read(work, "jaringan_desa.parquet")
    desa_added, kec_added = [], []
    if closure is not None and len(closure):
        desa_added.append(_closure_wide(closure, "kode_desa"))
        kec_added.append(_closure_wide(coverage_by_kecamatan(closure), "kode_kec"))
    if reach is not None and len(reach):
        desa_added.append(network_columns(reach, "kode_desa"))
        kec_added.append(network_columns(network_by_kecamatan(reach), "kode_kec"))
    if signal is not None and len(signal):
        desa_added.append(tower_columns(signal, "kode_desa"))
        kec_added.append(tower_columns(network_by_kecamatan(signal), "kode_kec"))
    if desa_added:
        layers["desa"] = _join_beside(layers["desa"], pd.concat(desa_added, axis=1), "kode_desa")
        layers["kecamatan"] = _join_beside(
            layers["kecamatan"], pd.concat(kec_added, axis=1), "kode_kec"
        )
    return layers
