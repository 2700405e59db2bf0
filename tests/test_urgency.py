"""Urgency across services, its sensitivity to the weights, and the kabupaten table: by hand."""

import pandas as pd
import pytest

from jangkau.analysis.urgency import (
    kabupaten_table,
    most_urgent_service,
    urgency_index,
    weight_sensitivity,
)


def _catalogue():
    return pd.DataFrame(
        {
            "layanan": ["sd", "polsek", "rumah_sakit"],
            "bobot_indeks": [1.0, 0.5, 1.0],
            "tingkat_perencanaan": ["desa", "kecamatan", "kabupaten"],
            "penduduk_per_fasilitas": [1600.0, float("nan"), 240000.0],
        }
    )


def _gaps():
    rows = []
    # kecamatan: (sd index, polsek index); rumah sakit is judged per kabupaten (no index here).
    for kode, sd, polsek in [
        ("73.09.01", 60.0, 100.0),
        ("73.09.02", 80.0, 0.0),
        ("73.09.03", 20.0, 100.0),
    ]:
        rows.append({"kode_kec": kode, "layanan": "sd", "indeks_kesenjangan": sd})
        rows.append({"kode_kec": kode, "layanan": "polsek", "indeks_kesenjangan": polsek})
        rows.append({"kode_kec": kode, "layanan": "rumah_sakit", "indeks_kesenjangan": None})
    return pd.DataFrame(rows)


def test_weighted_urgency_and_most_urgent_service():
    index = urgency_index(_gaps(), _catalogue())
    # (60 x 1 + 100 x 0.5) / 1.5 = 73.33; (80 + 0) / 1.5 = 53.33; (20 + 50) / 1.5 = 46.67
    assert index.to_dict() == pytest.approx(
        {"73.09.01": 73.33, "73.09.02": 53.33, "73.09.03": 46.67}, abs=0.01
    )
    worst = most_urgent_service(_gaps(), _catalogue())
    # Weighted: SD 60 vs polsek 50 -> SD; SD 80 -> SD; SD 20 vs polsek 50 -> polsek.
    assert worst.to_dict() == {"73.09.01": "sd", "73.09.02": "sd", "73.09.03": "polsek"}


def test_sensitivity_rows_by_hand():
    table = weight_sensitivity(_gaps(), _catalogue(), top=2)
    base = table.iloc[0]
    assert base["lima_teratas"] == "73.09.01, 73.09.02"
    row = table.set_index(["layanan", "faktor_bobot"])
    # Polsek weight 1.5 x 0.5 = 0.75: 01 -> (60 + 75)/1.75 = 77.1, 02 -> 80/1.75 = 45.7,
    # 03 -> (20 + 75)/1.75 = 54.3: the top two become 01, 03.
    moved = row.loc[("polsek", 1.5)]
    assert moved["lima_teratas"] == "73.09.01, 73.09.03" and moved["sama_dengan_dasar"] == 1
    # Polsek weight 0.25: 01 -> 85/1.25 = 68, 02 -> 64, 03 -> 36: same order.
    kept = row.loc[("polsek", 0.5)]
    assert kept["urutan_sama"] and kept["sama_dengan_dasar"] == 2
    assert "rumah_sakit" not in table["layanan"].tolist()


def test_kabupaten_table_judges_kabupaten_services_for_the_whole_kabupaten():
    gaps = pd.DataFrame(
        {
            "kode_kec": ["73.09.01", "73.09.02"] * 2,
            "layanan": ["rumah_sakit"] * 2 + ["sd"] * 2,
            "penduduk": [300000, 200000, 300000, 200000],
            "penduduk_terlayani": [150000.0, 50000.0, 290000.0, 200000.0],
            "jumlah_fasilitas": [1, 0, 150, 130],
            "kebutuhan": [pd.NA, pd.NA, 188, 125],
            "kekurangan": [pd.NA, pd.NA, 38, 0],
        }
    )
    gaps["kebutuhan"] = gaps["kebutuhan"].astype("Int64")
    gaps["kekurangan"] = gaps["kekurangan"].astype("Int64")
    table = kabupaten_table(
        gaps,
        _catalogue(),
        kabupaten=pd.Series({"73.09.01": "73.09", "73.09.02": "73.09"}),
        weights={"bobot_tak_terjangkau": 0.5, "bobot_kekurangan": 0.5},
    ).set_index("layanan")
    hospital = table.loc["rumah_sakit"]
    # 500,000 people / 240,000 per hospital -> 3 needed, 1 exists -> 2 short.
    assert hospital["kebutuhan"] == 3 and hospital["kekurangan"] == 2
    assert hospital["cakupan"] == pytest.approx(0.4)
    assert hospital["indeks_kesenjangan"] == pytest.approx(
        100 * (0.5 * 0.6 + 0.5 * 2 / 3), abs=0.01
    )
    school = table.loc["sd"]
    # Other services add up their kecamatan: need 313, shortfall 38 (no offset by surplus).
    assert school["kebutuhan"] == 313 and school["kekurangan"] == 38
    assert school["cakupan"] == pytest.approx(0.98)


def test_sensitivity_indices_equal_one_urgency_index_per_change():
    from jangkau.analysis.urgency import _indices_with_factors

    changes = [("sd", 0.5), ("sd", 1.5), ("polsek", 0.5), ("polsek", 1.5)]
    together = _indices_with_factors(_gaps(), _catalogue(), changes)
    for (service, factor), index in zip(changes, together, strict=True):
        alone = urgency_index(_gaps(), _catalogue(), factors={service: factor})
        assert index.to_dict() == alone.to_dict()
    # Polsek weight 0.75: (60 + 75) / 1.75 = 77.14, 80 / 1.75 = 45.71, (20 + 75) / 1.75 = 54.29.
    assert together[3].to_dict() == {"73.09.01": 77.14, "73.09.02": 45.71, "73.09.03": 54.29}
