"""Layers written through Arrow give the same GeoPackage tables as written feature by feature."""

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from jangkau.publish import geopackage
from jangkau.publish.geopackage import write_geopackage


def _layers():
    points = gpd.GeoDataFrame(
        {
            "id_aset": ["a-1", None, "a-3"],
            "kode": pd.array(["73.09", pd.NA, "73.10"], dtype="string"),
            "baris": [1, 2, 3],
            "jumlah": pd.array([4, pd.NA, 0], dtype="Int64"),
            "cakupan": [0.25, np.nan, 1.0],
            "lokasi_diragukan": [True, False, True],
            "cukup": pd.array([True, pd.NA, False], dtype="boolean"),
        },
        geometry=[shapely.Point(119.5, -5.0), shapely.Point(119.6, -5.1), None],
        crs="EPSG:4326",
    )
    areas = gpd.GeoDataFrame(
        {"nama": ["satu", "dua"], "luas_ha": [1.5, 2.0]},
        geometry=[
            shapely.box(119, -5, 119.1, -4.9),
            shapely.MultiPolygon([shapely.box(119.2, -5, 119.3, -4.9)]),
        ],
        crs="EPSG:32750",
    )
    table = pd.DataFrame({"layanan": ["sd", "smp"], "radius_m": [1000.0, np.nan], "n": [1, 2]})
    return {
        "aset": points,
        "area": areas,
        "tabel": table,
        "kosong": table.iloc[0:0],
        "campur": pd.DataFrame({"usulan_lokasi": [True, np.nan]}, dtype=object),
    }


def _tables(path):
    with sqlite3.connect(path) as connection:
        names = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        out = {}
        for name in names:
            schema = connection.execute(
                "SELECT sql FROM sqlite_master WHERE name = ?", (name,)
            ).fetchone()[0]
            rows = connection.execute(f'SELECT * FROM "{name}"').fetchall()
            if name == "gpkg_contents":  # last_change: the time of writing
                rows = [row[:4] + row[5:] for row in rows]
            out[name] = (schema, rows)
    connection.close()
    return out


def test_layers_written_through_arrow_are_the_tables_written_feature_by_feature(tmp_path):
    layers = _layers()
    assert [geopackage._arrow_writes_the_same(f) for f in layers.values()] == [
        True,
        True,
        True,
        True,
        False,
    ]
    written = write_geopackage(tmp_path / "baru.gpkg", layers)
    plain = tmp_path / "biasa.gpkg"
    for index, (name, frame) in enumerate(layers.items()):
        options = {"dataset_options": {"VERSION": geopackage.GPKG_VERSION}} if index == 0 else {}
        if isinstance(frame, gpd.GeoDataFrame):
            options["promote_to_multi"] = bool(frame.geom_type.str.contains("Polygon").any())
        pyogrio.write_dataframe(frame, plain, layer=name, driver="GPKG", use_arrow=False, **options)
    got, expected = _tables(written), _tables(plain)
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], name
    # The values themselves, as QGIS reads them (missing stays missing).
    assert got["aset"][1][1][2:] == (None, None, 2, None, None, 0, None)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.to_datetime(pd.Series(["2026-01-01"])), False),
        (pd.Series(["a"]).astype("category"), False),
        (pd.Series([1 + 2j]), False),
        (pd.Series([1], dtype="uint8"), True),
    ],
)
def test_only_numbers_booleans_and_text_go_through_arrow(values, expected):
    assert geopackage._arrow_writes_the_same(pd.DataFrame({"x": values})) is expected


def test_description_names_every_layer_and_the_sync_setting_is_given_back(tmp_path):
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "FULL"})
    try:
        layers = _layers()
        written = write_geopackage(tmp_path / "a.gpkg", layers, description="jangkau, proses X")
        with sqlite3.connect(written) as connection:
            rows = dict(connection.execute("SELECT table_name, description FROM gpkg_contents"))
        connection.close()
        assert rows == {name: "jangkau, proses X" for name in layers}
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") == "FULL"
        # Also after a layer GDAL cannot write.
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever GDAL raises
            write_geopackage(tmp_path / "b.gpkg", {"x": pd.DataFrame({"a": [1 + 2j]})})
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") == "FULL"
        assert not (tmp_path / "b.gpkg").exists()
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": None})
