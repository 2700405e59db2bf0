import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import square_desa

from jangkau.clean.boundaries import (
    derive_kecamatan,
    reconcile_kecamatan,
    settlement_type,
    standardise_desa,
)
from jangkau.clean.population import attach_population, largest_remainder, parse_count
from jangkau.config import detect
from jangkau.errors import InputError
from jangkau.io.read import read_records, read_table


def test_cp1252_semicolon_csv_with_decimal_comma(tmp_path):
    path = tmp_path / "sekolah.csv"
    path.write_bytes(
        "npsn;nama;lintang;bujur\n1;SD Ma\xe9rang;-5,1;119,5\n\n2;SD B;-5,2;119,6\n".encode(
            "cp1252"
        )
    )
    table = read_table(path)
    assert table.columns.tolist() == ["baris", "npsn", "nama", "lintang", "bujur"]
    assert table["nama"].tolist() == ["SD Maérang", "SD B"]
    assert table["lintang"].tolist() == ["-5,1", "-5,2"]
    assert table["baris"].tolist() == [1, 2]


def test_comma_csv_in_utf8_with_bom(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('nama,Koordinat\nPosyandu Ä,"-5.1, 119.5"\n', encoding="utf-8-sig")
    table = read_table(path)
    assert table.loc[0, "nama"] == "Posyandu Ä" and table.loc[0, "Koordinat"] == "-5.1, 119.5"


def test_excel_with_title_rows_above_the_header(tmp_path):
    path = tmp_path / "faskes.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["DATA FASKES"], ["Sumber: Dinkes"]]).to_excel(
            writer, header=False, index=False
        )
        pd.DataFrame(
            {"No": [1, 2], "Nama": ["A", "B"], "Koordinat": ["-5.1, 119.5", None]}
        ).to_excel(writer, index=False, startrow=3)
    table = read_table(path)
    assert table.columns.tolist() == ["baris", "No", "Nama", "Koordinat"]
    assert table["Nama"].tolist() == ["A", "B"] and table["No"].tolist() == ["1", "2"]
    assert table["baris"].tolist() == [1, 2]


def test_geojson_without_crs_member_with_z_and_null_geometry(tmp_path):
    path = tmp_path / "tbm.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"nama": "A"},
            "geometry": {"type": "Point", "coordinates": [119.5, -5.0, 12.0]},
        },
        {"type": "Feature", "properties": {"nama": "B"}, "geometry": None},
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    frame = read_records(path)
    assert frame.crs.to_epsg() == 4326
    assert frame["baris"].tolist() == [1, 2]
    assert not frame.geometry.iloc[0].has_z and frame.geometry.iloc[1] is None


def test_shapefile_in_utm_keeps_its_crs(tmp_path):
    path = tmp_path / "lp.shp"
    gpd.GeoDataFrame(
        {"NAMOBJ": ["Polsek X"]}, geometry=[shapely.Point(783679, 9441225)], crs=32750
    ).to_file(path)
    frame = read_records(path)
    assert frame.crs.to_epsg() == 32750 and frame["NAMOBJ"].tolist() == ["Polsek X"]


def test_missing_unreadable_and_empty_files_name_the_file(tmp_path):
    with pytest.raises(InputError, match="tidak_ada.csv: berkas tidak ditemukan"):
        read_records(tmp_path / "tidak_ada.csv")
    empty = tmp_path / "kosong.csv"
    empty.write_text("nama;lintang;bujur\n")
    with pytest.raises(InputError, match="kosong.csv: .*tidak memuat baris data"):
        read_records(empty)
    broken = tmp_path / "rusak.geojson"
    broken.write_text("{ not json")
    with pytest.raises(InputError, match="rusak.geojson: berkas rusak atau terpotong"):
        read_records(broken)


def test_column_recognition():
    assert detect.asset_columns(
        ["no", "npsn", "nama_sekolah", "bentuk_pendidikan", "lintang", "bujur"]
    ) == {
        "lintang": "lintang",
        "bujur": "bujur",
        "nama": "nama_sekolah",
        "jenis": "bentuk_pendidikan",
        "id": "npsn",
    }
    assert (
        detect.asset_columns(["Nama Fasilitas", "Jenis Fasilitas", "Koordinat"])["koordinat"]
        == "Koordinat"
    )
    assert detect.asset_columns(["name", "type", "lat", "lng"])["bujur"] == "lng"
    population = detect.population_columns(
        ["Kecamatan", "Penduduk Sensus 2020", "Proyeksi Penduduk 2023"]
    )
    assert population == {
        "kecamatan": "Kecamatan",
        "value": "Proyeksi Penduduk 2023",
        "level": "kecamatan",
    }
    assert (
        detect.code_level("73.09.01.2003") == "desa" and detect.code_level("7308010") == "kecamatan"
    )


@pytest.mark.parametrize(
    ("code", "stated", "expected"),
    [
        ("73.09.01.1001", None, "kelurahan"),
        ("73.09.01.2003", None, "desa"),
        ("73.09.01.2003", "Kelurahan", "kelurahan"),
    ],
)
def test_settlement_type(code, stated, expected):
    assert settlement_type(code, stated) == expected


def test_counts_and_exact_splitting():
    assert (
        parse_count("50.540") == 50540
        and parse_count("12,5") == 12.5
        and parse_count("1 234") == 1234
    )
    parts = largest_remainder(np.array([1.0, 1.0, 1.0]), 100)
    assert parts.sum() == 100 and sorted(parts.tolist()) == [33, 33, 34]


def raw_desa():
    desa = square_desa(
        [
            ("73.09.01.1001", "73.09.01", "kelurahan", 780_000, 9_440_000, 1000),
            ("73.09.01.2002", "73.09.01", "desa", 781_000, 9_440_000, 1000),
            ("73.09.02.2001", "73.09.02", "desa", 782_000, 9_440_000, 2000),
        ]
    )
    bowtie = shapely.Polygon(
        [(782_000, 9_440_000), (784_000, 9_442_000), (784_000, 9_440_000), (782_000, 9_442_000)]
    )
    desa.loc[2, "geometry"] = bowtie
    raw = desa.rename(
        columns={
            "kode_desa": "KDEPUM",
            "desa": "WADMKD",
            "kode_kec": "KDCPUM",
            "kecamatan": "WADMKC",
        }
    )
    raw.loc[:, "WADMKC"] = ["Mandai", "Mandai", "Camba"]
    raw.insert(0, "baris", [1, 2, 3])
    return raw.to_crs(4326)


COLS = {"kode_desa": "KDEPUM", "desa": "WADMKD", "kode_kec": "KDCPUM", "kecamatan": "WADMKC"}


def test_invalid_polygon_is_repaired_and_recorded():
    desa, repairs = standardise_desa(raw_desa(), columns=COLS, source="batas.shp")
    assert desa.is_valid.all()
    assert repairs[["baris", "kode"]].values.tolist() == [[3, "73.09.02.2001"]]
    assert repairs.loc[0, "perbaikan"].startswith("poligon tidak sah diperbaiki")
    assert desa["tipe"].tolist() == ["kelurahan", "desa", "desa"]


def test_population_by_kecamatan_name_is_spread_by_area():
    desa, _ = standardise_desa(raw_desa(), columns=COLS, source="batas.shp")
    table = pd.DataFrame(
        {"baris": [1, 2], "Kecamatan": ["KEC. MANDAI", "camba "], "Penduduk": ["1.001", "500"]}
    )
    result, matches = attach_population(
        desa,
        table,
        columns={"kecamatan": "Kecamatan", "value": "Penduduk"},
        level="kecamatan",
        metric_crs=32750,
        source="bps.csv",
    )
    assert result["penduduk"].tolist()[:2] in ([501, 500], [500, 501])
    assert result["penduduk"].tolist()[2] == 500
    assert matches.empty  # the names differ only in prefix, case and space


def test_unmatched_population_name_names_its_candidates():
    desa, _ = standardise_desa(raw_desa(), columns=COLS, source="batas.shp")
    table = pd.DataFrame(
        {"baris": [1, 2], "Kecamatan": ["Mandai", "Cambaa Raya"], "Penduduk": ["10", "5"]}
    )
    with pytest.raises(
        InputError, match=r"bps.csv, baris 2: kecamatan 'Cambaa Raya' .*mirip: Camba"
    ):
        attach_population(
            desa,
            table,
            columns={"kecamatan": "Kecamatan", "value": "Penduduk"},
            level="kecamatan",
            metric_crs=32750,
            source="bps.csv",
        )


def test_kecamatan_layer_is_matched_and_its_disagreement_measured():
    desa, _ = standardise_desa(raw_desa(), columns=COLS, source="batas.shp")
    derived = derive_kecamatan(desa)
    assert derived["kode_kec"].tolist() == ["73.09.01", "73.09.02"]
    layer = derived.copy()
    layer["kecamatan"] = ["Mandai", "Cambaaa"]
    layer["geometry"] = layer.to_crs(32750).buffer(100).to_crs(4326).to_numpy()
    result, report = reconcile_kecamatan(desa, layer, metric_crs=32750, source="kec.geojson")
    assert result["kecamatan"].tolist() == ["Mandai", "Camba"]
    assert report["nama_di_lapisan_kecamatan"].tolist() == ["Mandai", "Cambaaa"]
    # 2 km x 1 km grown by 100 m: (2.2 * 1.2 - ~0.0086) / 2 - 1
    assert report.loc[0, "selisih_luas_persen"] == pytest.approx(31.6, abs=0.5)


def test_population_by_bps_codes_bridges_to_kemendagri_codes():
    raw = raw_desa()
    raw["KDCBPS"] = ["7308010", "7308010", "7308020"]
    desa, _ = standardise_desa(raw, columns={**COLS, "kode_bps": "KDCBPS"}, source="batas.shp")
    table = pd.DataFrame(
        {"baris": [1, 2], "kode_kec": ["7308010", "7308020"], "Penduduk": ["1000", "300"]}
    )
    result, _ = attach_population(
        desa,
        table,
        columns={"kode_kec": "kode_kec", "value": "Penduduk"},
        level="kecamatan",
        metric_crs=32750,
        source="bps.csv",
    )
    assert result.groupby("kode_kec")["penduduk"].sum().to_dict() == {
        "73.09.01": 1000,
        "73.09.02": 300,
    }


def test_a_province_population_table_serves_one_kabupaten():
    desa, _ = standardise_desa(raw_desa(), columns=COLS, source="batas.shp")
    table = pd.DataFrame(
        {
            "baris": [1, 2, 3, 4],
            "kode_desa": ["73.09.01.1001", "73.09.01.2002", "73.09.02.2001", "73.10.01.1001"],
            "penduduk": ["10", "20", "30", "40"],
        }
    )
    columns = {"kode_desa": "kode_desa", "value": "penduduk"}
    result, report = attach_population(
        desa, table, columns=columns, level="desa", metric_crs=32750, source="p.csv"
    )
    assert result["penduduk"].tolist() == [10, 20, 30]
    assert report["nama_di_berkas"].tolist() == ["1 baris kode desa di luar wilayah"]
    unknown = table.assign(
        kode_desa=["73.09.01.1001", "73.09.01.2002", "73.09.02.2001", "73.09.01.2999"]
    )
    with pytest.raises(InputError, match=r"p.csv, baris 4: kode desa 73.09.01.2999 tidak ada"):
        attach_population(
            desa, unknown, columns=columns, level="desa", metric_crs=32750, source="p.csv"
        )


def test_geopackage_layers_are_read(tmp_path):
    path = tmp_path / "batas.gpkg"
    raw_desa().drop(columns="baris").to_file(path, layer="desa", driver="GPKG")
    frame = read_records(path)
    assert frame["KDEPUM"].tolist()[0] == "73.09.01.1001" and frame.crs.to_epsg() == 4326
