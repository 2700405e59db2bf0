"""Roads from OpenStreetMap into a run: the Overpass mapping, folder recognition, published outputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from flows.cli import main
from jangkau.analysis.crs import metric_crs_for
from jangkau.config.region import region_from_folder
from jangkau.sources.demo import write_demo
from jangkau.sources.osm_roads import roads_from_overpass, roads_query
from tests.travel_check import independent_coverage


def _way(way_id, coords, **tags):
    return {
        "type": "way",
        "id": way_id,
        "tags": tags,
        "geometry": [{"lon": x, "lat": y} for x, y in coords],
    }


def _grid_answer(outline, step=0.01):
    """Streets every ``step`` degrees over the outline, crossing at shared vertices."""
    west, south, east, north = outline.bounds
    xs = np.round(np.arange(west - step, east + 2 * step, step), 6)
    ys = np.round(np.arange(south - step, north + 2 * step, step), 6)
    kinds = ["primary", "secondary", "tertiary", "residential"]
    elements, way_id = [], 1
    for i, x in enumerate(xs):
        elements.append(_way(way_id, [(x, y) for y in ys], highway=kinds[i % 4]))
        way_id += 1
    for j, y in enumerate(ys):
        oneway = {"oneway": "yes"} if j % 5 == 2 else {}
        elements.append(_way(way_id, [(x, y) for x in xs], highway=kinds[j % 4], **oneway))
        way_id += 1
    return {"elements": elements}


def test_overpass_ways_become_road_lines():
    outline = shapely.box(119.4, -5.2, 119.8, -4.8)
    answer = {
        "elements": [
            _way(1, [(119.5, -5.0), (119.6, -5.0)], highway="primary", oneway="yes", name="Jl. A"),
            _way(2, [(119.5, -5.1), (119.6, -5.1)], highway="construction"),
            _way(3, [(120.5, -5.1), (120.6, -5.1)], highway="residential"),  # outside
            _way(4, [(119.7, -4.7), (119.7, -4.9)], highway="motorway_link"),  # crosses the edge
            {"type": "node", "id": 5, "lat": -5.0, "lon": 119.5, "tags": {"highway": "stop"}},
        ]
    }
    lines, skipped = roads_from_overpass(answer, outline=outline)
    assert lines["osm_id"].tolist() == ["way/1", "way/4"]
    assert lines["oneway"].tolist() == ["yes", "no"]
    assert lines.geometry.iloc[1].coords[0] == (119.7, -4.7)  # kept whole
    assert skipped == {"construction": 1}
    query = roads_query(outline)
    assert 'way["highway"](-5.20000,119.40000,-4.80000,119.80000);' in query


def test_a_road_file_in_a_folder_is_recognised(tmp_path):
    folder = write_demo(tmp_path / "raw")
    outline = gpd.read_file(folder / "batas_desa.geojson").geometry.union_all()
    lines, _ = roads_from_overpass(_grid_answer(outline), outline=outline)
    lines.to_file(folder / "jalan_osm.geojson", driver="GeoJSON")
    lines.to_file(folder / "jalan_lain.geojson", driver="GeoJSON")
    region = region_from_folder(folder, "contoh")
    assert region.jalan.name == "jalan_lain.geojson"
    assert "jalan_osm.geojson" in region.ignored


@pytest.fixture(scope="module")
def road_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("jalan")
    folder = write_demo(root / "raw")
    outline = gpd.read_file(folder / "batas_desa.geojson").geometry.union_all()
    lines, _ = roads_from_overpass(_grid_answer(outline), outline=outline)
    lines.to_file(folder / "jalan_osm.geojson", driver="GeoJSON")
    code = main(
        [
            "run",
            "--data-dir",
            str(folder),
            "--name",
            "jalan",
            "--out",
            str(root),
            "--runner",
            "local",
        ]
    )
    assert code == 0
    return root / "data" / "processed" / "jalan" / "coverage.gpkg"


def test_published_travel_outputs_keep_the_contract(road_run):
    layers = dict(pyogrio.list_layers(road_run))
    assert layers["jalan"] == "LineString"
    speeds = pyogrio.read_dataframe(road_run, layer="kecepatan_jalan")
    assert list(speeds.columns) == ["kelas", "km_per_jam", "sumber"]
    assert speeds.loc[speeds["kelas"] == "jalan kaki", "km_per_jam"].iloc[0] == 5.0
    jalan = pyogrio.read_dataframe(road_run, layer="jalan")
    assert {"kelas", "km_per_jam"} <= set(jalan.columns)
    catalogue = pyogrio.read_dataframe(road_run, layer="layanan")
    assert {"waktu_kelurahan_menit", "waktu_desa_menit", "sumber_waktu"} <= set(catalogue.columns)
    distance = catalogue.loc[catalogue["radius_desa_m"].notna(), "layanan"]
    desa = pyogrio.read_dataframe(road_run, layer="desa", read_geometry=False)
    kecamatan = pyogrio.read_dataframe(road_run, layer="kecamatan", read_geometry=False)
    for service in distance:
        assert f"cakupan_waktu_{service}" in kecamatan.columns
        for measure in ("cakupan_waktu", "waktu_median", "waktu_p90"):
            assert f"{measure}_{service}" in desa.columns
    columns = list(desa.columns)
    assert columns.index("cakupan_waktu_sd") == columns.index("cakupan_sd") + 1


def test_published_kecamatan_figures_agree_with_independent_networkx(road_run):
    desa = gpd.read_file(road_run, layer="desa")
    metric = metric_crs_for(desa).crs
    desa = desa.to_crs(metric)
    assets = gpd.read_file(road_run, layer="aset").to_crs(metric)
    roads = gpd.read_file(road_run, layer="jalan").to_crs(metric)
    catalogue = pyogrio.read_dataframe(road_run, layer="layanan")
    catalogue = catalogue[catalogue["radius_desa_m"].notna()]
    # Polygons of distance services (the demo's TPA sites) are reached at their edge:
    # stand them in as points along it every 10 m (none is deep enough to need more).
    areas = gpd.read_file(road_run, layer="aset_area").to_crs(metric)
    areas = areas[
        areas["layanan"].isin(catalogue["layanan"])
        & ~areas["status_operasi"].isin(["tidak beroperasi", "dalam pembangunan"])
    ]
    assert len(areas) and all(g.buffer(-400).is_empty for g in areas.geometry)
    edges = [
        (row.layanan, shapely.Point(xy))
        for row in areas.itertuples()
        for xy in shapely.get_coordinates(shapely.segmentize(row.geometry.boundary, 10.0))
    ]
    assets = gpd.GeoDataFrame(
        {"layanan": [*assets["layanan"], *(e[0] for e in edges)]},
        geometry=[*assets.geometry, *(e[1] for e in edges)],
        crs=metric,
    )
    standards = {
        row.layanan: (row.waktu_kelurahan_menit, row.waktu_desa_menit)
        for row in catalogue.itertuples()
    }
    _, theirs = independent_coverage(
        desa, assets, roads, standards, spacing=100.0, walk_kmh=5.0, direct_beyond_m=500.0
    )
    published = gpd.read_file(road_run, layer="kecamatan").set_index("kode_kec")
    compared = 0
    for row in theirs.itertuples():
        mine = published.loc[row.kode_kec, f"cakupan_waktu_{row.layanan}"]
        assert abs(mine - row.cakupan_waktu) <= 0.005, (row.kode_kec, row.layanan)
        compared += 1
    assert compared == len(published) * len(standards)
    values = published[[f"cakupan_waktu_{s}" for s in standards]].to_numpy()
    assert np.nanmin(values) < 0.9 and pd.notna(values).all()


def test_map_page_shows_roads_and_travel_time_offline(browser, road_run):
    from conftest import open_page

    page = road_run.parents[3] / "maps" / "jalan" / "index.html"
    assert open_page(browser, page) == []
    state = browser.execute_script(
        """
        const w = window.jangkauWaktu, p = window.jangkauPeta;
        p.peta.addLayer(w.waktu); p.peta.fire('overlayadd', {layer: w.waktu});
        const select = document.getElementById('pilih-layanan');
        select.value = 'puskesmas'; select.dispatchEvent(new Event('change'));
        const colours = w.waktu.getLayers().map(l => l.options.fillColor);
        return {jalan: w.jalan.getLayers().length, desa: w.waktu.getLayers().length,
                legenda: document.getElementById('legenda-waktu').textContent,
                warna: [...new Set(colours)].length};
        """
    )
    desa = gpd.read_file(road_run, layer="desa")
    assert state["desa"] == len(desa) and state["jalan"] >= 4
    assert "menit" in state["legenda"] and "20–30" in state["legenda"]
    assert state["warna"] >= 2
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_region_batas_option_builds_missing_boundaries_once(tmp_path):
    from conftest import PROJECT

    from jangkau.pipeline.context import prepare_region

    shared = (PROJECT / ".." / "shared" / "data").resolve()
    if not (shared / "makassar").is_dir():
        pytest.skip("no ../shared/data")
    (tmp_path / "regions").mkdir()
    text = (PROJECT / "regions" / "makassar.toml").read_text(encoding="utf-8")
    text = text.replace('"../shared/data/makassar"', f'"{shared / "makassar"}"')
    text = text.replace('"../shared/data/wilayah_boundaries"', f'"{shared / "wilayah_boundaries"}"')
    (tmp_path / "regions" / "makassar.toml").write_text(text, encoding="utf-8")
    region = prepare_region(region_file=tmp_path / "regions" / "makassar.toml")
    built = tmp_path / "data" / "raw" / "makassar" / "batas_desa.gpkg"
    assert region.desa.path == str(built) and built.exists()
    assert region.kecamatan.path == str(built.with_name("batas_kecamatan.gpkg"))
    assert region.jalan.name == "jalan_rbi50k.geojson"
    stamp = built.stat().st_mtime_ns
    prepare_region(region_file=tmp_path / "regions" / "makassar.toml")
    assert built.stat().st_mtime_ns == stamp
