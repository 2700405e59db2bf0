"""Reading work files with a cached CRS: several geometry columns, index, attrs, bounding boxes."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from jangkau.io.geoparquet import read_geoparquet


def sample(crs: object) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "kode_desa": pd.array(["73.09.01.2001", None, "73.09.02.1003"], dtype="string"),
            "penduduk": [1200, 0, 845],
            "cakupan": [0.5, float("nan"), 1.0],
            "garis": gpd.GeoSeries(
                [shapely.LineString([(0, 0), (1, 1)]), None, shapely.LineString([(2, 2), (3, 5)])],
                crs=crs,
            ),
        },
        geometry=[shapely.Point(119.5, -5.0), None, shapely.Polygon([(0, 0), (1, 0), (1, 1)])],
        crs=crs,
        index=pd.Index([10, 11, 12], name="nomor"),
    )
    # Geometry columns among the others: they must come back in their places.
    frame = frame[["geometry", "kode_desa", "garis", "penduduk", "cakupan"]]
    frame.attrs["catatan"] = "uji"
    return frame


@pytest.mark.parametrize("crs", [4326, 32750, None])
def test_the_same_frame_as_geopandas(tmp_path, crs):
    path = tmp_path / "desa.parquet"
    sample(crs).to_parquet(path)
    ours, theirs = read_geoparquet(path), gpd.read_parquet(path)
    assert_geodataframe_equal(ours, theirs, check_crs=True)
    assert list(ours.columns) == ["geometry", "kode_desa", "garis", "penduduk", "cakupan"]
    assert ours["garis"].crs == theirs["garis"].crs
    assert str(ours["kode_desa"].dtype) == str(theirs["kode_desa"].dtype)
    assert ours.index.name == "nomor" and ours.attrs == {"catatan": "uji"}
    if crs is not None:
        assert ours.crs.to_epsg() == crs


def test_the_crs_is_parsed_once_for_files_sharing_it(tmp_path):
    # One geometry column each: a file with two is handed to geopandas whole.
    sample(32750).drop(columns="garis").to_parquet(tmp_path / "a.parquet")
    sample(32750).drop(columns="garis").iloc[:1].to_parquet(tmp_path / "b.parquet")
    first, second = read_geoparquet(tmp_path / "a.parquet"), read_geoparquet(tmp_path / "b.parquet")
    assert first.crs is second.crs


def test_a_file_with_bounding_box_columns_is_read_by_geopandas(tmp_path):
    path = tmp_path / "kotak.parquet"
    sample(4326).to_parquet(path, write_covering_bbox=True)
    assert_geodataframe_equal(read_geoparquet(path), gpd.read_parquet(path), check_crs=True)


def _with_stated_crs(path, change):
    """Rewrite a GeoParquet file with its geometry's PROJJSON changed by ``change``."""
    import json

    import pyarrow.parquet as pq

    table = pq.read_table(path)
    geo = json.loads(table.schema.metadata[b"geo"])
    change(geo["columns"][geo["primary_column"]]["crs"])
    metadata = {**table.schema.metadata, b"geo": json.dumps(geo).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)


@pytest.mark.parametrize(
    "crs",
    [
        4326,
        32750,
        # Centred on a region wider than a UTM zone (no code: built from the PROJJSON).
        "+proj=tmerc +lat_0=0 +lon_0=120.5 +k=0.9996 +x_0=500000 +y_0=10000000 +datum=WGS84",
    ],
)
def test_the_crs_is_the_one_the_file_describes(tmp_path, crs):
    from pyproj import CRS

    path = tmp_path / "desa.parquet"
    sample(crs).drop(columns="garis").to_parquet(path)
    ours = read_geoparquet(path).crs
    assert ours.to_wkt() == CRS.from_user_input(crs).to_wkt()


def test_a_crs_that_names_a_code_but_says_otherwise_is_read_as_it_says(tmp_path):
    # The id says EPSG:4326, the rest describes another ellipsoid: the description wins.
    path = tmp_path / "desa.parquet"
    sample(4326).drop(columns="garis").to_parquet(path)

    def other_ellipsoid(crs):
        crs["name"] = "WGS 84 (diubah)"
        crs.pop("datum_ensemble")
        crs["datum"] = {
            "type": "GeodeticReferenceFrame",
            "name": "Datum uji",
            "ellipsoid": {
                "name": "GRS 1980",
                "semi_major_axis": 6378137,
                "inverse_flattening": 298.257222101,
            },
        }

    _with_stated_crs(path, other_ellipsoid)
    crs = read_geoparquet(path).crs
    assert crs.name == "WGS 84 (diubah)"
    assert crs.ellipsoid.name == "GRS 1980"
    assert crs != gpd.GeoSeries([], crs=4326).crs
