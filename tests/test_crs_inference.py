"""A vector file without CRS (shapefile without .prj): its CRS is inferred, or the run stops.

The files are written by hand with pyogrio from points inside Maros desa
(coordinates made with pyproj), then their .prj is deleted.
"""

from __future__ import annotations

import math
import os

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import shapely
from conftest import MAROS, square_desa

from jangkau.clean.crs_inference import infer_boundary_crs, infer_crs
from jangkau.config.region import region_from_folder
from jangkau.errors import InputError
from jangkau.io.read import crs_was_missing, read_records
from jangkau.pipeline.stages import _run_assets, _run_boundaries

DESA = gpd.read_file(MAROS / "batas_desa.shp")
# One point well inside each of 30 desa, in degrees (the truth).
TRUTH = DESA.geometry.iloc[:30].representative_point().reset_index(drop=True)


def _write_without_prj(folder, name: str, epsg: int, geometry: list) -> object:
    path = folder / f"{name}.shp"
    frame = gpd.GeoDataFrame(
        {"nama": [f"SD Uji {i}" for i in range(len(geometry))], "jenis": "SD"},
        geometry=geometry,
        crs=epsg,
    )
    pyogrio.write_dataframe(frame, path)
    os.remove(folder / f"{name}.prj")
    return path


def _points_in(epsg: int) -> list:
    to = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    x, y = to.transform(TRUTH.x.to_numpy(), TRUTH.y.to_numpy())
    return list(shapely.points(x, y))


def _max_error_m(frame: gpd.GeoDataFrame) -> float:
    got = frame.to_crs(32750).geometry
    want = gpd.GeoSeries(TRUTH, crs=4326).to_crs(32750)
    return float(np.max(got.distance(want.reset_index(drop=True))))


@pytest.mark.parametrize("epsg", [32750, 32751, 4326])
def test_points_without_prj_get_the_crs_they_were_written_in(tmp_path, epsg):
    path = _write_without_prj(tmp_path, "titik", epsg, _points_in(epsg))
    assert not (tmp_path / "titik.prj").exists()
    with pytest.raises(InputError, match="titik.shp: sistem koordinat"):
        read_records(path)
    raw = read_records(path, allow_missing_crs=True)
    assert raw.crs is None and crs_was_missing(raw)
    frame, note = infer_crs(raw, region_outline=DESA, source="titik.shp")
    assert frame.crs.to_epsg() == epsg
    assert raw.crs is None  # the input is not changed
    assert _max_error_m(frame) < 0.01
    assert f"disimpulkan EPSG:{epsg}" in note
    assert "30 dari 30 titik" in note
    if epsg == 4326:
        assert "setara dengan EPSG:4755" in note


def test_a_run_records_the_inferred_crs(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for member in MAROS.glob("batas_desa.*"):
        (data / member.name).symlink_to(member)
    (data / "penduduk_desa_model.csv").symlink_to(MAROS / "penduduk_desa_model.csv")
    _write_without_prj(data, "sekolah_tanpa_prj", 32750, _points_in(32750))
    work = tmp_path / "kerja"
    work.mkdir()
    region = region_from_folder(data, "uji")
    _run_boundaries(region, work)
    _run_assets(region, work)
    notes = gpd.pd.read_parquet(work / "inferensi_crs.parquet")
    assert notes["berkas"].tolist() == ["sekolah_tanpa_prj.shp"]
    assert notes["crs"].tolist() == ["EPSG:32750"]
    placed = gpd.read_parquet(work / "aset.parquet")
    assert len(placed) == 30
    assert _max_error_m(placed.sort_values("baris").reset_index(drop=True)) < 0.01


def _two_zone_outline(easting: float, northing: float):
    """Desa squares around a point read in zone 50S (1 km) and the same numbers in 51S (300 m)."""
    x51, y51 = pyproj.Transformer.from_crs(32751, 32750, always_xy=True).transform(
        easting, northing
    )
    return square_desa(
        [
            ("73.09.01.2001", "73.09.01", "desa", easting - 500, northing - 500, 1000),
            ("73.09.02.2002", "73.09.02", "desa", x51 - 150, y51 - 150, 300),
        ]
    )


def test_two_crs_fitting_equally_stop_the_run(tmp_path):
    # Three points that lie inside the region whether read in zone 50S or 51S.
    e, n = 780_000.0, 9_440_000.0
    outline = _two_zone_outline(e, n)
    geometry = [shapely.Point(e + d, n + d) for d in (-100, 0, 100)]
    raw = read_records(
        _write_without_prj(tmp_path, "ganda", 32750, geometry), allow_missing_crs=True
    )
    with pytest.raises(InputError) as error:
        infer_crs(raw, region_outline=outline, source="ganda.shp")
    message = str(error.value)
    assert message.startswith("ganda.shp: sistem koordinat (CRS) tidak dinyatakan, dan 2 CRS")
    assert "EPSG:32750" in message and "EPSG:32751" in message
    assert "3 dari 3 titik" in message
    assert "\n" not in message


def test_the_crs_placing_more_points_wins_over_a_near_tie(tmp_path):
    e, n = 780_000.0, 9_440_000.0
    outline = _two_zone_outline(e, n)
    # The third point is inside the 50S square but, read in 51S, 300 m beyond its square.
    geometry = [shapely.Point(e, n), shapely.Point(e + 100, n), shapely.Point(e, n + 450)]
    raw = read_records(
        _write_without_prj(tmp_path, "hampir", 32750, geometry), allow_missing_crs=True
    )
    frame, note = infer_crs(raw, region_outline=outline, source="hampir.shp", tolerance_m=0.0)
    assert frame.crs.to_epsg() == 32750
    assert "3 dari 3 titik" in note
    assert "terbaik berikutnya EPSG:32751 (2 titik)" in note


def test_points_nowhere_in_the_region_stop_the_run(tmp_path):
    geometry = [shapely.Point(500_000, 9_250_000)]  # Java, under any zone tried
    raw = read_records(
        _write_without_prj(tmp_path, "jauh", 32750, geometry), allow_missing_crs=True
    )
    with pytest.raises(InputError, match="jauh.shp: .*tidak ada CRS umum"):
        infer_crs(raw, region_outline=DESA, source="jauh.shp")


def test_a_desa_layer_without_prj_in_degrees_is_read_as_wgs84(tmp_path):
    frame = DESA[["KDEPUM", "WADMKD", "geometry"]].copy()
    pyogrio.write_dataframe(frame, tmp_path / "desa.shp")
    os.remove(tmp_path / "desa.prj")
    raw = read_records(tmp_path / "desa.shp", allow_missing_crs=True)
    inferred, note = infer_boundary_crs(raw, source="desa.shp")
    assert inferred.crs.to_epsg() == 4326
    assert "wilayah Indonesia" in note
    assert math.isclose(inferred.total_bounds[0], DESA.total_bounds[0])


def test_a_desa_layer_without_prj_in_metres_names_the_zones_that_fit(tmp_path):
    frame = DESA[["KDEPUM", "geometry"]].to_crs(32750)
    pyogrio.write_dataframe(frame, tmp_path / "desa.shp")
    os.remove(tmp_path / "desa.prj")
    raw = read_records(tmp_path / "desa.shp", allow_missing_crs=True)
    with pytest.raises(InputError) as error:
        infer_boundary_crs(raw, source="desa.shp")
    assert "EPSG:32750" in str(error.value) and "EPSG:32751" in str(error.value)
