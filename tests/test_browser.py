"""The map pages in a real headless Chromium with the network unreachable."""

import json
import time

import geopandas as gpd
import pandas as pd
import pytest
from conftest import PROJECT, open_page

from jangkau import pipeline
from jangkau.sources.demo import write_demo

PAYLOAD = '<img src=x onerror="window.__xss=1">'
KECAMATAN_PAYLOAD = '<img src=y onerror="window.__xss=2">Tanah Merah'


@pytest.fixture(scope="module")
def maros_page(maros_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    region = pipeline.prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    pipeline.run_all(region, pipeline.OutputPaths.under(root, "maros"))
    return root


def test_maros_page_renders_offline_without_errors(browser, maros_page):
    page = maros_page / "maps" / "maros" / "index.html"
    assert "https://unpkg" not in page.read_text() and "cdn." not in page.read_text()
    problems = open_page(browser, page)
    assert problems == []
    state = browser.execute_script(
        """
        const p = window.jangkauPeta;
        const shown = p.kecamatan.getLayers().filter(l => p.peta.hasLayer(l) && l._parts && l._parts.length);
        return {kecamatan: p.kecamatan.getLayers().length, drawn: shown.length, aset: p.aset.getLayers().length,
                ikon: document.querySelectorAll('.leaflet-marker-icon').length,
                legenda: document.getElementById('legenda').textContent};
        """
    )
    gpkg = maros_page / "data" / "processed" / "maros" / "coverage.gpkg"
    schools = gpd.read_file(gpkg, layer="aset").query("layanan == 'sd'")
    assert state["kecamatan"] == 14 and state["drawn"] == 14
    assert state["aset"] == len(schools) and state["ikon"] > 10
    assert "80–100 %" in state["legenda"]


def test_switching_service_and_zooming_to_desa(browser, maros_page):
    open_page(browser, maros_page / "maps" / "maros" / "index.html")
    state = browser.execute_script(
        """
        const p = window.jangkauPeta;
        p.pilihLayanan('puskesmas');
        p.peta.setView([-5.0, 119.57], 13, {animate: false});
        return {aset: p.aset.getLayers().length, desa: p.peta.hasLayer(p.desa),
                kecamatan: p.peta.hasLayer(p.kecamatan)};
        """
    )
    assert state == {"aset": 14, "desa": True, "kecamatan": False}
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_the_index_page_links_every_region(maros_page):
    index = (maros_page / "maps" / "index.html").read_text(encoding="utf-8")
    assert "href='maros/index.html'" in index and "Kabupaten Maros" in index
    assert (
        json.loads((maros_page / "maps" / "maros" / "info.json").read_text())["judul"]
        == "Kabupaten Maros"
    )


def test_names_holding_html_run_nothing(browser, tmp_path):
    folder = write_demo(tmp_path / "raw")
    schools = pd.read_csv(folder / "sekolah.csv", sep=";", dtype=str)
    schools.loc[0, "nama_sekolah"] = PAYLOAD
    schools.to_csv(folder / "sekolah.csv", sep=";", index=False)
    desa = gpd.read_file(folder / "batas_desa.geojson")
    desa.loc[desa["WADMKC"] == "Tanah Merah", "WADMKC"] = KECAMATAN_PAYLOAD
    desa.to_file(folder / "batas_desa.geojson", driver="GeoJSON")
    population = (
        (folder / "penduduk_kecamatan_bps.csv")
        .read_text()
        .replace("Tanah Merah;", f"{KECAMATAN_PAYLOAD};")
    )
    (folder / "penduduk_kecamatan_bps.csv").write_text(population)
    region = pipeline.prepare_region(data_dir=folder, name="xss")
    pipeline.run_all(region, pipeline.OutputPaths.under(tmp_path, "xss"))
    page = tmp_path / "maps" / "xss" / "index.html"
    assert PAYLOAD not in page.read_text()
    assert open_page(browser, page) == []
    shown = browser.execute_script(
        """
        const p = window.jangkauPeta;
        const texts = [];
        // Markers inside clusters have no tooltip element until shown: render each tooltip's
        // content into the page the way Leaflet does (innerHTML).
        p.aset.getLayers().forEach(m => { const box = document.createElement('div');
            box.innerHTML = m.getTooltip().getContent(); document.body.appendChild(box);
            texts.push(box.textContent); });
        p.peta.setZoom(9, {animate: false});  // kecamatan shading (not desa) at this zoom
        p.kecamatan.getLayers().forEach(l => { const c = l.getBounds().getCenter();
            l.openPopup(c); texts.push(l.getPopup().getElement().textContent); l.closePopup();
            l.openTooltip(c); texts.push(l.getTooltip().getElement().textContent); l.closeTooltip(); });
        return texts;
        """
    )
    time.sleep(0.5)  # an injected onerror handler would have run by now
    shown = {
        "texts": shown,
        "xss": browser.execute_script("return window.__xss === undefined ? null : window.__xss"),
    }
    assert shown["xss"] is None
    joined = "\n".join(shown["texts"])
    assert PAYLOAD in joined  # shown as text, not run
    assert KECAMATAN_PAYLOAD in joined
    assert not browser.find_elements("css selector", "img[src='x'], img[src='y']")
