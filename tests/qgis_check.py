"""Open a published GeoPackage and project in real QGIS (run with the system python3).

Prints one JSON object: per layer its validity, feature count, renderer type
and whether its default style came from the file; the project as QGIS reads
it (CRS, layer tree, styles, aliases, labels, what the renderers draw, which
labels the labelling engine places on a map of the whole kabupaten); and
every warning QGIS or GDAL logged.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsLayerTreeGroup,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRenderContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402

gpkg, project_path = sys.argv[1], sys.argv[2]
application = QgsApplication([], False)
application.initQgis()
messages = []
QgsApplication.messageLog().messageReceived.connect(
    lambda message, tag, level: (
        messages.append([tag, int(level), message]) if level >= Qgis.Warning else None
    )
)

result = {"layers": {}, "version": Qgis.QGIS_VERSION}
for name in [
    "kecamatan",
    "desa",
    "aset",
    "aset_ditolak",
    "kesenjangan",
    "layanan",
    "usulan_lokasi",
]:
    options = QgsVectorLayer.LayerOptions(True, False)
    layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr", options)
    if not layer.isValid():
        result["layers"][name] = {"valid": False}
        continue
    renderer = layer.renderer()
    result["layers"][name] = {
        "valid": True,
        "features": layer.featureCount(),
        "renderer": renderer.type() if renderer else None,
        "styles_in_file": layer.listStylesInDatabase()[0],
        "aliases": sum(bool(layer.attributeAlias(i)) for i in range(len(layer.fields()))),
    }


def drawn_features(layer):
    """Feature ids the layer's renderer draws (unticked legend classes draw nothing)."""
    context = QgsRenderContext()
    renderer = layer.renderer().clone()
    renderer.startRender(context, layer.fields())
    drawn = [f.id() for f in layer.getFeatures() if renderer.willRenderFeature(f, context)]
    renderer.stopRender(context)
    return drawn


def describe(layer, node):
    entry = {"valid": layer.isValid(), "visible": node.isVisible()}
    if not hasattr(layer, "renderer"):
        return entry
    renderer = layer.renderer()
    entry |= {
        "renderer": renderer.type() if renderer else None,
        "attribute": renderer.classAttribute() if hasattr(renderer, "classAttribute") else None,
        "styles": layer.styleManager().styles(),
        "current_style": layer.styleManager().currentStyle(),
        "aliases": {
            field.name(): layer.attributeAlias(i) for i, field in enumerate(layer.fields())
        },
        "labels_enabled": layer.labelsEnabled(),
        "label_display_all": bool(layer.labeling() and layer.labeling().settings().displayAll),
        "label_field": layer.labeling().settings().fieldName if layer.labeling() else None,
        "drawn": len(drawn_features(layer)) if renderer else 0,
        "crs_valid": layer.crs().isValid(),
    }
    return entry


project = QgsProject.instance()
result["project_read"] = project.read(project_path)
result["project_crs"] = {"valid": project.crs().isValid(), "authid": project.crs().authid()}
root = project.layerTreeRoot()
result["project_layers"] = [
    [
        layer.name(),
        layer.isValid(),
        layer.renderer().type() if hasattr(layer, "renderer") and layer.renderer() else None,
    ]
    for layer in root.layerOrder()
]
result["tree"] = [
    (
        {
            "group": child.name(),
            "checked": child.itemVisibilityChecked(),
            "expanded": child.isExpanded(),
            "layers": [grandchild.name() for grandchild in child.children()],
        }
        if isinstance(child, QgsLayerTreeGroup)
        else {"layer": child.name()}
    )
    for child in root.children()
]
result["project"] = {
    node.layer().name(): describe(node.layer(), node) for node in root.findLayers() if node.layer()
}

# Render the visible layers over the whole kabupaten and ask the engine which labels it placed.
# A small map (400 px square, an overview) makes kecamatan names collide: QGIS then drops
# some unless the labelling keeps them all.
kecamatan = project.mapLayersByName("kecamatan")[0]
settings = QgsMapSettings()
settings.setLayers([layer for layer in root.layerOrder() if root.findLayer(layer).isVisible()])
settings.setDestinationCrs(project.crs())
settings.setOutputSize(QSize(400, 400))
settings.setExtent(kecamatan.extent())
job = QgsMapRendererSequentialJob(settings)
job.start()
job.waitForFinished()
placed = {}
for label in job.takeLabelingResults().allLabels():
    name = project.mapLayer(label.layerID).name()
    placed.setdefault(name, set()).add(label.featureId)
result["labels_placed"] = {name: len(ids) for name, ids in placed.items()}

# Switching to another stored style keeps the aliases and labels.
styles = kecamatan.styleManager().styles()
if len(styles) > 1:
    kecamatan.styleManager().setCurrentStyle(styles[1])
    result["after_switch"] = describe(kecamatan, root.findLayer(kecamatan))
result["messages"] = messages
print(json.dumps(result), flush=True)
# QGIS 3.22 can crash while tearing down a loaded project; the checks are done.
os._exit(0)
