"""Kecamatan dissolved from desa on threads: the shapes geopandas' dissolve gives, known by hand."""

import pytest
import shapely
from conftest import square_desa
from geopandas.testing import assert_geodataframe_equal

from jangkau.clean.boundaries import derive_kecamatan

# Five kecamatan in a row, each two 1 km squares side by side (one kecamatan of one square).
CELLS = [
    (f"73.09.0{k}.200{d}", f"73.09.0{k}", "desa", 2000.0 * k + 1000.0 * d, 0.0, 1000.0)
    for k in range(1, 6)
    for d in range(2 if k != 3 else 1)
]


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_threads_dissolve_like_geopandas(monkeypatch, threads):
    monkeypatch.setenv("JANGKAU_THREADS", threads)
    desa = square_desa(CELLS)
    derived = derive_kecamatan(desa)
    assert derived["kode_kec"].tolist() == [f"73.09.0{k}" for k in range(1, 6)]
    # Two squares of 1 km² make 2 km², the single one 1 km²; each one polygon.
    assert derived.area.round(3).tolist() == [2e6, 2e6, 1e6, 2e6, 2e6]
    assert (derived.geom_type == "Polygon").all()
    assert derived.geometry.iloc[2].equals(shapely.box(6000, 0, 7000, 1000))
    expected = desa[["kode_kec", "geometry"]].dissolve(by="kode_kec", sort=True).reset_index()
    assert_geodataframe_equal(derived[["kode_kec", "geometry"]], expected, check_crs=True)
    assert derived.geometry.to_wkb().tolist() == expected.geometry.to_wkb().tolist()
