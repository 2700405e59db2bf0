"""The GeoPackage and project in real QGIS 3.22 (Debian's qgis, run with the system python3)."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import PROJECT

from jangkau import pipeline

HERE = Path(__file__).parent
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def maros_outputs(maros_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("qgis")
    region = pipeline.prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    pipeline.run_all(region, pipeline.OutputPaths.under(root, "maros"))
    return root / "data" / "processed" / "maros"


def test_geopackage_is_version_1_2_and_gdal_reads_it_without_warnings(maros_outputs):
    gpkg = maros_outputs / "coverage.gpkg"
    with gpkg.open("rb") as handle:
        header = handle.read(100)
    assert header[68:72] == b"GPKG" and int.from_bytes(header[60:64], "big") == 10200
    result = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", str(gpkg)], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "Warning" not in result.stdout + result.stderr


def test_qgis_opens_every_layer_styled(maros_outputs):
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    environment.pop("PYTHONPATH", None)
    result = subprocess.run(
        [
            SYSTEM_PYTHON,
            str(HERE / "qgis_check.py"),
            str(maros_outputs / "coverage.gpkg"),
            str(maros_outputs / "coverage.qgz"),
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["version"].startswith("3.22")
    layers = report["layers"]
    counts = {
        name: layers[name]["features"]
        for name in ("kecamatan", "desa", "aset", "aset_ditolak", "layanan")
    }
    assert counts == {"kecamatan": 14, "desa": 103, "aset": 862, "aset_ditolak": 31, "layanan": 14}
    assert layers["kesenjangan"]["features"] == 14 * 14
    assert layers["kecamatan"]["renderer"] == "graduatedSymbol"
    assert layers["desa"]["renderer"] == "graduatedSymbol"
    assert layers["aset"]["renderer"] == "categorizedSymbol"
    assert layers["kecamatan"]["styles_in_file"] == 10  # one per service with a distance standard
    assert report["project_read"] is True
    assert [(name, valid) for name, valid, _ in report["project_layers"]] == [
        ("usulan_lokasi", True),
        ("aset", True),
        ("desa", True),
        ("kecamatan", True),
    ]
    assert layers["usulan_lokasi"]["valid"] and layers["usulan_lokasi"]["styles_in_file"] == 1
    assert report["messages"] == []
