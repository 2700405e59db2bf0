"""End-to-end runs of the Prefect flow on the demo region and on the real Maros files."""

import math
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from conftest import PROJECT
from coverage_check import assert_within_half_a_point, proposals_recompute

from flows.coverage import coverage_flow

LAYERS = {
    "kecamatan": ["kode_kec", "kecamatan", "penduduk"],
    "desa": ["kode_desa", "desa", "kode_kec", "kecamatan", "penduduk"],
    "aset": ["layanan", "jenis", "nama", "kode_desa", "kode_kec", "sumber", "baris", "perbaikan"],
    "aset_ditolak": ["sumber", "baris", "alasan", "data_asli"],
    "kesenjangan": [
        "kode_kec",
        "kecamatan",
        "layanan",
        "jumlah_fasilitas",
        "penduduk",
        "penduduk_terlayani",
        "cakupan",
        "kebutuhan",
        "kekurangan",
        "desa_tanpa_layanan",
        "memenuhi_minimum",
        "indeks_kesenjangan",
        "peringkat",
    ],
    "usulan_lokasi": [
        "layanan",
        "kode_kec",
        "kode_desa",
        "urutan",
        "tambahan_penduduk_terlayani",
        "cakupan_setelah",
    ],
    "layanan": [
        "layanan",
        "nama",
        "jenis_aset",
        "radius_kelurahan_m",
        "radius_desa_m",
        "penduduk_per_fasilitas",
        "minimum_per",
        "target_cakupan",
        "sumber_standar",
        "sumber_target_cakupan",
    ],
}
SERVICES = [
    "sd",
    "smp",
    "sma",
    "puskesmas",
    "pustu",
    "posyandu",
    "rumah_sakit",
    "perpustakaan",
    "pemadam",
    "tps",
]


DEMO_NETWORK_FILES = {
    "jaringan_pipa_pdam.geojson",
    "jalan_kabupaten_kondisi.geojson",
    "jaringan_listrik.geojson",
    "aset_area.geojson",
    "aset_campuran.geojson",
    "menara_bts.csv",
}


@pytest.fixture(scope="module")
def demo_run(prefect_harness, tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    result = coverage_flow(
        region_file=str(PROJECT / "regions" / "demo.toml"),
        data_dir=str(root / "raw"),
        out_root=str(root),
    )
    return root, result


@pytest.fixture(scope="module")
def maros_run(prefect_harness, maros_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("maros")
    result = coverage_flow(region_file=str(PROJECT / "regions" / "maros.toml"), out_root=str(root))
    return root, result


def check_contract(root: Path, name: str) -> Path:
    gpkg = root / "data" / "processed" / name / "coverage.gpkg"
    assert gpkg.exists()
    assert (root / "data" / "processed" / name / "kesenjangan_kecamatan.csv").exists()
    page = (root / "maps" / name / "index.html").read_text(encoding="utf-8")
    assert "Cakupan" in page and "leaflet" in page.lower()
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    assert set(LAYERS) <= set(layers)
    assert (
        layers["kecamatan"] == "MultiPolygon"
        and layers["aset"] == "Point"
        and layers["aset_ditolak"] is None
    )
    for layer, columns in LAYERS.items():
        present = pyogrio.read_info(gpkg, layer=layer)["fields"].tolist()
        assert set(columns) <= set(present), (layer, set(columns) - set(present))
        if layer in ("kecamatan", "desa"):
            assert [f"cakupan_{s}" for s in SERVICES] == [
                c
                for c in present
                if c.startswith("cakupan_") and not c.startswith("cakupan_jika_rusak_berat_tutup_")
            ]
        if layer in ("kecamatan", "desa"):
            assert "indeks_kesenjangan" in present
        if layer in ("kecamatan", "desa", "aset", "usulan_lokasi"):
            assert pyogrio.read_info(gpkg, layer=layer)["crs"] == "EPSG:4326"
    return gpkg


def every_record_once(gpkg, expected: dict[str, int]):
    present = set(pyogrio.list_layers(gpkg)[:, 0])
    placed = pd.concat(
        [
            gpd.read_file(gpkg, layer=layer)[["sumber", "baris"]]
            for layer in ("aset", "aset_garis", "aset_area")
            if layer in present
        ],
        ignore_index=True,
    )
    rejected = gpd.read_file(gpkg, layer="aset_ditolak")[["sumber", "baris"]]
    both = pd.concat([placed, rejected], ignore_index=True)
    assert not both.duplicated().any()
    for source, count in expected.items():
        assert sorted(both.loc[both["sumber"] == source, "baris"]) == list(range(1, count + 1)), (
            source
        )
    assert set(both["sumber"]) == set(expected)


def test_demo_outputs_keep_the_contract(demo_run):
    root, result = demo_run
    gpkg = check_contract(root, "demo")
    assert result["keluaran"]["geopackage"] == str(gpkg)
    kecamatan = gpd.read_file(gpkg, layer="kecamatan")
    assert kecamatan["kode_kec"].tolist() == ["99.01.01", "99.01.02", "99.01.03"]
    assert kecamatan["penduduk"].tolist() == [24000, 12000, 8002]
    gaps = gpd.read_file(gpkg, layer="kesenjangan")
    assert len(gaps) == 3 * 14
    every_record_once(
        gpkg,
        {
            "sekolah.csv": 19,
            "fasilitas_kesehatan.xlsx": 9,
            "perpustakaan.geojson": 3,
            "layanan_publik.shp": 18,
            # Generated networks, polygons and a BTS list (issue 16), counted from the files.
            **{
                path.name: len(pd.read_csv(path) if path.suffix == ".csv" else gpd.read_file(path))
                for path in (root / "raw").iterdir()
                if path.name in DEMO_NETWORK_FILES
            },
        },
    )


def test_demo_publishes_network_measures_condition_and_register(demo_run):
    root, _ = demo_run
    gpkg = root / "data" / "processed" / "demo" / "coverage.gpkg"
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    assert layers["aset_garis"] in ("LineString", "MultiLineString")
    assert layers["aset_area"] in ("Polygon", "MultiPolygon")
    point_columns = pyogrio.read_info(gpkg, layer="aset")["fields"].tolist()
    for layer in ("aset", "aset_garis", "aset_area"):
        columns = pyogrio.read_info(gpkg, layer=layer)["fields"].tolist()
        assert set(point_columns) <= set(columns) and {"kondisi", "status_operasi"} <= set(columns)
    for layer in ("desa", "kecamatan"):
        columns = pyogrio.read_info(gpkg, layer=layer)["fields"].tolist()
        for service in ("air_minum", "listrik", "jalan"):
            assert f"terjangkau_{service}" in columns, (layer, service)
        for service in SERVICES:
            assert f"cakupan_jika_rusak_berat_tutup_{service}" in columns, (layer, service)
        frame = gpd.read_file(gpkg, layer=layer)
        assert frame["terjangkau_jalan"].between(0, 1).all()
    services = gpd.read_file(gpkg, layer="layanan").set_index("layanan")
    assert services.loc["air_minum", "jarak_jaringan_m"] == 100
    assert services.loc["jalan", "jarak_jaringan_m"] == 2000
    register = gpd.read_file(gpkg, layer="rekap_aset")
    assert list(register.columns) == [
        "kelas",
        "kode_kec",
        "kecamatan",
        "jumlah",
        "panjang_km",
        "luas_ha",
        "baik",
        "rusak_ringan",
        "rusak_sedang",
        "rusak_berat",
        "beroperasi",
        "sumber",
    ]
    book = openpyxl.load_workbook(
        root / "data" / "processed" / "demo" / "kesenjangan_kecamatan.xlsx", read_only=True
    )
    assert {"Rekap aset", "Sistem informasi"} <= set(book.sheetnames)


def test_demo_figures_known_by_hand(demo_run):
    root, _ = demo_run
    gpkg = root / "data" / "processed" / "demo" / "coverage.gpkg"
    desa = gpd.read_file(gpkg, layer="desa").set_index("desa")
    # Kelurahan Mawar: 10 km x 5 km, one SD in its middle, kelurahan radius 1 km.
    assert desa.loc["Mawar", "cakupan_sd"] == pytest.approx(math.pi * 1000**2 / 50e6, rel=2e-3)
    # Desa Pasir Putih: a taman bacaan in its middle, radius 1 km, nothing else near.
    assert desa.loc["Pasir Putih", "cakupan_perpustakaan"] == pytest.approx(
        math.pi * 1000**2 / 50e6, rel=2e-3
    )
    gaps = gpd.read_file(gpkg, layer="kesenjangan").set_index(["kode_kec", "layanan"])
    assert gaps.loc[("99.01.01", "polsek"), "jumlah_fasilitas"] == 1
    # SDN 5 has no coordinates; its row names its kecamatan: counted there, not drawn.
    assert gaps.loc[("99.01.02", "sd"), "jumlah_fasilitas"] == 4
    assert gaps.loc[("99.01.02", "sd"), "tanpa_koordinat"] == 1
    unlocated = gpd.read_file(gpkg, layer="tanpa_koordinat").set_index(["sumber", "baris"])
    assert bool(unlocated.loc[("sekolah.csv", 5), "dihitung"])
    # The school outside the kabupaten names no kecamatan of it ('Luar'): not counted.
    assert not bool(unlocated.loc[("sekolah.csv", 19), "dihitung"])
    assert math.isnan(gaps.loc[("99.01.01", "polsek"), "cakupan"])
    rejected = gpd.read_file(gpkg, layer="aset_ditolak").set_index(["sumber", "baris"])["alasan"]
    assert rejected[("sekolah.csv", 5)] == "koordinat kosong"
    assert rejected[("sekolah.csv", 18)].startswith("duplikat dari sekolah.csv baris 6")
    assert rejected[("sekolah.csv", 19)].startswith("di luar kabupaten")
    assert rejected[("fasilitas_kesehatan.xlsx", 9)].startswith("koordinat bernilai 0")
    assert rejected[("perpustakaan.geojson", 3)] == "koordinat kosong"


def test_demo_coverage_matches_the_exact_definition(demo_run):
    root, _ = demo_run
    assert_within_half_a_point(root / "data" / "processed" / "demo" / "coverage.gpkg")


def test_maros_outputs(maros_run):
    root, _ = maros_run
    gpkg = check_contract(root, "maros")
    kecamatan = gpd.read_file(gpkg, layer="kecamatan")
    assert kecamatan["kode_kec"].tolist() == [f"73.09.{i:02d}" for i in range(1, 15)]
    assert "Mallawa" in kecamatan["kecamatan"].tolist()
    desa = gpd.read_file(gpkg, layer="desa")
    assert len(desa) == 103 and desa.is_valid.all()
    assert kecamatan["penduduk"].sum() == 389_277 and desa["penduduk"].sum() == 389_277


def test_every_maros_record_is_placed_or_rejected_once(maros_run, maros_dir):
    root, _ = maros_run
    gpkg = root / "data" / "processed" / "maros" / "coverage.gpkg"
    # Counted independently of the project's readers.
    schools = pd.read_csv(maros_dir / "sekolah.csv", sep=";", dtype=str)
    health = pd.read_excel(maros_dir / "fasilitas_kesehatan.xlsx", header=3).dropna(how="all")
    libraries = pyogrio.read_info(maros_dir / "perpustakaan.geojson")["features"]
    services = pyogrio.read_info(maros_dir / "layanan_publik.shp")["features"]
    every_record_once(
        gpkg,
        {
            "sekolah.csv": len(schools),
            "fasilitas_kesehatan.xlsx": len(health),
            "perpustakaan.geojson": libraries,
            "layanan_publik.shp": services,
        },
    )


def test_maros_coverage_matches_the_exact_definition(maros_run):
    root, _ = maros_run
    assert_within_half_a_point(root / "data" / "processed" / "maros" / "coverage.gpkg")


def test_maros_quality_report_adds_up(maros_run):
    root, result = maros_run
    page = (root / "data" / "processed" / "maros" / "kualitas_data.html").read_text(
        encoding="utf-8"
    )
    for source in (
        "sekolah.csv",
        "fasilitas_kesehatan.xlsx",
        "perpustakaan.geojson",
        "layanan_publik.shp",
    ):
        assert source in page
    assert "<h1>Kualitas data — Kabupaten Maros</h1>" in page
    assert "TIDAK" not in page  # the 'cocok' column: read = placed + rejected for every file
    assert "| sekolah.csv | 465 | 439 | 18 | 26 | True |" in result["ringkasan"]["markdown"]


def test_maros_gap_table_and_catalogue(maros_run):
    root, _ = maros_run
    gpkg = root / "data" / "processed" / "maros" / "coverage.gpkg"
    gaps = gpd.read_file(gpkg, layer="kesenjangan")
    assert len(gaps) == 14 * 14 and not gaps.duplicated(["kode_kec", "layanan"]).any()
    measured = gaps[gaps["layanan"].isin(SERVICES) & (gaps["tingkat"] != "kabupaten")]
    assert measured["indeks_kesenjangan"].between(0, 100).all()
    for _, rows in measured.groupby("layanan"):
        assert sorted(rows["peringkat"]) == list(range(1, 15))
        assert (rows["jumlah_peringkat"] == 14).all()
        assert rows.sort_values("peringkat")["indeks_kesenjangan"].is_monotonic_decreasing
    # Hospitals and fire posts are judged for the whole kabupaten, not per kecamatan.
    per_kabupaten = gaps[gaps["layanan"].isin(["rumah_sakit", "pemadam"])]
    assert (per_kabupaten["tingkat"] == "kabupaten").all()
    assert (
        per_kabupaten["indeks_kesenjangan"].isna().all() and per_kabupaten["peringkat"].isna().all()
    )
    kabupaten = gpd.read_file(gpkg, layer="kesenjangan_kabupaten").set_index("layanan")
    assert kabupaten.loc[["rumah_sakit", "pemadam"], "indeks_kesenjangan"].between(0, 100).all()
    proposals = gpd.read_file(gpkg, layer="usulan_lokasi")
    # No fire post or hospital proposed per kecamatan: at most three for the kabupaten.
    assert (proposals["layanan"] == "rumah_sakit").sum() == 0
    assert (proposals["layanan"] == "pemadam").sum() <= 3
    catalogue = gpd.read_file(gpkg, layer="layanan")
    assert (catalogue["sumber_standar"].str.len() > 5).all()
    assert (catalogue["sumber_target_cakupan"].str.len() > 5).all()
    sheets = pd.read_excel(
        root / "data" / "processed" / "maros" / "kesenjangan_kecamatan.xlsx", sheet_name=None
    )
    # Title sheet, summary, one sheet per service (14), the desa, facilities without
    # coordinates, and the asset register.
    assert list(sheets)[:3] == ["Keterangan", "Ringkasan", "Sekolah Dasar"] and len(sheets) == 19
    assert list(sheets)[-3:] == ["Desa", "Tanpa koordinat", "Rekap aset"]
    assert len(sheets["Desa"]) == 103 * 14
    assert (
        len(sheets["Ringkasan"]) == 14 and "Kekurangan fasilitas" in sheets["Sekolah Dasar"].columns
    )
    book = openpyxl.load_workbook(
        root / "data" / "processed" / "maros" / "kesenjangan_kecamatan.xlsx"
    )
    sheet = book["Sekolah Dasar"]
    headings = [cell.value for cell in sheet[1]]
    coverage_column = headings.index("Cakupan") + 1
    assert sheet.freeze_panes == "A2" and sheet[1][0].font.bold
    assert sheet.cell(row=2, column=coverage_column).number_format == "0.0%"


def test_maros_proposed_sites_recompute_within_one_percent(maros_run):
    root, _ = maros_run
    assert proposals_recompute(root / "data" / "processed" / "maros" / "coverage.gpkg") > 100


def test_flow_publishes_quality_and_gap_artifacts(maros_run):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["ringkasan-maros", "kesenjangan-maros"])
            )
        )
    by_key = {a.key: a for a in artifacts}
    assert by_key["ringkasan-maros"].type == "markdown"
    assert "# Kualitas data — Kabupaten Maros" in by_key["ringkasan-maros"].data
    assert by_key["kesenjangan-maros"].type == "table"


def test_local_prefect_and_dask_runners_give_identical_gap_tables(maros_run, tmp_path):
    from flows.coverage import with_runner
    from jangkau import pipeline

    root, _ = maros_run
    by_prefect = gpd.read_file(
        root / "data" / "processed" / "maros" / "coverage.gpkg", layer="kesenjangan"
    )
    region = pipeline.prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    pipeline.run_all(region, pipeline.OutputPaths.under(tmp_path / "local", "maros"))
    by_local = gpd.read_file(
        tmp_path / "local" / "data" / "processed" / "maros" / "coverage.gpkg", layer="kesenjangan"
    )
    on_dask = with_runner(coverage_flow, "dask")
    on_dask(region_file=str(PROJECT / "regions" / "maros.toml"), out_root=str(tmp_path / "dask"))
    by_dask = gpd.read_file(
        tmp_path / "dask" / "data" / "processed" / "maros" / "coverage.gpkg", layer="kesenjangan"
    )
    pd.testing.assert_frame_equal(by_local, by_prefect)
    pd.testing.assert_frame_equal(by_local, by_dask)


def test_all_regions_run_one_task_each(prefect_harness, tmp_path):
    from flows.coverage import all_regions_flow

    regions = tmp_path / "regions"
    regions.mkdir()
    for name in ("satu", "dua"):
        (regions / f"{name}.toml").write_text(
            f'name = "{name}"\ndata_dir = "{tmp_path / "raw" / name}"\ngenerator = "demo"\n',
            encoding="utf-8",
        )
    results = all_regions_flow(sorted(str(p) for p in regions.glob("*.toml")), str(tmp_path))
    assert [r["wilayah"] for r in results] == ["dua", "satu"]
    for name in ("satu", "dua"):
        assert (tmp_path / "maps" / name / "index.html").exists()
    assert "href='satu/index.html'" in (tmp_path / "maps" / "index.html").read_text(
        encoding="utf-8"
    )


def test_a_second_flow_run_with_unchanged_inputs_reuses_its_stages(demo_run):
    root, first = demo_run
    assert "Semua tahap dihitung" in first["ringkasan"]["teks"]
    again = coverage_flow(
        region_file=str(PROJECT / "regions" / "demo.toml"),
        data_dir=str(root / "raw"),
        out_root=str(root),
    )
    assert (
        "Dipakai ulang dari cache (masukan tidak berubah): aset, batas, cakupan"
        in again["ringkasan"]["teks"]
    )
