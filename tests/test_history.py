"""Runs that publish all at once, keep a history, say what changed, and survive being killed."""

import os
import shutil
import signal
import subprocess
import sys
import time

import geopandas as gpd
import pandas as pd
import pytest
from conftest import PROJECT

from flows.cli import main
from jangkau.sources.demo import write_demo

RUN = [sys.executable, "-m", "flows.cli", "run"]


def published(root, name):
    return root / "data" / "processed" / name / "coverage.gpkg", root / "maps" / name / "index.html"


def test_a_run_killed_midway_leaves_the_last_outputs_intact(maros_dir, tmp_path):
    args = [
        *RUN,
        str(PROJECT / "regions" / "maros.toml"),
        "--out",
        str(tmp_path),
        "--runner",
        "local",
    ]
    subprocess.run(args, check=True, capture_output=True, cwd=PROJECT)
    gpkg, page = published(tmp_path, "maros")
    before = gpkg.read_bytes(), page.read_bytes()
    history = tmp_path / "data" / "processed" / "maros" / "riwayat"
    first = set(history.iterdir())
    running = subprocess.Popen(
        args, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 60
    # Kill it while it writes its new run folder: the moment published files would be most at risk.
    while (
        time.time() < deadline and not (set(history.iterdir()) - first) and running.poll() is None
    ):
        time.sleep(0.005)
    assert running.poll() is None, "the run ended before it could be killed"
    os.kill(running.pid, signal.SIGKILL)
    running.wait()
    assert (gpkg.read_bytes(), page.read_bytes()) == before
    assert gpd.read_file(gpkg, layer="kecamatan").shape[0] == 14
    subprocess.run(args, check=True, capture_output=True, cwd=PROJECT)
    assert gpkg.read_bytes() != before[0]
    finished = [p for p in history.iterdir() if (p / "info.json").exists()]
    assert len(finished) == 2


def test_history_is_pruned_and_unchanged_inputs_show_no_change(tmp_path):
    # That the same inputs give the same tables when computed twice is in test_cache.py.
    folder = write_demo(tmp_path / "raw")
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "contoh.toml").write_text(
        f'name = "contoh"\ndata_dir = "{folder}"\n[riwayat]\nsimpan = 2\n', encoding="utf-8"
    )
    args = ["run", "contoh", "--root", str(tmp_path), "--runner", "local"]
    for _ in range(3):
        assert main(args) == 0
    history = tmp_path / "data" / "processed" / "contoh" / "riwayat"
    assert len(list(history.iterdir())) == 2
    changes = pd.read_csv(
        tmp_path / "data" / "processed" / "contoh" / "perubahan.csv", dtype={"kode_kec": str}
    )
    # Services assessed by count alone have no coverage to compare.
    assert (changes["selisih_cakupan"].fillna(0) == 0).all() and changes[
        "proses_sebelumnya"
    ].notna().all()
    assert (changes["selisih_fasilitas"] == 0).all()


def test_changes_since_the_previous_run(tmp_path):
    folder = write_demo(tmp_path / "raw")
    args = [
        "run",
        "--data-dir",
        str(folder),
        "--name",
        "contoh",
        "--out",
        str(tmp_path),
        "--runner",
        "local",
    ]
    assert main(args) == 0
    first = pd.read_csv(tmp_path / "data" / "processed" / "contoh" / "perubahan.csv")
    assert first["cakupan_sebelum"].isna().all()
    schools = pd.read_csv(folder / "sekolah.csv", sep=";", dtype=str)
    schools[schools["nama_sekolah"] != "SMPN 1 TANAH MERAH"].to_csv(
        folder / "sekolah.csv", sep=";", index=False
    )
    assert main(args) == 0
    changes = pd.read_csv(
        tmp_path / "data" / "processed" / "contoh" / "perubahan.csv", dtype={"kode_kec": str}
    )
    smp = changes.set_index(["kode_kec", "layanan"]).loc[("99.01.01", "smp")]
    assert smp["selisih_fasilitas"] == -1 and smp["selisih_cakupan"] < 0
    unchanged = changes[changes["layanan"] == "puskesmas"]
    assert (unchanged["selisih_cakupan"] == 0).all()
    page = published(tmp_path, "contoh")[1].read_text(encoding="utf-8")
    assert "proses_sebelumnya" in page and "SMP" in page
    with pytest.raises(AssertionError):
        pd.testing.assert_series_equal(
            first["cakupan_sekarang"], changes["cakupan_sekarang"], check_names=False
        )


def test_unchanged_inputs_reuse_cached_stages_and_say_so(tmp_path, capsys):
    folder = write_demo(tmp_path / "raw")
    args = [
        "run",
        "--data-dir",
        str(folder),
        "--name",
        "contoh",
        "--out",
        str(tmp_path),
        "--runner",
        "local",
    ]
    assert main(args) == 0
    assert "Semua tahap dihitung" in capsys.readouterr().out
    first = gpd.read_file(published(tmp_path, "contoh")[0], layer="kesenjangan")
    # A copy made now has new file times but the same content: still reused.
    copy = tmp_path / "salinan"
    shutil.copytree(folder, copy)
    assert main([*args[:2], str(copy), *args[3:]]) == 0
    assert (
        "Dipakai ulang dari cache (masukan tidak berubah): aset, batas, cakupan"
        in capsys.readouterr().out
    )
    pd.testing.assert_frame_equal(
        first, gpd.read_file(published(tmp_path, "contoh")[0], layer="kesenjangan")
    )
    # A changed asset list: boundaries are reused, the rest is computed again.
    schools = pd.read_csv(copy / "sekolah.csv", sep=";", dtype=str)
    schools.iloc[:-1].to_csv(copy / "sekolah.csv", sep=";", index=False)
    assert main([*args[:2], str(copy), *args[3:]]) == 0
    assert "Dipakai ulang dari cache (masukan tidak berubah): batas\n" in capsys.readouterr().out


def test_outputs_hold_no_absolute_path_of_the_machine(tmp_path):
    folder = write_demo(tmp_path / "raw")
    args = [
        "run",
        "--data-dir",
        str(folder),
        "--name",
        "contoh",
        "--out",
        str(tmp_path / "hasil"),
        "--runner",
        "local",
    ]
    assert main(args) == 0
    written = [
        p for p in (tmp_path / "hasil").rglob("*") if p.is_file() and ".cache" not in p.parts
    ]
    assert len(written) > 8
    for path in written:
        data = path.read_bytes()
        if path.suffix == ".qgz":
            import zipfile

            with zipfile.ZipFile(path) as archive:
                data = b"".join(archive.read(n) for n in archive.namelist())
        assert str(tmp_path).encode() not in data, path
