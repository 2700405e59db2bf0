"""The planners' workbook and the CSV for Excel with Indonesian settings."""

import csv
import gc
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest

from jangkau.config.catalogue import load_catalogue
from jangkau.publish.tables import WorkbookContext, write_excel_csv, write_gap_workbook


def _gaps() -> pd.DataFrame:
    rows = []
    # Three kecamatan, two services; indices chosen so that B is most urgent, then C, then A.
    for kode, name, people, sd_index, health_index in [
        ("73.09.01", "Alpha", 1000, 10.0, 20.0),
        ("73.09.02", "Beta", 2000, 90.0, 70.0),
        ("73.09.03", "Gamma", 1500, 40.0, 60.0),
    ]:
        for service, index, rank in (("sd", sd_index, None), ("puskesmas", health_index, None)):
            rows.append(
                {
                    "kode_kec": kode,
                    "kecamatan": name,
                    "layanan": service,
                    "jumlah_fasilitas": 1,
                    "penduduk": people,
                    "penduduk_terlayani": people * (1 - index / 100),
                    "cakupan": 1 - index / 100,
                    "kebutuhan": 1,
                    "kekurangan": 0,
                    "desa_tanpa_layanan": 0,
                    "memenuhi_minimum": True,
                    "indeks_kesenjangan": index,
                    "peringkat": rank,
                }
            )
    gaps = pd.DataFrame(rows)
    gaps["peringkat"] = (
        gaps.groupby("layanan")["indeks_kesenjangan"].rank(ascending=False).astype("Int64")
    )
    return gaps


def _write(tmp_path):
    catalogue = load_catalogue()
    catalogue = catalogue[catalogue["layanan"].isin(["sd", "puskesmas"])]
    context = WorkbookContext(
        title="Kabupaten Contoh",
        data_date="2026-11-29",
        sources=pd.DataFrame({"berkas": ["sekolah.csv"], "peran": ["daftar aset"], "baris": [893]}),
        metric_crs="EPSG:32750",
    )
    path = write_gap_workbook(tmp_path / "k.xlsx", _gaps(), catalogue, context=context)
    return path


def test_workbook_title_sheet_summary_and_print_setup(tmp_path):
    book = openpyxl.load_workbook(_write(tmp_path))
    assert book.sheetnames == ["Keterangan", "Ringkasan", "Sekolah Dasar", "Puskesmas"]
    title = book["Keterangan"]
    text = "\n".join(str(c.value) for row in title.iter_rows() for c in row if c.value)
    assert "Kabupaten Contoh" in text and "2026-11-29" in text and "sekolah.csv" in text
    assert "SNI 03-1733-2004" in text and "PP 47/2016" in text and "Permendiknas 24/2007" in text
    summary = book["Ringkasan"]
    headings = [c.value for c in summary[1]]
    names = [r[headings.index("Kecamatan")] for r in summary.iter_rows(min_row=2, values_only=True)]
    # Mean index: Beta 80, Gamma 50, Alpha 15.
    assert names == ["Beta", "Gamma", "Alpha"]
    rank = summary.cell(row=2, column=1)
    assert rank.value == 1 and rank.number_format == '0" dari 3"'
    for sheet in (summary, book["Sekolah Dasar"]):
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
        assert sheet.page_setup.orientation == "landscape"
        # One page wide (1 is the default OOXML leaves unwritten), as many pages tall as needed.
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.freeze_panes == "A2"


def test_writing_a_workbook_leaves_the_cycle_collector_as_it_was(tmp_path):
    # The workbook pauses the collector while it writes; a run must not go on without it.
    assert gc.isenabled()
    _write(tmp_path)
    assert gc.isenabled()
    gc.disable()
    try:
        _write(tmp_path)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_workbook_opens_in_libreoffice_and_prints(tmp_path):
    from pypdf import PdfReader

    path = _write(tmp_path)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    reader = PdfReader(tmp_path / "k.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Kesenjangan Layanan Publik" in text and "Kabupaten Contoh" in text
    assert "Ringkasan" in text or "Beta" in text
    assert "1 dari 3" in text
    # Landscape pages: wider than tall.
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)


def test_excel_csv_uses_semicolons_and_decimal_commas(tmp_path):
    frame = pd.DataFrame({"kecamatan": ["Alpha"], "cakupan": [0.25], "penduduk": [16015]})
    path = write_excel_csv(tmp_path / "e.csv", frame)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows == [["kecamatan", "cakupan", "penduduk"], ["Alpha", "0,25", "16015"]]
