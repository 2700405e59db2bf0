"""The stage cache: keys that follow settings and libraries, runs that recompute, safe entries."""

import dataclasses
import importlib.metadata
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from conftest import PROJECT

from jangkau import pipeline
from jangkau.pipeline import cache
from jangkau.pipeline.stages import _run_boundaries

STAGES = ["batas", "aset", "cakupan"]
ALL_COMPUTED = "Semua tahap dihitung (tidak ada hasil tersimpan untuk masukan ini)."
REUSED = "Dipakai ulang dari cache (masukan tidak berubah): "


def demo_region(tmp_path):
    return pipeline.prepare_region(
        region_file=PROJECT / "regions" / "demo.toml", data_dir=tmp_path / "raw"
    )


def summary_lines(result):
    return result["ringkasan"]["teks"].splitlines()


def mawar(root, service):
    desa = gpd.read_file(root / "data" / "processed" / "demo" / "coverage.gpkg", layer="desa")
    return desa.set_index("desa").loc["Mawar", f"cakupan_{service}"]


def changed_stages(before, after):
    return [stage for stage in STAGES if before[stage] != after[stage]]


# (a) Settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "stages"),
    [
        ({"usulan_k": 1}, ["cakupan"]),
        ({"layanan": {"sd": {"radius_kelurahan_m": 2000}}}, ["cakupan"]),
        ({"jenis": {"sekolah rakyat": {"jenis": "SD", "layanan": "sd"}}}, ["aset", "cakupan"]),
        ({"penduduk": None}, STAGES),
        ({"crs": "EPSG:32751"}, STAGES),
    ],
)
def test_a_changed_setting_changes_the_keys_of_the_stages_that_read_it_and_after(
    tmp_path, change, stages
):
    region = demo_region(tmp_path)
    before = cache.stage_keys(region)
    assert changed_stages(before, cache.stage_keys(dataclasses.replace(region, **change))) == stages
    # Title and history length decide no number: same keys.
    unchanged = dataclasses.replace(region, title="Lain", riwayat_n=2)
    assert cache.stage_keys(unchanged) == before


def test_a_changed_service_radius_is_computed_anew_and_the_rest_reused(tmp_path):
    region = demo_region(tmp_path)
    outputs = pipeline.OutputPaths.under(tmp_path, "demo")
    assert ALL_COMPUTED in summary_lines(pipeline.run_all(region, outputs))
    # Kelurahan Mawar: 10 km x 5 km, one SD in its middle, the next SD 5 km away.
    assert mawar(tmp_path, "sd") == pytest.approx(math.pi * 1000**2 / 50e6, rel=2e-3)
    wider = dataclasses.replace(region, layanan={"sd": {"radius_kelurahan_m": 2000}})
    result = pipeline.run_all(wider, outputs)
    assert REUSED + "aset, batas" in summary_lines(result)
    # A 2 km circle still lies inside Mawar and does not reach from Melati's SD.
    assert mawar(tmp_path, "sd") == pytest.approx(math.pi * 2000**2 / 50e6, rel=2e-3)


# (b) Library versions -----------------------------------------------------------------------


def test_library_versions_name_the_libraries_that_decide_the_numbers():
    versions = cache.library_versions()
    expected = {
        "geos": shapely.geos_version_string,
        "shapely": shapely.__version__,
        "proj": pyproj.proj_version_str,
        "pyproj": pyproj.__version__,
        "gdal": pyogrio.__gdal_version_string__,
        "pyogrio": pyogrio.__version__,
        "numpy": numpy.__version__,
        "pandas": pd.__version__,
        "geopandas": gpd.__version__,
        "python-calamine": importlib.metadata.version("python-calamine"),
    }
    assert {name: versions[name] for name in expected} == expected
    assert versions["python"].endswith(".".join(str(part) for part in sys.version_info[:3]))


def test_every_library_version_is_part_of_every_stage_key(tmp_path, monkeypatch):
    region = demo_region(tmp_path)
    real = cache.library_versions()
    before = cache.stage_keys(region)
    for name in real:
        monkeypatch.setattr(cache, "library_versions", lambda n=name: {**real, n: "0.0.0-lain"})
        assert changed_stages(before, cache.stage_keys(region)) == STAGES, name


def test_a_new_geos_recomputes_every_stage(tmp_path, monkeypatch):
    region = demo_region(tmp_path)
    outputs = pipeline.OutputPaths.under(tmp_path, "demo")
    assert ALL_COMPUTED in summary_lines(pipeline.run_all(region, outputs))
    assert REUSED + "aset, batas, cakupan" in summary_lines(pipeline.run_all(region, outputs))
    real = cache.library_versions()
    monkeypatch.setattr(cache, "library_versions", lambda: {**real, "geos": "3.99.0"})
    assert ALL_COMPUTED in summary_lines(pipeline.run_all(region, outputs))


# (c) Determinism ----------------------------------------------------------------------------

WITHOUT_CACHE = """
import sys
from jangkau import pipeline
region = pipeline.prepare_region(region_file=sys.argv[1], data_dir=sys.argv[2])
outputs = pipeline.OutputPaths.under(sys.argv[3], "demo")
work = pipeline.new_work_dir(outputs)
for stage in (pipeline.run_boundaries, pipeline.run_assets, pipeline.run_coverage):
    stage(region, work)
pipeline.run_publish(region, work, outputs)
print(work)
"""


def test_two_runs_without_cache_give_byte_identical_tables(tmp_path):
    from jangkau.sources.demo import write_demo

    raw = write_demo(tmp_path / "raw")
    works = []
    # Separate processes with different hash seeds: set and dict order may differ between them.
    for seed in ("1", "2"):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                WITHOUT_CACHE,
                str(PROJECT / "regions" / "demo.toml"),
                str(raw),
                str(tmp_path / f"run{seed}"),
            ],
            capture_output=True,
            text=True,
            cwd=PROJECT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert done.returncode == 0, done.stderr
        works.append(Path(done.stdout.strip().splitlines()[-1]))
    for work in works:
        assert not list(work.glob("dipakai_ulang_*"))  # computed, not taken from a cache
        assert not list(work.parent.rglob(".cache"))
    for name in ("kesenjangan.parquet", "cakupan_desa.parquet", "usulan_lokasi.parquet"):
        assert (works[0] / name).read_bytes() == (works[1] / name).read_bytes(), name
    published = [
        tmp_path / f"run{seed}" / "data" / "processed" / "demo" / "kesenjangan_kecamatan.csv"
        for seed in ("1", "2")
    ]
    assert published[0].read_bytes() == published[1].read_bytes()
    desa = [
        gpd.read_file(path.parent / "coverage.gpkg", layer="desa").drop(columns="geometry")
        for path in published
    ]
    pd.testing.assert_frame_equal(desa[0], desa[1], check_exact=True)


# (d) Concurrent runs ------------------------------------------------------------------------


def entry_of(cache_dir, stage):
    entries = [p for p in cache_dir.iterdir() if p.name.startswith(f"{stage}-")]
    assert len(entries) == 1, entries
    return entries[0]


def assert_whole(entry, work, stage):
    names = json.loads((entry / cache.MARKER).read_text(encoding="utf-8"))
    assert names == [n for n in cache.STAGE_FILES[stage] if (work / n).exists()]
    assert {"desa.parquet", "kecamatan.parquet"} <= set(names)
    for name in names:
        assert (entry / name).read_bytes() == (work / name).read_bytes(), name


def test_a_run_that_loses_the_race_leaves_the_published_entry_alone(tmp_path):
    region = demo_region(tmp_path)
    cache_dir = tmp_path / "cache"
    works = {name: tmp_path / name for name in ("a", "b")}
    for work in works.values():
        work.mkdir()
    b_computing, a_published = threading.Event(), threading.Event()
    failures = []

    def b_run(region, work):
        b_computing.set()  # B has looked in the cache and missed
        _run_boundaries(region, work)
        assert a_published.wait(120)
        return work

    def b_thread():
        try:
            cache.cached_stage("batas", b_run)(region, works["b"], cache_dir=cache_dir)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)

    other = threading.Thread(target=b_thread)
    other.start()
    assert b_computing.wait(120)
    cache.cached_stage("batas", _run_boundaries)(region, works["a"], cache_dir=cache_dir)
    entry = entry_of(cache_dir, "batas")
    first = entry.stat().st_ino
    a_published.set()
    other.join(120)
    assert not failures and not other.is_alive()
    # Both ran (neither took the other's result), the entry A published is the one kept,
    # whole, and B's staging folder is gone.
    assert not list(works["a"].glob("dipakai_ulang_*")) and not list(
        works["b"].glob("dipakai_ulang_*")
    )
    assert entry_of(cache_dir, "batas").stat().st_ino == first
    assert sorted(p.name for p in cache_dir.iterdir()) == [entry.name]
    for work in works.values():
        assert_whole(entry, work, "batas")


def test_two_runs_publishing_the_same_entry_at_once_both_succeed(tmp_path):
    region = demo_region(tmp_path)
    cache_dir = tmp_path / "cache"
    both_computed = threading.Barrier(2, timeout=120)
    failures = []

    def run(region, work):
        _run_boundaries(region, work)
        both_computed.wait()  # neither publishes before both have missed and computed
        return work

    def thread(work):
        work.mkdir()
        try:
            cache.cached_stage("batas", run)(region, work, cache_dir=cache_dir)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=thread, args=(tmp_path / n,)) for n in ("a", "b")]
    for each in threads:
        each.start()
    for each in threads:
        each.join(120)
    assert not failures
    entry = entry_of(cache_dir, "batas")
    assert sorted(p.name for p in cache_dir.iterdir()) == [entry.name]
    for name in ("a", "b"):
        assert_whole(entry, tmp_path / name, "batas")
    # The next run takes the entry as it is.
    (tmp_path / "c").mkdir()
    pipeline.run_boundaries(region, tmp_path / "c", cache_dir=cache_dir)
    assert (tmp_path / "c" / "dipakai_ulang_batas").exists()
    assert_whole(entry, tmp_path / "c", "batas")


def fake_stage(calls):
    def run(region, work):
        calls.append(work)
        (work / "desa.parquet").write_bytes(b"desa")
        (work / "kecamatan.parquet").write_bytes(b"kecamatan")
        return work

    return cache.cached_stage("batas", run)


def test_an_entry_pruned_while_it_is_read_is_a_miss(tmp_path, monkeypatch):
    region = demo_region(tmp_path)
    cache_dir, calls = tmp_path / "cache", []
    stage = fake_stage(calls)
    (tmp_path / "first").mkdir()
    stage(region, tmp_path / "first", cache_dir=cache_dir)
    entry = entry_of(cache_dir, "batas")
    copy = shutil.copyfile

    def copy_then_prune(source, target, **kwargs):
        copied = copy(source, target, **kwargs)
        if entry.exists():
            cache._discard(entry)  # pruned by another run between two files
        return copied

    monkeypatch.setattr(shutil, "copyfile", copy_then_prune)
    work = tmp_path / "second"
    work.mkdir()
    stage(region, work, cache_dir=cache_dir)
    monkeypatch.undo()
    assert calls == [tmp_path / "first", work]  # computed again, not half taken
    assert not (work / "dipakai_ulang_batas").exists()
    assert (work / "desa.parquet").read_bytes() == b"desa"
    assert (work / "kecamatan.parquet").read_bytes() == b"kecamatan"


def test_a_damaged_entry_is_a_miss_and_is_replaced(tmp_path):
    region = demo_region(tmp_path)
    cache_dir, calls = tmp_path / "cache", []
    stage = fake_stage(calls)
    for name in ("first", "second", "third"):
        (tmp_path / name).mkdir()
    stage(region, tmp_path / "first", cache_dir=cache_dir)
    (entry_of(cache_dir, "batas") / "kecamatan.parquet").unlink()
    stage(region, tmp_path / "second", cache_dir=cache_dir)
    assert len(calls) == 2 and not (tmp_path / "second" / "dipakai_ulang_batas").exists()
    stage(region, tmp_path / "third", cache_dir=cache_dir)
    assert len(calls) == 2 and (tmp_path / "third" / "dipakai_ulang_batas").exists()
    assert (tmp_path / "third" / "kecamatan.parquet").read_bytes() == b"kecamatan"


def make_entry(cache_dir, name, age, now):
    entry = cache_dir / name
    entry.mkdir(parents=True)
    (entry / "desa.parquet").write_bytes(b"desa")
    (entry / cache.MARKER).write_text('["desa.parquet"]', encoding="utf-8")
    os.utime(entry / cache.MARKER, (now - age, now - age))
    os.utime(entry, (now - age, now - age))
    return entry


def test_pruning_spares_the_newest_and_every_entry_used_recently(tmp_path):
    now = time.time()
    cache_dir = tmp_path / "cache"
    ages = {"batas-a": 0, "batas-b": 60, "batas-c": 120, "batas-d": 300, "batas-e": 700}
    for name, age in ages.items():
        make_entry(cache_dir, name, age, now)
    make_entry(cache_dir, "cakupan-a", 5000, now)  # another stage: not this prune's business
    make_entry(cache_dir, ".batas-f-123", 30, now)  # a run writing now
    make_entry(cache_dir, ".batas-g-456", 7200, now)  # a run killed while writing
    make_entry(cache_dir, ".hapus-789", 10, now)  # a removal killed midway
    removed = cache.prune(cache_dir, "batas", now=now)
    # d is beyond the newest three but was used 5 minutes ago: a run may be reading it.
    assert sorted(p.name for p in removed) == [".batas-g-456", "batas-e"]
    assert sorted(p.name for p in cache_dir.iterdir()) == [
        ".batas-f-123",
        "batas-a",
        "batas-b",
        "batas-c",
        "batas-d",
        "cakupan-a",
    ]


def test_reading_an_entry_keeps_it_from_pruning(tmp_path):
    region = demo_region(tmp_path)
    cache_dir, calls = tmp_path / "cache", []
    stage = fake_stage(calls)
    (tmp_path / "first").mkdir()
    stage(region, tmp_path / "first", cache_dir=cache_dir)
    entry = entry_of(cache_dir, "batas")
    now = time.time()
    old = now - 3600
    os.utime(entry / cache.MARKER, (old, old))
    for name in ("batas-x", "batas-y", "batas-z"):
        make_entry(cache_dir, name, 1800, now)
    (tmp_path / "second").mkdir()
    stage(region, tmp_path / "second", cache_dir=cache_dir)  # a hit: the entry's last use is now
    assert (tmp_path / "second" / "dipakai_ulang_batas").exists()
    removed = cache.prune(cache_dir, "batas", now=time.time())
    assert entry.exists() and [p.name for p in removed] == ["batas-x"]
