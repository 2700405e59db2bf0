"""Facilities that exist without a usable location are counted, once, where their row says.

Expected figures are read from the input files with the csv module, not with
the pipeline's readers or matching code.
"""

import csv
import re
import shutil

import pandas as pd
import pyogrio
import pytest
from conftest import PROJECT, SHARED

from jangkau.analysis.gaps import gap_table
from jangkau.analysis.urgency import kabupaten_table
from jangkau.clean.rosters import match_rosters, standardise_roster
from jangkau.clean.unlocated import UNLOCATED_COLUMNS, count_unlocated
from jangkau.config.catalogue import load_catalogue, load_kind_table
from jangkau.config.region import resolve_region
from jangkau.io.read import read_records
from jangkau.pipeline.context import OutputPaths, prepare_region
from jangkau.pipeline.runner import run_all

MAROS = SHARED / "maros"
MAROS_REAL = SHARED / "maros_nyata"
CAMBA, TOMPOBULU = "73.09.02", "73.09.11"


def _run(region, tmp_path, name):
    outputs = OutputPaths.under(tmp_path / "out", name)
    run_all(region, outputs, keep_work=True)
    (work,) = outputs.processed.parent.glob(f".kerja-{name}-*")
    return work, outputs.processed


@pytest.fixture(scope="module")
def maros_run(tmp_path_factory):
    region = prepare_region(region_file=PROJECT / "regions" / "maros.toml")
    return _run(region, tmp_path_factory.mktemp("maros"), "maros")


@pytest.fixture(scope="module")
def maros_real_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nyata") / "maros_nyata"
    folder.mkdir()
    for path in [
        *MAROS.glob("batas_desa.*"),
        MAROS / "batas_kecamatan.geojson",
        MAROS / "penduduk_kecamatan_bps.csv",
        *MAROS_REAL.iterdir(),
    ]:
        shutil.copy(path, folder / path.name)
    region = prepare_region(data_dir=folder, name="maros_nyata")
    return (*_run(region, folder.parent, "maros_nyata"), region)


def _schools_without_location(kecamatan):
    """SMP/MTs rows of sekolah.csv in a kecamatan whose coordinates are empty or zero."""
    with (MAROS / "sekolah.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    missing = [
        r
        for r in rows
        if r["bentuk_pendidikan"].strip().upper() in ("SMP", "MTS")
        and r["kecamatan"].strip().lower() == kecamatan
        and all(r[c].strip() in ("", "0") for c in ("lintang", "bujur"))
    ]
    return {(r["desa"].strip(), r["nama_sekolah"].strip()) for r in missing}


def test_maros_smp_counts_include_schools_rejected_for_location(maros_run):
    work, _ = maros_run
    gaps = pd.read_parquet(work / "kesenjangan.parquet").set_index(["kode_kec", "layanan"])
    placed = pd.read_parquet(work / "aset.parquet", columns=["kode_kec", "layanan"])
    desa_gaps = pd.read_parquet(work / "kesenjangan_desa.parquet")
    for code, name in ((CAMBA, "camba"), (TOMPOBULU, "tompobulu")):
        expected = _schools_without_location(name)
        assert len(expected) == 1, expected
        row = gaps.loc[(code, "smp")]
        on_map = int(((placed["kode_kec"] == code) & (placed["layanan"] == "smp")).sum())
        assert row["tanpa_koordinat"] == 1
        assert row["jumlah_fasilitas"] == on_map + 1
        assert row["kekurangan"] == max(0, row["kebutuhan"] - row["jumlah_fasilitas"])
        ((desa_name, _),) = expected
        in_desa = desa_gaps[(desa_gaps["desa"] == desa_name) & (desa_gaps["layanan"] == "smp")]
        assert in_desa["tanpa_koordinat"].tolist() == [1]
    # Camba had 0 SMP and shortfall 3 before; its school now counts.
    assert gaps.loc[(CAMBA, "smp"), "jumlah_fasilitas"] >= 1


def test_every_record_rejected_for_location_is_accounted_for(maros_run):
    work, processed = maros_run
    rejected = pd.read_parquet(work / "aset_ditolak.parquet")
    by_location = rejected[rejected["alasan"].str.match(r"^(koordinat|di luar kabupaten)")]
    unlocated = pd.read_parquet(work / "tanpa_koordinat.parquet")
    mine = unlocated[unlocated["asal"] == "aset ditolak karena lokasi"]
    assert sorted(zip(mine["sumber"], mine["baris"], strict=True)) == sorted(
        zip(by_location["sumber"], by_location["baris"], strict=True)
    )
    assert (mine["keterangan"].str.len() > 0).all()
    # The library row without any place text stays uncounted, saying why.
    survey = mine[mine["nama"].str.contains("belum disurvei", na=False)]
    assert not survey["dihitung"].any()
    assert survey["keterangan"].str.contains("tidak menyebut").all()
    # Published: the kecamatan layer, the workbook sheet and the GeoPackage table.
    gpkg = processed / "coverage.gpkg"
    layer = pyogrio.read_dataframe(gpkg, layer="kecamatan").set_index("kode_kec")
    gaps = pd.read_parquet(work / "kesenjangan.parquet")
    assert (
        layer["tanpa_koordinat"].to_dict()
        == gaps.groupby("kode_kec")["tanpa_koordinat"].sum().to_dict()
    )
    assert "Sekolah Menengah Pertama 1" in layer.loc[CAMBA, "tanpa_koordinat_rincian"]
    table = pyogrio.read_dataframe(gpkg, layer="tanpa_koordinat")
    assert len(table) == len(unlocated)
    sheet = pd.read_excel(
        processed / "kesenjangan_kecamatan.xlsx", sheet_name="Tanpa koordinat", engine="openpyxl"
    )
    assert len(sheet) == int(unlocated["dihitung"].sum())
    assert "SMPN 97 PATANYAMANG" in set(sheet["Nama"])
    # The map page gets the figure for the kecamatan popup line.
    page = (processed.parents[2] / "maps" / "maros" / "index.html").read_text(encoding="utf-8")
    assert "Termasuk fasilitas tanpa koordinat" in page
    assert layer.loc[CAMBA, "tanpa_koordinat_rincian"] in page


def _roster(name):
    with (MAROS_REAL / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_real_maros_roster_hospitals_count_and_puskesmas_are_not_counted_twice(maros_real_run):
    work, processed, region = maros_real_run
    assert sorted(s.name for s in region.daftar) == [
        "puskesmas_daftar_kemenkes.csv",
        "rumah_sakit_daftar_kemenkes.csv",
    ]
    hospitals = [r for r in _roster("rumah_sakit_daftar_kemenkes.csv") if r["kode_kab"] == "7309"]
    roster_puskesmas = _roster("puskesmas_daftar_kemenkes.csv")
    placed_puskesmas = _roster("puskesmas_kemenkes_2019.csv")
    assert (len(hospitals), len(roster_puskesmas), len(placed_puskesmas)) == (2, 14, 14)

    kabupaten = pd.read_parquet(work / "kesenjangan_kabupaten.parquet").set_index("layanan")
    assert kabupaten.loc["rumah_sakit", "jumlah_fasilitas"] == 2
    assert kabupaten.loc["rumah_sakit", "tanpa_koordinat"] == 2
    assert kabupaten.loc["puskesmas", "jumlah_fasilitas"] == 14
    assert kabupaten.loc["puskesmas", "tanpa_koordinat"] == 0

    # Which placed puskesmas each roster row is, read from the files: the name
    # without "PUSKESMAS" and spaces, else the one whose address names that kecamatan.
    def squeeze(text):
        return re.sub(r"\s+", "", text).upper()

    by_name = {squeeze(r["nama_faskes"]): r for r in placed_puskesmas}
    expected = {}
    for row in roster_puskesmas:
        place = row["unit_kerja"].removeprefix("PUSKESMAS ")
        found = by_name.get(squeeze(place))
        if found is None:
            (found,) = [
                r for r in placed_puskesmas if f"Kec. {place.title()}" in r["alamat_faskes"]
            ]
            assert squeeze(found["nama_faskes"]) not in {
                squeeze(r["unit_kerja"].removeprefix("PUSKESMAS ")) for r in roster_puskesmas
            }
        expected[row["unit_kerja"]] = found["nama_faskes"]
    assert expected["PUSKESMAS BONTOA"] == "BONTOMARANNU"

    ledger = pd.read_parquet(work / "daftar_pencocokan.parquet")
    assert len(ledger) == len(roster_puskesmas) + len(_roster("rumah_sakit_daftar_kemenkes.csv"))
    matched = ledger[ledger["sumber"] == "puskesmas_daftar_kemenkes.csv"]
    assert (matched["hasil"] == "cocok").all()
    found = dict(
        zip(matched["nama"], matched["cocok_dengan"].str.extract(r"\((.*)\)$")[0], strict=True)
    )
    assert found == expected
    assert matched["cocok_dengan"].is_unique
    bontoa = matched.set_index("nama").loc["PUSKESMAS BONTOA", "cara"]
    assert bontoa.startswith("tempat yang disebut nama")
    rs = ledger[ledger["sumber"] == "rumah_sakit_daftar_kemenkes.csv"]
    assert (rs["hasil"] == "dihitung tanpa koordinat").all()
    # Rosters are used, not listed as unused; the report shows every roster row.
    assert not set(region.ignored) & {s.name for s in region.daftar}
    report = (processed / "kualitas_data.html").read_text(encoding="utf-8")
    assert "Pencocokan daftar resmi" in report and "RS AU DR. DODY SARDJOTO" in report


# Small hand-made cases: every rule of counting and matching, one at a time.
DESA = pd.DataFrame(
    {
        "kode_desa": ["73.09.01.2001", "73.09.01.2002", "73.09.02.2001"],
        "desa": ["Alfa", "Beta", "Gama"],
        "kode_kec": ["73.09.01", "73.09.01", "73.09.02"],
        "kecamatan": ["Satu", "Satu", "Dua"],
    }
)


def _records(rows):
    frame = pd.DataFrame(
        rows,
        columns=["sumber", "baris", "nama", "jenis_tertulis", "id_aset", "desa_tertulis"]
        + ["kecamatan_tertulis", "alamat_tertulis"],
    )
    return frame


def _placed(rows):
    return pd.DataFrame(
        rows, columns=["sumber", "baris", "nama", "id_aset", "layanan", "kode_kec", "kode_desa"]
    )


def test_rejected_records_count_where_their_text_says_and_never_twice():
    records = _records(
        [
            ("a.csv", 1, "SMPN 1 ALFA", "SMP", "11111111", "Alfa", "Satu", None),
            ("a.csv", 2, "SMPN 2 GAMA", "SMP", "22222222", None, None, "Jl. X, Kec. Dua"),
            ("a.csv", 3, "SMPN 3", "SMP", "33333333", None, None, None),
            ("a.csv", 4, "SMPN 4", "SMP", "44444444", "Gama", "Satu", None),
            ("a.csv", 5, "SMPN 5 BETA", "SMP", "55555555", None, "Satu", None),
            ("a.csv", 6, "SMPN 6", "SMP", None, None, "Satu", None),
        ]
    )
    rejected = pd.DataFrame(
        {
            "sumber": "a.csv",
            "baris": [1, 2, 3, 4, 5, 6],
            "alasan": ["koordinat kosong"] * 3
            + ["koordinat bernilai 0 (tidak diisi)", "koordinat kosong", "duplikat dari x"],
        }
    )
    # Row 5 is a placed school again (same NPSN in another file).
    placed = _placed([("b.csv", 9, "SMP NEGERI 5", "55555555", "smp", "73.09.01", "73.09.01.2002")])
    out = count_unlocated(records, rejected, placed, desa=DESA, kinds=load_kind_table(None))
    assert list(out.columns) == UNLOCATED_COLUMNS
    out = out.set_index("baris")
    assert sorted(out.index) == [1, 2, 3, 4, 5]  # row 6 is a duplicate, not a location problem
    assert out.loc[1, ["dihitung", "kode_kec", "kode_desa"]].tolist() == [
        True,
        "73.09.01",
        "73.09.01.2001",
    ]
    assert out.loc[2, ["dihitung", "kode_kec"]].tolist() == [True, "73.09.02"]
    assert pd.isna(out.loc[2, "kode_desa"])
    assert not out.loc[3, "dihitung"] and "tidak menyebut" in out.loc[3, "keterangan"]
    assert not out.loc[4, "dihitung"] and "bertentangan" in out.loc[4, "keterangan"]
    assert not out.loc[5, "dihitung"] and "b.csv baris 9" in out.loc[5, "keterangan"]


def test_roster_rows_are_matched_once_or_counted_or_refused_with_a_reason():
    kinds = load_kind_table(None)
    placed = _placed(
        [
            ("p.csv", 1, "MANDAI", "P7308010101", "puskesmas", "73.09.01", "73.09.01.2001"),
            ("p.csv", 2, "KEMBAR", None, "puskesmas", "73.09.01", "73.09.01.2001"),
            ("p.csv", 3, "KEMBAR", None, "puskesmas", "73.09.01", "73.09.01.2002"),
            ("p.csv", 4, "TIMUR", None, "puskesmas", "73.09.02", "73.09.02.2001"),
        ]
    )
    rosters = pd.DataFrame(
        {
            "sumber": "d.csv",
            "baris": [1, 2, 3, 4, 5, 6, 7],
            "nama": [
                "PUSKESMAS MANDAI",
                "PUSKESMAS KEMBAR",
                "PUSKESMAS GAMA",
                "RSUD LAIN",
                "RSUD JAUH",
                "RSUD LAIN",
                "PUSKESMAS MANDAI",
            ],
            "jenis_tertulis": [
                "PUSKESMAS MANDAI",
                "PUSKESMAS KEMBAR",
                "PUSKESMAS GAMA",
                "RSUD LAIN",
                "RSUD JAUH",
                "RSUD LAIN",
                "PUSKESMAS MANDAI",
            ],
            "id_aset": ["1", "2", "3", "4", "5", "6", "7"],
            "kode_kab_tertulis": ["7309", "7309", "7309", "7309", "7371", "7309", "7309"],
        }
    ).reindex(
        columns=[
            "sumber",
            "baris",
            "nama",
            "jenis_tertulis",
            "id_aset",
            "kode_kab_tertulis",
            "desa_tertulis",
            "kecamatan_tertulis",
            "alamat_tertulis",
            "data_asli",
        ]
    )
    empty = pd.DataFrame(columns=UNLOCATED_COLUMNS)
    counted, ledger = match_rosters(rosters, placed=placed, unlocated=empty, desa=DESA, kinds=kinds)
    result = ledger.set_index("baris")
    assert result.loc[1, ["hasil", "cara"]].tolist() == ["cocok", "nama sama"]
    assert "p.csv baris 1" in result.loc[1, "cocok_dengan"]
    # Two placed facilities share the name: refused, naming both.
    assert result.loc[2, "hasil"] == "tidak dihitung"
    assert "cocok dengan 2 fasilitas" in result.loc[2, "keterangan"]
    # The name gives Ds. Gama (Kec. Dua): the one puskesmas still free there is TIMUR.
    assert result.loc[3, "hasil"] == "cocok" and "p.csv baris 4" in result.loc[3, "cocok_dengan"]
    assert result.loc[4, "hasil"] == "dihitung tanpa koordinat"
    assert result.loc[5, "hasil"] == "tidak dihitung"
    assert "7371" in result.loc[5, "keterangan"]
    assert (
        result.loc[6, "hasil"] == "tidak dihitung"
        and "d.csv baris 4" in result.loc[6, "keterangan"]
    )
    # The roster repeats Mandai, matched already: the same facility, not counted again.
    assert (
        result.loc[7, "hasil"] == "tidak dihitung"
        and "p.csv baris 1" in result.loc[7, "keterangan"]
    )
    assert sorted(counted.loc[counted["dihitung"], "baris"]) == [4]
    assert counted["kode_kec"].isna().all() and set(counted["kode_kab"].dropna()) == {"73.09"}

    # The kabupaten table counts the hospital (kabupaten level) beside the kecamatan counts.
    catalogue = load_catalogue()
    gaps = pd.DataFrame(
        {
            "kode_kec": ["73.09.01", "73.09.02"] * 2,
            "layanan": ["puskesmas"] * 2 + ["rumah_sakit"] * 2,
            "penduduk": [1000, 2000] * 2,
            "penduduk_terlayani": [500.0, 500.0] * 2,
            "jumlah_fasilitas": [2, 2, 0, 0],
            "tanpa_koordinat": [0, 0, 0, 0],
            "kebutuhan": pd.array([1, 1, pd.NA, pd.NA], dtype="Int64"),
            "kekurangan": pd.array([0, 0, pd.NA, pd.NA], dtype="Int64"),
        }
    )
    table = kabupaten_table(
        gaps,
        catalogue,
        kabupaten=pd.Series({"73.09.01": "73.09", "73.09.02": "73.09"}),
        weights={"bobot_tak_terjangkau": 1.0, "bobot_kekurangan": 1.0},
        unlocated=counted,
    ).set_index("layanan")
    assert table.loc["rumah_sakit", ["jumlah_fasilitas", "tanpa_koordinat"]].tolist() == [1, 1]
    assert table.loc["puskesmas", ["jumlah_fasilitas", "tanpa_koordinat"]].tolist() == [4, 0]


def test_unlocated_kinds_unknown_to_the_catalogue_are_not_counted():
    records = _records([("a.csv", 1, "Gudang", "gudang", None, "Alfa", "Satu", None)])
    rejected = pd.DataFrame({"sumber": ["a.csv"], "baris": [1], "alasan": ["koordinat kosong"]})
    out = count_unlocated(records, rejected, _placed([]), desa=DESA, kinds=load_kind_table(None))
    assert not out["dihitung"].any() and "katalog" in out["keterangan"].iloc[0]


def test_a_region_file_may_list_rosters_with_their_columns(tmp_path):
    for path in [*MAROS.glob("batas_desa.*"), MAROS_REAL / "rumah_sakit_daftar_kemenkes.csv"]:
        shutil.copy(path, tmp_path / path.name)
    columns = {"nama": "unit_kerja", "jenis": "unit_kerja", "id": "kode_instansi"}
    region = resolve_region(
        {
            "name": "uji",
            "data_dir": str(tmp_path),
            "daftar": [{"file": "rumah_sakit_daftar_kemenkes.csv", "columns": columns}],
        }
    )
    ((spec,),) = [region.daftar]
    assert spec.columns == columns and region.aset == [] and region.ignored == {}
    rows = standardise_roster(read_records(spec.path), columns=spec.columns, source=spec.name)
    # kode_kab is found by its name; every roster row is kept with its original text.
    assert rows["kode_kab_tertulis"].tolist() == ["7309", "7309"]
    assert rows["id_aset"].tolist() == ["7309016", "7309044"]
    assert rows["data_asli"].str.contains("LA PALALOI").tolist() == [True, False]


def test_coverage_uses_placed_points_only(maros_run):
    work, _ = maros_run
    desa = pd.read_parquet(work / "desa.parquet")
    kecamatan = pd.read_parquet(work / "kecamatan.parquet")
    coverage = pd.read_parquet(work / "cakupan_desa.parquet")
    placed = pd.read_parquet(work / "aset.parquet")
    unlocated = pd.read_parquet(work / "tanpa_koordinat.parquet")
    options = {
        "catalogue": load_catalogue(),
        "weights": {"bobot_tak_terjangkau": 1.0, "bobot_kekurangan": 1.0},
    }
    without = gap_table(kecamatan, desa, coverage, placed, **options)
    counted = gap_table(kecamatan, desa, coverage, placed, unlocated=unlocated, **options)
    pd.testing.assert_series_equal(without["cakupan"], counted["cakupan"])
    pd.testing.assert_series_equal(without["penduduk_terlayani"], counted["penduduk_terlayani"])
    added = counted["jumlah_fasilitas"] - without["jumlah_fasilitas"]
    assert added.tolist() == counted["tanpa_koordinat"].tolist()
    assert int(added.sum()) == int((unlocated["dihitung"] & unlocated["kode_kec"].notna()).sum())
    assert (without["tanpa_koordinat"] == 0).all()
