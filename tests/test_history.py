"""Runs that publish all at once, keep a history, say what changed, and survive being killed."""

import fcntl
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager

import geopandas as gpd
import pandas as pd
import pytest
from conftest import PROJECT

from flows.cli import main
from jangkau.sources.demo import write_demo

RUN = [sys.executable, "-m", "flows.cli", "run"]


def published(root, name):
    return root / "data" / "processed" / name / "coverage.gpkg", root / "maps" / name / "index.html"


# Every path users know, relative to the output root.
KNOWN = [
    "data/processed/demo/coverage.gpkg",
    "data/processed/demo/coverage.qgz",
    "data/processed/demo/kesenjangan_kecamatan.csv",
    "data/processed/demo/kesenjangan_kecamatan.xlsx",
    "data/processed/demo/perubahan.csv",
    "data/processed/demo/kualitas_data.html",
    "data/processed/demo/laporan.pdf",
    "maps/demo/index.html",
    "maps/demo/info.json",
]
# What os.replace / os.symlink / os.link may call on Linux.
STEP_CALLS = "rename,renameat,renameat2,symlink,symlinkat,link,linkat"
CALL = re.compile(r"^(\d+) +(\w+)\((.*)")


@pytest.fixture(scope="module")
def two_inputs(tmp_path_factory):
    """A demo region and two input folders whose outputs differ (one school fewer)."""
    base = tmp_path_factory.mktemp("dua")
    full = write_demo(base / "lengkap")
    fewer = base / "kurang"
    shutil.copytree(full, fewer)
    schools = pd.read_csv(full / "sekolah.csv", sep=";", dtype=str)
    schools[schools["nama_sekolah"] != "SMPN 1 TANAH MERAH"].to_csv(
        fewer / "sekolah.csv", sep=";", index=False
    )
    region = base / "demo.toml"
    region.write_text(f'name = "demo"\ndata_dir = "{full}"\n', encoding="utf-8")
    return region, full, fewer


def cli_args(region, data, out, *extra):
    return [
        *RUN,
        str(region),
        "--data-dir",
        str(data),
        "--out",
        str(out),
        "--runner",
        "local",
        *extra,
    ]


def run_folders(out):
    history = out / "data" / "processed" / "demo" / "riwayat"
    return {p.name: p for p in history.iterdir() if p.is_dir() and not p.name.startswith(".")}


def runs_behind_published(out):
    """Return the finished run folders holding, byte for byte, every published file."""
    candidates = set(run_folders(out))
    for known in KNOWN:
        path = out / known
        assert path.is_file(), f"{known} does not open"
        data = path.read_bytes()
        candidates &= {
            name
            for name, folder in run_folders(out).items()
            if (folder / path.name).is_file() and (folder / path.name).read_bytes() == data
        }
    return candidates


def gpkg_run_id(path):
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return {row[0] for row in db.execute("SELECT description FROM gpkg_contents")}


def strace_run(args, log, inject=None):
    command = ["strace", "-f", "-qq", "-e", f"trace={STEP_CALLS}", "-o", str(log)]
    if inject:
        command += ["-e", f"inject={inject[0]}:signal=KILL:when={inject[1]}"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [*command, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
    )


def publishing_steps(log, out):
    """Return the traced steps touching the outputs, as (pid, call, n-th such call of pid, text)."""
    counts, steps = {}, []
    for line in log.read_text().splitlines():
        match = CALL.match(line)
        if not match or "resumed>" in line:
            continue
        pid, call, text = match.groups()
        counts[pid, call] = counts.get((pid, call), 0) + 1
        if str(out) in text and "/.cache/" not in text and "/.kerja-" not in text:
            steps.append((pid, call, counts[pid, call], text))
    return steps


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_killed_at_every_publishing_step_the_outputs_stay_one_run(two_inputs, tmp_path):
    region, full, fewer = two_inputs
    start = tmp_path / "awal"
    # Both inputs once (their stages are then cached), the full one last: that one is published.
    assert main(cli_args(region, fewer, start)[3:]) == 0
    assert main(cli_args(region, full, start)[3:]) == 0
    # An installation from before the pointer: plain files in place, no pointer.
    processed = start / "data" / "processed" / "demo"
    for known in KNOWN:
        data = (start / known).read_bytes()
        (start / known).unlink()
        (start / known).write_bytes(data)
    (processed / "terkini").unlink()

    def attempt(step, name):
        out = tmp_path / name
        shutil.copytree(start, out, symlinks=True)
        log = tmp_path / f"{name}.strace"
        return out, log, strace_run(cli_args(region, fewer, out), log, step)

    out, log, done = attempt(None, "rujukan")
    assert done.returncode == 0, done.stderr
    steps = publishing_steps(log, out)
    assert len({pid for pid, *_ in steps}) == 1, "publishing runs in one thread"
    assert any("terkini" in text for *_, text in steps) and len(steps) >= 10
    new_run = json.loads((out / "maps/demo/info.json").read_text())["proses"]
    assert runs_behind_published(out) == {new_run}
    before = (start / "data/processed/demo/kesenjangan_kecamatan.csv").read_bytes()
    # The two runs are told apart by every file's content, not only by the run ids.
    assert (out / KNOWN[2]).read_bytes() != before

    def killed_at(index):
        _, call, nth, text = steps[index]
        out, log, killed = attempt((call, nth), f"bunuh{index}")
        assert killed.returncode == -signal.SIGKILL, (index, text, killed.stderr[-500:])
        last = [line for line in log.read_text().splitlines() if CALL.match(line)][-1]
        # The call never returned: killed on entry (other threads make strace say "unfinished").
        assert CALL.match(last).group(2) == call, (text, last)
        assert last.endswith(("= ?", "<unfinished ...>")), (text, last)
        behind = runs_behind_published(out)
        assert behind, f"killed at step {index} ({text}): published files from different runs"
        info = json.loads((out / "maps/demo/info.json").read_text())["proses"]
        assert info in behind
        assert gpkg_run_id(out / KNOWN[0]) == {f"jangkau, proses {info}"}
        return "baru" if (out / KNOWN[2]).read_bytes() != before else "lama"

    # Each kill starts from its own copy, so they may run side by side.
    with ThreadPoolExecutor(max_workers=3) as pool:
        seen = list(pool.map(killed_at, range(len(steps))))
    out = tmp_path / f"bunuh{len(steps) - 1}"
    # Killed early the old run stays, killed late the new one is whole; never back again.
    assert seen[0] == "lama" and seen[-1] == "baru" and seen == sorted(seen, reverse=True)
    # Then a run not killed completes on the state the last kill left (no stale lock) and tidies up.
    done = strace_run(cli_args(region, fewer, out, "--tanpa-tunggu"), tmp_path / "akhir.strace")
    assert done.returncode == 0, done.stderr
    latest = json.loads((out / "maps/demo/info.json").read_text())["proses"]
    assert runs_behind_published(out) == {latest}
    leftovers = [
        p
        for p in out.rglob(".*")
        if p.name not in {".cache", ".kunci"}
        and ".cache" not in p.parts
        # The shared index's temporary copy is left for ten minutes: it may be another region's.
        and not p.name.startswith(".index.html.")
    ]
    assert leftovers == []
    assert all((out / known).is_symlink() for known in KNOWN)


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


@contextmanager
def held_lock(out, text):
    """Hold the region's lock the way another run would (plain flock, written pid)."""
    processed = out / "data" / "processed" / "demo"
    processed.mkdir(parents=True, exist_ok=True)
    with open(processed / ".kunci", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(text)
        handle.flush()
        yield


def test_two_runs_of_one_region_take_turns(two_inputs, tmp_path):
    region, full, _ = two_inputs
    out = tmp_path / "hasil"
    assert main(cli_args(region, full, out)[3:]) == 0
    first = json.loads((out / "maps/demo/info.json").read_text())["proses"]
    logs = [tmp_path / f"galat{i}.txt" for i in range(2)]
    with held_lock(out, f"pid {os.getpid()}, mulai 2026-01-05T06:00:00+08:00\n"):
        runs = [
            subprocess.Popen(
                cli_args(region, full, out),
                cwd=PROJECT,
                stdout=subprocess.DEVNULL,
                stderr=log.open("w"),
            )
            for log in logs
        ]
        deadline = time.time() + 120
        while time.time() < deadline and not all("menunggu" in log.read_text() for log in logs):
            assert all(run.poll() is None for run in runs), "a run did not wait for the lock"
            time.sleep(0.1)
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    for log in logs:
        said = log.read_text().splitlines()
        assert said[0] == (
            "jangkau: wilayah demo sedang diproses oleh proses lain "
            f"(pid {os.getpid()}, mulai 2026-01-05T06:00:00+08:00); menunggu sampai selesai …"
        )
    # Taking turns, each run compares itself with the one published just before it.
    new = sorted(set(run_folders(out)) - {first})
    assert len(new) == 2
    history = out / "data" / "processed" / "demo" / "riwayat"
    before = [pd.read_csv(history / n / "perubahan.csv")["proses_sebelumnya"].unique() for n in new]
    assert [list(b) for b in before] == [[first], [new[0]]]
    assert runs_behind_published(out) == {new[1]}


def test_a_run_told_not_to_wait_says_which_run_holds_the_region(two_inputs, tmp_path, capsys):
    region, full, _ = two_inputs
    out = tmp_path / "hasil"
    with held_lock(out, "pid 4242, mulai 2026-01-05T06:00:00+08:00\n"):
        assert main([*cli_args(region, full, out)[3:], "--tanpa-tunggu"]) == 4
    said = capsys.readouterr().err.splitlines()
    assert said == [
        "jangkau: wilayah demo sedang diproses oleh proses lain "
        "(pid 4242, mulai 2026-01-05T06:00:00+08:00); tidak menunggu (--tanpa-tunggu)"
    ]
    assert not (out / "data" / "processed" / "demo" / "riwayat").exists()
    # Released (as a killed holder's lock is), the same command runs.
    assert main([*cli_args(region, full, out)[3:], "--no-wait"]) == 0


def test_flow_runs_of_one_region_share_one_prefect_concurrency_slot(
    prefect_harness, two_inputs, tmp_path
):
    from prefect.concurrency.sync import concurrency

    from flows.coverage import coverage_flow
    from jangkau.errors import RegionBusyError

    region, full, _ = two_inputs
    arguments = {"region_file": str(region), "data_dir": str(full), "out_root": str(tmp_path)}
    assert coverage_flow(**arguments)["keluaran"]["peta"].endswith("maps/demo/index.html")
    # The limit now exists with one slot; while another flow run holds it, this one stops.
    with concurrency("jangkau-demo", occupy=1, strict=True):
        with pytest.raises(RegionBusyError, match="batas konkurensi jangkau-demo"):
            coverage_flow(**arguments, wait=False)
    assert len(run_folders(tmp_path)) == 1


def test_two_threads_of_one_process_exclude_each_other_too(tmp_path):
    from jangkau.errors import RegionBusyError
    from jangkau.pipeline.lock import region_lock

    answers = []

    def second_run():
        try:
            with region_lock(tmp_path, region="demo", wait=False):
                answers.append("masuk")
        except RegionBusyError as error:
            answers.append(str(error))

    with region_lock(tmp_path, region="demo"):
        worker = threading.Thread(target=second_run)
        worker.start()
        worker.join()
    assert answers[0].startswith("wilayah demo sedang diproses oleh proses lain (pid ")
    second_run()
    assert answers[1] == "masuk"


def test_runs_finished_within_one_second_list_in_the_order_they_were_made(tmp_path):
    from jangkau.pipeline.context import OutputPaths
    from jangkau.pipeline.history import finish_run, new_run_dir

    outputs = OutputPaths(processed=tmp_path / "demo", maps=tmp_path / "peta")
    made = []
    for _ in range(3):
        folder = finish_run(new_run_dir(outputs))
        (folder / "info.json").write_text("{}")
        made.append(folder.name)
    assert sorted(made) == made
    assert len({name[:15] for name in made}) == 3
