"""Every HTML page the project writes keeps text from input files as text.

Each page is built from records whose every text field holds template syntax,
the old placeholder tokens and markup, then read back with ``html.parser``:
the expected texts below are written out by hand.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely

from jangkau.publish import offline
from jangkau.publish.foliummap import render_page
from jangkau.publish.offline import OfflineFigure, json_block
from jangkau.publish.quality import quality_html
from jangkau.publish.webassets import NPM_FILES, load_web_assets, node_modules_dir
from jangkau.publish.webmap import index_page, page_data

PAYLOAD = (
    "Bontoa — Ñ @@JS@@ @@DATA@@ @@CSS@@ @@JUDUL@@ {{ 7*7 }} {% raw %} "
    "</script><script>window.__x=1</script> <img src=x onerror=alert(1)> \"'&"
)
# PAYLOAD as page_data escapes it for peta.js, which shows names through innerHTML; braces
# too, because folium reads the code it writes as a template once more.
PAYLOAD_ESCAPED = (
    "Bontoa — Ñ @@JS@@ @@DATA@@ @@CSS@@ @@JUDUL@@ &#123;&#123; 7*7 &#125;&#125; "
    "&#123;% raw %&#125; "
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
def map_data() -> dict:
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
    return data


@pytest.fixture(scope="module")
def map_page(map_data, assets) -> str:
    return render_page(map_data, assets)


def test_layer_data_written_after_rendering_are_what_folium_writes(map_data, assets, monkeypatch):
    # The polygons and facility rows pass folium's template pass as placeholders and are
    # written afterwards: the page must be the one folium writes with the data in place.
    def ids(page):
        return re.sub(r"[0-9a-f]{32}", "ID", page)

    fast = render_page(map_data, assets)
    monkeypatch.setattr(offline, "_set_data_aside", lambda root: [])
    plain = render_page(map_data, assets)
    assert "jangkau-data-" not in fast
    assert len(fast) == len(plain)
    assert ids(fast) == ids(plain)


def test_map_page_keeps_names_out_of_its_markup(map_page, assets):
    # One kecamatan, desa and facility: the data need a few kB; a placeholder token in a
    # name that pulled in the libraries again would add their 170 kB.
    assert len(map_page) < len(assets.js) + len(assets.css) + 30_000
    page = Page(map_page)
    assert "img" not in page.tags and "link" not in page.tags
    title = "Cakupan Layanan Publik — " + PAYLOAD
    assert page.texts["title"] == [title]  # not 49, no library pulled into the title
    # Every library and the page's own code are inlined once, whole, and nowhere else.
    scripts = [text.strip() for text in page.texts["script"]]
    styles = [text.strip() for text in page.texts["style"]]
    for name, code in assets.code.items():
        inlined = styles if name.lower().endswith("css") else scripts
        # Compared as booleans: pytest's diff of two 300 kB strings would take minutes.
        assert inlined.count(str(code).strip()) == 1, name
    assert map_page.count("L.markerClusterGroup=function") == 1
    assert map_page.count("// jangkau map page: the plugin") == 1
    assert map_page.count('t.version="') == 1  # Leaflet itself
    assert page.attributes[page.tags.index("html")] == {"lang": "id"}


def _layer_data(map_page: str) -> tuple[list[dict], list[list]]:
    """Return the GeoJSON collections and the facility rows folium wrote into the page."""
    collections = [
        json.loads(text) for text in re.findall(r"geo_json_\w+_add\((\{.*?\})\);", map_page)
    ]
    rows = [json.loads(text) for text in re.findall(r"var data = (\[.*?\]);\n", map_page)]
    return collections, [row for group in rows for row in group]


def test_map_page_data_arrive_whole_and_readable(map_page):
    scripts = Page(map_page).texts["script"]
    (data_text,) = [t for t in scripts if t.startswith('{"perubahan"')]
    data = json.loads(data_text)
    collections, rows = _layer_data(map_page)
    kecamatan, desa = (c["features"][0]["properties"] for c in collections)
    assert kecamatan["kecamatan"] == PAYLOAD_ESCAPED and kecamatan["c"] == [0.5]
    assert desa["desa"] == desa["kecamatan"] == PAYLOAD_ESCAPED
    (row,) = rows
    assert row[:4] == [-4.99, 119.51, 0, PAYLOAD_ESCAPED] and row[6] == 3000
    assert data["jenis"] == data["desa_aset"] == [PAYLOAD_ESCAPED]
    assert data["layanan"][0]["nama"] == PAYLOAD_ESCAPED
    assert data["perubahan"][0]["kecamatan"] == PAYLOAD_ESCAPED
    assert data["proses_sebelumnya"] == PAYLOAD_ESCAPED
    assert data["judul"] == "Cakupan Layanan Publik — " + PAYLOAD_ESCAPED
    assert data["tanggal"] == PAYLOAD_ESCAPED
    # Nothing in the block can end the script or open a tag, and non-ASCII stays readable.
    assert not any(character in data_text for character in "<>&")
    assert "Bontoa — Ñ" in data_text and "\\u2014" not in data_text
    # Nor in folium's scripts: no name ends its block or becomes template syntax.
    assert map_page.count("{{ 7*7 }}") == 1  # in the title, as text
    assert "@@JUDUL@@ 49" not in map_page


def test_map_page_data_block_holds_any_text():
    # page_data escapes names already; the block must hold even text it did not escape.
    raw = "</script><script>window.__x=1</script><!-- '& {{ 7*7 }}"
    page = Page(json_block("data-peta", {"judul": "Maros", "catatan": raw}).render())
    assert page.tags == ["script"]
    assert json.loads(page.texts["script"][0]) == {"judul": "Maros", "catatan": raw}


def test_a_page_linking_a_library_it_has_no_file_for_is_refused(assets):
    figure = OfflineFigure(title="Maros", assets=assets)
    figure.add_child(folium.Map(tiles=None))  # folium's defaults link jQuery and Bootstrap
    with pytest.raises(ValueError, match="would fetch 'jquery'"):
        figure.render()


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
    for package in {path.split("/")[0] for path in NPM_FILES.values()}:
        shutil.copytree(node_modules_dir() / package, tmp_path / package)
    (tmp_path / "leaflet/dist/leaflet.js").write_text("var s = '</SCRIPT><b>';", encoding="utf-8")
    with pytest.raises(ValueError, match="script of the map page .leaflet. holds '</script'"):
        load_web_assets(Path(tmp_path))


def test_kecamatan_of_several_kabupaten_name_their_kabupaten():
    codes = ["73.09.01", "73.10.01"]
    kecamatan = gpd.GeoDataFrame(
        {"kode_kec": codes, "kecamatan": ["Cenrana", "Cenrana"], "penduduk": [10, 20]},
        geometry=[_square(119.5, -5.0), _square(119.6, -5.0)],
        crs=4326,
    )
    desa = gpd.GeoDataFrame(
        {
            "kode_desa": ["73.09.01.2001", "73.10.01.2001"],
            "desa": ["A", "B"],
            "kode_kec": codes,
            "kecamatan": ["Cenrana", "Cenrana"],
            "tipe": ["desa", "desa"],
            "penduduk": [10, 20],
        },
        geometry=[_square(119.5, -5.0), _square(119.6, -5.0)],
        crs=4326,
    )
    facilities = gpd.GeoDataFrame(
        {"layanan": [], "jenis": [], "nama": [], "desa": [], "kode_desa": []},
        geometry=[],
        crs=4326,
    )
    catalogue = pd.DataFrame(
        {"layanan": ["sd"], "nama": ["SD"], "radius_desa_m": [3000.0], "radius_kelurahan_m": [1e3]}
    )
    gaps = pd.DataFrame({"kode_kec": codes, "layanan": ["sd", "sd"], "cakupan": [0.5, 0.6]})
    data = page_data(
        kecamatan, desa, facilities, gaps, catalogue, title="T", data_date="D", metric_crs=32750
    )
    names = [f["properties"]["kabupaten"] for f in data["kecamatan"]["features"]]
    assert names == ["Kab./Kota kode 73.09", "Kab./Kota kode 73.10"]
    assert [f["properties"]["kabupaten"] for f in data["desa"]["features"]] == names
    one = page_data(
        kecamatan.iloc[:1],
        desa.iloc[:1],
        facilities,
        gaps,
        catalogue,
        title="T",
        data_date="D",
        metric_crs=32750,
    )
    assert one["kecamatan"]["features"][0]["properties"]["kabupaten"] == ""


def test_each_distinct_value_is_escaped_as_itself():
    # Escaped once per distinct value: 1, 1.0 and True are equal keys but different texts.
    from jangkau.publish.webinventory import _escaped

    values = pd.Series([1, 1.0, True, None, float("nan"), "a<b", "{{x}}", 1], dtype=object)
    assert _escaped(values) == [
        "1",
        "1.0",
        "True",
        "",
        "",
        "a&lt;b",
        "&#123;&#123;x&#125;&#125;",
        "1",
    ]
    texts = pd.Series(["Bontoa", None, "Bontoa"], dtype="str")
    assert _escaped(texts) == ["Bontoa", "", "Bontoa"]
