"""Travel-time coverage: the share of each desa's people within a time standard by road.

Definition (the documented, checkable figure):

- people sit on grid points: the points of a square lattice with spacing
  ``jarak_titik_m`` (coordinates multiples of the spacing in the run's metric
  CRS) strictly inside each desa, each carrying an equal share of the desa's
  population; a desa too small to hold a lattice point has one point (its
  ``point_on_surface``) with all its people. Where a finer population surface
  is given, its points and weights replace the lattice in the desa it covers;
- a trip from a grid point walks straight to the nearest point of the road
  network (walking speed, the ``jalan kaki`` row of ``kecepatan_jalan``), goes
  along the roads at each edge's speed, and walks from the road point nearest
  the facility to the facility. A grid point farther than
  ``jarak_jalan_kaki_langsung_m`` from every road (or with no road walk on
  land, below) may instead walk straight
  to a facility, when that is quicker, the line stays inside the region's
  desa (no walking across the sea) and the walk takes at most the service's
  longest time standard. No walk leaves the land (the union of the desa
  widened by ``tepi_daratan_m``): a point whose walk to its nearest road
  point, or a facility whose walk from it, would cross the sea has no trip by
  road;
- a grid point is covered for service S when the trip to the nearest S
  facility takes at most S's time standard (kelurahan or desa figure);
- ``cakupan_waktu`` = covered people / people per desa, and Σ covered / Σ
  people per kecamatan; per desa also the weighted median and 90th
  percentile of the trip time (the smallest time t with at least 50 % / 90 %
  of the desa's people at t or less; NaN when that is unreachable).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.crs import require_metric
from jangkau.analysis.network import METRES_PER_MINUTE_AT_1_KMH, RoadNetwork
from jangkau.analysis.routing import Snapped, minutes_to_nearest, snap, trip_minutes
from jangkau.config.catalogue import distance_services, service_minutes

TIME_COLUMNS = [
    "kode_desa",
    "kode_kec",
    "layanan",
    "waktu_standar_menit",
    "penduduk",
    "penduduk_terlayani_waktu",
    "cakupan_waktu",
    "waktu_median",
    "waktu_p90",
]


def grid_points(
    desa: gpd.GeoDataFrame,
    *,
    spacing_m: float,
    surface: gpd.GeoDataFrame | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the population points: (points, desa row of each, share of its desa's people).

    Parameters
    ----------
    desa
        Polygons in a metric CRS with ``kode_desa``.
    spacing_m
        Lattice spacing in metres.
    surface
        Optional points with ``kode_desa`` and ``bobot`` (share of the desa's
        people); used instead of the lattice in the desa it covers.
    """
    polygons = desa.geometry.to_numpy()
    surface_owner = np.array([], dtype=np.int64)
    if surface is not None and len(surface):
        row_of = {code: i for i, code in enumerate(desa["kode_desa"])}
        owner = surface["kode_desa"].map(row_of)
        keep = owner.notna().to_numpy()
        surface_points = surface.geometry.to_numpy()[keep]
        surface_owner = owner.to_numpy()[keep].astype(np.int64)
        surface_weight = surface["bobot"].to_numpy(dtype=float)[keep]
    has_surface = np.zeros(len(desa), dtype=bool)
    has_surface[surface_owner] = True
    xs, ys, owners = [], [], []
    bounds = shapely.bounds(polygons)
    for row in np.flatnonzero(~has_surface):
        minx, miny, maxx, maxy = bounds[row]
        gx = np.arange(np.ceil(minx / spacing_m), np.floor(maxx / spacing_m) + 1) * spacing_m
        gy = np.arange(np.ceil(miny / spacing_m), np.floor(maxy / spacing_m) + 1) * spacing_m
        xx, yy = np.meshgrid(gx, gy)
        inside = shapely.contains_xy(polygons[row], xx.ravel(), yy.ravel())
        if not inside.any():
            spot = shapely.get_coordinates(shapely.point_on_surface(polygons[row]))[0]
            xs.append(np.array([spot[0]]))
            ys.append(np.array([spot[1]]))
        else:
            xs.append(xx.ravel()[inside])
            ys.append(yy.ravel()[inside])
        owners.append(np.full(len(xs[-1]), row, dtype=np.int64))
    owner = np.concatenate(owners) if owners else np.array([], dtype=np.int64)
    points = shapely.points(np.concatenate(xs), np.concatenate(ys)) if xs else np.array([])
    counts = np.bincount(owner, minlength=len(desa))
    weight = 1.0 / counts[owner] if len(owner) else np.array([])
    if len(surface_owner):
        points = np.concatenate([points, surface_points])
        owner = np.concatenate([owner, surface_owner])
        weight = np.concatenate([weight, surface_weight])
    return np.asarray(points, dtype=object), owner, np.asarray(weight, dtype=float)


def weighted_quantile(
    values: np.ndarray, weights: np.ndarray, groups: np.ndarray, q: float, n: int
) -> np.ndarray:
    """Return per group the smallest value whose cumulative weight share reaches ``q`` (NaN if inf)."""
    order = np.lexsort((values, groups))
    v, w, g = values[order], weights[order], groups[order]
    totals = np.bincount(g, weights=w, minlength=n)
    cumulative = np.cumsum(w)
    start = np.r_[0.0, np.cumsum(totals)][g]
    share = (cumulative - start) / np.where(totals[g] > 0, totals[g], 1.0)
    reached = share >= q - 1e-12
    result = np.full(n, np.nan)
    first = pd.Series(v[reached]).groupby(g[reached]).first()
    result[first.index.to_numpy()] = first.to_numpy()
    result[~np.isfinite(result)] = np.nan
    return result


def straight_walk_m(
    points: np.ndarray,
    sites: np.ndarray,
    *,
    land: shapely.Geometry,
    reach_m: float,
    own_land: bool = False,
) -> np.ndarray:
    """Return per point the shortest straight walk to a site within ``reach_m`` that stays on land.

    ``land`` is the union of the region's desa: a straight line leaving it
    crosses the sea (or leaves the region), which no one walks. Points with
    no such site get inf. ``own_land``: ``land`` is prepared and no other
    thread uses it meanwhile, so its prepared form may answer.
    """
    result = np.full(len(points), np.inf)
    if len(points) == 0 or len(sites) == 0 or not np.isfinite(reach_m):
        return result
    which, site = shapely.STRtree(sites).query(points, predicate="dwithin", distance=reach_m)
    if len(which) == 0:
        return result
    lines = shapely.linestrings(
        np.stack(
            [shapely.get_coordinates(points[which]), shapely.get_coordinates(sites[site])], axis=1
        )
    )
    if own_land:
        # Asked of the land, GEOS uses its prepared form (about 40x quicker, same answers);
        # a prepared geometry must not be used by two threads at once (it crashes GEOS).
        on_land = shapely.covers(land, lines)
    else:
        on_land = shapely.covered_by(lines, land)
    np.minimum.at(result, which[on_land], shapely.length(lines[on_land]))
    return result


def walk_on_land(
    network: RoadNetwork, placed: Snapped, points: np.ndarray, land: shapely.Geometry, margin: float
) -> Snapped:
    """Return ``placed`` with the walk to the road set to inf where it would leave the land.

    A walk no longer than ``margin`` from a point on land stays within land
    widened by ``margin``, so only longer walks are checked.
    """
    long = np.flatnonzero(placed.distance_m > margin)
    if len(long) == 0:
        return placed
    road_points = shapely.line_interpolate_point(
        network.edge_lines()[placed.edge[long]], placed.fraction[long], normalized=True
    )
    lines = shapely.linestrings(
        np.stack(
            [shapely.get_coordinates(points[long]), shapely.get_coordinates(road_points)], axis=1
        )
    )
    distance = placed.distance_m.copy()
    distance[long[~shapely.covered_by(lines, land)]] = np.inf
    return Snapped(edge=placed.edge, fraction=placed.fraction, distance_m=distance)


def land_of(desa: gpd.GeoDataFrame, margin_m: float) -> shapely.Geometry:
    """Return the land no walk may leave: the union of the desa widened by ``margin_m`` (prepared)."""
    land = shapely.buffer(shapely.union_all(desa.geometry.to_numpy()), margin_m)
    shapely.prepare(land)
    return land


def point_minutes(
    network: RoadNetwork,
    points: np.ndarray,
    on_road: Snapped,
    far: np.ndarray,
    sites: np.ndarray,
    *,
    tree: shapely.STRtree,
    land: shapely.Geometry,
    land_margin_m: float,
    walk: float,
    reach_m: float,
    straight_m: np.ndarray | None = None,
) -> np.ndarray:
    """Return per population point the trip minutes to the nearest of ``sites`` (inf: none).

    Parameters
    ----------
    network
        The road network (closed edges, if any, neither passable nor a road point).
    points, on_road
        Population points and their places on the road (:func:`walk_on_land` of :func:`snap`).
    far
        Per point, whether it is farther than the straight-walk distance from every road.
    sites
        The facilities' points.
    tree
        STRtree of ``network.edge_lines()[network.road_edges()]``.
    land, land_margin_m
        The land (:func:`land_of`) and its margin.
    walk
        Walking speed in metres per minute.
    reach_m
        Longest straight walk to a facility (the service's longest time standard on foot).
    straight_m
        The far points' straight walks (:func:`straight_walk_m`, in the order of
        ``np.flatnonzero(far)``) when already known for these sites.
    """
    minutes = np.full(len(points), np.inf)
    if len(sites) == 0:
        return minutes
    placed = walk_on_land(network, snap(network, sites, tree), sites, land, land_margin_m)
    access = placed.distance_m / walk
    node_minutes = minutes_to_nearest(network, placed, access)
    minutes = trip_minutes(network, on_road, node_minutes, placed, access, walk)
    if far.any():
        if straight_m is None:
            straight_m = straight_walk_m(points[far], sites, land=land, reach_m=reach_m)
        minutes[far] = np.minimum(minutes[far], straight_m / walk)
    return minutes


def travel_coverage_by_desa(
    desa: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    network: RoadNetwork,
    *,
    catalogue: pd.DataFrame,
    walking_kmh: float,
    spacing_m: float,
    direct_walk_beyond_m: float,
    land_margin_m: float = 50.0,
    surface: gpd.GeoDataFrame | None = None,
    grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Compute travel-time coverage of every distance service for every desa.

    Parameters
    ----------
    desa
        Polygons in a metric CRS with ``kode_desa``, ``kode_kec``, ``tipe``, ``penduduk``.
    facilities
        Points in the same CRS with ``layanan``.
    network
        The road network in the same CRS (:func:`jangkau.analysis.network.build_network`).
    catalogue
        Service catalogue with time standards.
    walking_kmh
        Off-road walking speed.
    spacing_m
        Grid spacing.
    direct_walk_beyond_m
        Points farther than this from every road may walk straight to the facility.
    land_margin_m
        Land is the union of the desa widened by this much; every walk
        (to a road, from a road, straight) must stay on it.
    surface
        Optional finer population surface (``kode_desa``, ``bobot``).
    grid
        The population points when already made (:func:`grid_points` of
        ``desa``, ``spacing_m`` and ``surface``), so a caller keeping them
        does not make them twice.

    Returns
    -------
    pandas.DataFrame
        One row per desa × service, columns ``TIME_COLUMNS``.
    """
    require_metric(desa, "desa")
    require_metric(facilities, "facilities")
    walk = walking_kmh * METRES_PER_MINUTE_AT_1_KMH
    points, owner, weight = grid or grid_points(desa, spacing_m=spacing_m, surface=surface)
    tree = shapely.STRtree(network.edge_lines()[network.road_edges()])
    land = land_of(desa, land_margin_m)
    on_road = walk_on_land(network, snap(network, points, tree), points, land, land_margin_m)
    far = on_road.distance_m > direct_walk_beyond_m
    is_kelurahan = (desa["tipe"] == "kelurahan").to_numpy()
    population = desa["penduduk"].to_numpy(dtype=float)
    frames = []
    for service in distance_services(catalogue):
        sites = facilities.loc[facilities["layanan"] == service].geometry.to_numpy()
        standard = service_minutes(catalogue, service, is_kelurahan)
        minutes = point_minutes(
            network,
            points,
            on_road,
            far,
            sites,
            tree=tree,
            land=land,
            land_margin_m=land_margin_m,
            walk=walk,
            reach_m=np.nanmax(service_minutes(catalogue, service, [True, False])) * walk,
        )
        covered = minutes <= standard[owner] + 1e-9
        share = np.bincount(owner, weights=weight * covered, minlength=len(desa))
        totals = np.bincount(owner, weights=weight, minlength=len(desa))
        fraction = np.where(totals > 0, share / np.where(totals > 0, totals, 1.0), 0.0)
        frames.append(
            pd.DataFrame(
                {
                    "kode_desa": desa["kode_desa"].to_numpy(),
                    "kode_kec": desa["kode_kec"].to_numpy(),
                    "layanan": service,
                    "waktu_standar_menit": standard,
                    "penduduk": population,
                    "penduduk_terlayani_waktu": population * fraction,
                    "cakupan_waktu": fraction,
                    "waktu_median": weighted_quantile(minutes, weight, owner, 0.5, len(desa)),
                    "waktu_p90": weighted_quantile(minutes, weight, owner, 0.9, len(desa)),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=TIME_COLUMNS)
    return pd.concat(frames, ignore_index=True)[TIME_COLUMNS]


def travel_coverage_by_kecamatan(desa_time: pd.DataFrame) -> pd.DataFrame:
    """Aggregate: Σ people covered in time / Σ people per kecamatan × service."""
    grouped = desa_time.groupby(["kode_kec", "layanan"], sort=False)[
        ["penduduk", "penduduk_terlayani_waktu"]
    ].sum()
    grouped["cakupan_waktu"] = grouped["penduduk_terlayani_waktu"] / grouped["penduduk"].where(
        grouped["penduduk"] > 0
    )
    return grouped.reset_index()
