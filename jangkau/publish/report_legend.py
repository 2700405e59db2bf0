"""The furniture of a printed map: its legend, scale bar and north arrow.

Drawn by hand with reportlab's canvas, at the places and sizes matplotlib's
legend, ``AnchoredSizeBar`` and annotated arrow had: reportlab has no map
furniture, and these are a few boxes, lines and texts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jangkau.config.labels import labels
from jangkau.publish.report_layout import (
    LEADING,
    PAGE_WIDTH,
    SIDE_COLUMN,
    Sheet,
    colour,
    wrap_to_width,
)

if TYPE_CHECKING:
    from jangkau.publish.report_maps import Frame

# Scale bar lengths tried, in km: the longest not over a fifth of the map's width.
_BAR_KM = (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200)
# Legend text sizes (points) and one entry's height.
_LEGEND_PT, _TITLE_PT, _ENTRY_PT = 7.0, 7.5, 10.0
EDGE = "#555555"


def scale_bar_km(width_m: float) -> float:
    """Return the scale bar's length: the longest round length not over a fifth of the width."""
    fitting = [km for km in _BAR_KM if km * 1000 <= width_m / 5]
    return fitting[-1] if fitting else _BAR_KM[0]


def km_text(km: float) -> str:
    """Return a length in km as printed: ``0,5 km``."""
    return f"{km:g} km".replace(".", ",")


def class_entries() -> list[tuple[str, str]]:
    """Return ``(colour, label)`` per colour class, "0–20 %" … "80–100 %", then "tanpa data"."""
    classes = labels()["kelas_warna"]
    edges = [0, *classes["batas"], 100]
    entries = [
        (fill, f"{low}–{high} %")
        for fill, low, high in zip(classes["warna"], edges[:-1], edges[1:], strict=True)
    ]
    entries.append((classes["tanpa_data"], labels()["laporan"]["tanpa_data"]))
    return entries


def draw_furniture(
    sheet: Sheet, frame: Frame, *, marker: str, service_name: str, has_proposals: bool
) -> None:
    """Draw the north arrow and scale bar inside the map, and the legend right of it."""
    _north_arrow(sheet, frame)
    _scale_bar(sheet, frame)
    _legend(sheet, frame, marker=marker, service_name=service_name, has_proposals=has_proposals)


def _north_arrow(sheet: Sheet, frame: Frame) -> None:
    """Draw "U" at 87 % of the map's height, an arrow from it to 97 %, near the right edge."""
    canvas = sheet.canvas
    x = frame.left + 0.95 * frame.width
    y = frame.bottom + 0.87 * frame.height
    tip = frame.bottom + 0.97 * frame.height
    sheet.text(
        x,
        y,
        labels()["laporan"]["utara"],
        size=10,
        bold=True,
        ha="center",
        va="center",
        points=True,
    )
    start = y + 0.718 * 10 / 2 + 2
    neck = max(start, tip - 9)
    path = canvas.beginPath()
    path.moveTo(x - 1.5, start)
    path.lineTo(x + 1.5, start)
    path.lineTo(x + 1.5, neck)
    path.lineTo(x + 4.5, neck)
    path.lineTo(x, tip)
    path.lineTo(x - 4.5, neck)
    path.lineTo(x - 1.5, neck)
    path.close()
    canvas.setFillColor(colour("#111111"))
    canvas.drawPath(path, stroke=0, fill=1)


def _scale_bar(sheet: Sheet, frame: Frame) -> None:
    """Draw a bar of a round length under its label's box, in the map's lower left corner."""
    canvas = sheet.canvas
    words = labels()["laporan"]
    km = scale_bar_km(frame.width / frame.scale)
    length = km * 1000 * frame.scale
    thickness = frame.height / 300
    label = f"{words['skala']} {km_text(km)}"
    pad, corner, size = 4.2, 5.6, 7.0
    label_width = canvas.stringWidth(label, "Helvetica", size)
    inner = max(length, label_width)
    left, bottom = frame.left + corner, frame.bottom + corner
    height = thickness + 3 + size + 2 * pad
    canvas.setFillColor(colour("#ffffff"))
    canvas.setStrokeColor(colour("#000000"))
    canvas.setLineWidth(0.5)
    canvas.rect(left, bottom, inner + 2 * pad, height, stroke=1, fill=1)
    centre = left + pad + inner / 2
    canvas.setFillColor(colour("#000000"))
    # Edged as matplotlib's bar was (1 pt), which thickens it by a point.
    canvas.setLineWidth(1)
    canvas.rect(
        centre - length / 2, bottom + height - pad - thickness, length, thickness, stroke=1, fill=1
    )
    sheet.text(centre, bottom + pad + 0.207 * size, label, size=size, ha="center", points=True)


def _legend(
    sheet: Sheet, frame: Frame, *, marker: str, service_name: str, has_proposals: bool
) -> None:
    """Draw the colour classes, the boundary line and the point markers, right of the map."""
    canvas = sheet.canvas
    words = labels()["laporan"]
    x = frame.left + 1.01 * frame.width + 3.5
    y = frame.bottom + frame.height - 3.5 - 2.8
    handle, gap = 2.0 * _LEGEND_PT, 0.8 * _LEGEND_PT
    # Texts wrap before the page's right column (the ranked table) begins.
    end = SIDE_COLUMN * PAGE_WIDTH - 6
    title = wrap_to_width(words["legenda_cakupan"], end - x, size=_TITLE_PT)
    sheet.text(x, y, "\n".join(title), size=_TITLE_PT, va="top", points=True)
    y -= _TITLE_PT + (len(title) - 1) * _TITLE_PT * LEADING + 0.5 * _LEGEND_PT
    entries: list[tuple[str, str, str]] = [("box", fill, text) for fill, text in class_entries()]
    entries.append(("line", "#333333", words["legenda_kecamatan"]))
    entries.append(("dot", marker, words["legenda_fasilitas"].format(layanan=service_name)))
    if has_proposals:
        entries.append(("diamond", "#7b3294", words["legenda_usulan"]))
    for kind, fill, text in entries:
        middle = y - _LEGEND_PT / 2
        canvas.setFillColor(colour(fill))
        if kind == "box":
            canvas.setStrokeColor(colour(EDGE))
            canvas.setLineWidth(0.4)
            canvas.rect(x, middle - 0.35 * _LEGEND_PT, handle, 0.7 * _LEGEND_PT, stroke=1, fill=1)
        elif kind == "line":
            canvas.setStrokeColor(colour(fill))
            canvas.setLineWidth(0.8)
            canvas.line(x, middle, x + handle, middle)
        else:
            _marker(sheet, x + handle / 2, middle, fill=fill, diamond=kind == "diamond")
        lines = wrap_to_width(text, end - (x + handle + gap), size=_LEGEND_PT) or [""]
        step = _LEGEND_PT * LEADING
        # The first line centred on the marker, the others below it.
        below = (len(lines) - 1) * step / 2
        sheet.text(
            x + handle + gap,
            middle - below,
            "\n".join(lines),
            size=_LEGEND_PT,
            va="center",
            points=True,
        )
        y -= _ENTRY_PT + (len(lines) - 1) * step


def _marker(sheet: Sheet, x: float, y: float, *, fill: str, diamond: bool) -> None:
    """One point marker 4 points across, white-edged as on the map."""
    canvas = sheet.canvas
    canvas.setStrokeColor(colour("#ffffff"))
    canvas.setLineWidth(0.5)
    canvas.setFillColor(colour(fill))
    if diamond:
        path = canvas.beginPath()
        path.moveTo(x, y + 2)
        path.lineTo(x + 2, y)
        path.lineTo(x, y - 2)
        path.lineTo(x - 2, y)
        path.close()
        canvas.drawPath(path, stroke=1, fill=1)
    else:
        canvas.circle(x, y, 2, stroke=1, fill=1)
