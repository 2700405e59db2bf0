"""Counts read by column pattern, English population headers, and region overrides."""

import csv
import math
import tomllib
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import square_desa

from jangkau.analysis.coverage import coverage_by_desa
from jangkau.clean.boundaries import standardise_desa
from jangkau.clean.counts import parse_counts
from jangkau.clean.population import attach_population
from jangkau.config.catalogue import load_catalogue
from jangkau.config.detect import population_columns
from jangkau.errors import InputError
from jangkau.io.read import read_table

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
MAROS = DATA / "maros"
MAKASSAR = DATA / "makassar"
MAROS_DESA_COLUMNS = {
    "kode_desa": "KDEPUM",
    "desa": "WADMKD",
    "kode_kec": "KDCPUM",
    "kecamatan": "WADMKC",
    "tipe": "TIPADM",
    "kode_bps": "KDCBPS",
}


def counts(cells, **options):
    return parse_counts(pd.Series(cells, dtype=object), source="penduduk.csv", **options).tolist()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12,345", 12345),
        ("12.345", 12345),
        ("12 345", 12345),
        ("12\u00a0345", 12345),
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("982", 982),
    ],
)
def test_documented_counts(cell, expected):
    assert counts([cell]) == [expected]


def test_a_count_that_is_not_whole_is_refused_with_file_and_row():
    with pytest.raises(InputError) as caught:
        counts(["1.234,5"], row_numbers=[7])
    assert str(caught.value).startswith("penduduk.csv, baris 7:")
    assert "bukan bilangan bulat" in str(caught.value)


def test_the_column_decides_what_a_lone_group_of_three_means():
    # Every value comma-thousands or plain digits: thousands.
    assert counts(["16,015", "6,047", "982"]) == [16015, 6047, 982]
    # A decimal comma elsewhere in the column makes "12,345" twelve and a bit: refused.
    with pytest.raises(InputError, match="baris 1: jumlah '12,345' bukan bilangan bulat"):
        counts(["12,345", "12,5"])
    # Dots as thousands and a comma as decimal, whole values: read.
    assert counts(["1.234,0", "16.015"]) == [1234, 16015]
    # Weights (whole=False) keep the decimals the column declares.
    assert counts(["12,5", "1.234,75"], whole=False) == [12.5, 1234.75]


@pytest.mark.parametrize(
    "cells",
    [
        ["1.234.567", "1,234,567"],  # two thousands separators in one column
        ["12,345", "12.345"],  # cannot tell which is thousands
        ["12,5", "0.25"],  # two decimal separators
        ["lima"],
        ["-5"],
    ],
)
def test_unreadable_columns_are_refused_in_one_line(cells):
    with pytest.raises(InputError) as caught:
        counts(cells)
    assert str(caught.value).startswith("penduduk.csv, baris ")


def maros_desa():
    raw = gpd.read_file(MAROS / "batas_desa.shp")
    raw.insert(0, "baris", range(1, len(raw) + 1))
    desa, _ = standardise_desa(raw, columns=MAROS_DESA_COLUMNS, source="batas_desa.shp")
    return desa


def test_maros_desa_table_with_thousands_commas_gives_the_same_total(tmp_path):
    with open(MAROS / "penduduk_desa_model.csv", encoding="utf-8") as handle:
        original = list(csv.DictReader(handle))
    expected = {row["kode_desa"]: int(row["penduduk"]) for row in original}
    assert sum(expected.values()) == 389_277  # BPS 2023 projection for Maros
    written = tmp_path / "penduduk_desa_ribuan.csv"
    with open(written, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["kode_desa", "desa", "penduduk"])
        for row in original:
            out.writerow([row["kode_desa"], row["desa"], f"{int(row['penduduk']):,}"])
    assert "16,015" in written.read_text(encoding="utf-8")
    table = read_table(written)
    columns = population_columns(table.columns)
    level = columns.pop("level")
    desa, _ = attach_population(
        maros_desa(), table, columns=columns, level=level, metric_crs=32750, source=written.name
    )
    assert int(desa["penduduk"].sum()) == sum(expected.values())
    assert dict(zip(desa["kode_desa"], desa["penduduk"].astype(int), strict=True)) == expected


def test_makassar_census_headers_in_english():
    with open(MAKASSAR / "penduduk_kecamatan_sp2010.csv", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert population_columns(header) == {
        "kode_kec": "DISTRICT_CODE",
        "kecamatan": "DISTRICT",
        "value": "TOTAL_POPULATION",
        "level": "kecamatan",
    }
    assert population_columns(["SUBDISTRICT", "VILLAGE", "MALE_POPULATION", "POPULATION"]) == {
        "desa": "VILLAGE",
        "kecamatan": "SUBDISTRICT",
        "value": "POPULATION",
        "level": "desa",
    }
    # Counts by sex are never taken for the total.
    assert population_columns(["DISTRICT", "MALE_POPULATION", "FEMALE_POPULATION"]) == {}


def test_bps_seven_digit_codes_join_through_the_desa_layer():
    # BPS codes per kecamatan name, read from the shapefile itself (not via the project).
    shapes = gpd.read_file(MAROS / "batas_desa.shp")
    bps_of = dict(zip(shapes["WADMKC"], shapes["KDCBPS"], strict=False))
    with open(MAROS / "penduduk_kecamatan_bps.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    table = pd.DataFrame(
        {
            "baris": range(1, len(rows) + 1),
            "DISTRICT_CODE": [bps_of[r["Kecamatan"]] for r in rows],
            "TOTAL_POPULATION": [r["Proyeksi Penduduk 2023"] for r in rows],
        }
    )
    desa, _ = attach_population(
        maros_desa(),
        table,
        columns={"kode_kec": "DISTRICT_CODE", "value": "TOTAL_POPULATION"},
        level="kecamatan",
        metric_crs=32750,
        source="bps_en.csv",
    )
    per_kecamatan = desa.groupby("kecamatan")["penduduk"].sum().to_dict()
    assert per_kecamatan == {r["Kecamatan"]: int(r["Proyeksi Penduduk 2023"]) for r in rows}


@pytest.mark.parametrize(
    ("columns", "level", "problem"),
    [
        ({"value": "TOTAL_POPULATION"}, "kecamatan", "kolom kode_kec atau kecamatan"),
        ({"kecamatan": "DISTRICT"}, "kecamatan", "kolom jumlah penduduk"),
        ({"kecamatan": "KECAMATAN", "value": "TOTAL_POPULATION"}, "kecamatan", "'KECAMATAN'"),
        ({"value": "TOTAL_POPULATION"}, "desa", "kolom kode_desa atau desa"),
    ],
)
def test_odd_population_tables_end_in_one_line(columns, level, problem):
    table = read_table(MAKASSAR / "penduduk_kecamatan_sp2010.csv")
    with pytest.raises(InputError) as caught:
        attach_population(
            maros_desa(),
            table,
            columns=columns,
            level=level,
            metric_crs=32750,
            source="penduduk_kecamatan_sp2010.csv",
        )
    assert str(caught.value).startswith("penduduk_kecamatan_sp2010.csv")
    assert problem in str(caught.value)


def national_layanan():
    text = resources.files("jangkau.config").joinpath("data", "layanan.toml").read_text("utf-8")
    return {entry["kode"]: entry for entry in tomllib.loads(text)["layanan"]}


def test_an_override_of_radius_desa_keeps_every_other_national_figure():
    national = national_layanan()
    catalogue = load_catalogue({"sd": {"radius_desa_m": 2500}}).set_index("layanan")
    assert catalogue.loc["sd", "radius_desa_m"] == 2500
    for figure in ("radius_kelurahan_m", "penduduk_per_fasilitas", "minimum_per"):
        assert catalogue.loc["sd", figure] == national["sd"][figure]
    assert "radius_desa_m diubah oleh berkas wilayah" in catalogue.loc["sd", "sumber_standar"]
    for code, entry in national.items():
        if code == "sd":
            continue
        for figure in ("radius_kelurahan_m", "radius_desa_m", "penduduk_per_fasilitas"):
            if figure in entry:
                assert catalogue.loc[code, figure] == entry[figure]
            else:
                assert math.isnan(catalogue.loc[code, figure])

    # A kelurahan 4 km square with one SD at its centre: covered share is the
    # disc of the national kelurahan radius over the square's area.
    desa = square_desa(
        [
            ("73.09.01.1001", "73.09.01", "kelurahan", 780_000, 9_440_000, 4000),
            ("73.09.01.2002", "73.09.01", "desa", 790_000, 9_440_000, 8000),
        ]
    ).assign(penduduk=[1000, 1000])
    facilities = gpd.GeoDataFrame(
        {"layanan": ["sd", "sd"]},
        geometry=[shapely.Point(782_000, 9_442_000), shapely.Point(794_000, 9_444_000)],
        crs=32750,
    )
    long = coverage_by_desa(
        desa, facilities, catalogue=load_catalogue({"sd": {"radius_desa_m": 2500}})
    )
    sd = long[long["layanan"] == "sd"].set_index("kode_desa")["cakupan"]
    kelurahan_radius = national["sd"]["radius_kelurahan_m"]
    assert sd["73.09.01.1001"] == pytest.approx(math.pi * kelurahan_radius**2 / 4000**2, rel=5e-3)
    assert sd["73.09.01.2002"] == pytest.approx(math.pi * 2500**2 / 8000**2, rel=5e-3)


def test_bad_overrides_are_refused_in_one_line():
    with pytest.raises(InputError, match="'radius_desa' bukan angka standar"):
        load_catalogue({"sd": {"radius_desa": 2500}})
    with pytest.raises(InputError, match="isi radius_kelurahan_m dan radius_desa_m"):
        load_catalogue({"bank": {"nama": "Bank", "jenis_aset": ["Bank"], "radius_desa_m": 3000}})
    # Service codes are compared as written in lower case.
    assert (
        load_catalogue({"SD": {"radius_desa_m": 2500}})
        .set_index("layanan")
        .loc["sd", "radius_kelurahan_m"]
        == national_layanan()["sd"]["radius_kelurahan_m"]
    )
