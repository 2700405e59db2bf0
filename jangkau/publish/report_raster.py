"""The map layers of the printed report painted as images: a province's desa fills, dense points.

Pillow's ``ImageDraw`` paints polygons and dots in C; each layer is painted
at twice the report's raster resolution and reduced, which smooths the
edges (Pillow's polygons have no anti-aliasing of their own). The outlines
in pixels are computed once per report and reused on every service's page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely
from PIL import Image, ImageDraw
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
    """Return per desa, largest first: its index, exterior rings and holes in pixels.

    Largest first: a desa lying in another's hole (an enclave) is smaller
    than it, so it is painted after the hole is cleared.
    """
    key = ("pixels", frame)
    if key not in base.cache:
        shapes = base.desa_shapes
        painted = []
        for index in np.argsort(-shapely.area(shapes), kind="stable").tolist():
            outer, holes = [], []
            shape = shapes[index]
            for polygon in getattr(shape, "geoms", [shape]):
                if polygon is None or polygon.geom_type != "Polygon" or polygon.is_empty:
                    continue
                outer.append(_ring(frame, polygon.exterior))
                holes += [_ring(frame, ring) for ring in polygon.interiors]
            painted.append((index, outer, holes))
        base.cache[key] = painted
    return base.cache[key]


def _ring(frame: Frame, ring: object) -> list[tuple[float, float]]:
    return [tuple(p) for p in _to_pixels(frame, np.asarray(ring.coords)[:, :2]).tolist()]


def fills_image(base: MapBase, frame: Frame, fills: list[str]) -> ImageReader:
    """Return the desa of ``base`` painted in their colours ``fills``, white-edged."""
    size = _size(frame)
    image = Image.new("RGB", size, "#ffffff")
    draw = ImageDraw.Draw(image)
    for index, outer, holes in _desa_pixels(base, frame):
        for ring in outer:
            draw.polygon(ring, fill=fills[index], outline="#ffffff", width=1)
        for ring in holes:
            draw.polygon(ring, fill="#ffffff")
    reduced = image.resize((size[0] // _SUPERSAMPLE, size[1] // _SUPERSAMPLE), Image.LANCZOS)
    return ImageReader(reduced)


def points_image(
    frame: Frame, xy: np.ndarray, *, colour: str, size: float, diamond: bool
) -> ImageReader:
    """Return points painted as dots (or diamonds) ``size`` points across, on a clear image."""
    shape = _size(frame)
    image = Image.new("RGBA", shape, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    # A diamond is a square of ``size`` turned by 45° (matplotlib's "D"), white-edged.
    half = size / 2 * _pixels_per_point() * (np.sqrt(2) if diamond else 1)
    for x, y in _to_pixels(frame, xy).tolist():
        if diamond:
            corners = [(x, y - half), (x + half, y), (x, y + half), (x - half, y)]
            draw.polygon(corners, fill=colour, outline="#ffffff", width=1)
        else:
            draw.ellipse((x - half, y - half, x + half, y + half), fill=colour)
    reduced = image.resize((shape[0] // _SUPERSAMPLE, shape[1] // _SUPERSAMPLE), Image.LANCZOS)
    return ImageReader(reduced)
