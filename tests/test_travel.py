"""Travel-time coverage: trips known by hand, a river and an island, and an independent check."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from jangkau.analysis.coverage import coverage_by_desa
from jangkau.analysis.network import build_network
from jangkau.analysis.travel import travel_coverage_by_desa, travel_coverage_by_kecamatan
from jangkau.clean.roads import speed_table, standardise_roads
from jangkau.config.catalogue import load_catalogue
from jangkau.errors import InputError
from jangkau.publish.travel_layers import network_layer
from tests.travel_check import independent_coverage

CRS = 32750
WALK_KMH = 5.0


def _roads(lines, kelas="Jalan Lokal", oneway=None):
    raw = gpd.GeoDataFrame(
        {
            "REMARK": [kelas] * len(lines) if isinstance(kelas, str) else kelas,
            "oneway": oneway or ["no"] * len(lines),
        },
        geometry=lines,
        crs=CRS,
    )
    roads = standardise_roads(
        raw,
        columns={"kelas": "REMARK", "arah": "oneway"},
        source="jalan.geojson",
        speeds=speed_table(),
    )
    return build_network(roads, tolerance_m=10.0, min_fragment_m=1000.0)


def _desa(boxes, tipe="kelurahan", kode_kec=None, land=()):
    """Desa on ``boxes``; ``land`` adds unpopulated desa after them (the land people walk on)."""
    if land:
        extra = len(land)
        tipe = [tipe] * len(boxes) + ["desa"] * extra if isinstance(tipe, str) else tipe
        kode_kec = (kode_kec or ["99.01.01"] * len(boxes)) + ["99.01.09"] * extra
        boxes = [*boxes, *land]
    n = len(boxes)
    return gpd.GeoDataFrame(
        {
            "kode_desa": [f"99.01.{i // 10 + 1:02d}.{1001 + i}" for i in range(n)],
            "kode_kec": kode_kec or ["99.01.01"] * n,
            "tipe": [tipe] * n if isinstance(tipe, str) else tipe,
            "penduduk": [1000.0] * (n - len(land)) + [0.0] * len(land),
        },
        geometry=boxes,
        crs=CRS,
    )


def _facilities(points, layanan="puskesmas"):
    return gpd.GeoDataFrame({"layanan": [layanan] * len(points)}, geometry=points, crs=CRS)


def _travel(desa, facilities, network, catalogue=None, spacing=100.0):
    return travel_coverage_by_desa(
        desa,
        facilities,
        network,
        catalogue=catalogue if catalogue is not None else load_catalogue(),
        walking_kmh=WALK_KMH,
        spacing_m=spacing,
        direct_walk_beyond_m=500.0,
    )


CITY = box(-200, -200, 2200, 2200)


def _grid_city_lines():
    """Streets x = 0, 1000, 2000 and y = 0, 1000, 2000, each a line through the crossings."""
    lines = []
    for c in (0, 1000, 2000):
        lines.append(LineString([(c, 0), (c, 1000), (c, 2000)]))
        lines.append(LineString([(0, c), (1000, c), (2000, c)]))
    return lines


def test_grid_city_times_by_hand():
    # Jalan Lokal 20 km/h: 3 minutes per km; walking 5 km/h: 12 minutes per km.
    network = _roads(_grid_city_lines())
    # One lattice point each: (1900, 1500) and (500, 100).
    desa = _desa([box(1855, 1455, 1965, 1545), box(455, 55, 545, 145)], land=[CITY])
    facility = _facilities([Point(300, -30)])  # 30 m below the street y = 0
    result = _travel(desa, facility, network).set_index(["layanan", "kode_desa"])
    far, near = result.loc["puskesmas"].iloc[0], result.loc["puskesmas"].iloc[1]
    # (1900,1500): walk 100 m to x=2000 (1.2), road 1700 + 1500 m (9.6), walk 30 m (0.36).
    assert far["waktu_median"] == pytest.approx(11.16)
    # (500,100): walk 100 m (1.2), along its own street 200 m to the facility's road point (0.6), 0.36.
    assert near["waktu_median"] == pytest.approx(2.16)
    assert far["cakupan_waktu"] == 1.0  # 30-minute standard


def test_time_standard_decides_coverage():
    network = _roads(_grid_city_lines())
    desa = _desa([box(1855, 1455, 1965, 1545)], land=[CITY])
    facility = _facilities([Point(300, -30)])
    for minutes, expected in ((11.1, 0.0), (11.2, 1.0)):
        catalogue = load_catalogue(
            {"puskesmas": {"waktu_kelurahan_menit": minutes, "waktu_desa_menit": 60}}
        )
        result = _travel(desa, facility, network, catalogue)
        row = result[result["layanan"] == "puskesmas"].iloc[0]
        assert row["cakupan_waktu"] == expected
        assert row["waktu_standar_menit"] == minutes


def test_one_way_street_forces_the_long_way_round():
    lines = _grid_city_lines()
    oneway = ["no"] * len(lines)
    oneway[1] = "yes"  # y = 0, drawn from x = 0 to x = 2000: only eastwards
    network = _roads(lines, oneway=oneway)
    desa = _desa([box(455, 55, 545, 145)], land=[CITY])
    result = _travel(desa, _facilities([Point(300, -30)]), network)
    # From (500,0) only east: 500 to (1000,0), north 1000, west 1000, south 1000, east 300 = 3800 m.
    expected = 1.2 + 3800 * 0.003 + 0.36
    assert result.loc[result["layanan"] == "puskesmas", "waktu_median"].iloc[0] == pytest.approx(
        expected
    )


def test_river_without_bridge_is_covered_in_straight_line_not_in_time():
    # Two streets on either bank of a river (x 0..1000), one bridge 5 km north.
    lines = [
        LineString([(0, -5000), (0, 0), (0, 5000)]),
        LineString([(1000, -5000), (1000, 0), (1000, 5000)]),
        LineString([(0, 5000), (1000, 5000)]),
    ]
    network = _roads(lines)
    # Lattice point (1100, 0), 1.15 km from the facility; the river runs from x = 100 to 900.
    banks = [box(-2000, -6000, 100, 6000), box(900, -6000, 3000, 6000)]
    desa = _desa([box(1055, -45, 1145, 45)], land=banks)
    facility = _facilities([Point(-50, 0)])
    straight = coverage_by_desa(desa, facility, catalogue=load_catalogue())
    assert straight.loc[straight["layanan"] == "puskesmas", "cakupan"].iloc[0] == 1.0
    result = _travel(desa, facility, network)
    row = result[result["layanan"] == "puskesmas"].iloc[0]
    # 100 m walk, 5000 + 1000 + 5000 m of road, 50 m walk: 1.2 + 33 + 0.6 minutes.
    assert row["waktu_median"] == pytest.approx(34.8)
    assert row["cakupan_waktu"] == 0.0


def test_island_without_ferry_is_unreachable():
    mainland = [LineString([(0, -3000), (0, 0), (0, 3000)])]
    island = [LineString([(1500, -1000), (3500, -1000), (3500, 1000), (1500, 1000), (1500, -1000)])]
    network = _roads(mainland + island)
    assert network.report["komponen_terpisah"] == 1
    # Lattice point (1600, 0): 55 m from the island road; sea between x = 100 and 1400.
    shores = [box(-1000, -4000, 100, 4000), box(1400, -1500, 3600, 1500)]
    desa = _desa([box(1555, -45, 1645, 45)], land=shores)
    facility = _facilities([Point(-50, 0)])
    straight = coverage_by_desa(desa, facility, catalogue=load_catalogue())
    assert straight.loc[straight["layanan"] == "puskesmas", "cakupan"].iloc[0] == 1.0
    row = _travel(desa, facility, network).query("layanan == 'puskesmas'").iloc[0]
    assert row["cakupan_waktu"] == 0.0
    assert np.isnan(row["waktu_median"])


def test_loose_ends_are_joined_and_small_fragments_dropped():
    lines = [
        LineString([(0, 0), (2000, 0)]),
        LineString([(1000, 6), (1000, 1500)]),  # stops 6 m short of the street: joined
        LineString([(5000, 5000), (5300, 5000)]),  # 300 m alone: dropped
    ]
    network = _roads(lines)
    assert len(network.report["sambungan"]) == 1
    assert network.report["sambungan"]["jarak_m"].iloc[0] == pytest.approx(6.0)
    assert network.report["fragmen_dibuang"] == 1
    assert network.report["fragmen_dibuang_km"] == pytest.approx(0.3)
    assert network.length_m[~network.joined].sum() == pytest.approx(2000 + 1494)


def test_unknown_road_class_stops_with_file_and_row():
    raw = gpd.GeoDataFrame(
        {"REMARK": ["Jalan Lokal", "Jalan Kuda"]},
        geometry=[LineString([(0, 0), (1, 1)]), LineString([(1, 1), (2, 2)])],
        crs=CRS,
    )
    with pytest.raises(InputError, match=r"jalan.geojson, baris 2: kelas jalan 'Jalan Kuda'"):
        standardise_roads(
            raw, columns={"kelas": "REMARK"}, source="jalan.geojson", speeds=speed_table()
        )


def test_rbi_toll_class_matches_by_prefix():
    raw = gpd.GeoDataFrame(
        {"REMARK": ["Jalan Tol Dua Jalur Dengan Pemisah Fisik"]},
        geometry=[LineString([(0, 0), (1, 1)])],
        crs=CRS,
    )
    roads = standardise_roads(raw, columns={}, source="jalan.geojson", speeds=speed_table())
    assert roads["km_per_jam"].iloc[0] == 60.0


def _generated_city(seed=7):
    """Streets every 500 m over 5 km with random classes, gaps and one-way streets."""
    rng = np.random.default_rng(seed)
    classes = ["Jalan Arteri", "Jalan Kolektor", "Jalan Lokal", "Jalan Lain"]
    lines, kelas, oneway = [], [], []
    stops = [13 + 500 * i for i in range(11)]
    for c in stops:
        for vertical in (True, False):
            for a, b in zip(stops, stops[1:], strict=False):
                if rng.random() < 0.12:
                    continue  # a missing block
                middle = (a + b) / 2 + rng.uniform(-40, 40)
                coords = [(a, c), (middle, c + rng.uniform(-30, 30)), (b, c)]
                if vertical:
                    coords = [(y, x) for x, y in coords]
                lines.append(LineString(coords))
                kelas.append(classes[rng.integers(len(classes))])
                oneway.append("yes" if rng.random() < 0.1 else "no")
    desa_boxes, kode_kec, tipe = [], [], []
    for i in range(5):
        for j in range(5):
            desa_boxes.append(box(37 + 1000 * i, 37 + 1000 * j, 1037 + 1000 * i, 1037 + 1000 * j))
            kode_kec.append(f"99.01.{i + 1:02d}")
            tipe.append("kelurahan" if rng.random() < 0.5 else "desa")
    desa = _desa(desa_boxes, tipe=tipe, kode_kec=kode_kec)
    desa["penduduk"] = rng.integers(500, 5000, len(desa)).astype(float)
    facilities = pd.concat(
        [
            _facilities([Point(*rng.uniform(0, 5000, 2)) for _ in range(2)], "puskesmas"),
            _facilities([Point(*rng.uniform(0, 5000, 2)) for _ in range(4)], "sd"),
            _facilities([Point(*rng.uniform(0, 5000, 2)) for _ in range(8)], "posyandu"),
        ],
        ignore_index=True,
    )
    return lines, kelas, oneway, desa, facilities


def test_generated_city_agrees_with_independent_networkx():
    lines, kelas, oneway, desa, facilities = _generated_city()
    network = _roads(lines, kelas=kelas, oneway=oneway)
    catalogue = load_catalogue()
    catalogue = catalogue[catalogue["layanan"].isin(["puskesmas", "sd", "posyandu"])].reset_index(
        drop=True
    )
    mine = _travel(desa, facilities, network, catalogue, spacing=100.0)
    mine_kec = travel_coverage_by_kecamatan(mine).set_index(["kode_kec", "layanan"])
    standards = {
        "puskesmas": (30.0, 30.0),
        "sd": (1000 * 60 / 5000, 3000 * 60 / 5000),  # radius walked at 5 km/h
        "posyandu": (500 * 60 / 5000, 500 * 60 / 5000),
    }
    layer = network_layer(network, CRS)
    their_desa, their_kec = independent_coverage(
        desa, facilities, layer, standards, spacing=100.0, walk_kmh=WALK_KMH, direct_beyond_m=500.0
    )
    their_kec = their_kec.set_index(["kode_kec", "layanan"])
    difference = (mine_kec["cakupan_waktu"] - their_kec["cakupan_waktu"]).abs()
    assert len(difference.dropna()) == 15
    assert difference.max() <= 0.005
    # Not trivially all covered or all uncovered.
    assert 0.05 < mine_kec["cakupan_waktu"].mean() < 0.95
    medians = mine.set_index(["kode_desa", "layanan"])["waktu_median"]
    theirs = their_desa.set_index(["kode_desa", "layanan"])["waktu_median"]
    theirs = theirs.replace(np.inf, np.nan)  # published as empty: not reachable by road
    assert np.allclose(medians.loc[theirs.index], theirs, rtol=0, atol=1e-6, equal_nan=True)


def test_point_far_from_roads_walks_straight_when_quicker():
    # One street along y = 0; a desa point 900 m north of it, 1 km from either facility.
    network = _roads([LineString([(-5000, 0), (0, 0), (5000, 0)])])
    # With a 1 km lattice neither desa holds a lattice point: each gets its centre.
    desa = _desa([box(-500, 855, 500, 945), box(-500, 945, 500, 1100)])  # point (0, 900)
    facilities = _facilities([Point(-436, 1000), Point(436, 1000)])  # equally far: a tie
    result = _travel(desa, facilities, network, spacing=1000.0)
    row = result.query("layanan == 'puskesmas'").iloc[0]
    straight = np.hypot(436, 100) * 0.012
    # By road: walk 900 m, 436 m of street, walk 1000 m: much longer than the straight walk.
    assert straight < 900 * 0.012 + 436 * 0.003 + 1000 * 0.012
    assert row["waktu_median"] == pytest.approx(straight)


def test_point_near_a_road_never_walks_across_the_river():
    # The same, but the point is 400 m from the road (under 500 m): it must use the road.
    network = _roads([LineString([(-5000, 0), (0, 0), (5000, 0)])])
    desa = _desa([box(-45, 355, 45, 445)], land=[box(-2000, -100, 2000, 1100)])  # point (0, 400)
    facilities = _facilities([Point(-436, 1000), Point(436, 1000)])
    row = _travel(desa, facilities, network).query("layanan == 'puskesmas'").iloc[0]
    assert row["waktu_median"] == pytest.approx(400 * 0.012 + 436 * 0.003 + 1000 * 0.012)


MAKASSAR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@pytest.mark.skipif(not (MAKASSAR / "makassar").is_dir(), reason="no ../shared/data")
def test_makassar_agrees_with_independent_networkx(tmp_path):
    from jangkau.pipeline.fetching import fetch_boundaries

    fetch_boundaries("73.71", source=str(MAKASSAR / "wilayah_boundaries"), out=tmp_path)
    desa = gpd.read_file(tmp_path / "batas_desa.gpkg").to_crs(CRS)
    desa["penduduk"] = 1000.0
    health = pd.read_csv(MAKASSAR / "makassar" / "puskesmas_kemenkes_2019.csv")
    schools = pd.DataFrame(
        json.loads((MAKASSAR / "makassar" / "sekolah_kemdikbud_2019.json").read_text())["196000"]
    )
    schools = schools[(schools["bentuk"] == "SD") & schools["lintang"].notna()]
    facilities = pd.concat(
        [
            gpd.GeoDataFrame(
                {"layanan": "puskesmas"},
                index=health.index,
                geometry=gpd.points_from_xy(health["long_"], health["lat_"]),
                crs=4326,
            ),
            gpd.GeoDataFrame(
                {"layanan": "sd"},
                index=schools.index,
                geometry=gpd.points_from_xy(
                    schools["bujur"].astype(float), schools["lintang"].astype(float)
                ),
                crs=4326,
            ),
        ],
        ignore_index=True,
    ).to_crs(CRS)
    raw = gpd.read_file(MAKASSAR / "makassar" / "jalan_rbi50k.geojson")
    roads = standardise_roads(
        raw, columns={"kelas": "REMARK"}, source="jalan_rbi50k.geojson", speeds=speed_table()
    ).to_crs(CRS)
    network = build_network(roads, tolerance_m=10.0, min_fragment_m=1000.0)
    assert network.report["fragmen_dibuang"] > 0  # the data has loose pieces
    catalogue = load_catalogue()
    catalogue = catalogue[catalogue["layanan"].isin(["puskesmas", "sd"])].reset_index(drop=True)
    mine = _travel(desa, facilities, network, catalogue, spacing=100.0)
    mine_kec = travel_coverage_by_kecamatan(mine).set_index(["kode_kec", "layanan"])
    standards = {"puskesmas": (30.0, 30.0), "sd": (12.0, 36.0)}
    _, their_kec = independent_coverage(
        desa,
        facilities,
        network_layer(network, CRS),
        standards,
        spacing=100.0,
        walk_kmh=WALK_KMH,
        direct_beyond_m=500.0,
    )
    their_kec = their_kec.set_index(["kode_kec", "layanan"])
    difference = (mine_kec["cakupan_waktu"] - their_kec["cakupan_waktu"]).abs()
    assert len(difference.dropna()) == 30
    assert difference.max() <= 0.005
    assert mine_kec.loc[(slice(None), "sd"), "cakupan_waktu"].min() < 0.95


def test_osm_pbf_reads_into_the_same_network_as_geojson(tmp_path):
    from jangkau.io.roads import read_road_lines
    from tests.osm_pbf import write_osm_pbf

    # A small street pattern near Makassar: coordinates on the PBF's 1e-7 degree grid.
    nodes = {
        i + 1: (round(119.40 + 0.004 * (i % 4), 7), round(-5.15 + 0.003 * (i // 4), 7))
        for i in range(12)
    }
    ways = [
        (101, [1, 2, 3, 4], {"highway": "primary", "name": "Jalan A"}),
        (102, [5, 6, 7, 8], {"highway": "residential", "oneway": "yes"}),
        (103, [9, 10, 11, 12], {"highway": "tertiary", "oneway": "-1"}),
        (104, [1, 5, 9], {"highway": "secondary"}),
        (105, [4, 8, 12], {"highway": "residential"}),
        (106, [2, 6], {"highway": "footway"}),
        (107, [3, 7], {"building": "yes"}),  # not a road: left out
    ]
    pbf = write_osm_pbf(tmp_path / "jalan.osm.pbf", nodes, ways)
    roads = [w for w in ways if "highway" in w[2]]
    geojson = gpd.GeoDataFrame(
        {
            "highway": [w[2]["highway"] for w in roads],
            "oneway": [w[2].get("oneway", "no") for w in roads],
        },
        geometry=[LineString([nodes[n] for n in w[1]]) for w in roads],
        crs=4326,
    )
    geojson.to_file(tmp_path / "jalan.geojson", driver="GeoJSON")
    networks = []
    for path in (pbf, tmp_path / "jalan.geojson"):
        raw = read_road_lines(path)
        lines = standardise_roads(raw, columns={}, source=path.name, speeds=speed_table())
        networks.append(build_network(lines.to_crs(CRS), tolerance_m=10.0, min_fragment_m=0.0))

    def edges(network):
        layer = network_layer(network, CRS)
        return sorted(
            (tuple(np.round(np.asarray(g.coords).ravel(), 3)), k, s, bool(o))
            for g, k, s, o in zip(
                layer.geometry, layer["kelas"], layer["km_per_jam"], layer["satu_arah"], strict=True
            )
        )

    from_pbf, from_geojson = edges(networks[0]), edges(networks[1])
    assert len(from_pbf) == 3 * 3 + 2 * 2 + 1
    assert from_pbf == from_geojson
    assert sum(one_way for *_, one_way in from_pbf) == 6


def test_record_json_reads_as_a_table_and_geojson_stays_vector(tmp_path):
    from jangkau.io.read import is_vector, read_records

    records = tmp_path / "sekolah.json"
    records.write_text(
        '{"196000": [{"sekolah": "SD 1", "bentuk": "SD", "lintang": "-5.1", "bujur": "119.4"},'
        ' {"sekolah": "SMP 2", "bentuk": "SMP", "lintang": " -5.2 ", "bujur": "119.5"}]}',
        encoding="utf-8",
    )
    table = read_records(records)
    assert not is_vector(records)
    assert table["baris"].tolist() == [1, 2]
    assert table["sekolah"].tolist() == ["SD 1", "SMP 2"]
    assert table["lintang"].tolist() == ["-5.1", "-5.2"]
    geojson = tmp_path / "titik.json"
    geojson.write_text(
        '{"features": [{"type": "Feature", "properties": {"nama": "A"},'
        ' "geometry": {"type": "Point", "coordinates": [119.4, -5.1]}}], "type": "FeatureCollection"}',
        encoding="utf-8",
    )
    assert is_vector(geojson)
    assert read_records(geojson)["nama"].tolist() == ["A"]


def test_no_straight_walk_across_the_sea():
    # An island desa with no road, 1.5 km of sea from a mainland facility (straight-line covered).
    network = _roads([LineString([(-5000, 0), (0, 0), (5000, 0)])])
    mainland = box(-1500, -500, 1500, 1000)
    island = box(-300, 2500, 300, 3000)
    desa = _desa([mainland, island])
    facility = _facilities([Point(0, 950)])
    straight = coverage_by_desa(desa, facility, catalogue=load_catalogue())
    assert straight.query("layanan == 'puskesmas'")["cakupan"].iloc[1] == 1.0
    row = _travel(desa, facility, network).query("layanan == 'puskesmas'").iloc[1]
    assert row["cakupan_waktu"] == 0.0
    assert np.isnan(row["waktu_median"])
    # The mainland's own points far from the road do walk straight, over land.
    mainland_row = _travel(desa, facility, network).query("layanan == 'puskesmas'").iloc[0]
    assert mainland_row["cakupan_waktu"] == 1.0


def test_ferry_takes_its_stated_time_plus_waiting():
    from jangkau.analysis.ferries import add_ferries, ferry_routes

    mainland = [LineString([(0, -3000), (0, 0), (0, 500), (0, 3000)])]
    island = [LineString([(1500, -1000), (3500, -1000), (3500, 1000), (1500, 1000), (1500, -1000)])]
    shores = [box(-1000, -4000, 100, 4000), box(1400, -1500, 3600, 1500)]
    desa = _desa([box(1555, -45, 1645, 45)], land=shores)  # lattice point (1600, 0)
    facility = _facilities([Point(-50, 0)], "rumah_sakit")  # 60-minute standard
    landings = gpd.GeoSeries([Point(30, 500), Point(1470, 1000)], crs=CRS).to_crs(4326)
    route = {
        "nama": "uji",
        "dari": [landings.x[0], landings.y[0]],
        "ke": [landings.x[1], landings.y[1]],
        "menit": 20,
        "tunggu_menit": 10,
    }
    network = add_ferries(
        _roads(mainland + island), ferry_routes([route], crs=CRS), walking_kmh=WALK_KMH
    )
    row = _travel(desa, facility, network).query("layanan == 'rumah_sakit'").iloc[0]
    # Walk 100 m (1.2), 1000 m of island road (3), walk 30 m, wait 10, cross 20, walk 30 m
    # (0.36 + 10 + 20 + 0.36), 500 m of mainland road (1.5), walk 50 m (0.6).
    assert row["waktu_median"] == pytest.approx(1.2 + 3 + 30.72 + 1.5 + 0.6, abs=1e-6)
    assert row["cakupan_waktu"] == 1.0
    # A mainland point 32 m from the crossing and 200 m from the road walks to the road.
    shore = _desa([box(155, 555, 245, 645)], land=shores)  # lattice point (200, 600)
    near = _travel(shore, facility, network).query("layanan == 'rumah_sakit'").iloc[0]
    assert near["waktu_median"] == pytest.approx(200 * 0.012 + 600 * 0.003 + 50 * 0.012)
    without = _travel(desa, facility, _roads(mainland + island)).query("layanan == 'rumah_sakit'")
    assert np.isnan(without["waktu_median"].iloc[0])
    # The independent computation reads the crossing from the published layer.
    _, theirs = independent_coverage(
        desa,
        facility,
        network_layer(network, CRS),
        {"rumah_sakit": (60.0, 60.0)},
        spacing=100.0,
        walk_kmh=WALK_KMH,
        direct_beyond_m=500.0,
    )
    mine = travel_coverage_by_kecamatan(_travel(desa, facility, network))
    mine = mine.set_index(["kode_kec", "layanan"])["cakupan_waktu"]
    for item in theirs.itertuples():
        published = mine[(item.kode_kec, item.layanan)]
        assert published == pytest.approx(item.cakupan_waktu, abs=0.005, nan_ok=True)


def test_candidate_cover_matches_independent_trips():
    import shapely as shp

    from jangkau.analysis.travel_cover import candidate_cover
    from tests.travel_check import lattice, trip_times

    lines, kelas, oneway, desa, _ = _generated_city(seed=3)
    network = _roads(lines, kelas=kelas, oneway=oneway)
    rng = np.random.default_rng(5)
    candidates = [Point(*rng.uniform(0, 5000, 2)) for _ in range(6)]
    few = desa.iloc[[0, 6, 12, 18, 24]]
    demand = [(x, y) for _, x, y in lattice(few, 250.0)]
    land = shp.buffer(shp.union_all(desa.geometry.to_numpy()), 50.0)
    shp.prepare(land)
    standard = np.full(len(demand), 9.0)
    cover = candidate_cover(
        network,
        np.array(candidates, dtype=object),
        shp.points(np.array(demand)),
        standard_minutes=standard,
        walking_kmh=WALK_KMH,
        land=land,
        land_margin_m=50.0,
        direct_walk_beyond_m=500.0,
    ).toarray()
    layer = network_layer(network, CRS)
    checked = 0
    for c, site in enumerate(candidates):
        minutes = trip_times(
            layer,
            demand,
            [(site.x, site.y)],
            walk_kmh=WALK_KMH,
            direct_beyond_m=500.0,
            land=desa.geometry.union_all().buffer(50.0),
            reach_m=9.0 * WALK_KMH * 1000 / 60,
        )
        clear = np.abs(minutes - 9.0) > 1e-6  # a tie with the standard is too close to call
        assert (cover[c][clear] == (minutes[clear] <= 9.0)).all()
        checked += clear.sum()
    assert checked > 100 and 0 < cover.sum() < cover.size


def test_population_surface_points_carry_their_weights():
    network = _roads(_grid_city_lines())
    desa = _desa([box(0, 0, 1000, 1000)], land=[CITY])
    surface = gpd.GeoDataFrame(
        {"kode_desa": [desa["kode_desa"].iloc[0]] * 2, "bobot": [0.25, 0.75]},
        geometry=[Point(100, 10), Point(900, 990)],
        crs=CRS,
    )
    facility = _facilities([Point(0, -20)])
    catalogue = load_catalogue({"puskesmas": {"waktu_kelurahan_menit": 2, "waktu_desa_menit": 2}})
    result = travel_coverage_by_desa(
        desa,
        facility,
        network,
        catalogue=catalogue,
        walking_kmh=WALK_KMH,
        spacing_m=100.0,
        direct_walk_beyond_m=500.0,
        surface=surface,
    ).query("layanan == 'puskesmas'")
    row = result.iloc[0]
    # (100, 10): 10 m walk, 100 m of road, 20 m walk = 0.12 + 0.3 + 0.24 minutes: covered.
    # (900, 990): 10 m walk to y = 1000, 900 + 1000 m of road: not within 2 minutes.
    assert row["cakupan_waktu"] == pytest.approx(0.25)
    assert row["penduduk_terlayani_waktu"] == pytest.approx(250.0)
    assert row["waktu_median"] == pytest.approx(0.12 + 1900 * 0.003 + 0.24)  # 75 % there
