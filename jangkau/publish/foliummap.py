"""The offline map page, built with folium from :func:`jangkau.publish.webmap.page_data`.

folium draws the map, its layers and controls: one ``GeoJson`` per polygon
layer styled by a JavaScript function from each feature's properties, one
``FastMarkerCluster`` per service for the facilities (created from compact
rows, clustered only when shown), ``LayerControl``, ``Fullscreen`` and
``LocateControl``. What folium has no element for (service switch, legend,
place names, search, ranked list, desa detail on zoom) is the page's own
plugin, ``peta.js``, started by :class:`MulaiPeta` once folium's layers exist.
"""

from __future__ import annotations

import html

import folium
from folium.elements import JSCSSMixin
from folium.plugins import FastMarkerCluster, Fullscreen, LocateControl
from folium.template import Template
from folium.utilities import JsCode

from jangkau.config.labels import labels
from jangkau.publish.offline import OfflineFigure, json_block, json_text
from jangkau.publish.webassets import WebAssets

# Parts of page_data that folium layers carry; the rest goes into the page's data block.
LAYER_PARTS = ("kecamatan", "desa", "aset")


class KodePeta(JSCSSMixin, folium.MacroElement):
    """The page's own code (and Fuse.js for fuzzy search), inlined in the header."""

    default_js = [
        ("fuse_js", "npm:fuse.js/dist/fuse.min.js"),
        ("jangkau_peta_js", "jangkau:peta.js"),
        ("jangkau_waktu_js", "jangkau:peta_waktu.js"),
        ("jangkau_status_js", "jangkau:peta_status.js"),
        ("jangkau_aset_js", "jangkau:peta_aset.js"),
    ]
    default_css = [("jangkau_peta_css", "jangkau:peta.css")]


class MulaiPeta(folium.MacroElement):
    """Start ``peta.js`` with the JavaScript names folium gave each layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        jangkauPlugin.mulai({{ this.layers|tojavascript }}, {{ this.clusters }});
        {% endmacro %}
        """
    )

    def __init__(self, layers: dict, clusters: dict[str, FastMarkerCluster]) -> None:
        super().__init__()
        self._name = "MulaiPeta"
        self.layers = layers
        # Written out here: tojavascript would camelize the service codes (rumah_sakit).
        # The codes are escaped page data; json_text keeps them inside their string.
        self.clusters = (
            "{"
            + ",".join(f"{json_text(code)}:{c.get_name()}" for code, c in clusters.items())
            + "}"
        )


def _group(peta: folium.Map, name: str, *, show: bool, control: bool = True) -> folium.FeatureGroup:
    return folium.FeatureGroup(name=name, overlay=True, show=show, control=control).add_to(peta)


def _polygons(collection: dict, parent: folium.Element, *, kind: str, show: bool) -> folium.GeoJson:
    return folium.GeoJson(
        collection,
        name=kind,
        control=False,
        show=show,
        style=JsCode("jangkauPlugin.gaya"),
        on_each_feature=JsCode(f"jangkauPlugin.fitur_{kind}"),
    ).add_to(parent)


def _roads(travel: dict | None) -> dict | None:
    """Return the road classes of the travel-time data as one GeoJSON feature per class."""
    if not travel or not travel.get("jalan"):
        return None
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": road["garis"]},
                "properties": {"kelas": road["kelas"], "km_per_jam": road["km_per_jam"]},
            }
            for road in travel["jalan"]
        ],
    }


def build_page(data: dict, assets: WebAssets) -> OfflineFigure:
    """Return the folium figure of the map page (render it with ``.render()``)."""
    words = data["kata"]
    plain = labels()["peta"]
    figure = OfflineFigure(title=html.unescape(data["judul"]), assets=assets)
    rest = {k: v for k, v in data.items() if k not in LAYER_PARTS}
    if rest.get("waktu"):
        rest["waktu"] = {k: v for k, v in rest["waktu"].items() if k != "jalan"}
    figure.header.add_child(json_block("data-peta", rest), name="data_peta")
    peta = folium.Map(
        location=[-4.0, 120.0],
        zoom_start=8,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,
        # Map options (folium's min_zoom/max_zoom set only its tile layer's): marker
        # clustering needs a maximum zoom even with no tile layer shown.
        minZoom=5,
        maxZoom=18,
    )
    # Only Leaflet: folium's default jQuery, Bootstrap and icon fonts are not used here.
    peta.default_js = [("leaflet", "npm:leaflet/dist/leaflet.js")]
    peta.default_css = [("leaflet_css", "npm:leaflet/dist/leaflet.css")]
    figure.add_child(peta)
    KodePeta().add_to(peta)
    folium.TileLayer("OpenStreetMap", name=words["peta_dasar"], overlay=True, show=False).add_to(
        peta
    )
    coverage = _group(peta, words["lapisan_cakupan"], show=True)
    kecamatan = _polygons(data["kecamatan"], coverage, kind="kecamatan", show=True)
    desa = _polygons(data["desa"], coverage, kind="desa", show=False)
    shown = _group(peta, words["lapisan_aset"], show=True)
    others = _group(peta, words["lapisan_aset_lain"], show=False)
    store = _group(peta, "gudang", show=False, control=False)
    distance = {s["kode"] for s in data["layanan"] if s["jarak"]}
    clusters = {}
    other_rows = []
    position = {s["kode"]: i for i, s in enumerate(data["layanan"])}
    for code, rows in data["aset"].items():
        if code not in distance:
            other_rows += rows
            continue
        clusters[code] = _cluster(rows, store, pane=f"aset-{position[code]}")
    other = _cluster(other_rows, others, pane="aset-lain")
    reach = _group(peta, words["lapisan_jangkauan"], show=False)
    proposals = _group(peta, words["lapisan_usulan"], show=True)
    # Filled by peta_aset.js only when switched on: a province has tens of thousands.
    inventory = _group(peta, words["lapisan_inventaris"], show=False)
    layers = {
        "peta": peta,
        "kecamatan": kecamatan,
        "desa": desa,
        "cakupan": coverage,
        "asetTampil": shown,
        "gudang": store,
        "asetLain": other,
        "jangkauan": reach,
        "usulan": proposals,
        "inventaris": inventory,
    }
    roads = _roads(data.get("waktu"))
    if roads is not None:
        travel_words = data["waktu"]["kata"]
        layers["jalan"] = folium.GeoJson(
            roads,
            name=travel_words["lapisan_jalan"],
            show=False,
            style=JsCode("jangkauPlugin.gayaJalan"),
            on_each_feature=JsCode("jangkauPlugin.fiturJalan"),
        ).add_to(peta)
        layers["waktu"] = _group(peta, travel_words["lapisan_waktu"], show=False)
    Fullscreen(
        position="topleft", title=plain["layar_penuh"], title_cancel=plain["keluar_layar_penuh"]
    ).add_to(peta)
    LocateControl(
        position="topleft",
        icon="lokasi-ikon",
        strings={"title": plain["lokasi_saya"], "popup": plain["lokasi_anda"]},
    ).add_to(peta)
    layers["kontrol"] = folium.LayerControl(
        position="topright", collapsed=JsCode("window.innerWidth < 700")
    ).add_to(peta)
    MulaiPeta(layers, clusters).add_to(peta)
    return figure


def _cluster(rows: list[list], parent: folium.Element, *, pane: str) -> FastMarkerCluster:
    """Return a marker cluster of asset rows; it clusters only once added to the map.

    Each service's clusters and markers live in a map pane of their own
    (``peta.js`` shows the chosen service's pane), so a service clustered
    once is switched to by showing its pane.
    """
    cluster = FastMarkerCluster(
        [],
        callback="jangkauPlugin.penanda",
        control=False,
        chunked_loading=True,
        chunk_interval=100,  # ms of clustering between frames: the page never freezes
        cluster_pane=pane,
        max_cluster_radius=45,
        icon_create_function="jangkauPlugin.ikonKelompok",
    )
    cluster.data = _located(rows)
    return cluster.add_to(parent)


def _located(rows: list[list]) -> list[list]:
    """Return the rows as ``FastMarkerCluster`` keeps them: lat, lon as floats, never NaN.

    folium's own check (``validate_location``) costs 41,600 calls of general
    checks for a province; the rows here are always lists of numbers first.
    """
    located = []
    for row in rows:
        lat, lon = float(row[0]), float(row[1])
        if lat != lat or lon != lon:
            raise ValueError(f"an asset row has no location: {row[:4]!r}")
        located.append([lat, lon, *row[2:]])
    return located


def render_page(data: dict, assets: WebAssets) -> str:
    """Return the self-contained map page: libraries, styles and data inlined.

    Parameters
    ----------
    data
        From :func:`jangkau.publish.webmap.page_data`; its texts are already
        HTML-escaped, because ``peta.js`` shows them as markup.
    assets
        The libraries and the page's own code, trusted as markup.
    """
    return build_page(data, assets).render()
