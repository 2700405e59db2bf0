"""QGIS styles (QML) and a QGIS project for the published GeoPackage.

Pure text builders: :mod:`jangkau.publish.geopackage` stores the styles in the
GeoPackage's ``layer_styles`` table (so a layer dragged into QGIS arrives
styled) and writes the project beside it. The XML follows what QGIS 3.22 LTR
writes, which later versions also read: the CRS written in full (QGIS reads
one given by its authid alone as invalid), every style of a layer in the
project's style manager (*Layer → Styles*), field aliases inside each style
(switching style would otherwise drop them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape, quoteattr

import pyproj

from jangkau.config.labels import labels

QGIS_VERSION = "3.22.16-Białowieża"


def _rgb(hex_colour: str, alpha: int = 255) -> str:
    value = hex_colour.lstrip("#")
    return ",".join(str(int(value[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


@cache
def _option(name: str, value: str) -> str:
    # Cached: a province's styles repeat the same few hundred options 11,000 times.
    return f'<Option name={quoteattr(name)} type="QString" value={quoteattr(value)}/>'


def _options(values: dict[str, str]) -> str:
    inner = "".join(_option(k, v) for k, v in values.items())
    return f'<Option type="Map">{inner}</Option>'


def _fill_symbol(name: str, colour: str) -> str:
    layer = _options(
        {
            "color": _rgb(colour, 210),
            "outline_color": "70,70,70,255",
            "outline_style": "solid",
            "outline_width": "0.26",
            "outline_width_unit": "MM",
            "style": "solid",
        }
    )
    return (
        f'<symbol type="fill" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">{layer}</layer></symbol>'
    )


def _marker_symbol(name: str, colour: str, *, shape: str = "circle", size: str = "2.8") -> str:
    layer = _options(
        {
            "color": _rgb(colour),
            "name": shape,
            "outline_color": "255,255,255,255",
            "outline_style": "solid",
            "outline_width": "0.3",
            "outline_width_unit": "MM",
            "size": size,
            "size_unit": "MM",
            "joinstyle": "bevel",
            "angle": "0",
            "vertical_anchor_point": "1",
            "horizontal_anchor_point": "1",
        }
    )
    return (
        f'<symbol type="marker" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleMarker" enabled="1" locked="0" pass="0">{layer}</layer></symbol>'
    )


def _labeling(field: str, *, size: str = "9") -> str:
    """Return simple labels on ``field``, every feature labelled even where labels collide.

    ``displayAll`` is what keeps all of them: without it QGIS drops a
    kecamatan name that touches an asset marker or a neighbour's name, and a
    planner sees a handful of the kabupaten's kecamatan named.
    """
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} fontSize="{size}" fontFamily="Sans Serif" textColor="20,20,20,255" '
        'isExpression="0" fontSizeUnit="Point" fontWeight="50" namedStyle="Regular">'
        '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" bufferColor="255,255,255,255"/>'
        "</text-style>"
        '<placement placement="1" priority="10" overrunDistance="0" centroidInside="1" centroidWhole="0" '
        'fitInPolygonOnly="0" quadOffset="4" dist="0" offsetType="0"/>'
        '<rendering scaleVisibility="0" obstacle="1" displayAll="1" drawLabels="1" labelPerPart="0" '
        'limitNumLabels="0" fontLimitPixelSize="0" minFeatureSize="0"/>'
        "</settings></labeling>"
    )


def _aliases(aliases: dict[str, str]) -> str:
    inner = "".join(
        f"<alias field={quoteattr(field)} name={quoteattr(alias)}/>"
        for field, alias in aliases.items()
    )
    return f"<aliases>{inner}</aliases>"


def _document(renderer: str, labeling: str = "", aliases: dict[str, str] | None = None) -> str:
    enabled = "1" if labeling else "0"
    # Fields is listed only when the style carries aliases: importing the
    # Fields category from a style without them would clear the layer's.
    categories = "Symbology|Labeling|Fields" if aliases else "Symbology|Labeling"
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="{categories}" labelsEnabled="{enabled}">'
        f"{renderer}{labeling}{_aliases(aliases) if aliases else ''}</qgis>"
    )


def coverage_renderer(field: str) -> str:
    """Return a graduated renderer on a 0–1 coverage field, in the map page's colour classes."""
    classes = labels()["kelas_warna"]
    bounds = [0, *classes["batas"], 100]
    ranges, symbols = [], []
    for index, colour in enumerate(classes["warna"]):
        lower, upper = bounds[index] / 100, bounds[index + 1] / 100
        label = f"{bounds[index]}–{bounds[index + 1]} %"
        ranges.append(
            f'<range lower="{lower:.2f}" upper="{upper:.2f}" symbol="{index}" label={quoteattr(label)} render="true"/>'
        )
        symbols.append(_fill_symbol(str(index), colour))
    return (
        f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(field)} graduatedMethod="GraduatedColor" '
        'symbollevels="0" enableorderby="0" forceraster="0">'
        f"<ranges>{''.join(ranges)}</ranges><symbols>{''.join(symbols)}</symbols>"
        '<classificationMethod id="Fixed"><symmetricMode enabled="0" symmetrypoint="0" astride="0"/>'
        '<labelFormat format="%1 - %2" labelprecision="2" trimtrailingzeroes="1"/>'
        "<parameters><Option/></parameters><extraInformation/></classificationMethod>"
        "</renderer-v2>"
    )


def coverage_style(field: str, name_field: str, *, aliases: dict[str, str] | None = None) -> str:
    """Return the QML for a kecamatan or desa layer shaded by one coverage field and labelled by name.

    Parameters
    ----------
    field
        The ``cakupan_<layanan>`` field shaded.
    name_field
        The field labelled.
    aliases
        Field name to the name a planner reads in the attribute table.
    """
    return _document(coverage_renderer(field), _labeling(name_field), aliases)


def _categorized(
    field: str,
    classes: list[tuple[str, str, str]],
    shown: set[str] | None,
    *,
    shape: str,
    size: str,
) -> str:
    """Return a categorized renderer; ``(value, label, colour)`` per class, ``""`` for all other values.

    Classes outside ``shown`` are unticked in the layer's legend: QGIS draws
    neither their markers nor their labels until the planner ticks them.
    """
    categories, symbols = [], []
    for index, (value, label, colour) in enumerate(classes):
        render = "true" if shown is None or value in shown else "false"
        categories.append(
            f'<category value={quoteattr(value)} symbol="{index}" label={quoteattr(label)} '
            f'render="{render}"/>'
        )
        symbol_size = "2.2" if value == "" and shape == "circle" else size
        symbols.append(_marker_symbol(str(index), colour, shape=shape, size=symbol_size))
    return (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" '
        'enableorderby="0" forceraster="0">'
        f"<categories>{''.join(categories)}</categories><symbols>{''.join(symbols)}</symbols></renderer-v2>"
    )


def asset_style(services: list[tuple[str, str]], *, shown: set[str] | None = None) -> str:
    """Return the QML for ``aset``: one coloured marker per service, grey for the rest.

    Parameters
    ----------
    services
        ``(layanan, nama)`` pairs in legend order.
    shown
        Services drawn (ticked in the legend); ``None`` draws every asset.
    """
    icons = labels()["ikon"]
    classes = [(code, name, icons.get(code, {}).get("warna", "#555555")) for code, name in services]
    classes.append(("", "Aset lain", "#555555"))
    return _document(_categorized("layanan", classes, shown, shape="circle", size="2.8"))


def proposal_style(services: list[tuple[str, str]], *, shown: set[str] | None = None) -> str:
    """Return the QML for ``usulan_lokasi``: large purple diamonds per service, labelled with their order.

    Parameters
    ----------
    services
        ``(layanan, nama)`` pairs in legend order.
    shown
        Services drawn (ticked in the legend); ``None`` draws every proposal.
    """
    classes = [(code, name, "#6a00a8") for code, name in services]
    renderer = _categorized("layanan", classes, shown, shape="diamond", size="5")
    return _document(renderer, _labeling("urutan", size="10"))


@dataclass(frozen=True)
class ProjectLayer:
    """One layer of the project as it opens.

    Attributes
    ----------
    name
        Layer name in the GeoPackage.
    geometry
        ``Point``, ``Line``, ``Polygon`` or ``No geometry``.
    wkb
        QGIS wkb type (``MultiPolygon``, ``NoGeometry``, ...).
    styles
        ``(style name, QML)``; the first is the one shown, the others are
        listed under *Layer → Styles*.
    shown
        Drawn on open (else it sits unticked in the collapsed group).
    """

    name: str
    geometry: str
    wkb: str
    styles: tuple[tuple[str, str], ...] = ()
    shown: bool = False


@cache
def _spatialrefsys() -> str:
    """EPSG:4326 written as QGIS 3.22 writes it.

    QGIS reads a CRS by its ``authid`` only when ``srsid`` (the row of
    EPSG:4326 in QGIS's own ``srs.db``) is present; otherwise it falls back
    to the WKT. Both are written, so the CRS is valid either way.
    """
    wkt = pyproj.CRS.from_epsg(4326).to_wkt("WKT2_2019")
    return (
        f"<spatialrefsys><wkt>{escape(wkt)}</wkt><proj4>+proj=longlat +datum=WGS84 +no_defs</proj4>"
        "<srsid>3452</srsid><srid>4326</srid><authid>EPSG:4326</authid><description>WGS 84</description>"
        "<projectionacronym>longlat</projectionacronym><ellipsoidacronym>EPSG:7030</ellipsoidacronym>"
        "<geographicflag>true</geographicflag></spatialrefsys>"
    )


def _body(qml: str) -> str:
    """Return the ``<qgis>`` element's children of a QML document (what a ``maplayer`` holds)."""
    return qml[qml.index(">", qml.index("<qgis ")) + 1 : qml.rindex("</qgis>")]


def _maplayer(layer: ProjectLayer, layer_id: str, source: str) -> str:
    current = layer.styles[0][1] if layer.styles else ""
    enabled = ' labelsEnabled="1"' if "<labeling" in current else ""
    # The shown style lives in the layer itself; the style manager keeps the others whole.
    stored = "".join(
        f"<map-layer-style name={quoteattr(name)}>{qml[qml.index('<qgis ') :]}</map-layer-style>"
        for name, qml in layer.styles[1:]
    )
    manager = (
        f"<map-layer-style-manager current={quoteattr(layer.styles[0][0])}>"
        f"<map-layer-style name={quoteattr(layer.styles[0][0])}/>{stored}</map-layer-style-manager>"
        if layer.styles
        else ""
    )
    srs = f"<srs>{_spatialrefsys()}</srs>" if layer.geometry != "No geometry" else ""
    return (
        f'<maplayer type="vector" geometry="{layer.geometry}" wkbType="{layer.wkb}"{enabled} '
        'readOnly="0" autoRefreshEnabled="0">'
        f"<id>{layer_id}</id><datasource>{escape(source)}</datasource>"
        f"<layername>{escape(layer.name)}</layername>{srs}"
        f'<provider encoding="UTF-8">ogr</provider>{manager}'
        f"{_body(current) if current else ''}</maplayer>"
    )


def project_xml(*, title: str, gpkg_name: str, layers: list[ProjectLayer], group: str) -> str:
    """Return a QGIS project (.qgs) that opens the GeoPackage's layers, styled, top layer first.

    Parameters
    ----------
    title
        Project title.
    gpkg_name
        File name of the GeoPackage, referenced relative to the project.
    layers
        Top to bottom. Shown layers sit at the top of the layer tree; the
        others go, unticked, into one collapsed group placed just above the
        lowest shown layer (so a desa layer ticked on draws above kecamatan).
    group
        Name of that group.
    """
    ids = {
        layer.name: f"{layer.name}_{uuid.uuid5(uuid.NAMESPACE_URL, title + layer.name).hex[:12]}"
        for layer in layers
    }
    sources = {layer.name: f"./{gpkg_name}|layername={layer.name}" for layer in layers}

    def node(layer: ProjectLayer) -> str:
        checked = "Qt::Checked" if layer.shown else "Qt::Unchecked"
        return (
            f'<layer-tree-layer id="{ids[layer.name]}" name={quoteattr(layer.name)} '
            f'source={quoteattr(sources[layer.name])} providerKey="ogr" checked="{checked}" '
            f'expanded="{1 if layer.shown else 0}"><customproperties/></layer-tree-layer>'
        )

    shown = [layer for layer in layers if layer.shown]
    hidden = [layer for layer in layers if not layer.shown]
    others = (
        f'<layer-tree-group name={quoteattr(group)} checked="Qt::Unchecked" expanded="0">'
        f"<customproperties/>{''.join(node(layer) for layer in hidden)}</layer-tree-group>"
        if hidden
        else ""
    )
    tree = "".join(node(layer) for layer in shown[:-1]) + others
    tree += node(shown[-1]) if shown else ""
    order = [*shown[:-1], *hidden, *shown[-1:]]
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}">'
        f"<title>{escape(title)}</title>"
        f"<projectCrs>{_spatialrefsys()}</projectCrs>"
        f'<layer-tree-group><customproperties/>{tree}<custom-order enabled="0">'
        f"{''.join(f'<item>{ids[layer.name]}</item>' for layer in order)}</custom-order>"
        "</layer-tree-group>"
        "<projectlayers>"
        f"{''.join(_maplayer(layer, ids[layer.name], sources[layer.name]) for layer in layers)}"
        "</projectlayers>"
        f"<layerorder>{''.join(f'<layer id={quoteattr(ids[layer.name])}/>' for layer in order)}"
        "</layerorder>"
        # Without ProjectionsEnabled QGIS ignores <projectCrs> and the project has no CRS.
        '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
        '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys>'
        "</properties>"
        "</qgis>"
    )
