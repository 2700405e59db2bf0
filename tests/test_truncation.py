"""Inputs cut short or damaged stop the run, naming the file, and leave published outputs alone.

Each format (CSV, GeoJSON, XLSX, the three parts of a shapefile) is cut at
seeded random byte offsets after a first published run of the demo region.
What each cut must give is worked out here from the bytes alone: a cut that
leaves a partial record names the file as damaged ("berkas rusak atau
terpotong"); a cut that leaves only whole records stops on the record-count
drop. Either way every published file stays byte-identical.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import struct
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from flows.cli import main
from jangkau.errors import InputError
from jangkau.io.integrity import (
    check_delimited,
    check_geopackage,
    check_shapefile,
    check_text_bytes,
    check_workbook,
)
from jangkau.sources.demo import write_demo

DAMAGED = "berkas rusak atau terpotong"
DROP = "jumlah baris turun dari"
CUTS_PER_FILE = 3


def run(region: Path, out: Path, *extra: str) -> int:
    return main(["run", str(region), "--runner", "local", "--out", str(out), *extra])


def published_state(out: Path) -> dict[str, bytes]:
    """Bytes of every published file (through the links), and where the pointer points."""
    state: dict[str, bytes] = {}
    processed, maps = out / "data" / "processed" / "demo", out / "maps"
    for folder in (processed, maps / "demo"):
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.name == "riwayat" or path.is_dir():
                continue
            state[str(path.relative_to(out))] = path.read_bytes()
    state["maps/index.html"] = (maps / "index.html").read_bytes()
    state["terkini ->"] = str((processed / "terkini").readlink()).encode()
    runs = sorted(p.name for p in (processed / "riwayat").iterdir())
    state["riwayat"] = "\n".join(runs).encode()
    return state


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The demo region run once into its own output root; returns (region file, data, out)."""
    base = tmp_path_factory.mktemp("terpotong")
    data = write_demo(base / "data")
    region = base / "demo.toml"
    region.write_text(f'name = "demo"\ndata_dir = "{data}"\n', encoding="utf-8")
    out = base / "out"
    assert run(region, out) == 0
    return region, data, out


def expect_stop(capsys, region: Path, out: Path, file_name: str, problem: str, *extra: str):
    """Run; it must exit non-zero with one line on stderr naming the file and the problem."""
    capsys.readouterr()
    assert run(region, out, *extra) != 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"{file_name}: {problem}" in lines[0], lines[0]


def csv_expectation(original: bytes, offset: int, *, fields: int) -> str:
    """What a cut CSV must give, from its bytes: damaged, or a count drop to a whole record."""
    kept = original[:offset]
    last = kept.rsplit(b"\n", 1)[-1]
    if last == b"" or last.count(b";") + 1 == fields:
        return DROP  # only whole-looking records left
    return DAMAGED


# (file, first offset drawn, how many bytes at the end a cut may not touch).
# sekolah.csv: cuts stop before its 17th record, so at least 3 of 19 records go
# (more than 10 %); a cut inside the last field of one of the last two records
# leaves a complete-looking file that neither check can tell from a real one.
# GeoJSON: a cut of the closing line break alone leaves the same JSON.
# .dbf: a cut of its end-of-file marker (0x1A) alone leaves every record whole.
FORMATS = [
    "sekolah.csv",
    "perpustakaan.geojson",
    "batas_desa.geojson",
    "fasilitas_kesehatan.xlsx",
    "layanan_publik.shp",
    "layanan_publik.shx",
    "layanan_publik.dbf",
]


def offsets(name: str, original: bytes) -> list[int]:
    rng = random.Random(f"13-{name}")
    low, high = 1, len(original) - 1
    if name.endswith(".csv"):
        lines = original.split(b"\n")
        low = len(lines[0]) + 2  # inside the first record
        high = sum(len(line) + 1 for line in lines[:17])  # start of the 17th record
    elif name.endswith(".geojson"):
        high = len(original.rstrip()) - 1
    elif name.endswith(".dbf"):
        assert original.endswith(b"\x1a")
        high = len(original) - 2
    return sorted(rng.randint(low, high) for _ in range(CUTS_PER_FILE))


@pytest.mark.parametrize("name", FORMATS)
def test_cut_input_stops_naming_the_file(published, capsys, name):
    region, data, out = published
    path = data / name
    original = path.read_bytes()
    before = published_state(out)
    try:
        for offset in offsets(name, original):
            path.write_bytes(original[:offset])
            expected = DAMAGED
            if name.endswith(".csv"):
                expected = csv_expectation(original, offset, fields=7)
            expect_stop(capsys, region, out, name, expected)
            assert published_state(out) == before, (
                f"published files changed after a cut at {offset}"
            )
    finally:
        path.write_bytes(original)


def cut_at_line_end(path: Path, keep_records: int) -> bytes:
    original = path.read_bytes()
    lines = original.split(b"\n")
    path.write_bytes(b"\n".join(lines[: keep_records + 1]) + b"\n")
    return original


def test_clean_cut_stops_on_count_drop_even_from_the_cache(published, capsys):
    region, data, out = published
    before = published_state(out)
    original = cut_at_line_end(data / "sekolah.csv", 16)
    try:
        # Twice: the second run reuses the asset stage the first one cached.
        for _ in range(2):
            expect_stop(capsys, region, out, "sekolah.csv", f"{DROP} 19 ke 16 (lebih dari 10 %)")
            assert published_state(out) == before
    finally:
        (data / "sekolah.csv").write_bytes(original)


def test_small_drop_publishes(tmp_path, published):
    """One record of 19 fewer (5 %) is within what deliveries change by: no stop."""
    region, data, out = published
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    original = cut_at_line_end(data / "sekolah.csv", 18)
    try:
        assert run(region, copy) == 0
    finally:
        (data / "sekolah.csv").write_bytes(original)


@pytest.mark.parametrize("how", ["flag", "region file"])
def test_expected_drop_is_published_and_recorded(tmp_path, published, how):
    region, data, out = published
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    before = published_state(copy)
    extra: list[str] = []
    if how == "flag":
        extra = ["--terima-penurunan"]
    else:
        accepting = tmp_path / "demo.toml"
        accepting.write_text(
            region.read_text(encoding="utf-8") + "\n[masukan]\nterima_penurunan = true\n",
            encoding="utf-8",
        )
        region = accepting
    original = cut_at_line_end(data / "sekolah.csv", 10)
    try:
        assert run(region, copy, *extra) == 0
    finally:
        (data / "sekolah.csv").write_bytes(original)
    after = published_state(copy)
    assert after["terkini ->"] != before["terkini ->"]
    record = (copy / "data/processed/demo/terkini/jumlah_baris.json").read_text(encoding="utf-8")
    assert '"berkas": "sekolah.csv",\n   "sebelumnya": 19,\n   "sekarang": 10' in record


def test_region_file_value_must_be_true_or_false(tmp_path, published, capsys):
    region, _, _ = published
    wrong = tmp_path / "demo.toml"
    wrong.write_text(
        region.read_text(encoding="utf-8") + '\n[masukan]\nterima_penurunan = "ya"\n',
        encoding="utf-8",
    )
    capsys.readouterr()
    assert run(wrong, tmp_path / "out") == 2
    assert "terima_penurunan harus true atau false" in capsys.readouterr().err


# Pure checks on files built here by hand.


def test_complete_last_line_without_line_break_is_whole():
    check_delimited("a.csv", "nama;lintang;bujur\nSD 1;-5,0;119,5", ";")


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("nama;lintang;bujur\nSD 1;-5,0;119,5\nSD 2;-5,1", "memuat 2 kolom, baris lain 3"),
        ('nama;lintang;bujur\nSD 1;-5,0;119,5\n"SD 2;-5,1;119', "tanda kutip tidak ditutup"),
        ('nama;lintang;bujur\n"SD 1\nbaris dua;-5,0;119,5\n', "tanda kutip tidak ditutup"),
    ],
)
def test_cut_delimited_text_is_damaged(text, what):
    with pytest.raises(InputError, match=f"{DAMAGED}: .*{what}"):
        check_delimited("a.csv", text, ";")


def test_text_ending_inside_a_character_is_damaged():
    whole = "nama\nPosyandu Mawar–Melati\n".encode()
    check_text_bytes("a.csv", whole)
    cut = whole[: whole.index("–".encode()) + 1]
    with pytest.raises(InputError, match="di tengah sebuah huruf"):
        check_text_bytes("a.csv", cut)
    # Windows-1252 text is not UTF-8 from its first accented letter: left to the decoder.
    check_text_bytes("a.csv", "Pos–A\n".encode("cp1252"))


def write_points(path: Path, count: int) -> None:
    points = [shapely.Point(119.5 + i / 100, -5.0) for i in range(count)]
    frame = gpd.GeoDataFrame({"nama": [f"titik {i}" for i in range(count)]}, geometry=points)
    frame.set_crs(4326).to_file(path)


def test_shapefile_parts_that_disagree_are_damaged(tmp_path):
    write_points(tmp_path / "a.shp", 5)
    check_shapefile(tmp_path / "a.shp")
    # Point records are 28 bytes each (8 header + 20 content) after the 100-byte header.
    assert (tmp_path / "a.shp").stat().st_size == 100 + 5 * 28
    write_points(tmp_path / "b.shp", 6)
    shutil.copyfile(tmp_path / "b.dbf", tmp_path / "a.dbf")
    with pytest.raises(InputError, match=r"a\.dbf: .*6 rekaman atribut, indeks \.shx memuat 5"):
        check_shapefile(tmp_path / "a.shp")
    # A .shp whose header and .shx both stop one record early, with the bytes still there.
    write_points(tmp_path / "c.shp", 5)
    shx = bytearray((tmp_path / "c.shx").read_bytes())[:-8]
    shx[24:28] = struct.pack(">i", len(shx) // 2)
    (tmp_path / "c.shx").write_bytes(bytes(shx))
    with pytest.raises(InputError, match=r"c\.shx: .*"):
        check_shapefile(tmp_path / "c.shp")


def test_workbook_cut_or_altered_is_damaged(tmp_path):
    write_demo(tmp_path)
    book = tmp_path / "fasilitas_kesehatan.xlsx"
    check_workbook(book)
    whole = book.read_bytes()
    book.write_bytes(whole[: len(whole) - 30])
    with pytest.raises(InputError, match="bukan arsip ZIP utuh"):
        check_workbook(book)


def test_geopackage_cut_is_damaged(tmp_path):
    path = tmp_path / "titik.gpkg"
    write_points(path, 2000)
    check_geopackage(path)
    with closing(sqlite3.connect(path)) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    whole = path.read_bytes()
    path.write_bytes(whole[: (len(whole) // page_size // 2) * page_size])
    with pytest.raises(InputError, match=f"titik.gpkg: {DAMAGED}"):
        check_geopackage(path)
