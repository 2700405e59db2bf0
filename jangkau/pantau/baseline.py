"""The published run a live update starts from: assets, desa, kecamatan and standards.

Read from the region's published ``coverage.gpkg`` (through the ``terkini``
pointer, so a new full run is picked up by the next update) and brought to the
run's metric CRS (layer ``crs_metrik``), the CRS the run measured coverage in;
the finer population surface and the travel-time base from the same run
folder's ``dasar_pantau/`` (:mod:`jangkau.pantau.travel_base`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from jangkau.errors import InputError
from jangkau.pantau.travel_base import TravelBase, read_surface, read_travel_base

ASSET_COLUMNS = [
    "id_aset",
    "nama",
    "layanan",
    "jenis",
    "kode_desa",
    "desa",
    "kode_kec",
    "kecamatan",
]


@dataclass(frozen=True)
class Baseline:
    """A published run's figures, as the live update needs them.

    Attributes
    ----------
    run
        Name of the run folder the figures come from.
    aset, desa
        Assets (points) and desa (polygons) in the metric CRS, with the run's
        ``cakupan_<layanan>`` columns on the desa.
    kecamatan
        ``kode_kec``, ``kecamatan`` and the run's ``cakupan_<layanan>``.
    layanan
        The standards the run used: ``layanan``, ``nama``,
        ``radius_kelurahan_m``, ``radius_desa_m``, ``target_cakupan``.
    outline
        The kabupaten (union of desa), EPSG:4326, for checking report locations.
    services
        ``id_aset`` → ``layanan``, for checking reports as they arrive.
    excluded
        ``id_aset`` the run left out of its coverage (reported out of service
        when it started; its ``info.json``).
    permukaan
        The run's finer population surface (``kode_desa``, ``bobot``, points in
        the metric CRS), or None when its people are even over each desa.
    waktu
        The run's travel-time base, or None when it measured no travel time.
    """

    run: str
    aset: gpd.GeoDataFrame
    desa: gpd.GeoDataFrame
    kecamatan: pd.DataFrame
    layanan: pd.DataFrame
    outline: shapely.Geometry
    services: dict[str, str]
    excluded: frozenset[str] = frozenset()
    permukaan: gpd.GeoDataFrame | None = None
    waktu: TravelBase | None = None

    def service_of(self, id_aset: str) -> str | None:
        """Return an asset's service by its ``id_aset``, or None when the region has none such."""
        return self.services.get(id_aset)


def published_run(processed: Path) -> str:
    """Return the name of the run folder ``terkini`` points to (the published set)."""
    pointer = processed / "terkini"
    if not pointer.exists():
        raise InputError(processed, "belum ada hasil yang diterbitkan; jalankan `jangkau run` dulu")
    return Path(os.readlink(pointer)).name if pointer.is_symlink() else pointer.name


def read_baseline(processed: Path) -> Baseline:
    """Read the published run of a region's output folder ``data/processed/NAME``."""
    run = published_run(processed)
    path = processed / "riwayat" / run / "coverage.gpkg"
    if not path.exists():
        path = processed / "terkini" / "coverage.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(path)}
    for needed in ("aset", "desa", "kecamatan", "layanan", "crs_metrik"):
        if needed not in layers:
            raise InputError(path, f"lapisan '{needed}' tidak ada; jalankan ulang `jangkau run`")
    metric = pyogrio.read_dataframe(path, layer="crs_metrik")["crs"].iloc[0]
    desa = pyogrio.read_dataframe(path, layer="desa")
    surface = read_surface(path.parent, metric)
    if (
        surface is None
        and (
            desa.get("permukaan_penduduk", pd.Series(dtype=str)).astype(str) != "merata per desa"
        ).any()
    ):
        # A run from before the surface was published with it: coverage cannot be redone.
        raise InputError(
            path,
            "permukaan penduduk rinci (penduduk_rinci) tidak ikut diterbitkan; "
            "jalankan ulang `jangkau run`",
        )
    layanan = pd.DataFrame(pyogrio.read_dataframe(path, layer="layanan", read_geometry=False))
    travel = read_travel_base(path.parent, metric, layanan)
    if travel is None and any(c.startswith("cakupan_waktu_") for c in desa.columns):
        raise InputError(
            path,
            "dasar waktu tempuh (jaringan jalan) tidak ikut diterbitkan; "
            "jalankan ulang `jangkau run`",
        )
    aset = pyogrio.read_dataframe(path, layer="aset")
    layanan = pd.DataFrame(pyogrio.read_dataframe(path, layer="layanan", read_geometry=False))
    if "aset_area" in layers:
        # Polygons of distance services serve like points (issue 16): the run counted them.
        distance = layanan.loc[layanan["radius_desa_m"].notna(), "layanan"]
        areas = pyogrio.read_dataframe(path, layer="aset_area")
        areas = areas[areas["layanan"].isin(distance)]
        if len(areas):
            aset = pd.concat([aset, areas.to_crs(aset.crs)], ignore_index=True)
    if aset["id_aset"].isna().any() or not aset["id_aset"].is_unique:
        raise InputError(path, "lapisan aset tanpa id_aset unik; jalankan ulang `jangkau run`")
    # Plain object columns: the Arrow-backed strings GDAL hands back make every
    # comparison and join of the live update many times slower.
    aset = aset[[*ASSET_COLUMNS, "geometry"]].astype({c: object for c in ASSET_COLUMNS})
    return Baseline(
        run=run,
        aset=aset.to_crs(metric),
        desa=desa.to_crs(metric),
        kecamatan=pd.DataFrame(
            pyogrio.read_dataframe(path, layer="kecamatan", read_geometry=False)
        ),
        layanan=layanan,
        outline=shapely.union_all(desa.to_crs(4326).geometry.to_numpy()),
        services=dict(zip(aset["id_aset"], aset["layanan"], strict=True)),
        excluded=_excluded(path.parent / "info.json"),
        permukaan=surface,
        waktu=travel,
    )


def _excluded(info: Path) -> frozenset[str]:
    """Return the assets a run left out (none for runs from before the live service)."""
    if not info.exists():
        return frozenset()
    return frozenset(json.loads(info.read_text(encoding="utf-8")).get("aset_tidak_melayani", []))
