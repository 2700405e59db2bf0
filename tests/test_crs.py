"""The run's metric CRS: decided once by a stated rule, stored with the run, used by every stage."""

import json
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from conftest import PROJECT

from jangkau import pipeline
from jangkau.analysis.crs import metric_crs_for
from jangkau.config.region import FileSpec, Region
from jangkau.errors import InputError
from jangkau.pipeline.context import CONTEXT_FILE, RunContext, decide_run_context

# Sulawesi Selatan's desa reach from 117.04 to 122.22 E, across UTM zones 50 and 51.
PROVINCE_BOX = (117.0, -7.8, 122.0, -1.9)


def region_of(*boxes: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Desa as lon/lat boxes (minx, miny, maxx, maxy)."""
    return gpd.GeoDataFrame(
        {"kode_desa": [f"99.01.01.{2001 + i}" for i in range(len(boxes))]},
        geometry=[shapely.box(*b) for b in boxes],
        crs=4326,
    )


def worst_scale_error(crs: str, lons: list[float], lats: list[float]) -> float:
    lon, lat = np.meshgrid(lons, lats)
    factors = pyproj.Proj(crs).get_factors(lon.ravel(), lat.ravel())
    return float(np.abs(np.asarray(factors.meridional_scale) - 1).max())


def test_a_region_inside_one_utm_zone_is_measured_in_that_zone():
    # Maros, 119.45-119.97 E, inside zone 50 (114-120 E), south of the equator.
    assert metric_crs_for(region_of((119.45, -5.21, 119.97, -4.72))).crs == "EPSG:32750"
    # A northern region inside zone 49 (108-114 E).
    assert metric_crs_for(region_of((110.0, 1.0, 111.0, 2.0))).crs == "EPSG:32649"
    # The same, given in a projected CRS: the rule reads longitudes, not the input's units.
    projected = region_of((119.45, -5.21, 119.97, -4.72)).to_crs(32750)
    assert metric_crs_for(projected).crs == "EPSG:32750"


def test_desa_reaching_a_kilometre_past_the_zone_meridian_keep_the_zone_but_not_further():
    # 120.005 E is 0.005 degrees (about 550 m) past zone 50's eastern meridian.
    assert metric_crs_for(region_of((119.0, -5.0, 120.005, -4.5))).crs == "EPSG:32750"
    assert metric_crs_for(region_of((119.0, -5.0, 120.05, -4.5))).crs.startswith("+proj=tmerc")


def test_a_province_across_two_zones_gets_a_transverse_mercator_within_0_1_percent():
    choice = metric_crs_for(region_of(PROVINCE_BOX))
    assert choice.crs.startswith("+proj=tmerc") and "+lon_0=119.5000" in choice.crs
    corners = ([117.0, 122.0], [-7.8, -1.9])
    assert worst_scale_error(choice.crs, *corners) < 0.001
    assert worst_scale_error(choice.crs, [119.5], [-1.9, -7.8]) < 0.001  # central meridian
    # The scale factor balances both: the far corners (1.9 S) lie x = R atanh(cos 1.9° sin 2.5°)
    # = 277.9 km out, so the error at either is x^2 / 4R^2 = 0.048 %, half that of k0 = 1.
    assert worst_scale_error(choice.crs, *corners) == pytest.approx(0.000476, abs=0.00001)
    assert worst_scale_error(choice.crs, [119.5], [-1.9, -7.8]) == pytest.approx(0.000476, abs=1e-5)
    # UTM zone 50 is off by about 0.3 % at the province's eastern corners: the reason for the rule.
    assert worst_scale_error("EPSG:32750", *corners) > 0.003
    # Origin: the central meridian at the equator is (500 000, 10 000 000) south of the equator.
    x, y = pyproj.Transformer.from_crs(4326, choice.crs, always_xy=True).transform(119.5, 0.0)
    assert x == pytest.approx(500_000, abs=1e-6) and y == pytest.approx(10_000_000, abs=1e-6)
    assert choice.max_scale_error == pytest.approx(
        worst_scale_error(choice.crs, np.linspace(117, 122, 21), np.linspace(-7.8, -1.9, 21)),
        abs=1e-9,
    )


def test_a_region_too_wide_for_one_transverse_mercator_stops_with_the_option():
    # 110-119 E at the equator: about 1,000 km across.
    with pytest.raises(ValueError, match="tetapkan `crs` di berkas wilayah"):
        metric_crs_for(region_of((110.0, -1.0, 119.0, 1.0)))
    region = Region(name="lebar", title="Lebar", data_dir=".", desa=FileSpec(path="batas.shp"))
    with pytest.raises(InputError, match=r"^batas\.shp: wilayah selebar"):
        decide_run_context(region, region_of((110.0, -1.0, 119.0, 1.0)))


def test_a_crs_set_in_the_region_file_wins():
    region = Region(
        name="x", title="X", data_dir=".", desa=FileSpec(path="d.shp"), crs="EPSG:32751"
    )
    context = decide_run_context(region, region_of((119.45, -5.21, 119.97, -4.72)))
    assert context.metric_crs == "EPSG:32751" and "berkas wilayah" in context.crs_basis
    # Zone 51's central meridian is 123 E: Maros lies 3.03-3.55 degrees west of it.
    assert context.max_scale_error == pytest.approx(
        worst_scale_error("EPSG:32751", np.linspace(119.45, 119.97, 21), [-5.21, -4.72]),
        abs=1e-9,
    )


@pytest.fixture(scope="module")
def demo_work(tmp_path_factory):
    """The demo region after the boundary and asset stages, with its work folder."""
    root = tmp_path_factory.mktemp("konteks")
    region = pipeline.prepare_region(
        region_file=PROJECT / "regions" / "demo.toml", data_dir=root / "raw"
    )
    region.usulan_k = 0
    work = root / "kerja"
    work.mkdir()
    pipeline.run_boundaries(region, work)
    pipeline.run_assets(region, work)
    return region, work


def tm(k0: float) -> str:
    return (
        f"+proj=tmerc +lat_0=0 +lon_0=119.6 +k_0={k0} +x_0=500000 +y_0=10000000 "
        "+datum=WGS84 +units=m +no_defs +type=crs"
    )


def test_the_boundary_stage_writes_the_context_once(demo_work):
    _, work = demo_work
    stored = json.loads((work / CONTEXT_FILE).read_text(encoding="utf-8"))
    # The demo's desa are laid out in UTM zone 50S, 40 km across.
    assert stored["metric_crs"] == "EPSG:32750" and stored["max_scale_error"] < 0.001


def test_later_stages_and_publishing_use_the_stored_context(demo_work, tmp_path):
    region, work = demo_work
    # In a transverse Mercator with k0 = 0.5, r map metres are 2r true metres; with k0 = 1,
    # the same disc needs radius 2r. Only a stage that reads the stored CRS gives equal answers.
    half, doubled = tmp_path / "half", tmp_path / "doubled"
    for folder, k0 in ((half, 0.5), (doubled, 1.0)):
        shutil.copytree(work, folder)
        RunContext(metric_crs=tm(k0), crs_basis="uji", max_scale_error=None).write(folder)
    wide = Region.from_json(region.to_json())
    wide.layanan = {
        row["layanan"]: {
            "radius_desa_m": 2 * row["radius_desa_m"],
            "radius_kelurahan_m": 2 * row["radius_kelurahan_m"],
        }
        for row in _distance_standards()
    }
    pipeline.run_coverage(region, half)
    pipeline.run_coverage(wide, doubled)
    by_half = pd.read_parquet(half / "cakupan_desa.parquet")
    by_doubled = pd.read_parquet(doubled / "cakupan_desa.parquet")
    measured = by_half["cakupan"].notna()
    assert measured.sum() > 50 and by_half["cakupan"][measured].between(0.01, 0.99).any()
    assert np.allclose(by_half["cakupan"][measured], by_doubled["cakupan"][measured], atol=1e-6)
    # In the zone the boundary stage chose, the same radii cover much less.
    pipeline.run_coverage(region, work)
    own = pd.read_parquet(work / "cakupan_desa.parquet")
    assert (own["cakupan"][measured] < by_half["cakupan"][measured] - 0.05).any()
    # Publishing records the stored choice.
    pipeline.run_publish(region, half, pipeline.OutputPaths.under(tmp_path / "out", "demo"))
    gpkg = tmp_path / "out" / "data" / "processed" / "demo" / "coverage.gpkg"
    table = pyogrio.read_dataframe(gpkg, layer="crs_metrik")
    assert table["crs"].tolist() == [tm(0.5)] and table["dasar_pilihan"].tolist() == ["uji"]
    assert "+k_0=0.5" in pipeline.run_summary(half, region)["teks"]


def _distance_standards() -> list[dict]:
    from jangkau.config.catalogue import load_catalogue

    catalogue = load_catalogue()
    return catalogue[catalogue["radius_desa_m"].notna()].to_dict(orient="records")


def test_a_boundary_stage_reused_from_the_cache_still_leaves_the_context(demo_work, tmp_path):
    region, _ = demo_work
    cache = tmp_path / "cache"
    stored = []
    for name in ("pertama", "kedua"):
        work = tmp_path / name
        work.mkdir()
        pipeline.run_boundaries(region, work, cache_dir=cache)
        stored.append((work / CONTEXT_FILE).read_text(encoding="utf-8"))
    assert (tmp_path / "kedua" / "dipakai_ulang_batas").exists()
    assert stored[0] == stored[1] and "EPSG:32750" in stored[0]


def test_the_decision_function_has_one_caller():
    callers = [
        path.relative_to(PROJECT).as_posix()
        for folder in ("jangkau", "flows", "benchmarks")
        for path in (PROJECT / folder).rglob("*.py")
        if "metric_crs_for(" in path.read_text(encoding="utf-8").replace("def metric_crs_for(", "")
    ]
    assert callers == ["jangkau/pipeline/context.py"]
