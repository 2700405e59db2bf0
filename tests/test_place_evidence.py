"""Evidence of place from text: points far from every place their text names are doubted."""

import re
import sqlite3
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import open_page, page_layers

from jangkau import pipeline
from jangkau.clean.assets import place_assets, standardise_assets
from jangkau.clean.place_evidence import address_places, place_word
from jangkau.config.catalogue import load_kind_table
from jangkau.config.region import resolve_region

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
PUSKESMAS_CSV = DATA / "maros_nyata" / "puskesmas_kemenkes_2019.csv"
TO_LONLAT = pyproj.Transformer.from_crs(32750, 4326, always_xy=True)
KINDS = load_kind_table()


def four_kecamatan():
    """Four 10 km squares in a row (x from 700 km): A, B, Cenrana (split from Camba), Camba.

    Each kecamatan is one desa, named ``Desa A`` … so desa and kecamatan names differ.
    """
    cells = [
        ("73.09.91.2001", "73.09.91", "Alfa", "Desa Satu", 700_000),
        ("73.09.92.2001", "73.09.92", "Beta", "Desa Dua", 710_000),
        ("73.09.10.2001", "73.09.10", "Cenrana", "Desa Tiga", 720_000),
        ("73.09.02.2001", "73.09.02", "Camba", "Desa Empat", 730_000),
    ]
    return gpd.GeoDataFrame(
        {
            "kode_desa": [c[0] for c in cells],
            "desa": [c[3] for c in cells],
            "kode_kec": [c[1] for c in cells],
            "kecamatan": [c[2] for c in cells],
            "tipe": "desa",
        },
        geometry=[shapely.box(x, 9_440_000, x + 10_000, 9_450_000) for *_, x in cells],
        crs=32750,
    )


def place(rows, columns=("nama", "alamat", "kecamatan")):
    """Place puskesmas rows (x in metres, then the text columns) on the four squares."""
    records = []
    for x, *text in rows:
        lon, lat = TO_LONLAT.transform(x, 9_445_000)
        records.append(
            {
                "lintang": f"{lat:.7f}",
                "bujur": f"{lon:.7f}",
                **dict(zip(columns, text, strict=True)),
            }
        )
    raw = pd.DataFrame(records)
    raw.insert(0, "baris", range(1, len(raw) + 1))
    roles = {"lintang": "lintang", "bujur": "bujur", **{c: c for c in columns}}
    standard = standardise_assets(raw, columns=roles, source="uji.csv", default_jenis="Puskesmas")
    placed, rejected = place_assets(standard, desa=four_kecamatan(), kinds=KINDS)
    assert rejected.empty
    return placed.sort_values("baris").reset_index(drop=True)


def test_address_points_far_inside_another_kecamatan_are_doubted():
    placed = place(
        [
            # Kec. Alfa written, point 5 km inside Beta (5 km from Alfa's edge).
            (715_000, "PUSKESMAS X", "Jl. Poros No. 3, Kec. Alfa", None),
            # Kec. Alfa written, point inside Alfa.
            (705_000, "PUSKESMAS Y", "Jl. Poros No. 3, Kec. Alfa", None),
            # Kec. Alfa written, point in Beta 1 km from Alfa's edge: within the margin.
            (711_000, "PUSKESMAS Z", "Kecamatan Alfa", None),
            # No text naming a place at all.
            (715_000, "PUSKESMAS W", "Jl. Merdeka 1", None),
        ]
    )
    assert placed["lokasi_diragukan"].tolist() == [True, False, False, False]
    note = placed.loc[0, "catatan"]
    assert "lokasi diragukan: teks menyebut Kec. Alfa (alamat)" in note
    assert "titik di Ds. Desa Dua, Kec. Beta (5,0 km dari batas Kec. Alfa)" in note
    assert placed.loc[0, "jarak_tempat_tertulis_m"] == pytest.approx(5000, abs=1)
    assert placed.loc[0, "tempat_tertulis"] == "73.09.91"
    assert not placed.loc[1:, "catatan"].fillna("").str.contains("diragukan").any()


def test_former_parent_of_a_split_is_not_a_contradiction():
    placed = place(
        [
            # Camba written for a place now in Cenrana (split from Camba): fine.
            (725_000, "PUSKESMAS X", "Kec. Camba", None),
            # Camba written for a place in Beta, never part of Camba: 5 km from Cenrana.
            (715_000, "PUSKESMAS Y", "Kec. Camba", None),
            # Cenrana written for a place in Camba: Camba was never part of Cenrana.
            (735_000, "PUSKESMAS Z", "Kec. Cenrana", None),
        ]
    )
    assert placed["lokasi_diragukan"].tolist() == [False, True, True]
    assert "5,0 km dari batas Kec. Cenrana, dahulu bagian Kec. Camba" in placed.loc[1, "catatan"]
    assert "5,0 km dari batas Kec. Cenrana)" in placed.loc[2, "catatan"]


def test_text_that_agrees_with_the_point_anywhere_is_not_doubted():
    placed = place(
        [
            # The address says Alfa, the written column says Beta, the point is in Beta.
            (715_000, "PUSKESMAS X", "Kec. Alfa", "Beta"),
            # The name says Beta, the address Alfa, the point in Beta: the name agrees.
            (715_000, "PUSKESMAS BETA", "Kec. Alfa", None),
            # Only the name names a place (weak): never doubted on a name alone.
            (715_000, "PUSKESMAS ALFA", "Jl. Merdeka 1", None),
            # Desa written in the address, point 5 km from that desa and kecamatan.
            (715_000, "PUSKESMAS V", "Ds. Desa Satu", None),
        ]
    )
    assert placed["lokasi_diragukan"].tolist() == [False, False, False, True]
    assert "teks menyebut Ds. Desa Satu (alamat)" in placed.loc[3, "catatan"]


def test_address_and_name_reading():
    assert address_places("Puncak Ds. Benteng Gajah,  Kec. Tompobulu") == [
        ("desa", "Benteng Gajah"),
        ("kecamatan", "Tompobulu"),
    ]
    assert address_places("Jl. Pattene Raya No. 40 Ds. Temmapaduae,  Kec. Marusu") == [
        ("desa", "Temmapaduae"),
        ("kecamatan", "Marusu"),
    ]
    assert address_places("Jl. Nurdin Johan No. 14,  Kec. Camba") == [("kecamatan", "Camba")]
    assert address_places("Jl. Mawar No. 14 Allirtengae") == []
    assert place_word("PUSKESMAS CAMBA") == "camba"
    assert place_word("UPT SPF SD NEGERI 12 IV BONTOA") == "bontoa"
    assert place_word("PUSKESMAS") == ""


def expected_doubts():
    """Which puskesmas lie more than 2 km from the kecamatan their address names (shapely only).

    Kecamatan a named one split into (Cenrana from Camba) count as the named one.
    """
    desa = gpd.read_file(DATA / "maros" / "batas_desa.shp").to_crs(32750)
    kecamatan = desa.dissolve("WADMKC")
    with_splits = {"Camba": ["Camba", "Cenrana"]}
    table = pd.read_csv(PUSKESMAS_CSV, dtype=str)
    doubted = {}
    for row in table.itertuples():
        named = re.search(r"Kec\. (.+)$", row.alamat_faskes).group(1).strip()
        area = shapely.union_all(kecamatan.loc[with_splits.get(named, [named])].geometry.to_numpy())
        point = gpd.GeoSeries([shapely.Point(float(row.long_), float(row.lat_))], crs=4326).to_crs(
            32750
        )[0]
        doubted[row.nama_faskes] = area.distance(point) > 2000
    return doubted


@pytest.fixture(scope="module")
def maros_puskesmas_run(tmp_path_factory):
    settings = tomllib.loads((ROOT / "regions" / "maros.toml").read_text(encoding="utf-8"))
    region = resolve_region(
        {
            "name": "ragu",
            "judul": "Uji lokasi diragukan",
            "kode": "73.09",
            "data_dir": str((DATA / "maros").resolve()),
            "desa": settings["desa"],
            "kecamatan": settings["kecamatan"],
            "penduduk": settings["penduduk"],
            # No proposed sites: with one asset file every other service lacks all
            # facilities, and the kabupaten-wide site search is not what is tested here.
            "usulan": {"maks_per_kecamatan": 0},
            "aset": [
                {
                    "file": str(PUSKESMAS_CSV.resolve()),
                    "jenis": "Puskesmas Non Rawat Inap",
                    "columns": {
                        "nama": "nama_faskes",
                        "lintang": "lat_",
                        "bujur": "long_",
                        "id": "kode_faskes",
                        "alamat": "alamat_faskes",
                    },
                }
            ],
        }
    )
    root = tmp_path_factory.mktemp("ragu")
    pipeline.run_all(region, pipeline.OutputPaths.under(root, "ragu"))
    return root


def test_maros_puskesmas_camba_is_doubted_everywhere(maros_puskesmas_run):
    root = maros_puskesmas_run
    expected = expected_doubts()
    assert expected["CAMBA"] and sum(expected.values()) == 1  # the data as documented

    with sqlite3.connect(root / "data" / "processed" / "ragu" / "coverage.gpkg") as db:
        rows = db.execute("SELECT nama, lokasi_diragukan, catatan FROM aset").fetchall()
        gaps = dict(
            db.execute(
                "SELECT kecamatan, catatan FROM kesenjangan WHERE layanan = 'puskesmas'"
            ).fetchall()
        )
    assert len(rows) == 14
    assert {name: bool(flag) for name, flag, _ in rows} == expected
    camba_note = next(note for name, _, note in rows if name == "CAMBA")
    assert (
        "lokasi diragukan: teks menyebut Kec. Camba (alamat, kode P7308060101, nama)" in camba_note
    )
    assert "Kec. Tompobulu" in camba_note
    # The planner reading Camba's puskesmas row sees why it has none.
    assert "CAMBA (titik di Kec. Tompobulu)" in gaps["Camba"]
    assert "CAMBA (teks menyebut Kec. Camba)" in gaps["Tompobulu"]
    assert gaps["Mandai"] == ""

    report = (root / "data" / "processed" / "ragu" / "kualitas_data.html").read_text("utf-8")
    section = report.split("<h2>Lokasi diragukan</h2>")[1].split("<h2>")[0]
    assert "puskesmas_kemenkes_2019.csv" in section and "<td>5</td>" in section
    assert "<td>CAMBA</td>" in section and "Ds. Tompobulu, Kec. Tompobulu" in section
    assert section.count("<tr>") == 2  # header and the one doubted row

    page = (root / "maps" / "ragu" / "index.html").read_text("utf-8")
    collections, rows = page_layers(page)
    flagged = {row[3]: row[8] if len(row) > 8 else "" for row in rows}  # nama, diragukan
    assert {name: bool(note) for name, note in flagged.items()} == expected
    assert flagged["CAMBA"].startswith("lokasi diragukan: teks menyebut Kec. Camba")
    camba = next(f for f in collections[0]["features"] if f["properties"]["kecamatan"] == "Camba")
    assert "CAMBA" in camba["properties"]["layanan"]["puskesmas"]["catatan"]


def test_map_page_marks_the_doubted_marker(maros_puskesmas_run, browser):
    page = maros_puskesmas_run / "maps" / "ragu" / "index.html"
    errors = open_page(browser, page.resolve())
    assert errors == []
    browser.execute_script("window.jangkauPeta.pilihLayanan('puskesmas')")
    marked = browser.execute_script(
        "return window.jangkauPeta.aset.getLayers()"
        ".filter(function (m) { return m.options.icon.options.className.indexOf('diragukan') >= 0; })"
        ".map(function (m) { return window.jangkauPeta.teksAset(m.options.r); })"
    )
    assert len(marked) == 1
    assert "<b>CAMBA</b>" in marked[0] and "lokasi diragukan: teks menyebut Kec. Camba" in marked[0]
    legend = browser.find_element("id", "legenda").text
    assert "Aset berlokasi diragukan" in legend
