"""Proposed sites: as many as the standards ask for, placed across kecamatan borders, checked by hand.

Gains are recomputed here with plain shapely discs (``coverage_check.covered_people``)
over every desa of the kabupaten, in the order the sites are reported.
"""

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import square_desa
from site_check import assert_gains_recompute, gaps_by_hand

from jangkau.analysis.proposals import ProposalSettings, plan_sites
from jangkau.config.catalogue import load_catalogue

NO_FACILITIES = gpd.GeoDataFrame({"layanan": []}, geometry=[], crs=32750)


def _catalogue(services):
    catalogue = load_catalogue()
    return catalogue[catalogue["layanan"].isin(services)].reset_index(drop=True)


def test_a_site_on_the_border_serves_both_kecamatan_and_gains_are_exact():
    # Two kecamatan, each one 2 km square desa, people only in a 600 m strip along their
    # shared border: one TPS (750 m) on the border reaches people on both sides.
    desa = square_desa(
        [
            ("99.01.01.2001", "99.01.01", "desa", 0, 0, 2000),
            ("99.01.02.2001", "99.01.02", "desa", 2000, 0, 2000),
        ]
    ).assign(penduduk=[1000, 1000])
    catalogue = _catalogue(["tps"])
    gaps = gaps_by_hand(desa, NO_FACILITIES, catalogue)
    sites, report = plan_sites(desa, NO_FACILITIES, gaps, catalogue=catalogue)
    assert len(sites) == report["jumlah_usulan"].sum() > 0
    assert (sites.groupby("kode_kec").size() <= 3).all()
    assert_gains_recompute(desa, NO_FACILITIES, sites, catalogue)
    assert (report["selisih_optimal"] >= 0).all()
    assert (report["batas_atas"] >= report["tambahan_model"] - 1e-6).all()


def test_no_proposals_where_coverage_meets_the_target_or_the_count_says_none_are_missing():
    desa = square_desa(
        [
            ("99.01.01.2001", "99.01.01", "desa", 0, 0, 2000),
            ("99.01.02.2001", "99.01.02", "desa", 20_000, 0, 4000),
        ]
    ).assign(penduduk=[2000, 2000])
    # A puskesmas in each kecamatan: the first covers its 2 km desa wholly (3 km radius),
    # the second only part of its 4 km desa, but one per kecamatan is all the count asks.
    existing = gpd.GeoDataFrame(
        {"layanan": ["puskesmas", "puskesmas"]},
        geometry=[shapely.Point(1000, 1000), shapely.Point(20_100, 100)],
        crs=32750,
    )
    catalogue = _catalogue(["puskesmas"])
    gaps = gaps_by_hand(desa, existing, catalogue)
    assert gaps.set_index("kode_kec").loc["99.01.02", "penduduk_terlayani"] < 2000
    sites, report = plan_sites(desa, existing, gaps, catalogue=catalogue)
    assert sites.empty and report["jumlah_usulan"].sum() == 0
    # With one puskesmas missing in the second kecamatan, one site is proposed there.
    short = gaps_by_hand(desa, existing, catalogue, shortfall={("99.01.02", "puskesmas"): 1})
    sites, _ = plan_sites(desa, existing, short, catalogue=catalogue)
    assert sites["kode_kec"].tolist() == ["99.01.02"]
    assert_gains_recompute(desa, existing, sites, catalogue)


def test_services_without_a_count_get_only_as_many_sites_as_reach_the_target():
    # One 3 km square desa, people spread evenly; TPS radius 750 m: a single site covers
    # pi x 750^2 / 9e6 = 19.6 %, so reaching 100 % takes more than 3: capped at 3.
    desa = square_desa([("99.01.01.2001", "99.01.01", "desa", 0, 0, 3000)]).assign(penduduk=[900])
    catalogue = _catalogue(["tps"])
    gaps = gaps_by_hand(desa, NO_FACILITIES, catalogue)
    sites, report = plan_sites(desa, NO_FACILITIES, gaps, catalogue=catalogue)
    assert len(sites) == 3
    assert "perlu lebih dari 3 lokasi" in report["catatan"].iloc[0]
    # A target of 15 % is met by one site.
    catalogue.loc[:, "target_cakupan"] = 0.15
    sites, _ = plan_sites(desa, NO_FACILITIES, gaps, catalogue=catalogue)
    assert len(sites) == 1
    assert sites["tambahan_penduduk_terlayani"].iloc[0] == pytest.approx(
        900 * math.pi * 750**2 / 3000**2, rel=0.01
    )


def test_kabupaten_services_are_planned_for_the_whole_kabupaten():
    # Fire posts are planned per kabupaten: four kecamatan far apart still get at most
    # three posts in all, not three each.
    desa = square_desa(
        [(f"99.01.0{k}.2001", f"99.01.0{k}", "desa", k * 40_000, 0, 10_000) for k in range(1, 5)]
    ).assign(penduduk=[5000] * 4)
    catalogue = _catalogue(["pemadam"])
    assert catalogue["tingkat_perencanaan"].tolist() == ["kabupaten"]
    gaps = gaps_by_hand(desa, NO_FACILITIES, catalogue)
    sites, report = plan_sites(desa, NO_FACILITIES, gaps, catalogue=catalogue)
    assert len(sites) == 3 and report["tingkat"].tolist() == ["kabupaten"]
    assert report["kode_kab"].tolist() == ["99.01"]
    assert_gains_recompute(desa, NO_FACILITIES, sites, catalogue)


def test_a_budget_and_candidate_sites_are_respected():
    desa = square_desa(
        [
            ("99.01.01.2001", "99.01.01", "desa", 0, 0, 3000),
            ("99.01.02.2001", "99.01.02", "desa", 3000, 0, 3000),
        ]
    ).assign(penduduk=[900, 900])
    catalogue = _catalogue(["tps"])
    gaps = gaps_by_hand(desa, NO_FACILITIES, catalogue)
    sites, report = plan_sites(
        desa,
        NO_FACILITIES,
        gaps,
        catalogue=catalogue,
        settings=ProposalSettings(anggaran={"tps": 2}),
    )
    assert len(sites) == 2 and "dibatasi anggaran" in report["catatan"].iloc[0]
    offered = gpd.GeoDataFrame(
        geometry=[shapely.Point(500, 500), shapely.Point(3500, 2500), shapely.Point(9000, 9000)],
        crs=32750,
    )
    sites, _ = plan_sites(desa, NO_FACILITIES, gaps, catalogue=catalogue, candidate_sites=offered)
    chosen = {(round(p.x), round(p.y)) for p in sites.geometry}
    assert chosen == {(500, 500), (3500, 2500)}


def test_coarsened_grids_are_said():
    desa = square_desa([("99.01.01.2001", "99.01.01", "desa", 0, 0, 3000)]).assign(penduduk=[900])
    catalogue = _catalogue(["posyandu"])
    gaps = gaps_by_hand(desa, NO_FACILITIES, catalogue)
    _, report = plan_sites(
        desa,
        NO_FACILITIES,
        gaps,
        catalogue=catalogue,
        settings=ProposalSettings(max_demand=100, max_candidates=20),
    )
    note = report["catatan"].iloc[0]
    assert "titik permintaan dijarangkan" in note and "titik kandidat dijarangkan" in note
    # 3 km square: 9e6 m^2 / 100 points -> 300 m apart, not the 125 m a quarter radius asks.
    assert report["jarak_titik_permintaan_m"].iloc[0] == pytest.approx(300)
    assert np.isfinite(report["batas_atas"].iloc[0])


def test_with_a_road_network_the_site_is_chosen_by_travel_time():
    # A 8 km strip of road-side houses (1,000 people; an arteri road, 60 km/h, along its
    # middle) and, 12 km away, a roadless 1 km block (600 people). Puskesmas here: 1 km
    # radius, 5 minutes. Two offered sites, one to choose: A on the road mid-strip, B in
    # the block's centre. Straight line: A's disc holds a quarter of the strip (249),
    # B's the whole block (600), so B. By road: from A every strip house is at most a
    # 25 m walk (0.3 min) and 3.9 km of road (3.9 min) away, all 1,000 within 5 minutes;
    # B is reached only on foot (no road), and on the 250 m demand grid 8 of the
    # block's 16 points lie within 5 minutes' walk (417 m): 300 people. So A.
    from jangkau.analysis.network import build_network
    from jangkau.analysis.travel_sites import TravelSetting
    from jangkau.clean.roads import speed_table, standardise_roads

    desa = gpd.GeoDataFrame(
        {
            "kode_desa": ["99.01.01.2001", "99.01.01.2002"],
            "kode_kec": ["99.01.01", "99.01.01"],
            "tipe": ["desa", "desa"],
            "penduduk": [1000.0, 600.0],
        },
        geometry=[shapely.box(0, -150, 8000, 150), shapely.box(20_000, 0, 21_000, 1000)],
        crs=32750,
    )
    catalogue = load_catalogue(
        {
            "puskesmas": {
                "radius_kelurahan_m": 1000,
                "radius_desa_m": 1000,
                "waktu_kelurahan_menit": 5,
                "waktu_desa_menit": 5,
            }
        }
    )
    catalogue = catalogue[catalogue["layanan"] == "puskesmas"].reset_index(drop=True)
    gaps = gaps_by_hand(desa, NO_FACILITIES, catalogue, {("99.01.01", "puskesmas"): 1})
    offered = gpd.GeoDataFrame(
        geometry=[shapely.Point(4000, 0), shapely.Point(20_500, 500)], crs=32750
    )
    roads = standardise_roads(
        gpd.GeoDataFrame(
            {"REMARK": ["Jalan Arteri"]},
            geometry=[shapely.LineString([(0, 0), (8000, 0)])],
            crs=32750,
        ),
        columns={"kelas": "REMARK"},
        source="jalan.geojson",
        speeds=speed_table(),
    )
    land = shapely.buffer(shapely.union_all(desa.geometry.to_numpy()), 50.0)
    shapely.prepare(land)
    travel = TravelSetting(
        network=build_network(roads, tolerance_m=10.0, min_fragment_m=1000.0),
        walking_kmh=5.0,
        land=land,
        land_margin_m=50.0,
        direct_walk_beyond_m=500.0,
    )
    settings = ProposalSettings(maks_per_unit=1)
    straight, straight_report = plan_sites(
        desa, NO_FACILITIES, gaps, catalogue=catalogue, settings=settings, candidate_sites=offered
    )
    by_road, road_report = plan_sites(
        desa,
        NO_FACILITIES,
        gaps,
        catalogue=catalogue,
        settings=settings,
        candidate_sites=offered,
        travel=travel,
    )
    assert [(p.x, p.y) for p in straight.geometry] == [(20_500, 500)]
    assert straight["tambahan_penduduk_terlayani"].iloc[0] == pytest.approx(600, abs=0.5)
    assert [(p.x, p.y) for p in by_road.geometry] == [(4000, 0)]
    assert by_road["tambahan_penduduk_terlayani"].iloc[0] == pytest.approx(1000, abs=0.5)
    assert by_road["kode_desa"].iloc[0] == "99.01.01.2001"
    assert road_report["batas_atas"].iloc[0] == pytest.approx(1000, abs=0.5)
    # B alone, by road: the grid's 8 block points within 5 minutes' walk.
    only_b, _ = plan_sites(
        desa,
        NO_FACILITIES,
        gaps,
        catalogue=catalogue,
        settings=settings,
        candidate_sites=offered.iloc[[1]],
        travel=travel,
    )
    assert only_b["tambahan_penduduk_terlayani"].iloc[0] == pytest.approx(300, abs=0.5)
    # Without offered sites the candidates (500 m grid, x = 250, 750, ...) move onto the
    # road. Strip houses lie at x = 125 ... 7,875, 25 m off the road (0.3 min on foot):
    # a road site at x reaches them all in 5 minutes when 7,875 - x and x - 125 are at
    # most 4,700 m, so x = 3,250, 3,750, 4,250 or 4,750, each adding all 1,000.
    gridded, _ = plan_sites(
        desa, NO_FACILITIES, gaps, catalogue=catalogue, settings=settings, travel=travel
    )
    site = gridded.geometry.iloc[0]
    assert site.y == pytest.approx(0.0) and site.x in (3250, 3750, 4250, 4750)
    assert gridded["tambahan_penduduk_terlayani"].iloc[0] == pytest.approx(1000, abs=0.5)
    assert "ukuran: jarak garis lurus" in straight_report["metode"].iloc[0]
    assert "ukuran: waktu tempuh" in road_report["metode"].iloc[0]
