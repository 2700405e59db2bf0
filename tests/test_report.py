import pandas as pd

from jangkau.publish.quality import breakdown, quality_html, reason_category, source_summary


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
