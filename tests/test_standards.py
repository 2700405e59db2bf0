import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import square_desa

from jangkau.analysis.gaps import desa_index, gap_table, overall_index
from jangkau.config.catalogue import index_weights, load_catalogue

SIDE = 10_000.0
# Shares known by hand: the SD at the kelurahan's centre reaches a 1 km disc of it and
# nothing of the desa next door (5 km away); the SD at the centre of 99.01.02.2001
# reaches a 3 km disc. No other distance service has a facility.
HAND_SHARES = {
    ("99.01.01.1001", "sd"): math.pi * 1000**2 / SIDE**2,
    ("99.01.02.2001", "sd"): math.pi * 3000**2 / SIDE**2,
}


def hand_coverage(desa, catalogue):
    """Coverage per desa x distance service as ``coverage_by_desa`` lays it out, from HAND_SHARES."""
    distance = catalogue[catalogue["radius_desa_m"].notna()]
    rows = []
    for service in distance.itertuples():
        for one in desa.itertuples():
            share = HAND_SHARES.get((one.kode_desa, service.layanan), 0.0)
            radius = (
                service.radius_kelurahan_m if one.tipe == "kelurahan" else service.radius_desa_m
            )
            rows.append((one.kode_desa, one.kode_kec, service.layanan, radius, one.penduduk, share))
    frame = pd.DataFrame(
        rows, columns=["kode_desa", "kode_kec", "layanan", "radius_m", "penduduk", "cakupan"]
    )
    return frame.assign(penduduk_terlayani=frame["penduduk"] * frame["cakupan"])


@pytest.fixture(scope="module")
def case():
    desa = square_desa(
        [
            ("99.01.01.1001", "99.01.01", "kelurahan", 0, 0, SIDE),
            ("99.01.01.2002", "99.01.01", "desa", SIDE, 0, SIDE),
            ("99.01.02.2001", "99.01.02", "desa", 3 * SIDE, 0, SIDE),
        ]
    )
    desa["penduduk"] = [2000, 2000, 1000]
    facilities = gpd.GeoDataFrame(
        {
            "layanan": ["sd", "sd", "polsek"],
            "kode_desa": ["99.01.01.1001", "99.01.02.2001", "99.01.01.2002"],
            "kode_kec": ["99.01.01", "99.01.02", "99.01.01"],
        },
        geometry=[
            shapely.Point(5000, 5000),
            shapely.Point(3 * SIDE + 5000, 5000),
            shapely.Point(15000, 5000),
        ],
        crs=32750,
    )
    catalogue = load_catalogue()
    long = hand_coverage(desa, catalogue)
    kecamatan = pd.DataFrame({"kode_kec": ["99.01.01", "99.01.02"], "kecamatan": ["A", "B"]})
    gaps = gap_table(
        kecamatan, desa, long, facilities, catalogue=catalogue, weights=index_weights()
    )
    return desa, facilities, long, catalogue, gaps.set_index(["kode_kec", "layanan"])


def test_school_shortfall_known_by_hand(case):
    *_, gaps = case
    a = gaps.loc[("99.01.01", "sd")]
    # 4,000 people / 1,600 per SD -> 3; at least one per desa (2) -> 3; one exists -> short of 2.
    assert (a["kebutuhan"], a["kekurangan"], a["jumlah_fasilitas"]) == (3, 2, 1)
    assert a["desa_tanpa_layanan"] == 1 and not a["memenuhi_minimum"]
    coverage = 2000 * (math.pi * 1000**2 / SIDE**2) / 4000
    assert a["cakupan"] == pytest.approx(coverage, rel=1e-3)
    assert a["indeks_kesenjangan"] == pytest.approx(
        100 * (0.5 * (1 - coverage) + 0.5 * 2 / 3), abs=0.02
    )
    b = gaps.loc[("99.01.02", "sd")]
    assert (b["kebutuhan"], b["kekurangan"], b["desa_tanpa_layanan"]) == (1, 0, 0) and b[
        "memenuhi_minimum"
    ]
    assert b["indeks_kesenjangan"] == pytest.approx(100 * 0.5 * (1 - math.pi * 9 / 100), abs=0.05)
    assert (a["peringkat"], b["peringkat"]) == (1, 2)


def test_count_only_and_distance_only_services(case):
    *_, gaps = case
    polsek_a, polsek_b = gaps.loc[("99.01.01", "polsek")], gaps.loc[("99.01.02", "polsek")]
    assert (polsek_a["kebutuhan"], polsek_a["kekurangan"], polsek_a["indeks_kesenjangan"]) == (
        1,
        0,
        0,
    )
    assert (polsek_b["kekurangan"], polsek_b["indeks_kesenjangan"], polsek_b["peringkat"]) == (
        1,
        100,
        1,
    )
    assert polsek_a["memenuhi_minimum"] and not polsek_b["memenuhi_minimum"]
    assert pd.isna(polsek_a["desa_tanpa_layanan"]) and pd.isna(polsek_a["cakupan"])
    hospital = gaps.loc[("99.01.01", "rumah_sakit")]
    assert pd.isna(hospital["kebutuhan"]) and pd.isna(hospital["memenuhi_minimum"])
    # Hospitals are planned per kabupaten: judged in the kabupaten table, not here.
    assert hospital["tingkat"] == "kabupaten" and pd.isna(hospital["indeks_kesenjangan"])
    assert pd.isna(hospital["peringkat"]) and hospital["desa_tanpa_layanan"] == 2
    water = gaps.loc[("99.01.01", "air_minum")]
    assert pd.isna(water["indeks_kesenjangan"]) and pd.isna(water["peringkat"])


def test_overall_indices(case):
    desa, facilities, long, catalogue, gaps = case
    overall = overall_index(gaps.reset_index())
    # Of the 14 services, air_minum, rumah_sakit and pemadam are judged per kabupaten (no
    # kecamatan index). In 99.01.01 polsek scores 0, SD its own index, and the 9 others (no
    # facility, no coverage) 100; in 99.01.02, with one SD and no polsek, polsek scores 100 too.
    sd_a = 100 * (0.5 * (1 - 2000 * math.pi * 1000**2 / SIDE**2 / 4000) + 0.5 * 2 / 3)
    sd_b = 100 * 0.5 * (1 - math.pi * 3000**2 / SIDE**2)
    assert overall["99.01.01"] == pytest.approx((sd_a + 0 + 9 * 100) / 11, abs=0.01)
    assert overall["99.01.02"] == pytest.approx((sd_b + 100 + 9 * 100) / 11, abs=0.01)
    per_desa = desa_index(desa, long, facilities, catalogue=catalogue, weights=index_weights())
    # Desa 2002 has no SD (per-desa minimum: shortfall 1) and no coverage of any distance service;
    # it has no kantor desa either: every index that applies to it is 100.
    assert per_desa["99.01.01.2002"] == 100
    # Kelurahan 1001: SD (has one; 1 km disc), 9 other distance services at 100, kantor desa 100.
    sd_1001 = 100 * 0.5 * (1 - math.pi * 1000**2 / SIDE**2)
    assert per_desa["99.01.01.1001"] == pytest.approx((sd_1001 + 10 * 100) / 11, abs=0.01)
