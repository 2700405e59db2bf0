"""Geometry shared by coverage and proposed sites: cutting discs away, unions per owner."""

from __future__ import annotations

import numpy as np
import shapely

# A 32-segment quarter circle deviates from the true disc area by under 0.05 %.
QUAD_SEGMENTS = 32

# A disc-by-disc subtraction settles densely served desa after a few discs;
# what remains is cut by one union of the rest (cheaper than many holes).
SUBTRACT_FIRST = 4


def cut_away(
    shapes: np.ndarray,
    cutters: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray],
    *,
    nearness: np.ndarray,
) -> np.ndarray:
    """Return each shape minus the union of the cutters paired with it.

    Parameters
    ----------
    shapes, cutters
        Polygons.
    pairs
        ``(shape, cutter)`` index pairs: which cutters to take from which shape.
    nearness
        Per pair, how near the cutter is to the shape (smaller first): the
        nearest few are cut one at a time, the rest united in one cut.
    """
    shape_index, cutter_index = pairs
    order = np.lexsort((nearness, shape_index))
    shape_index, cutter_index = shape_index[order], cutter_index[order]
    rank = _rank_within(shape_index, len(shapes))
    remaining = np.array(shapes, dtype=object)
    made_here = np.zeros(len(shapes), dtype=bool)
    for step in range(SUBTRACT_FIRST):
        now = rank == step
        target, cutter = shape_index[now], cutter_index[now]
        live = ~shapely.is_empty(remaining[target])
        if not live.any():
            break
        remaining[target[live]] = shapely.difference(remaining[target[live]], cutters[cutter[live]])
        made_here[target[live]] = True
    later = rank >= SUBTRACT_FIRST
    target, cutter = shape_index[later], cutter_index[later]
    if len(target):
        # Only geometries made by this call are prepared: other threads may be
        # reading the input shapes.
        own = np.unique(target)
        shapely.prepare(remaining[own[made_here[own]]])
        touching = shapely.intersects(remaining[target], cutters[cutter])
        target, cutter = target[touching], cutter[touching]
    if len(target):
        rest = ragged_union(cutters[cutter], target, len(shapes))
        cut = ~shapely.is_missing(rest)
        remaining[cut] = shapely.difference(remaining[cut], rest[cut])
    return remaining


def area_share_within(polygons: np.ndarray, reach: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Return the share (0–1) of each polygon's area inside the union of the ``reach`` shapes.

    ``reach[j]`` grew from ``sources[j]`` (a disc around a tower, a strip
    along a line); the nearest sources are cut away first
    (:func:`cut_away`). A polygon without area gets 0.
    """
    polygon_index, reach_index = shapely.STRtree(reach).query(polygons, predicate="intersects")
    nearness = shapely.distance(
        shapely.point_on_surface(polygons)[polygon_index], sources[reach_index]
    )
    uncovered = cut_away(polygons, reach, (polygon_index, reach_index), nearness=nearness)
    area = shapely.area(polygons)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(np.where(area > 0, 1.0 - shapely.area(uncovered) / area, 0.0), 0, 1)


def _rank_within(owner: np.ndarray, n_owners: int) -> np.ndarray:
    """Return each item's position among the items of its owner (``owner`` sorted)."""
    counts = np.bincount(owner, minlength=n_owners)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.arange(len(owner)) - starts[owner]


def ragged_union(geometries: np.ndarray, owner: np.ndarray, n_owners: int) -> np.ndarray:
    """Return, per owner, the union of its geometries (None where it has none).

    ``owner`` need not be sorted; each owner's geometries are united in one
    GEOS call, all owners together.
    """
    result = np.full(n_owners, None, dtype=object)
    if len(owner) == 0:
        return result
    order = np.argsort(owner, kind="stable")
    owner, geometries = owner[order], geometries[order]
    rank = _rank_within(owner, n_owners)
    grid = np.full((n_owners, int(rank.max()) + 1), None, dtype=object)
    grid[owner, rank] = geometries
    has = np.bincount(owner, minlength=n_owners) > 0
    result[has] = shapely.union_all(grid[has], axis=1)
    return result
