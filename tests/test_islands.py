"""A kabupaten the project was not tuned on, with offshore island kecamatan: Pangkajene dan Kepulauan.

Built from the province files the way an office would hand them over: its own desa layer (as a
GeoPackage), and province-wide population and asset lists.
"""

import geopandas as gpd
import pytest
import shapely
from conftest import SHARED
from coverage_check import assert_within_half_a_point, proposals_recompute

from jangkau import pipeline

SULSEL = SHARED / "sulsel"
ISLAND_KECAMATAN = [
    "Liukang Tangaya",
    "Liukang Kalmas",
    "Liukang Tupabbiring",
    "Liukang Tupabbiring Utara",
]


@pytest.fixture(scope="module")
def pangkep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pangkep") / "raw"
    folder.mkdir()
    desa = gpd.read_file(SULSEL / "batas_desa.shp")
    desa[desa["WADMKK"] == "Pangkajene dan Kepulauan"].to_file(
        folder / "batas_desa.gpkg", driver="GPKG"
    )
    for name in [
        "penduduk_desa_model.csv",
        "sekolah.csv",
        "fasilitas_kesehatan.xlsx",
        "perpustakaan.geojson",
    ]:
        (folder / name).symlink_to(SULSEL / name)
    for part in ["shp", "shx", "dbf", "prj", "cpg"]:
        (folder / f"layanan_publik.{part}").symlink_to(SULSEL / f"layanan_publik.{part}")
    region = pipeline.prepare_region(data_dir=folder, name="pangkep")
    assert region.kecamatan is None and region.derive_kecamatan
    root = folder.parent
    pipeline.run_all(region, pipeline.OutputPaths.under(root, "pangkep"))
    return root / "data" / "processed" / "pangkep" / "coverage.gpkg"


def test_island_kecamatan_are_there_and_multi_part(pangkep):
    kecamatan = gpd.read_file(pangkep, layer="kecamatan")
    assert set(ISLAND_KECAMATAN) <= set(kecamatan["kecamatan"])
    islands = kecamatan[kecamatan["kecamatan"].isin(ISLAND_KECAMATAN)]
    assert (shapely.get_num_geometries(islands.geometry.to_numpy()) > 1).all()


def test_coverage_matches_the_exact_definition(pangkep):
    assert_within_half_a_point(pangkep)


def test_proposed_sites_recompute_and_stay_on_land(pangkep):
    assert proposals_recompute(pangkep) > 50
    sites = gpd.read_file(pangkep, layer="usulan_lokasi")
    kecamatan = gpd.read_file(pangkep, layer="kecamatan").set_index("kode_kec")
    far = kecamatan.index[kecamatan["kecamatan"] == "Liukang Tangaya"][0]
    mine = sites[sites["kode_kec"] == far]
    assert len(mine) > 0
    desa = gpd.read_file(pangkep, layer="desa")
    land = shapely.union_all(desa.loc[desa["kode_kec"] == far].geometry.to_numpy())
    assert shapely.within(mine.geometry.to_numpy(), land.buffer(1e-6)).all()
