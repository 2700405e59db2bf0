"""Pages of the printed report: A4 landscape sheets, tables and text that run on to new pages.

matplotlib has no flowing text or paginated tables, so this module measures
in lines and rows: a table gets a fixed number of rows per page with its
header repeated, and text is wrapped at a character count that fits the
page at the font size used.

Text is set in the PDF core font Helvetica (``FONTS``) when it can be: a
reader supplies it, so nothing is embedded, and matplotlib writes it many
times faster than an embedded TrueType font (whose per-glyph layout took most
of a report's time). Core fonts hold only the Windows-1252 characters; a text
with any other character (``ā``, ``≤``, Lontara script, an emoji in a
facility's name) is set in DejaVu Sans, which ships with matplotlib, embedded
as a TrueType subset (:func:`embed_where_needed`), so every name prints and
copies out of the PDF as written. A character no font here draws (Lontara,
emoji) is printed as the Last Resort font's box naming its script, and still
copies out as written.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from collections.abc import Sequence

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.text import Text

from jangkau.config.labels import labels

A4_LANDSCAPE = (11.69, 8.27)
FONTS = {
    "pdf.use14corefonts": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["Helvetica"],
    # The core Helvetica's weight is "medium"; asking for "normal" logs a warning per text.
    "font.weight": "medium",
    # Texts the core font cannot print are embedded as TrueType (Type 42) subsets.
    "pdf.fonttype": 42,
    # Maps have no tick labels; this spares the axis formatter a font look-up that warns.
    "axes.formatter.use_mathtext": True,
}
# Resolution of the rasterised map layers (desa fills, dense points).
RASTER_DPI = 120
# Table rows per page at font size 7, and text lines per page at 8.5 pt.
TABLE_ROWS = 30
TEXT_LINES = 46
# Line advance of the core Helvetica per point of font size at line spacing 1.
_LINE_EM = 0.925
# Characters per text line that fit the page's width at 8.5 pt.
TEXT_WIDTH = 175


# Fonts for text outside Windows-1252: both ship inside matplotlib (mpl-data/fonts/ttf).
EMBEDDED_FAMILY = ["DejaVu Sans", "Last Resort High-Efficiency"]


def printable(text: object) -> str:
    """Return a value as the text the report prints: as written (no character is dropped)."""
    return unicodedata.normalize("NFC", str(text))


def core_font_prints(text: str) -> bool:
    """Return whether the PDF core fonts (Windows-1252) hold every character of ``text``."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def embed_where_needed(figure: Figure) -> int:
    """Set each text of ``figure`` the core font cannot print in an embedded TrueType font.

    The core font is a global setting of matplotlib's PDF writer, read as a
    text is laid out and drawn; such a text draws with it switched off, in
    ``EMBEDDED_FAMILY``. Returns how many texts were switched.
    """
    switched = 0
    for text in figure.findobj(Text):
        if core_font_prints(text.get_text()):
            continue
        text.set_fontfamily(EMBEDDED_FAMILY)
        weight = text.get_fontweight()
        bold = weight in ("bold", "heavy", "black", "extra bold", "semibold", "demibold") or (
            isinstance(weight, int | float) and weight >= 600
        )
        # DejaVu has no "medium" (the core font's weight): asking for it logs a warning.
        text.set_fontweight("bold" if bold else "normal")
        text.draw = _drawn_embedded(text.draw)
        switched += 1
    return switched


def _drawn_embedded(draw):  # noqa: ANN001, ANN202 - wraps a bound Artist.draw
    def embedded(renderer: object) -> object:
        with matplotlib.rc_context({"pdf.use14corefonts": False}):
            return draw(renderer)

    return embedded


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


class ReportPages:
    """The report being written: numbered landscape pages saved one by one into a PDF."""

    def __init__(self, pdf: PdfPages, *, footer: str) -> None:
        self._pdf = pdf
        self._footer = footer
        self.count = 0

    def new(self) -> Figure:
        """Return a blank page (a figure not managed by pyplot, so nothing global is touched)."""
        return Figure(figsize=A4_LANDSCAPE)

    def save(self, figure: Figure) -> None:
        """Append a page to the PDF, with its number and the footer."""
        self.count += 1
        words = labels()["laporan"]
        figure.text(0.03, 0.02, self._footer, fontsize=6.5, color="#555555")
        figure.text(
            0.97,
            0.02,
            f"{words['halaman']} {self.count}",
            fontsize=6.5,
            ha="right",
            color="#555555",
        )
        embed_where_needed(figure)
        self._pdf.savefig(figure, dpi=RASTER_DPI)

    def heading(self, figure: Figure, text: str, *, sub: str = "") -> None:
        """Write a page's title (and a line under it)."""
        figure.text(0.03, 0.95, printable(text), fontsize=14, fontweight="bold", va="top")
        if sub:
            figure.text(0.03, 0.905, printable(sub), fontsize=8, va="top", color="#333333")

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
            figure = self.new()
            self.heading(figure, title if page == 0 else f"{title} {words['lanjutan']}")
            top = 0.86
            if note:
                lines = _wrapped(figure, note, x=0.03, y=0.905, width=TEXT_WIDTH, size=7.5)
                top = min(top, 0.905 - lines * 7.5 * 1.25 / (A4_LANDSCAPE[1] * 72) - 0.025)
            draw_table(figure, headers, chunk, widths=widths, top=top, rows_per_page=rows_per_page)
            self.save(figure)
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
            figure = self.new()
            self.heading(figure, title if pages == 0 else f"{title} {words['lanjutan']}")
            y = 0.89
            for kind, line in chunk:
                figure.text(
                    0.03,
                    y,
                    line,
                    fontsize=9 if kind == "h" else 8.5,
                    fontweight="bold" if kind == "h" else "medium",
                    va="top",
                )
                y -= 0.8 / TEXT_LINES
            self.save(figure)
            pages += 1
        return pages


def _wrapped(figure: Figure, text: str, *, x: float, y: float, width: int, size: float) -> int:
    """Write wrapped text from ``y`` down; return its number of lines."""
    lines = textwrap.wrap(printable(text), width)
    figure.text(x, y, "\n".join(lines), fontsize=size, va="top")
    return len(lines)


def draw_table(
    figure: Figure,
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
    cut with "…" (the full tables are in the workbook).
    """
    total = float(sum(widths))
    spans = [(right - left) * w / total for w in widths]
    starts = [left + sum(spans[:i]) for i in range(len(spans))]
    step = (top - 0.07) / (rows_per_page + 1)
    # With the core fonts matplotlib advances a line by the whole height of "lp" (ascender
    # of l to descender of p: 0.925 em in Helvetica) times the line spacing; choose the
    # spacing that makes a line one row step (tests/test_report_pdf.py measures it).
    spacing = step * A4_LANDSCAPE[1] * 72 / (_LINE_EM * size)
    # About 0.0048 of the page width per character at 7 pt (Helvetica averages).
    per_char = 0.0048 * size / 7
    for column, heading in enumerate(headers):
        cells = [_fit(heading, spans[column], per_char)]
        body = [_fit(row[column], spans[column], per_char) for row in rows]
        x = starts[column] + 0.003
        figure.text(x, top, cells[0], fontsize=size, va="top", fontweight="bold")
        # One text per column, not per cell: drawing a text costs far more than its length.
        if body:
            figure.text(
                x, top - step, "\n".join(body), fontsize=size, va="top", linespacing=spacing
            )
    figure.lines.append(_rule(figure, left, right, top - step * 0.75))


def _fit(text: object, span: float, per_char: float) -> str:
    """Return a cell's text cut with "…" to its column's width."""
    room = max(3, int(span / per_char))
    text = printable(text).replace("\n", " ")
    return text if len(text) <= room else text[: room - 1] + "…"


def _rule(figure: Figure, left: float, right: float, y: float):
    from matplotlib.lines import Line2D

    return Line2D(
        [left, right], [y, y], transform=figure.transFigure, figure=figure, color="#333333", lw=0.6
    )
