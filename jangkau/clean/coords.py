"""Parse coordinates in the forms people type into spreadsheets.

Supported: decimal point or decimal comma (``-5,0123``), degrees-minutes-
seconds with a hemisphere letter in English or Indonesian
(``5°03'12.5"S``, ``5 3 12,5 LS``, ``119°39'26"BT``), degrees and decimal
minutes (``5°03.208'S``), and a single cell holding both values
(``-5.0123, 119.5432``, ``-5,0123 119,5432``, ``-5.0123;119.5432``).

Also read: map links people paste instead of coordinates (Google Maps ``@lat,lon``,
``!3d..!4d..``, ``q=``/``query=``/``ll=``/``destination=``, percent-encoded
commas; OpenStreetMap ``mlat=``/``mlon=`` and ``#map=zoom/lat/lon``;
``geo:lat,lon`` URIs) by :func:`parse_map_link`, and metre values with
thousands separators (``9.452.310``) by :func:`parse_coordinate`. Which
projection metres belong to is decided where the region is known
(:mod:`jangkau.clean.locate`).
"""

from __future__ import annotations

import math
import re
from urllib.parse import unquote_plus

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
# Metres typed with thousands separators: 9.452.310 (Indonesian) or 9,452,310 (English),
# optionally with a decimal part and a unit (m, mT/mU: meter timur/utara, mE/mN).
_THOUSANDS_DOT = re.compile(r"^\s*([-+]?\d{1,3}(?:\.\d{3})+)(?:,(\d+))?\s*(?:m[TUEN]?)?\s*$")
_THOUSANDS_COMMA = re.compile(r"^\s*([-+]?\d{1,3}(?:,\d{3}){2,})(?:\.(\d+))?\s*(?:m[TUEN]?)?\s*$")
_METRES = re.compile(r"^\s*([-+]?\d{4,}(?:[.,]\d+)?)\s*m[TUEN]?\s*$")

_NUM = r"[-+]?\d{1,3}(?:\.\d+)?"
# Map-link forms, most precise first: a place's own pin (!3d/!4d, OSM marker) before
# the query forms, before the centre of the map view (@ and #map=), which is only
# where the screen was when the link was copied.
_LINK_FORMS = [
    re.compile(rf"!3d({_NUM})!4d({_NUM})"),
    re.compile(rf"[?&#;]mlat=({_NUM})&(?:amp;)?mlon=({_NUM})"),
    re.compile(
        rf"[?&](?:q|query|ll|sll|destination|daddr|center|coordinates)="
        rf"(?:loc:)?\s*({_NUM})(?:\s*,\s*|\s+)({_NUM})(?![\d.])"
    ),
    re.compile(rf"/@({_NUM}),({_NUM})(?:,|$|/|\?)"),
    re.compile(rf"#map=\d+(?:\.\d+)?/({_NUM})/({_NUM})"),
    re.compile(rf"(?:^|\s)geo:({_NUM}),({_NUM})"),
]
_LINK_HINT = re.compile(r"https?://|www\.|geo:|maps|openstreetmap|osm\.org", re.IGNORECASE)


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
    metres = _parse_metres(text)
    if metres is not None:
        return metres
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
    # Links and zoned UTM text hold more numbers than a pair; their own readers take them.
    if _LINK_HINT.search(text) or parse_utm_text(text) is not None:
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


def _parse_metres(text: str) -> float | None:
    """Read metre values written with thousands separators or a metre unit, else None."""
    for pattern, group_sep in ((_THOUSANDS_DOT, "."), (_THOUSANDS_COMMA, ",")):
        match = pattern.match(text)
        if match:
            whole = match.group(1).replace(group_sep, "")
            return float(f"{whole}.{match.group(2)}" if match.group(2) else whole)
    match = _METRES.match(text)
    if match:
        return _to_float(match.group(1))
    return None


def parse_map_link(value: object) -> tuple[float, float] | None:
    """Return ``(latitude, longitude)`` read from a map link or ``geo:`` URI, else None.

    Parameters
    ----------
    value
        A cell that may hold a Google Maps or OpenStreetMap link (full or
        with percent-encoded separators) or a ``geo:`` URI, possibly among
        other text.

    Returns
    -------
    tuple of float or None
        Decimal degrees as written in the link; None when the cell holds no
        link with readable coordinates (a shortened ``goo.gl`` link carries
        none) or the numbers are not latitude and longitude.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if not text or not _LINK_HINT.search(text):
        return None
    text = unquote_plus(text)
    for pattern in _LINK_FORMS:
        match = pattern.search(text)
        if match:
            lat, lon = float(match.group(1)), float(match.group(2))
            if abs(lat) <= 90 and abs(lon) <= 180:
                return (lat, lon)
    return None


_ONE_GROUP = re.compile(r"^\s*[-+]?\d{1,3}\.\d{3}\s*$")


def parse_thousands(value: object) -> float:
    """Read ``785.432`` as 785432: for a cell whose partner is plainly metres, else NaN.

    Alone, ``785.432`` is a decimal; beside ``9.452.310`` a person reads it as
    metres with a thousands separator. Only that exact shape is re-read.
    """
    text = "" if value is None else str(value)
    if not _ONE_GROUP.match(text):
        return math.nan
    return float(text.strip().replace(".", ""))


_UTM_TEXT = re.compile(
    r"^\s*(?:UTM\s*)?(?:zona\s*|zone\s*)?(?P<zone>\d{1,2})\s*(?P<band>[C-HJ-NP-X])\s*[,;:]?\s*"
    r"(?P<e>\d{5,7}(?:[.,]\d{1,3})?(?!\d))\s*(?:m\s*)?(?:[ET]\b)?\s*[,;/]?\s*"
    r"(?P<n>\d{5,8}(?:[.,]\d{1,3})?(?!\d))\s*(?:m\s*)?(?:[NU]\b)?\s*$",
    re.IGNORECASE,
)


def parse_utm_text(value: object) -> tuple[int, bool, float, float] | None:
    """Read a cell naming its UTM zone, e.g. ``50S 785432 9452310`` or ``UTM 50M 785432mE 9452310mN``.

    Returns
    -------
    tuple or None
        ``(zone, south, easting, northing)``; None when the cell is not of
        that form. The letter after the zone is a hemisphere (``S``/``N``) or a
        latitude band (``C``-``M`` south, ``N``-``X`` north); ``S`` is read as
        south, since band S (32-40 degrees north) lies nowhere near Indonesia.
    """
    if value is None:
        return None
    match = _UTM_TEXT.match(str(value))
    if not match:
        return None
    zone = int(match.group("zone"))
    if not 1 <= zone <= 60:
        return None
    band = match.group("band").upper()
    south = band == "S" or band <= "M"
    return zone, south, _to_float(match.group("e")), _to_float(match.group("n"))
