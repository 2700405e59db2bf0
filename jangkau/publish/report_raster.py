"""The map layers of the printed report painted as images: a province's desa fills, dense points.

Pillow's ``ImageDraw`` paints the desa polygons in C, and points are
stamped with numpy; each layer is painted at twice the report's raster
resolution and reduced (a 2 × 2 average), which smooths the edges
(Pillow's polygons have no anti-aliasing of their own). The outlines
in pixels are computed once per report and reused on every service's page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely
from PIL import Image, ImageColor, ImageDraw
from reportlab.lib.utils import ImageReader

from jangkau.publish.report_layout import RASTER_DPI

if TYPE_CHECKING:
    from jangkau.publish.report_maps import Frame, MapBase

# Painted at this many times the raster resolution, then reduced.
_SUPERSAMPLE = 2


def _pixels_per_point() -> float:
    return RASTER_DPI / 72 * _SUPERSAMPLE


def _size(frame: Frame) -> tuple[int, int]:
    k = _pixels_per_point()
    return max(1, round(frame.width * k)), max(1, round(frame.height * k))


def _to_pixels(frame: Frame, xy: np.ndarray) -> np.ndarray:
    """Return metres as pixel positions (origin top left) of the frame's image."""
    placed = frame.place(xy)
    k = _pixels_per_point()
    return np.column_stack(
        ((placed[:, 0] - frame.left) * k, (frame.bottom + frame.height - placed[:, 1]) * k)
    )


def _desa_pixels(base: MapBase, frame: Frame) -> list[tuple[int, list, list]]:
    """Return each desa part, largest outline first: its desa, exterior ring and holes in pixels.

    Parts are painted in that order, each followed by its holes in white. A
    part lying in another's hole (an enclave, or a piece of a multi-part desa)
    has a smaller outline than the part around it, so it is painted after that
    hole is cleared. The area of the outline counts, not the desa's area: a
    thin ring of a desa around a larger enclave has less area than the enclave.
    """
    key = ("pixels", frame)
    if key in base.cache:
        return base.cache[key]
    parts, owner = shapely.get_parts(base.desa_shapes, return_index=True)
    polygons = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, owner = parts[polygons], owner[polygons]
    exteriors = shapely.get_exterior_ring(parts)
    outer = _pixel_rings(frame, exteriors)
    holes: list[list] = [[] for _ in range(len(parts))]
    counts = shapely.get_num_interior_rings(parts)
    for position, part, count in zip(
        np.flatnonzero(counts > 0), parts[counts > 0], counts[counts > 0], strict=True
    ):
        interiors = shapely.get_interior_ring(np.repeat(part, count), np.arange(count))
        holes[position] = _pixel_rings(frame, interiors)
    order = np.argsort(-shapely.area(shapely.polygons(exteriors)), kind="stable").tolist()
    base.cache[key] = [(int(owner[k]), outer[k], holes[k]) for k in order]
    return base.cache[key]


def _pixel_rings(frame: Frame, rings: np.ndarray) -> list[list[float]]:
    """Return rings as flat ``[x, y, x, y, ...]`` pixel lists (all rings reprojected at once)."""
    coordinates, which = shapely.get_coordinates(rings, return_index=True)
    pixels = _to_pixels(frame, coordinates)
    ends = np.cumsum(np.bincount(which, minlength=len(rings)))[:-1]
    return [ring.ravel().tolist() for ring in np.split(pixels, ends)]


def fills_image(base: MapBase, frame: Frame, fills: list[str]) -> ImageReader:
    """Return the desa of ``base`` painted in their colours ``fills``, white-edged."""
    size = _size(frame)
    image = Image.new("RGB", size, "#ffffff")
    draw = ImageDraw.Draw(image)
    inks = {fill: ImageColor.getrgb(fill) for fill in set(fills)}
    white = (255, 255, 255)
    for index, outer, holes in _desa_pixels(base, frame):
        draw.polygon(outer, fill=inks[fills[index]], outline=white, width=1)
        for ring in holes:
            draw.polygon(ring, fill=white)
    return ImageReader(image.reduce(_SUPERSAMPLE))


def points_image(
    frame: Frame, xy: np.ndarray, *, colour: str, size: float, diamond: bool
) -> ImageReader:
    """Return points painted as dots (or diamonds) ``size`` points across, on a clear image.

    Each point is one stamp of pixels set with numpy (thousands of points in
    one operation per pixel of the stamp), not one drawing call per point.
    """
    width, height = _size(frame)
    pixels = np.zeros((height, width, 4), dtype=np.uint8)
    centres = np.rint(_to_pixels(frame, xy)).astype(np.int64)
    # A diamond is a square of ``size`` turned by 45° (matplotlib's "D"), white-edged.
    radius = size / 2 * _pixels_per_point() * (np.sqrt(2) if diamond else 1)
    if diamond:
        _stamp(pixels, centres, radius + 1, (255, 255, 255), diamond=True)
    _stamp(pixels, centres, radius, ImageColor.getrgb(colour), diamond=diamond)
    return ImageReader(Image.fromarray(pixels, "RGBA").reduce(_SUPERSAMPLE))


def _stamp(
    pixels: np.ndarray, centres: np.ndarray, radius: float, rgb: tuple, *, diamond: bool
) -> None:
    """Set the pixels within ``radius`` of each centre (a disc, or a diamond) to ``rgb``."""
    reach = int(np.ceil(radius))
    height, width = pixels.shape[:2]
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            inside = abs(dx) + abs(dy) <= radius if diamond else dx * dx + dy * dy <= radius**2
            if not (inside or (dx == 0 and dy == 0)):
                continue
            x, y = centres[:, 0] + dx, centres[:, 1] + dy
            fits = (x >= 0) & (x < width) & (y >= 0) & (y < height)
            pixels[y[fits], x[fits]] = (*rgb[:3], 255)
