"""Fonts of the printed report: the core Helvetica, else embedded DejaVu Sans, else Last Resort.

Text is set in the PDF core font Helvetica when Windows-1252 holds every
character of it: a reader supplies the font, so nothing is embedded and the
common case costs nothing. A text with any other character (``ā``, ``≤``,
Lontara script, an emoji in a facility's name) is set in DejaVu Sans,
embedded as a TrueType subset with its Unicode map, so every name prints and
copies out of the PDF as written; a character DejaVu has no glyph for is set,
character by character, in the Last Resort font, which prints a box naming
the character's script and still copies out as written.

Both TrueType files ship inside matplotlib's package data
(``mpl-data/fonts/ttf``); they are found without importing matplotlib (its
import alone took a second of each report) and registered with reportlab only
when a text needs them.

reportlab reads a font's character map from its Windows table; Last Resort's
Windows table is empty and its real map is a Unicode "format 13" table (one
glyph per range of characters), so :func:`_last_resort` reads that table by
hand (a few lines of :mod:`struct`) and teaches reportlab each character a
report uses, rather than building a dictionary of 1.1 million characters.
reportlab also writes a character beyond the Basic Multilingual Plane (an
emoji) into the subset's Unicode map as five hex digits, which readers
cannot parse, so the name would not copy out; :func:`_utf16_cmap` rewrites
such entries as the UTF-16 pair the PDF format asks for.
"""

from __future__ import annotations

import bisect
import importlib.util
import re
import struct
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

CORE = {False: "Helvetica", True: "Helvetica-Bold"}
EMBEDDED = {False: "DejaVuSans", True: "DejaVuSans-Bold"}
LAST_RESORT = "LastResortHE-Regular"
_FILES = {
    "DejaVuSans": "DejaVuSans.ttf",
    "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
    LAST_RESORT: "LastResortHE-Regular.ttf",
}


_ASTRAL = re.compile(r"<([0-9A-F]{2})> <([0-9A-F]{5,6})>")


def _utf16_cmap(fontname: str, subset: list[int], *, plain=ttfonts.makeToUnicodeCMap) -> str:
    """Return reportlab's ToUnicode map with characters past U+FFFF as UTF-16 pairs."""
    return _ASTRAL.sub(
        lambda m: f"<{m[1]}> <{chr(int(m[2], 16)).encode('utf-16-be').hex().upper()}>",
        plain(fontname, subset),
    )


if ttfonts.makeToUnicodeCMap.__name__ != _utf16_cmap.__name__:
    ttfonts.makeToUnicodeCMap = _utf16_cmap


def font_folder() -> Path:
    """Return matplotlib's folder of TrueType fonts, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "laporan.pdf: paket matplotlib tidak terpasang; huruf DejaVu Sans dan Last Resort "
            "untuk nama di luar Windows-1252 diambil darinya (jalankan make install)"
        )
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


def core_font_prints(text: str) -> bool:
    """Return whether the PDF core fonts (Windows-1252) hold every character of ``text``.

    Except "•": reportlab writes it as code 127 of the core font's encoding,
    a bullet by convention only, which text extraction does not read back.
    """
    if "•" in text:
        return False
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _registered(name: str) -> TTFont:
    font = TTFont(name, str(font_folder() / _FILES[name]))
    pdfmetrics.registerFont(font)
    return font


def _table(data: bytes, name: bytes) -> int:
    """Return where the TrueType table ``name`` starts in the font file ``data``."""
    tables = struct.unpack_from(">H", data, 4)[0]
    for entry in range(tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * entry)
        if tag == name:
            return offset
    raise RuntimeError(f"Last Resort font without a {name.decode()} table")


@cache
def _advance_count() -> int:
    """Return how many glyphs of the Last Resort font have an advance width of their own."""
    data = (font_folder() / _FILES[LAST_RESORT]).read_bytes()
    return struct.unpack_from(">H", data, _table(data, b"hhea") + 34)[0]


@cache
def _last_resort() -> tuple[list[int], list[int], list[int]]:
    """Return the Last Resort font's format-13 ranges: starts, ends and glyph of each."""
    data = (font_folder() / _FILES[LAST_RESORT]).read_bytes()
    offset = _table(data, b"cmap")
    count = struct.unpack_from(">H", data, offset + 2)[0]
    for sub in range(count):
        _, _, where = struct.unpack_from(">HHI", data, offset + 4 + 8 * sub)
        start = offset + where
        if struct.unpack_from(">H", data, start)[0] == 13:
            groups = struct.unpack_from(">I", data, start + 12)[0]
            ranges = struct.unpack_from(f">{3 * groups}I", data, start + 16)
            return list(ranges[0::3]), list(ranges[1::3]), list(ranges[2::3])
    raise RuntimeError("Last Resort font without its format-13 character map")


def _taught_last_resort(code: int) -> None:
    """Add ``code`` to the character map reportlab holds for the Last Resort font."""
    face = _registered(LAST_RESORT).face
    if code in face.charToGlyph:
        return
    starts, ends, glyphs = _last_resort()
    group = bisect.bisect_right(starts, code) - 1
    glyph = glyphs[group] if group >= 0 and code <= ends[group] else 0
    face.charToGlyph[code] = glyph
    # Past the font's own advance widths a glyph takes the last one; reportlab's
    # ``hmetrics`` holds that one already scaled to 1000 units there, so read it here.
    advance = face.hmetrics[min(glyph, _advance_count() - 1)][0]
    face.charWidths[code] = advance * 1000 / face.unitsPerEm


def runs(text: str, *, bold: bool) -> list[tuple[str, str]]:
    """Return ``text`` as ``(font name, piece)`` runs, each piece printable in its font."""
    if core_font_prints(text):
        return [(CORE[bold], text)]
    face = _registered(EMBEDDED[bold]).face
    pieces: list[tuple[str, str]] = []
    for character in text:
        code = ord(character)
        if code in face.charToGlyph:
            font = EMBEDDED[bold]
        else:
            _taught_last_resort(code)
            font = LAST_RESORT
        if pieces and pieces[-1][0] == font:
            pieces[-1] = (font, pieces[-1][1] + character)
        else:
            pieces.append((font, character))
    return pieces


def width(pieces: list[tuple[str, str]], size: float) -> float:
    """Return the printed width in points of ``runs``' pieces at ``size``."""
    return sum(pdfmetrics.stringWidth(piece, font, size) for font, piece in pieces)
