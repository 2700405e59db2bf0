"""Points on one square lattice per group of polygons: the demand and candidate grid of proposed sites."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

# Shift (metres) that moves each group's points far from every other group's:
# more than Indonesia's width plus any service radius.
SEPARATION = 1.0e7


@dataclass(frozen=True)
class Lattice:
    """Points inside polygons, on one square lattice per group of polygons.

    Point ``p`` lies in polygon ``owner[p]`` at lattice position
    ``(column[p], row[p])`` of its group; a polygon too small to hold a
    lattice point gets one point on its surface, at position ``(-1, -1)``.
    Points are ordered by owner. ``separated`` holds the same points moved
    apart by group (see :data:`SEPARATION`), so that a distance search
    never pairs points of different groups.
    """

    points: np.ndarray
    separated: np.ndarray
    owner: np.ndarray
    column: np.ndarray
    row: np.ndarray

    def every(self, step: np.ndarray, *, keep: np.ndarray, n_owners: int) -> np.ndarray:
        """Return the points on every ``step``-th lattice line (``step`` per owner) of kept owners.

        Owners that would be left with no point keep their first one, so
        every kept polygon is represented.
        """
        wanted = keep[self.owner]
        stride = step[self.owner]
        on_lines = (self.column % stride == 0) & (self.row % stride == 0)
        chosen = wanted & (on_lines | (self.column < 0))
        represented = np.bincount(self.owner[chosen], minlength=n_owners) > 0
        first = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]])
        missing = first[wanted[first] & ~represented[self.owner[first]]]
        chosen[missing] = True
        return np.flatnonzero(chosen)


def lattice_points(polygons: np.ndarray, group: np.ndarray, spacing: np.ndarray) -> Lattice:
    """Return lattice points inside each polygon; the lattice is shared by a group.

    Parameters
    ----------
    polygons
        Polygons in a metric CRS.
    group
        Group (0..n_groups-1) of each polygon; the group's lattice starts at
        its lower-left corner.
    spacing
        Lattice spacing per group, in metres.
    """
    n = len(polygons)
    if n == 0:
        empty = np.array([], dtype=int)
        return Lattice(np.array([], dtype=object), np.array([], dtype=object), empty, empty, empty)
    # Parts of a multipolygon (islands) get their own bounding box: far cheaper
    # than one box spanning the sea between them.
    parts, part_owner = shapely.get_parts(polygons, return_index=True)
    bounds = shapely.bounds(parts)
    part_group = group[part_owner]
    origin_x = np.full(group.max() + 1, np.inf)
    origin_y = np.full(group.max() + 1, np.inf)
    np.minimum.at(origin_x, part_group, bounds[:, 0])
    np.minimum.at(origin_y, part_group, bounds[:, 1])
    step = spacing[part_group]
    x0, y0 = origin_x[part_group], origin_y[part_group]
    first_column = np.maximum(np.ceil((bounds[:, 0] - x0) / step - 0.5), 0).astype(np.int64)
    last_column = np.floor((bounds[:, 2] - x0) / step - 0.5).astype(np.int64)
    first_row = np.maximum(np.ceil((bounds[:, 1] - y0) / step - 0.5), 0).astype(np.int64)
    last_row = np.floor((bounds[:, 3] - y0) / step - 0.5).astype(np.int64)
    width = np.maximum(last_column - first_column + 1, 0)
    height = np.maximum(last_row - first_row + 1, 0)
    count = width * height
    part = np.repeat(np.arange(len(parts)), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    column = first_column[part] + offset % np.maximum(width[part], 1)
    row = first_row[part] + offset // np.maximum(width[part], 1)
    x = x0[part] + (column + 0.5) * step[part]
    y = y0[part] + (row + 0.5) * step[part]
    shapely.prepare(parts)
    inside = shapely.contains_xy(parts[part], x, y)
    owner = part_owner[part[inside]]
    column, row, x, y = column[inside], row[inside], x[inside], y[inside]
    bare = np.flatnonzero(np.bincount(owner, minlength=n) == 0)
    surface = shapely.point_on_surface(polygons[bare])
    owner = np.concatenate([owner, bare])
    column = np.concatenate([column, np.full(len(bare), -1)])
    row = np.concatenate([row, np.full(len(bare), -1)])
    x = np.concatenate([x, shapely.get_x(surface)])
    y = np.concatenate([y, shapely.get_y(surface)])
    order = np.argsort(owner, kind="stable")
    x, y, owner = x[order], y[order], owner[order]
    return Lattice(
        shapely.points(x, y),
        shapely.points(x + group[owner] * SEPARATION, y),
        owner,
        column[order],
        row[order],
    )
