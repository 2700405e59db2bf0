"""The travel-time step of the coverage stage, and the boundary step of a region file.

Only a region with a road file (``[jalan]``) measures travel time; the step
reads the roads, builds the network in the run's metric CRS and writes into
the work folder:

- ``cakupan_waktu_desa.parquet``: per desa × service, the travel-time coverage;
- ``jalan.parquet``: the noded network (the ``jalan`` layer);
- ``kecepatan_jalan.parquet``: the speed table used;
- ``jaringan_laporan.parquet`` / ``jaringan_sambungan.parquet``: what the
  network builder did (length by class, joins, dropped fragments), for the
  quality report, with the grid spacing used;
- ``waktu_dasar_*.parquet``: the network, population points, facilities and
  land in the metric CRS, for the live status service (:mod:`jangkau.pipeline.live_base`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from jangkau.analysis.ferries import add_ferries, ferry_routes
from jangkau.analysis.network import RoadNetwork, build_network
from jangkau.analysis.travel import grid_points, land_of, travel_coverage_by_desa
from jangkau.analysis.travel_sites import TravelSetting
from jangkau.clean.roads import network_settings, speed_table, standardise_roads
from jangkau.config.region import Region
from jangkau.errors import InputError
from jangkau.io.roads import read_road_lines
from jangkau.pipeline.live_base import write_travel_base
from jangkau.publish.travel_layers import network_layer

TRAVEL_FILES = [
    "cakupan_waktu_desa.parquet",
    "jalan.parquet",
    "kecepatan_jalan.parquet",
    "jaringan_laporan.parquet",
    "jaringan_sambungan.parquet",
]


def region_network(
    region: Region, desa: gpd.GeoDataFrame
) -> tuple[RoadNetwork, float, dict[str, Any], pd.DataFrame]:
    """Read the region's road file and build its network in the CRS of ``desa``.

    Returns the network (with ferries), the walking speed (km/h), the
    network settings and the speed table.
    """
    spec = region.jalan
    settings = network_settings(region.jalan_setelan)
    speeds = speed_table(region.jalan_setelan.get("kecepatan"))
    raw = read_road_lines(spec.path, **spec.options)
    if raw.crs is None:
        raw = raw.set_crs(4326)
    roads = standardise_roads(raw, columns=spec.columns, source=spec.name, speeds=speeds)
    roads = roads.to_crs(desa.crs)
    if len(roads) == 0:
        raise InputError(spec.path, "tidak ada garis jalan di berkas ini")
    network = build_network(
        roads,
        tolerance_m=settings["toleransi_sambung_m"],
        min_fragment_m=settings["panjang_fragmen_min_m"],
    )
    walking = float(speeds.loc[speeds["kelas"] == "jalan kaki", "km_per_jam"].iloc[0])
    try:
        ferries = ferry_routes(region.jalan_setelan.get("feri", []), crs=desa.crs)
        network = add_ferries(network, ferries, walking_kmh=walking)
    except ValueError as error:
        raise InputError(f"{region.name}.toml", f"[[jalan.feri]] {error}") from error
    return network, walking, settings, speeds


def travel_setting(region: Region, desa: gpd.GeoDataFrame) -> TravelSetting | None:
    """Return the network and trip rules for proposed sites, or None without a road file."""
    if region.jalan is None:
        return None
    network, walking, settings, _ = region_network(region, desa)
    land = shapely.buffer(shapely.union_all(desa.geometry.to_numpy()), settings["tepi_daratan_m"])
    shapely.prepare(land)
    return TravelSetting(
        network=network,
        walking_kmh=walking,
        land=land,
        land_margin_m=settings["tepi_daratan_m"],
        direct_walk_beyond_m=settings["jarak_jalan_kaki_langsung_m"],
    )


def run_travel(
    region: Region,
    work: Path,
    *,
    desa: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    catalogue: pd.DataFrame,
    surface: gpd.GeoDataFrame | None,
) -> bool:
    """Measure travel-time coverage when the region has a road file; return whether it did.

    ``desa``, ``facilities`` and ``surface`` are in the run's metric CRS.
    """
    if region.jalan is None:
        return False
    spec = region.jalan
    network, walking, settings, speeds = region_network(region, desa)
    grid = grid_points(desa, spacing_m=settings["jarak_titik_m"], surface=surface)
    times = travel_coverage_by_desa(
        desa,
        facilities,
        network,
        catalogue=catalogue,
        walking_kmh=walking,
        spacing_m=settings["jarak_titik_m"],
        direct_walk_beyond_m=settings["jarak_jalan_kaki_langsung_m"],
        land_margin_m=settings["tepi_daratan_m"],
        surface=surface,
        grid=grid,
    )
    times.to_parquet(work / "cakupan_waktu_desa.parquet")
    # The live status service recomputes travel time from these (pipeline/live_base.py).
    write_travel_base(
        work,
        network=network,
        grid=grid,
        desa_codes=desa["kode_desa"].to_numpy(),
        facilities=facilities,
        land=land_of(desa, settings["tepi_daratan_m"]),
        settings={
            "walking_kmh": walking,
            "jarak_jalan_kaki_langsung_m": settings["jarak_jalan_kaki_langsung_m"],
            "tepi_daratan_m": settings["tepi_daratan_m"],
        },
    )
    network_layer(network, desa.crs).to_crs(4326).to_parquet(work / "jalan.parquet")
    speeds.to_parquet(work / "kecepatan_jalan.parquet")
    report = network.report
    summary = {
        "berkas": spec.name,
        "garis": report["garis"],
        "ruas": report["ruas"],
        "sambungan": len(report["sambungan"]),
        "fragmen_dibuang": report["fragmen_dibuang"],
        "fragmen_dibuang_km": round(report["fragmen_dibuang_km"], 3),
        "komponen_terpisah": report["komponen_terpisah"],
        "komponen_terpisah_km": round(report["komponen_terpisah_km"], 3),
        "feri": report.get("feri", 0),
        **{f"km_{kelas}": km for kelas, km in report["panjang_km_per_kelas"].items()},
        **{key: value for key, value in settings.items()},
    }
    pd.DataFrame([summary]).to_parquet(work / "jaringan_laporan.parquet")
    joins = report["sambungan"]
    if len(joins):
        points = gpd.GeoSeries(gpd.points_from_xy(joins["x"], joins["y"]), crs=desa.crs)
        lonlat = points.to_crs(4326)
        joins = joins.assign(bujur=lonlat.x.round(6), lintang=lonlat.y.round(6))
    joins.drop(columns=["x", "y"]).to_parquet(work / "jaringan_sambungan.parquet")
    return True


def ensure_boundaries(settings: dict[str, Any], root: Path) -> dict[str, Any]:
    """Build a region's desa and kecamatan layers with the boundary command when they are missing.

    A region file with ``batas = { kode = "73.71", sumber = "DIR or URL" }``
    gets ``data/raw/<name>/batas_*.gpkg`` (or ``batas.folder``) written on the
    first run and its ``[desa]`` and ``[kecamatan]`` files pointed at them
    unless it names its own.
    """
    batas = settings.get("batas")
    if not batas:
        return settings
    from jangkau.pipeline.fetching import fetch_boundaries

    folder = root / batas.get("folder", f"data/raw/{settings['name']}")
    source = batas.get("sumber")
    if source and "://" not in source and not Path(source).is_absolute():
        source = str(root / source)
    if not (folder / "batas_desa.gpkg").exists() or not (folder / "batas_kecamatan.gpkg").exists():
        fetch_boundaries(batas["kode"], source=source, out=folder)
    settings = dict(settings)
    settings["desa"] = {"file": str(folder / "batas_desa.gpkg"), **settings.get("desa", {})}
    settings["kecamatan"] = {
        "file": str(folder / "batas_kecamatan.gpkg"),
        **settings.get("kecamatan", {}),
    }
    return settings
