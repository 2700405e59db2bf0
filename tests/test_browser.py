"""The map pages in a real headless Chromium with the network unreachable."""

import dataclasses
import json
import time

import geopandas as gpd
import pandas as pd
import pytest
from conftest import PROJECT, open_page, set_screen

from jangkau import pipeline
from jangkau.sources.demo import write_demo

PAYLOAD = '<img src=x onerror="window.__xss=1">'
KECAMATAN_PAYLOAD = '<img src=y onerror="window.__xss=2">Tanah Merah'
DESA_PAYLOAD = '<img src=z onerror="window.__xss=3">Mawar {{ 7*7 }}'
SERVICE_PAYLOAD = "<script>window.__xss=4</script>Sekolah Dasar"
SCREENS = [(390, 844), (1366, 768)]


@pytest.fixture(scope="module")
def maros_page(maros_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    region = pipeline.prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    pipeline.run_all(region, pipeline.OutputPaths.under(root, "maros"))
    return root


@pytest.fixture(params=SCREENS, ids=["ponsel", "desktop"])
def screen(request, browser):
    set_screen(browser, *request.param)
    yield request.param
    set_screen(browser, None)


def _layers(maros_page, name):
    return gpd.read_file(maros_page / "data" / "processed" / "maros" / "coverage.gpkg", layer=name)


def test_maros_page_renders_offline_without_errors(browser, maros_page):
    page = maros_page / "maps" / "maros" / "index.html"
    text = page.read_text()
    assert "https://unpkg" not in text and "cdn." not in text and "<link" not in text
    problems = open_page(browser, page)
    assert problems == []
    state = browser.execute_script(
        """
        const p = window.jangkauPeta;
        const shown = p.kecamatan.getLayers().filter(l => p.peta.hasLayer(l) && l._parts && l._parts.length);
        return {kecamatan: p.kecamatan.getLayers().length, drawn: shown.length, aset: p.aset.getLayers().length,
                aktif: p.layananAktif(), pilih: document.getElementById('pilih-layanan').value,
                ikon: document.querySelectorAll('.leaflet-marker-icon').length,
                nama: [...document.querySelectorAll('.nama-kec')].map(e => e.textContent),
                sumber: performance.getEntriesByType('resource').map(e => e.name),
                legenda: document.getElementById('legenda').textContent};
        """
    )
    kecamatan = _layers(maros_page, "kecamatan")
    # The page opens on the service most kecamatan find most urgent (ties: catalogue order).
    counts = kecamatan["layanan_paling_mendesak"].value_counts()
    assert state["aktif"] == state["pilih"] == counts.index[0] and counts.iloc[0] > counts.iloc[1]
    facilities = _layers(maros_page, "aset").query("layanan == @state['aktif']")
    assert state["kecamatan"] == 14 and state["drawn"] == 14
    assert state["aset"] == len(facilities) and state["ikon"] > 10
    assert sorted(state["nama"]) == sorted(kecamatan["kecamatan"])  # every name written on the map
    assert state["sumber"] == []  # nothing fetched, not even from disk
    assert "80–100 %" in state["legenda"]


def test_switching_service_and_zooming_to_desa(browser, maros_page):
    open_page(browser, maros_page / "maps" / "maros" / "index.html")
    state = browser.execute_async_script(
        """
        const done = arguments[0], p = window.jangkauPeta;
        p.pilihLayanan('puskesmas').then(() => {
          p.peta.setView([-5.0, 119.57], 13, {animate: false});
          done({aset: p.aset.getLayers().length, desa: p.peta.hasLayer(p.desa),
                kecamatan: p.peta.hasLayer(p.kecamatan),
                nama: document.querySelectorAll('.nama-desa').length,
                usulan: p.usulan.getLayers().length});
        });
        """
    )
    assert state["aset"] == 14 and state["desa"] and not state["kecamatan"]
    assert state["nama"] > 0  # desa names once zoomed in
    # A facility is found by its identifier (NPSN) as well as its name.
    school = _layers(maros_page, "aset").dropna(subset=["id_aset"]).iloc[0]
    found = browser.execute_script(
        "return window.jangkauPeta.cari(arguments[0]).map(h => h.nama)", school["id_aset"]
    )
    assert found[0] == school["nama"]
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_desa_popup_shows_every_service_and_nearest_facility(browser, maros_page):
    open_page(browser, maros_page / "maps" / "maros" / "index.html")
    desa = _layers(maros_page, "desa")
    gaps = _layers(maros_page, "kesenjangan_desa")
    row = desa.iloc[0]
    text = browser.execute_script(
        """
        const p = window.jangkauPeta, i = arguments[0];
        const layer = p.desa.getLayers()[i];
        p.peta.setView(layer.feature.properties.t, 13, {animate: false});
        layer.openPopup(layer.feature.properties.t);
        return layer.getPopup().getElement().textContent;
        """,
        0,
    )
    assert row["desa"] in text and f"{int(row['penduduk']):,}".replace(",", ".") in text
    mine = gaps[gaps["kode_desa"] == row["kode_desa"]].set_index("layanan")
    sd = mine.loc["sd"]
    metres = sd["jarak_terdekat_m"]
    shown = (
        f"{int(round(metres)):,} m".replace(",", ".")
        if metres < 1000
        else (f"{metres / 1000:.1f} km".replace(".", ","))
    )
    coverage = f"{100 * row['cakupan_sd']:.1f} %".replace(".", ",")
    assert f"Sekolah Dasar{coverage}{shown}" in text
    assert "Puskesmas Pembantu" in text and "Pos Pemadam Kebakaran" in text


@pytest.mark.parametrize("wrong, right", [("Bontomatingi", "Bonto Matinggi")])
def test_phone_and_desktop_layout(browser, maros_page, screen, wrong, right):
    width, height = screen
    assert open_page(browser, maros_page / "maps" / "maros" / "index.html") == []
    start = browser.execute_script(
        """
        const p = window.jangkauPeta, b = p.kecamatan.getBounds(), v = p.peta.getBounds();
        const zoomIn = document.querySelector('.leaflet-control-zoom-in').getBoundingClientRect();
        const onTop = document.elementFromPoint(zoomIn.x + zoomIn.width / 2, zoomIn.y + zoomIn.height / 2);
        return {inView: v.contains(b), zoom: p.peta.getZoom(), width: window.innerWidth,
                zoomButton: !!onTop.closest('.leaflet-control-zoom-in'),
                layerList: document.querySelector('.leaflet-control-layers').classList
                    .contains('leaflet-control-layers-expanded')};
        """
    )
    assert start["width"] == width
    assert start["inView"] and start["zoom"] >= 9  # the whole kabupaten, not a street
    assert start["zoomButton"]
    assert start["layerList"] == (width >= 700)  # folded on phones
    browser.find_element("css selector", ".leaflet-control-zoom-in").click()
    time.sleep(0.6)
    assert browser.execute_script("return window.jangkauPeta.peta.getZoom()") == start["zoom"] + 1

    # On a phone the panel is folded to a button.
    panel = browser.find_element("css selector", ".panel .isi-panel")
    assert panel.is_displayed() == (width >= 700)
    if width < 700:
        browser.find_element("css selector", ".tombol-panel").click()
        assert panel.is_displayed()

    # Search finds a desa by a misspelt name; its result opens the desa's popup.
    box = browser.find_element("id", "cari")
    box.send_keys(wrong)
    time.sleep(0.6)
    results = browser.find_elements("css selector", "#hasil-cari li a")
    assert results and results[0].text == right
    results[0].click()
    time.sleep(0.4)
    popup = _popup(browser)
    assert right in popup["text"] and popup["inside"], popup

    # The ranked list zooms to its first kecamatan and opens its popup, inside the screen.
    if width < 700:
        browser.find_element("css selector", ".tombol-panel").click()
    browser.find_element("css selector", "#peringkat summary").click()
    first = browser.find_element("css selector", "#daftar-peringkat a[data-kec]")
    name = first.text.split(" (")[0]
    first.click()
    time.sleep(0.4)
    popup = _popup(browser)
    assert f"Kecamatan {name}" in popup["text"] and popup["inside"], popup
    where = browser.execute_script(
        """
        const p = window.jangkauPeta;
        const k = p.kecamatan.getLayers().find(l => l.feature.properties.kecamatan === arguments[0]);
        return {inView: p.peta.getBounds().contains(k.getBounds()) ||
                        k.getBounds().contains(p.peta.getCenter()),
                rank: k.feature.properties.layanan[p.layananAktif()].peringkat};
        """,
        name,
    )
    assert where == {"inView": True, "rank": 1}


def _popup(browser) -> dict:
    return browser.execute_script(
        """
        const e = document.querySelector('.leaflet-popup');
        if (!e) { return {text: '', inside: false}; }
        const r = e.getBoundingClientRect();
        return {text: e.textContent, inside: r.left >= 0 && r.top >= 0 &&
                r.right <= window.innerWidth && r.bottom <= window.innerHeight,
                rect: [r.left, r.top, r.right, r.bottom, window.innerWidth, window.innerHeight]};
        """
    )


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
    desa.loc[desa["WADMKD"] == "Mawar", "WADMKD"] = DESA_PAYLOAD
    desa.to_file(folder / "batas_desa.geojson", driver="GeoJSON")
    population = (
        (folder / "penduduk_kecamatan_bps.csv")
        .read_text()
        .replace("Tanah Merah;", f"{KECAMATAN_PAYLOAD};")
    )
    (folder / "penduduk_kecamatan_bps.csv").write_text(population)
    region = pipeline.prepare_region(data_dir=folder, name="xss")
    region = dataclasses.replace(region, layanan={"sd": {"nama": SERVICE_PAYLOAD}})
    pipeline.run_all(region, pipeline.OutputPaths.under(tmp_path, "xss"))
    page = tmp_path / "maps" / "xss" / "index.html"
    assert PAYLOAD not in page.read_text() and "{{ 7*7 }}" not in page.read_text()
    assert open_page(browser, page) == []
    shown = browser.execute_async_script(
        """
        const done = arguments[0], p = window.jangkauPeta, texts = [];
        p.pilihLayanan('sd').then(() => p.semua).then(() => {
          // Facility popups are made when touched: render each one's content the way
          // Leaflet does (innerHTML).
          Object.values(p.asetPerLayanan).concat([p.asetLain]).forEach(c => c.getLayers().forEach(m => {
              const box = document.createElement('div');
              box.innerHTML = p.teksAset(m.options.r); document.body.appendChild(box);
              texts.push(box.textContent); }));
          p.peta.setZoom(9, {animate: false});  // kecamatan shading (not desa) at this zoom
          p.kecamatan.getLayers().forEach(l => { const c = l.feature.properties.t;
              l.openPopup(c); texts.push(l.getPopup().getElement().textContent); l.closePopup();
              l.openTooltip(c); texts.push(l.getTooltip().getElement().textContent); l.closeTooltip(); });
          p.peta.setZoom(13, {animate: false});
          p.desa.getLayers().forEach(l => { const c = l.feature.properties.t;
              l.openPopup(c); texts.push(l.getPopup().getElement().textContent); l.closePopup(); });
          document.querySelector('#peringkat').open = true;
          texts.push(document.querySelector('.panel').textContent);
          texts.push([...document.querySelectorAll('.nama-tempat')].map(e => e.textContent).join('|'));
          done(texts);
        });
        """
    )
    for query in ("Mawar", "SDN", "Tanah Merah"):
        box = browser.find_element("id", "cari")
        box.clear()
        box.send_keys(query)
        time.sleep(0.5)
        shown.append(browser.find_element("id", "hasil-cari").text)
    time.sleep(0.5)  # an injected onerror handler would have run by now
    assert browser.execute_script("return window.__xss === undefined ? null : window.__xss") is None
    joined = "\n".join(shown)
    for payload in (PAYLOAD, KECAMATAN_PAYLOAD, DESA_PAYLOAD, SERVICE_PAYLOAD):
        assert payload in joined  # shown as text, not run
    assert not browser.find_elements("css selector", "img[src='x'], img[src='y'], img[src='z']")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
