"""The GeoPackage and project in real QGIS 3.22 (Debian's qgis, run with the system python3)."""

import csv
import json
import os
import sqlite3
import subprocess
import tomllib
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from conftest import PROJECT

from jangkau import pipeline
from jangkau.config.catalogue import distance_services, load_catalogue
from jangkau.publish.layers import field_aliases, qgis_project

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
    table = tomllib.loads(
        (PROJECT / "jangkau" / "config" / "data" / "layanan.toml").read_text(encoding="utf-8")
    )
    standards = table["layanan"]
    # Network services that are no point service get a row of their own (issue 16).
    networks_only = {n["kode"] for n in table["jaringan"]} - {s["kode"] for s in standards}
    return {
        "layanan_baris": len(standards) + len(networks_only),
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


@pytest.fixture(scope="module")
def qgis_report(maros_outputs):
    """What real QGIS reads from the published GeoPackage and project (``qgis_check.py``)."""
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
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def distance_service_names():
    """Names of the services with a distance standard, in the standards file's order."""
    standards = tomllib.loads(
        (PROJECT / "jangkau" / "config" / "data" / "layanan.toml").read_text(encoding="utf-8")
    )["layanan"]
    return [service["nama"] for service in standards if "radius_desa_m" in service]


def gpkg_count(gpkg: Path, sql: str) -> int:
    with closing(sqlite3.connect(gpkg)) as connection:
        return connection.execute(sql).fetchone()[0]


def test_qgis_opens_every_layer_styled(qgis_report, expected_counts):
    report = qgis_report
    assert report["version"].startswith("3.22")
    layers = report["layers"]
    counts = {name: layers[name]["features"] for name in layers if layers[name]["valid"]}
    expected = expected_counts
    # Every input record ends placed or rejected; the files carry faults, so some are rejected.
    assert counts["aset"] + counts["aset_ditolak"] == expected["aset_records"]
    assert counts["aset"] > 0 and counts["aset_ditolak"] > 0
    assert (counts["kecamatan"], counts["desa"]) == (expected["kecamatan"], expected["desa"])
    assert counts["layanan"] == expected["layanan_baris"]
    assert counts["kesenjangan"] == expected["kecamatan"] * expected["layanan"]
    assert layers["kecamatan"]["renderer"] == "graduatedSymbol"
    assert layers["desa"]["renderer"] == "graduatedSymbol"
    assert layers["aset"]["renderer"] == "categorizedSymbol"
    # One stored style per service with a distance standard.
    assert layers["kecamatan"]["styles_in_file"] == expected["distance_services"]
    # A layer dragged in from the GeoPackage gets the aliases too (every field but fid).
    assert layers["kecamatan"]["aliases"] == len(report["project"]["kecamatan"]["aliases"]) - 1
    assert report["project_read"] is True
    assert [(name, valid) for name, valid, _ in report["project_layers"]] == [
        ("usulan_lokasi", True),
        ("aset", True),
        ("desa", True),
        ("kecamatan", True),
    ]
    assert layers["usulan_lokasi"]["valid"] and layers["usulan_lokasi"]["styles_in_file"] == 1
    assert report["messages"] == []


def test_project_crs_is_valid_epsg_4326(qgis_report):
    assert qgis_report["project_crs"] == {"valid": True, "authid": "EPSG:4326"}
    spatial = [name for name, _, renderer in qgis_report["project_layers"] if renderer]
    assert spatial and all(qgis_report["project"][name]["crs_valid"] for name in spatial)


def test_project_opens_on_one_service(qgis_report, maros_outputs, distance_service_names):
    project = qgis_report["project"]
    visible = {name for name, layer in project.items() if layer["visible"]}
    assert visible == {"usulan_lokasi", "aset", "kecamatan"}
    first = distance_service_names[0]
    assert first == "Sekolah Dasar"
    assert project["kecamatan"]["current_style"] == "cakupan Sekolah Dasar"
    assert project["kecamatan"]["attribute"] == "cakupan_sd"
    # Only that service's assets and proposals are drawn (the other services are unticked).
    gpkg = maros_outputs / "coverage.gpkg"
    sd_assets = gpkg_count(gpkg, "SELECT count(*) FROM aset WHERE layanan = 'sd'")
    sd_proposals = gpkg_count(gpkg, "SELECT count(*) FROM usulan_lokasi WHERE layanan = 'sd'")
    assert 0 < sd_assets < gpkg_count(gpkg, "SELECT count(*) FROM aset")
    assert project["aset"]["drawn"] == sd_assets
    assert project["usulan_lokasi"]["drawn"] == sd_proposals
    assert qgis_report["labels_placed"].get("usulan_lokasi", 0) == sd_proposals
    # Everything else waits, unticked, in one collapsed group.
    groups = [node for node in qgis_report["tree"] if "group" in node]
    assert len(groups) == 1
    assert groups[0]["group"] == "Lapisan lain"
    assert (groups[0]["checked"], groups[0]["expanded"]) == (False, False)
    assert "desa" in groups[0]["layers"]
    assert set(groups[0]["layers"]) | visible == set(project)


def test_every_kecamatan_is_labelled(qgis_report, expected_counts):
    # The labelling engine, drawing the whole kabupaten small, places a name on every kecamatan.
    assert qgis_report["labels_placed"]["kecamatan"] == expected_counts["kecamatan"] == 14
    kecamatan = qgis_report["project"]["kecamatan"]
    assert kecamatan["labels_enabled"] and kecamatan["label_field"] == "kecamatan"
    assert kecamatan["label_display_all"] is True


def test_kecamatan_and_desa_fields_have_indonesian_aliases(qgis_report):
    project = qgis_report["project"]
    for layer in ("kecamatan", "desa"):
        aliases = project[layer]["aliases"]
        assert aliases["penduduk"] == "Penduduk"
        assert aliases["cakupan_sd"] == "Cakupan Sekolah Dasar (bagian penduduk, 0–1)"
        assert aliases["cakupan_tps"] == (
            "Cakupan Tempat Penampungan Sementara (TPS) (bagian penduduk, 0–1)"
        )
        assert aliases["indeks_kesenjangan"] == "Indeks kesenjangan semua layanan (0–100)"
        assert all(alias for field, alias in aliases.items() if field != "fid"), aliases
    assert project["desa"]["aliases"]["desa"] == "Desa/Kelurahan"
    assert project["kecamatan"]["aliases"]["layanan_paling_mendesak"] == "Layanan paling mendesak"


def test_every_service_style_is_in_the_style_menu(qgis_report, distance_service_names):
    project = qgis_report["project"]
    expected = {f"cakupan {name}" for name in distance_service_names}
    assert len(expected) == 10
    for layer in ("kecamatan", "desa"):
        assert set(project[layer]["styles"]) == expected
    for layer in ("aset", "usulan_lokasi"):
        assert set(project[layer]["styles"]) == {*distance_service_names, "semua layanan"}
    # Switching style keeps the aliases and the labels, and shades by that service.
    switched = qgis_report["after_switch"]
    assert switched["current_style"] == sorted(expected)[1] == "cakupan Pos Pemadam Kebakaran"
    assert switched["attribute"] == "cakupan_pemadam"
    assert switched["aliases"] == project["kecamatan"]["aliases"]
    assert switched["labels_enabled"] and switched["label_display_all"]


def test_travel_time_columns_get_aliases_too():
    """Maros has no road file; the travel-time columns of a region with one are named too."""
    columns = ["fid", "cakupan_sd", "cakupan_waktu_sd", "waktu_median_sd", "waktu_p90_sd", "lain"]
    assert field_aliases(columns, {"sd": "Sekolah Dasar"}) == {
        "cakupan_sd": "Cakupan Sekolah Dasar (bagian penduduk, 0–1)",
        "cakupan_waktu_sd": "Cakupan waktu tempuh Sekolah Dasar (bagian penduduk, 0–1)",
        "waktu_median_sd": "Waktu tempuh median Sekolah Dasar (menit)",
        "waktu_p90_sd": "Waktu tempuh 90 % penduduk Sekolah Dasar (menit)",
    }


def test_project_refuses_a_layer_not_in_epsg_4326():
    catalogue = load_catalogue()
    layer = gpd.GeoDataFrame({"kecamatan": ["A"]}, geometry=[shapely.Point(0, 0)], crs=32750)
    with pytest.raises(ValueError, match="EPSG:4326"):
        qgis_project(
            {"kecamatan": layer},
            catalogue,
            distance_services(catalogue),
            title="uji",
            gpkg_name="coverage.gpkg",
        )
