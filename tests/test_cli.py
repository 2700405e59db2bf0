"""The command line with the local runner: folders without a region file, and bad input."""

import shutil

import geopandas as gpd
import pandas as pd
import pytest
from conftest import PROJECT

from flows.cli import main
from jangkau.sources.demo import write_demo


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("raw") / "contoh")


def outputs(root, name):
    return root / "data" / "processed" / name / "coverage.gpkg", root / "maps" / name / "index.html"


def test_a_folder_without_region_file_is_recognised(demo_files, tmp_path, capsys):
    code = main(
        [
            "run",
            "--data-dir",
            str(demo_files),
            "--name",
            "contoh",
            "--out",
            str(tmp_path),
            "--runner",
            "local",
        ]
    )
    assert code == 0
    gpkg, page = outputs(tmp_path, "contoh")
    assert page.exists()
    assert "49 dibaca" in capsys.readouterr().out
    # The same files through the demo region file give the same gap table.
    code = main(
        [
            "run",
            str(PROJECT / "regions" / "demo.toml"),
            "--data-dir",
            str(demo_files),
            "--out",
            str(tmp_path / "b"),
            "--runner",
            "local",
        ]
    )
    assert code == 0
    by_folder = gpd.read_file(gpkg, layer="kesenjangan")
    by_region = gpd.read_file(outputs(tmp_path / "b", "demo")[0], layer="kesenjangan")
    pd.testing.assert_frame_equal(by_folder, by_region)


def test_bad_input_stops_with_one_message_and_keeps_previous_outputs(demo_files, tmp_path, capsys):
    folder = tmp_path / "raw"
    shutil.copytree(demo_files, folder)
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
    gpkg, page = outputs(tmp_path, "contoh")
    before = gpkg.read_bytes(), page.read_bytes()
    schools = pd.read_csv(folder / "sekolah.csv", sep=";", dtype=str)
    schools.drop(columns=["lintang", "bujur"]).to_csv(folder / "sekolah.csv", sep=";", index=False)
    capsys.readouterr()
    assert main(args) == 2
    message = capsys.readouterr().err
    assert "sekolah.csv" in message and message.count("\n") == 1
    assert (gpkg.read_bytes(), page.read_bytes()) == before
    assert not list((tmp_path / "data" / "processed").glob(".kerja-*"))


def test_population_name_that_matches_nothing_is_an_error(demo_files, tmp_path, capsys):
    folder = tmp_path / "raw"
    shutil.copytree(demo_files, folder)
    table = (folder / "penduduk_kecamatan_bps.csv").read_text().replace("pantai biru", "Pulau Jauh")
    (folder / "penduduk_kecamatan_bps.csv").write_text(table)
    code = main(
        [
            "run",
            "--data-dir",
            str(folder),
            "--name",
            "x",
            "--out",
            str(tmp_path),
            "--runner",
            "local",
        ]
    )
    assert code == 2
    assert "kecamatan 'Pulau Jauh' tidak ditemukan" in capsys.readouterr().err


def test_all_regions_in_two_local_processes(tmp_path, capsys):
    regions = tmp_path / "regions"
    regions.mkdir()
    for name in ("satu", "dua", "tiga"):
        (regions / f"{name}.toml").write_text(
            f'name = "{name}"\ndata_dir = "{tmp_path / "raw" / name}"\ngenerator = "demo"\n',
            encoding="utf-8",
        )
    code = main(["run", "--all", "--runner", "local", "--workers", "2", "--root", str(tmp_path)])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.index("== dua") < printed.index("== satu") < printed.index("== tiga")
    index = (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
    for name in ("satu", "dua", "tiga"):
        assert outputs(tmp_path, name)[1].exists()
        assert f"href='{name}/index.html'" in index
