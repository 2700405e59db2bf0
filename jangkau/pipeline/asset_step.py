"""Asset condition in the run: joining it to placed records, who serves, the closure scenario."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.coverage import coverage_by_desa
from jangkau.analysis.no_data import services_without_data
from jangkau.clean.asset_attributes import with_blank_attributes
from jangkau.clean.asset_geometry import SHAPE_COLUMNS
from jangkau.clean.assets import PLACED_COLUMNS, REJECTED_COLUMNS
from jangkau.clean.condition import CONDITION_OUTPUT, heavily_damaged, serves
from jangkau.clean.info_systems import REGISTER_COLUMNS, read_register
from jangkau.config.catalogue import distance_services
from jangkau.config.region import Region
from jangkau.io.geoparquet import read_geoparquet
from jangkau.io.read import read_table


def with_condition(placed: gpd.GeoDataFrame, condition: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """Return placed records with condition, status, year built and capacity (by file and row).

    A value written but not recognised, or refused, is named in ``catatan``.
    """
    out = placed.copy()
    if condition is None or out.empty:
        for column in CONDITION_OUTPUT:
            out[column] = pd.Series("", index=out.index, dtype=object)
        return with_blank_attributes(out)
    keyed = condition.set_index(["sumber", "baris"])
    keys = pd.MultiIndex.from_arrays([out["sumber"], out["baris"].astype("int64")])
    found = keyed.reindex(keys)
    for column in CONDITION_OUTPUT:
        out[column] = found[column].fillna("").to_numpy()
    out["tahun_dibangun"] = found["tahun_dibangun"].astype("Int64").to_numpy()
    out["kapasitas"] = found["kapasitas"].astype(float).to_numpy()
    out["satuan_kapasitas"] = found["satuan_kapasitas"].fillna("").to_numpy()
    out["teknologi"] = found["teknologi"].fillna("").to_numpy()
    note = found["catatan_kondisi"].fillna("").to_numpy()
    out["catatan"] = [
        "; ".join(part for part in (old, new) if part)
        for old, new in zip(out["catatan"].fillna(""), note, strict=True)
    ]
    return out


def combine_shapes(frames: list[gpd.GeoDataFrame], kind: str) -> gpd.GeoDataFrame:
    """Return the placed lines or polygons of every file as one frame (EPSG:4326)."""
    columns = [*PLACED_COLUMNS, SHAPE_COLUMNS[kind]]
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=4326
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)


def with_serving_areas(
    points: gpd.GeoDataFrame, work: Path, catalogue: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Return the point assets with the polygon assets of distance services added.

    A school compound, a puskesmas site or a TPS drawn as a polygon serves
    like a point: coverage and the nearest facility are measured from its
    edge (people inside it are reached), and it counts as a facility. Lines
    never do: networks are measured by ``terjangkau_<layanan>``.
    """
    path = work / "aset_area.parquet"
    if not path.exists():
        return points
    areas = read_geoparquet(path)
    areas = areas[areas["layanan"].isin(distance_services(catalogue))]
    if areas.empty:
        return points
    both = pd.concat([points, areas.drop(columns="luas_ha").to_crs(points.crs)], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=points.crs)


# Polygons as points for travel time and site planning, which start from coordinates:
# edge points at most this far apart (m). Discs of radius r around them miss
# slivers of the polygon's r-buffer at most STEP² / (8 r) deep: 2.5 cm at r = 500 m,
# the smallest service radius.
EDGE_STEP_M = 10.0
# A polygon wider than twice this (m) also gets a grid of inner points, INNER_STEP_M
# apart, so that its middle is reached from inside: every point of it is then within
# INNER_STEP_M / √2 (71 m) of one, far below the smallest catalogue radius (500 m).
INNER_DEPTH_M = 400.0
INNER_STEP_M = 100.0


def planning_points(facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return point facilities as they are, and each polygon as points on and in it.

    Parameters
    ----------
    facilities
        Facilities in a metric CRS: points, and polygons of distance services.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per point; a polygon's row repeated for every point standing
        in for it: its edge every ``EDGE_STEP_M`` metres and, for a polygon
        deeper than ``INNER_DEPTH_M``, a grid inside it.
    """
    is_point = (facilities.geom_type == "Point").to_numpy()
    if is_point.all():
        return facilities
    rows, points = [], []
    for position in np.flatnonzero(~is_point):
        polygon = facilities.geometry.iloc[position]
        edge = shapely.get_coordinates(shapely.segmentize(polygon.boundary, EDGE_STEP_M))
        inner = np.empty((0, 2))
        if not polygon.buffer(-INNER_DEPTH_M).is_empty:
            minx, miny, maxx, maxy = polygon.bounds
            grid_x, grid_y = np.meshgrid(
                np.arange(minx, maxx, INNER_STEP_M), np.arange(miny, maxy, INNER_STEP_M)
            )
            grid = shapely.points(grid_x.ravel(), grid_y.ravel())
            inner = shapely.get_coordinates(
                grid[shapely.contains_xy(polygon, grid_x.ravel(), grid_y.ravel())]
            )
        xy = np.unique(np.vstack([edge, inner]), axis=0)
        rows += [position] * len(xy)
        points += list(shapely.points(xy))
    standing = facilities.iloc[rows].set_geometry(points, crs=facilities.crs)
    both = pd.concat([facilities[is_point], standing], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=facilities.crs)


def operating(assets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the assets that serve in coverage (empty status counts as operating)."""
    return assets[serves(assets).to_numpy()]


def read_lines(work: Path, metric: object) -> gpd.GeoDataFrame:
    """Return the run's line assets in the metric CRS (an empty frame when there are none)."""
    path = work / "aset_garis.parquet"
    if not path.exists():
        return gpd.GeoDataFrame({"layanan": [], "jenis": []}, geometry=[], crs=metric)
    return read_geoparquet(path).to_crs(metric)


def closure_coverage(
    desa: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    desa_coverage: pd.DataFrame,
    *,
    catalogue: pd.DataFrame,
    surface: gpd.GeoDataFrame | None,
) -> pd.DataFrame:
    """Return desa coverage if every ``rusak berat`` asset closed.

    Parameters
    ----------
    desa, assets
        Desa and the operating assets, in the run's metric CRS.
    desa_coverage
        Coverage with every operating asset (:func:`coverage_by_desa`); services
        without a heavily damaged asset keep these figures.
    catalogue, surface
        As for :func:`coverage_by_desa`.

    Returns
    -------
    pandas.DataFrame
        ``desa_coverage``'s columns, the figures without the ``rusak berat`` assets.
    """
    damaged = heavily_damaged(assets).to_numpy()
    affected = set(assets.loc[damaged, "layanan"]) & set(desa_coverage["layanan"])
    if not affected:
        return desa_coverage.copy()
    recomputed = coverage_by_desa(
        desa,
        assets[~damaged],
        catalogue=catalogue[catalogue["layanan"].isin(affected)],
        surface=surface,
    )
    kept = desa_coverage[~desa_coverage["layanan"].isin(affected)]
    order = list(dict.fromkeys(desa_coverage["layanan"]))
    combined = pd.concat([kept, recomputed], ignore_index=True)
    combined["_order"] = combined["layanan"].map({s: i for i, s in enumerate(order)})
    return (
        combined.sort_values(["_order"], kind="stable")
        .drop(columns="_order")[desa_coverage.columns]
        .reset_index(drop=True)
    )


def read_registers(region: Region) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the region's information-system registers: systems, and rows rejected with a reason."""
    systems, rejected = [pd.DataFrame(columns=REGISTER_COLUMNS)], []
    for spec in region.sistem_informasi:
        found, refused = read_register(read_table(spec.path, **spec.options), source=spec.name)
        systems.append(found)
        rejected.append(refused)
    frame = pd.concat(systems, ignore_index=True)
    refused = pd.concat(rejected, ignore_index=True) if rejected else None
    return frame, refused if refused is not None else pd.DataFrame(columns=REJECTED_COLUMNS)


# Facilities counted without a location (written by the asset stage).
UNLOCATED_FILE = "tanpa_koordinat.parquet"


def read_unlocated(work: Path) -> pd.DataFrame | None:
    """Return the run's ``tanpa_koordinat`` table (None for a work folder from before it)."""
    path = work / UNLOCATED_FILE
    return pd.read_parquet(path) if path.exists() else None


def read_surface(work: Path, metric: object) -> gpd.GeoDataFrame | None:
    """Return the run's finer population surface in ``metric``, or None without one."""
    path = work / "permukaan_penduduk.parquet"
    return read_geoparquet(path).to_crs(metric) if path.exists() else None


def serving_assets(assets: gpd.GeoDataFrame, region: Region) -> gpd.GeoDataFrame:
    """Return the assets that serve in this run: all but those reported out of service live."""
    if not region.aset_tidak_melayani:
        return assets
    return assets.loc[~assets["id_aset"].isin(region.aset_tidak_melayani)]


def assets_that_serve(
    region: Region, work: Path, catalogue: pd.DataFrame, unlocated: pd.DataFrame | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Return the facilities that serve in this run, and the services without any data.

    Points and polygons of distance services (serving from their edge); only
    operating ones (an empty status counts as operating), none reported out of
    service live. A service with no asset anywhere, not even out of service or
    counted without a location, has unknown figures, not zero.
    """
    every_asset = with_serving_areas(read_geoparquet(work / "aset.parquet"), work, catalogue)
    no_data = services_without_data(every_asset, unlocated, catalogue["layanan"].tolist())
    return serving_assets(operating(every_asset), region), no_data
