"""Every HTML page the project writes keeps text from input files as text.

Each page is built from records whose every text field holds template syntax,
the old placeholder tokens and markup, then read back with ``html.parser``:
the expected texts below are written out by hand.
"""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from jangkau.publish.quality import quality_html
from jangkau.publish.webassets import load_web_assets, node_modules_dir
from jangkau.publish.webmap import index_page, page_data, render_page

PAYLOAD = (
    "Bontoa — Ñ @@JS@@ @@DATA@@ @@CSS@@ @@JUDUL@@ {{ 7*7 }} {% raw %} "
    "</script><script>window.__x=1</script> <img src=x onerror=alert(1)> \"'&"
)
# PAYLOAD as page_data escapes it for peta.js, which shows names through innerHTML.
PAYLOAD_ESCAPED = (
    "Bontoa — Ñ @@JS@@ @@DATA@@ @@CSS@@ @@JUDUL@@ {{ 7*7 }} {% raw %} "
    "&lt;/script&gt;&lt;script&gt;window.__x=1&lt;/script&gt; "
    "&lt;img src=x onerror=alert(1)&gt; &quot;&#x27;&amp;"
)


class Page(HTMLParser):
    """The parts of a page an injection would change: tags, texts per tag, attributes."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[dict[str, str | None]] = []
        self._pieces: dict[str, list[list[str]]] = {}
        self._open: list[str] = []
        self.feed(text)
        self.close()
        self.texts = {
            tag: ["".join(pieces) for pieces in elements] for tag, elements in self._pieces.items()
        }

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.append(dict(attrs))
        if tag not in {"meta", "br", "img", "input"}:
            self._open.append(tag)
            self._pieces.setdefault(tag, []).append([])

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for tag in self._open:  # text belongs to every element it sits in (a link in a cell)
            self._pieces[tag][-1].append(data)


def _square(x: float, y: float) -> shapely.Polygon:
    return shapely.box(x, y, x + 0.02, y + 0.02)


@pytest.fixture(scope="module")
def assets():
    return load_web_assets()


@pytest.fixture(scope="module")
def map_page(assets) -> str:
    kecamatan = gpd.GeoDataFrame(
        {"kode_kec": ["73.09.01"], "kecamatan": [PAYLOAD], "penduduk": [1000], "cakupan_sd": [0.5]},
        geometry=[_square(119.5, -5.0)],
        crs=4326,
    )
    desa = gpd.GeoDataFrame(
        {
            "kode_desa": ["73.09.01.2001"],
            "desa": [PAYLOAD],
            "kecamatan": [PAYLOAD],
            "tipe": ["desa"],
            "penduduk": [1000],
            "cakupan_sd": [0.5],
        },
        geometry=[_square(119.5, -5.0)],
        crs=4326,
    )
    facilities = gpd.GeoDataFrame(
        {
            "layanan": ["sd"],
            "jenis": [PAYLOAD],
            "nama": [PAYLOAD],
            "desa": [PAYLOAD],
            "kode_desa": ["73.09.01.2001"],
        },
        geometry=[shapely.Point(119.51, -4.99)],
        crs=4326,
    )
    gaps = pd.DataFrame(
        {
            "kode_kec": ["73.09.01"],
            "kecamatan": [PAYLOAD],
            "layanan": ["sd"],
            "cakupan": [0.5],
            "jumlah_fasilitas": [1],
            "kekurangan": [1],
            "peringkat": [1],
        }
    )
    catalogue = pd.DataFrame(
        {
            "layanan": ["sd"],
            "nama": [PAYLOAD],
            "radius_desa_m": [3000.0],
            "radius_kelurahan_m": [1000.0],
        }
    )
    changes = pd.DataFrame(
        {
            "kecamatan": [PAYLOAD],
            "layanan": ["sd"],
            "cakupan_sebelum": [0.4],
            "cakupan_sekarang": [0.5],
            "selisih_cakupan": [0.1],
            "selisih_fasilitas": [1.0],
            "proses_sebelumnya": [PAYLOAD],
        }
    )
    data = page_data(
        kecamatan,
        desa,
        facilities,
        gaps,
        catalogue,
        changes=changes,
        title=PAYLOAD,
        data_date=PAYLOAD,
        metric_crs=32750,
    )
    return render_page(data, assets)


def test_map_page_keeps_names_out_of_its_markup(map_page, assets):
    # One kecamatan, desa and facility: the data need a few kB; a placeholder token in a
    # name that pulled in the libraries again would add their 170 kB.
    assert len(map_page) < len(assets.js) + len(assets.css) + 20_000
    page = Page(map_page)
    assert page.tags.count("script") == 2 and page.tags.count("style") == 1
    assert "img" not in page.tags
    title = "Cakupan Layanan Publik — " + PAYLOAD
    assert page.texts["title"] == [title]  # not 49, no library pulled into the title
    (peta,) = [a for a in page.attributes if a.get("id") == "peta"]
    assert peta["aria-label"] == title
    # The library code is inlined once, whole, and nowhere else.
    data_text, script_text = page.texts["script"]
    # Compared as booleans: pytest's diff of two 300 kB strings would take minutes.
    script_whole = script_text.strip() == str(assets.js).strip()
    style_whole = page.texts["style"][0].strip() == str(assets.css).strip()
    assert script_whole and style_whole, "the inlined script or stylesheet differs from the assets"
    assert map_page.count("L.markerClusterGroup=function") == 1
    assert map_page.count("// jangkau map page.") == 1
    assert map_page.count('t.version="') == 1  # Leaflet itself


def test_map_page_data_arrive_whole_and_readable(map_page):
    data_text = Page(map_page).texts["script"][0]
    data = json.loads(data_text)
    kecamatan = data["kecamatan"]["features"][0]["properties"]
    assert kecamatan["kecamatan"] == PAYLOAD_ESCAPED
    assert data["desa"]["features"][0]["properties"]["desa"] == PAYLOAD_ESCAPED
    assert [data["aset"][0][f] for f in ("nama", "jenis", "desa")] == [PAYLOAD_ESCAPED] * 3
    assert data["layanan"][0]["nama"] == PAYLOAD_ESCAPED
    assert data["perubahan"][0]["kecamatan"] == PAYLOAD_ESCAPED
    assert data["proses_sebelumnya"] == PAYLOAD_ESCAPED
    assert data["judul"] == "Cakupan Layanan Publik — " + PAYLOAD_ESCAPED
    assert data["tanggal"] == PAYLOAD_ESCAPED
    # Nothing in the block can end the script or open a tag, and non-ASCII stays readable.
    assert not any(character in data_text for character in "<>&")
    assert "Bontoa — Ñ" in data_text and "\\u2014" not in data_text


def test_map_page_data_block_holds_any_text(assets):
    # page_data escapes names already; the block must hold even text it did not escape.
    raw = "</script><script>window.__x=1</script><!-- '&"
    page = Page(render_page({"judul": "Maros", "catatan": raw}, assets))
    assert page.tags.count("script") == 2
    assert json.loads(page.texts["script"][0]) == {"judul": "Maros", "catatan": raw}


def test_index_page_shows_names_as_text():
    folder = "wilayah '<x> #1"
    entries = [
        {"folder": folder, "judul": PAYLOAD, "tanggal": PAYLOAD},
        {"folder": "maros", "judul": "Kabupaten Maros", "tanggal": "2026-11-29"},
    ]
    page = Page(index_page(entries))
    assert "script" not in page.tags and "img" not in page.tags
    assert page.texts["title"] == ["Peta Cakupan Layanan Publik"]
    assert page.texts["a"] == [PAYLOAD, "Kabupaten Maros"]  # sorted by title: "B" < "K"
    hrefs = [a["href"] for a in page.attributes if "href" in a]
    assert hrefs == ["wilayah%20%27%3Cx%3E%20%231/index.html", "maros/index.html"]
    assert page.texts["td"] == [PAYLOAD, PAYLOAD, "Kabupaten Maros", "2026-11-29"]


def test_quality_report_shows_names_as_text():
    table = pd.DataFrame(
        {PAYLOAD: [PAYLOAD, "sekolah.csv"], "jumlah": [3, 4], "selisih": [1234.56, 0.04]}
    )
    empty = pd.DataFrame({"berkas": []})
    page = Page(quality_html(PAYLOAD, [(PAYLOAD, PAYLOAD, table), ("Kosong", "-", empty)]))
    # The one script is the page's own row filter; nothing from the files reaches it.
    assert page.tags.count("script") == 1 and "img" not in page.tags
    assert "saring" in page.texts["script"][0] and "__x" not in page.texts["script"][0]
    assert page.texts["title"] == ["Kualitas data — " + PAYLOAD]
    assert page.texts["h1"] == ["Kualitas data — " + PAYLOAD]
    assert page.texts["h2"] == [PAYLOAD, "Kosong"]
    assert page.texts["p"] == [PAYLOAD, "-", "Tidak ada."]
    assert page.texts["i"] == ["Tidak ada."]
    # Column names with a heading in label.toml [kolom] show it; others as they are.
    assert page.texts["th"] == [PAYLOAD, "Jumlah", "selisih"]
    assert page.texts["td"] == [PAYLOAD, "3", "1,234.6", "sekolah.csv", "4", "0.0"]


def test_a_library_that_could_close_its_block_is_refused(tmp_path):
    for name in ("leaflet", "leaflet.markercluster"):
        shutil.copytree(node_modules_dir() / name / "dist", tmp_path / name / "dist")
    (tmp_path / "leaflet/dist/leaflet.js").write_text("var s = '</SCRIPT><b>';", encoding="utf-8")
    with pytest.raises(ValueError, match="script of the map page holds '</script'"):
        load_web_assets(Path(tmp_path))
