"""Figures a planner could misread: a service with no data is not 0 %, left-out assets are named.

The run is Maros without ``layanan_publik.shp`` (the only file with fire posts,
TPS, polsek, kantor desa/camat and water plants), started while the live status
says Puskesmas Camba is closed.
"""

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pypdf
import pytest
from conftest import MAROS, open_page

from jangkau import pipeline
from jangkau.analysis.coverage import coverage_by_kecamatan
from jangkau.analysis.no_data import services_without_data, without_data

# The services only layanan_publik.shp holds (its kinds, see jenis_aset.toml).
MISSING = {"pemadam", "tps", "polsek", "air_minum", "kantor_desa", "kantor_camat"}
CLOSED = "fasilitas_kesehatan-83a7fe11"  # Puskesmas Camba (id from its name, kind and point)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("tanpa_data")
    data = root / "masukan"
    data.mkdir()
    for path in MAROS.iterdir():
        if not path.name.startswith("layanan_publik"):
            (data / path.name).symlink_to(path)
    outputs = pipeline.OutputPaths.under(root, "tanpa")
    outputs.processed.mkdir(parents=True)
    (outputs.processed / "status.json").write_text(
        json.dumps({"aset": [{"id_aset": CLOSED, "melayani": False}]}), encoding="utf-8"
    )
    region = pipeline.prepare_region(data_dir=data, name="tanpa")
    result = pipeline.run_all(region, outputs)
    return outputs.processed, result["ringkasan"]


def _layer(processed, name):
    return gpd.read_file(processed / "coverage.gpkg", layer=name)


def test_a_service_with_no_asset_has_empty_figures_and_says_why(run):
    processed, _ = run
    gaps = pd.read_csv(processed / "kesenjangan_kecamatan.csv", dtype={"kode_kec": str})
    absent = gaps[gaps["layanan"].isin(MISSING)]
    assert len(absent) == 14 * len(MISSING)
    for column in ("cakupan", "penduduk_terlayani", "kekurangan", "indeks_kesenjangan"):
        assert absent[column].isna().all(), column
    for column in ("peringkat", "memenuhi_minimum", "desa_tanpa_layanan", "usulan"):
        assert absent[column].isna().all(), column
    assert absent["catatan"].str.startswith("tidak ada data:").all()
    # The need follows from the people and the standard alone: one polsek per kecamatan.
    assert (absent.loc[absent["layanan"] == "polsek", "kebutuhan"] == 1).all()
    # Measured services keep their figures (Camba's SD: 70.4 % before this change too).
    measured = gaps[~gaps["layanan"].isin(MISSING)]
    assert measured["catatan"].fillna("").str.startswith("tidak ada data").sum() == 0
    sd_camba = measured[(measured["layanan"] == "sd") & (measured["kecamatan"] == "Camba")]
    assert sd_camba["cakupan"].iloc[0] == pytest.approx(0.7044, abs=1e-4)


def test_layers_leave_the_coverage_of_a_service_without_data_empty(run):
    processed, _ = run
    for name in ("kecamatan", "desa"):
        layer = _layer(processed, name)
        assert layer["cakupan_pemadam"].isna().all() and layer["cakupan_tps"].isna().all()
        assert layer["cakupan_sd"].notna().all()
    desa_gaps = pd.read_csv(processed / "kesenjangan_desa.csv")
    fire = desa_gaps[desa_gaps["layanan"] == "pemadam"]
    assert len(fire) == 103
    assert fire[["cakupan", "indeks_kesenjangan", "peringkat_di_kecamatan"]].isna().all().all()
    kabupaten = pd.DataFrame(_layer(processed, "kesenjangan_kabupaten")).set_index("layanan")
    assert np.isnan(kabupaten.at["pemadam", "cakupan"])
    assert np.isnan(kabupaten.at["pemadam", "kekurangan"])
    assert not (_layer(processed, "usulan_lokasi")["layanan"].isin(MISSING)).any()


def test_run_summary_says_no_data_instead_of_the_lowest_coverage(run):
    _, summary = run
    text = summary["teks"]
    assert "- pemadam: tidak ada data (tidak ada aset di wilayah)" in text
    assert "- tps: tidak ada data (tidak ada aset di wilayah)" in text
    assert not re.search(r"- (pemadam|tps): .*\(0\.0 %\)", text)
    # Services without a distance standard have no coverage line at all.
    assert "- polsek:" not in text
    assert "## Layanan tanpa data" in summary["markdown"]


def test_quality_report_lists_the_services_without_data(run):
    processed, _ = run
    page = (processed / "kualitas_data.html").read_text(encoding="utf-8")
    section = page.split("<section id='layanan-tanpa-data'>", 1)[1].split("</section>", 1)[0]
    for name in ("Pos Pemadam Kebakaran", "Kepolisian Sektor", "Kantor Camat"):
        assert name in section
    assert "Sekolah Dasar" not in section


def test_printed_report_writes_no_data_not_a_percentage(run):
    processed, _ = run
    pages = [p.extract_text() for p in pypdf.PdfReader(processed / "laporan.pdf").pages]
    # The legend may wrap the service name: read each page as one line.
    fire = next(p for p in pages if "Fasilitas Pos Pemadam Kebakaran" in re.sub(r"\s+", " ", p))
    assert "Cakupan seluruh wilayah: tidak ada data" in re.sub(r"\s+", " ", fire)
    assert "0,0 %" not in fire and "t/d" in fire
    summary = next(p for p in pages if p.lstrip().startswith("Ringkasan"))
    assert "t/d = tidak ada data" in re.sub(r"\s+", " ", summary)


def test_run_summary_and_quality_report_name_the_assets_the_live_status_closed(run):
    processed, summary = run
    text = summary["teks"]
    assert "Aset tidak dihitung karena status langsung (tutup/rusak berat): 1" in text
    assert f"- {CLOSED}: Puskesmas Camba (puskesmas, Kec. Camba)" in text
    page = (processed / "kualitas_data.html").read_text(encoding="utf-8")
    anchor = "<section id='aset-yang-tidak-dihitung-karena-status-langsung'>"
    section = page.split(anchor, 1)[1].split("</section>", 1)[0]
    assert CLOSED in section and "Puskesmas Camba" in section
    # It stays in the aset layer, and Camba's puskesmas coverage counts without it.
    assert CLOSED in set(_layer(processed, "aset")["id_aset"])


def test_services_without_data_count_closed_and_unlocated_facilities_as_data():
    assets = pd.DataFrame({"layanan": ["sd", "puskesmas"], "kondisi": ["baik", "tutup"]})
    unlocated = pd.DataFrame(
        {
            "layanan": ["rumah_sakit", "pustu"],
            "dihitung": [True, False],
            "kode_kab": ["73.09", "73.09"],
            "kode_kec": [None, None],
            "kode_desa": [None, None],
        }
    )
    services = ["sd", "puskesmas", "pustu", "rumah_sakit", "pemadam"]
    assert services_without_data(assets, unlocated, services) == ["pustu", "pemadam"]
    assert services_without_data(assets, None, services) == ["pustu", "rumah_sakit", "pemadam"]


def test_without_data_empties_only_the_rows_of_those_services():
    table = pd.DataFrame(
        {
            "layanan": ["sd", "tps", "tps"],
            "cakupan": [0.5, 0.0, 0.0],
            "peringkat": np.array([1, 1, 2], dtype="int64"),
            "catatan": ["", "", "lama"],
        }
    )
    out = without_data(table, ["tps"], columns=["cakupan", "peringkat"], note_column="catatan")
    assert out["cakupan"].tolist()[0] == 0.5 and out["cakupan"].iloc[1:].isna().all()
    assert out["peringkat"].tolist()[0] == 1 and out["peringkat"].iloc[1:].isna().all()
    assert out["catatan"].iloc[0] == ""
    assert out["catatan"].iloc[1].startswith("tidak ada data:")
    assert out["catatan"].iloc[2].endswith("; lama")
    assert table["cakupan"].tolist() == [0.5, 0.0, 0.0]  # the input is not changed


def test_kecamatan_coverage_of_unmeasured_desa_is_empty_not_zero():
    desa = pd.DataFrame(
        {
            "kode_kec": ["01", "01", "01", "01"],
            "layanan": ["sd", "sd", "tps", "tps"],
            "penduduk": [100, 300, 100, 300],
            "penduduk_terlayani": [50.0, 150.0, np.nan, np.nan],
        }
    )
    out = coverage_by_kecamatan(desa).set_index("layanan")
    assert out.at["sd", "cakupan"] == pytest.approx(0.5)
    assert np.isnan(out.at["tps", "cakupan"])


def test_workbook_summary_says_no_data_in_the_column_of_a_service_without_data(run):
    processed, _ = run
    summary = pd.read_excel(
        processed / "kesenjangan_kecamatan.xlsx", sheet_name="Ringkasan", engine="openpyxl"
    )
    assert (summary["Cakupan Pos Pemadam Kebakaran"] == "tidak ada data").all()
    assert summary["Cakupan Sekolah Dasar"].map(lambda v: isinstance(v, float)).all()


def test_desa_population_says_where_it_comes_from(run):
    processed, _ = run
    desa = _layer(processed, "desa")
    assert set(desa["sumber_penduduk"]) == {"penduduk_desa_model.csv: penduduk per desa"}
    page = (processed / "kualitas_data.html").read_text(encoding="utf-8")
    section = page.split("<section id='asal-angka-penduduk-desa'>", 1)[1].split("</section>", 1)[0]
    assert "penduduk_desa_model.csv: penduduk per desa" in section and "103" in section


def test_map_page_popups_say_no_data_for_a_service_without_data(run, browser):
    processed, _ = run
    page = processed.parents[2] / "maps" / "tanpa" / "index.html"
    assert open_page(browser, page) == []
    texts = browser.execute_script(
        """
        const p = window.jangkauPeta;
        const kec = p.kecamatan.getLayers()[0];
        kec.openPopup(kec.feature.properties.t);
        const kecamatan = kec.getPopup().getElement().textContent;
        const desa = p.desa.getLayers()[0];
        p.peta.setView(desa.feature.properties.t, 13, {animate: false});
        desa.openPopup(desa.feature.properties.t);
        return {kecamatan: kecamatan, desa: desa.getPopup().getElement().textContent};
        """
    )
    # Kecamatan row: service, coverage, facilities, shortfall, rank.
    assert "Pos Pemadam Kebakarantidak ada data0tidak ada data–" in texts["kecamatan"]
    assert "Pos Pemadam Kebakarantidak ada data" in texts["desa"]
    assert re.search(r"Sekolah Dasar\d+,\d %", texts["desa"])
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
