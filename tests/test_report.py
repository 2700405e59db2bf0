import html
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from jangkau import pipeline
from jangkau.publish.quality import breakdown, quality_html, reason_category, source_summary
from jangkau.sources.demo import write_demo


def test_reason_categories():
    assert reason_category("duplikat dari a.csv baris 3 (id sama: 1)") == "duplikat"
    assert (
        reason_category("di luar kabupaten: lintang -4.9, bujur 119.9 (juga …)")
        == "di luar kabupaten"
    )
    assert reason_category("koordinat bernilai 0 (tidak diisi)") == "koordinat bernilai 0"
    assert reason_category("koordinat kosong") == "koordinat kosong"


def test_summary_counts_and_flags_a_file_that_does_not_add_up():
    placed = pd.DataFrame(
        {"sumber": ["a.csv", "a.csv", "b.csv"], "perbaikan": ["", "lintang dan bujur tertukar", ""]}
    )
    rejected = pd.DataFrame({"sumber": ["a.csv"], "alasan": ["koordinat kosong"]})
    summary = source_summary(pd.Series({"a.csv": 3, "b.csv": 2}), placed, rejected).set_index(
        "sumber"
    )
    assert summary.loc["a.csv"].tolist() == [3, 2, 1, 1, True]
    assert summary.loc["b.csv"].tolist() == [2, 1, 0, 0, False]
    repairs = breakdown(placed, "perbaikan", "perbaikan")
    assert repairs.values.tolist() == [["a.csv", "lintang dan bujur tertukar", 1]]


def test_report_escapes_what_files_contain():
    table = pd.DataFrame({"nama": ["<script>alert(1)</script>"]})
    page = quality_html("<b>x</b>", [("Bagian", "penjelasan", table)])
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "&lt;b&gt;x" in page


# --- The report as the person who fixes the data meets it (one local run of the demo files).


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo files, and the outputs of one local run of them."""
    root = tmp_path_factory.mktemp("laporan")
    files = write_demo(root / "raw")
    region = pipeline.prepare_region(data_dir=str(files), name="contoh")
    pipeline.run_all(region, pipeline.OutputPaths.under(root, "contoh"))
    processed = root / "data" / "processed" / "contoh"
    page = (processed / "kualitas_data.html").read_text(encoding="utf-8")
    return files, processed, page


def _section(page: str, anchor: str) -> str:
    start = page.index(f"<section id='{anchor}'>")
    return page[start : page.index("</section>", start)]


def _rows(section: str) -> list[list[str]]:
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    return [
        [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _schools(files: Path) -> pd.DataFrame:
    return pd.read_csv(files / "sekolah.csv", sep=";", dtype=str)


def test_a_rejected_row_shows_its_name_and_npsn(demo_run):
    files, _, page = demo_run
    schools = _schools(files)
    # The school written without coordinates: its name and NPSN come from the file itself.
    blank = schools[schools["lintang"].isna() & schools["bujur"].isna()].iloc[0]
    rows = _rows(_section(page, "baris-yang-ditolak"))
    assert [
        "sekolah.csv",
        blank["no"],
        blank["nama_sekolah"],
        blank["npsn"],
        "koordinat kosong",
    ] in rows
    assert "<th>ID (NPSN/kode)</th>" in _section(page, "baris-yang-ditolak")


def test_a_repair_shows_the_location_as_written_and_as_used(demo_run):
    files, _, page = demo_run
    schools = _schools(files).set_index("nama_sekolah")
    written = schools.loc["SDN 2 MELATI"]  # latitude and longitude typed in each other's column
    rows = {row[2]: row for row in _rows(_section(page, "rincian-perbaikan-koordinat"))}
    row = rows["SDN 2 MELATI"]
    assert row[:5] == [
        "sekolah.csv",
        written["no"],
        "SDN 2 MELATI",
        written["npsn"],
        "lintang dan bujur tertukar",
    ]
    assert row[5] == f"{written['lintang']}; {written['bujur']}"
    # Used: latitude is what was written as longitude, and the other way round.
    assert float(row[6]) == pytest.approx(float(written["bujur"].replace(",", ".")), abs=1e-6)
    assert float(row[7]) == pytest.approx(float(written["lintang"].replace(",", ".")), abs=1e-6)
    missing_minus = rows["SDN 3 KENANGA"]
    assert missing_minus[4] == "tanda minus lintang hilang"
    lintang = float(schools.loc["SDN 3 KENANGA", "lintang"].replace(",", "."))
    assert float(missing_minus[6]) == pytest.approx(-lintang, abs=1e-6)


def test_every_section_has_an_anchor_listed_in_the_contents(demo_run):
    _, _, page = demo_run
    anchors = re.findall(r"<section id='([^']+)'>", page)
    contents = page[page.index("<nav>") : page.index("</nav>")]
    assert len(anchors) >= 12 and len(set(anchors)) == len(anchors)
    assert re.findall(r"<a href='#([^']+)'>", contents) == anchors
    # Every heading of the page sits in an anchored section.
    assert page.count("<h2>") == len(anchors)


def test_filter_boxes_work_offline(demo_run):
    _, _, page = demo_run
    tables = re.findall(r"<table id='([^']+)'>", page)
    boxes = re.findall(r"data-tabel='([^']+)'", page)
    assert tables and boxes == tables
    script = page[page.index("<script>") : page.index("</script>")]
    assert "input.saring" in script and "style.display" in script
    # Nothing fetched from elsewhere: no script or style file, no web address.
    assert not re.search(r"\bsrc=|<link|@import|url\(|https?://", page)


def test_rejected_rows_csv_has_one_row_per_rejected_record(demo_run):
    files, processed, _ = demo_run
    raw = (processed / "baris_ditolak.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the accents only with a BOM
    sent_back = pd.read_csv(processed / "baris_ditolak.csv", dtype=str, encoding="utf-8-sig")
    assert list(sent_back.columns) == ["sumber", "baris", "nama", "id_aset", "alasan", "data_asli"]
    gpkg = processed / "coverage.gpkg"
    rejected = gpd.read_file(gpkg, layer="aset_ditolak")
    # Points, lines and polygons (issue 16) are all placed records.
    placed = pd.concat(
        [gpd.read_file(gpkg, layer=layer) for layer in ("aset", "aset_garis", "aset_area")]
    )
    # Records in the input files, counted without the pipeline's readers.
    records = (
        len(_schools(files))
        # Three title lines above the header row in the health office's workbook.
        + len(pd.read_excel(files / "fasilitas_kesehatan.xlsx", header=3, engine="openpyxl"))
        + len(json.loads((files / "perpustakaan.geojson").read_text())["features"])
        + len(pyogrio.read_dataframe(files / "layanan_publik.shp", read_geometry=False))
        # The generated networks, polygons and BTS list.
        + sum(len(json.loads(p.read_text())["features"]) for p in files.glob("*.geojson"))
        - len(json.loads((files / "perpustakaan.geojson").read_text())["features"])
        - len(json.loads((files / "batas_desa.geojson").read_text())["features"])
        + len(pd.read_csv(files / "menara_bts.csv"))
    )
    assert len(sent_back) == len(rejected) == records - len(placed) > 0
    sent_rows = zip(sent_back["sumber"], sent_back["baris"].astype(int), strict=True)
    layer_rows = zip(rejected["sumber"], rejected["baris"].astype(int), strict=True)
    assert sorted(sent_rows) == sorted(layer_rows)
    school = sent_back[sent_back["sumber"] == "sekolah.csv"].set_index("nama")
    assert school.loc["SDN 5 CEMPAKA", "id_aset"] == "69000005"
    assert '"nama_sekolah": "SDN 5 CEMPAKA"' in school.loc["SDN 5 CEMPAKA", "data_asli"]
