"""Issue 16 point 3: year built and capacity, as offices write them, on points, lines, polygons.

Every expected value is written by hand next to the cell it comes from.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from jangkau import pipeline
from jangkau.clean.asset_attributes import read_attributes, read_capacity, read_year

UTM = 32750
THIS_YEAR = dt.date.today().year


@pytest.mark.parametrize(
    "written, year, refused",
    [
        ("1998", 1998, False),
        (1998, 1998, False),
        (1998.0, 1998, False),
        ("1998.0", 1998, False),
        ("2005-03-01", 2005, False),
        ("2005-03-01 00:00:00", 2005, False),
        (" 1673 ", 1673, False),
        ("1599", None, True),  # before the earliest plausible year
        (str(THIS_YEAR + 1), None, True),  # not built yet
        ("19980", None, True),
        ("98", None, True),
        ("tahun 1998", None, True),
        ("-", None, True),
        ("", None, False),
        (None, None, False),
        (np.nan, None, False),
    ],
)
def test_year_built_as_written(written, year, refused):
    found, note = read_year(written, latest=THIS_YEAR, earliest=1600)
    assert found == year
    assert bool(note) == refused
    if refused:
        assert "tahun dibangun tertulis" in note


@pytest.mark.parametrize(
    "written, number, unit, refused",
    [
        ("120", 120.0, "", False),
        (35, 35.0, "", False),
        (12.5, 12.5, "", False),
        ("12,5", 12.5, "", False),
        ("12.5", 12.5, "", False),
        ("20 l/dtk", 20.0, "l/dtk", False),
        ("1.200.000", 1_200_000.0, "", False),
        ("1.200,5", 1200.5, "", False),
        ("1,200.5", 1200.5, "", False),
        ("1.200", None, "", True),  # thousands or decimals: not guessed
        ("1,200", None, "", True),
        ("banyak", None, "", True),
        ("-5", None, "", True),
        ("", None, "", False),
    ],
)
def test_capacity_as_written(written, number, unit, refused):
    found, trailing, note = read_capacity(written)
    assert found == number and trailing == unit
    assert bool(note) == refused


def test_columns_spelled_as_offices_write_them():
    schools = pd.DataFrame(
        {
            "baris": [1, 2, 3],
            "Nama": ["SD 1", "SD 2", "SD 3"],
            "Thn_Bangun": ["1985", "2099", ""],
            "Jumlah Ruang Kelas": ["6", "12", "x"],
        }
    )
    out = read_attributes(schools, year_now=2026)
    assert out["tahun_dibangun"].tolist() == [1985, pd.NA, pd.NA]
    assert out["kapasitas"].tolist()[:2] == [6.0, 12.0] and np.isnan(out["kapasitas"][2])
    assert out["satuan_kapasitas"].tolist() == ["ruang kelas", "ruang kelas", ""]
    assert out["catatan_atribut"][0] == ""
    assert "'2099' tidak masuk akal (di luar 1600–2026)" in out["catatan_atribut"][1]
    assert "kapasitas tertulis 'x' bukan angka" in out["catatan_atribut"][2]

    # A plain capacity column takes its unit from a `satuan` column.
    pumps = pd.DataFrame(
        {
            "baris": [1, 2],
            "TAHUN PEMBANGUNAN": [2010, 2015],
            "Kapasitas": ["40", "7,5"],
            "Satuan": ["liter/detik", "m3"],
        }
    )
    out = read_attributes(pumps, year_now=2026)
    assert out["tahun_dibangun"].tolist() == [2010, 2015]
    assert out["kapasitas"].tolist() == [40.0, 7.5]
    assert out["satuan_kapasitas"].tolist() == ["liter/detik", "m3"]

    # Beds, and a file without any of these columns.
    beds = pd.DataFrame({"baris": [1], "tempat_tidur": [150], "tahun berdiri": ["1920"]})
    out = read_attributes(beds, year_now=2026)
    assert out.loc[0, "kapasitas"] == 150.0 and out.loc[0, "satuan_kapasitas"] == "tempat tidur"
    assert out.loc[0, "tahun_dibangun"] == 1920
    none = read_attributes(pd.DataFrame({"baris": [1, 2], "nama": ["a", "b"]}))
    assert none["tahun_dibangun"].isna().all() and none["kapasitas"].isna().all()


def _hand_region(folder):
    """One 4 km desa; a school CSV, a pipe line and a market polygon, each with year and capacity."""
    cell = shapely.box(760_000, 9_440_000, 764_000, 9_444_000)
    gpd.GeoDataFrame(
        {
            "KDEPUM": ["99.02.01.2001"],
            "WADMKD": ["Satu"],
            "TIPADM": ["Desa"],
            "KDCPUM": ["99.02.01"],
            "WADMKC": ["Kecil"],
        },
        geometry=[cell],
        crs=UTM,
    ).to_crs(4326).to_file(folder / "batas_desa.geojson", driver="GeoJSON")
    pd.DataFrame({"kode_desa": ["99.02.01.2001"], "desa": ["Satu"], "penduduk": [1000]}).to_csv(
        folder / "penduduk_desa.csv", index=False
    )
    to_lonlat = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
    lon, lat = to_lonlat.transform(761_000, 9_442_000)
    lon2, lat2 = to_lonlat.transform(762_000, 9_442_000)
    pd.DataFrame(
        {
            "nama": ["SD A", "SD B"],
            "jenis": ["SD", "SD"],
            "lintang": [lat, lat2],
            "bujur": [lon, lon2],
            "thn_bangun": ["1987", "3012"],
            "jumlah_ruang_kelas": ["6", "9"],
        }
    ).to_csv(folder / "sekolah.csv", index=False)
    pipe = shapely.LineString([(760_500, 9_441_000), (763_500, 9_441_000)])
    market = shapely.box(762_000, 9_443_000, 762_200, 9_443_200)
    gpd.GeoDataFrame(
        {
            "nama": ["Pipa Induk"],
            "jenis": ["pipa distribusi"],
            "tahun_dibangun": ["2001-06-30"],
            "kapasitas (l/dtk)": ["12,5"],
        },
        geometry=[pipe],
        crs=UTM,
    ).to_crs(4326).to_file(folder / "pipa.geojson", driver="GeoJSON")
    gpd.GeoDataFrame(
        {
            "nama": ["Pasar Satu"],
            "jenis": ["pasar"],
            "tahun pembangunan": ["1.5"],
            "daya tampung": ["1.200"],
        },
        geometry=[market],
        crs=UTM,
    ).to_crs(4326).to_file(folder / "pasar.geojson", driver="GeoJSON")


def test_year_and_capacity_reach_aset_aset_garis_and_aset_area(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _hand_region(raw)
    region = pipeline.prepare_region(data_dir=raw, name="atribut")
    region.usulan_k = 0
    work = tmp_path / "kerja"
    work.mkdir()
    pipeline.run_boundaries(region, work)
    pipeline.run_assets(region, work)
    points = gpd.read_parquet(work / "aset.parquet").set_index("nama")
    assert points.loc["SD A", "tahun_dibangun"] == 1987
    assert pd.isna(points.loc["SD B", "tahun_dibangun"])
    assert "tahun dibangun tertulis '3012' tidak masuk akal" in points.loc["SD B", "catatan"]
    assert points["kapasitas"].tolist() == [6.0, 9.0]
    assert set(points["satuan_kapasitas"]) == {"ruang kelas"}
    line = gpd.read_parquet(work / "aset_garis.parquet").iloc[0]
    assert line["tahun_dibangun"] == 2001
    assert line["kapasitas"] == 12.5 and line["satuan_kapasitas"] == "liter/detik"
    area = gpd.read_parquet(work / "aset_area.parquet").iloc[0]
    assert pd.isna(area["tahun_dibangun"]) and np.isnan(area["kapasitas"])
    assert "tahun dibangun tertulis '1.5' bukan tahun" in area["catatan"]
    assert "kapasitas tertulis '1.200' ambigu" in area["catatan"]

    # The refusals reach the quality report, beside the file and row they came from.
    from jangkau.pipeline.summary import run_quality_sections

    notes = next(
        t for title, _, t in run_quality_sections(work, region) if title.startswith("Catatan")
    )
    refused = {
        (row.sumber, row.baris): row.catatan
        for row in notes.itertuples()
        if "tahun dibangun" in row.catatan or "kapasitas" in row.catatan
    }
    assert set(refused) == {("sekolah.csv", 2), ("pasar.geojson", 1)}
