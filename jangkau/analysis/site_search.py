"""The pieces of a site search: grids of demand and candidates, who reaches whom, and what a site adds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.spatial
import shapely

from jangkau.analysis.lattice import lattice_points
from jangkau.analysis.site_gains import Chosen, SiteRegion, gain_pairs


@dataclass(frozen=True)
class Grid:
    """Points over polygons: coordinates, each point's owner (polygon index) and the spacing used."""

    xy: np.ndarray
    owner: np.ndarray
    spacing: float
    coarsened: bool


def grid_points(polygons: np.ndarray, spacing: float, cap: int) -> Grid:
    """Return grid points inside the polygons, ``spacing`` apart or coarser to stay under ``cap``."""
    area = float(shapely.area(polygons).sum())
    used = max(spacing, np.sqrt(area / cap) if cap > 0 else spacing, 1.0)
    lattice = lattice_points(polygons, np.zeros(len(polygons), dtype=int), np.array([used]))
    return Grid(lattice.xy, lattice.owner, used, used > spacing * (1 + 1e-9))


def reach_matrix(
    demand: np.ndarray, demand_radius: np.ndarray, candidates: np.ndarray
) -> scipy.sparse.csr_matrix:
    """Return the demand × candidate matrix: 1 where the candidate lies within the demand's radius.

    ``demand`` and ``candidates`` are coordinate arrays (n × 2, metres).
    """
    rows, columns = [], []
    if len(candidates) and len(demand):
        tree = _tree(candidates)
        for value in np.unique(demand_radius):
            group = np.flatnonzero(demand_radius == value)
            pairs = _tree(demand[group]).sparse_distance_matrix(
                tree, float(value), output_type="ndarray"
            )
            rows.append(group[pairs["i"]])
            columns.append(pairs["j"])
    row = np.concatenate(rows) if rows else np.array([], dtype=int)
    column = np.concatenate(columns) if columns else np.array([], dtype=int)
    # Pairs in column order (a radix sort of small numbers): scipy then groups them by
    # row keeping that order, so each row comes out sorted and is not sorted again.
    small = np.int16 if len(candidates) <= np.iinfo(np.int16).max else np.int32
    order = np.argsort(column.astype(small), kind="stable")
    return scipy.sparse.csr_matrix(
        (np.ones(len(row)), (row[order], column[order])), shape=(len(demand), len(candidates))
    )


def _tree(points: np.ndarray) -> scipy.spatial.cKDTree:
    """Return a k-d tree of the points, built for one search.

    Split at the middle of each box rather than at the median, and without
    shrinking boxes to their points: the build costs a third as much and the
    searches here take as long. Which pairs lie within a radius does not
    depend on how the tree is split.
    """
    return scipy.spatial.cKDTree(points, balanced_tree=False, compact_nodes=False)


def within_reach(xy: np.ndarray, radius: np.ndarray, facilities: np.ndarray) -> np.ndarray:
    """Return, per point (coordinates), whether a facility (coordinates) lies within its radius."""
    reached = np.zeros(len(xy), dtype=bool)
    if len(facilities) == 0 or len(xy) == 0:
        return reached
    tree = _tree(facilities)
    for value in np.unique(radius):
        group = np.flatnonzero(radius == value)
        distance, _ = tree.query(xy[group], k=1, distance_upper_bound=float(value) * 1.001 + 1.0)
        reached[group] = distance <= value
    return reached


def near_points(points: np.ndarray, xy: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Return the points (coordinates) within the box around ``xy`` grown by the largest radius.

    Only these can lie within a radius of a point of ``xy``: a kabupaten's
    demand need not be tested against every facility of the province.
    """
    if len(points) == 0 or len(xy) == 0:
        return points[:0]
    # A metre and a part per thousand to spare, as :func:`within_reach` searches.
    margin = float(np.max(radius)) * 1.001 + 1.0
    low, high = xy.min(axis=0) - margin, xy.max(axis=0) + margin
    inside = np.all((points >= low) & (points <= high), axis=1)
    return points[inside]


def sites_to_reach(
    gains_of: scipy.sparse.csr_matrix, weight: np.ndarray, needed: float, cap: int
) -> int:
    """Return how many sites a greedy choice needs to bring ``needed`` weight within reach.

    ``gains_of`` holds one row per candidate: the demand points it reaches
    (a candidate × demand matrix). Stops at ``cap`` (returning ``cap + 1``
    when even that falls short) or when no candidate adds anything.
    """
    if needed <= 0.5 or gains_of.shape[0] == 0:
        return 0
    open_weight = weight.astype(float).copy()
    gained = 0.0
    for count in range(1, cap + 2):
        gains = gains_of @ open_weight
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            return count - 1
        gained += gains[best]
        open_weight[gains_of.indices[gains_of.indptr[best] : gains_of.indptr[best + 1]]] = 0.0
        if gained >= needed - 0.5:
            return count
    return cap + 1


@dataclass(frozen=True)
class KabupatenArrays:
    """The populated desa of one kabupaten, as arrays (metric CRS)."""

    kode_kab: str
    kode_desa: np.ndarray
    kode_kec: np.ndarray
    polygons: np.ndarray
    people: np.ndarray
    is_kelurahan: np.ndarray
    surface: tuple | None
    # Demand grids by spacing, shared by the services that use them (filled as they are built).
    demand_grids: dict = field(default_factory=dict, compare=False, repr=False)


def site_rows(
    kabupaten: KabupatenArrays,
    radius: np.ndarray,
    existing: np.ndarray,
    sites: np.ndarray,
    site_kecamatan: np.ndarray,
    covered_before: pd.Series,
) -> pd.DataFrame:
    """Return each site's exact gain (across kecamatan borders) and its kecamatan's coverage after it.

    Sites are taken in the order given: each one's gain is what it adds to
    the existing facilities and the sites before it.
    """
    columns = ["urutan", "tambahan_penduduk_terlayani", "cakupan_setelah", "geometry"]
    if len(sites) == 0:
        return pd.DataFrame(columns=columns)
    group = np.zeros(len(kabupaten.polygons), dtype=int)
    region = SiteRegion(
        populated=None,
        kecamatan_of=group,
        polygons=kabupaten.polygons,
        area=shapely.area(kabupaten.polygons),
        people=kabupaten.people,
        is_kelurahan=kabupaten.is_kelurahan,
        base=None,
        lattice=None,
        surface=kabupaten.surface,
    )
    order = np.arange(len(sites))
    site, desa, people = gain_pairs(
        region, radius, existing, Chosen(sites, np.zeros(len(sites), dtype=int), order)
    )
    gain = np.bincount(site, weights=people, minlength=len(sites))
    kecamatan_codes, kecamatan_of_desa = np.unique(kabupaten.kode_kec, return_inverse=True)
    # People each site adds per kecamatan, summed over the sites up to it.
    by_site = np.zeros((len(sites), len(kecamatan_codes)))
    np.add.at(by_site, (site, kecamatan_of_desa[desa]), people)
    running = np.cumsum(by_site, axis=0)
    totals = np.bincount(
        kecamatan_of_desa, weights=kabupaten.people, minlength=len(kecamatan_codes)
    )
    position = {code: i for i, code in enumerate(kecamatan_codes)}
    after = []
    for i, kecamatan in enumerate(site_kecamatan):
        k = position.get(kecamatan)
        total = totals[k] if k is not None else 0.0
        added = running[i, k] if k is not None else 0.0
        after.append((covered_before.get(kecamatan, 0.0) + added) / total if total > 0 else np.nan)
    return pd.DataFrame(
        {
            "urutan": order + 1,
            "tambahan_penduduk_terlayani": np.round(gain, 1),
            "cakupan_setelah": np.round(after, 6),
            "geometry": sites,
        }
    )
