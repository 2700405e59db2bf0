"""Real published lists recognised by content: JSON tables, unnamed kind and coordinate
columns, rosters without coordinates, and refusals that name both readings."""

import csv
import json
import shutil

import geopandas as gpd
import pandas as pd
import pytest
from conftest import SHARED

from flows.cli import main
from jangkau.config.catalogue import load_kind_table
from jangkau.config.columns_by_content import guess_asset_columns, is_roster
from jangkau.config.detect import asset_columns
from jangkau.errors import InputError
from jangkau.io.read import is_vector, read_records
from jangkau.pipeline.context import OutputPaths, prepare_region
from jangkau.pipeline.runner import run_all

MAROS = SHARED / "maros"
MAROS_REAL = SHARED / "maros_nyata"
MAKASSAR = SHARED / "makassar"
# Kabupaten Maros, roughly (west, south, east, north) in degrees.
MAROS_BOUNDS = (119.45, -5.25, 119.95, -4.75)


def json_records(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    (records,) = data.values()
    return len(records)


def csv_rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def geojson_features(path):
    return len(json.loads(path.read_text(encoding="utf-8"))["features"])


def copy(files, folder):
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy(path, folder / path.name)
    return folder


def run_folder(folder, tmp_path, name):
    """Run a folder without region file through the local runner, keeping the work files."""
    region = prepare_region(data_dir=folder, name=name)
    outputs = OutputPaths.under(tmp_path / "out", name)
    result = run_all(region, outputs, keep_work=True)
    (work,) = outputs.processed.parent.glob(f".kerja-{name}-*")
    read = pd.read_parquet(work / "aset_dibaca.parquet").set_index("sumber")["dibaca"]
    placed = pd.read_parquet(work / "aset.parquet", columns=["sumber"])["sumber"].value_counts()
    rejected = pd.read_parquet(work / "aset_ditolak.parquet")["sumber"].value_counts()
    return region, result["ringkasan"], read, placed, rejected, work


def assert_every_record_accounted(read, placed, rejected, expected):
    assert read.to_dict() == expected
    for source, count in expected.items():
        assert placed.get(source, 0) + rejected.get(source, 0) == count, source


def test_maros_real_lists_run_without_region_file(tmp_path):
    folder = copy(
        [
            *MAROS.glob("batas_desa.*"),
            MAROS / "batas_kecamatan.geojson",
            MAROS / "penduduk_kecamatan_bps.csv",
            *MAROS_REAL.iterdir(),
        ],
        tmp_path / "maros",
    )
    expected = {
        "sekolah_kemdikbud_2019.json": json_records(folder / "sekolah_kemdikbud_2019.json"),
        "puskesmas_kemenkes_2019.csv": csv_rows(folder / "puskesmas_kemenkes_2019.csv"),
    }
    assert expected == {"sekolah_kemdikbud_2019.json": 385, "puskesmas_kemenkes_2019.csv": 14}
    region, summary, read, placed, rejected, _ = run_folder(folder, tmp_path, "maros_nyata")
    assert_every_record_accounted(read, placed, rejected, expected)
    # Rosters are used (counted without location, tests/test_unlocated.py), not unused.
    assert region.ignored == {}
    assert sorted(spec.name for spec in region.daftar) == [
        "puskesmas_daftar_kemenkes.csv",
        "rumah_sakit_daftar_kemenkes.csv",
    ]
    school = next(s for s in region.aset if s.name == "sekolah_kemdikbud_2019.json").columns
    assert (school["nama"], school["jenis"], school["id"]) == ("sekolah", "bentuk", "npsn")
    guesses = pd.DataFrame(region.tebakan_kolom).set_index(["berkas", "peran"])["kolom"]
    assert guesses[("sekolah_kemdikbud_2019.json", "jenis")] == "bentuk"
    assert guesses[("sekolah_kemdikbud_2019.json", "nama")] == "sekolah"
    # The report shows the guesses, and what became of every roster row.
    assert "## Kolom yang ditebak" in summary["markdown"]
    assert "| sekolah_kemdikbud_2019.json | jenis | bentuk |" in summary["markdown"]
    assert "## Pencocokan daftar resmi" in summary["markdown"]
    assert "Berkas yang tidak dipakai" not in summary["teks"]


def test_makassar_real_lists_run_without_region_file(tmp_path):
    folder = tmp_path / "makassar"
    source = str(SHARED / "wilayah_boundaries")
    assert main(["boundaries", "73.71", "--source", source, "--out", str(folder)]) == 0
    facilities = [
        "sekolah_kemdikbud_2019.json",
        "puskesmas_kemenkes_2019.csv",
        "puskesmas_rbi50k.geojson",
        "rumah_sakit_rbi50k.geojson",
    ]
    copy(
        [
            MAKASSAR / "penduduk_kecamatan_sp2010.csv",
            MAKASSAR / "pelabuhan_rbi50k.geojson",
            *(MAKASSAR / f for f in facilities),
        ],
        folder,
    )
    expected = {
        "sekolah_kemdikbud_2019.json": json_records(folder / "sekolah_kemdikbud_2019.json"),
        "puskesmas_kemenkes_2019.csv": csv_rows(folder / "puskesmas_kemenkes_2019.csv"),
        "puskesmas_rbi50k.geojson": geojson_features(folder / "puskesmas_rbi50k.geojson"),
        "rumah_sakit_rbi50k.geojson": geojson_features(folder / "rumah_sakit_rbi50k.geojson"),
        # Ports are a class of the inventory since issue 16 (RBI "Pelabuhan Sungai dan Danau").
        "pelabuhan_rbi50k.geojson": geojson_features(folder / "pelabuhan_rbi50k.geojson"),
    }
    region, _, read, placed, rejected, work = run_folder(folder, tmp_path, "makassar")
    assert_every_record_accounted(read, placed, rejected, expected)
    rbi = {s.name: s.columns.get("jenis") for s in region.aset if s.name.endswith("rbi50k.geojson")}
    assert rbi == {
        "puskesmas_rbi50k.geojson": "REMARK",
        "rumah_sakit_rbi50k.geojson": "REMARK",
        "pelabuhan_rbi50k.geojson": "REMARK",
    }
    assert "pelabuhan_rbi50k.geojson" not in region.ignored
    assets = pd.read_parquet(work / "aset.parquet", columns=["sumber", "layanan"])
    assert set(assets.loc[assets["sumber"] == "pelabuhan_rbi50k.geojson", "layanan"]) == {
        "pelabuhan"
    }
    desa = gpd.read_parquet(work / "desa.parquet")
    islands = desa[desa["kecamatan"] == "Kepulauan Sangkarrang"]
    assert len(islands) and (islands["penduduk"] > 0).all()
    assert (islands["catatan_penduduk"].str.len() > 0).all()


def kinds():
    return load_kind_table()


def guess(frame, bounds=None):
    return guess_asset_columns(
        frame, named=asset_columns(frame.columns), kinds=kinds(), bounds=bounds, source="uji.csv"
    )


def test_kind_column_with_any_name_is_the_one_whose_values_are_kinds():
    frame = pd.DataFrame(
        {
            "abc": ["SDN 1 Turikale", "SMPN 2 Maros", "SDN 3 Lau", "SMAN 1 Maros"],
            "xyz": ["SD", "SMP", "SD", "SMA"],
            "lintang": ["-5.0", "-5.01", "-5.02", "-5.03"],
            "bujur": ["119.6", "119.61", "119.62", "119.63"],
        }
    )
    found, guesses = guess(frame)
    # The names start with a kind too, but the kind column repeats a few values.
    assert (found["jenis"], found["nama"]) == ("xyz", "abc")
    reasons = {g.role: g.reason for g in guesses}
    assert reasons["jenis"] == "100% nilainya ada di tabel jenis aset"


def test_coordinates_by_content_in_either_order_inside_the_region():
    frame = pd.DataFrame(
        {
            "nama": ["Puskesmas A", "Puskesmas B", "Puskesmas C"],
            "p": ["119.61", "119.70", "119.55"],
            "q": ["-4.95", "-5.07", "-5.05"],
            # The ministry in Jakarta: inside Indonesia, outside Maros.
            "u": ["-6.18", "-6.18", "-6.18"],
            "v": ["106.83", "106.83", "106.83"],
        }
    )
    found, guesses = guess(frame, bounds=MAROS_BOUNDS)
    assert (found["lintang"], found["bujur"]) == ("q", "p")
    assert {g.role: g.column for g in guesses if g.role in ("lintang", "bujur")} == {
        "lintang": "q",
        "bujur": "p",
    }
    # Without the region's outline several pairs fit Indonesia equally: refused, naming two.
    with pytest.raises(InputError, match="uji.csv: kolom lintang/bujur.*'q \\+ p' dan 'u \\+ p'"):
        guess(frame)


def test_two_kind_columns_that_fit_equally_stop_naming_both():
    frame = pd.DataFrame(
        {
            "nama": ["A", "B", "C", "D"],
            "tingkat": ["SD", "SMP", "SD", "SMP"],
            "golongan": ["MI", "MTs", "MI", "MTs"],
            "lintang": ["-5.0", "-5.01", "-5.02", "-5.03"],
            "bujur": ["119.6", "119.61", "119.62", "119.63"],
        }
    )
    with pytest.raises(InputError, match="kolom jenis.*'tingkat' dan 'golongan'"):
        guess(frame)


def test_json_array_and_object_holding_one_are_tables(tmp_path):
    records = [
        {"npsn": "40300266", "sekolah": "SDN 13 MANARANG", "lintang": -4.95, "kode": "190104  "},
        {"npsn": "40300184", "sekolah": "SDN 176 TALLASA", "lintang": "-5.07", "extra": [1]},
    ]
    bare, wrapped = tmp_path / "a.json", tmp_path / "b.json"
    bare.write_text(json.dumps(records), encoding="utf-8")
    wrapped.write_text(json.dumps({"status": "ok", "190100": records}), encoding="utf-8")
    for path in (bare, wrapped):
        assert not is_vector(path)
        frame = read_records(path)
        assert list(frame.columns) == ["baris", "npsn", "sekolah", "lintang", "kode", "extra"]
        assert frame["baris"].tolist() == [1, 2]
        assert frame["lintang"].tolist() == ["-4.95", "-5.07"]
        assert frame["kode"].tolist() == ["190104", None]
        assert frame["extra"].tolist() == [None, "[1]"]
    geojson = tmp_path / "c.json"
    geojson.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"nama": "x"},
                        "geometry": {"type": "Point", "coordinates": [119.6, -5.0]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    assert is_vector(geojson)
    assert read_records(geojson).geometry.iloc[0].x == 119.6


def test_json_object_with_two_tables_stops_naming_both(tmp_path):
    path = tmp_path / "dua.json"
    path.write_text(json.dumps({"sd": [{"a": 1}], "smp": [{"a": 2}]}), encoding="utf-8")
    with pytest.raises(InputError, match="dua.json.*'sd', 'smp'"):
        read_records(path)


def test_names_of_known_kinds_without_place_are_a_roster_with_place_a_broken_list():
    roster = pd.DataFrame(
        {
            "kode_kab": ["7309", "7309", "7309"],
            "unit_kerja": ["PUSKESMAS MANDAI", "PUSKESMAS TURIKALE", "PUSKESMAS LAU"],
        }
    )
    found, _ = guess(roster)
    assert (found["nama"], found["jenis"]) == ("unit_kerja", "unit_kerja")
    assert is_roster(roster, found, has_geometry=False)
    # The same names with their kecamatan: an asset list that lost its coordinates.
    listed = roster.assign(kecamatan=["Mandai", "Turikale", "Lau"])
    found, _ = guess(listed)
    assert not is_roster(listed, found, has_geometry=False)
