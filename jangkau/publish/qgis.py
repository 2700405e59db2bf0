"""QGIS styles (QML) and a QGIS project for the published GeoPackage.

Pure text builders: :mod:`jangkau.publish.geopackage` stores the styles in the
GeoPackage's ``layer_styles`` table (so a layer dragged into QGIS arrives
styled) and writes the project beside it. The XML follows what QGIS 3.22 LTR
writes, which later versions also read.
"""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape, quoteattr

from jangkau.config.labels import labels

QGIS_VERSION = "3.22.16-Białowieża"


def _rgb(hex_colour: str, alpha: int = 255) -> str:
    value = hex_colour.lstrip("#")
    return ",".join(str(int(value[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _options(values: dict[str, str]) -> str:
    inner = "".join(
        f'<Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>'
        for k, v in values.items()
    )
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
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} fontSize="{size}" fontFamily="Sans Serif" textColor="20,20,20,255" '
        'isExpression="0" fontSizeUnit="Point" fontWeight="50" namedStyle="Regular">'
        '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" bufferColor="255,255,255,255"/>'
        "</text-style>"
        '<placement placement="0" overrunDistance="0" centroidInside="1" centroidWhole="0"/>'
        '<rendering scaleVisibility="0" obstacle="1" fontLimitPixelSize="0"/>'
        "</settings></labeling>"
    )


def _document(renderer: str, labeling: str = "") -> str:
    enabled = "1" if labeling else "0"
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling" labelsEnabled="{enabled}">'
        f"{renderer}{labeling}</qgis>"
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


def coverage_style(field: str, name_field: str) -> str:
    """Return the QML for a kecamatan or desa layer shaded by one coverage field and labelled by name."""
    return _document(coverage_renderer(field), _labeling(name_field))


def asset_style(services: list[tuple[str, str]]) -> str:
    """Return the QML for ``aset``: one coloured marker per service, grey for the rest.

    Parameters
    ----------
    services
        ``(layanan, nama)`` pairs in legend order.
    """
    icons = labels()["ikon"]
    categories, symbols = [], []
    for index, (code, name) in enumerate(services):
        colour = icons.get(code, {}).get("warna", "#555555")
        categories.append(
            f'<category value={quoteattr(code)} symbol="{index}" label={quoteattr(name)} render="true"/>'
        )
        symbols.append(_marker_symbol(str(index), colour))
    other = len(services)
    categories.append(f'<category value="" symbol="{other}" label="Aset lain" render="true"/>')
    symbols.append(_marker_symbol(str(other), "#555555", size="2.2"))
    renderer = (
        '<renderer-v2 type="categorizedSymbol" attr="layanan" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<categories>{''.join(categories)}</categories><symbols>{''.join(symbols)}</symbols></renderer-v2>"
    )
    return _document(renderer)


def proposal_style() -> str:
    """Return the QML for ``usulan_lokasi``: a large purple diamond labelled with its order."""
    renderer = (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{_marker_symbol('0', '#6a00a8', shape='diamond', size='5')}</symbols></renderer-v2>"
    )
    return _document(renderer, _labeling("urutan", size="10"))


def project_xml(
    *, title: str, gpkg_name: str, layers: list[tuple[str, str, str]], styles: dict[str, str]
) -> str:
    """Return a QGIS project (.qgs) that opens the GeoPackage's layers, styled, top layer first.

    Parameters
    ----------
    title
        Project title.
    gpkg_name
        File name of the GeoPackage, referenced relative to the project.
    layers
        ``(layer name, geometry kind, QGIS wkb type)`` top to bottom; the
        geometry kind is ``Point``, ``Polygon`` or ``No geometry``.
    styles
        QML per layer name; its renderer and labels are copied into the project.
    """
    ids = {
        name: f"{name}_{uuid.uuid5(uuid.NAMESPACE_URL, title + name).hex[:12]}"
        for name, _, _ in layers
    }
    tree = "".join(
        f'<layer-tree-layer id="{ids[name]}" name={quoteattr(name)} '
        f'source="./{escape(gpkg_name)}|layername={escape(name)}" providerKey="ogr" '
        f'checked="{"Qt::Checked" if name not in ("desa",) else "Qt::Unchecked"}" expanded="0"><customproperties/>'
        "</layer-tree-layer>"
        for name, _, _ in layers
    )
    srs = (
        "<srs><spatialrefsys><wkt></wkt><proj4>+proj=longlat +datum=WGS84 +no_defs</proj4><srsid>3452</srsid>"
        "<srid>4326</srid><authid>EPSG:4326</authid><description>WGS 84</description><projectionacronym>longlat"
        "</projectionacronym><ellipsoidacronym>EPSG:7030</ellipsoidacronym><geographicflag>true</geographicflag>"
        "</spatialrefsys></srs>"
    )
    maplayers = []
    for name, geometry, wkb in layers:
        body = styles.get(name, "")
        inner = (
            body[body.index("<renderer-v2") : body.index("</qgis>")]
            if "<renderer-v2" in body
            else ""
        )
        enabled = ' labelsEnabled="1"' if "<labeling" in inner else ""
        maplayers.append(
            f'<maplayer type="vector" geometry="{geometry}" wkbType="{wkb}"{enabled} readOnly="0"'
            ' autoRefreshEnabled="0">'
            f"<id>{ids[name]}</id><datasource>./{escape(gpkg_name)}|layername={escape(name)}</datasource>"
            f"<layername>{escape(name)}</layername>{srs if geometry != 'No geometry' else ''}"
            '<provider encoding="UTF-8">ogr</provider>'
            f"{inner}</maplayer>"
        )
    order = "".join(f"<item>{ids[name]}</item>" for name, _, _ in layers)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}">'
        f"<title>{escape(title)}</title>"
        "<projectCrs><spatialrefsys><authid>EPSG:4326</authid><srid>4326</srid><description>WGS 84</description>"
        "</spatialrefsys></projectCrs>"
        f'<layer-tree-group><customproperties/>{tree}<custom-order enabled="0">{order}</custom-order>'
        "</layer-tree-group>"
        f"<projectlayers>{''.join(maplayers)}</projectlayers>"
        f"<layerorder>{''.join(f'<layer id={quoteattr(ids[n])}/>' for n, _, _ in layers)}</layerorder>"
        '<properties><Paths><Absolute type="bool">false</Absolute></Paths></properties>'
        "</qgis>"
    )
