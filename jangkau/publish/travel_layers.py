"""Travel-time outputs: columns on the desa and kecamatan layers, the road layer and tables.

When a run measured travel time (a region with a road file), the ``desa``
layer gains ``cakupan_waktu_<layanan>`` beside each ``cakupan_<layanan>``,
plus ``waktu_median_<layanan>`` and ``waktu_p90_<layanan>`` (minutes); the
``kecamatan`` layer gains ``cakupan_waktu_<layanan>``; the GeoPackage gains
the ``jalan`` layer (the noded network used) and the ``kecepatan_jalan``
table (speeds used, with sources).
"""

from __future__ import annotations

import html
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.network import RoadNetwork
from jangkau.analysis.travel import travel_coverage_by_kecamatan
from jangkau.config.labels import labels
from jangkau.io.geoparquet import read_geoparquet
from jangkau.publish.layers import join_beside


def _travel_twins(column: str) -> list[str]:
    """Name the travel-time columns that go right after ``cakupan_X``."""
    if not column.startswith("cakupan_"):
        return []
    service = column.removeprefix("cakupan_")
    return [f"cakupan_waktu_{service}", f"waktu_median_{service}", f"waktu_p90_{service}"]


def travel_columns(work: Path) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Return the wide travel-time columns per desa and per kecamatan, or None without a road file."""
    path = work / "cakupan_waktu_desa.parquet"
    if not path.exists():
        return None
    times = pd.read_parquet(path)
    order = list(dict.fromkeys(times["layanan"]))
    desa_wide = times.pivot(
        index="kode_desa",
        columns="layanan",
        values=["cakupan_waktu", "waktu_median", "waktu_p90"],
    )
    desa_wide = pd.concat(
        {
            f"{measure}_{service}": desa_wide[(measure, service)]
            for service in order
            for measure in ("cakupan_waktu", "waktu_median", "waktu_p90")
        },
        axis=1,
    )
    kec = travel_coverage_by_kecamatan(times).pivot(
        index="kode_kec", columns="layanan", values="cakupan_waktu"
    )[order]
    kec.columns = [f"cakupan_waktu_{c}" for c in kec.columns]
    return desa_wide, kec


def add_travel_outputs(work: Path, layers: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Return ``layers`` with the travel-time columns, the ``jalan`` layer and ``kecepatan_jalan``.

    Unchanged when the run measured no travel time.
    """
    columns = travel_columns(work)
    if columns is None:
        return layers
    desa_wide, kec_wide = columns
    layers = dict(layers)
    layers["desa"] = join_beside(layers["desa"], desa_wide, "kode_desa", followers=_travel_twins)
    layers["kecamatan"] = join_beside(
        layers["kecamatan"], kec_wide, "kode_kec", followers=_travel_twins
    )
    layers["jalan"] = read_geoparquet(work / "jalan.parquet")
    layers["kecepatan_jalan"] = pd.read_parquet(work / "kecepatan_jalan.parquet")
    return layers


def network_quality_sections(work: Path) -> list[tuple[str, str, pd.DataFrame]]:
    """Return the quality report's road-network sections (none without a road file)."""
    path = work / "jaringan_laporan.parquet"
    if not path.exists():
        return []
    summary = pd.read_parquet(path).iloc[0]
    rows = [{"ukuran": key, "nilai": value} for key, value in summary.items()]
    joins = pd.read_parquet(work / "jaringan_sambungan.parquet")
    return [
        (
            "Jaringan jalan",
            f"Jaringan jalan dari {summary['berkas']}, yang dipakai untuk waktu tempuh: "
            "panjang per kelas (km), ujung jalan yang disambungkan ke jalan lain "
            f"dalam {summary['toleransi_sambung_m']:g} m, potongan jalan terpisah yang "
            f"dibuang (lebih pendek dari {summary['panjang_fragmen_min_m']:g} m) dan "
            "jarak antar titik penduduk (jarak_titik_m). Lapisan `jalan` di GeoPackage "
            "menunjukkan jaringan yang dipakai.",
            pd.DataFrame(rows).astype(str),
        ),
        (
            "Sambungan jalan",
            "Setiap ujung jalan yang tidak menyentuh jalan lain dan disambungkan ke "
            "titik terdekat jalan lain (jarak dalam meter, lokasi ujung).",
            joins.assign(jarak_m=joins["jarak_m"].round(2)),
        ),
    ]


def network_layer(network: RoadNetwork, crs: object) -> gpd.GeoDataFrame:
    """Return the noded network as the ``jalan`` layer, one row per edge.

    Columns ``kelas``, ``km_per_jam``, ``satu_arah`` (passable only in the
    direction the line is drawn), ``sambungan`` (a join made by the network
    builder, not a road in the file) and ``feri`` (a ferry crossing: its
    ``km_per_jam`` is its length over its stated time plus waiting).
    """
    backward_only = network.backward & ~network.forward
    start = np.where(backward_only, network.v, network.u)
    end = np.where(backward_only, network.u, network.v)
    lines = shapely.linestrings(
        np.stack([network.nodes[start], network.nodes[end]], axis=1).reshape(-1, 2, 2)
    )
    return gpd.GeoDataFrame(
        {
            "kelas": network.kelas.astype(str),
            "km_per_jam": network.km_per_jam,
            "satu_arah": ~(network.forward & network.backward),
            "sambungan": network.joined,
            "feri": network.ferry if network.ferry is not None else np.zeros(len(start), bool),
        },
        geometry=lines,
        crs=crs,
    )


def _minutes(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 1)


def travel_page_data(work: Path, desa_codes: list[str]) -> dict | None:
    """Return the map page's travel-time data, or None when the run measured none.

    ``median`` / ``p90`` hold, per desa in the order of ``desa_codes`` (the
    page's desa features), the minutes per service; ``jalan`` holds the
    network per class, merged and simplified to about 5 m for the page.
    """
    path = work / "cakupan_waktu_desa.parquet"
    if not path.exists():
        return None
    times = pd.read_parquet(path)
    per_desa = {}
    for measure in ("waktu_median", "waktu_p90"):
        wide = times.pivot(index="kode_desa", columns="layanan", values=measure)
        wide = wide.reindex(desa_codes)
        per_desa[measure] = [
            {service: _minutes(value) for service, value in row.items()}
            for row in wide.to_dict(orient="records")
        ]
    roads = read_geoparquet(work / "jalan.parquet")
    classes = []
    for (kelas, speed), group in roads.groupby(["kelas", "km_per_jam"], sort=True):
        merged = shapely.simplify(shapely.line_merge(shapely.union_all(group.geometry)), 5e-5)
        parts = shapely.get_parts(merged)
        classes.append(
            {
                "kelas": html.escape(str(kelas)),
                "km_per_jam": round(float(speed), 1),
                "garis": [np.round(shapely.get_coordinates(p), 5).tolist() for p in parts],
            }
        )
    words = {
        k: (html.escape(v) if isinstance(v, str) else v) for k, v in labels()["peta_waktu"].items()
    }
    return {
        "median": per_desa["waktu_median"],
        "p90": per_desa["waktu_p90"],
        "jalan": classes,
        "kata": words,
    }
