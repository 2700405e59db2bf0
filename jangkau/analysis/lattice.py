"""Points on one square lattice per group of polygons: the demand and candidate grid of proposed sites."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True)
class Lattice:
    """Points inside polygons, on one square lattice per group of polygons.

    Point ``p`` lies in polygon ``owner[p]`` at ``xy[p]``, lattice position
    ``(column[p], row[p])`` of its group; a polygon too small to hold a
    lattice point gets one point on its surface, at position ``(-1, -1)``.
    Points are ordered by owner.
    """

    xy: np.ndarray
    owner: np.ndarray
    column: np.ndarray
    row: np.ndarray

    @property
    def points(self) -> np.ndarray:
        """The points as shapely geometries (built on demand: coordinates serve most uses)."""
        return shapely.points(self.xy)


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
        return Lattice(np.zeros((0, 2)), empty, empty, empty)
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
    return Lattice(np.column_stack([x, y]), owner, column[order], row[order])
