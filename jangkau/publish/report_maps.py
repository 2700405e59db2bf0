"""The map of one service for the printed report: coverage colours, facilities, scale, north.

Maps are drawn in the run's metric CRS, so one drawing unit is one metre and
the scale bar is exact along the map's horizontal; grid north of that CRS (a
UTM zone or a transverse Mercator centred on the region) is within a degree
of true north over a kabupaten or a province. Desa polygons are simplified
once per report to about a third of a printed millimetre.

The map is written as PDF path operators (reportlab's canvas with
``addLiteral``): reportlab's path object formats each vertex in Python per
call, while the map's outlines are the same on every page, so each desa's
outline is formatted once per report and reused with the colour of each
service; the kecamatan boundaries are one form drawn on every map page.
Above 1,000 desa the desa fills are painted by Pillow into an image (a
province's 3,000 desa and 40,000 facilities would make pages slow to open),
as are a service's points above 1,500; boundaries and names stay vector.
The legend, scale bar and north arrow are drawn by hand
(:mod:`jangkau.publish.report_legend`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from jangkau.config.labels import labels
from jangkau.publish.report_layout import PAGE_HEIGHT, PAGE_WIDTH, Sheet, printable
from jangkau.publish.report_legend import draw_furniture
from jangkau.publish.report_raster import fills_image, points_image

# Simplification tolerance as a share of the map's longer side (~0.3 mm on a 25 cm map).
_SIMPLIFY_SHARE = 1 / 800
# Above this many desa, desa fills are rasterised.
_VECTOR_DESA = 1000
# Above this many points a layer is rasterised rather than drawn point by point.
_RASTER_POINTS = 1500
# Kecamatan names in points: up to 40 kecamatan, and more.
_LABEL_PT, _DENSE_LABEL_PT = 6.5, 4.5
# Marker areas in square points (as matplotlib's scatter sizes before): facilities, proposals.
_DOT, _DENSE_DOT, _DIAMOND, _DENSE_DIAMOND = 6.0, 0.5, 14.0, 4.0
PROPOSAL_COLOUR = "#7b3294"

Rings = list[np.ndarray]


@dataclass(frozen=True)
class MapBase:
    """What every service's map shares: simplified outlines and names in the metric CRS.

    Attributes
    ----------
    desa_codes
        ``kode_desa`` in the order of ``desa_rings``.
    desa_rings
        Per desa, its rings (``(n, 2)`` metres; exteriors and holes).
    desa_shapes
        The simplified desa (polygons), for painting them as an image.
    kecamatan_rings
        Per kecamatan, its rings, for the boundaries.
    labels
        ``(x, y, name, width, height)``: each kecamatan's name at a point
        inside it, and the size of its bounding box (metres).
    bounds
        ``(xmin, ymin, xmax, ymax)`` of the desa.
    crs
        The metric CRS the map is drawn in.
    """

    desa_codes: list[str]
    desa_rings: list[Rings]
    desa_shapes: np.ndarray
    kecamatan_rings: list[Rings]
    labels: list[tuple[float, float, str, float, float]]
    bounds: tuple[float, float, float, float]
    crs: str
    # What is drawn the same on every page (outlines formatted for PDF, pixels): made once.
    cache: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Frame:
    """Where the map stands on the page (points) and its scale (points per metre)."""

    left: float
    bottom: float
    width: float
    height: float
    x0: float
    y0: float
    scale: float

    def place(self, xy: np.ndarray) -> np.ndarray:
        """Return ``(n, 2)`` metres as page points."""
        return (xy - (self.x0, self.y0)) * self.scale + (self.left, self.bottom)


def _rings(geometry: object) -> Rings:
    """Return a (multi)polygon's rings, holes as their own closed rings."""
    if geometry is None or geometry.is_empty:
        return []
    rings = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) >= 3:
                rings.append(xy)
    return rings


def _simplified(shapes: np.ndarray, tolerance: float) -> np.ndarray:
    """Return shapes simplified for drawing; one that would vanish is kept as it was.

    Plain Douglas–Peucker (no topology checks, several times faster): a ring
    that crosses itself at a third of a printed millimetre is not seen, while
    a small desa that collapses would leave a hole in the map.
    """
    simple = shapely.simplify(shapes, tolerance, preserve_topology=False)
    return np.where(shapely.is_empty(simple) | shapely.is_missing(simple), shapes, simple)


def map_base(desa: gpd.GeoDataFrame, kecamatan: gpd.GeoDataFrame, *, metric_crs: str) -> MapBase:
    """Return the outlines and names every map page of a report draws.

    Parameters
    ----------
    desa
        The desa layer (``kode_desa``, geometry), any CRS.
    kecamatan
        The kecamatan layer (``kecamatan``, geometry), any CRS.
    metric_crs
        The run's metric CRS (``RunContext.metric_crs``).
    """
    desa_m = desa.to_crs(metric_crs)
    kecamatan_m = kecamatan.to_crs(metric_crs)
    xmin, ymin, xmax, ymax = (float(v) for v in desa_m.total_bounds)
    tolerance = max(xmax - xmin, ymax - ymin, 1.0) * _SIMPLIFY_SHARE
    desa_shapes = _simplified(desa_m.geometry.to_numpy(), tolerance)
    kecamatan_shapes = _simplified(kecamatan_m.geometry.to_numpy(), tolerance)
    inside = shapely.point_on_surface(kecamatan_m.geometry.to_numpy())
    boxes = shapely.bounds(kecamatan_m.geometry.to_numpy())
    names = [
        (
            float(point.x),
            float(point.y),
            printable(name),
            float(box[2] - box[0]),
            float(box[3] - box[1]),
        )
        for point, name, box in zip(inside, kecamatan_m["kecamatan"], boxes, strict=True)
        if point is not None and not point.is_empty
    ]
    return MapBase(
        desa_codes=desa_m["kode_desa"].astype(str).tolist(),
        desa_rings=[_rings(shape) for shape in desa_shapes],
        desa_shapes=desa_shapes,
        kecamatan_rings=[_rings(shape) for shape in kecamatan_shapes],
        labels=names,
        bounds=(xmin, ymin, xmax, ymax),
        crs=metric_crs,
    )


def coverage_colours(values: pd.Series) -> list[str]:
    """Return the map page's colour class of each coverage share (0–1; missing: grey)."""
    classes = labels()["kelas_warna"]
    bounds = np.asarray(classes["batas"], dtype=float)
    colours = np.asarray(classes["warna"], dtype=object)
    share = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    # The page's rule: class i while coverage × 100 is below bound i.
    index = np.searchsorted(bounds, np.nan_to_num(share) * 100, side="right")
    return np.where(np.isnan(share), classes["tanpa_data"], colours[index]).tolist()


def points_by_service(points: gpd.GeoDataFrame, *, metric_crs: str) -> dict[str, np.ndarray]:
    """Return each service's ``(n, 2)`` metric coordinates (``layanan``; empty geometries left out).

    One reprojection for all services: splitting the frame and reprojecting
    per service cost more than drawing the points.
    """
    if points.empty:
        return {}
    geometry = points.geometry.to_crs(metric_crs)
    keep = ~(geometry.isna() | geometry.is_empty).to_numpy()
    coordinates, rows = shapely.get_coordinates(geometry.to_numpy()[keep], return_index=True)
    services = points["layanan"].to_numpy(dtype=object)[keep][rows]
    return {service: coordinates[services == service, :2] for service in pd.unique(services)}


def map_frame(base: MapBase, box: tuple[float, float, float, float]) -> Frame:
    """Return the region with a margin of 3 %, as large as fits ``box`` (page shares), centred."""
    xmin, ymin, xmax, ymax = base.bounds
    margin = 0.03 * max(xmax - xmin, ymax - ymin, 1.0)
    span_x, span_y = xmax - xmin + 2 * margin, ymax - ymin + 2 * margin
    left, bottom = box[0] * PAGE_WIDTH, box[1] * PAGE_HEIGHT
    width, height = box[2] * PAGE_WIDTH, box[3] * PAGE_HEIGHT
    scale = min(width / span_x, height / span_y)
    return Frame(
        left=left + (width - span_x * scale) / 2,
        bottom=bottom + (height - span_y * scale) / 2,
        width=span_x * scale,
        height=span_y * scale,
        x0=xmin - margin,
        y0=ymin - margin,
        scale=scale,
    )


def _path(rings: Rings, frame: Frame) -> str:
    """Return rings as PDF path operators (move, lines, close) in page points."""
    parts = []
    for ring in rings:
        xy = frame.place(ring)
        parts.append(f"{xy[0, 0]:.2f} {xy[0, 1]:.2f} m")
        parts.extend(f"{x:.2f} {y:.2f} l" for x, y in xy[1:].tolist())
        parts.append("h")
    return "\n".join(parts)


def _rgb(hex_code: str) -> str:
    red, green, blue = (int(hex_code[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return f"{red:.4g} {green:.4g} {blue:.4g}"


def _clip(frame: Frame) -> str:
    return f"{frame.left:.2f} {frame.bottom:.2f} {frame.width:.2f} {frame.height:.2f} re W n"


def draw_map(
    sheet: Sheet,
    base: MapBase,
    *,
    box: tuple[float, float, float, float],
    desa_coverage: pd.Series,
    facilities: np.ndarray,
    proposals: np.ndarray,
    colour: str,
    service_name: str,
) -> None:
    """Draw one service's map in ``box``: desa colours, kecamatan lines and names, points, furniture.

    Parameters
    ----------
    sheet
        The page.
    base
        From :func:`map_base`.
    box
        ``(left, bottom, width, height)`` as shares of the page.
    desa_coverage
        Coverage share (0–1) per ``kode_desa``.
    facilities, proposals
        ``(n, 2)`` metric coordinates of the service's facilities and proposed sites.
    colour
        The service's marker colour (``label.toml``, ``ikon``).
    service_name
        The service's name, for the legend.
    """
    canvas = sheet.canvas
    frame = map_frame(base, box)
    fills = coverage_colours(pd.Series(base.desa_codes).map(desa_coverage))
    if len(base.desa_rings) > _VECTOR_DESA:
        canvas.drawImage(
            fills_image(base, frame, fills), frame.left, frame.bottom, frame.width, frame.height
        )
    else:
        if ("desa", frame) not in base.cache:
            base.cache["desa", frame] = [_path(rings, frame) for rings in base.desa_rings]
        outlines = base.cache["desa", frame]
        # A few hundred desa stay vector (crisp in print), white-edged, holes kept (even-odd).
        ops = [f"q {_clip(frame)} 1 1 1 RG 0.15 w 1 j"]
        ops += [
            f"{_rgb(fill)} rg\n{outline}\nB*"
            for fill, outline in zip(fills, outlines, strict=True)
            if outline
        ]
        ops.append("Q")
        canvas.addLiteral("\n".join(ops))
    # One report (one canvas) draws one region: its boundaries are one form, named once.
    name = "batas_kecamatan"
    if not canvas.hasForm(name):
        # The same boundaries on every map page: drawn by reference.
        canvas.beginForm(name)
        canvas.addLiteral(
            f"q {_clip(frame)} 0.2 0.2 0.2 RG 0.6 w 1 j\n"
            + "\n".join(_path(rings, frame) for rings in base.kecamatan_rings if rings)
            + "\nS Q"
        )
        canvas.endForm()
    canvas.doForm(name)
    _points(sheet, frame, facilities, colour=colour, dense_at=_RASTER_POINTS)
    _points(sheet, frame, proposals, colour=PROPOSAL_COLOUR, dense_at=_RASTER_POINTS, diamond=True)
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.setLineWidth(0.8)
    canvas.rect(frame.left, frame.bottom, frame.width, frame.height, stroke=1, fill=0)
    draw_furniture(
        sheet, frame, marker=colour, service_name=service_name, has_proposals=len(proposals) > 0
    )
    for x, y, label, size in _fitting_labels(base, box):
        px, py = frame.place(np.array([[x, y]]))[0]
        sheet.text(px, py, label, size=size, ha="center", va="center", points=True)


def _points(
    sheet: Sheet,
    frame: Frame,
    xy: np.ndarray,
    *,
    colour: str,
    dense_at: int,
    diamond: bool = False,
) -> None:
    """Draw points: round dots (or diamonds), white-edged; an image when there are many."""
    if not len(xy):
        return
    if len(xy) >= dense_at:
        area = _DENSE_DIAMOND if diamond else _DENSE_DOT
        image = points_image(frame, xy, colour=colour, size=np.sqrt(area), diamond=diamond)
        sheet.canvas.drawImage(
            image, frame.left, frame.bottom, frame.width, frame.height, mask="auto"
        )
        return
    placed = frame.place(xy).tolist()
    ops = [f"q {_clip(frame)} 1 j 1 J"]
    if diamond:
        # matplotlib's "D": a square of the marker's size turned by 45°, so √2 times as tall.
        half = np.sqrt(2 * _DIAMOND) / 2
        ops.append(f"{_rgb(colour)} rg 1 1 1 RG 0.4 w")
        ops += [
            f"{x:.2f} {y + half:.2f} m {x + half:.2f} {y:.2f} l {x:.2f} {y - half:.2f} l "
            f"{x - half:.2f} {y:.2f} l h B"
            for x, y in placed
        ]
    else:
        # A dot is a zero-length line with round caps: its width is the dot's diameter.
        size = np.sqrt(_DOT)
        dots = "\n".join(f"{x:.2f} {y:.2f} m {x:.2f} {y:.2f} l" for x, y in placed)
        ops.append(f"1 1 1 RG {size + 0.3:.2f} w\n{dots}\nS")
        ops.append(f"{_rgb(colour)} RG {size - 0.3:.2f} w\n{dots}\nS")
    ops.append("Q")
    sheet.canvas.addLiteral("\n".join(ops))


def _fitting_labels(
    base: MapBase, box: tuple[float, float, float, float]
) -> list[tuple[float, float, str, float]]:
    """Return the kecamatan names that fit inside their kecamatan on paper, with their font size.

    A name wider than its kecamatan would cover its neighbours' names; on a
    province map that drops the small urban kecamatan (the summary table
    lists every one). Helvetica averages about half an em per character.
    """
    size = _LABEL_PT if len(base.labels) <= 40 else _DENSE_LABEL_PT
    xmin, ymin, xmax, ymax = base.bounds
    width_pt, height_pt = box[2] * PAGE_WIDTH, box[3] * PAGE_HEIGHT
    metres_per_pt = 1.06 * max((xmax - xmin) / width_pt, (ymax - ymin) / height_pt)
    return [
        (x, y, name, size)
        for x, y, name, width, height in base.labels
        if 0.5 * size * len(name) * metres_per_pt <= width and size * metres_per_pt <= height
    ]
