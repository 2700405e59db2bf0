"""``rekap_aset.sumber``: per class and kecamatan, the files its assets came from, sorted, once each."""

import pandas as pd

from jangkau.analysis.register import asset_register

FILES = ["sekolah_e.csv", "sekolah_c.csv", "sekolah_a.csv", "sekolah_d.csv", "sekolah_b.csv"]


def test_sources_are_listed_once_sorted_per_class_and_kecamatan():
    points = pd.DataFrame(
        {
            "jenis": ["SD"] * 7 + ["SD", "Puskesmas"],
            "kode_kec": ["73.09.01"] * 7 + ["73.09.02", "73.09.01"],
            "kecamatan": ["Bantimurung"] * 7 + ["Cenrana", "Bantimurung"],
            "sumber": [*FILES, "sekolah_e.csv", "sekolah_a.csv", "sekolah_b.csv", "pkm.csv"],
        }
    )
    lines = pd.DataFrame(
        {
            "jenis": ["SD"],
            "kode_kec": ["73.09.02"],
            "kecamatan": ["Cenrana"],
            "sumber": ["Akses.geojson"],
            "panjang_km": [1.5],
        }
    )
    register = asset_register(points, lines).set_index(["kelas", "kode_kec"])
    assert register.loc[("SD", "73.09.01"), "sumber"] == (
        "sekolah_a.csv, sekolah_b.csv, sekolah_c.csv, sekolah_d.csv, sekolah_e.csv"
    )
    # Upper case sorts before lower case, as Python sorts text.
    assert register.loc[("SD", "73.09.02"), "sumber"] == "Akses.geojson, sekolah_b.csv"
    assert register.loc[("Puskesmas", "73.09.01"), "sumber"] == "pkm.csv"
    assert register.loc[("SD", "73.09.01"), "jumlah"] == 7
