"""Reading the run's GeoParquet work files gives what geopandas gives, with the CRS built once."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from jangkau.io import geoparquet
from jangkau.io.geoparquet import read_geoparquet


def _frame(crs):
    return gpd.GeoDataFrame(
        {
            "kode_desa": ["73.09.01.2001", None, "73.09.01.2003"],
            "penduduk": [1200, 340, 0],
            "cakupan": [0.5, np.nan, 1.0],
            "kelurahan": [True, False, True],
            "tanggal": pd.to_datetime(["2026-01-01", "2026-02-01", None]),
            "geometry": [shapely.Point(119.5, -5.0), None, shapely.box(119, -5, 119.1, -4.9)],
        },
        index=pd.Index([10, 20, 30], name="baris"),
        crs=crs,
    )


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:32750", None])
@pytest.mark.parametrize("columns", [None, ["penduduk", "geometry"], ["kode_desa", "geometry"]])
def test_read_gives_what_geopandas_gives(tmp_path, crs, columns):
    path = tmp_path / "desa.parquet"
    frame = _frame(crs)
    frame.attrs = {"sumber": "uji"}
    frame.to_parquet(path)
    expected = gpd.read_parquet(path, columns=columns)
    got = read_geoparquet(path, columns=columns)
    assert_geodataframe_equal(got, expected, check_dtype=True, check_crs=True)
    assert list(got.dtypes) == list(expected.dtypes)
    assert got.index.equals(expected.index) and got.index.name == "baris"
    assert got.attrs == expected.attrs
    if crs is not None:
        assert got.crs.to_json() == expected.crs.to_json()
        assert got.crs.to_epsg() == int(crs.split(":")[1])
    else:
        assert got.crs is None and expected.crs is None


def test_the_crs_is_built_once_for_files_in_the_same_crs(tmp_path):
    geoparquet._crs.cache_clear()
    for name in ("a", "b", "c"):
        _frame("EPSG:32750").to_parquet(tmp_path / f"{name}.parquet")
    frames = [read_geoparquet(tmp_path / f"{name}.parquet") for name in ("a", "b", "c")]
    assert geoparquet._crs.cache_info().misses == 1
    assert frames[0].crs is frames[1].crs is frames[2].crs
    assert frames[2].crs.to_epsg() == 32750


def test_a_file_with_two_geometry_columns_is_read_by_geopandas(tmp_path):
    path = tmp_path / "dua.parquet"
    frame = _frame("EPSG:4326").assign(titik=gpd.GeoSeries([shapely.Point(1, 1)] * 3, crs=4326))
    frame.to_parquet(path)
    assert_geodataframe_equal(read_geoparquet(path), gpd.read_parquet(path))
    assert isinstance(read_geoparquet(path)["titik"], gpd.GeoSeries)
