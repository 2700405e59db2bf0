"""What the live status service needs from a run, kept in the run folder (``dasar_pantau/``).

The live service recomputes coverage from the published run, never from the
raw inputs (they may have changed since). The GeoPackage holds the figures but
not everything behind them: the road network in the run's metric CRS, the
population points of travel time, the facilities travel time counted, the land
no walk leaves, and the finer population surface. The coverage stage writes
them into the work folder (``WORK_FILES``); publishing copies them into the run
folder, so they change with the other outputs in the one ``terkini`` rename.

Coordinates stay in the metric CRS as float64 (the travel-time step's own
numbers): the live recompute of the run's state then gives the published
figures to the last bit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.network import RoadNetwork

FOLDER = "dasar_pantau"
EDGES = "waktu_dasar_ruas.parquet"
NODES = "waktu_dasar_simpul.parquet"
POINTS = "waktu_dasar_titik.parquet"
SITES = "waktu_dasar_fasilitas.parquet"
LAND = "waktu_dasar_daratan.parquet"
# Written by earlier stages and copied as they are.
SURFACE = "permukaan_penduduk.parquet"
TIMES = "cakupan_waktu_desa.parquet"
# What the coverage stage writes for the live service (travel time only with a road file).
WORK_FILES = [EDGES, NODES, POINTS, SITES, LAND]


def write_travel_base(
    work: Path,
    *,
    network: RoadNetwork,
    grid: tuple[np.ndarray, np.ndarray, np.ndarray],
    desa_codes: np.ndarray,
    facilities: gpd.GeoDataFrame,
    land: shapely.Geometry,
    settings: dict[str, float],
) -> None:
    """Write the network, population points, facilities and land of a travel-time run.

    ``grid`` is ``(points, desa row, weight)`` (:func:`jangkau.analysis.travel.grid_points`),
    ``desa_codes`` the ``kode_desa`` of each desa row; ``settings`` holds
    ``walking_kmh``, ``jarak_jalan_kaki_langsung_m`` and ``tepi_daratan_m``.
    """
    ferry = network.ferry if network.ferry is not None else np.zeros(network.edge_count, bool)
    pd.DataFrame(
        {
            "u": network.u,
            "v": network.v,
            "panjang_m": network.length_m,
            "menit": network.minutes,
            "maju": network.forward,
            "mundur": network.backward,
            "kelas": network.kelas.astype(str),
            "km_per_jam": network.km_per_jam,
            "sambungan": network.joined,
            "feri": ferry,
        }
    ).to_parquet(work / EDGES)
    pd.DataFrame({"x": network.nodes[:, 0], "y": network.nodes[:, 1]}).to_parquet(work / NODES)
    points, owner, weight = grid
    xy = shapely.get_coordinates(points) if len(points) else np.empty((0, 2))
    pd.DataFrame(
        {"x": xy[:, 0], "y": xy[:, 1], "kode_desa": desa_codes[owner], "bobot": weight}
    ).to_parquet(work / POINTS)
    site_xy = shapely.get_coordinates(facilities.geometry.to_numpy())
    pd.DataFrame(
        {
            "id_aset": facilities["id_aset"].to_numpy(),
            "layanan": facilities["layanan"].to_numpy(),
            "x": site_xy[:, 0],
            "y": site_xy[:, 1],
        }
    ).to_parquet(work / SITES)
    gpd.GeoDataFrame(
        {key: [float(value)] for key, value in settings.items()},
        geometry=[land],
        crs=facilities.crs,
    ).to_parquet(work / LAND)


def publish_live_base(work: Path, run_dir: Path) -> Path:
    """Copy what the live service needs from the work folder into ``run_dir/dasar_pantau``.

    Copies the travel-time base (when the run measured travel time) and the
    finer population surface (when the region has one); writes the folder in
    any case, so a run folder without it is a run from before the live service.
    """
    folder = run_dir / FOLDER
    folder.mkdir(exist_ok=True)
    for name in [*WORK_FILES, TIMES, SURFACE]:
        if (work / name).exists():
            shutil.copyfile(work / name, folder / name)
    return folder
