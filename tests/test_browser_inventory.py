"""The map page's class/condition view of the asset inventory (issue 16), in headless Chromium."""

import time

import geopandas as gpd
import pandas as pd
import pytest
from conftest import PROJECT, open_page, set_screen

from jangkau import pipeline
from jangkau.sources.demo import write_demo

SCREENS = [(390, 844), (1366, 768)]
AREA_PAYLOAD = '<img src=x onerror="window.__xss=1">Pasar {{ 7*7 }}'
LINE_PAYLOAD = "<script>window.__xss=2</script>Pipa"
CONDITIONS = ["baik", "rusak ringan", "rusak sedang", "rusak berat"]


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    root = tmp_path_factory.mktemp("inventaris")
    raw = write_demo(root / "raw")
    for name, payload in (("aset_area", AREA_PAYLOAD), ("jaringan_pipa_pdam", LINE_PAYLOAD)):
        frame = gpd.read_file(raw / f"{name}.geojson")
        frame.loc[0, "nama"] = payload
        frame.to_file(raw / f"{name}.geojson", driver="GeoJSON")
    region = pipeline.prepare_region(
        region_file=PROJECT / "regions" / "demo.toml", data_dir=root / "raw"
    )
    region.usulan_k = 0
    pipeline.run_all(region, pipeline.OutputPaths.under(root / "out", "demo"))
    return root / "out"


@pytest.fixture(params=SCREENS, ids=["ponsel", "desktop"])
def screen(request, browser):
    set_screen(browser, *request.param)
    yield request.param
    set_screen(browser, None)


def _inventory(out) -> pd.DataFrame:
    """Every asset of the three GeoPackage layers: class, condition, geometry type."""
    gpkg = out / "data" / "processed" / "demo" / "coverage.gpkg"
    frames = []
    for layer in ("aset", "aset_garis", "aset_area"):
        frame = gpd.read_file(gpkg, layer=layer)
        frames.append(
            pd.DataFrame(
                {
                    "jenis": frame["jenis"],
                    "kondisi": frame["kondisi"].fillna(""),
                    "lapisan": layer,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _per_condition(frame: pd.DataFrame) -> list[int]:
    return [int((frame["kondisi"] == c).sum()) for c in CONDITIONS] + [
        int((~frame["kondisi"].isin(CONDITIONS)).sum())
    ]


def _open_layer_list(browser) -> None:
    """Unfold the layer list when folded (on a phone), by touching its button."""
    folded = browser.execute_script(
        "return !document.querySelector('.leaflet-control-layers')"
        ".classList.contains('leaflet-control-layers-expanded')"
    )
    if folded:
        browser.find_element("css selector", ".leaflet-control-layers-toggle").click()
        time.sleep(0.3)


DRAWN = """
const a = window.jangkauAset, n = [0, 0, 0, 0, 0], kinds = {point: 0, line: 0, area: 0};
const each = (group, f) => group.eachLayer(l => (l.eachLayer ? each(l, f) : f(l)));
each(a.lapis, l => {
  n[l.options.kondisi] += 1;
  if (l instanceof L.CircleMarker) { kinds.point += 1; }
  else if (l instanceof L.Polygon) { kinds.area += 1; } else { kinds.line += 1; }
});
const legend = document.getElementById('legenda-aset');
return {n: n, kinds: kinds, onMap: window.jangkauPeta.peta.hasLayer(a.lapis),
        legend: legend ? [...legend.querySelectorAll('[data-kondisi] b')].map(b => b.textContent) : null,
        shown: legend ? legend.getBoundingClientRect().right <= window.innerWidth : null};
"""


def test_toggling_the_inventory_view_draws_every_asset_by_condition(browser, demo_page, screen):
    assets = _inventory(demo_page)
    # The demo writes conditions of every kind, on points, lines and polygons.
    assert (assets["lapisan"] != "aset").sum() > 20
    assert all(n > 0 for n in _per_condition(assets))
    assert open_page(browser, demo_page / "maps" / "demo" / "index.html") == []
    before = browser.execute_script(DRAWN)
    assert before["onMap"] is False and sum(before["n"]) == 0 and before["legend"] is None

    # Switched on from the layer list, as a reader does (on a phone the list is folded).
    _open_layer_list(browser)
    label = next(
        e
        for e in browser.find_elements("css selector", ".leaflet-control-layers-overlays label")
        if "Aset menurut kelas dan kondisi" in e.text
    )
    label.find_element("css selector", "input").click()
    time.sleep(0.5)
    state = browser.execute_script(DRAWN)
    expected = _per_condition(assets)
    assert state["onMap"] and state["n"] == expected
    assert state["legend"] == [f"{n:,}".replace(",", ".") for n in expected]
    assert state["shown"]
    counts = assets["lapisan"].value_counts()
    assert state["kinds"] == {
        "point": counts["aset"],
        "line": counts["aset_garis"],
        "area": counts["aset_area"],
    }

    # One class: only its assets, counted again by condition.
    broken = assets[(assets["lapisan"] == "aset_garis") & (assets["kondisi"] == "rusak berat")]
    kind = broken["jenis"].value_counts().index[0]
    option = next(
        o
        for o in browser.find_elements("css selector", "#pilih-kelas option")
        if o.text.rsplit(" (", 1)[0] == kind
    )
    option.click()
    time.sleep(0.3)
    state = browser.execute_script(DRAWN)
    assert state["n"] == _per_condition(assets[assets["jenis"] == kind])

    # A line's popup names it, its class, condition, status and file.
    text = browser.execute_script(
        """
        const a = window.jangkauAset, all = [];
        a.lapis.eachLayer(g => g.eachLayer(l => all.push(l)));
        const l = all.find(l => l.options.kondisi === 3);
        l.openPopup(l.getCenter());
        return document.querySelector('.leaflet-popup').textContent;
        """
    )
    assert "Kondisi: rusak berat" in text and f"Kelas: {kind}" in text and "Sumber: " in text

    # Switched off: nothing drawn, no legend.
    browser.execute_script("window.jangkauPeta.peta.closePopup()")
    _open_layer_list(browser)
    label.find_element("css selector", "input").click()
    time.sleep(0.3)
    after = browser.execute_script(DRAWN)
    assert after["onMap"] is False and sum(after["n"]) == 0 and after["legend"] is None
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_inventory_popups_show_names_holding_html_as_text(browser, demo_page):
    assert open_page(browser, demo_page / "maps" / "demo" / "index.html") == []
    texts = browser.execute_script(
        """
        const p = window.jangkauPeta, a = window.jangkauAset, texts = [];
        p.peta.addLayer(a.lapis);
        a.lapis.eachLayer(g => g.eachLayer(l => {
          l.openPopup(l.getCenter ? l.getCenter() : l.getLatLng());
          texts.push(l.getPopup().getElement().textContent);
          l.closePopup();
        }));
        return texts;
        """
    )
    time.sleep(0.5)  # an injected onerror handler would have run by now
    assert browser.execute_script("return window.__xss === undefined ? null : window.__xss") is None
    joined = "\n".join(texts)
    assert AREA_PAYLOAD in joined and LINE_PAYLOAD in joined
    page = (demo_page / "maps" / "demo" / "index.html").read_text(encoding="utf-8")
    assert AREA_PAYLOAD not in page and "{{ 7*7 }}" not in page


def _decode(flat: list[int]) -> list[tuple[float, float]]:
    """Undo the page's coding by hand: running sums of 1e-5 degree steps."""
    x = y = 0
    points = []
    for dx, dy in zip(flat[::2], flat[1::2], strict=True):
        x += dx
        y += dy
        points.append((x / 1e5, y / 1e5))
    return points


def test_lines_and_polygons_on_the_page_keep_their_place_and_shape(demo_page):
    import json
    import re

    import shapely

    page = (demo_page / "maps" / "demo" / "index.html").read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="data-peta">(.*?)</script>', page, re.S)
    data = json.loads(block.group(1))
    rows = data["inventaris"]["bentuk"]
    gpkg = demo_page / "data" / "processed" / "demo" / "coverage.gpkg"
    lines = gpd.read_file(gpkg, layer="aset_garis")
    areas = gpd.read_file(gpkg, layer="aset_area")
    assert [r[0] for r in rows] == [
        "g" if i < len(lines) else "a" for i in range(len(lines) + len(areas))
    ]
    utm = lines.estimate_utm_crs()
    tolerance = data["toleransi_m"]
    for row, truth in zip(rows, [*lines.geometry, *areas.geometry], strict=True):
        if row[0] == "g":
            drawn = shapely.MultiLineString([_decode(part) for part in row[4]])
        else:
            drawn = shapely.MultiPolygon(
                [(_decode(rings[0]), [_decode(r) for r in rings[1:]]) for rings in row[4]]
            )
        pair = gpd.GeoSeries([drawn, truth], crs=4326).to_crs(utm)
        # Simplified within the tolerance, rounded to about 1 m.
        assert pair.iloc[0].hausdorff_distance(pair.iloc[1]) <= tolerance + 2
    names = sorted(r[3] for r in rows)
    assert names == sorted(
        n.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
        .replace("{", "&#123;")
        .replace("}", "&#125;")
        for n in [*lines["nama"], *areas["nama"]]
    )
