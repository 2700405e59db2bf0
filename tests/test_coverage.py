import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import square_desa

from jangkau.analysis.coverage import (
    coverage_by_desa,
    coverage_by_kecamatan,
    covered_fraction,
    wide_coverage,
)
from jangkau.analysis.crs import metric_crs_for, utm_epsg
from jangkau.config.catalogue import load_catalogue

SIDE = 10_000.0
R = 1_000.0
# A 128-gon disc falls short of the true disc by 0.04 %.
DISC = 5e-4


def test_disc_in_the_middle_of_a_square():
    square = shapely.box(0, 0, SIDE, SIDE)
    got = covered_fraction(np.array([square]), np.array([shapely.Point(5000, 5000)]), R)
    assert got[0] == pytest.approx(math.pi * R**2 / SIDE**2, rel=DISC)


def test_quarter_disc_at_a_corner():
    square = shapely.box(0, 0, SIDE, SIDE)
    got = covered_fraction(np.array([square]), np.array([shapely.Point(0, 0)]), R)
    assert got[0] == pytest.approx(math.pi * R**2 / 4 / SIDE**2, rel=DISC)


def test_overlapping_discs_are_not_counted_twice():
    square = shapely.box(0, 0, SIDE, SIDE)
    points = np.array([shapely.Point(5000, 5000), shapely.Point(6000, 5000)])
    union = (4 * math.pi / 3 + math.sqrt(3) / 2) * R**2
    got = covered_fraction(np.array([square]), points, R)
    assert got[0] == pytest.approx(union / SIDE**2, rel=DISC)


def test_a_facility_next_door_covers_across_the_border():
    left, right = shapely.box(0, 0, SIDE, SIDE), shapely.box(SIDE, 0, 2 * SIDE, SIDE)
    h = 500.0
    segment = R**2 * math.acos(h / R) - h * math.sqrt(R**2 - h**2)
    got = covered_fraction(np.array([left, right]), np.array([shapely.Point(SIDE + h, 5000)]), R)
    # The polygonal disc's shortfall (under 0.05 % of the disc) may all fall in one part.
    slack = DISC * math.pi * R**2 / SIDE**2
    assert got[0] == pytest.approx(segment / SIDE**2, abs=slack)
    assert got[1] == pytest.approx((math.pi * R**2 - segment) / SIDE**2, abs=slack)


def test_no_facility_means_no_coverage_and_full_cover_is_one():
    square = shapely.box(0, 0, 100, 100)
    assert covered_fraction(np.array([square]), np.array([]), R)[0] == 0
    assert covered_fraction(np.array([square]), np.array([shapely.Point(50, 50)]), R)[
        0
    ] == pytest.approx(1.0)


def test_kelurahan_and_desa_use_their_own_radius_and_kecamatan_sums_people():
    desa = square_desa(
        [
            ("99.01.01.1001", "99.01.01", "kelurahan", 0, 0, SIDE),
            ("99.01.01.2002", "99.01.01", "desa", 2 * SIDE, 0, SIDE),
        ]
    )
    desa["penduduk"] = [1000, 3000]
    facilities = gpd.GeoDataFrame(
        {"layanan": ["sd", "sd"]},
        geometry=[shapely.Point(5000, 5000), shapely.Point(2 * SIDE + 5000, 5000)],
        crs=32750,
    )
    long = coverage_by_desa(desa, facilities, catalogue=load_catalogue())
    sd = long[long["layanan"] == "sd"].set_index("kode_desa")
    kelurahan_share = math.pi * 1000**2 / SIDE**2
    desa_share = math.pi * 3000**2 / SIDE**2
    assert sd.loc["99.01.01.1001", "radius_m"] == 1000
    assert sd.loc["99.01.01.2002", "radius_m"] == 3000
    assert sd.loc["99.01.01.1001", "cakupan"] == pytest.approx(kelurahan_share, rel=DISC)
    assert sd.loc["99.01.01.2002", "cakupan"] == pytest.approx(desa_share, rel=DISC)
    kecamatan = coverage_by_kecamatan(long).set_index(["kode_kec", "layanan"])
    expected = (1000 * kelurahan_share + 3000 * desa_share) / 4000
    assert kecamatan.loc[("99.01.01", "sd"), "cakupan"] == pytest.approx(expected, rel=DISC)
    assert kecamatan.loc[("99.01.01", "smp"), "cakupan"] == 0
    assert list(wide_coverage(long, "kode_desa").columns)[:2] == ["cakupan_sd", "cakupan_smp"]


def test_distances_refuse_a_geographic_crs():
    desa = square_desa([("99.01.01.2001", "99.01.01", "desa", 119.0, -5.0, 0.1)], crs=4326)
    desa["penduduk"] = [10]
    facilities = gpd.GeoDataFrame(
        {"layanan": ["sd"]}, geometry=[shapely.Point(119.05, -4.95)], crs=4326
    )
    with pytest.raises(ValueError, match="metric"):
        coverage_by_desa(desa, facilities, catalogue=load_catalogue())


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (119.6, -5.0, 32750),
        (120.1, -5.0, 32751),
        (106.8, -6.2, 32748),
        (98.7, 3.6, 32647),
        (140.7, -2.5, 32754),
    ],
)
def test_utm_zone_from_the_data(lon, lat, epsg):
    assert utm_epsg(lon, lat) == epsg
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(lon, lat).buffer(0.01)], crs=4326)
    assert metric_crs_for(frame).crs == f"EPSG:{epsg}"


def test_empty_population_kecamatan_has_no_coverage_figure():
    long = pd.DataFrame(
        {"kode_kec": ["a"], "layanan": ["sd"], "penduduk": [0.0], "penduduk_terlayani": [0.0]}
    )
    assert coverage_by_kecamatan(long)["cakupan"].isna().all()
