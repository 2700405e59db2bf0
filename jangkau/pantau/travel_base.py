"""The travel-time side of a published run, as the live update needs it.

Read from the run folder's ``dasar_pantau/`` (:mod:`jangkau.pipeline.live_base`):
the road network, the population points, the facilities travel time counted and
the land, all in the run's metric CRS as the travel-time step had them, and the
published per-desa figures. The population points are placed on the road once
here, so an update only places again the few whose road was closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.network import METRES_PER_MINUTE_AT_1_KMH, RoadNetwork
from jangkau.analysis.routing import Snapped, snap
from jangkau.analysis.travel import walk_on_land
from jangkau.errors import InputError
from jangkau.pipeline.live_base import EDGES, FOLDER, LAND, NODES, POINTS, SITES, SURFACE, TIMES


@dataclass(frozen=True)
class TravelBase:
    """A run's travel-time inputs and figures.

    Attributes
    ----------
    network
        The road network the run measured on (ferries included).
    points, owner, weight
        Population points, the desa row each belongs to, its share of the desa's people.
    desa
        One row per desa row of ``owner``: ``kode_desa``, ``kode_kec``, ``penduduk``.
    standard, published
        Per service, per desa row: the time standard (minutes) and the
        published ``cakupan_waktu``.
    sites
        The facilities the run counted: ``id_aset``, ``layanan``, ``geometry``.
    land, land_margin_m, walk, direct_walk_beyond_m
        The land no walk leaves, its margin, walking speed (m/min), and the
        distance from every road beyond which a point may walk straight.
    tree, on_road, far
        Index of the road edges; each point's place on the road; whether it
        lies beyond ``direct_walk_beyond_m`` from every road.
    longest
        Per service, the longer of its two time standards (minutes), as the run took it.
    """

    network: RoadNetwork
    points: np.ndarray
    owner: np.ndarray
    weight: np.ndarray
    desa: pd.DataFrame
    standard: dict[str, np.ndarray]
    published: dict[str, np.ndarray]
    sites: gpd.GeoDataFrame
    land: shapely.Geometry
    land_margin_m: float
    walk: float
    direct_walk_beyond_m: float
    tree: shapely.STRtree
    on_road: Snapped
    far: np.ndarray

    longest: dict[str, float]

    def reach_m(self, service: str) -> float:
        """Return the longest straight walk to a facility: the longest time standard on foot."""
        return self.longest.get(service, np.nan) * self.walk


def read_surface(run_dir: Path, metric: object) -> gpd.GeoDataFrame | None:
    """Return the run's finer population surface in the metric CRS, or None when it had none."""
    path = run_dir / FOLDER / SURFACE
    return gpd.read_parquet(path).to_crs(metric) if path.exists() else None


def has_live_base(run_dir: Path) -> bool:
    """Return whether the run folder holds what the live service needs (runs since it does)."""
    return (run_dir / FOLDER).is_dir()


def read_travel_base(run_dir: Path, metric: object, layanan: pd.DataFrame) -> TravelBase | None:
    """Read a run's travel-time base, or None when the run measured no travel time.

    ``layanan`` is the run's standards table (its ``waktu_kelurahan_menit`` and
    ``waktu_desa_menit``).
    """
    folder = run_dir / FOLDER
    if not (folder / TIMES).exists():
        return None
    for name in (EDGES, NODES, POINTS, SITES, LAND):
        if not (folder / name).exists():
            raise InputError(folder / name, "berkas dasar waktu tempuh tidak ada; jalankan ulang")
    edges = pd.read_parquet(folder / EDGES)
    nodes = pd.read_parquet(folder / NODES)[["x", "y"]].to_numpy(dtype=float)
    network = RoadNetwork(
        nodes=nodes,
        u=edges["u"].to_numpy(dtype=np.int64),
        v=edges["v"].to_numpy(dtype=np.int64),
        length_m=edges["panjang_m"].to_numpy(dtype=float),
        minutes=edges["menit"].to_numpy(dtype=float),
        forward=edges["maju"].to_numpy(dtype=bool),
        backward=edges["mundur"].to_numpy(dtype=bool),
        kelas=edges["kelas"].to_numpy(dtype=object),
        km_per_jam=edges["km_per_jam"].to_numpy(dtype=float),
        joined=edges["sambungan"].to_numpy(dtype=bool),
        ferry=edges["feri"].to_numpy(dtype=bool),
    )
    times = pd.read_parquet(folder / TIMES)
    desa = times.drop_duplicates("kode_desa")[["kode_desa", "kode_kec", "penduduk"]]
    desa = desa.reset_index(drop=True)
    row_of = pd.Series(np.arange(len(desa)), index=desa["kode_desa"])
    standard, published = {}, {}
    for service, rows in times.groupby("layanan", sort=False):
        at = row_of.loc[rows["kode_desa"]].to_numpy()
        standard[service] = np.full(len(desa), np.nan)
        standard[service][at] = rows["waktu_standar_menit"].to_numpy(dtype=float)
        published[service] = np.full(len(desa), np.nan)
        published[service][at] = rows["cakupan_waktu"].to_numpy(dtype=float)
    table = pd.read_parquet(folder / POINTS)
    points = shapely.points(table["x"].to_numpy(dtype=float), table["y"].to_numpy(dtype=float))
    owner = row_of.loc[table["kode_desa"]].to_numpy()
    sites_table = pd.read_parquet(folder / SITES)
    sites = gpd.GeoDataFrame(
        sites_table[["id_aset", "layanan"]].astype(object),
        geometry=shapely.points(sites_table["x"].to_numpy(), sites_table["y"].to_numpy()),
        crs=metric,
    )
    land_row = gpd.read_parquet(folder / LAND).iloc[0]
    land = land_row.geometry
    shapely.prepare(land)
    margin = float(land_row["tepi_daratan_m"])
    tree = shapely.STRtree(network.edge_lines()[network.road_edges()])
    on_road = walk_on_land(network, snap(network, points, tree), points, land, margin)
    beyond = float(land_row["jarak_jalan_kaki_langsung_m"])
    return TravelBase(
        network=network,
        points=points,
        owner=owner,
        weight=table["bobot"].to_numpy(dtype=float),
        desa=desa,
        standard=standard,
        published=published,
        sites=sites,
        land=land,
        land_margin_m=margin,
        walk=float(land_row["walking_kmh"]) * METRES_PER_MINUTE_AT_1_KMH,
        direct_walk_beyond_m=beyond,
        tree=tree,
        on_road=on_road,
        far=on_road.distance_m > beyond,
        longest={
            row.layanan: float(np.nanmax([row.waktu_kelurahan_menit, row.waktu_desa_menit]))
            if np.isfinite([row.waktu_kelurahan_menit, row.waktu_desa_menit]).any()
            else np.nan
            for row in layanan.astype(
                {"waktu_kelurahan_menit": float, "waktu_desa_menit": float}
            ).itertuples(index=False)
        },
    )
