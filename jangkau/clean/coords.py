"""Parse coordinates in the forms people type into spreadsheets.

Supported: decimal point or decimal comma (``-5,0123``), degrees-minutes-
seconds with a hemisphere letter in English or Indonesian
(``5°03'12.5"S``, ``5 3 12,5 LS``, ``119°39'26"BT``), degrees and decimal
minutes (``5°03.208'S``), and a single cell holding both values
(``-5.0123, 119.5432``, ``-5,0123 119,5432``, ``-5.0123;119.5432``).
"""

from __future__ import annotations

import math
import re

# Hemisphere letters: N/S/E/W, and Indonesian LU/LS (lintang utara/selatan),
# BT/BB (bujur timur/barat), U/S/T/B.
_NEGATIVE_HEMISPHERES = {"S", "LS", "W", "BB", "B"}
_HEMISPHERE = r"(?P<hemi>LU|LS|BT|BB|[NSEWUTB])"
_NUMBER = r"\d+(?:[.,]\d+)?"
_DMS = re.compile(
    rf"^\s*(?P<sign>[-+])?\s*{_HEMISPHERE}?\s*"
    rf"(?P<deg>{_NUMBER})\s*(?:°|º|˚|d|deg|\s)\s*"
    rf"(?:(?P<min>{_NUMBER})\s*(?:'|′|’|m|min|\s)?\s*)?"
    rf"(?:(?P<sec>{_NUMBER})\s*(?:\"|″|”|''|s|sec)?\s*)?"
    rf"(?P<hemi2>LU|LS|BT|BB|[NSEWUTB])?\s*$",
    re.IGNORECASE,
)
_DECIMAL = re.compile(r"^\s*[-+]?\d+(?:[.,]\d+)?\s*$")
_PAIR_NUMBERS = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def _to_float(text: str) -> float:
    return float(text.replace(",", "."))


def parse_coordinate(value: object) -> float:
    """Return one coordinate as decimal degrees, or NaN when it cannot be read.

    Parameters
    ----------
    value
        A number, or text in decimal (point or comma) or degrees-minutes-
        seconds form.

    Returns
    -------
    float
        Decimal degrees, negative for south and west; NaN for empty or
        unreadable input.
    """
    if value is None:
        return math.nan
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else math.nan
    text = str(value).strip()
    if not text or text.lower() in {"nan", "none", "null", "-", "na", "n/a"}:
        return math.nan
    if _DECIMAL.match(text):
        return _to_float(text.strip())
    match = _DMS.match(text)
    if not match:
        return math.nan
    hemi = (match.group("hemi") or match.group("hemi2") or "").upper()
    degrees = _to_float(match.group("deg"))
    minutes = _to_float(match.group("min")) if match.group("min") else 0.0
    seconds = _to_float(match.group("sec")) if match.group("sec") else 0.0
    # 60 itself appears when a writer rounded 59.96" up; it carries over like any other value.
    if minutes > 60 or seconds > 60:
        return math.nan
    magnitude = degrees + minutes / 60 + seconds / 3600
    negative = match.group("sign") == "-" or hemi in _NEGATIVE_HEMISPHERES
    return -magnitude if negative else magnitude


def parse_pair(value: object) -> tuple[float, float]:
    """Split one cell holding two coordinates into ``(first, second)``.

    The order is as written (usually latitude first); deciding which is which
    is the cleaning stage's job.

    Returns
    -------
    tuple of float
        NaN for both when the cell does not hold exactly two coordinates.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (math.nan, math.nan)
    text = str(value).strip()
    if not text:
        return (math.nan, math.nan)
    if re.search(r"[°º˚'′\"″NSEWnsew]|L[US]|B[TB]", text):
        parts = re.split(r"\s*[;/|]\s*|(?<=[NSEWnsewUTBSutbs\"″])\s*,?\s+(?=[-+\d])", text)
        parts = [p for p in parts if p.strip()]
        if len(parts) == 2:
            return (parse_coordinate(parts[0]), parse_coordinate(parts[1]))
        return (math.nan, math.nan)
    numbers = _PAIR_NUMBERS.findall(text)
    if len(numbers) != 2:
        return (math.nan, math.nan)
    return (_to_float(numbers[0]), _to_float(numbers[1]))
