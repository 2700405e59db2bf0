"""The people each proposed site newly brings within reach, computed exactly as the coverage counts them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from jangkau.analysis.geometry import QUAD_SEGMENTS, cut_away
from jangkau.analysis.lattice import Lattice


@dataclass(frozen=True)
class SiteRegion:
    """The populated desa of the kecamatan below target, and their shared lattice."""

    populated: pd.DataFrame
    kecamatan_of: np.ndarray
    polygons: np.ndarray
    area: np.ndarray
    people: np.ndarray
    is_kelurahan: np.ndarray
    base: np.ndarray
    lattice: Lattice
    surface: tuple | None


def within_reach(points: np.ndarray, radius: np.ndarray, facilities: np.ndarray) -> np.ndarray:
    """Return, per point, whether a facility lies within its radius."""
    reached = np.zeros(len(points), dtype=bool)
    if len(facilities) == 0 or len(points) == 0:
        return reached
    tree = shapely.STRtree(facilities)
    for value in np.unique(radius):
        group = np.flatnonzero(radius == value)
        found, _ = tree.query(points[group], predicate="dwithin", distance=value)
        reached[group[found]] = True
    return reached


@dataclass(frozen=True)
class Chosen:
    """Sites chosen for one service: points, kecamatan (index) and round (0-based) of each."""

    points: np.ndarray
    kecamatan: np.ndarray
    round: np.ndarray


def exact_gains(
    region: SiteRegion, radius: np.ndarray, existing: np.ndarray, chosen: Chosen
) -> np.ndarray:
    """Return the people each site newly brings within reach in its own group (see :func:`gain_pairs`)."""
    site, _, people = gain_pairs(region, radius, existing, chosen)
    return np.bincount(site, weights=people, minlength=len(chosen.points))


def gain_pairs(
    region: SiteRegion, radius: np.ndarray, existing: np.ndarray, chosen: Chosen
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the people each site newly brings within reach, per desa: (site, desa, people).

    Only desa of the site's own group count (``region.kecamatan_of`` holds
    each desa's group and ``chosen.kecamatan`` each site's: kecamatan, or
    kabupaten for choices across kecamatan borders), and "before" means an
    earlier round in the same group.

    Exact, as the coverage counts them: for each desa, the part of the site's
    disc that lies in the desa and outside the discs of the existing
    facilities and of the sites chosen before it, times the desa's people
    per area; in desa with a population surface, the weight of its points
    newly within reach.
    """
    sites, site_kecamatan, site_round = chosen.points, chosen.kecamatan, chosen.round
    pair_site, pair_desa, pair_people = [], [], []
    surfaced = np.zeros(len(region.polygons), dtype=bool)
    if region.surface is not None:
        _, owner, share = region.surface
        surfaced = np.bincount(owner, weights=share, minlength=len(region.polygons)) > 0
        for part, values in zip(
            (pair_site, pair_desa, pair_people),
            _surface_pairs(region, radius, existing, chosen),
            strict=True,
        ):
            part.append(values)
    site_tree = shapely.STRtree(sites)
    facility_tree = shapely.STRtree(existing) if len(existing) else None
    for value in np.unique(radius[~surfaced]):
        targets = np.flatnonzero((radius == value) & ~surfaced)
        discs = shapely.buffer(sites, value, quad_segs=QUAD_SEGMENTS)
        # Only discs closer than two radii can overlap a site's disc.
        blockers, blocker_owner, blocker_index = [discs], [], []
        if facility_tree is not None:
            site_index, facility_index = facility_tree.query(
                sites, predicate="dwithin", distance=2 * value
            )
            involved, facility_index = np.unique(facility_index, return_inverse=True)
            blockers.append(shapely.buffer(existing[involved], value, quad_segs=QUAD_SEGMENTS))
            blocker_owner.append(site_index)
            blocker_index.append(facility_index + len(sites))
            centres = np.concatenate([sites, existing[involved]])
        else:
            centres = sites
        site_index, earlier = site_tree.query(sites, predicate="dwithin", distance=2 * value)
        before = (site_kecamatan[earlier] == site_kecamatan[site_index]) & (
            site_round[earlier] < site_round[site_index]
        )
        blocker_owner.append(site_index[before])
        blocker_index.append(earlier[before])
        owner, index = np.concatenate(blocker_owner), np.concatenate(blocker_index)
        fresh = cut_away(
            discs,
            np.concatenate(blockers),
            (owner, index),
            nearness=shapely.distance(sites[owner], centres[index]),
        )
        desa_tree = shapely.STRtree(region.polygons[targets])
        site_index, found = desa_tree.query(fresh, predicate="intersects")
        target = targets[found]
        same = region.kecamatan_of[target] == site_kecamatan[site_index]
        site_index, target = site_index[same], target[same]
        overlap = shapely.area(shapely.intersection(fresh[site_index], region.polygons[target]))
        with np.errstate(invalid="ignore", divide="ignore"):
            people = np.where(
                region.area[target] > 0,
                region.people[target] * overlap / region.area[target],
                0.0,
            )
        pair_site.append(site_index)
        pair_desa.append(target)
        pair_people.append(people)
    if not pair_site:
        return np.array([], dtype=int), np.array([], dtype=int), np.array([], dtype=float)
    return (
        np.concatenate(pair_site).astype(int),
        np.concatenate(pair_desa).astype(int),
        np.concatenate(pair_people).astype(float),
    )


def _surface_pairs(
    region: SiteRegion, radius: np.ndarray, existing: np.ndarray, chosen: Chosen
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (site, desa, people) for the surface points each site newly brings within reach."""
    sites, site_kecamatan, site_round = chosen.points, chosen.kecamatan, chosen.round
    points, owner, share = region.surface
    pair_site, pair_desa, pair_people = [np.array([], dtype=int)], [np.array([], dtype=int)], []
    pair_people.append(np.array([], dtype=float))
    point_radius = radius[owner]
    reached = within_reach(points, point_radius, existing)
    weight = region.people[owner] * share
    point_tree = shapely.STRtree(points)
    for step in range(int(site_round.max()) + 1 if len(sites) else 0):
        now = np.flatnonzero(site_round == step)
        newly = np.zeros(len(points), dtype=bool)
        for value in np.unique(point_radius):
            site_index, point = point_tree.query(sites[now], predicate="dwithin", distance=value)
            site_index = now[site_index]
            mine = (
                (point_radius[point] == value)
                & (region.kecamatan_of[owner[point]] == site_kecamatan[site_index])
                & ~reached[point]
            )
            site_index, point = site_index[mine], point[mine]
            pair_site.append(site_index)
            pair_desa.append(owner[point])
            pair_people.append(weight[point])
            newly[point] = True
        reached |= newly
    return np.concatenate(pair_site), np.concatenate(pair_desa), np.concatenate(pair_people)
