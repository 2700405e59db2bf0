import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import square_desa
from coverage_check import covered_people

from jangkau.analysis.coverage import coverage_by_desa
from jangkau.analysis.crs import metric_crs_for
from jangkau.analysis.sites import greedy_cover, lattice_points, propose_sites
from jangkau.config.catalogue import load_catalogue


def independent_gaps(desa, facilities, catalogue):
    """Kecamatan coverage per distance service from plain shapely discs (coverage_check)."""
    rows = []
    for service in catalogue[catalogue["radius_desa_m"].notna()].itertuples():
        points = facilities.geometry[facilities["layanan"] == service.layanan]
        for kode_kec, members in desa.groupby("kode_kec"):
            radii = service.radius_kelurahan_m, service.radius_desa_m
            covered = covered_people(members, points, *radii)
            total = members["penduduk"].sum()
            rows.append((kode_kec, service.layanan, covered / total if total > 0 else np.nan))
    return pd.DataFrame(rows, columns=["kode_kec", "layanan", "cakupan"])


def assert_gains_recompute(desa, facilities, sites, catalogue):
    """Check each site's gain and coverage after it against plain shapely; return sites checked.

    A site's gain is the kecamatan's covered population with it minus without it, given
    every existing facility of the service and the sites of the same kecamatan and
    service chosen before it (lower ``urutan``).
    """
    standards = catalogue.set_index("layanan")
    checked = 0
    for (service, kode_kec), chain in sites.groupby(["layanan", "kode_kec"]):
        members = desa[desa["kode_kec"] == kode_kec]
        radii = standards.at[service, "radius_kelurahan_m"], standards.at[service, "radius_desa_m"]
        points = facilities.geometry[facilities["layanan"] == service]
        assert chain["urutan"].sort_values().tolist() == list(range(1, len(chain) + 1))
        before = covered_people(members, points, *radii)
        for site in chain.sort_values("urutan").itertuples():
            points = gpd.GeoSeries([*points, site.geometry], crs=desa.crs)
            after = covered_people(members, points, *radii)
            assert site.tambahan_penduduk_terlayani == pytest.approx(
                after - before, rel=0.01, abs=0.5
            ), (service, kode_kec, site.urutan)
            assert site.cakupan_setelah == pytest.approx(
                after / members["penduduk"].sum(), abs=1e-3
            ), (service, kode_kec, site.urutan)
            before = after
            checked += 1
    return checked


def covered_weight(chosen, candidate_xy, demand_xy, weights, radius):
    if not chosen:
        return 0.0
    distances = np.hypot(
        *(demand_xy[:, None, :] - candidate_xy[None, chosen, :]).transpose(2, 0, 1)
    )
    return float(weights[(distances <= radius).any(axis=1)].sum())


@pytest.mark.parametrize("seed", range(12))
def test_greedy_reaches_ninety_percent_of_the_optimum(seed):
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, 10, size=(60, 2))
    # Clustered demand with uneven weights is where greedy choices can go wrong.
    demand_xy[:20] = rng.normal(3, 0.8, size=(20, 2))
    weights = rng.integers(1, 50, size=60).astype(float)
    candidate_xy = rng.uniform(0, 10, size=(14, 2))
    radius = 2.0
    distances = np.hypot(*(demand_xy[:, None, :] - candidate_xy[None, :, :]).transpose(2, 0, 1))
    demand_index, candidate_index = np.nonzero(distances <= radius)
    k = 3
    greedy = greedy_cover((candidate_index, demand_index), weights, len(candidate_xy), k=k)
    best = max(
        covered_weight(list(c), candidate_xy, demand_xy, weights, radius)
        for c in itertools.combinations(range(len(candidate_xy)), k)
    )
    assert covered_weight(greedy, candidate_xy, demand_xy, weights, radius) >= 0.9 * best


def test_first_site_in_an_empty_desa_covers_a_full_disc():
    desa = square_desa([("99.01.01.2001", "99.01.01", "desa", 0, 0, 20_000)])
    desa["penduduk"] = [40_000]
    catalogue = load_catalogue()
    no_facilities = gpd.GeoDataFrame({"layanan": []}, geometry=[], crs=32750)
    gaps = pd.DataFrame({"kode_kec": ["99.01.01"], "layanan": ["posyandu"], "cakupan": [0.0]})
    sites = propose_sites(desa, no_facilities, gaps, catalogue=catalogue, k=3)
    assert sites["urutan"].tolist() == [1, 2, 3]
    density = 40_000 / 20_000**2
    # A 500 m disc fits wholly inside; sites apart by more than 1 km do not overlap.
    for gain in sites["tambahan_penduduk_terlayani"]:
        assert gain == pytest.approx(density * math.pi * 500**2, rel=1e-3)
    assert sites["cakupan_setelah"].iloc[-1] == pytest.approx(
        3 * math.pi * 500**2 / 20_000**2, rel=1e-3
    )
    assert (sites["kode_desa"] == "99.01.01.2001").all()


def test_reported_gains_match_a_recomputation():
    desa = square_desa(
        [
            ("99.01.01.1001", "99.01.01", "kelurahan", 0, 0, 4000),
            ("99.01.01.2002", "99.01.01", "desa", 4000, 0, 4000),
            ("99.01.01.2003", "99.01.01", "desa", 0, 4000, 8000),
        ]
    )
    desa["penduduk"] = [9000, 1500, 600]
    catalogue = load_catalogue()
    existing = gpd.GeoDataFrame(
        {"layanan": ["sd"]}, geometry=[shapely.Point(1000, 1000)], crs=32750
    )
    gaps = independent_gaps(desa, existing, catalogue)
    sites = propose_sites(desa, existing, gaps, catalogue=catalogue, k=3)
    assert (sites["layanan"] == "sd").sum() >= 2
    assert assert_gains_recompute(desa, existing, sites, catalogue) == len(sites) > 10


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
    gaps = independent_gaps(desa, existing, catalogue)
    sites = propose_sites(desa, existing, gaps, catalogue=catalogue, k=3)
    assert assert_gains_recompute(desa, existing, sites, catalogue) == len(sites) > 50


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
    existing = gpd.GeoDataFrame(
        {"layanan": ["posyandu"]}, geometry=[shapely.Point(10_000, 10_000)], crs=32750
    )
    long = coverage_by_desa(desa, existing, catalogue=catalogue)
    island = long[(long["kode_desa"] == "99.01.02.2001") & (long["layanan"] == "posyandu")]
    assert island["cakupan"].iloc[0] == 0
    gaps = independent_gaps(desa, existing, catalogue)
    sites = propose_sites(desa, existing, gaps, catalogue=catalogue, k=3)
    assert assert_gains_recompute(desa, existing, sites, catalogue) == len(sites)
    on_islands = sites[(sites["kode_kec"] == "99.01.02") & (sites["layanan"] == "posyandu")]
    assert shapely.within(on_islands.geometry.to_numpy(), islands).all()
    # Each island gets a site: a 500 m reach cannot serve one island from the other, 4 km away.
    for part in islands.geoms:
        assert shapely.within(on_islands.geometry.to_numpy(), part).any()
    # Two sites can cover at most two discs of 500 m on 2 km² of island.
    assert 0.5 < on_islands["cakupan_setelah"].iloc[1] <= 2 * math.pi * 500**2 / 2e6 + 1e-6
    assert on_islands["cakupan_setelah"].is_monotonic_increasing


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


def test_known_desa_coverage_changes_nothing_but_the_work():
    rng = np.random.default_rng(7)
    cells = [
        (f"99.01.0{k}.{2000 + i}", f"99.01.0{k}", "kelurahan" if i == 0 else "desa", x, y, 3000)
        for k in (1, 2)
        for i, (x, y) in enumerate([(0, 0), (3000, 0), (0, 3000), (3000, 3000)])
        for x, y in [(x + (k - 1) * 6000, y)]
    ]
    desa = square_desa(cells)
    desa["penduduk"] = rng.integers(500, 5000, size=len(desa))
    points = rng.uniform(0, 12_000, size=(6, 2)) * [1, 0.5]
    existing = gpd.GeoDataFrame(
        {"layanan": ["posyandu", "posyandu", "sd", "sd", "puskesmas", "pustu"]},
        geometry=shapely.points(points),
        crs=32750,
    )
    catalogue = load_catalogue()
    long = coverage_by_desa(desa, existing, catalogue=catalogue)
    assert (long["cakupan"] == 1).any() and (long["cakupan"] == 0).any()
    gaps = independent_gaps(desa, existing, catalogue)
    plain = propose_sites(desa, existing, gaps, catalogue=catalogue, k=3)
    informed = propose_sites(desa, existing, gaps, catalogue=catalogue, k=3, desa_coverage=long)
    assert assert_gains_recompute(desa, existing, plain, catalogue) == len(plain) > 10
    pd.testing.assert_frame_equal(pd.DataFrame(plain), pd.DataFrame(informed))


def test_groups_are_served_side_by_side_as_if_alone():
    rng = np.random.default_rng(3)
    reach, weights, groups, alone = [], [], [], []
    offset_c = offset_d = 0
    for group in range(3):
        demand_xy = rng.uniform(0, 10, size=(40, 2))
        candidate_xy = rng.uniform(0, 10, size=(12, 2))
        w = rng.integers(1, 30, size=40).astype(float)
        distances = np.hypot(*(demand_xy[:, None, :] - candidate_xy[None]).transpose(2, 0, 1))
        d, c = np.nonzero(distances <= 2.5)
        alone.append([offset_c + i for i in greedy_cover((c, d), w, 12, k=3)])
        reach.append((c + offset_c, d + offset_d))
        weights.append(w)
        groups.append(np.full(12, group))
        offset_c, offset_d = offset_c + 12, offset_d + 40
    together = greedy_cover(
        (np.concatenate([r[0] for r in reach]), np.concatenate([r[1] for r in reach])),
        np.concatenate(weights),
        offset_c,
        k=3,
        candidate_group=np.concatenate(groups),
    )
    for group, chosen in enumerate(alone):
        assert [c for c in together if c // 12 == group] == chosen


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
