"""Open a published GeoPackage and project in real QGIS (run with the system python3).

Prints one JSON object: per layer its validity, feature count, renderer type
and whether its default style came from the file; the project's layers; and
every warning QGIS or GDAL logged.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsProject,
    QgsVectorLayer,
)

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
    }

project = QgsProject.instance()
result["project_read"] = project.read(project_path)
result["project_layers"] = [
    [
        layer.name(),
        layer.isValid(),
        layer.renderer().type() if hasattr(layer, "renderer") and layer.renderer() else None,
    ]
    for layer in project.layerTreeRoot().layerOrder()
]
result["messages"] = messages
print(json.dumps(result), flush=True)
# QGIS 3.22 can crash while tearing down a loaded project; the checks are done.
os._exit(0)
