"""The map of one service for the printed report: coverage colours, facilities, scale, north.

Maps are drawn in the run's metric CRS, so one drawing unit is one metre and
the scale bar is exact along the map's horizontal; grid north of that CRS (a
UTM zone or a transverse Mercator centred on the region) is within a degree
of true north over a kabupaten or a province. Desa polygons are simplified
once per report to about a third of a printed millimetre and their fills are
rasterised, so a province of 3,000 desa and 40,000 facilities prints in a
second or two per page; boundaries and names stay vector text.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from jangkau.config.labels import labels
from jangkau.publish.report_layout import printable

# Simplification tolerance as a share of the map's longer side (~0.3 mm on a 25 cm map).
_SIMPLIFY_SHARE = 1 / 800
# Above this many desa, desa fills and kecamatan lines are rasterised.
_VECTOR_DESA = 1000
# Above this many points a layer is rasterised rather than drawn point by point.
_RASTER_POINTS = 1500
# Kecamatan names in points: up to 40 kecamatan, and more.
_LABEL_PT, _DENSE_LABEL_PT = 6.5, 4.5
# Scale bar lengths tried, in km: the longest not over a fifth of the map's width.
_BAR_KM = (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200)


@dataclass(frozen=True)
class MapBase:
    """What every service's map shares: simplified outlines and names in the metric CRS.

    Attributes
    ----------
    desa_codes
        ``kode_desa`` in the order of ``desa_paths``.
    desa_paths
        One compound path per desa (holes kept).
    kecamatan_paths
        One compound path per kecamatan, for the boundaries.
    labels
        ``(x, y, name, width, height)``: each kecamatan's name at a point
        inside it, and the size of its bounding box (metres).
    bounds
        ``(xmin, ymin, xmax, ymax)`` of the desa.
    crs
        The metric CRS the map is drawn in.
    """

    desa_codes: list[str]
    desa_paths: list[Path]
    kecamatan_paths: list[Path]
    labels: list[tuple[float, float, str, float, float]]
    bounds: tuple[float, float, float, float]
    crs: str


def _path(geometry: object) -> Path:
    """Return one matplotlib path for a (multi)polygon, holes as their own closed rings."""
    if geometry is None or geometry.is_empty:
        return Path(np.zeros((0, 2)))
    vertices, codes = [], []
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            ring_codes = np.full(len(xy), Path.LINETO, dtype=np.uint8)
            ring_codes[0], ring_codes[-1] = Path.MOVETO, Path.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    if not vertices:
        return Path(np.zeros((0, 2)))
    return Path(np.concatenate(vertices), np.concatenate(codes))


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
        desa_paths=[_path(shape) for shape in desa_shapes],
        kecamatan_paths=[_path(shape) for shape in kecamatan_shapes],
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


def class_legend() -> list[Patch]:
    """Return one legend patch per colour class, "0–20 %" … "80–100 %", and "tanpa data"."""
    classes = labels()["kelas_warna"]
    edges = [0, *classes["batas"], 100]
    patches = [
        Patch(facecolor=colour, edgecolor="#555555", linewidth=0.4, label=f"{low}–{high} %")
        for colour, low, high in zip(classes["warna"], edges[:-1], edges[1:], strict=True)
    ]
    patches.append(
        Patch(
            facecolor=classes["tanpa_data"],
            edgecolor="#555555",
            linewidth=0.4,
            label=labels()["laporan"]["tanpa_data"],
        )
    )
    return patches


def points_xy(points: gpd.GeoDataFrame, *, metric_crs: str) -> np.ndarray:
    """Return ``(n, 2)`` metric coordinates of point features (empty geometries left out)."""
    if points.empty:
        return np.zeros((0, 2))
    geometry = points.geometry.to_crs(metric_crs)
    geometry = geometry[~(geometry.isna() | geometry.is_empty)]
    return shapely.get_coordinates(geometry.to_numpy())[:, :2]


def scale_bar_km(width_m: float) -> float:
    """Return the scale bar's length: the longest round length not over a fifth of the width."""
    fitting = [km for km in _BAR_KM if km * 1000 <= width_m / 5]
    return fitting[-1] if fitting else _BAR_KM[0]


def _km_text(km: float) -> str:
    return f"{km:g} km".replace(".", ",")


def draw_map(
    ax: Axes,
    base: MapBase,
    *,
    desa_coverage: pd.Series,
    facilities: np.ndarray,
    proposals: np.ndarray,
    colour: str,
    service_name: str,
) -> None:
    """Draw one service's map on ``ax``: desa colours, kecamatan lines and names, points, furniture.

    Parameters
    ----------
    ax
        An empty axes.
    base
        From :func:`map_base`.
    desa_coverage
        Coverage share (0–1) per ``kode_desa``.
    facilities, proposals
        ``(n, 2)`` metric coordinates of the service's facilities and proposed sites.
    colour
        The service's marker colour (``label.toml``, ``ikon``).
    service_name
        The service's name, for the legend.
    """
    words = labels()["laporan"]
    fills = coverage_colours(pd.Series(base.desa_codes).map(desa_coverage))
    desa = PathCollection(
        base.desa_paths, facecolors=fills, edgecolors="#ffffff", linewidths=0.15, zorder=1
    )
    # A few hundred desa stay vector (crisp in print); a province's thousands are an image.
    dense = len(base.desa_paths) > _VECTOR_DESA
    desa.set_rasterized(dense)
    ax.add_collection(desa)
    lines = PathCollection(
        base.kecamatan_paths, facecolors="none", edgecolors="#333333", linewidths=0.6, zorder=2
    )
    lines.set_rasterized(dense)
    ax.add_collection(lines)
    handles: list = class_legend()
    handles.append(Line2D([], [], color="#333333", linewidth=0.8, label=words["legenda_kecamatan"]))
    if len(facilities):
        # Right above the lines: when both are rasterised they make one image, not two.
        dots = ax.scatter(
            facilities[:, 0],
            facilities[:, 1],
            s=6 if len(facilities) < _RASTER_POINTS else 0.5,
            c=colour,
            edgecolors="#ffffff" if len(facilities) < _RASTER_POINTS else "none",
            linewidths=0.3,
            zorder=3,
        )
        dots.set_rasterized(len(facilities) >= _RASTER_POINTS)
    handles.append(
        _marker_key("o", colour, words["legenda_fasilitas"].format(layanan=service_name))
    )
    if len(proposals):
        marks = ax.scatter(
            proposals[:, 0],
            proposals[:, 1],
            s=14 if len(proposals) < _RASTER_POINTS else 4,
            marker="D",
            c="#7b3294",
            edgecolors="#ffffff",
            linewidths=0.4,
            zorder=5,
        )
        marks.set_rasterized(len(proposals) >= _RASTER_POINTS)
        handles.append(_marker_key("D", "#7b3294", words["legenda_usulan"]))
    for x, y, name, size in _fitting_labels(ax, base):
        ax.text(x, y, name, fontsize=size, ha="center", va="center", zorder=6, color="#000000")
    _frame(ax, base)
    ax.legend(
        handles=handles,
        title=words["legenda_cakupan"],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=7,
        title_fontsize=7.5,
        frameon=False,
    )


def _marker_key(marker: str, colour: str, label: str) -> Line2D:
    """Return a legend entry showing one point marker, white-edged as on the map."""
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=4,
        markerfacecolor=colour,
        markeredgecolor="#ffffff",
        label=label,
    )


def _fitting_labels(ax: Axes, base: MapBase) -> list[tuple[float, float, str, float]]:
    """Return the kecamatan names that fit inside their kecamatan on paper, with their font size.

    A name wider than its kecamatan would cover its neighbours' names; on a
    province map that drops the small urban kecamatan (the summary table
    lists every one). Helvetica averages about half an em per character.
    """
    size = _LABEL_PT if len(base.labels) <= 40 else _DENSE_LABEL_PT
    xmin, ymin, xmax, ymax = base.bounds
    box = ax.get_position()
    width_pt = box.width * ax.figure.get_figwidth() * 72
    height_pt = box.height * ax.figure.get_figheight() * 72
    metres_per_pt = 1.06 * max((xmax - xmin) / width_pt, (ymax - ymin) / height_pt)
    return [
        (x, y, name, size)
        for x, y, name, width, height in base.labels
        if 0.5 * size * len(name) * metres_per_pt <= width and size * metres_per_pt <= height
    ]


def _frame(ax: Axes, base: MapBase) -> None:
    """Fit the region with a margin, then add the scale bar and the north arrow."""
    words = labels()["laporan"]
    xmin, ymin, xmax, ymax = base.bounds
    margin = 0.03 * max(xmax - xmin, ymax - ymin, 1.0)
    ax.set_xlim(xmin - margin, xmax + margin)
    ax.set_ylim(ymin - margin, ymax + margin)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    km = scale_bar_km(xmax - xmin + 2 * margin)
    ax.add_artist(
        AnchoredSizeBar(
            ax.transData,
            km * 1000,
            f"{words['skala']} {_km_text(km)}",
            loc="lower left",
            pad=0.6,
            sep=3,
            borderpad=0.8,
            frameon=True,
            size_vertical=(ymax - ymin + 2 * margin) / 300,
            fontproperties={"size": 7},
        )
    )
    ax.annotate(
        words["utara"],
        xy=(0.95, 0.97),
        xytext=(0.95, 0.87),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"facecolor": "#111111", "width": 3, "headwidth": 9, "headlength": 9},
    )
