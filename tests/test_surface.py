"""A finer population surface: people placed by points with counts inside each desa."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import square_desa

from jangkau import pipeline
from jangkau.analysis.coverage import coverage_by_desa
from jangkau.analysis.proposals import plan_sites
from jangkau.clean.population import population_surface
from jangkau.config.catalogue import load_catalogue
from jangkau.sources.demo import UTM, desa_cell, write_demo


@pytest.fixture
def one_desa():
    desa = square_desa([("99.01.01.2001", "99.01.01", "desa", 0, 0, 10_000)])
    desa["penduduk"] = [1000]
    raw = gpd.GeoDataFrame(
        {"baris": [1, 2, 3], "jumlah_penduduk": ["300", "700", "5"]},
        geometry=[shapely.Point(1000, 1000), shapely.Point(9000, 9000), shapely.Point(50_000, 0)],
        crs=32750,
    )
    surface, report = population_surface(
        raw, columns={"jumlah": "jumlah_penduduk"}, desa=desa, source="titik.gpkg"
    )
    return desa, surface, report


def test_surface_weights_and_report(one_desa):
    _, surface, report = one_desa
    assert sorted(surface["bobot"].round(3)) == [0.3, 0.7]
    assert report == {
        "sumber": "titik.gpkg",
        "titik_dibaca": 3,
        "titik_dipakai": 2,
        "desa_dengan_titik": 1,
    }


def test_coverage_follows_the_surface(one_desa):
    desa, surface, _ = one_desa
    posyandu = gpd.GeoDataFrame(
        {"layanan": ["posyandu"]}, geometry=[shapely.Point(1000, 1000)], crs=32750
    )
    long = coverage_by_desa(desa, posyandu, catalogue=load_catalogue(), surface=surface)
    assert long.set_index("layanan").at["posyandu", "penduduk_terlayani"] == pytest.approx(300)
    even = coverage_by_desa(desa, posyandu, catalogue=load_catalogue())
    assert even.set_index("layanan").at["posyandu", "cakupan"] < 0.01


def posyandu_gaps(desa, cakupan, kekurangan=3):
    """The one-row gap table plan_sites reads: coverage given, three posyandu missing."""
    people = float(desa["penduduk"].sum())
    return pd.DataFrame(
        {
            "kode_kec": ["99.01.01"],
            "layanan": ["posyandu"],
            "penduduk": [people],
            "penduduk_terlayani": [cakupan * people],
            "jumlah_fasilitas": [1],
            "kekurangan": [kekurangan],
        }
    )


def posyandu_only():
    catalogue = load_catalogue()
    return catalogue[catalogue["layanan"] == "posyandu"]


def test_proposed_site_goes_where_the_people_are(one_desa):
    desa, surface, _ = one_desa
    posyandu = gpd.GeoDataFrame(
        {"layanan": ["posyandu"]}, geometry=[shapely.Point(1000, 1000)], crs=32750
    )
    gaps = posyandu_gaps(desa, 0.3)
    sites, _ = plan_sites(desa, posyandu, gaps, catalogue=posyandu_only(), surface=surface)
    assert len(sites) == 1  # after it everyone counted is within reach
    assert sites["tambahan_penduduk_terlayani"].iloc[0] == pytest.approx(700)
    assert sites.geometry.iloc[0].distance(shapely.Point(9000, 9000)) <= 500
    assert sites["cakupan_setelah"].iloc[0] == pytest.approx(1.0)


def test_a_region_with_a_surface_file_says_which_desa_use_it(tmp_path):
    folder = write_demo(tmp_path / "raw")
    centre = desa_cell(0, 0).centroid
    points = gpd.GeoDataFrame(
        {"jumlah_penduduk": [100, 50]},
        geometry=[centre, shapely.Point(centre.x + 3000, centre.y)],
        crs=UTM,
    )
    points.to_file(folder / "penduduk_titik.geojson", driver="GeoJSON")
    region = pipeline.prepare_region(data_dir=folder, name="titik")
    assert (
        region.penduduk_rinci is not None
        and region.penduduk_rinci.columns["jumlah"] == "jumlah_penduduk"
    )
    pipeline.run_all(region, pipeline.OutputPaths.under(tmp_path, "titik"))
    desa = gpd.read_file(
        tmp_path / "data" / "processed" / "titik" / "coverage.gpkg", layer="desa"
    ).set_index("desa")
    assert desa.loc["Mawar", "permukaan_penduduk"] == "titik penduduk (penduduk_titik.geojson)"
    assert desa.loc["Melati", "permukaan_penduduk"] == "merata per desa"
    # The SD at Mawar's centre reaches the 100 people there, not the 50 three km away.
    assert desa.loc["Mawar", "cakupan_sd"] == pytest.approx(100 / 150)
    report = (tmp_path / "data" / "processed" / "titik" / "kualitas_data.html").read_text(
        encoding="utf-8"
    )
    assert "Sebaran penduduk di dalam desa" in report and "penduduk_titik.geojson" in report


def newly_reached(xy, people, sites, existing, radius):
    """People on surface points each site brings within reach, given those before it."""
    centres = np.asarray(existing, dtype=float).reshape(-1, 2)
    gains = []
    for site in sites:
        reached = (np.hypot(*(xy[:, None, :] - centres[None]).transpose(2, 0, 1)) <= radius).any(1)
        centres = np.vstack([centres, [site.x, site.y]])
        now = (np.hypot(*(xy[:, None, :] - centres[None]).transpose(2, 0, 1)) <= radius).any(1)
        gains.append(people[now & ~reached].sum())
    return gains


def surface_of(xy, people, total):
    return gpd.GeoDataFrame(
        {"kode_desa": "99.01.01.2001", "bobot": np.asarray(people) / total},
        geometry=shapely.points(xy),
        crs=32750,
    )


def test_gains_on_a_surface_count_each_person_once():
    desa = square_desa([("99.01.01.2001", "99.01.01", "desa", 0, 0, 10_000)])
    desa["penduduk"] = [1000]
    # Three clusters far apart (posyandu reach: 500 m), each two points 300 m apart; the
    # existing posyandu reaches one point (250 people) of the largest cluster only.
    clusters = {(1000, 1000): 300, (5000, 5000): 200, (9000, 9000): 500}
    xy = np.array([(x + dx, y) for (x, y) in clusters for dx in (0, 300)], dtype=float)
    people = np.array([count / 2 for count in clusters.values() for _ in (0, 1)])
    existing = [(8650.0, 9000.0)]
    posyandu = gpd.GeoDataFrame(
        {"layanan": ["posyandu"]}, geometry=shapely.points(existing), crs=32750
    )
    gaps = posyandu_gaps(desa, 0.25)
    sites, _ = plan_sites(
        desa, posyandu, gaps, catalogue=posyandu_only(), surface=surface_of(xy, people, 1000)
    )
    # Largest remaining first; each site gains what no facility or earlier site reaches.
    assert sites["tambahan_penduduk_terlayani"].tolist() == pytest.approx([300, 250, 200])
    assert sites["cakupan_setelah"].tolist() == pytest.approx([0.55, 0.8, 1.0])
    assert sites["tambahan_penduduk_terlayani"].tolist() == pytest.approx(
        newly_reached(xy, people, sites.geometry, existing, 500)
    )


@pytest.mark.parametrize("seed", range(4))
def test_gains_on_a_crowded_surface_match_a_recomputation(seed):
    rng = np.random.default_rng(seed)
    desa = square_desa([("99.01.01.2001", "99.01.01", "desa", 0, 0, 3000)])
    desa["penduduk"] = [5000]
    xy = rng.uniform(0, 3000, size=(150, 2))
    people = rng.integers(1, 60, size=150).astype(float)
    people *= 5000 / people.sum()
    existing = rng.uniform(0, 3000, size=(2, 2))
    posyandu = gpd.GeoDataFrame(
        {"layanan": ["posyandu"] * 2}, geometry=shapely.points(existing), crs=32750
    )
    reached = (np.hypot(*(xy[:, None, :] - existing[None]).transpose(2, 0, 1)) <= 500).any(1)
    before = people[reached].sum() / 5000
    gaps = posyandu_gaps(desa, before)
    sites, _ = plan_sites(
        desa, posyandu, gaps, catalogue=posyandu_only(), surface=surface_of(xy, people, 5000)
    )
    assert len(sites) == 3
    expected = newly_reached(xy, people, sites.geometry, existing, 500)
    assert sites["tambahan_penduduk_terlayani"].tolist() == pytest.approx(expected, abs=0.06)
    assert sites["cakupan_setelah"].tolist() == pytest.approx(
        (before + np.cumsum(expected) / 5000).tolist(), abs=1e-5
    )
