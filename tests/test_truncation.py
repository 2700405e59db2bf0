"""Inputs cut short or damaged stop the run, naming the file, and leave published outputs alone.

Each format (CSV, GeoJSON, XLSX, the three parts of a shapefile) is cut at
seeded random byte offsets after a first published run of the demo region.
What each cut must give is worked out here from the bytes alone: a cut that
leaves a partial record names the file as damaged ("berkas rusak atau
terpotong"); a cut that leaves only whole records stops on the record-count
drop. Either way every published file stays byte-identical.
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import sqlite3
import struct
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from flows.cli import main
from jangkau.config.region import FileSpec, Region
from jangkau.errors import InputError
from jangkau.io.integrity import (
    check_delimited,
    check_geopackage,
    check_shapefile,
    check_text_bytes,
    check_workbook,
)
from jangkau.pipeline.context import OutputPaths, prepare_region
from jangkau.pipeline.counts import COUNTS_FILE, check_record_counts
from jangkau.sources.demo import write_demo

DAMAGED = "berkas rusak atau terpotong"
DROP = "jumlah baris turun dari"
CUTS_PER_FILE = 6


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


def test_expected_drop_is_published_with_the_flag_and_recorded(tmp_path, published):
    region, data, out = published
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    before = published_state(copy)
    original = cut_at_line_end(data / "sekolah.csv", 16)
    try:
        assert run(region, copy, "--terima-penurunan") == 0
    finally:
        (data / "sekolah.csv").write_bytes(original)
    after = published_state(copy)
    assert after["terkini ->"] != before["terkini ->"]
    record = json.loads((copy / "data/processed/demo/terkini/jumlah_baris.json").read_bytes())
    assert record["berkas"]["sekolah.csv"] == {"peran": "aset", "baris": 16}
    assert record["penurunan_diterima"] == [
        {"berkas": "sekolah.csv", "sebelumnya": 19, "sekarang": 16}
    ]


def counts_setup(tmp_path, before: dict, now: dict[str, int], *, desa_now: str = "desa.shp"):
    """A previous run that read ``before`` and a work folder that read ``now`` (asset lists)."""
    outputs = OutputPaths(processed=tmp_path / "processed", maps=tmp_path / "maps")
    previous = outputs.processed / "riwayat" / "20260101T000000-abcdef"
    previous.mkdir(parents=True)
    (previous / "info.json").write_text("{}", encoding="utf-8")
    (previous / COUNTS_FILE).write_text(json.dumps({"berkas": before}), encoding="utf-8")
    work = tmp_path / "kerja"
    work.mkdir()
    pd.DataFrame({"kode_desa": [str(i) for i in range(12)]}).to_parquet(work / "desa.parquet")
    read = pd.DataFrame({"sumber": list(now), "dibaca": list(now.values())})
    read.to_parquet(work / "aset_dibaca.parquet")
    region = Region(
        name="uji",
        title="Uji",
        data_dir=str(tmp_path),
        desa=FileSpec(path=str(tmp_path / desa_now)),
        aset=[FileSpec(path=str(tmp_path / name)) for name in now],
    )
    return region, work, outputs


DESA_12 = {"desa.shp": {"peran": "desa", "baris": 12}}


@pytest.mark.parametrize(
    ("before", "now", "stop"),
    [
        ({"a.csv": 19}, {"a.csv": 18}, None),  # 1 of 19: 5.3 %
        ({"a.csv": 10}, {"a.csv": 9}, None),  # exactly 10 %: not more than
        ({"a.csv": 19}, {"a.csv": 17}, ("a.csv", 19, 17)),  # 10.5 %
        (
            {"a.csv": 5, "b.csv": 40},
            {"a.csv": 5, "b.csv": 30},
            ("b.csv", 40, 30),
        ),
        ({"a.csv": 5, "b.csv": 8}, {"a.csv": 5}, ("b.csv", 8, 0)),  # gone
        ({"a.csv": 5}, {"a.csv": 50, "c.csv": 1}, None),  # more records, a new file
    ],
)
def test_record_counts_against_the_previous_run(tmp_path, before, now, stop):
    previous = {**DESA_12, **{k: {"peran": "aset", "baris": v} for k, v in before.items()}}
    region, work, outputs = counts_setup(tmp_path, previous, now)
    if stop is None:
        check_record_counts(region, work, outputs)
        return
    name, old, new = stop
    message = (
        rf"{name}: jumlah baris turun dari {old} ke {new} \(lebih dari 10 %\); jika memang benar"
    )
    with pytest.raises(InputError, match=message):
        check_record_counts(region, work, outputs)
    accepted = dataclasses.replace(region, terima_penurunan=True)
    check_record_counts(accepted, work, outputs)
    check_record_counts(region, work, outputs, accept_drop=True)
    record = json.loads((work / COUNTS_FILE).read_bytes())
    assert record["penurunan_diterima"] == [{"berkas": name, "sebelumnya": old, "sekarang": new}]


def test_desa_layer_is_compared_by_role_not_name(tmp_path):
    previous = {
        "batas_lama.geojson": {"peran": "desa", "baris": 20},
        "a.csv": {"peran": "aset", "baris": 5},
    }
    region, work, outputs = counts_setup(
        tmp_path, previous, {"a.csv": 5}, desa_now="batas_baru.shp"
    )
    with pytest.raises(InputError, match="batas_baru.shp: jumlah baris turun dari 20 ke 12"):
        check_record_counts(region, work, outputs)


def test_region_file_accepts_a_drop(tmp_path, published):
    region, _, _ = published
    accepting = tmp_path / "demo.toml"
    accepting.write_text(
        region.read_text(encoding="utf-8") + "\n[masukan]\nterima_penurunan = true\n",
        encoding="utf-8",
    )
    assert prepare_region(region_file=accepting).terima_penurunan is True
    assert prepare_region(region_file=region).terima_penurunan is False


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
