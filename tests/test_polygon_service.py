"""Issue 16: a polygon asset of a distance service serves, measured from its edge.

The expected coverage is plain shapely: the desa square intersected with the
polygon buffered by the service radius.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from jangkau import pipeline
from jangkau.pipeline.stages import measure_coverage

UTM = 32750


def _region(folder):
    """Two 4 km desa; a school compound polygon (with desa/kecamatan columns) in desa 1."""
    cells = [
        shapely.box(760_000, 9_440_000, 764_000, 9_444_000),
        shapely.box(764_000, 9_440_000, 768_000, 9_444_000),
    ]
    gpd.GeoDataFrame(
        {
            "KDEPUM": ["99.02.01.2001", "99.02.01.2002"],
            "WADMKD": ["Satu", "Dua"],
            "TIPADM": ["Desa", "Desa"],
            "KDCPUM": ["99.02.01", "99.02.01"],
            "WADMKC": ["Kecil", "Kecil"],
        },
        geometry=cells,
        crs=UTM,
    ).to_crs(4326).to_file(folder / "batas_desa.geojson", driver="GeoJSON")
    pd.DataFrame(
        {"kode_desa": ["99.02.01.2001", "99.02.01.2002"], "desa": ["Satu", "Dua"]}
        | {"penduduk": [1000, 3000]}
    ).to_csv(folder / "penduduk_desa.csv", index=False)
    # An L-shaped compound near the shared border: its reach spills into desa 2.
    compound = shapely.Polygon(
        [
            (762_600, 9_441_000),
            (763_400, 9_441_000),
            (763_400, 9_441_300),
            (762_900, 9_441_300),
            (762_900, 9_441_900),
            (762_600, 9_441_900),
        ]
    )
    market = shapely.box(761_000, 9_443_000, 761_300, 9_443_300)
    gpd.GeoDataFrame(
        {
            "nama": ["SD Inpres Kompleks", "Pasar Satu"],
            "jenis": ["SD", "pasar"],
            "desa": ["Satu", "Satu"],
            "kecamatan": ["Kecil", "Kecil"],
        },
        geometry=[compound, market],
        crs=UTM,
    ).to_crs(4326).to_file(folder / "aset_area.geojson", driver="GeoJSON")
    return cells, compound


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("poligon")
    raw = root / "raw"
    raw.mkdir()
    cells, compound = _region(raw)
    region = pipeline.prepare_region(data_dir=raw, name="poligon")
    region.usulan_k = 0
    work = root / "kerja"
    work.mkdir()
    pipeline.run_boundaries(region, work)
    pipeline.run_assets(region, work)
    measure_coverage(region, work)
    return region, work, cells, compound


def test_a_polygon_asset_file_naming_desa_and_kecamatan_is_read_as_assets(run):
    region, work, _, _ = run
    assert [s.name for s in region.aset] == ["aset_area.geojson"]
    assert str(region.desa.path).endswith("batas_desa.geojson")
    areas = gpd.read_parquet(work / "aset_area.parquet")
    assert sorted(areas["nama"]) == ["Pasar Satu", "SD Inpres Kompleks"]


def test_a_school_compound_serves_from_its_edge(run):
    _, work, cells, compound = run
    coverage = pd.read_parquet(work / "cakupan_desa.parquet")
    sd = coverage[coverage["layanan"] == "sd"].set_index("kode_desa")
    radius = sd["radius_m"].iloc[0]
    assert (sd["radius_m"] == radius).all() and radius > 0
    reach = compound.buffer(radius, quad_segs=256)
    for code, cell in zip(["99.02.01.2001", "99.02.01.2002"], cells, strict=True):
        expected = cell.intersection(reach).area / cell.area
        assert sd.loc[code, "cakupan"] == pytest.approx(expected, abs=2e-4), code
    # Desa 2 is reached only across the border: from the edge, not from a centre point.
    centre_only = cells[1].intersection(compound.centroid.buffer(radius, quad_segs=256)).area
    assert sd.loc["99.02.01.2002", "cakupan"] > centre_only / cells[1].area + 0.01
    gaps = pd.read_parquet(work / "kesenjangan.parquet").set_index("layanan")
    assert gaps.loc["sd", "jumlah_fasilitas"] == 1
    nearest = pd.read_parquet(work / "kesenjangan_desa.parquet")
    inside = nearest[(nearest["layanan"] == "sd") & (nearest["kode_desa"] == "99.02.01.2001")]
    centre = shapely.point_on_surface(cells[0])
    assert inside["jarak_terdekat_m"].iloc[0] == round(centre.distance(compound))


@pytest.mark.parametrize("radius", [500.0, 3000.0])
def test_polygons_stand_as_points_for_travel_and_site_planning(radius):
    from jangkau.pipeline.asset_step import planning_points

    compound = shapely.Polygon([(0, 0), (800, 0), (800, 300), (300, 300), (300, 900), (0, 900)])
    park = shapely.box(5_000, 0, 7_000, 2_000)  # 2 km wide: its middle is 1 km from any edge
    school = shapely.Point(10_000, 0)
    frame = gpd.GeoDataFrame(
        {"layanan": ["sd", "sd", "sd"], "nama": ["A", "B", "C"]},
        geometry=[compound, park, school],
        crs=UTM,
    )
    points = planning_points(frame)
    assert set(points.geom_type) == {"Point"}
    assert points.loc[points["nama"] == "C"].geometry.tolist() == [school]
    for name, shape in (("A", compound), ("B", park)):
        mine = points.loc[points["nama"] == name].geometry.to_numpy()
        assert shapely.covered_by(mine, shape.buffer(0.01)).all()
        truth = shape.buffer(radius, quad_segs=256)
        drawn = shapely.union_all(shapely.buffer(mine, radius, quad_segs=64))
        # The points' discs fill the polygon's reach but for slivers of centimetres.
        assert truth.difference(drawn).area / truth.area < 1e-4, name
        assert drawn.difference(truth).area / truth.area < 1e-4, name


def test_a_school_compound_reported_closed_live_loses_its_reach(tmp_path):
    """The live status service knows polygon facilities: closing one removes its reach."""
    from jangkau.pantau.baseline import read_baseline
    from jangkau.pantau.recompute import desa_changes

    raw = tmp_path / "raw"
    raw.mkdir()
    cells, compound = _region(raw)
    region = pipeline.prepare_region(data_dir=raw, name="poligon")
    region.usulan_k = 0
    outputs = pipeline.OutputPaths.under(tmp_path / "out", "poligon")
    pipeline.run_all(region, outputs)
    baseline = read_baseline(outputs.processed)
    school = baseline.aset[baseline.aset["nama"] == "SD Inpres Kompleks"]
    assert len(school) == 1 and school.geom_type.iloc[0] in ("Polygon", "MultiPolygon")
    assert baseline.service_of(school["id_aset"].iloc[0]) == "sd"
    changes = desa_changes(baseline, {school["id_aset"].iloc[0]}).set_index("kode_desa")
    radius = float(baseline.layanan.set_index("layanan").loc["sd", "radius_desa_m"])
    reach = compound.buffer(radius, quad_segs=256)
    for code, cell in zip(["99.02.01.2001", "99.02.01.2002"], cells, strict=True):
        before = cell.intersection(reach).area / cell.area
        assert changes.loc[code, "cakupan_sebelum"] == pytest.approx(before, abs=2e-4)
        assert changes.loc[code, "cakupan_sesudah"] == 0.0  # the only SD of the region
