"""The GeoPackage and project in real QGIS 3.22 (Debian's qgis, run with the system python3)."""

import csv
import json
import os
import subprocess
import tomllib
from pathlib import Path

import openpyxl
import pytest
from conftest import PROJECT

from jangkau import pipeline

HERE = Path(__file__).parent
SYSTEM_PYTHON = "/usr/bin/python3"


def dbf_records(path: Path) -> int:
    """Records a dBASE table declares in its header (bytes 4-7, little-endian)."""
    with path.open("rb") as handle:
        return int.from_bytes(handle.read(8)[4:8], "little")


def csv_records(path: Path) -> int:
    """Non-blank lines below the header of a ``;``-separated table."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle, delimiter=";") if any(c.strip() for c in row)]
    return len(rows) - 1


def sheet_records(path: Path) -> int:
    """Non-blank rows below the header row (the row whose first cell is ``No``) of the first sheet."""
    rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "No")
    return sum(any(v not in (None, "") for v in row) for row in rows[header + 1 :])


def geojson_features(path: Path) -> int:
    return len(json.loads(path.read_text(encoding="utf-8"))["features"])


COUNTERS = {
    ".csv": csv_records,
    ".xlsx": sheet_records,
    ".geojson": geojson_features,
    ".shp": lambda path: dbf_records(path.with_suffix(".dbf")),
}


@pytest.fixture(scope="module")
def expected_counts(maros_dir):
    """Feature counts the published layers must have, read from the input and standards files."""
    region = tomllib.loads((PROJECT / "regions" / "maros.toml").read_text(encoding="utf-8"))
    asset_files = [maros_dir / entry["file"] for entry in region["aset"]]
    assert len(asset_files) == 4
    standards = tomllib.loads(
        (PROJECT / "jangkau" / "config" / "data" / "layanan.toml").read_text(encoding="utf-8")
    )["layanan"]
    return {
        "kecamatan": geojson_features(maros_dir / region["kecamatan"]["file"]),
        "desa": dbf_records(maros_dir / Path(region["desa"]["file"]).with_suffix(".dbf")),
        "aset_records": sum(COUNTERS[path.suffix](path) for path in asset_files),
        "layanan": len(standards),
        "distance_services": sum("radius_desa_m" in service for service in standards),
    }


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


def test_qgis_opens_every_layer_styled(maros_outputs, expected_counts):
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
    counts = {name: layers[name]["features"] for name in layers if layers[name]["valid"]}
    expected = expected_counts
    # Every input record ends placed or rejected; the files carry faults, so some are rejected.
    assert counts["aset"] + counts["aset_ditolak"] == expected["aset_records"]
    assert counts["aset"] > 0 and counts["aset_ditolak"] > 0
    assert (counts["kecamatan"], counts["desa"]) == (expected["kecamatan"], expected["desa"])
    assert counts["layanan"] == expected["layanan"]
    assert counts["kesenjangan"] == expected["kecamatan"] * expected["layanan"]
    assert layers["kecamatan"]["renderer"] == "graduatedSymbol"
    assert layers["desa"]["renderer"] == "graduatedSymbol"
    assert layers["aset"]["renderer"] == "categorizedSymbol"
    # One stored style per service with a distance standard.
    assert layers["kecamatan"]["styles_in_file"] == expected["distance_services"]
    assert report["project_read"] is True
    assert [(name, valid) for name, valid, _ in report["project_layers"]] == [
        ("usulan_lokasi", True),
        ("aset", True),
        ("desa", True),
        ("kecamatan", True),
    ]
    assert layers["usulan_lokasi"]["valid"] and layers["usulan_lokasi"]["styles_in_file"] == 1
    assert report["messages"] == []
