"""Coordinates a person can read off a cell: map links and UTM metres in degree columns.

Truth comes from the Maros desa polygons (points sampled inside them) and from
pyproj (degrees to EPSG:32750 metres), never from the parsing code.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import MAROS, square_desa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jangkau.clean.assets import place_assets, standardise_assets
from jangkau.clean.coords import parse_coordinate, parse_map_link
from jangkau.config.catalogue import load_kind_table

TO_UTM50 = pyproj.Transformer.from_crs(4326, 32750, always_xy=True)
KINDS = load_kind_table()


def _maros_desa() -> gpd.GeoDataFrame:
    raw = gpd.read_file(MAROS / "batas_desa.shp")
    desa = raw.rename(
        columns={
            "KDEPUM": "kode_desa",
            "WADMKD": "desa",
            "KDCPUM": "kode_kec",
            "WADMKC": "kecamatan",
        }
    )[["kode_desa", "desa", "kode_kec", "kecamatan", "geometry"]]
    desa["geometry"] = shapely.make_valid(desa.geometry.to_numpy())
    return desa.to_crs(32750)


DESA = _maros_desa()
DESA_DEGREES = DESA.to_crs(4326)


@st.composite
def maros_points(draw: st.DrawFn) -> tuple[float, float]:
    """A (lat, lon) inside a Maros desa polygon, rounded to 7 decimals (1 cm)."""
    polygon = draw(st.sampled_from(list(DESA_DEGREES.geometry)))
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(200):
        u = draw(st.floats(0, 1))
        v = draw(st.floats(0, 1))
        lon, lat = round(minx + u * (maxx - minx), 7), round(miny + v * (maxy - miny), 7)
        if polygon.contains(shapely.Point(lon, lat)):
            return lat, lon
    return polygon.representative_point().y, polygon.representative_point().x


def link_forms(lat: float, lon: float) -> dict[str, str]:
    """Every common way a map link carries a point, written by hand."""
    a, o = f"{lat:.7f}", f"{lon:.7f}"
    return {
        "google_at": f"https://www.google.com/maps/@{a},{o},17z",
        # The @ of a place link is where the screen was; the pin is !3d/!4d.
        "google_place": (
            f"https://www.google.com/maps/place/SD+Inpres+Maros/@{lat + 0.01:.7f},{lon - 0.02:.7f},15z"
            f"/data=!3m1!4b1!4m6!3m5!1s0x2dbf:0x3c!8m2!3d{a}!4d{o}!16s%2Fg%2F11b"
        ),
        "google_q": f"https://maps.google.com/maps?q={a},{o}",
        "google_q_encoded": f"https://maps.google.com/?q={a}%2C{o}",
        "google_query": f"https://www.google.com/maps/search/?api=1&query={a}%2C{o}",
        "google_ll": f"https://maps.google.com/?ll={a},{o}&z=16",
        "google_destination": f"https://www.google.com/maps/dir/?api=1&destination={a},{o}",
        "osm_map": f"https://www.openstreetmap.org/#map=17/{a}/{o}",
        "osm_marker": f"https://www.openstreetmap.org/?mlat={a}&mlon={o}#map=15/{lat - 0.03:.5f}/{o}",
        "geo_uri": f"geo:{a},{o}?z=17",
    }


FORMS = sorted(link_forms(0.0, 0.0))
PLACES = ["lintang", "bujur", "koordinat", "keterangan"]


def _run(rows: list[dict[str, str | None]], columns: dict[str, str]):
    raw = pd.DataFrame(rows)
    raw.insert(0, "baris", range(1, len(raw) + 1))
    records = standardise_assets(raw, columns=columns, source="uji.csv", default_jenis="SD")
    return place_assets(records, desa=DESA, kinds=KINDS)


def _metres_apart(placed: gpd.GeoDataFrame, lat: float, lon: float) -> float:
    x, y = TO_UTM50.transform(lon, lat)
    got = placed.to_crs(32750).geometry.iloc[0]
    return math.hypot(got.x - x, got.y - y)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point=maros_points(), form=st.sampled_from(FORMS), place=st.sampled_from(PLACES))
def test_map_links_are_read_wherever_they_sit(point, form, place):
    lat, lon = point
    link = link_forms(lat, lon)[form]
    if place == "koordinat":
        row = {"nama": "SD Uji", "Koordinat": link, "keterangan": None}
        columns = {"koordinat": "Koordinat", "nama": "nama"}
    else:
        row = {"nama": "SD Uji", "lintang": None, "bujur": None, "keterangan": None}
        row[place] = link
        columns = {"lintang": "lintang", "bujur": "bujur", "nama": "nama"}
    placed, rejected = _run([row], columns)
    assert rejected.empty, rejected["alasan"].tolist()
    assert _metres_apart(placed, lat, lon) < 1.0
    note = placed["perbaikan"].iloc[0]
    assert note.startswith("koordinat dibaca dari tautan peta")
    assert ("kolom 'keterangan'" in note) == (place == "keterangan")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    point=maros_points(),
    northing_in_lintang=st.booleans(),
    style=st.sampled_from(["plain", "decimals", "thousands", "unit"]),
)
def test_utm_metres_in_degree_columns_are_converted(point, northing_in_lintang, style):
    lat, lon = point
    easting, northing = TO_UTM50.transform(lon, lat)

    def write(value: float) -> str:
        if style == "plain":
            return f"{value:.0f}"
        if style == "decimals":
            return f"{value:.2f}".replace(".", ",")
        if style == "thousands":
            return f"{value:,.0f}".replace(",", ".")
        return f"{value:.1f} m"

    first, second = (northing, easting) if northing_in_lintang else (easting, northing)
    row = {"nama": "SD Uji", "lintang": write(first), "bujur": write(second)}
    placed, rejected = _run([row], {"lintang": "lintang", "bujur": "bujur", "nama": "nama"})
    assert rejected.empty, rejected["alasan"].tolist()
    # Whole metres are written for some styles: half a metre each way at most.
    assert _metres_apart(placed, lat, lon) < 1.0
    note = placed["perbaikan"].iloc[0]
    assert "koordinat UTM zona 50S (meter) diubah ke derajat" in note
    assert ("lintang dan bujur tertukar" in note) == (not northing_in_lintang)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    point=maros_points(),
    template=st.sampled_from(
        ["50S {e:.2f} {n:.2f}", "UTM 50M {e:.0f}mE {n:.0f}mN", "zona 50 S {e:.1f}; {n:.1f}"]
    ),
    in_koordinat=st.booleans(),
)
def test_metres_naming_their_zone_are_converted(point, template, in_koordinat):
    lat, lon = point
    easting, northing = TO_UTM50.transform(lon, lat)
    text = template.format(e=easting, n=northing)
    if in_koordinat:
        row, columns = {"nama": "SD Uji", "Koordinat": text}, {"koordinat": "Koordinat"}
    else:
        row = {"nama": "SD Uji", "lintang": None, "bujur": None, "catatan_lokasi": text}
        columns = {"lintang": "lintang", "bujur": "bujur"}
    placed, rejected = _run([row], {**columns, "nama": "nama"})
    assert rejected.empty, rejected["alasan"].tolist()
    assert _metres_apart(placed, lat, lon) < 1.0
    expected = "koordinat UTM zona 50S (meter) diubah ke derajat"
    if not in_koordinat:
        expected += " (kolom 'catatan_lokasi')"
    assert placed["perbaikan"].iloc[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://www.google.com/maps/@-4.95,119.57,17z", (-4.95, 119.57)),
        ("https://maps.google.com/maps?q=-4.951,119.572&hl=id", (-4.951, 119.572)),
        ("https://www.google.com/maps/search/?api=1&query=-4.95%2C119.57", (-4.95, 119.57)),
        ("Lokasi: https://www.openstreetmap.org/#map=17/-4.95/119.57 (dicek)", (-4.95, 119.57)),
        (
            "https://www.openstreetmap.org/?mlat=-4.95&mlon=119.57#map=12/-5.1/119.3",
            (-4.95, 119.57),
        ),
        ("geo:-4.95,119.57", (-4.95, 119.57)),
        ("https://maps.google.com/?q=loc:-4.95+119.57", (-4.95, 119.57)),
        ("https://maps.app.goo.gl/AbCdEf123", None),
        ("-4.95, 119.57", None),
        ("https://www.google.com/maps/@95.0,119.57,17z", None),
    ],
)
def test_map_link_forms(text, expected):
    assert parse_map_link(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.452.310", 9452310.0),
        ("9,452,310.5", 9452310.5),
        ("785432 mT", 785432.0),
        ("9452310,25", 9452310.25),
    ],
)
def test_metres_with_separators_and_units(text, expected):
    assert parse_coordinate(text) == expected


def test_short_link_and_metres_outside_are_rejected_with_reasons():
    rows = [
        {"nama": "A", "lintang": "https://maps.app.goo.gl/AbCdEf123", "bujur": None},
        # Valid UTM numbers, but in Java under every zone tried.
        {"nama": "B", "lintang": "9250000", "bujur": "500000"},
    ]
    placed, rejected = _run(rows, {"lintang": "lintang", "bujur": "bujur", "nama": "nama"})
    assert placed.empty
    reasons = dict(zip(rejected["baris"], rejected["alasan"], strict=True))
    assert reasons[1].startswith("koordinat tidak terbaca")
    assert "goo.gl" in reasons[1]
    assert reasons[2].startswith("di luar kabupaten")
    assert "zona 50S, 49S, 51S, 50N, 49N, 51N" in reasons[2]


def test_metres_fitting_two_zones_are_rejected_not_guessed():
    # Two desa: one around a point in zone 50S, one where the same numbers lie in zone 51S.
    easting, northing = 780_000.0, 9_440_000.0
    x51, y51 = pyproj.Transformer.from_crs(32751, 32750, always_xy=True).transform(
        easting, northing
    )
    desa = square_desa(
        [
            ("73.09.01.2001", "73.09.01", "desa", easting - 500, northing - 500, 1000),
            ("73.09.02.2002", "73.09.02", "desa", x51 - 500, y51 - 500, 1000),
        ]
    )
    raw = pd.DataFrame({"baris": [1], "nama": ["A"], "lintang": ["9440000"], "bujur": ["780000"]})
    records = standardise_assets(
        raw,
        columns={"lintang": "lintang", "bujur": "bujur", "nama": "nama"},
        source="u.csv",
        default_jenis="SD",
    )
    placed, rejected = place_assets(records, desa=desa, kinds=KINDS)
    assert placed.empty
    reason = rejected["alasan"].iloc[0]
    assert "lebih dari satu tafsiran UTM" in reason
    assert "zona 50S" in reason and "zona 51S" in reason


def test_degrees_as_written_still_win_over_links_elsewhere():
    lat, lon = DESA_DEGREES.geometry.iloc[0].representative_point().coords[0][::-1]
    other = DESA_DEGREES.geometry.iloc[50].representative_point()
    row = {
        "nama": "A",
        "lintang": f"{lat:.7f}",
        "bujur": f"{lon:.7f}",
        "keterangan": f"https://www.google.com/maps/@{other.y:.7f},{other.x:.7f},17z",
    }
    placed, rejected = _run([row], {"lintang": "lintang", "bujur": "bujur", "nama": "nama"})
    assert rejected.empty
    assert placed["perbaikan"].iloc[0] == ""
    assert _metres_apart(placed, lat, lon) < 1.0
    assert np.isclose(placed.geometry.iloc[0].y, lat)
