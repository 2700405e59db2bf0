"""Sulawesi Selatan: 24 kabupaten/kota of files the project was not tuned on, and the province page."""

import re

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from conftest import SHARED, open_page
from coverage_check import assert_within_half_a_point, measuring_scale_error

from jangkau import pipeline
from jangkau.clean.names import name_key

SULSEL = SHARED / "sulsel"
SCHOOL_SERVICE = {
    "SD": "sd",
    "MI": "sd",
    "SMP": "smp",
    "MTs": "smp",
    "SMA": "sma",
    "SMK": "sma",
    "MA": "sma",
}
HEALTH_SERVICE = {
    "posyandu": "posyandu",
    "puskesmas pembantu": "pustu",
    "klinik pratama": "klinik",
    "puskesmas rawat inap": "puskesmas",
    "puskesmas non rawat inap": "puskesmas",
    "rumah sakit": "rumah_sakit",
}


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    assert SULSEL.is_dir(), SULSEL
    root = tmp_path_factory.mktemp("sulsel")
    region = pipeline.prepare_region(data_dir=SULSEL, name="sulsel")
    # Proposed sites are not what these tests measure; leaving them out keeps the run short.
    region.usulan_k = 0
    pipeline.run_all(region, pipeline.OutputPaths.under(root, "sulsel"))
    gpkg = root / "data" / "processed" / "sulsel" / "coverage.gpkg"
    placed = gpd.read_file(gpkg, layer="aset")
    rejected = gpd.read_file(gpkg, layer="aset_ditolak")
    return root, gpkg, placed, rejected


@pytest.fixture(scope="module")
def schools():
    table = pd.read_csv(SULSEL / "sekolah.csv", sep=";", dtype=str, keep_default_na=False)
    return table.assign(baris=range(1, len(table) + 1))


@pytest.fixture(scope="module")
def health():
    table = pd.read_excel(SULSEL / "fasilitas_kesehatan.xlsx", header=3, dtype=str).dropna(
        how="all"
    )
    return table.assign(baris=range(1, len(table) + 1))


def test_every_record_is_placed_or_rejected_once(province, schools, health):
    _, _, placed, rejected = province
    both = pd.concat(
        [placed[["sumber", "baris"]], rejected[["sumber", "baris"]]], ignore_index=True
    )
    assert not both.duplicated().any()
    expected = {
        "sekolah.csv": len(schools),
        "fasilitas_kesehatan.xlsx": len(health),
        "perpustakaan.geojson": pyogrio.read_info(SULSEL / "perpustakaan.geojson")["features"],
        "layanan_publik.shp": pyogrio.read_info(SULSEL / "layanan_publik.shp")["features"],
    }
    for source, count in expected.items():
        assert sorted(both.loc[both["sumber"] == source, "baris"]) == list(range(1, count + 1)), (
            source
        )


def test_placed_schools_lie_in_the_desa_they_name(province, schools):
    _, gpkg, placed, _ = province
    desa_names = gpd.read_file(gpkg, layer="desa", columns=["kode_desa", "desa"]).set_index(
        "kode_desa"
    )["desa"]
    mine = placed[placed["sumber"] == "sekolah.csv"].merge(
        schools[["baris", "desa"]], on="baris", suffixes=("", "_tertulis")
    )
    located = mine["kode_desa"].map(desa_names).map(name_key)
    agree = located == mine["desa_tertulis"].map(name_key)
    assert agree.mean() >= 0.98
    repaired = mine["perbaikan"] != ""
    assert repaired.sum() > 100 and agree[repaired].mean() >= 0.98


def test_records_without_a_usable_location_are_rejected_with_a_reason(province, schools):
    _, _, _, rejected = province
    empty = schools[
        (schools["lintang"].str.strip() == "") | (schools["lintang"].str.strip() == "0")
    ]
    reasons = rejected[rejected["sumber"] == "sekolah.csv"].set_index("baris")["alasan"]
    assert len(empty) > 50
    for row in empty["baris"]:
        assert row in reasons.index and re.match(
            r"koordinat (kosong|bernilai 0)|duplikat", reasons[row]
        )


def test_duplicated_schools_are_kept_once(province, schools):
    _, _, placed, rejected = province
    mine = placed[placed["sumber"] == "sekolah.csv"].merge(schools[["baris", "npsn"]], on="baris")
    assert not mine["npsn"].duplicated().any()
    repeated = schools[schools["npsn"].duplicated(keep=False)]
    kept = repeated["npsn"].isin(mine["npsn"]).groupby(repeated["npsn"]).any()
    marked = rejected[rejected["alasan"].str.startswith("duplikat")]
    assert kept.mean() >= 0.95 and len(marked) >= repeated["npsn"].nunique() * 0.95


def test_every_school_and_health_record_gets_the_right_service(province, schools, health):
    _, _, placed, _ = province
    mine = placed[placed["sumber"] == "sekolah.csv"].merge(
        schools[["baris", "bentuk_pendidikan"]], on="baris"
    )
    assert (mine["layanan"] == mine["bentuk_pendidikan"].map(SCHOOL_SERVICE)).all()
    theirs = placed[placed["sumber"] == "fasilitas_kesehatan.xlsx"].merge(
        health[["baris", "Jenis Fasilitas"]], on="baris"
    )
    assert (theirs["layanan"] == theirs["Jenis Fasilitas"].str.lower().map(HEALTH_SERVICE)).all()


def test_coverage_agrees_with_an_independent_computation(province):
    """Published figures against per-desa azimuthal equidistant projections, within 0.5 pp."""
    _, gpkg, *_ = province
    # The province spans UTM zones 50 and 51: it is measured in its own transverse Mercator.
    chosen = pyogrio.read_dataframe(gpkg, layer="crs_metrik")["crs"].iloc[0]
    assert chosen.startswith("+proj=tmerc") and measuring_scale_error(gpkg) < 0.001
    assert_within_half_a_point(gpkg)


def test_quality_report_adds_up(province):
    root, *_ = province
    page = (root / "data" / "processed" / "sulsel" / "kualitas_data.html").read_text(
        encoding="utf-8"
    )
    assert "TIDAK" not in page and "sekolah.csv" in page


def test_province_page_is_under_8_mb_and_renders(province, browser):
    root, gpkg, *_ = province
    page = root / "maps" / "sulsel" / "index.html"
    assert page.stat().st_size < 8 * 1000 * 1000
    assert open_page(browser, page, wait=2.0) == []
    browser.set_script_timeout(60)
    state = browser.execute_async_script(
        """
        const done = arguments[0], p = window.jangkauPeta;
        p.semua.then(() => done({k: p.kecamatan.getLayers().length, d: p.desa.getLayers().length,
                a: Object.values(p.asetPerLayanan).concat([p.asetLain])
                     .reduce((n, c) => n + c.getLayers().length, 0)}));
        """
    )
    kecamatan = pyogrio.read_info(gpkg, layer="kecamatan")["features"]
    desa = pyogrio.read_info(gpkg, layer="desa")["features"]
    assets = pyogrio.read_info(gpkg, layer="aset")["features"]
    assert state == {"k": kecamatan, "d": desa, "a": assets} and kecamatan == 313
    assert desa == 3056 and assets > 40_000


def test_printed_report_ranks_every_kecamatan_once_and_tells_repeated_names_apart(province):
    import pypdf

    root, gpkg, _, _ = province
    kecamatan = gpd.read_file(gpkg, layer="kecamatan")
    total = len(kecamatan)
    assert total > 300
    pages = [p.extract_text() for p in pypdf.PdfReader(gpkg.parent / "laporan.pdf").pages]
    summary = [p for p in pages if p.lstrip().startswith("Ringkasan")]
    assert len(summary) > 1
    ranks = [line for p in summary for line in p.splitlines() if line.endswith(f" dari {total}")]
    assert ranks == [f"{rank} dari {total}" for rank in range(1, total + 1)]
    # Four names repeat across kabupaten (two Cenrana): each is shown with its kabupaten,
    # whose name the desa layer carries (WADMKK "Maros" → "Kabupaten Maros").
    assert set(kecamatan.loc[kecamatan["kode_kec"].str.startswith("73.09."), "kabupaten"]) == {
        "Kabupaten Maros"
    }
    assert set(kecamatan.loc[kecamatan["kode_kec"].str.startswith("73.71."), "kabupaten"]) == {
        "Kota Makassar"
    }
    repeated = kecamatan[kecamatan["kecamatan"].duplicated(keep=False)]
    assert len(repeated) >= 8
    lines = {line for p in summary for line in p.splitlines()}
    shown = set()
    for row in repeated.itertuples():
        name = f"{row.kecamatan} ({row.kabupaten.replace('Kabupaten ', '')})"
        # A name longer than its column is cut with "…", still telling the two apart.
        found = [
            line
            for line in lines
            if line == name or (line.endswith("…") and name.startswith(line[:-1]))
        ]
        assert len(found) == 1, name
        shown.add(found[0])
    assert len(shown) == len(repeated)
    assert {"Cenrana (Maros)", "Cenrana (Bone)", "Tompobulu (Gowa)"} <= lines
