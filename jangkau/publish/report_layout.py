"""Pages of the printed report: A4 landscape sheets, tables and text that run on to new pages.

Pages are drawn with reportlab's canvas straight into the PDF: a text is a
few PDF operators, so a report of hundreds of table rows costs little (the
matplotlib figures drawn before laid out every text as an artist, and
importing matplotlib took a second of each report). reportlab has no table
that repeats its header on each page at a fixed row height, so this module
measures in lines and rows: a table gets a fixed number of rows per page
with its header repeated, and text is wrapped at a character count that
fits the page at the font size used. Positions are given as shares of the
page's width and height, from its lower left corner.

Fonts (core Helvetica, else an embedded DejaVu Sans subset, else Last
Resort per character) are chosen in :mod:`jangkau.publish.report_fonts`.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import TracebackType

from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from jangkau.config.labels import labels
from jangkau.publish.report_fonts import CORE, core_font_prints, runs, width

A4_LANDSCAPE = (11.69, 8.27)
PAGE_WIDTH, PAGE_HEIGHT = A4_LANDSCAPE[0] * 72, A4_LANDSCAPE[1] * 72
# Where a map page's right column (the ranked table, its notes) starts: the legend ends before it.
SIDE_COLUMN = 0.70
# Resolution of the rasterised map layers (desa fills, dense points).
RASTER_DPI = 120
# Table rows per page at font size 7, and text lines per page at 8.5 pt.
TABLE_ROWS = 30
TEXT_LINES = 46
# Characters per text line that fit the page's width at 8.5 pt.
TEXT_WIDTH = 175
# Helvetica's ascent and descent per point of font size (its AFM: 718 and 207 per 1000).
ASCENT, DESCENT = 0.718, 0.207
# Line advance of a multi-line text per point of font size.
LEADING = 1.15


def printable(text: object) -> str:
    """Return a value as the text the report prints: as written (no character is dropped)."""
    return unicodedata.normalize("NFC", str(text))


@cache
def colour(hex_code: str) -> Color:
    """Return a ``#rrggbb`` colour as reportlab's."""
    return HexColor(hex_code)


def _number(value: object) -> float | None:
    """Return ``value`` as a float, or None when it is missing or not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def thousands(value: object) -> str:
    """Return a count as Indonesians write it: ``16.015``; ``—`` when missing."""
    number = _number(value)
    if number is None:
        return "—"
    return f"{number:,.0f}".replace(",", ".")


def percent(share: object, digits: int = 1) -> str:
    """Return a share (0–1) as a percentage with a decimal comma: ``62,5 %``; ``—`` when missing."""
    number = _number(share)
    if number is None:
        return "—"
    return f"{100 * number:.{digits}f} %".replace(".", ",")


def decimal(value: object, digits: int = 1) -> str:
    """Return a number with a decimal comma; ``—`` when missing."""
    number = _number(value)
    if number is None:
        return "—"
    return f"{number:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


class Sheet:
    """One page being drawn; positions are shares of the page from its lower left corner."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        bold: bool = False,
        fill: str = "#000000",
        ha: str = "left",
        va: str = "baseline",
        leading: float | None = None,
        points: bool = False,
    ) -> None:
        """Write ``text`` (lines split at newlines) anchored at ``(x, y)``.

        ``ha`` is left, center or right; ``va`` is baseline (of the first
        line), top (of the first line), center or bottom (of the last line).
        ``points``: ``x`` and ``y`` are in points, not shares of the page.
        """
        lines = printable(text).split("\n")
        step = size * LEADING if leading is None else leading
        x0, y0 = (x, y) if points else (x * PAGE_WIDTH, y * PAGE_HEIGHT)
        block = (len(lines) - 1) * step
        first = {
            "baseline": y0,
            "top": y0 - ASCENT * size,
            "center": y0 + block / 2 - (ASCENT - DESCENT) * size / 2,
            "bottom": y0 + block + DESCENT * size,
        }[va]
        share = {"left": 0.0, "center": 0.5, "right": 1.0}[ha]
        if share == 0 and all(core_font_prints(line) for line in lines):
            # The common case: one font, lines advanced by the leading (T*), nothing measured.
            drawn = self.canvas.beginText(x0, first)
            drawn.setFillColor(colour(fill))
            drawn.setFont(CORE[bold], size, step)
            for line in lines[:-1]:
                drawn.textLine(line)
            # No line advance after the last line: text extraction would read one (a line
            # break) between this text and the next one on the same line (label and value).
            drawn.textOut(lines[-1])
            self.canvas.drawText(drawn)
            return
        drawn = None
        for index, line in enumerate(lines):
            pieces = runs(line, bold=bold)
            left = x0 - share * width(pieces, size) if share else x0
            if drawn is None:
                # Started at its place: a text object started at the origin reads out of
                # the PDF as a line of its own (text extraction sees a move to the corner).
                drawn = self.canvas.beginText(left, first)
                drawn.setFillColor(colour(fill))
            else:
                drawn.setTextOrigin(left, first - index * step)
            for font, piece in pieces:
                drawn.setFont(font, size)
                drawn.textOut(piece)
        self.canvas.drawText(drawn)

    def line(self, x0: float, y0: float, x1: float, y1: float, *, stroke: str, lw: float) -> None:
        """Draw a straight line between two points given as shares of the page."""
        canvas = self.canvas
        canvas.setStrokeColor(colour(stroke))
        canvas.setLineWidth(lw)
        canvas.line(x0 * PAGE_WIDTH, y0 * PAGE_HEIGHT, x1 * PAGE_WIDTH, y1 * PAGE_HEIGHT)


class ReportPages:
    """The report being written: numbered landscape pages drawn one by one into a PDF."""

    def __init__(self, target: Path, *, footer: str, metadata: dict[str, str] | None = None):
        # Binary (compressed) streams: reportlab's ASCII85 text encoding is pure Python, and took
        # a third of a report's time; it only mattered for 7-bit mail.
        # A process-wide setting, read while the file is written: given back in __exit__.
        self._ascii85 = rl_config.useA85
        rl_config.useA85 = 0
        # invariant: no creation date nor random file id, so the same run gives the same
        # file (the footer names the run), as the matplotlib report did.
        self.canvas = Canvas(
            str(target), pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1, invariant=1
        )
        for key, value in (metadata or {}).items():
            getattr(self.canvas, f"set{key}")(value)
        self._footer = footer
        self.count = 0

    def __enter__(self) -> ReportPages:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # A failed report writes nothing: the caller's temporary file is dropped.
        try:
            if kind is None:
                self.canvas.save()
        finally:
            rl_config.useA85 = self._ascii85

    def new(self) -> Sheet:
        """Return the next blank page."""
        return Sheet(self.canvas)

    def save(self, sheet: Sheet) -> None:
        """End a page, with its number and the footer."""
        self.count += 1
        words = labels()["laporan"]
        sheet.text(0.03, 0.02, self._footer, size=6.5, fill="#555555")
        sheet.text(
            0.97, 0.02, f"{words['halaman']} {self.count}", size=6.5, ha="right", fill="#555555"
        )
        self.canvas.showPage()

    def heading(self, sheet: Sheet, text: str, *, sub: str = "") -> None:
        """Write a page's title (and a line under it)."""
        sheet.text(0.03, 0.95, text, size=14, bold=True, va="top")
        if sub:
            sheet.text(0.03, 0.905, sub, size=8, va="top", fill="#333333")

    def table(
        self,
        title: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        widths: Sequence[float],
        note: str = "",
        rows_per_page: int = TABLE_ROWS,
    ) -> int:
        """Write a table over as many pages as it needs, the header on each; return the pages used."""
        words = labels()["laporan"]
        pages = max(1, math.ceil(len(rows) / rows_per_page))
        for page in range(pages):
            chunk = rows[page * rows_per_page : (page + 1) * rows_per_page]
            sheet = self.new()
            self.heading(sheet, title if page == 0 else f"{title} {words['lanjutan']}")
            top = 0.86
            if note:
                lines = textwrap.wrap(printable(note), TEXT_WIDTH)
                sheet.text(0.03, 0.905, "\n".join(lines), size=7.5, va="top")
                top = min(top, 0.905 - len(lines) * 7.5 * 1.25 / PAGE_HEIGHT - 0.025)
            draw_table(sheet, headers, chunk, widths=widths, top=top, rows_per_page=rows_per_page)
            self.save(sheet)
        return pages

    def text(self, title: str, blocks: Sequence[tuple[str, str]]) -> int:
        """Write text blocks (``("h"|"p"|"i", text)``: heading, paragraph, indented) over pages."""
        words = labels()["laporan"]
        lines: list[tuple[str, str]] = []
        for kind, text in blocks:
            if kind == "h":
                lines += [("", ""), ("h", text)]
                continue
            indent = "    " if kind == "i" else ""
            for line in textwrap.wrap(printable(text), TEXT_WIDTH - len(indent)) or [""]:
                lines.append(("p", indent + line))
        pages = 0
        while lines:
            chunk, lines = lines[:TEXT_LINES], lines[TEXT_LINES:]
            while chunk and chunk[0] == ("", ""):
                chunk = chunk[1:]
            sheet = self.new()
            self.heading(sheet, title if pages == 0 else f"{title} {words['lanjutan']}")
            y = 0.89
            for kind, line in chunk:
                if line:
                    sheet.text(
                        0.03, y, line, size=9 if kind == "h" else 8.5, bold=kind == "h", va="top"
                    )
                y -= 0.8 / TEXT_LINES
            self.save(sheet)
            pages += 1
        return pages


def draw_table(
    sheet: Sheet,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float],
    top: float,
    left: float = 0.03,
    right: float = 0.97,
    rows_per_page: int = TABLE_ROWS,
    size: float = 7,
) -> None:
    """Draw a table from ``top`` down: a bold header row, then one line per row.

    ``widths`` are relative column widths; a text longer than its column is
    cut with "…" (the full tables are in the workbook). Each column is one
    text (its cells one line each), so it reads out of the PDF as a column.
    """
    total = float(sum(widths))
    spans = [(right - left) * w / total for w in widths]
    starts = [left + sum(spans[:i]) for i in range(len(spans))]
    step = (top - 0.07) / (rows_per_page + 1)
    # About 0.0048 of the page width per character at 7 pt (Helvetica averages).
    per_char = 0.0048 * size / 7
    for column, heading in enumerate(headers):
        x = starts[column] + 0.003
        sheet.text(x, top, _fit(heading, spans[column], per_char), size=size, bold=True, va="top")
        body = [_fit(row[column], spans[column], per_char) for row in rows]
        if body:
            sheet.text(
                x, top - step, "\n".join(body), size=size, va="top", leading=step * PAGE_HEIGHT
            )
    sheet.line(left, top - step * 0.75, right, top - step * 0.75, stroke="#333333", lw=0.6)


def _fit(text: object, span: float, per_char: float) -> str:
    """Return a cell's text cut with "…" to its column's width."""
    room = max(3, int(span / per_char))
    text = printable(text).replace("\n", " ")
    return text if len(text) <= room else text[: room - 1] + "…"


def wrap_to_width(text: str, room: float, *, size: float) -> list[str]:
    """Return ``text`` as lines of at most ``room`` points in Helvetica at ``size``.

    A single word longer than ``room`` keeps a line of its own.
    """
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and stringWidth(joined, "Helvetica", size) <= room:
            lines[-1] = joined
        else:
            lines.append(word)
    return lines
