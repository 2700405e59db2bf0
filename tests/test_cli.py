"""The command line: folders without a region file, bad input, wrong names, help."""

import argparse
import os
import shutil
import socket
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from conftest import PROJECT

from flows.cli import build_parser, main
from flows.prefect_setup import prepare_prefect
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
    # 49 point records, and the generated networks, polygons and BTS list (issue 16).
    generated = sum(
        len(pd.read_csv(p) if p.suffix == ".csv" else gpd.read_file(p))
        for p in demo_files.iterdir()
        if p.name in ("menara_bts.csv", "aset_area.geojson", "aset_campuran.geojson")
        or p.name.startswith(("jaringan_", "jalan_"))
    )
    assert f"{49 + generated} dibaca" in capsys.readouterr().out
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


# --- User errors: one line on stderr, no traceback, under every runner.


def _jangkau(*args, cwd=PROJECT, timeout=600):
    """Run the command line as a user does, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    env.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("runner", [[], ["--runner", "local"], ["--runner", "dask"]])
def test_a_wrong_region_name_lists_the_known_regions_in_one_line(runner):
    done = _jangkau("run", "maro", *runner)
    known = ", ".join(sorted(p.stem for p in (PROJECT / "regions").glob("*.toml")))
    assert done.returncode == 2
    assert done.stderr == (
        f"jangkau: wilayah 'maro' tidak ada; wilayah yang dikenal: {known} "
        "(mungkin maksud Anda: maros)\n"
    )
    # Stopped before Prefect was started.
    assert "Prefect" not in done.stdout and "Traceback" not in done.stderr


def test_a_name_like_no_region_gets_no_suggestion():
    done = _jangkau("run", "zzzz", "--runner", "local")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "wilayah yang dikenal: " in done.stderr and "mungkin" not in done.stderr


def test_a_missing_data_folder_and_bad_arguments_are_one_line(tmp_path):
    missing = _jangkau("run", "--data-dir", str(tmp_path / "tidak-ada"), "--name", "x")
    assert missing.returncode == 2
    assert missing.stderr == f"jangkau: folder data '{tmp_path / 'tidak-ada'}' tidak ada\n"
    wrong = _jangkau("run", "demo", "--runner", "cepat")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1
    assert "'cepat'" in wrong.stderr and "--help" in wrong.stderr


def test_bad_input_under_the_prefect_runner_is_one_line(demo_files, tmp_path):
    folder = tmp_path / "raw"
    shutil.copytree(demo_files, folder)
    schools = pd.read_csv(folder / "sekolah.csv", sep=";", dtype=str)
    schools.drop(columns=["lintang", "bujur"]).to_csv(folder / "sekolah.csv", sep=";", index=False)
    done = _jangkau("run", "--data-dir", str(folder), "--name", "x", "--out", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("jangkau: data masukan bermasalah: sekolah.csv: kolom koordinat")
    # The one line saying which Prefect API is used (no server runs in tests).
    assert "jangkau: menjalankan API Prefect sementara" in done.stdout


def test_help_has_examples_and_every_option_explained():
    parser = build_parser()
    assert "Contoh" in parser.format_help()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == {"run", "boundaries", "osm", "pantau"}
    assert all(action.help for action in parser._actions)
    for name, command in commands.choices.items():
        assert "Contoh" in command.format_help(), name
        for action in command._actions:
            assert action.help and action.help.strip(), (name, action.dest)
    pantau = commands.choices["pantau"]
    actions = next(a for a in pantau._actions if isinstance(a, argparse._SubParsersAction))
    assert set(actions.choices) == {"serve", "token"}
    for name, action_parser in actions.choices.items():
        for action in action_parser._actions:
            assert action.help and action.help.strip(), (name, action.dest)
    assert "local" in commands.choices["run"].format_help().split("--runner")[1]


def test_a_running_prefect_server_is_used_and_named(monkeypatch, capsys):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/api"
        monkeypatch.setenv("PREFECT_API_URL", url)
        prepare_prefect(verbose=True)
    assert capsys.readouterr().out == f"jangkau: memakai server Prefect di {url}\n"


def test_a_configured_server_that_does_not_answer_is_one_line(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
    }
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "demo", "--out", str(tmp_path)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith(
        f"jangkau: server Prefect di http://127.0.0.1:{port}/api tidak menjawab"
    )


def test_a_temporary_prefect_api_that_does_not_start_in_time_is_one_line(demo_files, tmp_path):
    # No time at all to start: what a very busy machine looks like to the command line.
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "0",
    }
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--data-dir", str(demo_files), "--name", "x"]
        + ["--out", str(tmp_path)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3, done.stderr[-2000:]
    assert done.stderr == (
        "jangkau: API Prefect sementara tidak siap dalam 0 detik (komputer sibuk?); "
        "coba lagi, jalankan 'prefect server start', atau pakai --runner local\n"
    )
