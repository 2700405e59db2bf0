import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import square_desa
from site_check import assert_gains_recompute, gaps_by_hand

from jangkau.analysis.coverage import coverage_by_desa
from jangkau.analysis.crs import metric_crs_for
from jangkau.analysis.lattice import lattice_points
from jangkau.analysis.proposals import plan_sites
from jangkau.config.catalogue import load_catalogue


def test_first_site_in_an_empty_desa_covers_a_full_disc():
    desa = square_desa([("99.01.01.2001", "99.01.01", "desa", 0, 0, 20_000)])
    desa["penduduk"] = [40_000]
    catalogue = load_catalogue()
    catalogue = catalogue[catalogue["layanan"] == "posyandu"]
    no_facilities = gpd.GeoDataFrame({"layanan": []}, geometry=[], crs=32750)
    gaps = gaps_by_hand(desa, no_facilities, catalogue, shortfall={("99.01.01", "posyandu"): 32})
    sites, _ = plan_sites(desa, no_facilities, gaps, catalogue=catalogue)
    assert sites["urutan"].tolist() == [1, 2, 3]
    density = 40_000 / 20_000**2
    # A 500 m disc fits wholly inside; sites apart by more than 1 km do not overlap.
    for gain in sites["tambahan_penduduk_terlayani"]:
        assert gain == pytest.approx(density * math.pi * 500**2, rel=1e-3)
    assert sites["cakupan_setelah"].iloc[-1] == pytest.approx(
        3 * math.pi * 500**2 / 20_000**2, rel=1e-3
    )
    assert (sites["kode_desa"] == "99.01.01.2001").all()


@pytest.mark.parametrize("seed", range(2))
def test_gains_recompute_on_random_layouts(seed):
    # Three kecamatan of four 4 km desa, kelurahan and desa mixed (their own radii), some
    # desa with nobody, facilities of every distance service scattered across borders.
    rng = np.random.default_rng(seed)
    cells = [
        (
            f"99.01.0{k + 1}.{2000 + i}",
            f"99.01.0{k + 1}",
            "kelurahan" if rng.random() < 0.4 else "desa",
            (i % 2) * 4000 + k * 8000,
            (i // 2) * 4000,
            4000,
        )
        for k in range(3)
        for i in range(4)
    ]
    desa = square_desa(cells)
    desa["penduduk"] = rng.integers(0, 5000, size=len(desa))
    desa.loc[rng.integers(0, len(desa)), "penduduk"] = 0
    catalogue = load_catalogue()
    services = catalogue.loc[catalogue["radius_desa_m"].notna(), "layanan"].to_numpy()
    existing = gpd.GeoDataFrame(
        {"layanan": rng.choice(services, 15)},
        geometry=shapely.points(rng.uniform(0, 24_000, 15), rng.uniform(0, 8000, 15)),
        crs=32750,
    )
    shortfall = {(f"99.01.0{k + 1}", s): 2 for k in range(3) for s in services}
    gaps = gaps_by_hand(desa, existing, catalogue, shortfall=shortfall)
    sites, report = plan_sites(desa, existing, gaps, catalogue=catalogue)
    assert len(sites) > 30
    assert_gains_recompute(desa, existing, sites, catalogue)
    assert (report["selisih_optimal"].between(0, 1)).all()


def test_an_offshore_island_kecamatan_gets_sites_on_its_islands():
    mainland = shapely.box(0, 0, 20_000, 20_000)
    islands = shapely.MultiPolygon(
        [shapely.box(80_000, 0, 81_000, 1_000), shapely.box(84_000, 0, 85_000, 1_000)]
    )
    desa = gpd.GeoDataFrame(
        {
            "kode_desa": ["99.01.01.2001", "99.01.02.2001"],
            "kode_kec": ["99.01.01", "99.01.02"],
            "tipe": ["desa", "desa"],
            "penduduk": [10_000, 2_000],
        },
        geometry=[mainland, islands],
        crs=32750,
    )
    catalogue = load_catalogue()
    catalogue = catalogue[catalogue["layanan"] == "posyandu"]
    existing = gpd.GeoDataFrame(
        {"layanan": ["posyandu"]}, geometry=[shapely.Point(10_000, 10_000)], crs=32750
    )
    long = coverage_by_desa(desa, existing, catalogue=catalogue)
    island = long[(long["kode_desa"] == "99.01.02.2001") & (long["layanan"] == "posyandu")]
    assert island["cakupan"].iloc[0] == 0
    gaps = gaps_by_hand(
        desa,
        existing,
        catalogue,
        shortfall={("99.01.01", "posyandu"): 7, ("99.01.02", "posyandu"): 2},
    )
    sites, _ = plan_sites(desa, existing, gaps, catalogue=catalogue)
    assert_gains_recompute(desa, existing, sites, catalogue)
    on_islands = sites[sites["kode_kec"] == "99.01.02"]
    assert len(on_islands) == 2
    assert shapely.within(on_islands.geometry.to_numpy(), islands).all()
    # Each island gets a site: a 500 m reach cannot serve one island from the other, 4 km away.
    for part in islands.geoms:
        assert shapely.within(on_islands.geometry.to_numpy(), part).any()
    # Two sites can cover at most two discs of 500 m on 2 km² of island.
    assert 0.5 < on_islands["cakupan_setelah"].max() <= 2 * math.pi * 500**2 / 2e6 + 1e-6


def test_a_region_across_a_utm_zone_edge_is_measured_in_one_zone():
    # Desa straddling 120 deg E (edge of zones 50S and 51S).
    desa = gpd.GeoDataFrame(
        {
            "kode_desa": ["99.01.01.2001"],
            "kode_kec": ["99.01.01"],
            "tipe": ["desa"],
            "penduduk": [1000],
        },
        geometry=[shapely.box(119.95, -5.05, 120.15, -4.95)],
        crs=4326,
    )
    # Neither zone holds it whole: a transverse Mercator centred on it, at 120.05 E.
    metric = metric_crs_for(desa).crs
    assert metric.startswith("+proj=tmerc") and "+lon_0=120.0500" in metric
    local = desa.to_crs(metric)
    centre = gpd.GeoSeries([shapely.Point(120.0, -5.0)], crs=4326).to_crs(metric)
    facilities = gpd.GeoDataFrame(
        {"layanan": ["puskesmas"]}, geometry=centre.to_numpy(), crs=metric
    )
    long = coverage_by_desa(local, facilities, catalogue=load_catalogue())
    share = long.set_index("layanan").at["puskesmas", "cakupan"]
    assert share == pytest.approx(math.pi * 3000**2 / local.area.iloc[0], rel=2e-3)
    # The same answer measured in the other zone: within 0.5 percentage points.
    other = desa.to_crs(32750)
    other_facilities = facilities.to_crs(32750)
    long_other = coverage_by_desa(other, other_facilities, catalogue=load_catalogue())
    assert long_other.set_index("layanan").at["puskesmas", "cakupan"] == pytest.approx(
        share, abs=0.005
    )


def test_lattice_points_lie_inside_and_every_polygon_gets_one():
    polygons = np.array(
        [
            shapely.box(0, 0, 1000, 1000),
            shapely.box(1000, 0, 1010, 10),  # too small for the 100 m lattice
            shapely.MultiPolygon(
                [shapely.box(5000, 0, 5300, 300), shapely.box(9000, 0, 9300, 300)]
            ),
        ]
    )
    lattice = lattice_points(polygons, np.array([0, 0, 1]), np.array([100.0, 100.0]))
    counts = np.bincount(lattice.owner, minlength=3)
    assert counts.tolist() == [100, 1, 18]
    assert shapely.contains(polygons[lattice.owner], lattice.points).all()
    # Positions count from the group's lower-left corner, spacing apart.
    first = lattice.points[lattice.owner == 0]
    assert np.allclose(shapely.get_x(first), 50 + 100 * lattice.column[lattice.owner == 0])
    assert (lattice.column[lattice.owner == 1] == -1).all()


def test_near_points_keep_every_facility_within_reach_of_the_demand():
    from jangkau.analysis.site_search import near_points, within_reach

    rng = np.random.default_rng(7)
    demand = rng.uniform(0, 5000, (400, 2))
    facilities = rng.uniform(-20000, 25000, (3000, 2))
    radius = np.where(rng.random(400) > 0.5, 1000.0, 2500.0)
    near = near_points(facilities, demand, radius)
    assert len(near) < len(facilities)
    # By brute force: every facility within 2,500 m of a demand point is kept ...
    distance = np.hypot(*(demand[:, None, :] - facilities[None, :, :]).transpose(2, 0, 1))
    needed = facilities[(distance <= 2500.0).any(axis=0)]
    assert {tuple(p) for p in needed} <= {tuple(p) for p in near}
    # ... so each point is reached exactly when some facility lies within its radius.
    expected = (distance <= radius[:, None]).any(axis=1)
    assert (within_reach(demand, radius, near) == expected).all()
    assert len(near_points(facilities[:0], demand, radius)) == 0


def test_reach_matrix_pairs_every_point_with_the_candidates_within_its_radius():
    from jangkau.analysis.site_search import reach_matrix

    rng = np.random.default_rng(11)
    demand = rng.uniform(0, 8000, (700, 2))
    candidates = rng.uniform(0, 8000, (300, 2))
    radius = np.where(rng.random(700) > 0.3, 800.0, 1500.0)
    # A point exactly one radius from a candidate counts as reached.
    demand[0] = candidates[5] + [800.0, 0.0]
    radius[0] = 800.0
    reach = reach_matrix(demand, radius, candidates)
    # By brute force, every pair.
    squared = ((demand[:, None, :] - candidates[None, :, :]) ** 2).sum(axis=2)
    expected = squared <= radius[:, None] ** 2
    assert reach[0, 5] == 1
    assert reach.shape == (700, 300)
    assert np.array_equal(reach.toarray() == 1, expected)
    assert reach.nnz == expected.sum()
    # Each row's candidates in ascending order, once (the solver reads rows as sets).
    assert reach.has_canonical_format
    assert all(np.all(np.diff(row.indices) > 0) for row in reach)
    assert reach_matrix(demand[:0], radius[:0], candidates).shape == (0, 300)
    assert reach_matrix(demand, radius, candidates[:0]).nnz == 0


def test_sites_to_reach_counts_the_sites_a_greedy_choice_needs():
    import scipy.sparse

    from jangkau.analysis.site_search import sites_to_reach

    # Candidates (rows) and the demand points (columns) each reaches; weights by hand.
    gains_of = scipy.sparse.csr_matrix(
        np.array(
            [
                [1, 1, 0, 0, 0],  # 30 people
                [0, 1, 1, 1, 0],  # 60, the best first
                [0, 0, 0, 1, 1],  # 45; 15 left once the second is taken
                [1, 0, 0, 0, 0],  # 10
            ]
        )
    )
    weight = np.array([10.0, 20.0, 10.0, 30.0, 15.0])
    # 60 with one site; +10 (the first or the fourth: 10 each) and +15 (the third).
    assert sites_to_reach(gains_of, weight, 60.0, 5) == 1
    assert sites_to_reach(gains_of, weight, 70.0, 5) == 2
    assert sites_to_reach(gains_of, weight, 85.0, 5) == 3
    # Everyone is reached by three sites: no count reaches more.
    assert sites_to_reach(gains_of, weight, 90.0, 5) == 3
    # The cap: one more than the cap when the cap falls short.
    assert sites_to_reach(gains_of, weight, 85.0, 1) == 2
    assert sites_to_reach(gains_of, weight, 0.4, 5) == 0
    assert sites_to_reach(gains_of[:0], weight, 50.0, 5) == 0
    assert weight.tolist() == [10.0, 20.0, 10.0, 30.0, 15.0]
