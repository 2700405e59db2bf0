"""The per-desa gap table on squares whose answers are worked out by hand."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import square_desa

from jangkau.analysis.desa_gaps import desa_gap_table
from jangkau.config.catalogue import index_weights, load_catalogue


def _setup():
    desa = square_desa(
        [
            ("73.09.01.1001", "73.09.01", "kelurahan", 0, 0, 1000),
            ("73.09.01.2002", "73.09.01", "desa", 1000, 0, 1000),
            ("73.09.02.2001", "73.09.02", "desa", 0, 3000, 1000),
        ]
    ).assign(penduduk=[1000, 2000, 500])
    facilities = gpd.GeoDataFrame(
        {"layanan": ["sd", "puskesmas"], "kode_desa": ["73.09.01.1001", "73.09.02.2001"]},
        geometry=[shapely.Point(500, 500), shapely.Point(300, 3400)],
        crs=desa.crs,
    )
    # Coverage as the coverage stage would hand it over (chosen here, not computed).
    coverage = pd.DataFrame(
        {
            "kode_desa": ["73.09.01.1001", "73.09.01.2002", "73.09.02.2001"] * 2,
            "kode_kec": ["73.09.01", "73.09.01", "73.09.02"] * 2,
            "layanan": ["sd"] * 3 + ["puskesmas"] * 3,
            "penduduk": [1000, 2000, 500] * 2,
            "penduduk_terlayani": [1000.0, 600.0, 0.0, 0.0, 0.0, 500.0],
            "cakupan": [1.0, 0.3, 0.0, 0.0, 0.0, 1.0],
        }
    )
    catalogue = load_catalogue()
    catalogue = catalogue[catalogue["layanan"].isin(["sd", "puskesmas"])]
    return desa, facilities, coverage, catalogue


def test_distances_indices_and_ranks_by_hand():
    desa, facilities, coverage, catalogue = _setup()
    table = desa_gap_table(
        desa, coverage, facilities, catalogue=catalogue, weights=index_weights()
    ).set_index(["kode_desa", "layanan"])
    sd = table.xs("sd", level="layanan")
    # Centres of the squares: (500, 500), (1500, 500), (500, 3500).
    assert sd["jarak_terdekat_m"].tolist() == [0.0, 1000.0, 3000.0]
    assert sd["jumlah_fasilitas"].tolist() == [1, 0, 0]
    # SD asks for one school per desa: the index mixes 1 - cakupan and "none in this desa".
    assert sd["indeks_kesenjangan"].tolist() == pytest.approx([0.0, 85.0, 100.0])
    assert sd["peringkat_di_kecamatan"].tolist() == [2, 1, 1]
    assert sd["jumlah_desa_di_kecamatan"].tolist() == [2, 2, 1]
    health = table.xs("puskesmas", level="layanan")
    assert health["jarak_terdekat_m"].tolist() == pytest.approx(
        [np.hypot(200, 2900), np.hypot(1200, 2900), np.hypot(200, 100)], abs=0.5
    )
    # Puskesmas has no per-desa minimum: the index is the uncovered share alone.
    assert health["indeks_kesenjangan"].tolist() == pytest.approx([100.0, 100.0, 0.0])
    # Tie at 100: more people out of reach ranks first (2,000 before 1,000).
    assert health["peringkat_di_kecamatan"].tolist() == [2, 1, 1]


def test_count_only_services_have_no_coverage_or_distance_when_none_exist():
    desa, facilities, coverage, _ = _setup()
    catalogue = load_catalogue()
    catalogue = catalogue[catalogue["layanan"].isin(["kantor_camat"])]
    table = desa_gap_table(
        desa, coverage.iloc[:0], facilities, catalogue=catalogue, weights=index_weights()
    )
    assert table["cakupan"].isna().all()
    assert table["jarak_terdekat_m"].isna().all()
    assert table["indeks_kesenjangan"].isna().all()
    assert table["peringkat_di_kecamatan"].isna().all()
