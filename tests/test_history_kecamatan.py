"""Kecamatan history as data: former names, splits, and population tables from before a split."""

import csv
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
import shapely

from jangkau.clean.assets import place_assets, standardise_assets
from jangkau.clean.population import attach_population
from jangkau.config.catalogue import load_kind_table
from jangkau.config.detect import population_columns
from jangkau.errors import InputError
from jangkau.io.read import read_table
from jangkau.sources.wilayah import region_layers

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
MAKASSAR_CSV = DATA / "makassar" / "penduduk_kecamatan_sp2010.csv"
TO_LONLAT = pyproj.Transformer.from_crs(32750, 4326, always_xy=True)
SANGKARRANG, UJUNG_TANAH = "73.71.15", "73.71.08"


def maros_like_desa():
    """Three 5 km squares named as in Maros: Bontoa, Cenrana, and Camba (its parent)."""
    cells = [
        ("73.09.05.2001", "73.09.05", "Bontoa", 780_000),
        ("73.09.10.2001", "73.09.10", "Cenrana", 785_000),
        ("73.09.02.2001", "73.09.02", "Camba", 790_000),
    ]
    return gpd.GeoDataFrame(
        {
            "kode_desa": [c[0] for c in cells],
            "desa": ["Desa A", "Desa B", "Desa C"],
            "kode_kec": [c[1] for c in cells],
            "kecamatan": [c[2] for c in cells],
            "tipe": "desa",
        },
        geometry=[shapely.box(x, 9_440_000, x + 5000, 9_445_000) for *_, x in cells],
        crs=32750,
    )


def school(npsn, name, x, kecamatan):
    lon, lat = TO_LONLAT.transform(x + 2500, 9_442_500)
    return (npsn, name, "SD", f"{lat:.7f}", f"{lon:.7f}", kecamatan)


def placed_notes(rows):
    raw = pd.DataFrame(
        rows, columns=["npsn", "nama_sekolah", "bentuk_pendidikan", "lintang", "bujur", "kecamatan"]
    )
    raw.insert(0, "baris", range(1, len(raw) + 1))
    columns = {
        "lintang": "lintang",
        "bujur": "bujur",
        "nama": "nama_sekolah",
        "jenis": "bentuk_pendidikan",
        "id": "npsn",
        "kecamatan": "kecamatan",
    }
    records = standardise_assets(raw, columns=columns, source="sekolah_kemdikbud_2019.json")
    placed, rejected = place_assets(records, desa=maros_like_desa(), kinds=load_kind_table())
    assert rejected.empty
    return dict(zip(placed["nama"], placed["catatan"], strict=True))


def test_former_name_and_pre_split_parent_are_not_errors():
    notes = placed_notes(
        [
            school("1", "SD Bontoa", 780_000, "Kec. Maros Utara / Bontoa"),
            school("2", "SD Maros Utara", 780_000, "Kec. Maros Utara"),
            school("3", "SD Cenrana", 785_000, "Kec. Camba"),
            school("4", "SD Salah", 780_000, "Kec. Camba"),  # Camba never held Bontoa
            school("5", "SD Camba", 790_000, "Kec. Cenrana"),  # nor Cenrana Camba
        ]
    )
    assert notes["SD Bontoa"] == ""
    assert notes["SD Maros Utara"] == ""
    assert notes["SD Cenrana"] == ""
    assert "berbeda dengan lokasi titik (Bontoa)" in notes["SD Salah"]
    assert "berbeda dengan lokasi titik (Camba)" in notes["SD Camba"]


@pytest.fixture(scope="module")
def makassar_desa():
    folder = DATA / "wilayah_boundaries"
    texts = {
        "desa": (folder / "wilayah_boundaries_kel_73.71.sql").read_text(encoding="utf-8"),
        "kecamatan": (folder / "wilayah_boundaries_kec_73.sql").read_text(encoding="utf-8"),
        "kabupaten": (folder / "wilayah_boundaries_kab_73.sql").read_text(encoding="utf-8"),
    }
    return region_layers("73.71", texts)["desa"]


def sp2010_rows():
    with open(MAKASSAR_CSV, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_table_from_before_a_split_gives_the_new_kecamatan_its_area_share(makassar_desa):
    table = read_table(MAKASSAR_CSV)
    columns = population_columns(table.columns)
    level = columns.pop("level")
    desa, report = attach_population(
        makassar_desa,
        table,
        columns=columns,
        level=level,
        metric_crs=32750,
        source=MAKASSAR_CSV.name,
    )
    rows = sp2010_rows()
    per_kecamatan = desa.groupby("kode_kec")["penduduk"].sum()
    assert len(per_kecamatan) == 15 and (per_kecamatan > 0).all()
    assert int(desa["penduduk"].sum()) == sum(int(r["TOTAL_POPULATION"]) for r in rows)

    # Independent expectation: Ujung Tanah's 2010 figure times the area share of
    # Sangkarrang's kelurahan among the kelurahan of both.
    ujung_tanah_2010 = next(
        int(r["TOTAL_POPULATION"]) for r in rows if r["DISTRICT"] == "UJUNG TANAH"
    )
    area = makassar_desa.to_crs(32750).geometry.area
    child = makassar_desa["kode_kec"] == SANGKARRANG
    both = child | (makassar_desa["kode_kec"] == UJUNG_TANAH)
    expected = ujung_tanah_2010 * area[child].sum() / area[both].sum()
    got = per_kecamatan[SANGKARRANG]
    assert abs(got - expected) < child.sum()  # largest-remainder rounding: < 1 per kelurahan
    assert per_kecamatan[SANGKARRANG] + per_kecamatan[UJUNG_TANAH] == ujung_tanah_2010

    # Every other kecamatan keeps its own figure; BIRING KANAYA is Biringkanaya.
    names = dict(zip(makassar_desa["kode_kec"], makassar_desa["kecamatan"], strict=False))
    assert per_kecamatan["73.71.11"] == 167_741 and names["73.71.11"] == "Biringkanaya"

    # The planner sees the rule on the desa, and the report names the legal source.
    noted = desa.loc[desa["catatan_penduduk"] != "", "kode_kec"]
    assert set(noted) == {SANGKARRANG, UJUNG_TANAH}
    assert (
        "sebelum Kepulauan Sangkarrang dibentuk 2015" in desa.loc[child, "catatan_penduduk"].iloc[0]
    )
    split_rows = report[report["dicocokkan_dengan"].str.contains("Kepulauan Sangkarrang")]
    assert len(split_rows) == 1
    assert "Perda Kota Makassar No. 3 Tahun 2015" in split_rows["dicocokkan_dengan"].iloc[0]


def test_a_table_from_after_the_split_without_the_new_kecamatan_stops(makassar_desa):
    table = read_table(MAKASSAR_CSV).rename(columns={"TOTAL_POPULATION": "POPULATION_2020"})
    with pytest.raises(InputError, match="kecamatan tanpa angka penduduk: Kepulauan Sangkarrang"):
        attach_population(
            makassar_desa,
            table,
            columns={"kecamatan": "DISTRICT", "value": "POPULATION_2020"},
            level="kecamatan",
            metric_crs=32750,
            source="penduduk_kecamatan.csv",
        )


def test_population_table_with_a_former_name_matches_the_current_kecamatan():
    desa = maros_like_desa()
    table = pd.DataFrame(
        {
            "baris": [1, 2, 3],
            "Kecamatan": ["Maros Utara", "Cenrana", "Camba"],
            "Penduduk 2023": ["26,573", "13,593", "12,554"],
        }
    )
    result, report = attach_population(
        desa,
        table,
        columns={"kecamatan": "Kecamatan", "value": "Penduduk 2023"},
        level="kecamatan",
        metric_crs=32750,
        source="bps.csv",
    )
    assert result.set_index("kecamatan")["penduduk"].to_dict() == {
        "Bontoa": 26573,
        "Cenrana": 13593,
        "Camba": 12554,
    }
    assert report[["nama_di_berkas", "dicocokkan_dengan"]].values.tolist() == [
        ["Maros Utara", "Bontoa (nama lama/lain: Maros Utara)"]
    ]
